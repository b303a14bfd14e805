//! Re-records the golden frames of `zk-proto/tests/golden` against a live server and
//! fails when they no longer decode to the committed structure (run-to-run fields
//! masked). With `ZK_GOLDEN_RECORD=1` it rewrites the fixtures instead.

mod golden;

use std::path::Path;

use golden::{Direction, capture, describe, line_diff, to_fixture};
use zk_test_support::golden::{FIXTURE_DIR, fixture_names, parse_fixture};
use zk_tests::{ServerOptions, ZkServer};

#[test]
fn live_exchange_decodes_like_the_committed_golden_frames() {
    // A fresh server of its own, so paths, versions and child counts are predictable.
    let server = ZkServer::start_standalone(&ServerOptions::default()).expect("standalone server");
    let frames = capture(server.address());
    let dir = Path::new(FIXTURE_DIR);

    if std::env::var_os("ZK_GOLDEN_RECORD").is_some_and(|v| v == "1") {
        for stale in fixture_names(dir) {
            std::fs::remove_file(dir.join(format!("{stale}.hex"))).unwrap();
        }
        for frame in &frames {
            describe(frame.kind, &frame.bytes)
                .unwrap_or_else(|err| panic!("{}: zk-proto cannot decode it: {err}", frame.name));
            std::fs::write(dir.join(format!("{}.hex", frame.name)), to_fixture(frame)).unwrap();
        }
        eprintln!("recorded {} frames into {}", frames.len(), dir.display());
        return;
    }

    let captured: Vec<String> = frames.iter().map(|f| f.name.clone()).collect();
    assert_eq!(
        fixture_names(dir),
        captured,
        "the live exchange produced other frames, or in another order, than the fixtures \
         (re-record with ZK_GOLDEN_RECORD=1 if the change is intended)"
    );

    let mut failures = String::new();
    for frame in &frames {
        let path = dir.join(format!("{}.hex", frame.name));
        let committed = parse_fixture(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let expected = describe(frame.kind, &committed)
            .unwrap_or_else(|err| panic!("committed {}: {err}", frame.name));
        let actual = describe(frame.kind, &frame.bytes)
            .unwrap_or_else(|err| panic!("live {}: {err}", frame.name));
        if expected != actual {
            failures += &format!(
                "\n== {} (- committed, + live)\n{}",
                frame.name,
                line_diff(&expected, &actual)
            );
        }
        // Requests carry nothing that varies, so they must match to the byte.
        if frame.direction == Direction::ClientToServer && committed != frame.bytes {
            failures += &format!(
                "\n== {}: request bytes differ\n- {committed:02x?}\n+ {:02x?}\n",
                frame.name, frame.bytes
            );
        }
    }
    assert!(
        failures.is_empty(),
        "live frames differ from the committed fixtures in {FIXTURE_DIR} \
         (re-record with ZK_GOLDEN_RECORD=1 if the change is intended):{failures}"
    );
}
