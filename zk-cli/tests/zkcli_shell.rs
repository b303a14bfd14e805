//! zkcli's interactive shell against a real server: as a script on stdin (output,
//! failures that do not stop it, connect/close/history/quit, events between
//! commands, a session kept alive while idle), and on a pseudo-terminal (completion
//! of commands and znode paths, events at the prompt, the history file).

#[path = "pty/terminal.rs"]
mod pty;
#[path = "common/shell.rs"]
mod shell;
#[path = "zkcli_support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use pty::Terminal;
use shell::ShellProcess;
use support::{Json, Run, json_lines, run_zkcli};
use zk_blocking::{Client, CreateMode, Error, Options, Version};
use zk_tests::shared_standalone;

fn hosts() -> String {
    shared_standalone().connect_string()
}

fn client() -> Client {
    Client::connect(&hosts(), Options::default()).expect("connecting a test client")
}

/// Creates `path` with `data`, or resets the data of an existing one.
fn ensure(zk: &mut Client, path: &str, data: &str) {
    match zk.create(path, data, CreateMode::Persistent) {
        Ok(_) => {}
        Err(Error::NodeExists { .. }) => {
            zk.set_data(path, data, Version::Any)
                .expect("resetting a node");
        }
        Err(e) => panic!("creating {path}: {e}"),
    }
}

/// The shell on the shared server, fed `script` on stdin.
fn shell_script(global: &[&str], script: &str) -> Run {
    let hosts = hosts();
    let mut args = vec!["-server", hosts.as_str()];
    args.extend_from_slice(global);
    run_zkcli(&args, Some(script.as_bytes()))
}

