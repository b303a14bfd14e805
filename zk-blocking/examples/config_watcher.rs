//! A configuration watcher with zk-recipes' `NodeWatch` on the blocking client: reads
//! a znode, leaves a data watch, and re-reads it on every change. It survives a server failover: the session reconnects to another
//! member by itself and re-registers its watches (SetWatches), so no change is missed.
//!
//! ```sh
//! cargo run -p zk-blocking --example config_watcher -- 127.0.0.1:2181 /my/config
//! cargo run -p zk-blocking --example config_watcher     # 3-member ensemble failover demo
//! ```

use std::error::Error as StdError;
use std::time::{Duration, Instant};
use zk_blocking::Version;

use zk_blocking::{Bytes, Client, CreateMode, Error, Event, KeeperState, Options};
use zk_recipes::run::Blocking;
use zk_recipes::{NodeValue, NodeWatch};

/// Watches one znode's data with zk-recipes' `NodeWatch` (the value, then every change,
/// re-armed with a fresh watch each time).
pub struct ConfigWatcher {
    client: Client,
    watch: NodeWatch,
    current: Option<Bytes>,
}

impl ConfigWatcher {
    /// Connects and reads the node's current value (`None` while it does not exist).
    pub fn start(connect_string: &str, options: Options, path: &str) -> Result<Self, Error> {
        let client = Client::connect(connect_string, options)?;
        let mut watcher = ConfigWatcher {
            client,
            watch: NodeWatch::data(path),
            current: None,
        };
        if watcher.next_change(Duration::from_secs(30))?.is_none() {
            return Err(Error::Timeout(Duration::from_secs(30)));
        }
        Ok(watcher)
    }

    /// The value last read.
    pub fn current(&self) -> Option<&Bytes> {
        self.current.as_ref()
    }

    /// Waits at most `timeout` for the value to change; returns the new value (or
    /// `None` for a deleted node) when it did.
    pub fn next_change(&mut self, timeout: Duration) -> Result<Option<Option<Bytes>>, Error> {
        let mut driver = Blocking::new(&mut self.client);
        let next = self.watch.next(&mut driver, Some(timeout))?;
        // The recipe took only its own events: the session's are the program's.
        while let Ok(Some(event)) = driver.client().next_event(Duration::ZERO) {
            if let Event::Session {
                state: KeeperState::Disconnected,
                reason,
            } = event
            {
                let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                eprintln!("config watcher: connection lost{why}, the session reconnects");
            }
        }
        Ok(next.map(|value| {
            self.current = match value {
                NodeValue::Data(data, _) => Some(data),
                _ => None,
            };
            self.current.clone()
        }))
    }

    /// The session id (to find the server it is connected to).
    pub fn session_id(&self) -> i64 {
        self.client.session_id()
    }
}

/// Sets `path` to `value`, repeating after ConnectionLoss (setting a value twice is
/// harmless).
fn publish(writer: &mut Client, path: &str, value: &str) -> Result<(), Error> {
    loop {
        match writer.set_data(path, value.to_string(), Version::Any) {
            Err(Error::ConnectionLoss) => continue,
            other => return other.map(|_| ()),
        }
    }
}

/// Waits until the watcher sees `want`.
fn expect_value(watcher: &mut ConfigWatcher, want: &str) -> Result<(), Box<dyn StdError>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while watcher.current().map(|v| &v[..]) != Some(want.as_bytes()) {
        if Instant::now() > deadline {
            return Err(format!("the watcher never saw {want:?}").into());
        }
        if let Some(value) = watcher.next_change(Duration::from_secs(1))? {
            println!(
                "watcher read {:?}",
                value
                    .as_ref()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            );
        }
    }
    Ok(())
}

/// The failover demo: a 3-member ensemble, a writer and a watcher; the member serving
/// the watcher is killed between two changes. Returns the values the watcher read.
pub fn failover_demo() -> Result<Vec<String>, Box<dyn StdError>> {
    let options = zk_tests::ServerOptions::default().tick_time(Duration::from_millis(500));
    let mut ensemble = zk_tests::Ensemble::start(3, &options)?;
    let cs = ensemble.connect_string();
    // Quick retries while the ensemble re-elects, if the killed member was its leader.
    let client_options = Options::default()
        .session_timeout(Duration::from_secs(6))
        .reconnect_backoff(Duration::from_millis(100), Duration::from_secs(1));
    let path = "/app-config";
    let mut writer = Client::connect(&cs, client_options.clone())?;
    writer.create(path, "v1", CreateMode::Persistent)?;
    let mut watcher = ConfigWatcher::start(&cs, client_options, path)?;
    let mut seen = vec![String::from_utf8_lossy(watcher.current().expect("exists")).into_owned()];
    println!("watcher read {:?}", seen[0]);

    for value in ["v2", "v3"] {
        publish(&mut writer, path, value)?;
        expect_value(&mut watcher, value)?;
        seen.push(value.to_string());
    }
    // Kill the member the watcher is connected to (`cons` lists session ids).
    let sid = format!("sid=0x{:x}", watcher.session_id());
    let serving = ensemble
        .members()
        .iter()
        .find(|m| m.four_letter("cons").is_ok_and(|c| c.contains(&sid)))
        .and_then(|m| m.myid())
        .ok_or("no member lists the watcher's session")?;
    println!("killing server.{serving}, which serves the watcher");
    ensemble.member_mut(serving).kill()?;
    for value in ["v4", "v5"] {
        publish(&mut writer, path, value)?;
        expect_value(&mut watcher, value)?;
        seen.push(value.to_string());
    }
    Ok(seen)
}

#[allow(dead_code)] // The test suite includes this file and calls `failover_demo`.
fn main() -> Result<(), Box<dyn StdError>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            let seen = failover_demo()?;
            println!("the watcher read {} across the failover", seen.join(", "));
        }
        [cs, path] => {
            let mut watcher = ConfigWatcher::start(cs, Options::default(), path)?;
            println!("{path} = {:?}", watcher.current());
            loop {
                if let Some(value) = watcher.next_change(Duration::from_secs(60))? {
                    println!("{path} = {value:?}");
                }
            }
        }
        _ => return Err("usage: config_watcher [CONNECT_STRING PATH]".into()),
    }
    Ok(())
}
