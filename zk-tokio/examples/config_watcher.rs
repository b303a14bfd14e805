//! A configuration watcher on the async client: read a znode with a data watch, await
//! the watch, read again (which sets the next watch), forever. Changes made between a
//! watch firing and the next read are never lost: the read returns the latest value.
//! Connection losses need no code here: the session reconnects and sets the watch
//! again by itself.
//!
//! ```sh
//! cargo run -p zk-tokio --example config_watcher                              # starts a local server
//! cargo run -p zk-tokio --example config_watcher -- 127.0.0.1:2181 /my/config  # your server and node
//! ```
//!
//! The demo writes five versions from another task and prints each one the watcher
//! sees, ending when it sees the last.

use std::error::Error as StdError;
use std::time::Duration;

use zk_tokio::{Bytes, Client, CreateMode, Error, EventType, OneShotWatch, Version};

/// Watches one znode's data.
pub struct ConfigWatcher {
    client: Client,
    path: String,
    current: Option<Bytes>,
    watch: OneShotWatch,
}

impl ConfigWatcher {
    /// Reads the node's current value (`None` while it does not exist) and starts
    /// watching it.
    pub async fn start(client: Client, path: &str) -> Result<ConfigWatcher, Error> {
        let (current, watch) = read(&client, path).await?;
        Ok(ConfigWatcher {
            client,
            path: path.to_string(),
            current,
            watch,
        })
    }

    /// The value last read.
    pub fn current(&self) -> Option<&Bytes> {
        self.current.as_ref()
    }

    /// Waits for the value to change; returns the new value (`None`: the node was
    /// deleted). Fails only when the session is over.
    pub async fn next_change(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let event = (&mut self.watch).await?;
            let (value, watch) = read(&self.client, &self.path).await?;
            self.watch = watch;
            if value != self.current || event.event_type == EventType::NodeDataChanged {
                self.current = value;
                return Ok(self.current.clone());
            }
        }
    }
}

/// The node's value and a watch on it: a data watch while it exists, an exists watch
/// (fires on creation) while it does not. Reads are repeated on ConnectionLoss.
async fn read(client: &Client, path: &str) -> Result<(Option<Bytes>, OneShotWatch), Error> {
    loop {
        match client.get_data_watch(path).await {
            Ok((data, _, watch)) => return Ok((Some(data), watch)),
            Err(Error::NoNode) => match client.exists_watch(path).await {
                Ok((None, watch)) => return Ok((None, watch)),
                // Created meanwhile: read it.
                Ok((Some(_), _)) | Err(Error::ConnectionLoss) => {}
                Err(e) => return Err(e),
            },
            Err(Error::ConnectionLoss) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The demo: a writer task sets `versions` values on `path` while a watcher prints
/// every value it sees; returns the values seen, in order, ending with the last one.
pub async fn run(client: Client, path: &str, versions: usize) -> Result<Vec<String>, Error> {
    match client.create(path, "v0", CreateMode::Persistent).await {
        Ok(_) => {}
        Err(Error::NodeExists) => drop(client.set_data(path, "v0", Version::Any).await?),
        Err(e) => return Err(e),
    }
    let mut watcher = ConfigWatcher::start(client.clone(), path).await?;
    println!("config: {:?}", watcher.current());
    let writer = client.clone();
    let node = path.to_string();
    let writing = tokio::spawn(async move {
        for v in 1..=versions {
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer
                .set_data(&node, format!("v{v}"), Version::Any)
                .await?;
        }
        Ok::<(), Error>(())
    });
    let last = format!("v{versions}");
    let mut seen = Vec::new();
    while seen.last() != Some(&last) {
        let value = watcher.next_change().await?;
        let text = value.map_or("<deleted>".to_string(), |v| {
            String::from_utf8_lossy(&v).into_owned()
        });
        println!("config changed: {text}");
        seen.push(text);
    }
    writing
        .await
        .map_err(|e| Error::System(format!("the writer failed: {e}")))??;
    Ok(seen)
}

#[allow(dead_code)] // The test suite includes this file and calls `run`.
fn main() -> Result<(), Box<dyn StdError>> {
    let (connect_string, _server) =
        zk_tests::ZkServer::given_or_started(&zk_tests::ServerOptions::default())?;
    let path = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "/config-watcher-demo".to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::connect(&connect_string, zk_tokio::Options::new()).await?;
        run(client.clone(), &path, 5).await?;
        client.delete(&path, Version::Any).await?;
        client.close().await;
        Ok(())
    })
}
