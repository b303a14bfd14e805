//! Scenarios: multi transactions and multiRead batches.

mod common;

use std::time::Duration;
use zk_blocking::Version;
use zk_test_support::assert_matches;

use common::{connect, options};
use zk_blocking::{CreateMode, Error, OpResult, ReadBatch, ReadResult, Transaction};
use zk_tests::proxy::{Direction, FaultProxy};
use zk_tests::shared_standalone;

const TIMEOUT: Duration = Duration::from_secs(10);

fn failing_transaction() -> Transaction {
    Transaction::new()
        .create("/tx-first", "", CreateMode::Persistent)
        .create("/tx-missing-parent/child", "", CreateMode::Persistent)
        .set_data("/tx-existing", "changed", Version::Any)
}

#[test]
fn a_failing_op_applies_nothing_and_the_error_names_its_path() {
    let mut zk = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    zk.create("/tx-existing", "before", CreateMode::Persistent)
        .unwrap();

    let failed = zk.multi(failing_transaction()).unwrap_err();
    assert_eq!(
        failed.to_string(),
        "the transaction was rolled back, nothing was applied: sub-op 1 on \
         /tx-missing-parent/child failed with NONODE (-101): no node"
    );
    // A submitted transaction fails the same way.
    let id = zk
        .submit(failing_transaction().into_request().unwrap())
        .unwrap();
    assert_eq!(zk.wait(id), Err(failed));
    // Nothing was applied.
    assert_eq!(zk.exists("/tx-first").unwrap(), None);
    assert_eq!(zk.get_data("/tx-existing").unwrap().0, "before");

    // The same ops minus the bad one all apply.
    let results = zk
        .multi(
            Transaction::new()
                .create("/tx-first", "", CreateMode::Persistent)
                .set_data("/tx-existing", "changed", Version::Exact(0)),
        )
        .unwrap();
    assert!(matches!(
        results.as_slice(),
        [OpResult::Created { path, .. }, OpResult::DataSet(stat)] if path == "/tx-first" && stat.version == 1
    ));
    zk.close();
}

#[test]
fn multi_read_mixes_results_and_errors() {
    let mut zk = connect(&shared_standalone().connect_string(), options(TIMEOUT));
    zk.create("/mr", "parent", CreateMode::Persistent).unwrap();
    zk.create("/mr/kid", "", CreateMode::Persistent).unwrap();
    let results = zk
        .multi_read(
            ReadBatch::new()
                .get_data("/mr")
                .get_children("/mr/none")
                .get_children("/mr")
                .get_data("/mr/none"),
        )
        .unwrap();
    assert_eq!(results.len(), 4);
    assert!(
        matches!(&results[0], Ok(ReadResult::Data { data, stat }) if data == "parent" && stat.num_children == 1)
    );
    assert_matches!(results[1], Err(Error::NoNode { .. }));
    assert_eq!(
        results[2],
        Ok(ReadResult::Children(vec!["kid".to_string()]))
    );
    assert_matches!(results[3], Err(Error::NoNode { .. }));
    zk.close();
}

#[test]
fn an_empty_multi_succeeds_without_contacting_the_server() {
    let proxy = FaultProxy::start(shared_standalone().address()).unwrap();
    let mut zk = connect(&proxy.connect_string(), options(TIMEOUT));
    let sent = proxy.stats(Direction::ToServer);
    assert_eq!(zk.multi(Transaction::new()), Ok(vec![]));
    assert_eq!(zk.multi_read(ReadBatch::new()), Ok(vec![]));
    // One round trip later the proxy has seen every frame sent before it: only that one.
    assert!(zk.exists("/").unwrap().is_some());
    let after = proxy.stats(Direction::ToServer);
    assert_eq!(after.frames - after.pings, sent.frames - sent.pings + 1);
    zk.close();
}
