//! The front door: the quick starts of the README, the crate READMEs and the crate docs
//! are the `quick_start` examples, word for word, and those examples work as written
//! against a fresh server (built and run by cargo, the way a user runs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use zk_blocking::{Client, Options};

fn workspace_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_file(relative))
        .unwrap_or_else(|e| panic!("reading {relative}: {e}"))
}

/// An example's program: its text after the `//!` header that says what it is for.
fn example_body(relative: &str) -> String {
    let text = read(relative);
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| l.starts_with("//!"))
        .skip_while(|l| l.is_empty())
        .collect();
    body.join("\n")
}

/// The program as a `///`-free crate doc shows it: every line behind `//! `.
fn as_crate_doc(body: &str) -> String {
    body.lines()
        .map(|l| {
            if l.is_empty() {
                "//!".to_string()
            } else {
                format!("//! {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_shows(document: &str, example: &str, shown: &str) {
    let text = read(document);
    assert!(
        text.contains(shown),
        "{document} does not show {example} as it is: copy the example's program (without \
         its //! header) into {document}'s quick start"
    );
}

#[test]
fn the_quick_starts_shown_are_the_examples_word_for_word() {
    let blocking = "zk-blocking/examples/quick_start.rs";
    let shared = "zk-blocking/examples/quick_start_shared.rs";
    let external = "zk-blocking/examples/quick_start_external.rs";
    let tokio = "zk-tokio/examples/tokio_quick_start.rs";
    let recipes = "zk-recipes/examples/recipes_quick_start.rs";
    for (document, example) in [
        ("README.md", blocking),
        ("README.md", tokio),
        ("zk-blocking/README.md", blocking),
        ("zk-blocking/README.md", shared),
        ("zk-blocking/README.md", external),
        ("zk-tokio/README.md", tokio),
        ("zk-recipes/README.md", recipes),
    ] {
        let block = format!("```rust,no_run\n{}\n```", example_body(example));
        assert_shows(document, example, &block);
    }
    for (document, example) in [
        ("zk-blocking/src/lib.rs", blocking),
        ("zk-blocking/src/lib.rs", shared),
        ("zk-blocking/src/lib.rs", external),
        ("zk-tokio/src/lib.rs", tokio),
        ("zk-recipes/src/lib.rs", recipes),
    ] {
        let block = format!(
            "//! ```no_run\n{}\n//! ```",
            as_crate_doc(&example_body(example))
        );
        assert_shows(document, example, &block);
    }
}

/// Runs `cargo run -q -p PACKAGE --example NAME -- HOSTS` and returns its stdout; a
/// failed build or run fails the test with cargo's and the program's output.
fn run_example(package: &str, name: &str, hosts: &str) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(workspace_file(""))
        .args(["run", "-q", "-p", package, "--example", name, "--", hosts])
        .output()
        .unwrap_or_else(|e| panic!("running cargo: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`cargo run -p {package} --example {name}` failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Whether `path` exists on the server, as another session sees it.
fn exists(hosts: &str, path: &str) -> bool {
    let mut zk = Client::connect(hosts, Options::new()).expect("connecting to check");
    let found = zk.exists(path).expect("exists").is_some();
    zk.close();
    found
}

#[test]
fn the_blocking_quick_start_sees_its_own_change_and_leaves_nothing_behind() {
    let hosts = zk_tests::shared_standalone().connect_string();
    let out = run_example("zk-blocking", "quick_start", &hosts);
    assert_eq!(out, "read hello\nNodeDataChanged on /quick-start\n");
    assert!(
        !exists(&hosts, "/quick-start"),
        "the ephemeral node outlived the session"
    );
}

#[test]
fn the_shared_quick_start_sees_the_change_made_by_another_thread() {
    let hosts = zk_tests::shared_standalone().connect_string();
    let out = run_example("zk-blocking", "quick_start_shared", &hosts);
    assert_eq!(out, "read hello\nNodeDataChanged on /quick-start-shared\n");
    assert!(!exists(&hosts, "/quick-start-shared"));
}

#[test]
fn the_external_quick_start_lists_the_root_from_its_own_event_loop() {
    let hosts = zk_tests::shared_standalone().connect_string();
    let out = run_example("zk-blocking", "quick_start_external", &hosts);
    assert_eq!(
        out,
        "GetChildren { children: [\"zookeeper\"], stat: None }\n"
    );
}

#[test]
fn the_async_quick_start_sees_the_change_made_by_another_task() {
    let hosts = zk_tests::shared_standalone().connect_string();
    let out = run_example("zk-tokio", "tokio_quick_start", &hosts);
    assert_eq!(out, "read hello\nNodeDataChanged on /quick-start-async\n");
    assert!(!exists(&hosts, "/quick-start-async"));
}

#[test]
fn the_recipes_quick_start_takes_and_releases_its_lock_and_cleans_up() {
    let hosts = zk_tests::shared_standalone().connect_string();
    let out = run_example("zk-recipes", "recipes_quick_start", &hosts);
    assert_eq!(out, "holding the lock\n");
    assert!(
        !exists(&hosts, "/quick-start"),
        "delete_all left the lock's tree"
    );
}
