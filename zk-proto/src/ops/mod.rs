//! The request and response records of every client op, one file per family.

pub mod acl_ops;
pub mod admin;
pub mod children;
pub mod create;
pub mod data;
pub mod multi;
pub mod session;
pub mod watches;
