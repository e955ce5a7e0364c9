//! The bounded queue of one robot, shared by its senders and its worker.
//!
//! Senders push checked messages as the [`QueuePolicy`] says: wait for room, fail at once, or
//! merge the backlog into one job that the worker delivers as digests. The worker takes jobs
//! in order. The queue counts what is queued or in flight, so that `flush` can wait for none.
//! A message with a deadline that is still queued when it passes is taken out
//! ([`Queue::expire`]); one the worker holds by then is the worker's to expire.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::checked::{Checked, MsgUuid};
use crate::delivery::receipt::{Delivery, Reply};
use crate::delivery::settings::QueuePolicy;
use crate::error::{Error, Sent};

/// What the worker delivers next: one message, or a backlog merged when the queue overflowed.
pub(crate) struct Job {
    pub parts: Vec<Part>,
}

/// One queued message, the `msgUuid` every attempt to send it carries, where its sender
/// hears of it, and when it must have gone by, if it must.
pub(crate) struct Part {
    pub checked: Checked,
    pub msg_uuid: MsgUuid,
    pub reply: Reply,
    pub deadline: Option<Instant>,
}

impl Part {
    fn new(checked: Checked, reply: Reply, deadline: Option<Instant>) -> Part {
        let msg_uuid = MsgUuid::random();
        Part {
            checked,
            msg_uuid,
            reply: reply.for_msg_uuid(msg_uuid),
            deadline,
        }
    }

    /// Whether its deadline has passed at `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|deadline| deadline <= now)
    }
}

/// A message just queued: what its sender awaits, and what names it in the queue (to take it
/// out at its deadline).
pub(crate) struct Queued {
    pub delivery: Delivery,
    pub msg_uuid: MsgUuid,
}

/// The queue: its jobs, its room, and the count of messages queued or in flight.
pub(crate) struct Queue {
    capacity: usize,
    policy: QueuePolicy,
    jobs: Mutex<VecDeque<Job>>,
    /// Room in the queue: one permit per job it can take.
    room: Semaphore,
    /// A job was queued, or the queue closed.
    ready: Notify,
    /// Messages queued or in flight.
    pending: AtomicUsize,
    /// Nothing is queued or in flight any more.
    idle: Notify,
    closed: AtomicBool,
}

impl Queue {
    /// A queue of `capacity` jobs that does as `policy` says when full.
    pub fn new(capacity: usize, policy: QueuePolicy) -> Queue {
        Queue {
            capacity,
            policy,
            jobs: Mutex::new(VecDeque::new()),
            room: Semaphore::new(capacity),
            ready: Notify::new(),
            pending: AtomicUsize::new(0),
            idle: Notify::new(),
            closed: AtomicBool::new(false),
        }
    }

    fn jobs(&self) -> MutexGuard<'_, VecDeque<Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Messages queued or in flight.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Queues `checked` as the policy says: with [`QueuePolicy::Wait`], waits for room, first
    /// come first served, until its `deadline` at most (then it is
    /// [`Expired`](crate::ErrorKind::Expired), not queued).
    pub async fn push(&self, checked: Checked, deadline: Option<Instant>) -> Result<Queued, Error> {
        if self.policy != QueuePolicy::Wait {
            return self.try_push(checked, deadline);
        }
        let room = self.room.acquire();
        let permit = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, room)
                .await
                .map_err(|_| Error::expired(None, Sent::No))?,
            None => room.await,
        };
        permit
            .expect("the queue's semaphore is never closed")
            .forget();
        let (reply, delivery) = Delivery::new();
        let part = Part::new(checked, reply, deadline);
        let msg_uuid = part.msg_uuid;
        self.push_job(self.jobs(), part);
        Ok(Queued { delivery, msg_uuid })
    }

    /// Queues `checked` without waiting: when the queue is full, [`QueuePolicy::Digest`]
    /// merges the backlog, and the other policies refuse it with `QueueFull`.
    pub fn try_push(&self, checked: Checked, deadline: Option<Instant>) -> Result<Queued, Error> {
        // Room is taken and given back under the queue's lock, so that a merge sees the queue
        // and its room agree.
        let jobs = self.jobs();
        let room = self
            .room
            .try_acquire()
            .map(|permit| permit.forget())
            .is_ok();
        if !room && self.policy != QueuePolicy::Digest {
            return Err(Error::queue_full(self.capacity));
        }
        let (reply, delivery) = Delivery::new();
        let part = Part::new(checked, reply, deadline);
        let msg_uuid = part.msg_uuid;
        if room {
            self.push_job(jobs, part);
        } else {
            self.merge_backlog(jobs, part);
        }
        Ok(Queued { delivery, msg_uuid })
    }

    /// Takes the message `msg_uuid` out of the queue, if it is still queued (not yet taken by
    /// the worker): its deadline passed. A job left empty gives its room back.
    pub fn expire(&self, msg_uuid: &MsgUuid) -> Option<Part> {
        let mut jobs = self.jobs();
        let (at, index) = jobs.iter().enumerate().find_map(|(at, job)| {
            let index = job.parts.iter().position(|p| p.msg_uuid == *msg_uuid)?;
            Some((at, index))
        })?;
        let part = jobs[at].parts.remove(index);
        if jobs[at].parts.is_empty() {
            jobs.remove(at);
            self.room.add_permits(1);
        }
        drop(jobs);
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
        Some(part)
    }

    fn push_job(&self, mut jobs: MutexGuard<'_, VecDeque<Job>>, part: Part) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        jobs.push_back(Job { parts: vec![part] });
        drop(jobs);
        self.ready.notify_one();
    }

    /// The queue is full: everything in it and `part` become one job, in the place of the
    /// oldest, and the room the others held is freed.
    fn merge_backlog(&self, mut jobs: MutexGuard<'_, VecDeque<Job>>, part: Part) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let merged = jobs.len();
        let parts: Vec<Part> = jobs
            .drain(..)
            .flat_map(|job| job.parts)
            .chain(std::iter::once(part))
            .collect();
        jobs.push_back(Job { parts });
        drop(jobs);
        if merged > 1 {
            self.room.add_permits(merged - 1);
        }
        self.ready.notify_one();
    }

    /// The next job, in order, once there is one; `None` once the queue is closed and empty.
    /// Settle the job with [`settle`](Queue::settle) when it is delivered.
    pub async fn next(&self) -> Option<Job> {
        loop {
            let ready = self.ready.notified();
            if let Some(job) = self.jobs().pop_front() {
                self.room.add_permits(1);
                return Some(job);
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            ready.await;
        }
    }

    /// Counts `count` messages as done when the returned guard drops: after their delivery, or
    /// when the task delivering them stops mid-way (its runtime shut down; their senders are
    /// told `Cancelled` by their dropped replies).
    pub fn settle(&self, count: usize) -> Settle<'_> {
        Settle { queue: self, count }
    }

    /// No more messages will come: [`next`](Queue::next) ends once the queue is empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }

    /// Waits until nothing is queued or in flight, for at most `deadline`.
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

    /// Takes every message still queued, when nothing can deliver them any more.
    pub fn drain(&self) -> Vec<Part> {
        let jobs: Vec<Job> = self.jobs().drain(..).collect();
        jobs.into_iter().flat_map(|job| job.parts).collect()
    }
}

/// Settles a delivered (or abandoned) job's count of pending messages.
pub(crate) struct Settle<'a> {
    queue: &'a Queue,
    count: usize,
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        if self.queue.pending.fetch_sub(self.count, Ordering::SeqCst) == self.count {
            self.queue.idle.notify_waiters();
        }
    }
}
