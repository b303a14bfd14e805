//! Scenarios: a thousand writes in flight, right at the server's throttle edge (its
//! default `globalOutstandingLimit` is 1,000: it stops reading the connection until
//! replies went out). The drivers read deep pipelines in batches (a receive low-water
//! mark sized from the replies due), and no batch is ever waited for that will not
//! come: replies keep flowing, with no gap anywhere near the ping interval (the only
//! other thing that would wake a reader waiting for bytes the server never sends).

mod common;

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use zk_blocking::{
    Client, CreateMode, Options, PendingReply, Request, SharedClient, TlsConfig, Version,
};
use zk_tests::{ClientAuth, ServerCert, ServerOptions, TestPki, ZkServer, shared_standalone};

/// Pings go out every third of this, so a reader stuck until the ping would show a
/// gap of about 10 s.
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest two consecutive replies may be apart: generous for a loaded machine,
/// far below the ping interval.
const LONGEST_GAP: Duration = Duration::from_secs(3);
const IN_FLIGHT: usize = 1_000;
const NODES: usize = 3_000;

/// A server with a TLS port (Netty sends a TLS record per reply).
fn tls_server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let options = ServerOptions::default()
            .tls(TestPki::shared().server(ServerCert::Valid, ClientAuth::None));
        ZkServer::start_standalone(&options)
            .unwrap_or_else(|e| panic!("starting a TLS ZooKeeper: {e}"))
    })
}

fn plain() -> (String, Options) {
    let options = Options::new().session_timeout(SESSION_TIMEOUT);
    (shared_standalone().connect_string(), options)
}

fn over_tls() -> (String, Options) {
    let tls = TlsConfig::from_ca_file(TestPki::shared().ca()).unwrap();
    let options = Options::new().session_timeout(SESSION_TIMEOUT).tls(tls);
    (tls_server().secure_connect_string(), options)
}

/// The requests of one round: create every node, then delete every node.
fn round(root: &str) -> impl Iterator<Item = Request> + '_ {
    let creates = (0..NODES).map(move |i| {
        Request::create(
            format!("{root}/n-{i}"),
            vec![7u8; 100],
            CreateMode::Persistent,
        )
    });
    let deletes = (0..NODES).map(move |i| Request::delete(format!("{root}/n-{i}"), Version::Any));
    creates.chain(deletes)
}

/// Times the gaps between consecutive replies.
struct Gaps {
    last: Instant,
    longest: Duration,
    replies: usize,
}

impl Gaps {
    fn start() -> Gaps {
        Gaps {
            last: Instant::now(),
            longest: Duration::ZERO,
            replies: 0,
        }
    }

    fn reply(&mut self) {
        let now = Instant::now();
        self.longest = self.longest.max(now - self.last);
        self.last = now;
        self.replies += 1;
    }

    fn assert_flowing(&self) {
        assert_eq!(self.replies, 2 * NODES, "every request answered");
        assert!(
            self.longest < LONGEST_GAP,
            "replies stalled for {:?} with {IN_FLIGHT} requests in flight",
            self.longest
        );
    }
}

fn through_the_blocking_client((connect_string, options): (String, Options), root: &str) {
    let mut zk = Client::connect(&connect_string, options).unwrap();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let mut gaps = Gaps::start();
    let mut in_flight = 0;
    let mut reap = |zk: &mut Client, in_flight: &mut usize| {
        let completion = zk
            .wait_any(SESSION_TIMEOUT)
            .unwrap()
            .expect("a reply within the session timeout");
        completion.result.expect("the request succeeds");
        *in_flight -= 1;
        gaps.reply();
    };
    for request in round(root) {
        while in_flight >= IN_FLIGHT {
            reap(&mut zk, &mut in_flight);
        }
        zk.submit(request).unwrap();
        in_flight += 1;
    }
    while in_flight > 0 {
        reap(&mut zk, &mut in_flight);
    }
    gaps.assert_flowing();
    zk.delete(root, Version::Any).unwrap();
}

