//! Interop with kazoo (Python, `/usr/bin/python3` with Debian's `python3-kazoo`; see
//! `.ci/install`): our [`Lock`] and kazoo's `Lock` on one path exclude each other,
//! each lists the other's contenders, a kazoo `WriteLock` keeps our read lock out, our
//! read lock lists readers and writers as kazoo's `ReadLock` does, and the
//! `lock_counter` example counts exactly beside kazoo. kazoo's side is
//! `tests/kazoo/helper.py`.

#![cfg(unix)]

#[path = "servers/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../examples/lock_counter.rs"]
mod lock_counter;

use std::thread;
use std::time::{Duration, Instant};

use common::{
    Held, Kazoo, PATIENCE, assert_disjoint, children, contend, counter_value, create_all,
    fresh_path, shared,
};
use zk_blocking::SharedClient;
use zk_recipes::Lock;
use zk_tests::shared_standalone;

/// How long our contenders take turns beside kazoo's.
const RUN_FOR: Duration = Duration::from_secs(4);

/// How many times kazoo's contender increments the counter.
const KAZOO_INCREMENTS: u64 = 60;

/// A list of identifiers as kazoo's helper prints it (Python's `json.dumps`).
fn json(identifiers: &[&str]) -> String {
    let quoted: Vec<String> = identifiers.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Our contenders of `path`, polled until they are `expected`.
fn our_contenders_become(zk: &SharedClient, lock: &Lock, expected: &[&str]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = lock.contenders(&mut zk.clone()).expect("contenders");
        if found == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "contenders {found:?}, not {expected:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn our_lock_and_kazoos_exclude_each_other_and_the_count_is_exact() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let base = fresh_path("kazoo-count");
    let (lock, counter) = (format!("{base}/lock"), format!("{base}/counter"));
    create_all(&zk, &counter, b"0");

    let kazoo = Kazoo::start(&[
        "count",
        &server,
        &lock,
        &counter,
        &KAZOO_INCREMENTS.to_string(),
    ]);
    let until = Instant::now() + RUN_FOR;
    let ours: Vec<_> = (0..3)
        .map(|i| {
            let (mut driver, lock, counter) = (zk.clone(), lock.clone(), counter.clone());
            thread::spawn(move || {
                contend(&mut driver, &lock, &counter, &format!("ours-{i}"), until)
            })
        })
        .collect();
    let held: Vec<Held> = ours
        .into_iter()
        .flat_map(|w| w.join().expect("our contender"))
        .collect();
    let mut kazoo = kazoo;
    kazoo.expect_line(&format!("done {KAZOO_INCREMENTS}"));
    kazoo.assert_exits_ok();
    let our_holds = assert_disjoint(held);
    assert_eq!(
        counter_value(&zk, &counter),
        our_holds + KAZOO_INCREMENTS,
        "every increment of both sides counted"
    );
    assert_eq!(children(&zk, &lock), Vec::<String>::new());
}

#[test]
fn kazoo_lists_our_holder_and_we_list_kazoos_waiter_in_lock_order() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("kazoo-contenders");
    let mut ours = Lock::new(&path, "ours");
    assert!(ours.acquire(&mut zk, Some(PATIENCE)).expect("acquiring"));

    let mut listing = Kazoo::start(&["contenders", &server, &path]);
    assert_eq!(listing.line(), json(&["ours"]), "kazoo sees our holder");
    listing.assert_exits_ok();

    let mut waiter = Kazoo::start(&["hold", &server, &path, "kazoo", "lock"]);
    our_contenders_become(&zk, &ours, &["ours", "kazoo"]);
    let mut listing = Kazoo::start(&["contenders", &server, &path]);
    assert_eq!(listing.line(), json(&["ours", "kazoo"]));
    listing.assert_exits_ok();

    ours.release(&mut zk).expect("releasing");
    waiter.expect_line("held");
    our_contenders_become(&zk, &ours, &["kazoo"]);
    waiter.send("contenders");
    assert_eq!(waiter.line(), json(&["kazoo"]));
    waiter.send("release");
    waiter.expect_line("released");
    waiter.assert_exits_ok();
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn a_kazoo_write_lock_keeps_our_read_lock_out_until_released() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("kazoo-rw");
    let mut writer = Kazoo::start(&["hold", &server, &path, "kazoo-writer", "write"]);
    writer.expect_line("held");

    let mut reader = Lock::read(&path, "our-reader");
    assert!(
        !reader
            .acquire(&mut zk, Some(Duration::from_millis(500)))
            .expect("a read acquire")
    );
    assert_eq!(children(&zk, &path).len(), 1, "only kazoo's writer node");
    writer.send("contenders");
    assert_eq!(writer.line(), json(&["kazoo-writer"]));

    writer.send("release");
    writer.expect_line("released");
    writer.assert_exits_ok();
    assert!(reader.acquire(&mut zk, Some(PATIENCE)).expect("reading"));
    reader.release(&mut zk).expect("releasing");
}

