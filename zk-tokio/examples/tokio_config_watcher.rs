//! A configuration watcher on the async client, with zk-recipes' `NodeWatch`: the
//! node's value first, then every change, each read again with a fresh watch (changes
//! made between a watch firing and the next one being set are never lost: the read
//! returns the latest value). Connection losses need no code here: the session
//! reconnects and sets the watch again by itself.
//!
//! ```sh
//! cargo run -p zk-tokio --example tokio_config_watcher                              # starts a local server
//! cargo run -p zk-tokio --example tokio_config_watcher -- 127.0.0.1:2181 /my/config  # your server and node
//! ```
//!
//! The demo writes five versions from another task and prints each one the watcher
//! sees, ending when it sees the last.

use std::error::Error as StdError;
use std::time::Duration;

use zk_recipes::{NodeValue, NodeWatch};
use zk_tokio::{Client, CreateMode, Error, Version};

/// The next value `watch` tells, as text (`<deleted>` for a missing node).
async fn next_value(watch: &mut NodeWatch, client: &Client) -> Result<String, Error> {
    match watch.next_async(client).await? {
        Some(NodeValue::Data(data, _)) => Ok(String::from_utf8_lossy(&data).into_owned()),
        Some(NodeValue::Missing) => Ok("<deleted>".to_string()),
        other => Err(Error::System(format!("the watch told {other:?}"))),
    }
}

/// The demo: a writer task sets `versions` values on `path` while a watcher prints
/// every value it sees; returns the values seen, in order, ending with the last one.
pub async fn run(client: Client, path: &str, versions: usize) -> Result<Vec<String>, Error> {
    match client.create(path, "v0", CreateMode::Persistent).await {
        Ok(_) => {}
        Err(Error::NodeExists { .. }) => drop(client.set_data(path, "v0", Version::Any).await?),
        Err(e) => return Err(e),
    }
    let mut watch = NodeWatch::data(path);
    println!("config: {}", next_value(&mut watch, &client).await?);
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
        let text = next_value(&mut watch, &client).await?;
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
