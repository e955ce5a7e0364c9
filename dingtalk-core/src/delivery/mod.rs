//! Delivery: the queue of one `Robot`, and the task that empties it within DingTalk's limits.
//!
//! Senders put messages in the queue ([`Shared::enqueue`]); one worker task per `Robot` (and
//! its clones) takes them in order and delivers each: it waits for a place in the robot's rate
//! limit ([`limiter`]), sends, holds through a throttle, retries transient failures with
//! back-off ([`retry`]), and answers the sender. When the queue overflows, the policy decides:
//! wait for room, fail at once, or merge the backlog into markdown summaries ([`digest`]).

pub(crate) mod digest;
pub(crate) mod limiter;
pub(crate) mod retry;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::payload::Payload;
use crate::robot::{Receipt, Transport};
use limiter::Limiter;
use retry::RetryPolicy;

/// What a robot does when its queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueuePolicy {
    /// The sender waits for room, first come first served.
    #[default]
    Wait,
    /// The message is refused at once with [`ErrorKind::QueueFull`].
    Fail,
    /// The queued messages and the new one are merged into markdown summaries ("digests"),
    /// each within DingTalk's size limit, sent in place of the backlog.
    Digest,
}

/// Called with every message that finally failed, and why.
pub type FailureHook = Arc<dyn Fn(&Payload, &Error) + Send + Sync>;

/// How a robot delivers, beside how it sends.
#[derive(Clone)]
pub(crate) struct Policy {
    pub retry: RetryPolicy,
    pub throttle_penalty: Duration,
    pub capacity: usize,
    pub queue: QueuePolicy,
    pub on_failure: Option<FailureHook>,
    pub fallback: Option<crate::Robot>,
}

/// How many throttles in a row one message waits through before it fails as rate limited:
/// six ten-minute throttles, an hour, mean something other than a burst is sending.
const MAX_THROTTLES: u32 = 6;

/// One message in the queue, or several merged.
struct Job {
    parts: Vec<Part>,
    msg_uuid: String,
}

struct Part {
    payload: Payload,
    reply: Option<oneshot::Sender<Result<Receipt, Error>>>,
}

/// The state shared by a `Robot`, its clones and its worker.
pub(crate) struct Shared {
    pub transport: Transport,
    pub limiter: Arc<Limiter>,
    pub policy: Policy,
    queue: Mutex<VecDeque<Job>>,
    /// Room in the queue, for [`QueuePolicy::Wait`].
    room: Semaphore,
    ready: Notify,
    /// Messages queued or in flight.
    pending: AtomicUsize,
    idle: Notify,
    worker: Mutex<Option<AbortHandle>>,
    closed: std::sync::atomic::AtomicBool,
}

/// A queued message: await it for DingTalk's receipt, or drop it to let the message go on its
/// own. Made by [`Robot::post`](crate::Robot::post).
#[must_use = "a Delivery does nothing unless awaited; dropping it leaves the message queued"]
pub struct Delivery {
    reply: oneshot::Receiver<Result<Receipt, Error>>,
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

impl Shared {
    pub fn new(transport: Transport, limiter: Arc<Limiter>, policy: Policy) -> Shared {
        Shared {
            transport,
            limiter,
            room: Semaphore::new(policy.capacity),
            policy,
            queue: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
            pending: AtomicUsize::new(0),
            idle: Notify::new(),
            worker: Mutex::new(None),
            closed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Messages queued or in flight.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Puts a checked payload in the queue, as the queue policy says.
    pub async fn enqueue(self: &Arc<Self>, payload: Payload) -> Result<Delivery, Error> {
        let (tx, rx) = oneshot::channel();
        let part = Part {
            payload,
            reply: Some(tx),
        };
        // A worker is running before anyone waits for room it alone can make.
        self.ensure_worker();
        if self.policy.queue == QueuePolicy::Wait {
            self.room
                .acquire()
                .await
                .expect("the queue's semaphore is never closed")
                .forget();
            self.push(self.queue(), part);
            return Ok(Delivery { reply: rx });
        }
        // Room is taken and given back under the queue's lock, so a merge sees the queue and
        // its room agree.
        let queue = self.queue();
        match self.room.try_acquire() {
            Ok(permit) => {
                permit.forget();
                self.push(queue, part);
            }
            Err(_) if self.policy.queue == QueuePolicy::Digest => self.merge_backlog(queue, part),
            Err(_) => return Err(Error::queue_full(self.policy.capacity)),
        }
        Ok(Delivery { reply: rx })
    }

    fn push(&self, mut queue: MutexGuard<'_, VecDeque<Job>>, part: Part) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        queue.push_back(Job {
            parts: vec![part],
            msg_uuid: new_msg_uuid(),
        });
        drop(queue);
        self.ready.notify_one();
    }

