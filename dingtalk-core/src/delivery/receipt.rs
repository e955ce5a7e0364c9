//! What a sender gets back: a [`Delivery`] to await, and the [`Receipt`] it resolves to.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::Error;

/// DingTalk's confirmation that it accepted a message, and what it took to get it.
#[derive(Clone, Debug)]
pub struct Receipt {
    errmsg: String,
    elapsed: Duration,
    attempts: u32,
    waited: Duration,
    merged: usize,
}

impl Receipt {
    /// Made once, by the delivery that ended in DingTalk's acceptance.
    pub(crate) fn new(
        errmsg: String,
        elapsed: Duration,
        attempts: u32,
        waited: Duration,
        merged: usize,
    ) -> Receipt {
        Receipt {
            errmsg,
            elapsed,
            attempts,
            waited,
            merged,
        }
    }

    /// DingTalk's `errmsg` (`"ok"`).
    pub fn errmsg(&self) -> &str {
        &self.errmsg
    }

    /// How long the last request took, from sending to DingTalk's answer.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How many requests it took (1 unless a failure was retried or a throttle waited out).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long the message waited for the rate limit and throttles.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// How many queued messages this delivery carried: more than 1 when an overflowing queue
    /// merged them into a digest ([`QueuePolicy::Digest`](crate::QueuePolicy::Digest)).
    pub fn merged(&self) -> usize {
        self.merged
    }
}

/// Where the worker answers a sender.
pub(crate) type Reply = oneshot::Sender<Result<Receipt, Error>>;

/// A queued message: await it for DingTalk's receipt, or drop it to let the message go on its
/// own. Made by [`Robot::post`](crate::Robot::post).
#[must_use = "a Delivery does nothing unless awaited; dropping it leaves the message queued"]
pub struct Delivery {
    reply: oneshot::Receiver<Result<Receipt, Error>>,
}

impl Delivery {
    /// A delivery and where its answer goes.
    pub(crate) fn new() -> (Reply, Delivery) {
        let (tx, rx) = oneshot::channel();
        (tx, Delivery { reply: rx })
    }
}

impl Future for Delivery {
    type Output = Result<Receipt, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reply)
            .poll(cx)
            .map(|answer| answer.unwrap_or_else(|_| Err(Error::cancelled())))
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}
