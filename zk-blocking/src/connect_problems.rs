//! What a connect that reached no server reports as the reason.

use std::time::Duration;

use zk_session::{CloseReason, HostAddr, RequestError};

use crate::error::Error;

/// The problems seen while connecting to the hosts of a connect string: each host's
/// last one (a connect to an ensemble says what each member did, not only the member
/// tried last), and the last host that answered in some other protocol or closed the
/// connection before the handshake's answer. A dial failure of a later host must not
/// hide that one: it is the likelier mistake (a wrong port, a TLS port without TLS, a
/// read-only server).
#[derive(Debug)]
pub struct ConnectProblems {
    /// The connect string, for [`Error::NoHosts`].
    hosts: String,
    last: Option<String>,
    /// Each host's last problem, in the order the hosts first had one: one entry per
    /// host of the list (a new list starts afresh).
    by_host: Vec<(String, String)>,
    not_zookeeper: Option<String>,
    /// The host last dialled, for a connect that ran out of time with no problem seen.
    dialled: Option<String>,
    /// How far that dial got: where a silent host went quiet.
    stage: DialStage,
    /// Whether a problem of that dial was recorded (else it is silent so far).
    dial_told: bool,
}

/// How far the dial of a host got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DialStage {
    /// The TCP connection is not accepted yet.
    Connecting,
    /// Connected; the TLS handshake is under way.
    TlsHandshake,
    /// Connected (TLS done); the session handshake is under way.
    SessionHandshake,
}

