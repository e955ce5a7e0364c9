//! [`Bounded`]: a limit whose senders wait at most so long for a place, then fail.
//!
//! A command-line tool run with `--no-wait` must not sit in a loop for a minute: its message
//! fails at once, as [`RateLimited`](crate::ErrorKind::RateLimited), with an error that says
//! the local limit is full (DingTalk throttled nothing, and was not asked). It wraps any
//! [`Limiter`]; both of ours take a free place at the first poll of `acquire`, so a zero wait
//! fails only when no place is free.

use std::sync::Arc;
use std::time::Duration;

use crate::delivery::limiter::{BoxFuture, Limit, Limiter, Slot};
use crate::error::Error;

/// `inner`, with each `acquire` given up after `wait`.
#[derive(Debug)]
pub(crate) struct Bounded {
    inner: Arc<dyn Limiter>,
    wait: Duration,
    /// The limit, to name it in the error.
    limit: Option<Limit>,
}

impl Bounded {
    pub fn new(inner: Arc<dyn Limiter>, wait: Duration, limit: Option<Limit>) -> Bounded {
        Bounded { inner, wait, limit }
    }

    fn refusal(&self) -> Error {
        let limit = match self.limit {
            Some(Limit { max: 1, per }) => format!("1 message per {per:?}"),
            Some(Limit { max, per }) => format!("{max} messages per {per:?}"),
            // Only a throttle makes a robot without a limit wait.
            None => "no limit, but a throttle".to_owned(),
        };
        Error::limit_full(&limit, self.wait, self.inner.free_in())
    }
}

impl Limiter for Bounded {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(async move {
            // `timeout` polls the inner future once before it looks at the clock, so a zero
            // wait still takes a place that is free. Our limiters take a place in one step
            // with no await inside, so giving up leaves none behind.
            match tokio::time::timeout(self.wait, self.inner.acquire()).await {
                Ok(taken) => taken,
                Err(_) => Err(self.refusal()),
            }
        })
    }

    fn release(&self, slot: Slot) {
        self.inner.release(slot);
    }

    fn hold(&self, penalty: Duration) {
        self.inner.hold(penalty);
    }

    fn available(&self) -> usize {
        self.inner.available()
    }

    fn held_for(&self) -> Duration {
        self.inner.held_for()
    }

    fn free_in(&self) -> Option<Duration> {
        self.inner.free_in()
    }
}
