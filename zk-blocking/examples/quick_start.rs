//! The README's quick start: the blocking client, a watch fired by its own write.

use std::time::Duration;
use zk_blocking::{Client, CreateMode, Event, Options, Version};

fn main() -> Result<(), zk_blocking::Error> {
    let hosts = std::env::args().nth(1);
    let mut zk = Client::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
    // An ephemeral node lives as long as the session that created it.
    zk.create("/quick-start", "hello", CreateMode::Ephemeral)?;
    let (data, _stat, watch) = zk.get_data_watch("/quick-start")?;
    println!("read {}", String::from_utf8_lossy(&data));
    zk.set_data("/quick-start", "world", Version::Any)?;
    // This client runs in the caller's thread: events arrive while it is called.
    while let Some(event) = zk.next_event(Duration::from_secs(10))? {
        if let Event::Watch(e) = event {
            println!("{:?} on {}", e.event_type, e.path);
            if e.fired(watch) {
                break;
            }
        }
    }
    zk.close();
    Ok(())
}
