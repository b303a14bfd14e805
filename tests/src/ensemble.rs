//! An N-member ZooKeeper ensemble on loopback.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use crate::HarnessError;
use crate::four_letter::ServerMode;
use crate::options::ServerOptions;
use crate::ports::{free_port, free_port_on, retry_on_port_clash};
use crate::server::{MemberSpec, Role, ZkServer};
use crate::tempdir::TempDir;

/// The ports one member listens on.
#[derive(Clone, Copy)]
struct MemberPorts {
    client: u16,
    secure: Option<u16>,
    quorum: u16,
    election: u16,
}

/// N `QuorumPeerMain` processes with `myid` 1..=N, each in its own temp dir. Dropping
/// it stops and removes them all.
#[derive(Debug)]
pub struct Ensemble {
    members: Vec<ZkServer>,
}

impl Ensemble {
    /// Starts `size` members on free ports and waits until every one of them is leader
    /// or follower. Panics if `size` is 0.
    pub fn start(size: u32, options: &ServerOptions) -> Result<Ensemble, HarnessError> {
        assert!(size > 0, "an ensemble needs at least one member");
        retry_on_port_clash(|| {
            let ports = (0..size)
                .map(|_| -> std::io::Result<MemberPorts> {
                    Ok(MemberPorts {
                        client: free_port_on(options.client_address())?,
                        secure: match options.serves_tls() {
                            true => Some(free_port_on(options.client_address())?),
                            false => None,
                        },
                        quorum: free_port()?,
                        election: free_port()?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| HarnessError::io("picking ports", err))?;
            let mut server_lines = String::new();
            for (myid, member) in (1..).zip(&ports) {
                let _ = writeln!(
                    server_lines,
                    "server.{myid}=127.0.0.1:{}:{}",
                    member.quorum, member.election
                );
            }
            let members = (1..)
                .zip(&ports)
                .map(|(myid, member)| {
                    let dir = TempDir::new(&format!("server{myid}"))?;
                    let cfg = options.cfg_text(&dir.path().join("data"), member.client, member.secure)
                        + "initLimit=10\nsyncLimit=5\n"
                        // Else a 1-member ensemble would run as a standalone server.
                        + "standaloneEnabled=false\n"
                        + &server_lines
                        + &options.extra_cfg_text();
                    ZkServer::launch(MemberSpec {
                        name: format!(
                            "server.{myid} ({})",
                            SocketAddr::from((options.client_address(), member.client))
                        ),
                        myid: Some(myid),
                        role: Role::QuorumMember,
                        dir,
                        client_port: member.client,
                        secure_port: member.secure,
                        cfg,
                        options,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // All JVMs boot in parallel; only now wait for each to join.
            for member in &members {
                member.wait_serving()?;
            }
            Ok(Ensemble { members })
        })
    }

    /// All members, in `myid` order.
    pub fn members(&self) -> &[ZkServer] {
        &self.members
    }

    /// The member with this `myid` (1-based). Panics on an unknown id.
    pub fn member(&self, myid: u32) -> &ZkServer {
        &self.members[Ensemble::index(myid)]
    }

    /// The member with this `myid`, to stop, kill, pause or restart it.
    pub fn member_mut(&mut self, myid: u32) -> &mut ZkServer {
        &mut self.members[Ensemble::index(myid)]
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,...` (or `[::1]:p1,...`) over all members, whether running or not.
    pub fn connect_string(&self) -> String {
        let addresses: Vec<String> = self.members.iter().map(ZkServer::connect_string).collect();
        addresses.join(",")
    }

    /// The connect string of every member's secure client port (started with
    /// [`ServerOptions::tls`]).
    pub fn secure_connect_string(&self) -> String {
        let addresses: Vec<String> = self
            .members
            .iter()
            .map(ZkServer::secure_connect_string)
            .collect();
        addresses.join(",")
    }

    /// The `myid` of a member whose `srvr` says leader right now.
    pub fn leader(&self) -> Option<u32> {
        self.live_members()
            .find(|member| member.mode() == Some(ServerMode::Leader))
            .and_then(ZkServer::myid)
    }

    /// Waits until the members that run and are not paused all serve, exactly one of them
    /// as leader, and returns the leader's `myid`.
    pub fn wait_for_leader(&self, timeout: Duration) -> Result<u32, HarnessError> {
        let started = Instant::now();
        loop {
            let modes: Vec<(u32, Option<ServerMode>)> = self
                .live_members()
                .map(|member| (member.myid().unwrap_or_default(), member.mode()))
                .collect();
            let leaders: Vec<u32> = modes
                .iter()
                .filter(|(_, mode)| *mode == Some(ServerMode::Leader))
                .map(|(id, _)| *id)
                .collect();
            let all_serve = modes
                .iter()
                .all(|(_, mode)| mode.is_some_and(ServerMode::in_quorum));
            if all_serve && leaders.len() == 1 {
                return Ok(leaders[0]);
            }
            if started.elapsed() >= timeout {
                let log_tail = self
                    .live_members()
                    .map(|member| format!("--- {} ---\n{}", member.name(), member.log_tail(10)))
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(HarnessError::NotServing {
                    member: "the ensemble".to_owned(),
                    detail: format!("no single leader; modes by myid: {modes:?}"),
                    waited: started.elapsed(),
                    log_tail,
                    port_taken: false,
                });
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn live_members(&self) -> impl Iterator<Item = &ZkServer> {
        self.members
            .iter()
            .filter(|member| member.is_running() && !member.is_paused())
    }

    fn index(myid: u32) -> usize {
        assert!(myid >= 1, "myid starts at 1");
        (myid - 1) as usize
    }
}
