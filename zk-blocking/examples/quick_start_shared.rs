//! The README's quick start: the shared client, a watch fired by another thread.

use std::time::Duration;
use zk_blocking::{CreateMode, Event, Options, SharedClient, Version};

fn main() -> Result<(), zk_blocking::Error> {
    let hosts = std::env::args().nth(1);
    // A background thread keeps the session; clones share it across threads.
    let zk = SharedClient::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
    zk.create("/quick-start-shared", "hello", CreateMode::Ephemeral)?;
    let (data, _stat, watch) = zk.get_data_watch("/quick-start-shared")?;
    println!("read {}", String::from_utf8_lossy(&data));
    let writer = zk.clone();
    let worker =
        std::thread::spawn(move || writer.set_data("/quick-start-shared", "world", Version::Any));
    match zk.wait_watch(watch, Duration::from_secs(10))? {
        Some(Event::Watch(e)) => println!("{:?} on {}", e.event_type, e.path),
        other => println!("no change within 10 s: {other:?}"),
    }
    worker.join().expect("the writer thread panicked")?;
    zk.close();
    Ok(())
}
