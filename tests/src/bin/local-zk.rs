//! `local-zk`: start a throwaway ZooKeeper on 127.0.0.1 through the test harness, show
//! that it is healthy, and stop it again.
//!
//! ```text
//! local-zk [--ensemble N] [--tls] [--ipv6] [--ttl] [--read-only] [--keep-running]
//! ```
//! With `--ipv6` clients connect on `[::1]` instead of 127.0.0.1. With `--ttl` the
//! servers take TTL nodes (`zookeeper.extendedTypesEnabled`, off by default). With
//! `--read-only` a member cut off from its quorum serves read-only clients
//! (`readonlymode.enabled`, with local sessions so that it starts new ones): stop all but one member of an ensemble to see a client
//! that allows it (`Options::read_only`) become `ConnectedReadOnly`.
//! With `--tls` every member also serves TLS on a secure client port, with
//! certificates made for this run (a CA, the servers', a client's); it prints the
//! secure connect string and the PEM files a client needs.
//! Prints the connect string and each member's `srvr` output. With `--keep-running` the
//! servers run until stdin reaches EOF or the process is interrupted (Ctrl-C); either way
//! (or on any signal that ends the process) the harness's watchdogs stop them and remove
//! their temp dirs.

use std::process::ExitCode;

use zk_tests::{ClientAuth, Ensemble, HarnessError, ServerCert, ServerOptions, TestPki, ZkServer};

const USAGE: &str =
    "usage: local-zk [--ensemble N] [--tls] [--ipv6] [--ttl] [--read-only] [--keep-running]

Starts a throwaway ZooKeeper (standalone, or an ensemble of N members), prints its
connect string and each member's srvr output, then stops it.
  --ensemble N    N members instead of a standalone server
  --tls           a secure client port too, with a CA and client certificate made now
  --ipv6          clients connect on [::1] instead of 127.0.0.1
  --ttl           TTL nodes allowed (zookeeper.extendedTypesEnabled, off by default)
  --read-only     a member cut off from its quorum serves read-only clients
  --keep-running  serve until stdin ends (Ctrl-D) or Ctrl-C";

/// What the command line asked for.
struct Args {
    ensemble_size: Option<u32>,
    tls: bool,
    ipv6: bool,
    ttl: bool,
    read_only: bool,
    keep_running: bool,
}

/// What to do: start servers, or only say how.
enum Request {
    Start(Args),
    Help,
}

fn parse_args() -> Result<Request, String> {
    let mut args = Args {
        ensemble_size: None,
        tls: false,
        ipv6: false,
        ttl: false,
        read_only: false,
        keep_running: false,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        match word.as_str() {
            "--ensemble" => {
                let size = words.next().ok_or("--ensemble needs a member count")?;
                let size: u32 = size
                    .parse()
                    .map_err(|_| format!("--ensemble {size}: not a number"))?;
                if size == 0 {
                    return Err("--ensemble needs at least 1 member".to_owned());
                }
                args.ensemble_size = Some(size);
            }
            "--keep-running" => args.keep_running = true,
            "--tls" => args.tls = true,
            "--ipv6" => args.ipv6 = true,
            "--ttl" => args.ttl = true,
            "--read-only" => args.read_only = true,
            "-h" | "--help" => return Ok(Request::Help),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Request::Start(args))
}

/// Keeps whichever kind was started alive until `main` returns.
enum Running {
    Standalone(Box<ZkServer>),
    Ensemble(Ensemble),
}

impl Running {
    fn start(args: &Args, pki: Option<&TestPki>) -> Result<Running, HarnessError> {
        let mut options = ServerOptions::default();
        if let Some(pki) = pki {
            // Clients may present a certificate; none is required.
            options = options.tls(pki.server(ServerCert::Valid, ClientAuth::None));
        }
        if args.ipv6 {
            options = options.ipv6_loopback();
        }
        options = options
            .extended_types(args.ttl)
            .read_only_mode(args.read_only);
        if args.read_only {
            // A 3.8 read-only member starts new sessions only as local ones.
            options = options.local_sessions(true, true);
        }
        match args.ensemble_size {
            None => ZkServer::start_standalone(&options)
                .map(|server| Running::Standalone(Box::new(server))),
            Some(size) => Ensemble::start(size, &options).map(Running::Ensemble),
        }
    }

    fn members(&self) -> &[ZkServer] {
        match self {
            Running::Standalone(server) => std::slice::from_ref(&**server),
            Running::Ensemble(ensemble) => ensemble.members(),
        }
    }

    fn connect_string(&self) -> String {
        match self {
            Running::Standalone(server) => server.connect_string(),
            Running::Ensemble(ensemble) => ensemble.connect_string(),
        }
    }

    fn secure_connect_string(&self) -> String {
        match self {
            Running::Standalone(server) => server.secure_connect_string(),
            Running::Ensemble(ensemble) => ensemble.secure_connect_string(),
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Request::Start(args)) => args,
        Ok(Request::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("local-zk: {message}");
            return ExitCode::from(2);
        }
    };
    let pki = match args.tls.then(TestPki::generate).transpose() {
        Ok(pki) => pki,
        Err(err) => {
            eprintln!("local-zk: {err}");
            return ExitCode::FAILURE;
        }
    };
    let running = match Running::start(&args, pki.as_ref()) {
        Ok(running) => running,
        Err(err) => {
            eprintln!("local-zk: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("connect string: {}", running.connect_string());
    if let Some(pki) = &pki {
        println!("secure connect string: {}", running.secure_connect_string());
        println!("CA: {}", pki.ca().display());
        println!("client certificate: {}", pki.client_cert().display());
        println!("client key: {}", pki.client_key().display());
    }
    for member in running.members() {
        println!(
            "--- {} (pid {}, dir {})",
            member.name(),
            member.pid().unwrap_or_default(),
            member.dir().display()
        );
        match member.four_letter("srvr") {
            Ok(srvr) => print!("{srvr}"),
            Err(err) => {
                eprintln!("local-zk: srvr to {} failed: {err}", member.name());
                return ExitCode::FAILURE;
            }
        }
    }
    if args.keep_running {
        println!("running; close stdin (Ctrl-D) or press Ctrl-C to stop");
        // Only EOF (or an interrupt, which ends this process) matters, not the bytes.
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
    }
    drop(running);
    println!("stopped");
    ExitCode::SUCCESS
}
