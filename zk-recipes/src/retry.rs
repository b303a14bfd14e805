//! Retrying what is safe to retry, with a backoff between attempts.
//!
//! Only errors after which trying again cannot do harm for an idempotent operation
//! are retried ([`is_retryable`]): the connection was lost before the reply (the
//! session reconnects by itself) or the server timed the request out. Nothing else
//! is: a session that expired needs a new client, a refused request stays refused.
//! Whether the operation is idempotent is the caller's call: a read, a delete or a
//! set with `Version::Any` are; a sequential create, or a versioned set whose lost
//! reply may have been applied, are not (retrying may create a second node, or fail
//! with BadVersion after its own success).

use std::time::Duration;

use zk_blocking::{Error, ErrorCode, Result};

/// How often and how long to wait between attempts: the wait doubles from `first`
/// up to `max`, for at most `attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    attempts: u32,
}

impl Default for Backoff {
    /// 50 ms doubling to 2 s, 10 attempts.
    fn default() -> Backoff {
        Backoff::new(Duration::from_millis(50), Duration::from_secs(2), 10)
    }
}

impl Backoff {
    /// A backoff from `first` doubling to `max`, for `attempts` attempts in all (at
    /// least one).
    pub fn new(first: Duration, max: Duration, attempts: u32) -> Backoff {
        Backoff {
            first,
            max: max.max(first),
            attempts: attempts.max(1),
        }
    }

    /// The wait before attempt `n` (1 is the first retry).
    fn wait(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// Whether `error` is worth another attempt of an idempotent operation.
pub fn is_retryable(error: &Error) -> bool {
    matches!(error, Error::ConnectionLoss | Error::RequestTimeout)
        || error.code() == Some(ErrorCode::OperationTimeout)
}

/// Runs `op` until it succeeds, fails with an error that is not retryable, or the
/// attempts run out (then its last error), sleeping the backoff in between.
pub fn retry<T>(backoff: &Backoff, mut op: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match op() {
            Err(e) if is_retryable(&e) && attempt < backoff.attempts => {
                std::thread::sleep(backoff.wait(attempt));
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// [`retry`] for async operations, sleeping on tokio's timer.
#[cfg(feature = "tokio")]
pub async fn retry_async<T, F: Future<Output = Result<T>>>(
    backoff: &Backoff,
    mut op: impl FnMut() -> F,
) -> Result<T> {
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if is_retryable(&e) && attempt < backoff.attempts => {
                tokio::time::sleep(backoff.wait(attempt)).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_maximum() {
        let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(50), 9);
        let waits: Vec<u128> = (1..=5).map(|n| b.wait(n).as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 50, 50]);
    }

    #[test]
    fn connection_loss_is_retried_until_success() {
        let b = Backoff::new(Duration::ZERO, Duration::ZERO, 5);
        let mut calls = 0;
        let result = retry(&b, || {
            calls += 1;
            if calls < 3 {
                Err(Error::ConnectionLoss)
            } else {
                Ok(calls)
            }
        });
        assert_eq!(result, Ok(3));
    }

    #[test]
    fn errors_that_are_not_retryable_end_at_once() {
        let b = Backoff::new(Duration::ZERO, Duration::ZERO, 5);
        let mut calls = 0;
        let result: Result<()> = retry(&b, || {
            calls += 1;
            Err(Error::SessionExpired)
        });
        assert_eq!((result, calls), (Err(Error::SessionExpired), 1));
    }

    #[test]
    fn the_last_error_is_returned_when_the_attempts_run_out() {
        let b = Backoff::new(Duration::ZERO, Duration::ZERO, 3);
        let mut calls = 0;
        let result: Result<()> = retry(&b, || {
            calls += 1;
            Err(Error::ConnectionLoss)
        });
        assert_eq!((result, calls), (Err(Error::ConnectionLoss), 3));
    }
}
