//! What users pass to requests reaches the wire as the server expects it: versions
//! without a magic number, TTLs as durations, data borrowed or owned.

mod common;

use std::time::Duration;

use zk_proto::{CreateMode, WireRequest};
use zk_session::{Request, SubmitError, Version};

use common::{HarnessExt, connected, requests};

/// Submits `request` and returns the one wire request the session wrote for it.
fn written(request: Request) -> WireRequest {
    let (_, sent) = connected("a").submit_and_flush(request);
    sent.request().clone()
}

#[test]
fn any_version_goes_out_as_minus_one_and_an_exact_one_as_itself() {
    let WireRequest::Delete(any) = written(Request::delete("/n", Version::Any)) else {
        panic!("delete expected");
    };
    assert_eq!(any.version, -1);
    let exact = Request::set_data("/n", "v", Version::Exact(7));
    let WireRequest::SetData(exact) = written(exact) else {
        panic!("setData expected");
    };
    assert_eq!(exact.version, 7);
}

#[test]
fn an_exact_version_of_minus_one_is_refused_before_anything_is_sent() {
    let mut h = connected("a");
    for request in [
        Request::delete("/n", Version::Exact(-1)),
        Request::set_data("/n", "v", Version::Exact(-1)),
        Request::SetAcl {
            path: "/n".into(),
            acl: zk_proto::Acl::open_unsafe(),
            version: Version::Exact(-1),
        },
    ] {
        let err = h.session.submit(request, h.now).unwrap_err();
        assert_eq!(err, SubmitError::AmbiguousVersion);
        assert!(err.to_string().contains("Version::Any"), "{err}");
    }
    assert!(requests(&h.flush()).is_empty());
}

#[test]
fn a_version_read_from_a_stat_is_exact() {
    let stat = common::stat(4);
    assert_eq!(Version::of_data(&stat), Version::Exact(4));
    assert_eq!(Version::of_acl(&stat), Version::Exact(stat.aversion));
}

#[test]
fn a_ttl_goes_out_in_whole_milliseconds() {
    let create = Request::Create {
        path: "/ttl".into(),
        data: "x".into(),
        acl: zk_proto::Acl::open_unsafe(),
        mode: CreateMode::PersistentWithTtl,
        ttl: Some(Duration::from_millis(1500) + Duration::from_micros(900)),
        with_stat: false,
    };
    let WireRequest::CreateTtl(r) = written(create) else {
        panic!("createTTL expected");
    };
    assert_eq!(r.ttl, 1500);
}

#[test]
fn a_ttl_under_a_millisecond_is_refused() {
    let mut h = connected("a");
    let create = Request::Create {
        path: "/ttl".into(),
        data: "x".into(),
        acl: zk_proto::Acl::open_unsafe(),
        mode: CreateMode::PersistentWithTtl,
        ttl: Some(Duration::from_micros(999)),
        with_stat: false,
    };
    assert!(matches!(
        h.session.submit(create, h.now),
        Err(SubmitError::InvalidCreate(_))
    ));
}

#[test]
fn borrowed_and_owned_data_reach_the_wire_alike() {
    let value = String::from("config v2");
    let bytes = value.as_bytes().to_vec();
    let shapes = [
        Request::create("/a", &value, CreateMode::Persistent),
        Request::create("/a", value.as_str(), CreateMode::Persistent),
        Request::create("/a", &bytes, CreateMode::Persistent),
        Request::create("/a", bytes.as_slice(), CreateMode::Persistent),
        Request::create("/a", b"config v2", CreateMode::Persistent),
        Request::create("/a", value.clone(), CreateMode::Persistent),
        Request::create("/a", bytes.clone(), CreateMode::Persistent),
    ];
    for request in shapes {
        let WireRequest::Create(r) = written(request) else {
            panic!("create expected");
        };
        assert_eq!(r.data, "config v2");
    }
}

/// Java's client refuses an empty ACL before sending (InvalidACLException on the
/// path); so does the session, naming the client path and the chroot, for a create,
/// a setACL and a create inside a multi, whose other ops are not sent either.
#[test]
fn an_empty_acl_is_refused_naming_the_node_it_was_for() {
    let mut h = connected("a/app");
    let empty_acl_on = |path: &str| {
        Err(SubmitError::EmptyAcl {
            path: path.into(),
            chroot: Some("/app".into()),
        })
    };
    let create = Request::Create {
        path: "/c".into(),
        data: bytes::Bytes::new(),
        acl: Vec::new(),
        mode: CreateMode::Persistent,
        ttl: None,
        with_stat: false,
    };
    assert_eq!(h.session.submit(create, h.now), empty_acl_on("/c"));
    let set_acl = Request::SetAcl {
        path: "/s".into(),
        acl: Vec::new(),
        version: Version::Any,
    };
    assert_eq!(h.session.submit(set_acl, h.now), empty_acl_on("/s"));
    let create_op = |path: &str, acl| {
        zk_proto::MultiOp::create(
            path,
            bytes::Bytes::new(),
            acl,
            CreateMode::Persistent,
            None,
            false,
        )
        .unwrap()
    };
    let multi = Request::Multi(vec![
        create_op("/first", zk_proto::Acl::open_unsafe()),
        create_op("/m", Vec::new()),
    ]);
    assert_eq!(h.session.submit(multi, h.now), empty_acl_on("/m"));
    assert!(requests(&h.flush()).is_empty(), "nothing was sent");
    let message = empty_acl_on("/m").unwrap_err().to_string();
    assert_eq!(
        message,
        "empty ACL list on /m (under chroot /app): pass at least one entry, e.g. zk_proto::Acl::open_unsafe()"
    );
}
