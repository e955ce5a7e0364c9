//! Delivery: the queue of one robot, and the task that empties it within DingTalk's limits.
//!
//! An [`Outbox`] is what a `Robot` and its clones share for one destination. Senders put
//! checked messages in its [`queue`] (as the [`QueuePolicy`] says when it is full); one task,
//! started on the first send, takes them in order and has the [`worker`] deliver each: it waits
//! for a place in the destination's rate limit ([`limiter`]), sends through the transport,
//! holds through a throttle, retries transient failures with back-off ([`retry`]), sends an
//! overflowed backlog as [`digest`]s, and answers the sender with a [`Receipt`] or the error,
//! telling the failure hook and the fallback of a final failure. It knows the destination only
//! through [`Destination`], and the limit only through [`Limiter`].
//!
//! With the `redis` feature, `fleet` keeps a robot's queue and limits in Redis instead, for
//! every process that sends to it; the same [`worker`] delivers. [`AnyOutbox`] is either.

pub(crate) mod bounded;
pub(crate) mod digest;
#[cfg(feature = "redis")]
pub(crate) mod fleet;
pub(crate) mod limiter;
pub(crate) mod machine;
pub(crate) mod queue;
pub(crate) mod receipt;
pub(crate) mod retry;
pub(crate) mod settings;
pub(crate) mod worker;

pub use receipt::{Delivery, Receipt};
pub use retry::RetryPolicy;
pub use settings::QueuePolicy;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::checked::Checked;
use crate::delivery::limiter::Limiter;
use crate::delivery::queue::Queue;
use crate::delivery::settings::Policy;
use crate::delivery::worker::Worker;
use crate::error::{Error, Sent};
use crate::transport::{Destination, Transport};

/// The queue of one destination and the worker that delivers it: shared by a `Robot`, its
/// clones, and the task running the worker.
pub(crate) struct Outbox<D: Destination> {
    queue: Queue,
    worker: Worker<D>,
    /// The task running the worker, while it runs.
    task: Mutex<Option<AbortHandle>>,
}

impl<D: Destination> Outbox<D> {
    /// The outbox of `destination`, sending through `transport` within `limiter`'s limit.
    pub fn new(
        destination: D,
        transport: Transport,
        limiter: Arc<dyn Limiter>,
        policy: Policy,
    ) -> Outbox<D> {
        Outbox {
            queue: Queue::new(policy.capacity, policy.queue),
            worker: Worker::new(destination, transport, limiter, policy),
            task: Mutex::new(None),
        }
    }

    /// Where its messages go.
    pub fn destination(&self) -> &D {
        self.worker.destination()
    }

    /// How its requests are sent.
    pub fn transport(&self) -> &Transport {
        self.worker.transport()
    }

    /// Its rate limit and throttle.
    pub fn limiter(&self) -> &dyn Limiter {
        self.worker.limiter()
    }

    /// Messages queued or in flight.
    pub fn pending(&self) -> usize {
        self.queue.pending()
    }

    /// Queues a checked message as the queue policy says; with [`QueuePolicy::Wait`], waits
    /// for room. A message with a `deadline` that is still queued when it passes is taken
    /// out, unsent, and fails as [`Expired`](crate::ErrorKind::Expired).
    pub async fn enqueue(
        self: &Arc<Self>,
        checked: Checked,
        deadline: Option<Instant>,
    ) -> Result<Delivery, Error> {
        // A worker is running before anyone waits for room it alone can make.
        self.ensure_worker();
        let queued = self.queue.push(checked, deadline).await?;
        if let Some(deadline) = deadline {
            self.expire_at(deadline, queued.msg_uuid);
        }
        Ok(queued.delivery)
    }

    /// Queues a checked message without waiting: a full queue refuses it with `QueueFull`,
    /// unless its policy is [`QueuePolicy::Digest`].
    pub fn try_enqueue(self: &Arc<Self>, checked: Checked) -> Result<Delivery, Error> {
        self.ensure_worker();
        self.queue.try_push(checked, None).map(|q| q.delivery)
    }

