//! Builders for multi (an atomic transaction) and multiRead (a batch of reads), and
//! their typed per-op results.

use bytes::Bytes;
use zk_proto::{
    CheckVersionRequest, CreateMode, DeleteRequest, GetChildrenRequest, GetDataRequest, MultiOp,
    MultiResult, SetDataRequest, Stat,
};
use zk_session::{IntoData, Request, Version};

use crate::create::CreateOptions;
use crate::error::{Error, Result};

/// An atomic transaction: every op is applied, or none. Build it, then run it with
/// [`crate::Client::multi`] (or turn it into a [`Request`] for `submit`).
///
/// ```no_run
/// # fn f(client: &mut zk_blocking::Client) -> zk_blocking::Result<()> {
/// use zk_blocking::{CreateMode, Transaction, Version};
/// let results = client.multi(
///     Transaction::new()
///         .check("/config", Version::Exact(3))
///         .set_data("/config", "v4", Version::Exact(3))
///         .create("/config/log-", "changed", CreateMode::PersistentSequential),
/// )?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    ops: Vec<MultiOp>,
    invalid: Option<String>,
}

impl Transaction {
    /// An empty transaction (which succeeds without contacting the server).
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// Creates `path` with the open ACL; the result carries no Stat.
    pub fn create(self, path: impl Into<String>, data: impl IntoData, mode: CreateMode) -> Self {
        self.create_with(path, data, &CreateOptions::new(mode), false)
    }

    /// Creates `path` with the given mode, ACL and TTL; `with_stat`: the result carries
    /// the new node's Stat.
    pub fn create_with(
        mut self,
        path: impl Into<String>,
        data: impl IntoData,
        options: &CreateOptions,
        with_stat: bool,
    ) -> Self {
        let ttl = options
            .ttl
            .map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX));
        let op = MultiOp::create(
            path,
            data.into_data(),
            options.acl.clone(),
            options.mode,
            ttl,
            with_stat,
        );
        match op {
            Ok(op) => self.ops.push(op),
            Err(e) => self.note_invalid(e.to_string()),
        }
        self
    }

    /// Deletes `path` if its version is `version`.
    pub fn delete(mut self, path: impl Into<String>, version: Version) -> Self {
        let version = self.wire_version(version);
        self.ops.push(MultiOp::Delete(DeleteRequest {
            path: path.into(),
            version,
        }));
        self
    }

    /// Sets `path`'s data if its version is `version`.
    pub fn set_data(
        mut self,
        path: impl Into<String>,
        data: impl IntoData,
        version: Version,
    ) -> Self {
        let version = self.wire_version(version);
        self.ops.push(MultiOp::SetData(SetDataRequest {
            path: path.into(),
            data: data.into_data(),
            version,
        }));
        self
    }

    /// Fails the transaction unless `path`'s version is `version`.
    pub fn check(mut self, path: impl Into<String>, version: Version) -> Self {
        let version = self.wire_version(version);
        self.ops.push(MultiOp::Check(CheckVersionRequest {
            path: path.into(),
            version,
        }));
        self
    }

    /// The wire form of `version` (−1 for any); `Exact(-1)` makes the transaction
    /// invalid, as the session refuses it in a single write.
    fn wire_version(&mut self, version: Version) -> i32 {
        match version {
            Version::Any => -1,
            Version::Exact(-1) => {
                self.note_invalid(zk_session::SubmitError::AmbiguousVersion.to_string());
                -1
            }
            Version::Exact(v) => v,
        }
    }

    /// Number of ops.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there are no ops.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The request to `submit`; fails if an op was built from invalid arguments.
    pub fn into_request(self) -> Result<Request> {
        match self.invalid {
            Some(why) => Err(Error::InvalidArgument(why)),
            None => Ok(Request::Multi(self.ops)),
        }
    }

    fn note_invalid(&mut self, why: String) {
        let index = self.ops.len();
        self.invalid
            .get_or_insert_with(|| format!("transaction op {index}: {why}"));
    }
}

/// The result of one op of a successful transaction, in the order of the ops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// The node was created at `path` (client path, with any sequence suffix).
    Created {
        /// The new node's path.
        path: String,
        /// Its Stat, when asked for (always for containers and TTL nodes on 3.9+).
        stat: Option<Stat>,
    },
    /// The node was deleted.
    Deleted,
    /// The data was set; the node's new Stat.
    DataSet(Stat),
    /// The version check passed.
    Checked,
}

