//! Scenarios: the connect string names a port where something other than ZooKeeper
//! listens (here an HTTP server). The connect fails naming what answered, instead of
//! a frame-length error or a bare timeout.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use zk_blocking::{Client, Error, Options, SharedClient};

const HTTP_ANSWER: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// A listener on 127.0.0.1 that answers every connection like an HTTP server
/// refusing a request; stops when dropped.
struct HttpServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a local port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("the bound address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => answer(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        HttpServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What the client's error must say about this server.
    fn expected_complaint(&self) -> String {
        format!(
            "the server at 127.0.0.1:{} does not speak the ZooKeeper protocol (it sent text: \"HTTP/1.1 400 Bad Request\"…)",
            self.port
        )
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the client's first bytes (its handshake), answers with HTTP, and waits for
/// the client to hang up (so the answer is never cut by a reset).
fn answer(mut stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = [0u8; 256];
    if stream.read(&mut request).is_err() {
        return;
    }
    if stream.write_all(HTTP_ANSWER).is_err() {
        return;
    }
    let _ = stream.read_to_end(&mut Vec::new());
}

fn options() -> Options {
    Options::default()
        .connect_timeout(Duration::from_secs(2))
        .reconnect_backoff(Duration::from_millis(50), Duration::from_millis(200))
}

fn assert_names_the_http_server(err: &Error, server: &HttpServer) {
    assert!(matches!(err, Error::NoHosts { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&server.expected_complaint()), "{message}");
}

#[test]
fn the_blocking_client_says_an_http_server_does_not_speak_zookeeper() {
    let server = HttpServer::start();
    let err = Client::connect(&server.connect_string(), options()).unwrap_err();
    assert_names_the_http_server(&err, &server);
}

#[test]
fn a_host_that_is_not_zookeeper_is_named_beside_a_host_that_is_down() {
    let server = HttpServer::start();
    let down = TcpListener::bind("127.0.0.1:0").expect("binding a local port");
    let down_port = down.local_addr().expect("the bound address").port();
    drop(down);
    let hosts = format!("{},127.0.0.1:{down_port}", server.connect_string());
    let err = Client::connect(&hosts, options()).unwrap_err();
    assert_names_the_http_server(&err, &server);
}

#[cfg(unix)]
#[test]
fn the_shared_client_says_an_http_server_does_not_speak_zookeeper() {
    let server = HttpServer::start();
    let err = SharedClient::connect(&server.connect_string(), options()).unwrap_err();
    assert_names_the_http_server(&err, &server);
}

#[tokio::test]
async fn the_tokio_client_says_an_http_server_does_not_speak_zookeeper() {
    let server = HttpServer::start();
    let err = zk_tokio::Client::connect(&server.connect_string(), options())
        .await
        .unwrap_err();
    assert_names_the_http_server(&err, &server);
}
