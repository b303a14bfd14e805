//! The README's quick start: a kazoo-compatible lock on the shared client.

use zk_blocking::{Options, SharedClient};
use zk_recipes::{Lock, tree};

fn main() -> Result<(), zk_blocking::Error> {
    let hosts = std::env::args().nth(1);
    let zk = SharedClient::connect(hosts.as_deref().unwrap_or("127.0.0.1:2181"), Options::new())?;
    // Kazoo's Lock on the same path takes turns with this one; missing parents are made.
    let lock = Lock::new("/quick-start/locks/report", "worker-1");
    let guard = lock.lock(&zk, None)?.expect("no timeout: waits until held");
    println!("holding the lock");
    // ... the work only one holder at a time may do; the guard says if the session ends ...
    assert!(!guard.is_lost());
    guard.release()?;
    tree::delete_all(&mut zk.clone(), "/quick-start")?;
    zk.close();
    Ok(())
}
