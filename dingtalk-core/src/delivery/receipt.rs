//! What a sender gets back: a [`Delivery`] to await, and the [`Receipt`] it resolves to.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::checked::MsgUuid;
use crate::error::Error;

/// DingTalk's confirmation that it accepted a message, and what it took to get it.
#[derive(Clone, Debug)]
pub struct Receipt {
    errmsg: String,
    elapsed: Duration,
    attempts: u32,
    waited: Duration,
    merged: usize,
    msg_uuid: MsgUuid,
}

impl Receipt {
    /// Made once, by the delivery that ended in DingTalk's acceptance.
    pub(crate) fn new(
        errmsg: String,
        elapsed: Duration,
        attempts: u32,
        waited: Duration,
        merged: usize,
        msg_uuid: MsgUuid,
    ) -> Receipt {
        Receipt {
            errmsg,
            elapsed,
            attempts,
            waited,
            merged,
            msg_uuid,
        }
    }

    /// The `msgUuid` the message was sent with (32 lowercase hex digits), which every attempt
    /// of it carried: what DingTalk (or the sandbox) received, and what the delivery's log
    /// lines name. For messages merged into a digest
    /// ([`QueuePolicy::Digest`](crate::QueuePolicy::Digest)), the digest's, the same for each.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// # async fn run(robot: dingtalk_bot::Robot) -> Result<(), dingtalk_bot::Error> {
    /// use dingtalk_bot::Payload;
    ///
    /// let receipt = robot.send(&Payload::text("deploy done")).await?;
    /// tracing::info!(msg_uuid = receipt.msg_uuid(), "notified");
    /// # Ok(()) }
    /// ```
    pub fn msg_uuid(&self) -> &str {
        self.msg_uuid.as_str()
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

/// Where the worker answers a sender. Dropped unanswered (its delivery cut short: the
/// runtime shut down with the message in hand), it answers `Cancelled`, with the `msgUuid`,
/// saying the message may have been sent.
pub(crate) struct Reply {
    tx: Option<oneshot::Sender<Result<Receipt, Error>>>,
    msg_uuid: Option<MsgUuid>,
}

impl Reply {
    /// The message's `msgUuid`, for the answer of a reply dropped unanswered.
    pub fn for_msg_uuid(mut self, msg_uuid: MsgUuid) -> Reply {
        self.msg_uuid = Some(msg_uuid);
        self
    }

    /// Answers the sender; `Err` gives the result back when the sender stopped waiting.
    pub fn send(mut self, result: Result<Receipt, Error>) -> Result<(), Result<Receipt, Error>> {
        match self.tx.take() {
            Some(tx) => tx.send(result),
            None => Err(result),
        }
    }

    /// Whether the sender stopped waiting.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub fn is_closed(&self) -> bool {
        self.tx.as_ref().is_none_or(oneshot::Sender::is_closed)
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let mut error = Error::cancelled_in_flight();
            if let Some(msg_uuid) = &self.msg_uuid {
                error = error.with_msg_uuid(msg_uuid.as_str());
            }
            let _ = tx.send(Err(error));
        }
    }
}

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
        let reply = Reply {
            tx: Some(tx),
            msg_uuid: None,
        };
        (reply, Delivery { reply: rx })
    }
}

impl Future for Delivery {
    type Output = Result<Receipt, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.reply)
            .poll(cx)
            .map(|answer| answer.unwrap_or_else(|_| Err(Error::cancelled_in_flight())))
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}
