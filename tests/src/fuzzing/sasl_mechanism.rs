//! The SASL mechanisms a fuzzed session may be configured with: the real DIGEST-MD5,
//! whose challenge parser then meets arbitrary server tokens, and a permissive one
//! that completes, so the paths after a successful exchange (auth replay, watch
//! re-registration, the queue) run too.

use zk_session::{
    HostAddr, SASL_RANDOM_LEN, SaslConfig, SaslError, SaslMechanism, SaslMechanismFactory, SaslStep,
};

/// The mechanism named by the two high bits of the session-timeout byte: none,
/// DIGEST-MD5 or [`Permissive`].
pub(crate) fn from_bits(bits: u8) -> Option<SaslConfig> {
    match bits & 3 {
        0 => None,
        2 => Some(SaslConfig::custom(Permissive)),
        _ => Some(SaslConfig::digest_md5("fuzz", "fuzz-secret")),
    }
}

/// Fails on an empty server token, answers one starting with an odd byte, and
/// completes on any other.
#[derive(Debug)]
struct Permissive;

impl SaslMechanismFactory for Permissive {
    fn name(&self) -> &str {
        "FUZZ-PERMISSIVE"
    }

    fn begin(&self, _host: &HostAddr, random: [u8; SASL_RANDOM_LEN]) -> Box<dyn SaslMechanism> {
        Box::new(PermissiveExchange(random))
    }
}

struct PermissiveExchange([u8; SASL_RANDOM_LEN]);

impl SaslMechanism for PermissiveExchange {
    fn start(&mut self) -> Result<Vec<u8>, SaslError> {
        Ok(self.0.to_vec())
    }

    fn step(&mut self, server_token: &[u8]) -> Result<SaslStep, SaslError> {
        match server_token.first() {
            None => Err(SaslError::new("empty server token")),
            Some(b) if b % 2 == 1 => Ok(SaslStep::Respond(b"more".to_vec())),
            Some(_) => Ok(SaslStep::Done),
        }
    }
}
