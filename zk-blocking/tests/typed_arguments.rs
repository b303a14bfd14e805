//! Arguments written the way a new user writes them, against real servers: node data
//! borrowed or owned, `Version::Any` / `Version::Exact`, TTLs as `Duration`s, the ACL
//! constructors and credentials from borrowed strings.

use std::time::{Duration, Instant};
use zk_test_support::assert_matches;

use zk_blocking::{
    Acl, Bytes, Client, CreateMode, CreateOptions, Error, Event, EventType, Options, Version,
};

fn options() -> Options {
    Options::new().session_timeout(Duration::from_secs(10))
}

fn connect() -> Client {
    Client::connect(&zk_tests::shared_standalone().connect_string(), options())
        .expect("connecting to the shared server")
}

/// A path no other test of this process uses.
fn unique(name: &str) -> String {
    format!("/typed-{name}-{}", std::process::id())
}

#[test]
fn create_takes_a_string_by_reference_and_the_data_round_trips() {
    let mut zk = connect();
    let path = unique("string");
    let value = String::from("config v1");
    zk.create(&path, &value, CreateMode::Ephemeral).unwrap();
    let (data, _) = zk.get_data(&path).unwrap();
    assert_eq!(data, value.as_bytes(), "the node holds the string's bytes");
    assert_eq!(value, "config v1", "the caller still owns its value");
}

#[test]
fn create_takes_owned_and_borrowed_data_of_every_common_shape() {
    let mut zk = connect();
    let root = unique("shapes");
    zk.create(&root, "", CreateMode::Persistent).unwrap();
    let bytes: &[u8] = &[0, 1, 2, 255];
    let vec = vec![9u8; 3];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("str", b"text".to_vec()),
        ("slice", bytes.to_vec()),
        ("vec-ref", vec.clone()),
        ("vec", vec![7u8; 2]),
        ("string", b"owned".to_vec()),
        ("bytes", b"shared".to_vec()),
    ];
    let child = |name: &str| format!("{root}/{name}");
    zk.create(&child("str"), "text", CreateMode::Ephemeral)
        .unwrap();
    zk.create(&child("slice"), bytes, CreateMode::Ephemeral)
        .unwrap();
    zk.create(&child("vec-ref"), &vec, CreateMode::Ephemeral)
        .unwrap();
    zk.create(&child("vec"), vec![7u8; 2], CreateMode::Ephemeral)
        .unwrap();
    zk.create(
        &child("string"),
        String::from("owned"),
        CreateMode::Ephemeral,
    )
    .unwrap();
    zk.create(
        &child("bytes"),
        Bytes::from_static(b"shared"),
        CreateMode::Ephemeral,
    )
    .unwrap();
    for (name, expected) in cases {
        let (data, _) = zk.get_data(&child(name)).unwrap();
        assert_eq!(data, expected, "{name}");
    }
}

#[test]
fn set_data_takes_a_byte_slice_or_a_borrowed_vec() {
    let mut zk = connect();
    let path = unique("set");
    zk.create(&path, "", CreateMode::Ephemeral).unwrap();
    let slice: &[u8] = b"from a slice";
    zk.set_data(&path, slice, Version::Any).unwrap();
    assert_eq!(zk.get_data(&path).unwrap().0, slice);
    let vec: Vec<u8> = b"from a vec".to_vec();
    let stat = zk.set_data(&path, &vec, Version::Any).unwrap();
    assert_eq!(zk.get_data(&path).unwrap().0, vec);
    assert_eq!((stat.version, stat.data_length), (2, vec.len() as i32));
}