    /// At `deadline`, takes the message `msg_uuid` out of the queue if it is still there, and
    /// tells its sender, the failure hook and the fallback that it expired. (One the worker
    /// took by then is the worker's to expire: it starts no attempt after the deadline.)
    fn expire_at(self: &Arc<Self>, deadline: Instant, msg_uuid: crate::checked::MsgUuid) {
        let outbox: Weak<Outbox<D>> = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            let Some(outbox) = outbox.upgrade() else {
                return;
            };
            if let Some(part) = outbox.queue.expire(&msg_uuid) {
                outbox.worker.expire(part, Sent::No);
            }
        });
    }

    /// Starts the worker if none is running (the first send, or its runtime has gone).
    fn ensure_worker(self: &Arc<Self>) {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        *task = Some(tokio::spawn(Arc::clone(self).run()).abort_handle());
    }

    async fn run(self: Arc<Self>) {
        while let Some(job) = self.queue.next().await {
            let _settle = self.queue.settle(job.parts.len());
            self.worker.deliver(job).await;
        }
    }

    /// No more sends will come: the worker ends once the queue is empty.
    pub fn close(&self) {
        self.queue.close();
    }

    /// Waits until nothing is queued or in flight, for at most `deadline`.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        self.queue.flush(deadline).await
    }
}

/// A robot's outbox: its queue in this process, or (feature `redis`) in Redis, shared by a
/// fleet of processes.
pub(crate) enum AnyOutbox<D: Destination> {
    Local(Arc<Outbox<D>>),
    #[cfg(feature = "redis")]
    Shared(Arc<fleet::RedisOutbox<D>>),
}

impl<D: Destination> AnyOutbox<D> {
    /// Where its messages go.
    pub fn destination(&self) -> &D {
        match self {
            AnyOutbox::Local(outbox) => outbox.destination(),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.destination(),
        }
    }

    /// How its requests are sent.
    pub fn transport(&self) -> &Transport {
        match self {
            AnyOutbox::Local(outbox) => outbox.transport(),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.transport(),
        }
    }

    /// Its rate limit and throttle.
    pub fn limiter(&self) -> &dyn Limiter {
        match self {
            AnyOutbox::Local(outbox) => outbox.limiter(),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.limiter(),
        }
    }

    /// Messages queued or in flight: in this process; or in the fleet's queue, as last seen.
    pub fn pending(&self) -> usize {
        match self {
            AnyOutbox::Local(outbox) => outbox.pending(),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.pending(),
        }
    }

    /// Queues a checked message as the queue policy says, to be sent by `deadline` or not at
    /// all (see [`Robot::post_within`](crate::Robot::post_within)).
    pub async fn enqueue(
        &self,
        checked: Checked,
        deadline: Option<Instant>,
    ) -> Result<Delivery, Error> {
        match self {
            AnyOutbox::Local(outbox) => outbox.enqueue(checked, deadline).await,
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.enqueue(checked, deadline).await,
        }
    }

    /// Queues a checked message without waiting, and without anyone waiting for it: a full
    /// queue drops it (an error here, or a warning in the log where the queue is in Redis and
    /// is written in the background).
    pub fn try_enqueue(&self, checked: Checked) -> Result<(), Error> {
        match self {
            AnyOutbox::Local(outbox) => outbox.try_enqueue(checked).map(drop),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => {
                outbox.try_enqueue(checked);
                Ok(())
            }
        }
    }

    /// Waits until nothing is queued or in flight (in the fleet's queue, where it is in
    /// Redis), for at most `deadline`.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        match self {
            AnyOutbox::Local(outbox) => outbox.flush(deadline).await,
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.flush(deadline).await,
        }
    }

    /// The Redis it is kept in, its password hidden; `None` in this process.
    #[cfg(feature = "redis")]
    pub fn store(&self) -> Option<&str> {
        match self {
            AnyOutbox::Local(_) => None,
            AnyOutbox::Shared(outbox) => Some(outbox.store().shown()),
        }
    }

    /// No more sends will come from this robot.
    pub fn close(&self) {
        match self {
            AnyOutbox::Local(outbox) => outbox.close(),
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.close(),
        }
    }

    /// Closes, and waits at most `deadline` for the worker: in this process, until the
    /// backlog is delivered (or has finally failed); in Redis, until the worker has
    /// finished its request in flight and given the robot up to the fleet.
    pub async fn close_and_wait(&self, deadline: Duration) -> Result<(), Error> {
        match self {
            AnyOutbox::Local(outbox) => {
                outbox.close();
                outbox.flush(deadline).await
            }
            #[cfg(feature = "redis")]
            AnyOutbox::Shared(outbox) => outbox.close_and_wait(deadline).await,
        }
    }
}

impl<D: Destination> Drop for Outbox<D> {
    /// The last `Robot` is gone and so is the worker (its runtime ended) with messages still
    /// queued: they can no longer be sent. Say so, and tell the failure hook, rather than drop
    /// them silently.
    fn drop(&mut self) {
        let parts = self.queue.drain();
        if !parts.is_empty() {
            self.worker.abandoned(parts);
        }
    }
}