fn through_the_shared_client((connect_string, options): (String, Options), root: &str) {
    let zk = SharedClient::connect(&connect_string, options).unwrap();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let mut gaps = Gaps::start();
    let mut pending: VecDeque<PendingReply> = VecDeque::new();
    let mut reap = |pending: &mut VecDeque<PendingReply>| {
        let reply = pending.pop_front().expect("a request in flight");
        reply.wait().unwrap().result.expect("the request succeeds");
        gaps.reply();
    };
    for request in round(root) {
        while pending.len() >= IN_FLIGHT {
            reap(&mut pending);
        }
        pending.push_back(zk.submit(request).unwrap());
    }
    while !pending.is_empty() {
        reap(&mut pending);
    }
    gaps.assert_flowing();
    zk.delete(root, Version::Any).unwrap();
}

fn through_the_async_client((connect_string, options): (String, Options), root: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let zk = zk_tokio::Client::connect(&connect_string, options)
            .await
            .unwrap();
        zk.create(root, "", CreateMode::Persistent).await.unwrap();
        let mut gaps = Gaps::start();
        let mut pending = VecDeque::new();
        for request in round(root) {
            while pending.len() >= IN_FLIGHT {
                let reply: zk_tokio::PendingReply = pending.pop_front().unwrap();
                reply.await.result.expect("the request succeeds");
                gaps.reply();
            }
            pending.push_back(zk.submit(request).unwrap());
        }
        for reply in pending {
            reply.await.result.expect("the request succeeds");
            gaps.reply();
        }
        gaps.assert_flowing();
        zk.delete(root, Version::Any).await.unwrap();
    });
}

#[test]
fn the_blocking_client_keeps_replies_flowing_at_the_throttle_edge() {
    through_the_blocking_client(plain(), "/batching-blocking");
}

#[test]
fn the_blocking_client_keeps_replies_flowing_at_the_throttle_edge_over_tls() {
    through_the_blocking_client(over_tls(), "/batching-blocking-tls");
}

#[test]
fn the_shared_client_keeps_replies_flowing_at_the_throttle_edge() {
    through_the_shared_client(plain(), "/batching-shared");
}

#[test]
fn the_shared_client_keeps_replies_flowing_at_the_throttle_edge_over_tls() {
    through_the_shared_client(over_tls(), "/batching-shared-tls");
}

#[test]
fn the_async_client_keeps_replies_flowing_at_the_throttle_edge() {
    through_the_async_client(plain(), "/batching-async");
}

#[test]
fn the_async_client_keeps_replies_flowing_at_the_throttle_edge_over_tls() {
    through_the_async_client(over_tls(), "/batching-async-tls");
}

/// A value of 700 KB: its replies are large frames, read under a low-water mark
/// sized from the rest of the frame.
const LARGE: usize = 700 * 1024;
/// Large gets among the small requests of [`mixed`].
const LARGE_GETS: usize = 20;
/// Small gets after each large one.
const SMALL_PER_LARGE: usize = 50;
/// Requests in flight at once in the mixed scenarios.
const MIXED_IN_FLIGHT: usize = 100;

/// Large gets, each followed by small ones, all of them pipelined.
fn mixed(root: &str) -> impl Iterator<Item = (Request, usize)> + '_ {
    (0..LARGE_GETS).flat_map(move |_| {
        let large = Request::get_data(format!("{root}/large"), false);
        let small = (0..SMALL_PER_LARGE).map(move |_| (Request::get_data(root, false), 0));
        std::iter::once((large, LARGE)).chain(small)
    })
}

/// The length of the data a get answered with.
fn data_len(completion: zk_blocking::Completion) -> usize {
    match completion.result.expect("the get succeeds") {
        zk_blocking::Response::GetData { data, .. } => data.len(),
        other => panic!("a get answered with {other:?}"),
    }
}

fn assert_mixed_flowing(gaps: &Gaps) {
    assert_eq!(
        gaps.replies,
        LARGE_GETS * (1 + SMALL_PER_LARGE),
        "every get answered"
    );
    assert!(
        gaps.longest < LONGEST_GAP,
        "replies stalled for {:?} with large ones in flight",
        gaps.longest
    );
}

