//! `version`: zkcli's own version, said to be zkcli's (zkCli.sh's prints its Java
//! client's, which zkcli does not have).

use serde_json::json;

use crate::failure::Failure;
use crate::json::object;
use crate::output::Output;

pub fn version(out: &mut Output) -> Result<(), Failure> {
    let version = env!("CARGO_PKG_VERSION");
    if out.is_json() {
        out.object(object(json!({ "program": "zkcli", "version": version })))?;
    } else {
        out.line(&format!("zkcli version: {version}"))?;
    }
    Ok(())
}