#[test]
fn a_script_on_stdin_prints_what_one_shot_commands_print() {
    client().delete("/shell-script", Version::Any).ok();
    let run = shell_script(
        &[],
        "create /shell-script hello\n\
         get /shell-script\n\
         set /shell-script 'two words'\n\
         get /shell-script\n\
         getAllChildrenNumber /shell-script\n",
    );
    assert_eq!(run.ok(), "Created /shell-script\nhello\ntwo words\n0\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_failed_command_prints_its_error_and_the_script_goes_on() {
    let mut zk = client();
    zk.delete("/shell-after", Version::Any).ok();
    let run = shell_script(
        &[],
        "get /shell-missing\n\
         lss /\n\
         create /shell-after y\n\
         get /shell-after\n",
    );
    assert_eq!(run.text(), "Created /shell-after\ny\n");
    assert!(
        run.stderr.contains("NoNode: /shell-missing"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("similar subcommand exists: 'ls'"),
        "{}",
        run.stderr
    );
    // The exit status is the last failure's: 2 for the typo.
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_clean_script_exits_0_and_quit_ends_it() {
    let run = shell_script(&[], "ls /zookeeper\nquit\ncreate /shell-never-created\n");
    assert_eq!(run.ok(), "config\nquota\n");
    assert_eq!(client().exists("/shell-never-created").unwrap(), None);
}

#[test]
fn close_and_connect_switch_sessions() {
    let mut zk = client();
    ensure(&mut zk, "/shell-conn", "");
    ensure(&mut zk, "/shell-conn/inside", "");
    let script = format!(
        "close\n\
         ls /shell-conn\n\
         connect {}/shell-conn\n\
         ls /\n\
         history\n",
        hosts()
    );
    let run = shell_script(&[], &script);
    assert!(run.stderr.contains("not connected"), "{}", run.stderr);
    let history = format!(
        "0 - close\n1 - ls /shell-conn\n2 - connect {}/shell-conn\n3 - ls /\n4 - history\n",
        hosts()
    );
    assert_eq!(run.text(), format!("inside\n{history}"));
}

#[test]
fn history_and_redo_number_lines_as_zkcli_sh_does() {
    let run = shell_script(
        &[],
        "ls /zookeeper\n\
         lss\n\
         redo 0\n\
         redo 9\n\
         redo 3\n\
         addauth digest history-user:secret\n\
         setAcl --hash-password /shell-no-such-node digest:u:secret:r\n\
         history\n",
    );
    // Failed lines keep their numbers; a redo is recorded as the command it ran.
    assert_eq!(
        run.text(),
        "config\nquota\nconfig\nquota\n\
         0 - ls /zookeeper\n1 - lss\n2 - ls /zookeeper\n3 - redo 9\n4 - redo 3\n\
         5 - addauth digest ***\n6 - setAcl --hash-password ***\n7 - history\n"
    );
    assert!(
        run.stderr.contains("redo 9: there is no command 9")
            && run.stderr.contains("redo 3: line 3 is a redo that failed"),
        "{run:?}"
    );
}

#[test]
fn addauth_gives_the_live_session_access_to_a_node_guarded_by_digest() {
    let hosts = hosts();
    client().delete("/shell-bobs", Version::Any).ok();
    let create = [
        "-server",
        &hosts,
        "--auth",
        "digest:bob:pw",
        "create",
        "/shell-bobs",
        "secret",
        "auth::cdrwa",
    ];
    run_zkcli(&create, None).ok();
    let run = shell_script(
        &[],
        "get /shell-bobs\n\
         addauth digest bob:pw\n\
         get /shell-bobs\n\
         getAcl /shell-bobs\n",
    );
    assert!(run.stderr.contains("NoAuth: /shell-bobs"), "{run:?}");
    assert!(
        run.stderr.contains("addauth"),
        "the advice names addauth: {run:?}"
    );
    let text = run.text();
    assert!(
        text.starts_with("secret\n'digest,'bob:") && text.ends_with("\n: cdrwa\n"),
        "{text}"
    );
}

#[test]
fn help_lists_the_shell_commands_and_each_command_has_its_own() {
    let run = shell_script(&[], "help\nhelp connect\nget --help\n");
    let text = run.ok();
    for name in [
        "addauth",
        "removewatches",
        "printwatches",
        "connect",
        "close",
        "quit",
        "history",
        "ls",
        "addWatch",
        "ruok",
    ] {
        assert!(text.contains(&format!("  {name}")), "{name}: {text}");
    }
    assert!(text.contains("usage: connect [HOSTS]"), "{text}");
    assert!(text.contains("usage: zkcli [GLOBAL OPTIONS] get"), "{text}");
}

#[test]
fn with_json_results_and_failures_are_objects() {
    let mut zk = client();
    ensure(&mut zk, "/shell-json", "j");
    let run = shell_script(&["--json"], "get /shell-json\nget /shell-json-missing\n");
    let results = json_lines(&run.text());
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].get("data").str(), "j");
    let failure = Json::parse(&run.stderr).expect("one JSON object on stderr");
    assert_eq!(failure.get("error").str(), "NoNode");
    assert_eq!(failure.get("path").str(), "/shell-json-missing");
    assert_eq!(run.code, 1);
}

#[test]
fn json_on_a_shell_line_is_refused_with_where_it_goes() {
    let run = shell_script(&[], "ls /zookeeper --json\nls /zookeeper\n");
    assert_eq!(run.text(), "config\nquota\n");
    assert!(
        run.stderr
            .contains("in the shell, --json is for the whole session: start it with zkcli --json"),
        "{run:?}"
    );
}

#[test]
fn data_from_stdin_is_refused_because_stdin_holds_the_script() {
    let run = shell_script(&[], "create /shell-stdin -\nls /zookeeper\n");
    assert!(run.stderr.contains("stdin holds the commands"), "{run:?}");
    assert_eq!(run.text(), "config\nquota\n");
    assert_eq!(client().exists("/shell-stdin").unwrap(), None);
}

#[test]
fn watch_events_are_printed_as_they_arrive_between_commands() {
    let mut zk = client();
    ensure(&mut zk, "/shell-watched", "before");
    let mut shell = ShellProcess::start(&hosts(), &[]);
    shell.send("get -w /shell-watched");
    assert_eq!(shell.next_line(), "before");
    zk.set_data("/shell-watched", "after", Version::Any)
        .unwrap();
    assert_eq!(
        shell.next_line(),
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/shell-watched"
    );
    shell.send("get /shell-watched");
    assert_eq!(shell.next_line(), "after");
    assert_eq!(shell.quit(), 0);
}

/// A script's own change fires its watch during the command: the event comes right
/// after that command's output (not some commands later), and the end of the script
/// does not drop it.
#[test]
fn in_a_script_an_event_the_command_brought_follows_it_and_is_not_lost_at_the_end() {
    let mut zk = client();
    ensure(&mut zk, "/shell-own-change", "v1");
    let event = "WatchedEvent state:SyncConnected type:NodeDataChanged path:/shell-own-change";
    let run = shell_script(
        &[],
        "get -w /shell-own-change\n\
         set /shell-own-change v2\n\
         get -w /shell-own-change\n\
         set /shell-own-change v3\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.text(), format!("v1\n{event}\nv2\n{event}\n"), "{run:?}");
}

#[test]
fn removewatches_ends_a_persistent_watch_without_closing_the_session() {
    let mut zk = client();
    ensure(&mut zk, "/shell-unwatched", "v1");
    let mut shell = ShellProcess::start(&hosts(), &[]);
    shell.send("addWatch -m persistent /shell-unwatched");
    shell.send("get /shell-unwatched");
    assert_eq!(shell.next_line(), "v1");
    zk.set_data("/shell-unwatched", "v2", Version::Any).unwrap();
    assert_eq!(
        shell.next_line(),
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/shell-unwatched"
    );
    shell.send("removewatches /shell-unwatched");
    assert_eq!(
        shell.next_line(),
        "WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/shell-unwatched"
    );
    zk.set_data("/shell-unwatched", "v3", Version::Any).unwrap();
    shell.send("get /shell-unwatched");
    assert_eq!(shell.next_line(), "v3", "no event after the removal");
    shell.send("removewatches /shell-unwatched -c");
    assert!(
        shell
            .next_error_line()
            .starts_with("zkcli: NoWatcher: /shell-unwatched")
    );
    assert_eq!(shell.end_input(), 1);
}

#[test]
fn printwatches_off_keeps_events_from_being_printed() {
    let mut zk = client();
    ensure(&mut zk, "/shell-quiet", "v1");
    let mut shell = ShellProcess::start(&hosts(), &[]);
    shell.send("printwatches off");
    shell.send("get -w /shell-quiet");
    assert_eq!(shell.next_line(), "v1");
    zk.set_data("/shell-quiet", "v2", Version::Any).unwrap();
    // Long enough for the event to arrive and not be printed.
    thread::sleep(Duration::from_millis(500));
    shell.send("printwatches");
    assert_eq!(shell.next_line(), "printwatches is off");
    shell.send("printwatches on");
    shell.send("get -w /shell-quiet");
    assert_eq!(shell.next_line(), "v2");
    zk.set_data("/shell-quiet", "v3", Version::Any).unwrap();
    assert_eq!(
        shell.next_line(),
        "WatchedEvent state:SyncConnected type:NodeDataChanged path:/shell-quiet"
    );
    assert_eq!(shell.quit(), 0);
}

#[test]
fn an_idle_shell_keeps_its_session_and_ephemeral_nodes() {
    let mut zk = client();
    zk.delete("/shell-ephemeral", Version::Any).ok();
    let mut shell = ShellProcess::start(&hosts(), &["-timeout", "2000"]);
    shell.send("create -e /shell-ephemeral");
    assert_eq!(shell.next_line(), "Created /shell-ephemeral");
    // Twice the session timeout with no command: the session must still be there.
    thread::sleep(Duration::from_secs(4));
    assert!(zk.exists("/shell-ephemeral").unwrap().is_some());
    shell.send("close");
    shell.send("ls /zookeeper");
    assert_eq!(shell.quit(), 1, "ls after close fails: not connected");
    assert_eq!(zk.exists("/shell-ephemeral").unwrap(), None);
}

#[test]
fn on_a_terminal_tab_completes_command_names_and_znode_paths() {
    let mut zk = client();
    ensure(&mut zk, "/pty-completion", "");
    ensure(&mut zk, "/pty-completion/beta", "beta-data");
    let home = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts()]);
    terminal.shows("(CONNECTED) 0]");
    terminal.types(r"sta\t/pty-completion/be\t\n");
    terminal.shows("dataLength = 9");
    terminal.types(r"get /pty-compl\t/b\t\n");
    terminal.shows("beta-data");
    // Ctrl-D ends the shell only at an empty prompt, not while a command runs.
    terminal.shows("(CONNECTED) 2]");
    assert_eq!(terminal.close(), "exit 0");
    let history = std::fs::read_to_string(home.path().join(".zkcli_history")).unwrap();
    assert!(
        history.contains("stat /pty-completion/beta\n")
            && history.contains("get /pty-completion/beta\n"),
        "{history}"
    );
}

