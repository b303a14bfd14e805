//! The README's quick start: the async client, a watch fired by another task.

use zk_tokio::{Client, CreateMode, Options, Version};

#[tokio::main]
async fn main() -> Result<(), zk_tokio::Error> {
    let hosts = std::env::args().nth(1);
    // A driver task on this runtime keeps the session; clones share it.
    let zk = Client::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new()).await?;
    let path = "/quick-start-async";
    zk.create(path, "hello", CreateMode::Ephemeral).await?;
    let (data, _stat, changed) = zk.get_data_watch(path).await?;
    println!("read {}", String::from_utf8_lossy(&data));
    let writer = zk.clone();
    tokio::spawn(async move { writer.set_data(path, "world", Version::Any).await });
    let event = changed.await?;
    println!("{:?} on {}", event.event_type, event.path);
    zk.close().await;
    Ok(())
}
