//! Watch dispatch with a large table: the session's cost of one notification (decode,
//! route to its registrations, queue the event) when 8 or 100,000 persistent watches
//! are registered, on distinct paths (plain persistent) or each under its own subtree
//! (persistent-recursive, so routing walks the notified path's ancestors).
//!
//! ```text
//! cargo bench -p zk-session --bench watches
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use zk_proto::{ErrorCode, ErrorResponse, EventType, WireResponse};
use zk_session::testing::{FakeServer, Harness};
use zk_session::{Config, Request};

/// A connected session holding `n` persistent watches, on `/w/<i>` (`recursive`: each
/// over the subtree of `/w/<i>`).
fn with_watches(n: usize, recursive: bool) -> Harness {
    let mut h = Harness::new(Config::new("127.0.0.1"));
    h.establish(30_000, 1);
    for i in 0..n {
        h.session
            .submit(
                Request::AddWatch {
                    path: format!("/w/{i}"),
                    recursive,
                },
                h.now,
            )
            .unwrap();
    }
    let ok = WireResponse::AddWatch(ErrorResponse { err: ErrorCode::Ok });
    let mut replies = Vec::new();
    for frame in h.flush() {
        replies.extend(FakeServer::ok(frame.xid(), 1, &ok));
    }
    h.deliver(&replies);
    h.take_events();
    assert_eq!(h.session.watches().count(), n);
    h
}

fn dispatch(c: &mut Criterion) {
    let mut g = c.benchmark_group("watch_dispatch");
    for (name, recursive, notified) in [
        ("persistent", false, "/w/7"),
        ("recursive", true, "/w/7/a/b"),
    ] {
        let notification = FakeServer::notification(EventType::NodeDataChanged, notified, 2);
        for n in [8usize, 100_000] {
            let mut h = with_watches(n, recursive);
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    h.deliver(black_box(&notification));
                    black_box(h.events.pop());
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