#[test]
fn on_a_terminal_lines_with_passwords_are_kept_out_of_the_history_file() {
    let home = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts()]);
    terminal.types(r"addauth digest carol:hush\n");
    terminal.shows("(CONNECTED) 1]");
    terminal.types(r"create --hash-password /pty-carols d digest:carol:hush:cdrwa\n");
    terminal.shows("Created /pty-carols");
    terminal.shows("(CONNECTED) 2]");
    terminal.types(r"whoami\n");
    terminal.shows("digest: carol");
    terminal.shows("(CONNECTED) 3]");
    assert_eq!(terminal.close(), "exit 0");
    let history = std::fs::read_to_string(home.path().join(".zkcli_history")).unwrap();
    assert!(
        history.contains("whoami") && !history.contains("hush"),
        "{history}"
    );
}

#[test]
fn on_a_terminal_history_numbers_this_sessions_lines_as_the_prompts_did() {
    let home = tempfile::tempdir().unwrap();
    // Earlier sessions' lines, for the Up arrow; not part of this session's numbering.
    std::fs::write(home.path().join(".zkcli_history"), "#V2\nget /earlier\n").unwrap();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts()]);
    terminal.types(r"ls /zookeeper\n");
    terminal.shows("(CONNECTED) 1]");
    terminal.types(r"history\n");
    terminal.shows("0 - ls /zookeeper");
    terminal.shows("1 - history");
    terminal.shows("(CONNECTED) 2]");
    assert_eq!(terminal.close(), "exit 0");
}

