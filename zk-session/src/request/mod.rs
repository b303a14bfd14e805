//! What users ask of the session and what they get back, and how each request is
//! checked, put on the wire and answered. Every operation is one entry of the table
//! in `operations.rs`; `macros.rs` turns the table into [`Request`], [`Response`]
//! and the functions the session calls.

#[macro_use]
mod macros;
mod operations;
mod prepare;
mod prepared;

use zk_proto::{Acl, CreateMode};

use crate::data::IntoData;
use crate::error::SubmitError;
use crate::version::Version;

pub use operations::{Request, Response};
pub(crate) use operations::{into_response, local_response, no_node_response};
pub use prepare::CONFIG_NODE;
pub(crate) use prepare::Context;
pub(crate) use prepared::Prepared;

/// Validates `request` and builds its wire form with server paths.
pub(crate) fn prepare(request: Request, cx: &Context<'_>) -> Result<Prepared, SubmitError> {
    let (reply, outgoing) = operations::prepare(request, cx)?;
    Ok(Prepared::new(reply, outgoing, cx.chroot))
}

impl Request {
    /// `getData(path)`, optionally leaving a data watch.
    pub fn get_data(path: impl Into<String>, watch: bool) -> Request {
        Request::GetData {
            path: path.into(),
            watch,
        }
    }

    /// `exists(path)`, optionally leaving a watch.
    pub fn exists(path: impl Into<String>, watch: bool) -> Request {
        Request::Exists {
            path: path.into(),
            watch,
        }
    }

    /// `getChildren(path)` without Stat, optionally leaving a child watch.
    pub fn get_children(path: impl Into<String>, watch: bool) -> Request {
        Request::GetChildren {
            path: path.into(),
            watch,
            with_stat: false,
        }
    }

    /// `create(path, data, OPEN_ACL_UNSAFE, mode)` without Stat.
    pub fn create(path: impl Into<String>, data: impl IntoData, mode: CreateMode) -> Request {
        Request::Create {
            path: path.into(),
            data: data.into_data(),
            acl: Acl::open_unsafe(),
            mode,
            ttl: None,
            with_stat: false,
        }
    }

    /// `setData(path, data, version)`.
    pub fn set_data(path: impl Into<String>, data: impl IntoData, version: Version) -> Request {
        Request::SetData {
            path: path.into(),
            data: data.into_data(),
            version,
        }
    }

    /// `delete(path, version)`.
    pub fn delete(path: impl Into<String>, version: Version) -> Request {
        Request::Delete {
            path: path.into(),
            version,
        }
    }
}
