//! The party member machine with every reply scripted: the request it sends next, and
//! the event it ends with.

use zk_blocking::ErrorCode;
use zk_blocking::{Bytes, CreateMode, Error, KeeperState, Request, Response, Version};
use zk_recipes::{PartyEvent, PartyMachine, Recipe, Token};
use zk_test_support::assert_matches;

/// The one request the machine sends now, and its token.
fn sent(m: &mut PartyMachine) -> (Token, Request) {
    let submit = m.poll_submit().expect("a request to submit");
    assert!(m.poll_submit().is_none(), "one request at a time");
    (submit.token, submit.request)
}

/// Answers the request the machine just sent with `reply`, after checking it.
fn expect_then(m: &mut PartyMachine, request: Request, reply: Result<Response, Error>) {
    let (token, got) = sent(m);
    assert_eq!(got, request);
    assert!(m.poll_output().is_none(), "no answer before the reply");
    m.handle_reply(token, reply.map(|r| (r, None)));
}

fn done(m: &mut PartyMachine) -> PartyEvent {
    assert!(m.poll_submit().is_none(), "nothing more to send");
    m.poll_output().expect("an answer")
}

fn create_member(node: &str, identifier: &'static str) -> Request {
    Request::create(
        node,
        Bytes::from_static(identifier.as_bytes()),
        CreateMode::Ephemeral,
    )
}

fn create_parent(path: &str) -> Request {
    Request::create(path, Bytes::new(), CreateMode::Persistent)
}

fn created(path: &str) -> Result<Response, Error> {
    Ok(Response::Create {
        path: path.to_string(),
        stat: None,
    })
}

fn exists() -> Error {
    Error::from_code(ErrorCode::NodeExists)
}

fn no_node() -> Error {
    Error::from_code(ErrorCode::NoNode)
}

fn children(names: &[&str]) -> Result<Response, Error> {
    Ok(Response::GetChildren {
        children: names.iter().map(|n| n.to_string()).collect(),
        stat: None,
    })
}

#[test]
fn a_party_member_is_an_ephemeral_node_named_like_kazoos_holding_its_identifier() {
    let mut m = PartyMachine::party("/p", "worker-1");
    let name = m
        .node_path()
        .strip_prefix("/p/")
        .expect("a child of the party");
    assert_eq!(name.len(), 32 + "__party__".len());
    assert!(name.ends_with("__party__"));
    m.join();
    let node = m.node_path().to_string();
    expect_then(&mut m, create_member(&node, "worker-1"), created(&node));
    assert_eq!(done(&mut m), PartyEvent::Joined);
    assert!(!m.awaiting_replies());
}

#[test]
fn a_shallow_member_names_its_identifier_after_a_unique_prefix() {
    let m = PartyMachine::shallow("/p", "worker-1");
    let name = m
        .node_path()
        .strip_prefix("/p/")
        .expect("a child of the party");
    assert_eq!(&name[32..], "-worker-1");
    assert!(name[..32].bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn a_join_whose_reply_is_lost_creates_the_same_node_again_and_takes_node_exists_as_joined() {
    let mut m = PartyMachine::party("/p", "w");
    m.join();
    let node = m.node_path().to_string();
    expect_then(
        &mut m,
        create_member(&node, "w"),
        Err(Error::ConnectionLoss),
    );
    expect_then(&mut m, create_member(&node, "w"), Err(exists()));
    assert_eq!(done(&mut m), PartyEvent::Joined);
}

#[test]
fn joining_again_while_a_member_is_no_error_and_makes_no_second_node() {
    let mut m = PartyMachine::party("/p", "w");
    m.join();
    let node = m.node_path().to_string();
    expect_then(&mut m, create_member(&node, "w"), created(&node));
    assert_eq!(done(&mut m), PartyEvent::Joined);
    m.join();
    expect_then(&mut m, create_member(&node, "w"), Err(exists()));
    assert_eq!(done(&mut m), PartyEvent::Joined);
}

#[test]
fn a_join_makes_the_missing_party_node_and_its_parents_then_the_member() {
    let mut m = PartyMachine::shallow("/a/p", "w");
    m.join();
    let node = m.node_path().to_string();
    expect_then(&mut m, create_member(&node, "w"), Err(no_node()));
    expect_then(&mut m, create_parent("/a/p"), Err(no_node()));
    expect_then(&mut m, create_parent("/a"), created("/a"));
    expect_then(&mut m, create_parent("/a/p"), created("/a/p"));
    expect_then(&mut m, create_member(&node, "w"), created(&node));
    assert_eq!(done(&mut m), PartyEvent::Joined);
}

#[test]
fn a_leave_whose_reply_is_lost_deletes_again_and_takes_no_node_as_left() {
    let mut m = PartyMachine::party("/p", "w");
    m.leave();
    let delete = Request::delete(m.node_path(), Version::Any);
    expect_then(&mut m, delete.clone(), Err(Error::ConnectionLoss));
    expect_then(&mut m, delete, Err(no_node()));
    assert_eq!(done(&mut m), PartyEvent::Left);
}

#[test]
fn a_party_lists_only_its_marked_children_sorted_and_none_when_the_node_is_missing() {
    let mut m = PartyMachine::party("/p", "w");
    m.list();
    expect_then(
        &mut m,
        Request::get_children("/p", false),
        children(&["b__party__", "lease", "a__party__"]),
    );
    assert_eq!(
        done(&mut m),
        PartyEvent::Listed(vec!["a__party__".into(), "b__party__".into()])
    );
    m.list();
    expect_then(&mut m, Request::get_children("/p", false), Err(no_node()));
    assert_eq!(done(&mut m), PartyEvent::Listed(Vec::new()));
}

#[test]
fn a_shallow_identifier_with_a_slash_is_refused_before_anything_is_sent() {
    let mut m = PartyMachine::shallow("/p", "a/b");
    m.join();
    assert_matches!(done(&mut m), PartyEvent::Failed(Error::InvalidArgument(why)) if why.contains('/'));
}

#[test]
fn the_root_and_relative_paths_are_refused_naming_the_path_before_anything_is_sent() {
    for path in ["/", "rel/p", "/p/"] {
        let mut m = PartyMachine::party(path, "w");
        m.join();
        assert_matches!(done(&mut m), PartyEvent::Failed(Error::InvalidPath { path: named, .. }) if named == path);
        m.list();
        assert_matches!(done(&mut m), PartyEvent::Failed(Error::InvalidPath { .. }));
    }
}

#[test]
fn a_join_under_way_when_the_session_expires_fails_with_session_expired() {
    let mut m = PartyMachine::party("/p", "w");
    m.join();
    let (token, _) = sent(&mut m);
    m.handle_session(KeeperState::Expired);
    assert_eq!(
        m.poll_output(),
        Some(PartyEvent::Failed(Error::SessionExpired))
    );
    // The create's late reply changes nothing.
    m.handle_reply(token, Err(Error::SessionExpired));
    assert_eq!(m.poll_output(), None);
    assert!(!m.awaiting_replies());
}

#[test]
fn a_join_after_a_session_ended_creates_the_member_again() {
    let mut m = PartyMachine::party("/p", "w");
    m.join();
    let node = m.node_path().to_string();
    expect_then(&mut m, create_member(&node, "w"), created(&node));
    assert_eq!(done(&mut m), PartyEvent::Joined);
    m.handle_session(KeeperState::Expired);
    assert_eq!(m.poll_output(), None, "no operation was under way");
    m.join();
    expect_then(&mut m, create_member(&node, "w"), created(&node));
    assert_eq!(done(&mut m), PartyEvent::Joined);
}
