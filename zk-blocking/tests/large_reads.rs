//! Large replies through both drivers against the shared real server: every byte
//! arrives intact, and the time per 1 MB read is printed (run with `--nocapture` to
//! see it).

#[path = "support/mio_drive.rs"]
mod mio_drive;

use std::time::{Duration, Instant};

use zk_blocking::{Client, CreateMode, ExternalDriver, ExternalEvent, Options, Request, Response};

const SIZE: usize = 1_000_000;
const READS: usize = 40;

fn payload() -> Vec<u8> {
    (0..SIZE as u32).map(|i| (i % 253) as u8).collect()
}

fn node(client: &mut Client, name: &str) -> String {
    let path = format!("/large-{name}-{}", std::process::id());
    client
        .create(&path, payload(), CreateMode::Ephemeral)
        .expect("creating the 1 MB node");
    path
}

fn options() -> Options {
    Options::default().session_timeout(Duration::from_secs(10))
}

#[test]
fn one_megabyte_replies_through_the_blocking_client() {
    let cs = zk_tests::shared_standalone().connect_string();
    let mut zk = Client::connect(&cs, options()).unwrap();
    let path = node(&mut zk, "client");
    let expected = payload();
    let (data, _) = zk.get_data(&path).unwrap();
    assert_eq!(data, expected);
    let started = Instant::now();
    for _ in 0..READS {
        let (data, stat) = zk.get_data(&path).unwrap();
        assert_eq!((data.len(), stat.data_length), (SIZE, SIZE as i32));
    }
    let per_read = started.elapsed() / READS as u32;
    println!("Client: 1 MB getData in {per_read:?} each ({READS} reads, sequential)");
    // pipelined: all in flight at once
    let started = Instant::now();
    let ids: Vec<_> = (0..READS)
        .map(|_| zk.submit(Request::get_data(&path, false)).unwrap())
        .collect();
    for id in ids {
        match zk.wait(id).unwrap() {
            Response::GetData { data, .. } => assert_eq!(data.len(), SIZE),
            other => panic!("{other:?}"),
        }
    }
    let per_read = started.elapsed() / READS as u32;
    println!("Client: 1 MB getData in {per_read:?} each ({READS} reads, pipelined)");
}

#[test]
fn one_megabyte_replies_through_the_external_driver() {
    let cs = zk_tests::shared_standalone().connect_string();
    let mut zk = Client::connect(&cs, options()).unwrap();
    let path = node(&mut zk, "external");
    let expected = payload();
    let mut driver = ExternalDriver::new(&cs, options()).unwrap();
    let mut left = READS;
    let mut first = true;
    let started = Instant::now();
    for _ in 0..READS {
        driver.submit(Request::get_data(&path, false)).unwrap();
    }
    mio_drive::drive(&mut driver, |_, e| {
        if let ExternalEvent::Reply(reply) = e {
            match reply.result.unwrap() {
                Response::GetData { data, .. } if first => {
                    assert_eq!(data, expected);
                    first = false;
                }
                Response::GetData { data, .. } => assert_eq!(data.len(), SIZE),
                other => panic!("{other:?}"),
            }
            left -= 1;
        }
        Ok(left == 0)
    })
    .unwrap();
    let per_read = started.elapsed() / READS as u32;
    println!("ExternalDriver: 1 MB getData in {per_read:?} each ({READS} reads, pipelined)");
    driver.close();
}