#[test]
fn our_read_lock_lists_readers_and_writers_as_kazoos_read_lock_does() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let path = fresh_path("kazoo-rw-contenders");
    let mut kazoo_reader = Kazoo::start(&["hold", &server, &path, "kazoo-reader", "read"]);
    kazoo_reader.expect_line("held");
    let mut reader = Lock::read(&path, "our-reader");
    assert!(
        reader
            .acquire(&mut zk, Some(PATIENCE))
            .expect("reading beside kazoo's reader")
    );
    let mut kazoo_writer = Kazoo::start(&["hold", &server, &path, "kazoo-writer", "write"]);

    // kazoo's ReadLock and WriteLock list every contender, readers and writers, in lock
    // order (the holders first); its plain Lock lists the writers only.
    let everyone = ["kazoo-reader", "our-reader", "kazoo-writer"];
    our_contenders_become(&zk, &reader, &everyone);
    our_contenders_become(&zk, &Lock::write(&path, "our-writer"), &everyone);
    our_contenders_become(&zk, &Lock::new(&path, "ours"), &["kazoo-writer"]);
    kazoo_reader.send("contenders");
    assert_eq!(kazoo_reader.line(), json(&everyone), "kazoo's ReadLock");
    let mut listing = Kazoo::start(&["contenders", &server, &path]);
    assert_eq!(listing.line(), json(&["kazoo-writer"]), "kazoo's Lock");
    listing.assert_exits_ok();

    kazoo_reader.send("release");
    kazoo_reader.expect_line("released");
    kazoo_reader.assert_exits_ok();
    reader.release(&mut zk).expect("releasing");
    kazoo_writer.expect_line("held");
    kazoo_writer.send("release");
    kazoo_writer.expect_line("released");
    kazoo_writer.assert_exits_ok();
    assert_eq!(children(&zk, &path), Vec::<String>::new());
}

#[test]
fn the_lock_counter_example_counts_exactly_beside_kazoo() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let base = fresh_path("kazoo-example");
    create_all(&zk, &base, b"");
    let (lock, counter) = (format!("{base}/lock"), format!("{base}/counter"));
    const EACH: u64 = 25;

    let kazoo = Kazoo::start(&["count", &server, &lock, &counter, &EACH.to_string()]);
    let ours: Vec<_> = (0..3)
        .map(|_| {
            let (server, lock, counter) = (server.clone(), lock.clone(), counter.clone());
            thread::spawn(move || lock_counter::run(&server, &lock, &counter, EACH))
        })
        .collect();
    for run in ours {
        run.join()
            .expect("a lock_counter thread")
            .expect("lock_counter ran");
    }
    let mut kazoo = kazoo;
    kazoo.expect_line(&format!("done {EACH}"));
    kazoo.assert_exits_ok();
    assert_eq!(counter_value(&zk, &counter), 4 * EACH, "3 runs and kazoo's");
}

#[test]
fn our_counter_and_kazoos_add_to_the_same_counter_and_the_total_is_exact() {
    let server = shared_standalone().connect_string();
    let mut zk = shared(&server);
    let counter = format!("{}/counter", fresh_path("kazoo-counter"));
    const EACH: i64 = 100;

    let kazoo = Kazoo::start(&["add", &server, &counter, &EACH.to_string()]);
    let ours: Vec<_> = (0..2)
        .map(|_| {
            let (mut zk, counter) = (zk.clone(), counter.clone());
            thread::spawn(move || {
                let mut ours = zk_recipes::Counter::new(&counter);
                for _ in 0..EACH {
                    ours.add(&mut zk, 1).expect("an add");
                }
            })
        })
        .collect();
    for adder in ours {
        adder.join().expect("an adding thread");
    }
    let mut kazoo = kazoo;
    kazoo.expect_line(&format!("done {EACH}"));
    kazoo.assert_exits_ok();
    let total = zk_recipes::Counter::new(&counter).get(&mut zk).unwrap();
    assert_eq!(total, 3 * EACH, "two of ours and kazoo's");
}

/// The lock_counter example's binary, which `cargo test` builds beside this test.
fn lock_counter_binary() -> std::path::PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let debug = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = debug.join("examples").join("lock_counter");
    assert!(
        binary.exists(),
        "{} is missing: run the suite with `cargo test`, which builds the examples",
        binary.display()
    );
    binary
}

#[test]
fn three_lock_counter_processes_and_kazoo_count_exactly() {
    let server = shared_standalone().connect_string();
    let zk = shared(&server);
    let base = fresh_path("kazoo-processes");
    create_all(&zk, &base, b"");
    let (lock, counter) = (format!("{base}/lock"), format!("{base}/counter"));
    const EACH: u64 = 20;

    let kazoo = Kazoo::start(&["count", &server, &lock, &counter, &EACH.to_string()]);
    let processes: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(lock_counter_binary())
                .args([&server, &lock, &counter, &EACH.to_string()])
                .spawn()
                .expect("starting lock_counter")
        })
        .collect();
    for mut process in processes {
        let status = process.wait().expect("lock_counter ran");
        assert!(status.success(), "lock_counter exited with {status}");
    }
    let mut kazoo = kazoo;
    kazoo.expect_line(&format!("done {EACH}"));
    kazoo.assert_exits_ok();
    assert_eq!(
        counter_value(&zk, &counter),
        4 * EACH,
        "3 processes and kazoo's"
    );
}
