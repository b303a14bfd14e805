//! Breadth: every operation is encoded as the server expects and its reply typed.

mod common;

use bytes::Bytes;
use std::time::Duration;
use zk_proto::{CreateMode, ErrorCode, GetDataResponse};
use zk_session::Version;
use zk_session::testing::FakeServer;
use zk_session::{Request, Response, SubmitError};

use common::{HarnessExt, connected, replies, stat};

/// A request, its op code, its server path, the server's body and the typed result.
type OpCase = (
    Request,
    i32,
    Option<&'static str>,
    Option<zk_proto::WireResponse>,
    Response,
);

#[test]
fn every_op_is_encoded_and_its_result_typed() {
    use zk_proto::WireResponse as R;
    let mut h = connected("a/ch");
    let acl = zk_proto::Acl::open_unsafe();
    let cases: Vec<OpCase> = vec![
        (
            Request::delete("/d", Version::Exact(3)),
            2,
            Some("/ch/d"),
            None,
            Response::Delete,
        ),
        (
            Request::exists("/e", false),
            3,
            Some("/ch/e"),
            Some(R::Exists(zk_proto::ExistsResponse { stat: stat(1) })),
            Response::Exists(Some(stat(1))),
        ),
        (
            Request::GetAcl { path: "/g".into() },
            6,
            Some("/ch/g"),
            Some(R::GetAcl(zk_proto::GetAclResponse {
                acl: acl.clone(),
                stat: stat(2),
            })),
            Response::GetAcl {
                acl: acl.clone(),
                stat: stat(2),
            },
        ),
        (
            Request::SetAcl {
                path: "/s".into(),
                acl: acl.clone(),
                version: Version::Any,
            },
            7,
            Some("/ch/s"),
            Some(R::SetAcl(zk_proto::SetAclResponse { stat: stat(3) })),
            Response::SetAcl(stat(3)),
        ),
        (
            Request::GetChildren {
                path: "/c".into(),
                watch: false,
                with_stat: true,
            },
            12,
            Some("/ch/c"),
            Some(R::GetChildren2(zk_proto::GetChildren2Response {
                children: vec!["k".into()],
                stat: stat(4),
            })),
            Response::GetChildren {
                children: vec!["k".into()],
                stat: Some(stat(4)),
            },
        ),
        (
            Request::Sync { path: "/y".into() },
            9,
            Some("/ch/y"),
            Some(R::Sync(zk_proto::SyncResponse {
                path: "/ch/y".into(),
            })),
            // the client path, as C strips it and Java's callback reports it
            Response::Sync { path: "/y".into() },
        ),
        (
            Request::Reconfig {
                joining: Some("server.4=h:2888:3888".into()),
                leaving: None,
                new_members: None,
                config_id: None,
            },
            16,
            None,
            Some(R::Reconfig(GetDataResponse {
                data: Bytes::from_static(b"cfg"),
                stat: stat(5),
            })),
            Response::Reconfig {
                data: Bytes::from_static(b"cfg"),
                stat: stat(5),
            },
        ),
        (
            Request::WhoAmI,
            107,
            None,
            Some(R::WhoAmI(zk_proto::WhoAmIResponse {
                client_info: vec![zk_proto::ClientInfo {
                    auth_scheme: "ip".into(),
                    user: "127.0.0.1".into(),
                }],
            })),
            Response::WhoAmI(vec![zk_proto::ClientInfo {
                auth_scheme: "ip".into(),
                user: "127.0.0.1".into(),
            }]),
        ),
        (
            Request::GetEphemerals { prefix: "/".into() },
            103,
            Some("/"),
            Some(R::GetEphemerals(zk_proto::GetEphemeralsResponse {
                ephemerals: vec!["/ch/e1".into()],
            })),
            Response::GetEphemerals(vec!["/ch/e1".into()]),
        ),
        (
            Request::GetAllChildrenNumber { path: "/n".into() },
            104,
            Some("/ch/n"),
            Some(R::GetAllChildrenNumber(
                zk_proto::GetAllChildrenNumberResponse { total_number: 12 },
            )),
            Response::GetAllChildrenNumber(12),
        ),
        (
            Request::Create {
                path: "/t".into(),
                data: Bytes::new(),
                acl: acl.clone(),
                mode: CreateMode::PersistentWithTtl,
                ttl: Some(Duration::from_secs(60)),
                with_stat: false,
            },
            21,
            Some("/ch/t"),
            Some(R::Create2(zk_proto::Create2Response {
                path: "/ch/t".into(),
                stat: stat(6),
            })),
            Response::Create {
                path: "/t".into(),
                stat: Some(stat(6)),
            },
        ),
    ];
    for (req, op, path, body, want) in cases {
        let (id, sent) = h.submit_and_flush(req);
        assert_eq!(sent.request().op_code().to_i32(), op);
        if path.is_some() {
            assert_eq!(sent.request().path(), path);
        }
        let frame = match &body {
            Some(b) => FakeServer::ok(sent.xid(), 10, b),
            None => FakeServer::reply(sent.xid(), 10, ErrorCode::Ok, None),
        };
        h.deliver(&frame);
        assert_eq!(replies(&h.events).last().unwrap(), &(id, Ok(want)));
    }
    // empty ACLs never leave the client
    assert_eq!(
        h.session.submit(
            Request::SetAcl {
                path: "/s".into(),
                acl: vec![],
                version: Version::Any
            },
            h.now
        ),
        Err(SubmitError::EmptyAcl {
            path: "/s".into(),
            chroot: Some("/ch".into())
        })
    );
}