#[test]
fn on_a_terminal_ctrl_c_stops_the_running_command_and_keeps_the_session() {
    let mut zk = client();
    ensure(&mut zk, "/pty-interrupted", "v1");
    let home = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts()]);
    terminal.types(r"create -e /pty-interrupted/mine x\n");
    terminal.shows("(CONNECTED) 1]");
    terminal.types(r"watch --for 600 /pty-interrupted\n");
    // An event shows the command runs (and the terminal is its, not the editor's);
    // changes go on until then, as the watch is set some time after the line is typed.
    let seen = Arc::new(AtomicBool::new(false));
    let changing = {
        let seen = Arc::clone(&seen);
        thread::spawn(move || {
            while !seen.load(Ordering::Relaxed) {
                zk.set_data("/pty-interrupted", "v2", Version::Any).unwrap();
                thread::sleep(Duration::from_millis(200));
            }
        })
    };
    terminal.shows("type:NodeDataChanged path:/pty-interrupted");
    seen.store(true, Ordering::Relaxed);
    changing.join().unwrap();
    terminal.types(r"\x03");
    terminal.shows("zkcli: interrupted: stopped by Ctrl-C; the session goes on");
    terminal.shows("(CONNECTED) 2]");
    terminal.types(r"ls /pty-interrupted\n");
    terminal.shows("mine");
    terminal.shows("(CONNECTED) 3]");
    assert_eq!(
        terminal.close(),
        "exit 130",
        "the last failure was the Ctrl-C"
    );
}

#[test]
fn on_a_terminal_watch_events_are_printed_at_the_prompt() {
    let mut zk = client();
    ensure(&mut zk, "/pty-watched", "v1");
    let home = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::start(home.path(), &["-server", &hosts()]);
    terminal.types(r"get -w /pty-watched\n");
    terminal.shows("v1");
    terminal.shows("(CONNECTED) 1]");
    zk.set_data("/pty-watched", "v2", Version::Any).unwrap();
    terminal.shows("type:NodeDataChanged path:/pty-watched");
    assert_eq!(terminal.close(), "exit 0");
}

