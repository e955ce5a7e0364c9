//! When a failed attempt is tried again, and how long to wait first.

use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// How transient failures are retried: timeouts, broken connections, HTTP 5xx, unreadable
/// answers and DingTalk's `-1` (busy). Every retry of a message reuses its `msgUuid`, so a
/// retry after a lost answer cannot post it twice.
///
/// The wait before retry `n` is `initial_backoff × 2ⁿ⁻¹`
/// ([`initial_backoff`](RetryPolicy::initial_backoff)), at most
/// [`max_backoff`](RetryPolicy::max_backoff), with jitter (a random time between half of it and
/// all of it) so that many clients do not retry in step. Retries stop after
/// [`max_attempts`](RetryPolicy::max_attempts) failed attempts, or when the next wait would end
/// past [`max_elapsed`](RetryPolicy::max_elapsed) of trying (time spent waiting for the rate
/// limit or a throttle does not count).
///
/// A signature refused as expired (`invalid timestamp`) is signed again and retried once, at
/// once. A throttle answer is not a failure here: the robot holds, then sends the message.
/// Neither counts against `max_attempts`. Everything else is permanent and never retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waits from 500 ms up to 30 s, within 2 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// At most this many attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts later than this after the first attempt.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The wait before the attempt after `attempts` failed ones, or `None` to give up. `elapsed`
    /// is the time since the first attempt.
    pub(crate) fn backoff(
        &self,
        error: &Error,
        attempts: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if !is_transient(error) || attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // "Equal jitter": in [full / 2, full].
        let half = full / 2;
        let wait = half + half.mul_f64(fastrand::f64());
        (elapsed + wait <= self.max_elapsed).then_some(wait)
    }
}

/// Whether sending the same message again may work without changing anything.
fn is_transient(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Server
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Error {
        Error::server("HTTP 502")
    }

    #[test]
    fn backs_off_exponentially_with_jitter_within_bounds() {
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(800))
            .max_elapsed(Duration::from_secs(60));
        for (attempts, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 800), (9, 800)] {
            let wait = policy.backoff(&server(), attempts, Duration::ZERO).unwrap();
            let full = Duration::from_millis(full);
            assert!(wait >= full / 2 && wait <= full, "{attempts}: {wait:?}");
        }
        assert_eq!(policy.backoff(&server(), 10, Duration::ZERO), None);
        assert_eq!(policy.backoff(&server(), 1, Duration::from_secs(60)), None);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let policy = RetryPolicy::default();
        for e in [
            Error::from_answer(310_000, "sign not match".into()),
            Error::from_answer(400_102, "机器人已停用".into()),
            Error::from_answer(130_101, "send too fast".into()),
            Error::invalid_message("x"),
        ] {
            assert_eq!(policy.backoff(&e, 1, Duration::ZERO), None, "{e}");
        }
        assert!(
            policy
                .backoff(
                    &Error::from_answer(-1, "系统繁忙".into()),
                    1,
                    Duration::ZERO
                )
                .is_some()
        );
        assert_eq!(
            RetryPolicy::none().backoff(&server(), 1, Duration::ZERO),
            None
        );
    }
}