/// Turns a successful multi reply into typed results. (A rolled-back transaction
/// arrives from the session as [`Error::TransactionFailed`], naming the failing op.)
pub fn transaction_results(results: Vec<MultiResult>) -> Vec<OpResult> {
    results
        .into_iter()
        .map(|r| match r {
            MultiResult::Create(c) => OpResult::Created {
                path: c.path,
                stat: None,
            },
            MultiResult::Create2(c) => OpResult::Created {
                path: c.path,
                stat: Some(c.stat),
            },
            MultiResult::Delete => OpResult::Deleted,
            MultiResult::SetData(s) => OpResult::DataSet(s.stat),
            MultiResult::Check => OpResult::Checked,
            // The session checked each result against its op: a reply that does
            // not fit drops the connection (ConnectionLoss) and never gets here.
            other => crate::for_drivers::wrong_reply("a transaction op", other),
        })
        .collect()
}

/// A batch of independent reads, answered together (multiRead, servers 3.6+). Each
/// read succeeds or fails on its own.
#[derive(Debug, Clone, Default)]
pub struct ReadBatch {
    ops: Vec<MultiOp>,
}

impl ReadBatch {
    /// An empty batch.
    pub fn new() -> ReadBatch {
        ReadBatch::default()
    }

    /// Reads `path`'s data and Stat.
    pub fn get_data(mut self, path: impl Into<String>) -> Self {
        self.ops.push(MultiOp::GetData(GetDataRequest {
            path: path.into(),
            watch: false,
        }));
        self
    }

    /// Lists `path`'s children.
    pub fn get_children(mut self, path: impl Into<String>) -> Self {
        self.ops.push(MultiOp::GetChildren(GetChildrenRequest {
            path: path.into(),
            watch: false,
        }));
        self
    }

    /// Number of reads.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there are no reads.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The path of each read, in order (to name the node a failed read is about).
    pub fn paths(&self) -> Vec<String> {
        self.ops
            .iter()
            .map(|op| match op {
                MultiOp::GetData(r) => r.path.clone(),
                MultiOp::GetChildren(r) => r.path.clone(),
                // A batch is made of the reads above only.
                _ => String::new(),
            })
            .collect()
    }

    /// The request to `submit`.
    pub fn into_request(self) -> Request {
        Request::MultiRead(self.ops)
    }
}

/// The result of one read of a [`ReadBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// A node's data and Stat.
    Data {
        /// The data.
        data: Bytes,
        /// The Stat.
        stat: Stat,
    },
    /// A node's children (unordered).
    Children(Vec<String>),
}

/// Turns a multiRead reply into typed per-read results; a failed read's error names
/// its path, from `paths` ([`ReadBatch::paths`]), and the session's `chroot`.
pub fn read_results(
    results: Vec<MultiResult>,
    paths: &[String],
    chroot: Option<&str>,
) -> Vec<Result<ReadResult>> {
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            MultiResult::GetData(d) => Ok(ReadResult::Data {
                data: d.data,
                stat: d.stat,
            }),
            MultiResult::GetChildren(c) => Ok(ReadResult::Children(c.children)),
            MultiResult::Error(code) => Err(Error::about(
                code,
                paths.get(i).cloned(),
                chroot.map(str::to_string),
            )),
            // Checked by the session, as in a transaction.
            other => crate::for_drivers::wrong_reply("a read of a batch", other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_failed_read_of_a_batch_names_its_path() {
        let batch = ReadBatch::new().get_data("/here").get_children("/gone");
        let paths = batch.paths();
        let results = read_results(
            vec![
                MultiResult::GetChildren(zk_proto::GetChildrenResponse { children: vec![] }),
                MultiResult::Error(zk_proto::ErrorCode::NoNode),
            ],
            &paths,
            Some("/app"),
        );
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err();
        assert_eq!((err.path(), err.chroot()), (Some("/gone"), Some("/app")));
    }

    #[test]
    fn an_exact_version_of_minus_one_is_refused_as_ambiguous() {
        let err = Transaction::new()
            .delete("/a", Version::Exact(-1))
            .into_request()
            .unwrap_err();
        assert!(err.to_string().contains("Version::Any"), "{err}");
    }

    #[test]
    fn a_ttl_on_a_plain_mode_is_reported_at_run_time() {
        let tx = Transaction::new()
            .check("/a", Version::Exact(1))
            .create_with(
                "/b",
                "",
                &CreateOptions::new(CreateMode::Persistent).ttl(Duration::from_millis(5)),
                false,
            );
        let err = tx.into_request().unwrap_err();
        assert!(err.to_string().contains("op 1"), "{err}");
    }
}