    /// The queue is full: everything in it and `part` become one job, in the place of the
    /// oldest, and the room the others held is freed.
    fn merge_backlog(&self, mut queue: MutexGuard<'_, VecDeque<Job>>, part: Part) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let jobs = queue.len();
        let parts: Vec<Part> = queue
            .drain(..)
            .flat_map(|job| job.parts)
            .chain(std::iter::once(part))
            .collect();
        tracing::debug!(
            robot = %self.transport.name,
            merged = parts.len(),
            "queue full: backlog merged into a digest"
        );
        queue.push_back(Job {
            parts,
            msg_uuid: new_msg_uuid(),
        });
        drop(queue);
        if jobs > 1 {
            self.room.add_permits(jobs - 1);
        }
        self.ready.notify_one();
    }

    /// Starts the worker if none is running (the first send, or its runtime has gone).
    fn ensure_worker(self: &Arc<Self>) {
        let mut worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if worker.as_ref().is_some_and(|w| !w.is_finished()) {
            return;
        }
        let shared = Arc::clone(self);
        *worker = Some(tokio::spawn(shared.run()).abort_handle());
    }

    /// No more sends will come: the worker ends once the queue is empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }

    /// Waits until nothing is queued or in flight.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        let drained = async {
            loop {
                let idle = self.idle.notified();
                if self.pending() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(deadline, drained)
            .await
            .map_err(|_| Error::flush_timeout(self.pending(), deadline))
    }

    async fn run(self: Arc<Self>) {
        loop {
            let ready = self.ready.notified();
            let job = {
                let mut queue = self.queue();
                let job = queue.pop_front();
                if job.is_some() {
                    self.room.add_permits(1);
                }
                job
            };
            let Some(job) = job else {
                if self.closed.load(Ordering::SeqCst) {
                    return;
                }
                ready.await;
                continue;
            };
            // Settles the count even if this task stops mid-delivery (its runtime shut down):
            // the senders are told `Cancelled` by their dropped answers.
            let _settle = Settle {
                shared: &self,
                count: job.parts.len(),
            };
            self.deliver(job).await;
        }
    }

    /// Delivers one job: as itself, or as digests that fit.
    async fn deliver(&self, job: Job) {
        if let [single] = job.parts.as_slice() {
            let result = self.deliver_one(&single.payload, &job.msg_uuid, 1).await;
            self.finish(job.parts, &result);
            return;
        }
        let payloads: Vec<&Payload> = job.parts.iter().map(|p| &p.payload).collect();
        let chunks = digest::digests(&payloads);
        let mut parts = job.parts.into_iter();
        for (i, (payload, range)) in chunks.into_iter().enumerate() {
            // The same length as any `msgUuid`, so that sizes checked before still hold.
            let uuid = format!("{}{i:04x}", &job.msg_uuid[..28]);
            let result = self.deliver_one(&payload, &uuid, range.len()).await;
            self.finish(parts.by_ref().take(range.len()).collect(), &result);
        }
    }

    fn finish(&self, parts: Vec<Part>, result: &Result<Receipt, Error>) {
        for part in parts {
            if let Err(e) = result {
                self.notify_failure(&part.payload, e);
            }
            if let Some(reply) = part.reply {
                // The sender may have stopped waiting: the message was delivered all the same.
                let _ = reply.send(result.clone());
            }
        }
    }