#[test]
fn an_exact_version_must_match_and_any_version_always_does() {
    let mut zk = connect();
    let path = unique("versions");
    zk.create(&path, "v0", CreateMode::Ephemeral).unwrap();
    let (_, stat) = zk.get_data(&path).unwrap();
    assert_eq!(stat.version, 0);

    let stale = Version::Exact(stat.version + 1);
    assert_matches!(
        zk.set_data(&path, "x", stale),
        Err(Error::BadVersion { .. })
    );
    assert_eq!(zk.get_data(&path).unwrap().0, "v0", "nothing was written");

    let stat = zk.set_data(&path, "v1", Version::of_data(&stat)).unwrap();
    assert_eq!(stat.version, 1);
    let stat = zk.set_data(&path, "v2", Version::Any).unwrap();
    assert_eq!(stat.version, 2);

    assert_matches!(
        zk.set_acl(&path, Acl::open_unsafe(), Version::Exact(5)),
        Err(Error::BadVersion { .. })
    );
    let acl_stat = zk
        .set_acl(&path, Acl::read_unsafe(), Version::of_acl(&stat))
        .unwrap();
    assert_eq!(acl_stat.aversion, 1);

    assert_matches!(
        zk.delete(&path, Version::Exact(1)),
        Err(Error::BadVersion { .. })
    );
    zk.delete(&path, Version::Any).unwrap();
    assert_eq!(zk.exists(&path).unwrap(), None);
}

#[test]
fn the_acl_constructors_and_borrowed_credentials_guard_nodes() {
    let secret = String::from("typed-user:secret");
    let mut owner = connect();
    owner.add_auth("digest", &secret).unwrap();
    let private = unique("private");
    let readable = unique("readable");
    owner
        .create_with(
            &private,
            "mine",
            &CreateOptions::new(CreateMode::Ephemeral).acl(Acl::creator_all()),
        )
        .unwrap();
    owner
        .create_with(
            &readable,
            "everyone reads",
            &CreateOptions::new(CreateMode::Ephemeral).acl(Acl::read_unsafe()),
        )
        .unwrap();

    let mut stranger = connect();
    assert_matches!(stranger.get_data(&private), Err(Error::NoAuth { .. }));
    assert_eq!(stranger.get_data(&readable).unwrap().0, "everyone reads");
    assert_matches!(
        stranger.set_data(&readable, "no", Version::Any),
        Err(Error::NoAuth { .. })
    );

    let options = options().auth("digest", secret.as_bytes());
    let mut friend =
        Client::connect(&zk_tests::shared_standalone().connect_string(), options).unwrap();
    assert_eq!(friend.get_data(&private).unwrap().0, "mine");
}

#[test]
fn an_empty_acl_is_refused_before_sending_as_invalid_acl_naming_the_constructor() {
    let mut zk = connect();
    let path = unique("no-acl");
    let err = zk
        .create_with(
            &path,
            "",
            &CreateOptions::new(CreateMode::Ephemeral).acl(Vec::new()),
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidAcl { .. }), "{err:?}");
    assert_eq!(err.path(), Some(path.as_str()));
    assert!(err.to_string().contains("Acl::open_unsafe()"), "{err}");
}

#[test]
fn a_ttl_duration_reaches_the_server_in_milliseconds() {
    let server = zk_tests::ZkServer::start_standalone(
        &zk_tests::ServerOptions::default()
            .extended_types(true)
            .container_check_interval(Duration::from_millis(100)),
    )
    .unwrap();
    let mut zk = Client::connect(&server.connect_string(), options()).unwrap();
    let ttl = |d| CreateOptions::new(CreateMode::PersistentWithTtl).ttl(d);
    zk.create_with("/short", "", &ttl(Duration::from_millis(300)))
        .unwrap();
    zk.create_with("/long", "", &ttl(Duration::from_secs(60)))
        .unwrap();
    let (_, watch) = zk.exists_watch("/short").unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the 300 ms node outlived 20 s");
        match zk.next_event(Duration::from_millis(200)).unwrap() {
            Some(Event::Watch(e)) if e.fired(watch) => {
                assert_eq!(e.event_type, EventType::NodeDeleted);
                break;
            }
            _ => {}
        }
    }
    assert!(
        zk.exists("/long").unwrap().is_some(),
        "the 60 s node outlives the cleanup passes that removed the 300 ms one"
    );
    zk.close();
}