#[test]
fn the_blocking_client_reads_large_replies_among_small_ones_without_stalling() {
    let (connect_string, options) = plain();
    let root = "/batching-large-blocking";
    let mut zk = Client::connect(&connect_string, options).unwrap();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    let large = format!("{root}/large");
    zk.create(&large, vec![3u8; LARGE], CreateMode::Persistent)
        .unwrap();
    let mut gaps = Gaps::start();
    // Replies come in submit order: the lengths expected, oldest first.
    let mut expected: VecDeque<usize> = VecDeque::new();
    let mut reap = |zk: &mut Client, expected: &mut VecDeque<usize>| {
        let completion = zk
            .wait_any(SESSION_TIMEOUT)
            .unwrap()
            .expect("a reply within the session timeout");
        assert_eq!(Some(data_len(completion)), expected.pop_front());
        gaps.reply();
    };
    for (request, len) in mixed(root) {
        while expected.len() >= MIXED_IN_FLIGHT {
            reap(&mut zk, &mut expected);
        }
        zk.submit(request).unwrap();
        expected.push_back(len);
    }
    while !expected.is_empty() {
        reap(&mut zk, &mut expected);
    }
    // One at a time too: a blocking read of the rest of a lone large reply, under a
    // mark of half that rest.
    for _ in 0..5 {
        let (data, _) = zk.get_data(&large).unwrap();
        assert_eq!(data.len(), LARGE);
        gaps.reply();
    }
    gaps.replies -= 5;
    assert_mixed_flowing(&gaps);
    zk.delete(&large, Version::Any).unwrap();
    zk.delete(root, Version::Any).unwrap();
}

#[test]
fn the_shared_client_reads_large_replies_among_small_ones_without_stalling() {
    let (connect_string, options) = plain();
    let root = "/batching-large-shared";
    let zk = SharedClient::connect(&connect_string, options).unwrap();
    zk.create(root, "", CreateMode::Persistent).unwrap();
    zk.create(
        &format!("{root}/large"),
        vec![3u8; LARGE],
        CreateMode::Persistent,
    )
    .unwrap();
    let mut gaps = Gaps::start();
    let mut pending: VecDeque<(PendingReply, usize)> = VecDeque::new();
    let mut reap = |pending: &mut VecDeque<(PendingReply, usize)>| {
        let (reply, len) = pending.pop_front().expect("a request in flight");
        assert_eq!(data_len(reply.wait().unwrap()), len);
        gaps.reply();
    };
    for (request, len) in mixed(root) {
        while pending.len() >= MIXED_IN_FLIGHT {
            reap(&mut pending);
        }
        pending.push_back((zk.submit(request).unwrap(), len));
    }
    while !pending.is_empty() {
        reap(&mut pending);
    }
    // One at a time too: the mark is set while the one reply due is partly read.
    for _ in 0..5 {
        let (data, _) = zk.get_data(&format!("{root}/large")).unwrap();
        assert_eq!(data.len(), LARGE);
        gaps.reply();
    }
    gaps.replies -= 5;
    assert_mixed_flowing(&gaps);
    zk.delete(&format!("{root}/large"), Version::Any).unwrap();
    zk.delete(root, Version::Any).unwrap();
}

#[test]
fn the_async_client_reads_large_replies_among_small_ones_without_stalling() {
    let (connect_string, options) = plain();
    let root = "/batching-large-async";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let zk = zk_tokio::Client::connect(&connect_string, options)
            .await
            .unwrap();
        zk.create(root, "", CreateMode::Persistent).await.unwrap();
        let large = format!("{root}/large");
        zk.create(&large, vec![3u8; LARGE], CreateMode::Persistent)
            .await
            .unwrap();
        let mut gaps = Gaps::start();
        let mut pending = VecDeque::new();
        for (request, len) in mixed(root) {
            while pending.len() >= MIXED_IN_FLIGHT {
                let (reply, len): (zk_tokio::PendingReply, usize) = pending.pop_front().unwrap();
                assert_eq!(data_len(reply.await), len);
                gaps.reply();
            }
            pending.push_back((zk.submit(request).unwrap(), len));
        }
        for (reply, len) in pending {
            assert_eq!(data_len(reply.await), len);
            gaps.reply();
        }
        for _ in 0..5 {
            let (data, _) = zk.get_data(&large).await.unwrap();
            assert_eq!(data.len(), LARGE);
            gaps.reply();
        }
        gaps.replies -= 5;
        assert_mixed_flowing(&gaps);
        zk.delete(&large, Version::Any).await.unwrap();
        zk.delete(root, Version::Any).await.unwrap();
    });
}