#[test]
fn a_failed_connect_keeps_the_working_session() {
    let nowhere = format!("127.0.0.1:{}", zk_tests::free_port().expect("a free port"));
    let run = shell_script(
        &["-timeout", "1000"],
        &format!(
            "create -e /shell-kept\nconnect {nowhere}\nls /zookeeper\nstat /shell-kept\nruok\n"
        ),
    );
    assert!(run.stderr.contains("unreachable"), "{run:?}");
    assert!(run.stderr.contains(&nowhere), "{run:?}");
    // The session, its ephemeral node and its hosts (ruok's) are those of before.
    let text = run.text();
    assert!(
        text.starts_with("Created /shell-kept\nconfig\nquota\ncZxid = ")
            && text.ends_with("imok\n"),
        "{text}"
    );
    assert_eq!(run.code, 3, "the last failure was the unreachable connect");
}

#[test]
fn connect_without_hosts_opens_a_new_session_on_the_same_ones() {
    let run = shell_script(
        &[],
        "create -e /shell-reconnected\nclose\nconnect\nstat /shell-reconnected\nls /zookeeper\n",
    );
    assert_eq!(run.text(), "Created /shell-reconnected\nconfig\nquota\n");
    assert!(
        run.stderr.starts_with("zkcli: NoNode: /shell-reconnected"),
        "the ephemeral node went with the closed session: {run:?}"
    );
}

#[test]
fn a_shell_started_before_its_server_connects_once_the_server_is_up() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    server.stop().unwrap();
    let mut shell = ShellProcess::start(&server.connect_string(), &["-timeout", "2000"]);
    let unreachable = shell.next_error_line();
    assert!(
        unreachable.starts_with("zkcli: unreachable: ") && unreachable.contains("keeps trying"),
        "{unreachable}"
    );
    shell.send("ls /zookeeper");
    let waited = shell.next_error_line();
    assert!(
        waited.starts_with("zkcli: unreachable: no server of") && waited.contains("keeps trying"),
        "{waited}"
    );
    server.restart().unwrap();
    assert_eq!(
        shell
            .stdout
            .recv_timeout(pty::PATIENCE * 2)
            .expect("connected in time"),
        "WatchedEvent state:SyncConnected type:None path:null"
    );
    shell.send("ls /zookeeper");
    assert_eq!(shell.next_line(), "config");
    assert_eq!(
        shell.end_input(),
        3,
        "the last failure was the unreachable start"
    );
}

#[test]
fn in_the_shell_watch_without_a_limit_is_refused_and_with_one_runs() {
    let mut zk = client();
    ensure(&mut zk, "/shell-limited", "quiet");
    let run = shell_script(
        &[],
        "watch /shell-limited\nwatch --for 0.2 /shell-limited\nget /shell-limited\n",
    );
    assert_eq!(
        run.stderr.matches("watch needs --count or --for").count(),
        1,
        "{run:?}"
    );
    assert_eq!(run.text(), "quiet\n");
}

#[test]
fn when_its_session_ends_the_shell_says_so_on_stderr_and_goes_on() {
    let mut server =
        zk_tests::ZkServer::start_standalone(&zk_tests::ServerOptions::default()).unwrap();
    let mut shell = ShellProcess::start(&server.connect_string(), &["-timeout", "2000"]);
    shell.send("ls /zookeeper");
    assert_eq!(shell.next_line(), "config");
    server.kill().unwrap();
    let ended = shell.next_error_line();
    assert!(ended.starts_with("zkcli: SessionExpired"), "{ended}");
    shell.send("ls /");
    let unconnected = shell.next_error_line();
    assert!(
        unconnected.starts_with("zkcli: not connected: ") && unconnected.contains("`connect`"),
        "{unconnected}"
    );
    assert!(
        !unconnected.contains("--help"),
        "not a usage error: {unconnected}"
    );
    assert_eq!(shell.end_input(), 1);
}
