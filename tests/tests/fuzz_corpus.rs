//! Replays the committed fuzz seeds (`fuzz/seeds/<target>/`, including reproducers of
//! crashes once fixed) through the fuzz target bodies of `zk_tests::fuzzing`, on the
//! stable toolchain. `ZK_WRITE_SEEDS=1 cargo test -p zk-tests --test fuzz_corpus`
//! rewrites the generated seeds first. `ZK_FUZZ_TARGET=session ZK_FUZZ_INPUT=crash-...
//! ZK_FUZZ_TRACE=1 cargo test -p zk-tests --test fuzz_corpus one_input -- --nocapture`
//! runs one file (a crash artifact, say), printing every step of the session targets.

use std::path::{Path, PathBuf};

use zk_tests::fuzzing;

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target)
}

fn write_seeds_if_asked(only: &str) {
    if std::env::var_os("ZK_WRITE_SEEDS").is_none() {
        return;
    }
    for (target, seeds) in fuzzing::seeds::all() {
        if target != only {
            continue;
        }
        let dir = seeds_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

fn replay(target: &str) {
    write_seeds_if_asked(target);
    let f = fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .expect("target listed");
    let dir = seeds_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = std::panic::catch_unwind(|| f(&data)) {
            std::panic::resume_unwind(Box::new(format!(
                "{target} seed {name} broke an invariant: {}",
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )));
        }
    }
}

#[test]
fn frame_seeds() {
    replay("frame");
}

#[test]
fn decode_seeds() {
    replay("decode");
}

#[test]
fn session_seeds() {
    replay("session");
}

#[test]
fn session_server_seeds() {
    replay("session_server");
}

#[test]
fn one_input() {
    let (Some(target), Some(path)) = (
        std::env::var_os("ZK_FUZZ_TARGET"),
        std::env::var_os("ZK_FUZZ_INPUT"),
    ) else {
        return;
    };
    let target = target.to_string_lossy();
    let f = fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .expect("ZK_FUZZ_TARGET names a target");
    f(&std::fs::read(path).unwrap());
}
