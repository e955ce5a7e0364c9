//! The bounded queue of one robot, shared by its senders and its worker.
//!
//! Senders push checked messages as the [`QueuePolicy`] says: wait for room, fail at once, or
//! merge the backlog into one job that the worker delivers as digests. The worker takes jobs
//! in order. The queue counts what is queued or in flight, so that `flush` can wait for none.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::checked::{Checked, MsgUuid};
use crate::delivery::receipt::{Delivery, Reply};
use crate::delivery::settings::QueuePolicy;
use crate::error::Error;

/// What the worker delivers next: one message, or a backlog merged when the queue overflowed.
pub(crate) struct Job {
    pub parts: Vec<Part>,
}

/// One queued message, the `msgUuid` every attempt to send it carries, and where its sender
/// hears of it.
pub(crate) struct Part {
    pub checked: Checked,
    pub msg_uuid: MsgUuid,
    pub reply: Reply,
}

impl Part {
    fn new(checked: Checked, reply: Reply) -> Part {
        Part {
            checked,
            msg_uuid: MsgUuid::random(),
            reply,
        }
    }
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
    /// come first served.
    pub async fn push(&self, checked: Checked) -> Result<Delivery, Error> {
        if self.policy != QueuePolicy::Wait {
            return self.try_push(checked);
        }
        self.room
            .acquire()
            .await
            .expect("the queue's semaphore is never closed")
            .forget();
        let (reply, delivery) = Delivery::new();
        self.push_job(self.jobs(), Part::new(checked, reply));
        Ok(delivery)
    }

    /// Queues `checked` without waiting: when the queue is full, [`QueuePolicy::Digest`]
    /// merges the backlog, and the other policies refuse it with `QueueFull`.
    pub fn try_push(&self, checked: Checked) -> Result<Delivery, Error> {
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
        let part = Part::new(checked, reply);
        if room {
            self.push_job(jobs, part);
        } else {
            self.merge_backlog(jobs, part);
        }
        Ok(delivery)
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
