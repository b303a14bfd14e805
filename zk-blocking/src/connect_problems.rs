//! What a connect that reached no server reports as the reason.

use std::time::Duration;

use zk_session::{CloseReason, HostAddr, RequestError};

use crate::error::Error;

/// The problems seen while connecting to the hosts of a connect string: the last one,
/// and the last host that answered in some other protocol or closed the connection
/// before the handshake's answer. A dial failure of a later host must not hide that
/// one: it is the likelier mistake (a wrong port, a TLS port without TLS, a read-only
/// server).
#[derive(Debug)]
pub struct ConnectProblems {
    /// The connect string, for [`Error::NoHosts`].
    hosts: String,
    last: Option<String>,
    not_zookeeper: Option<String>,
    /// The host last dialled, for a connect that ran out of time with no problem seen.
    dialled: Option<String>,
}

impl ConnectProblems {
    /// None seen yet, connecting to the hosts of the connect string `hosts`.
    pub fn new(hosts: &str) -> ConnectProblems {
        ConnectProblems {
            hosts: hosts.to_string(),
            last: None,
            not_zookeeper: None,
            dialled: None,
        }
    }

    /// No server established a session within `waited`: the error names the hosts
    /// and the problems seen.
    pub fn no_hosts(&self, waited: Duration) -> Error {
        Error::NoHosts {
            hosts: self.hosts.clone(),
            waited,
            detail: self.describe(),
        }
    }

    /// The session's error for a request, as its caller gets it: one that waited in
    /// vain for a first session is [`Error::NoHosts`], naming the problems seen.
    pub fn request_error(&self, e: RequestError) -> Error {
        match e {
            RequestError::NoSessionEstablished { waited } => self.no_hosts(waited),
            e => e.into(),
        }
    }

    /// A dial of `host` starts.
    pub fn dialling(&mut self, host: &HostAddr) {
        self.dialled = Some(host.to_string());
    }

    /// A dial or IO problem.
    pub fn record(&mut self, problem: String) {
        self.last = Some(problem);
    }

    /// A server that closed the connection before answering the handshake, and what
    /// that may mean.
    pub fn record_refused_handshake(&mut self, problem: String) {
        self.not_zookeeper = Some(problem.clone());
        self.last = Some(problem);
    }

    /// A connection the session closed, and why.
    pub fn record_close(&mut self, reason: &CloseReason) {
        let problem = match (reason, &self.dialled) {
            // The session gave up on the host being dialled: name it.
            (CloseReason::ConnectTimeout, Some(host)) => {
                format!("{host}: {}", Self::silent("the connect timeout"))
            }
            _ => reason.to_string(),
        };
        if matches!(reason, CloseReason::NotZooKeeper { .. }) {
            self.not_zookeeper = Some(problem.clone());
        }
        self.last = Some(problem);
    }

    /// What a host that answered nothing within `limit` may be doing.
    fn silent(limit: &str) -> String {
        format!(
            "no answer within {limit}: it accepted no connection, or did not answer the TLS or session handshake"
        )
    }

    /// The reason to give: the last problem, and a host that did not speak ZooKeeper
    /// if that was not the last.
    pub fn describe(&self) -> String {
        match (&self.last, &self.not_zookeeper) {
            (Some(last), Some(earlier)) if last != earlier => {
                format!("{last}; before that, {earlier}")
            }
            (Some(last), _) => last.clone(),
            (None, _) => match &self.dialled {
                // A silent server: the TCP connection, a TLS handshake or the session
                // handshake still under way when time ran out.
                Some(host) => format!("{host}: {}", Self::silent("the time given")),
                None => "no answer".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems() -> ConnectProblems {
        ConnectProblems::new("127.0.0.1:1,127.0.0.1:2281")
    }

    fn http_answer() -> CloseReason {
        CloseReason::NotZooKeeper {
            host: HostAddr {
                host: "127.0.0.1".to_string(),
                port: 8080,
            },
            text: "HTTP/1.1 400 Bad Request".to_string(),
            cut: true,
        }
    }

    #[test]
    fn a_later_dial_failure_does_not_hide_a_refused_handshake() {
        let mut problems = problems();
        problems.record_refused_handshake("127.0.0.1:2281: closed before the handshake".into());
        problems.record("127.0.0.1:1: connection refused".to_string());
        assert_eq!(
            problems.describe(),
            "127.0.0.1:1: connection refused; before that, 127.0.0.1:2281: closed before the handshake"
        );
    }

    #[test]
    fn a_silent_server_is_named() {
        let mut problems = problems();
        assert_eq!(problems.describe(), "no answer");
        problems.dialling(&HostAddr {
            host: "::1".to_string(),
            port: 2281,
        });
        assert!(
            problems
                .describe()
                .starts_with("[::1]:2281: no answer within the time given"),
            "{}",
            problems.describe()
        );
    }

    #[test]
    fn a_dial_the_session_gave_up_on_names_its_host() {
        let mut problems = problems();
        problems.dialling(&HostAddr {
            host: "127.0.0.1".to_string(),
            port: 2281,
        });
        problems.record_close(&CloseReason::ConnectTimeout);
        assert!(
            problems
                .describe()
                .starts_with("127.0.0.1:2281: no answer within the connect timeout"),
            "{}",
            problems.describe()
        );
    }

    #[test]
    fn a_later_dial_failure_does_not_hide_a_host_that_is_not_zookeeper() {
        let mut problems = problems();
        problems.record_close(&http_answer());
        problems.record("127.0.0.1:1: connection refused".to_string());
        let reason = problems.describe();
        assert!(
            reason.starts_with("127.0.0.1:1: connection refused; before that, the server at 127.0.0.1:8080 does not speak the ZooKeeper protocol"),
            "{reason}"
        );
    }

    #[test]
    fn a_request_that_waited_in_vain_for_a_first_session_fails_naming_the_hosts_and_the_problem() {
        let mut problems = problems();
        problems.record("127.0.0.1:1: connection refused".to_string());
        let waited = Duration::from_secs(5);
        let e = problems.request_error(RequestError::NoSessionEstablished { waited });
        assert_eq!(
            e,
            Error::NoHosts {
                hosts: "127.0.0.1:1,127.0.0.1:2281".to_string(),
                waited,
                detail: "127.0.0.1:1: connection refused".to_string(),
            }
        );
        assert_eq!(
            problems.request_error(RequestError::ConnectionLoss),
            Error::ConnectionLoss
        );
    }

    #[test]
    fn the_last_problem_is_named_once() {
        let mut problems = problems();
        problems.record_close(&http_answer());
        assert_eq!(problems.describe(), http_answer().to_string());
        assert_eq!(ConnectProblems::new("h").describe(), "no answer");
    }
}