impl ConnectProblems {
    /// None seen yet, connecting to the hosts of the connect string `hosts`.
    pub fn new(hosts: &str) -> ConnectProblems {
        ConnectProblems {
            hosts: hosts.to_string(),
            last: None,
            by_host: Vec::new(),
            not_zookeeper: None,
            dialled: None,
            stage: DialStage::Connecting,
            dial_told: false,
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

    /// The session was given a new host list: errors name it from now on.
    pub fn hosts_changed(&mut self, hosts: &str) {
        self.hosts = hosts.to_string();
        self.by_host.clear();
    }

    /// The session is up: the problems of an earlier outage are history, and a later
    /// one starts afresh (a host not retried in it is not blamed for what it did
    /// before). Cheap when there is nothing to forget: a driver calls it each turn
    /// the session is connected.
    #[inline]
    pub fn session_up(&mut self) {
        if self.last.is_some() || self.not_zookeeper.is_some() || !self.by_host.is_empty() {
            self.last = None;
            self.not_zookeeper = None;
            self.by_host.clear();
        }
    }

    /// A dial of `host` starts.
    pub fn dialling(&mut self, host: &HostAddr) {
        self.dialled = Some(host.to_string());
        self.dial_told = false;
        self.stage = DialStage::Connecting;
    }

    /// The host being dialled accepted the TCP connection; with `tls`, a TLS
    /// handshake follows, else the session handshake.
    pub fn reached(&mut self, tls: bool) {
        self.stage = match tls {
            true => DialStage::TlsHandshake,
            false => DialStage::SessionHandshake,
        };
    }

    /// The connection to the host being dialled is up (its TLS handshake done, if
    /// any): the session handshake follows.
    pub fn secured(&mut self) {
        self.stage = DialStage::SessionHandshake;
    }

    /// A dial or IO problem.
    pub fn record(&mut self, problem: String) {
        self.last = Some(self.of_host_dialled(problem));
    }

    /// A server that closed the connection before answering the handshake, and what
    /// that may mean.
    pub fn record_refused_handshake(&mut self, problem: String) {
        let problem = self.of_host_dialled(problem);
        self.not_zookeeper = Some(problem.clone());
        self.last = Some(problem);
    }

    /// `problem` as the host being dialled's last, named by it.
    fn of_host_dialled(&mut self, problem: String) -> String {
        let Some(host) = self.dialled.clone() else {
            return problem;
        };
        self.dial_told = true;
        let problem = if problem.contains(&host) {
            problem
        } else {
            format!("{host}: {problem}")
        };
        match self.by_host.iter_mut().find(|(h, _)| *h == host) {
            Some((_, last)) => last.clone_from(&problem),
            None => self.by_host.push((host, problem.clone())),
        }
        problem
    }

    /// A connection the session closed, and why.
    pub fn record_close(&mut self, reason: &CloseReason) {
        // A move by choice (to a new host list's server, or to a read-write one) is
        // no problem of the host left: an error naming it would mislead.
        if matches!(
            reason,
            CloseReason::MovingToNewHost { .. } | CloseReason::MovingToReadWrite
        ) {
            return;
        }
        let problem = match (reason, &self.dialled) {
            // The session gave up on the host being dialled: name it.
            (CloseReason::ConnectTimeout, Some(host)) => {
                format!("{host}: {}", self.silent("the connect timeout"))
            }
            _ => reason.to_string(),
        };
        let problem = self.of_host_dialled(problem);
        if matches!(reason, CloseReason::NotZooKeeper { .. }) {
            self.not_zookeeper = Some(problem.clone());
        }
        self.last = Some(problem);
    }

    /// Where the host dialled went quiet, answering nothing within `limit`.
    fn silent(&self, limit: &str) -> String {
        let quiet = match self.stage {
            DialStage::Connecting => {
                "it accepted no TCP connection (a host that is down or drops connects, a wrong address or port)"
            }
            DialStage::TlsHandshake => {
                "it accepted the TCP connection but did not answer the TLS handshake: check that this port serves TLS (secureClientPort)"
            }
            DialStage::SessionHandshake => {
                "it accepted the connection but did not answer the session handshake"
            }
        };
        format!("no answer within {limit}: {quiet}")
    }

    /// The reason to give: each host's last problem when more than one host had one,
    /// else the last problem; and a host that did not speak ZooKeeper if it is not
    /// named already.
    pub fn describe(&self) -> String {
        let mut each: Vec<String> = self.by_host.iter().map(|(_, p)| p.clone()).collect();
        // The host being dialled when time ran out, silent so far in this dial: that is
        // its latest news.
        if let Some(host) = self.dialled.as_ref().filter(|_| !self.dial_told) {
            let silent = format!("{host}: {}", self.silent("the time given"));
            match self.by_host.iter().position(|(h, _)| h == host) {
                Some(i) => each[i] = silent,
                None => each.push(silent),
            }
        }
        if each.len() > 1 {
            let mut said = each.join("; ");
            if let Some(earlier) = self.not_zookeeper.as_ref().filter(|p| !each.contains(p)) {
                said = format!("{said}; before that, {earlier}");
            }
            return said;
        }
        match (&self.last, &self.not_zookeeper) {
            (Some(last), Some(earlier)) if last != earlier => {
                format!("{last}; before that, {earlier}")
            }
            (Some(last), _) => last.clone(),
            (None, _) => match &self.dialled {
                // A silent server: the TCP connection, a TLS handshake or the session
                // handshake still under way when time ran out.
                Some(host) => format!("{host}: {}", self.silent("the time given")),
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

    /// The loopback host at `port`.
    fn host(port: u16) -> HostAddr {
        HostAddr {
            host: "127.0.0.1".to_string(),
            port,
        }
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
    fn a_silent_host_is_said_to_have_gone_quiet_where_its_dial_stopped() {
        let mut problems = problems();
        let host = HostAddr {
            host: "127.0.0.1".to_string(),
            port: 2281,
        };
        problems.dialling(&host);
        assert!(problems.describe().contains("accepted no TCP connection"));
        problems.reached(true);
        assert!(
            problems
                .describe()
                .contains("did not answer the TLS handshake: check that this port serves TLS")
        );
        problems.secured();
        assert!(
            problems
                .describe()
                .contains("did not answer the session handshake")
        );
        problems.dialling(&host);
        problems.reached(false);
        problems.record_close(&CloseReason::ConnectTimeout);
        assert_eq!(
            problems.describe(),
            "127.0.0.1:2281: no answer within the connect timeout: it accepted the connection but did not answer the session handshake"
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

    #[test]
    fn a_connect_to_an_ensemble_says_what_each_member_did() {
        let mut problems = problems();
        for (port, stage) in [(1, None), (2, Some(false)), (1, None)] {
            let host = HostAddr {
                host: "127.0.0.1".to_string(),
                port,
            };
            problems.dialling(&host);
            match stage {
                None => problems.record(format!("{host}: connection refused")),
                Some(tls) => {
                    problems.reached(tls);
                    problems.record_close(&CloseReason::ConnectTimeout);
                }
            }
        }
        assert_eq!(
            problems.describe(),
            "127.0.0.1:1: connection refused; 127.0.0.1:2: no answer within the connect timeout: it accepted the connection but did not answer the session handshake"
        );
        problems.hosts_changed("127.0.0.1:3");
        problems.dialling(&HostAddr {
            host: "127.0.0.1".to_string(),
            port: 3,
        });
        problems.record("connection refused".to_string());
        assert_eq!(problems.describe(), "127.0.0.1:3: connection refused");
    }

    #[test]
    fn leaving_a_server_for_a_new_host_list_is_not_named_as_a_connect_problem() {
        let mut problems = problems();
        problems.dialling(&host(1));
        problems.hosts_changed("127.0.0.1:3,127.0.0.1:4");
        problems.record_close(&CloseReason::MovingToNewHost { to: host(3) });
        for port in [3, 4] {
            problems.dialling(&host(port));
            problems.record(format!("{}: connection refused", host(port)));
        }
        assert_eq!(
            problems.describe(),
            "127.0.0.1:3: connection refused; 127.0.0.1:4: connection refused"
        );
    }

    #[test]
    fn an_outage_after_a_session_was_up_names_only_its_own_problems() {
        let mut problems = problems();
        problems.dialling(&host(1));
        problems.record("connection refused".to_string());
        problems.dialling(&host(2));
        problems.session_up();
        problems.dialling(&host(2));
        problems.record("connection refused".to_string());
        assert_eq!(problems.describe(), "127.0.0.1:2: connection refused");
    }

    #[test]
    fn a_member_silent_when_time_ran_out_is_named_beside_the_others() {
        let mut problems = problems();
        problems.dialling(&host(1));
        problems.record("connection refused".to_string());
        problems.dialling(&host(2));
        problems.reached(false);
        assert_eq!(
            problems.describe(),
            "127.0.0.1:1: connection refused; 127.0.0.1:2: no answer within the time given: it accepted the connection but did not answer the session handshake"
        );
    }
}