#[test]
fn multi_read_has_independent_results() {
    let mut h = connected("a");
    let ops = vec![
        zk_proto::MultiOp::GetData(zk_proto::GetDataRequest {
            path: "/x".into(),
            watch: false,
        }),
        zk_proto::MultiOp::GetChildren(zk_proto::GetChildrenRequest {
            path: "/y".into(),
            watch: false,
        }),
    ];
    let (id, sent) = h.submit_and_flush(Request::MultiRead(ops));
    assert_eq!(sent.request().op_code().to_i32(), 22);
    let results = vec![
        zk_proto::MultiResult::GetData(Box::new(GetDataResponse {
            data: Bytes::from_static(b"1"),
            stat: stat(1),
        })),
        zk_proto::MultiResult::Error(ErrorCode::NoNode),
    ];
    h.deliver(&FakeServer::ok(
        sent.xid(),
        3,
        &zk_proto::WireResponse::Multi(zk_proto::MultiResponse {
            results: results.clone(),
        }),
    ));
    assert_eq!(
        replies(&h.events),
        vec![(id, Ok(Response::MultiRead(results)))]
    );
}

/// A multi reply whose results are not of its ops' kinds (or not one per op) is the
/// server's fault, not the caller's: the connection drops as for any reply that does
/// not fit its request, and the request fails with ConnectionLoss (it may or may not
/// have been applied); the session reconnects.
#[test]
fn a_multi_reply_whose_results_do_not_match_its_ops_drops_the_connection() {
    let delete = zk_proto::MultiOp::Delete(zk_proto::DeleteRequest {
        path: "/d".into(),
        version: -1,
    });
    let read_result =
        zk_proto::MultiResult::GetChildren(zk_proto::GetChildrenResponse { children: vec![] });
    for results in [
        vec![read_result],
        vec![],
        vec![zk_proto::MultiResult::Delete; 2],
    ] {
        let mut h = connected("a");
        let (id, sent) = h.submit_and_flush(Request::Multi(vec![delete.clone()]));
        h.deliver(&FakeServer::ok(
            sent.xid(),
            3,
            &zk_proto::WireResponse::Multi(zk_proto::MultiResponse { results }),
        ));
        assert_eq!(
            replies(&h.events),
            vec![(id, Err(zk_session::RequestError::ConnectionLoss))]
        );
        assert!(
            matches!(common::closes(&h)[..], [zk_session::CloseReason::Decode(_)]),
            "{:?}",
            common::closes(&h)
        );
    }
}