    fn notify_failure(&self, payload: &Payload, error: &Error) {
        if let Some(hook) = &self.policy.on_failure {
            // A panicking hook must not stop delivery.
            let called =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(payload, error)));
            if called.is_err() {
                tracing::error!(robot = %self.transport.name, "the on_failure hook panicked");
            }
        }
        if let Some(fallback) = &self.policy.fallback {
            let notice = failure_notice(
                &self.transport.name,
                fallback.keywords().first().map(String::as_str),
                payload,
                error,
            );
            let fallback = fallback.clone();
            tokio::spawn(async move {
                if let Err(e) = fallback.send(&notice).await {
                    tracing::warn!(error = %e, "the fallback robot could not be told of a failure");
                }
            });
        }
    }

    /// Sends one payload: waits for the limit, holds through throttles, retries.
    async fn deliver_one(
        &self,
        payload: &Payload,
        msg_uuid: &str,
        merged: usize,
    ) -> Result<Receipt, Error> {
        let body = crate::robot::with_msg_uuid(&self.transport.body(payload)?, msg_uuid);
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        let mut failures = 0;
        let mut throttles = 0;
        let mut resigned = false;
        let result = loop {
            let wait = Instant::now();
            let slot = self.limiter.acquire().await;
            waited += wait.elapsed();
            attempts += 1;
            let result = self.transport.attempt(&body).await;
            slot.release();
            let e = match result {
                Ok(mut receipt) => {
                    receipt.attempts = attempts;
                    receipt.waited = waited;
                    receipt.merged = merged;
                    break Ok(receipt);
                }
                Err(e) => e,
            };
            match e.kind() {
                ErrorKind::RateLimited
                    if throttles < MAX_THROTTLES && !self.policy.throttle_penalty.is_zero() =>
                {
                    throttles += 1;
                    tracing::info!(
                        robot = %self.transport.name,
                        msg_uuid,
                        attempts,
                        errcode = e.errcode(),
                        penalty_s = self.policy.throttle_penalty.as_secs(),
                        "DingTalk throttles the robot: holding every send"
                    );
                    self.limiter.hold(self.policy.throttle_penalty);
                }
                // Signed afresh on the next attempt; a second refusal means the clock is off.
                ErrorKind::TimestampExpired if !resigned => resigned = true,
                _ => {
                    failures += 1;
                    // Time spent waiting for the limit or a throttle is not time spent failing.
                    let trying = started.elapsed().saturating_sub(waited);
                    match self.policy.retry.backoff(&e, failures, trying) {
                        Some(backoff) => {
                            tracing::debug!(
                                robot = %self.transport.name,
                                msg_uuid,
                                attempts,
                                errcode = e.errcode(),
                                kind = ?e.kind(),
                                error = %e,
                                backoff_ms = backoff.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(backoff).await;
                        }
                        None => break Err(e),
                    }
                }
            }
        };
        match &result {
            Ok(_) => tracing::debug!(
                robot = %self.transport.name,
                msg_uuid,
                attempts,
                merged,
                waited_ms = waited.as_millis() as u64,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "delivered"
            ),
            Err(e) => tracing::warn!(
                robot = %self.transport.name,
                msg_uuid,
                attempts,
                merged,
                errcode = e.errcode(),
                kind = ?e.kind(),
                error = %e,
                waited_ms = waited.as_millis() as u64,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "not delivered"
            ),
        }
        result
    }
}

impl Drop for Shared {
    /// The last `Robot` is gone and so is the worker (its runtime ended) with messages still
    /// queued: they can no longer be sent. Say so, and tell the failure hook, rather than drop
    /// them silently.
    fn drop(&mut self) {
        let jobs: Vec<Job> = self.queue().drain(..).collect();
        let parts: Vec<Part> = jobs.into_iter().flat_map(|job| job.parts).collect();
        if parts.is_empty() {
            return;
        }
        tracing::warn!(
            robot = %self.transport.name,
            undelivered = parts.len(),
            "messages left in the queue when the robot and its runtime ended"
        );
        let error = Error::cancelled();
        if let Some(hook) = &self.policy.on_failure {
            for part in &parts {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    hook(&part.payload, &error)
                }));
            }
        }
    }
}

/// Settles a delivered (or abandoned) job's count of pending messages.
struct Settle<'a> {
    shared: &'a Shared,
    count: usize,
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        if self.shared.pending.fetch_sub(self.count, Ordering::SeqCst) == self.count {
            self.shared.idle.notify_waiters();
        }
    }
}

/// What the fallback robot is told of a message that finally failed; its title carries the
/// fallback's first keyword, if it has some.
fn failure_notice(robot: &str, keyword: Option<&str>, payload: &Payload, error: &Error) -> Payload {
    let preview = payload.with_fields(|fields| {
        let what = fields
            .seen()
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let mut preview: String = what.chars().take(200).collect();
        if preview.len() < what.len() {
            preview.push('…');
        }
        preview
    });
    let title = match keyword {
        Some(keyword) => format!("[{keyword}] A message to {robot} was not delivered"),
        None => format!("A message to {robot} was not delivered"),
    };
    Payload::markdown(
        title,
        format!(
            "#### A message to {robot} was not delivered\n\n- error: {error}\n- type: {}\n\n{}",
            payload.msgtype(),
            preview
                .lines()
                .map(|l| format!("> {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .into()
}

/// A fresh `msgUuid`: 128 random bits in hex.
fn new_msg_uuid() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}
