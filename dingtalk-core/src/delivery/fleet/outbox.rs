//! [`RedisOutbox`]: a robot's queue kept in Redis, delivered in order by one process of the
//! fleet at a time.
//!
//! Senders add each checked message to the robot's stream, with its `msgUuid` and the channel
//! its sender hears the outcome on, as the queue policy says (one script: `ENQUEUE`). Every
//! process with the robot runs a worker; the one that holds the robot's lease delivers:
//! first the entries earlier holders read and did not finish (claimed in order), then new
//! ones, through the same [`Worker`] as the in-process queue (limit, throttles, retries,
//! digests). Each entry is acknowledged, deleted and its outcome published only once it is
//! delivered or has finally failed, in one script (`FINISH`) that also reads what comes next
//! and takes its place in the limit. The lease is renewed while held; a holder that cannot
//! renew it stops, and another process takes over once it lapses, with the same entries and
//! `msgUuid`s. Whatever fails midway (a script whose answer was lost, the store gone), the
//! holder goes back to claiming what it has not finished: nothing read is lost, and a message
//! sent again carries its `msgUuid`, so DingTalk does not post it twice.
//!
//! A process about to end hands its closed robots over ([`hand_over`]): their workers finish
//! the request they have in flight, if any, leave what else they read for the next holder
//! (as a killed holder would), and give the lease up at once rather than let it lapse.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::checked::{Checked, MsgUuid};
use crate::delivery::Receipt;
use crate::delivery::fleet::keys::Keys;
use crate::delivery::fleet::limiter::{IDLE, PlaceArgs, RedisLimiter};
use crate::delivery::fleet::outcome;
use crate::delivery::fleet::scripts::{
    self, CLAIM_SCRIPT, ENQUEUE_SCRIPT, Entry, FINISH_SCRIPT, LEAD_SCRIPT, Placed, RENEW_SCRIPT,
    STEP_DOWN_SCRIPT, TAKE_SCRIPT, Unexpected, int,
};
use crate::delivery::fleet::store::Store;
use crate::delivery::limiter::{BoxFuture, Limit, Limiter, Slot};
use crate::delivery::receipt::Delivery;
use crate::delivery::settings::{Policy, QueuePolicy};
use crate::delivery::worker::{Step, Worker};
use crate::error::Error;
use crate::payload::Payload;
use crate::transport::{Destination, Transport};

/// How long the outcome of a message is kept for a sender that lost its connection.
const OUTCOME_TTL: Duration = Duration::from_secs(300);

/// How many new entries the lease holder reads at a time (with `QueuePolicy::Digest`, the
/// whole backlog up to one past the capacity, so that it can merge it).
const READ: usize = 100;
const MOST_READ: usize = 10_000;

/// How often an idle holder looks at the queue, in case a wake-up was missed.
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// How often a process that does not hold the lease looks whether it lapsed, at most.
const FOLLOW_LOOK: Duration = Duration::from_secs(1);

/// A robot's queue in Redis, and this process's worker for it. See the module's
/// documentation.
pub(crate) struct RedisOutbox<D: Destination> {
    store: Arc<Store>,
    keys: Keys,
    worker: Worker<D>,
    limiter: Arc<RedisLimiter>,
    capacity: usize,
    policy: QueuePolicy,
    takeover_after: Duration,
    /// This process's worker: its lease token and consumer name.
    token: String,
    /// Messages queued or in flight, as last seen.
    queued: AtomicUsize,
    control: Arc<Control>,
}

/// The life of one worker, as [`hand_over`] sees it.
#[derive(Default)]
struct Control {
    /// The robot is closed: no more sends will come from this process.
    closed: Signal,
    /// The process is about to end: stop now and give the lease up.
    handing_over: Signal,
    /// The worker has ended (and, if it held the lease, given it up).
    ended: Signal,
    /// A step took its place in the limit and has not finished: its request is in flight, or
    /// its outcome not yet written.
    sending: AtomicBool,
    /// Notified when a step finishes.
    step_done: Notify,
}

/// Marks the step in hand finished when dropped, however it ends.
struct StepDone<'a>(&'a Control);

impl Drop for StepDone<'_> {
    fn drop(&mut self) {
        self.0.sending.store(false, Ordering::SeqCst);
        self.0.step_done.notify_waiters();
    }
}

/// The robot's limiter as its worker uses it: it notes when a step has its place, and so is
/// about to send, for [`hand_over`].
#[derive(Debug)]
struct Noted {
    limiter: Arc<RedisLimiter>,
    control: Arc<Control>,
}

impl Limiter for Noted {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(async move {
            let slot = self.limiter.acquire().await?;
            self.control.sending.store(true, Ordering::SeqCst);
            Ok(slot)
        })
    }

    fn release(&self, slot: Slot) {
        self.limiter.release(slot);
    }

    fn hold(&self, penalty: Duration) {
        self.limiter.hold(penalty);
    }

    fn available(&self) -> usize {
        self.limiter.available()
    }

    fn held_for(&self) -> Duration {
        self.limiter.held_for()
    }
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control")
            .field("closed", &self.closed.is_set())
            .field("handing_over", &self.handing_over.is_set())
            .field("ended", &self.ended.is_set())
            .finish_non_exhaustive()
    }
}

/// A flag that can be waited for.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    notify: Notify,
}

impl Signal {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Returns once the flag is set.
    async fn wait(&self) {
        let notified = self.notify.notified();
        if !self.is_set() {
            notified.await;
        }
    }
}

/// Marks the worker ended when its task ends, however it ends.
struct Ended(Arc<Control>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.ended.set();
    }
}

/// Every worker of this process, for [`hand_over`].
static WORKERS: LazyLock<Mutex<Vec<Weak<Control>>>> = LazyLock::new(Default::default);

/// For a process about to end: the worker of every robot whose last clone is gone finishes
/// the request it has in flight, if any, and gives its lease up, so that another process
/// takes the robot over now rather than when the lease lapses. What else it read (a message
/// waiting for its place in the limit) stays in Redis for that process, with its `msgUuid`.
/// Robots still in use are left alone. Waits at most `deadline`; `true` if every such worker
/// ended in time.
pub(crate) async fn hand_over(deadline: Duration) -> bool {
    let closed: Vec<Arc<Control>> = {
        let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
        workers.retain(|worker| worker.strong_count() > 0);
        workers
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|control| control.closed.is_set() && !control.ended.is_set())
            .collect()
    };
    for control in &closed {
        control.handing_over.set();
    }
    let ended = async {
        for control in &closed {
            control.ended.wait().await;
        }
    };
    tokio::time::timeout(deadline, ended).await.is_ok()
}

/// Why the lease holder stopped.
#[derive(Debug)]
enum End {
    /// Every robot is gone: it stepped down.
    Closed,
    /// Another process holds the lease.
    Lost,
    /// The lease could not be renewed in time: the store is out of reach.
    Unreachable(Error),
}

/// Why the holder's delivery stopped short.
#[derive(Debug)]
enum Stop {
    Closed,
    Lost,
    /// Something failed midway: claim again what is not finished, and go on.
    Resync,
}

/// A queued message, read back.
struct Item {
    entry: Entry,
    msg_uuid: MsgUuid,
    checked: Checked,
}

/// A queued entry as read back: a message to deliver, or one that cannot be sent as it is
/// (and its message, if it reads as one).
enum Read {
    Item(Item),
    Bad(Entry, Option<Payload>, Error),
}

/// What a `FINISH` did beyond finishing: what it read next, and whether to stop.
struct Finished {
    next: Vec<Entry>,
    stop: Option<Stop>,
}

/// Waits that double, from 50 ms to 2 s, with jitter.
struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(50);

    fn new() -> Backoff {
        Backoff(Backoff::FIRST)
    }

    fn next(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (wait * 2).min(Duration::from_secs(2));
        wait + wait.mul_f64(fastrand::f64() / 2.0)
    }

    fn reset(&mut self) {
        self.0 = Backoff::FIRST;
    }
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

fn unexpected(what: &'static str) -> Error {
    Error::store_unavailable("answer as this library expects", Unexpected(what))
}

impl<D: Destination> RedisOutbox<D> {
    /// The queue in `store` of `destination`, sent through `transport` within `limit`, and
    /// this process's worker for it, started on the store's runtime: it takes the lease when
    /// it is free, and takes over from a holder that has not renewed it for
    /// `takeover_after`.
    pub fn new(
        destination: D,
        transport: Transport,
        store: Arc<Store>,
        limit: Option<Limit>,
        policy: Policy,
        takeover_after: Duration,
    ) -> Arc<RedisOutbox<D>> {
        let keys = Keys::new(destination.limit_key());
        let limiter = Arc::new(RedisLimiter::new(
            Arc::clone(&store),
            keys.clone(),
            limit,
            transport.timeout(),
        ));
        let (capacity, queue_policy) = (policy.capacity, policy.queue);
        let control: Arc<Control> = Arc::default();
        let noted = Noted {
            limiter: Arc::clone(&limiter),
            control: Arc::clone(&control),
        };
        let worker = Worker::new(destination, transport, Arc::new(noted), policy);
        let outbox = Arc::new(RedisOutbox {
            store: Arc::clone(&store),
            keys,
            worker,
            limiter,
            capacity,
            policy: queue_policy,
            takeover_after,
            token: format!("{:032x}", fastrand::u128(..)),
            queued: AtomicUsize::new(0),
            control,
        });
        {
            let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
            workers.retain(|worker| worker.strong_count() > 0);
            workers.push(Arc::downgrade(&outbox.control));
        }
        let ended = Ended(Arc::clone(&outbox.control));
        let worker = Arc::clone(&outbox);
        store.spawn(async move {
            worker.run().await;
            drop(ended);
        });
        outbox
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
        &*self.limiter
    }

    /// The store it is kept in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Messages queued or in flight in the whole fleet, as last seen by this process.
    pub fn pending(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    fn name(&self) -> &str {
        self.worker.destination().name()
    }

    fn is_closed(&self) -> bool {
        self.control.closed.is_set()
    }

    /// Returns once the outbox is closed.
    async fn closing(&self) {
        self.control.closed.wait().await;
    }

    /// Returns once the process hands the robot over ([`hand_over`]) and no step of this
    /// worker is under way: one that has its place finishes first, its outcome written.
    async fn handed_over(&self) {
        self.control.handing_over.wait().await;
        loop {
            let done = self.control.step_done.notified();
            if !self.control.sending.load(Ordering::SeqCst) {
                return;
            }
            done.await;
        }
    }

    /// Queues a checked message in Redis, as the queue policy says; with
    /// [`QueuePolicy::Wait`], waits for room. Returns once the message is in Redis.
    pub async fn enqueue(&self, checked: Checked) -> Result<Delivery, Error> {
        // Subscribed before anything is queued, so no outcome is published unheard.
        self.store.subscribe(self.store.reply_channel()).await?;
        let msg_uuid = MsgUuid::random();
        let uuid = msg_uuid.as_str();
        let delivery = self
            .store
            .wait_for(uuid, &self.keys.queue, self.keys.outcome(uuid));
        let body = checked.into_body();
        let mut wait = Duration::from_millis(10);
        loop {
            match self.push(uuid, &body, self.store.reply_channel()).await {
                Ok(Ok(entry)) => {
                    self.store.queued(uuid, entry);
                    return Ok(delivery);
                }
                Ok(Err(())) if self.policy == QueuePolicy::Wait => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(250));
                }
                Ok(Err(())) => {
                    self.store.forget(uuid);
                    return Err(Error::queue_full(self.capacity));
                }
                Err(e) => {
                    self.store.forget(uuid);
                    return Err(e);
                }
            }
        }
    }

    /// Queues a checked message without waiting for room, nor for Redis: it is written in
    /// the background, and a full queue (or a store out of reach) drops it with a warning.
    /// Nobody hears its outcome. For failure notices.
    pub fn try_enqueue(self: &Arc<Self>, checked: Checked) {
        let this = Arc::clone(self);
        let body = checked.into_body();
        self.store.spawn(async move {
            let msg_uuid = MsgUuid::random();
            let dropped = match this.push(msg_uuid.as_str(), &body, "").await {
                Ok(Ok(_)) => return,
                Ok(Err(())) => Error::queue_full(this.capacity),
                Err(e) => e,
            };
            tracing::warn!(
                robot = %this.name(),
                error = %dropped,
                "a failure notice could not be queued: dropped"
            );
        });
    }

    /// One try at queueing `body` as `msg_uuid`: its entry, or `Err(())` when the queue is
    /// full (not with `QueuePolicy::Digest`, which always queues).
    async fn push(
        &self,
        msg_uuid: &str,
        body: &str,
        reply: &str,
    ) -> Result<Result<String, ()>, Error> {
        let policy = match self.policy {
            QueuePolicy::Wait => "wait",
            QueuePolicy::Fail => "fail",
            QueuePolicy::Digest => "digest",
        };
        let answer = self
            .store
            .script(
                "queue the message",
                &ENQUEUE_SCRIPT,
                vec![self.keys.queue.clone()],
                vec![
                    self.capacity.to_string(),
                    policy.to_owned(),
                    millis(IDLE),
                    msg_uuid.to_owned(),
                    body.to_owned(),
                    reply.to_owned(),
                    self.keys.wake.clone(),
                ],
            )
            .await?;
        let items = scripts::array(&answer).ok_or_else(|| unexpected("from ENQUEUE"))?;
        let (queued, len) = match items {
            [queued, len, ..] => (int(queued), int(len)),
            _ => return Err(unexpected("from ENQUEUE")),
        };
        if let Some(len) = len {
            self.queued
                .store(usize::try_from(len).unwrap_or(0), Ordering::Relaxed);
        }
        match (queued, items.get(2).and_then(scripts::string)) {
            (Some(1), Some(entry)) => Ok(Ok(entry)),
            (Some(0), _) => Ok(Err(())),
            _ => Err(unexpected("from ENQUEUE")),
        }
    }

    /// Waits until the robot's queue in Redis is empty (every message of the fleet delivered
    /// or finally failed), for at most `deadline`.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        let until = Instant::now() + deadline;
        loop {
            let len: usize = self
                .store
                .command(
                    "count the queued messages",
                    redis::cmd("XLEN").arg(&self.keys.queue).clone(),
                )
                .await?;
            self.queued.store(len, Ordering::Relaxed);
            if len == 0 {
                return Ok(());
            }
            let now = Instant::now();
            if now >= until {
                return Err(Error::flush_timeout(len, deadline));
            }
            tokio::time::sleep((until - now).min(Duration::from_millis(20))).await;
        }
    }

    /// No more sends will come from this process: its worker finishes the delivery in hand,
    /// if it holds the lease, and steps down, so that another process takes over at once.
    pub fn close(&self) {
        self.control.closed.set();
    }

    /// This process's worker: takes the lease when it can, delivers while it holds it.
    async fn run(self: Arc<Self>) {
        let wake = self.store.wake(&self.keys.wake);
        let mut trouble = Backoff::new();
        let mut outage = false;
        loop {
            if self.is_closed() {
                return;
            }
            let woken = wake.notified();
            // Subscribed to wake-ups first: a queue that was empty got a message, or a holder
            // stepped down.
            let led = match self.store.subscribe(&self.keys.wake).await {
                Ok(()) => self.lead().await,
                Err(e) => Err(e),
            };
            match led {
                Err(e) => {
                    if !std::mem::replace(&mut outage, true) {
                        tracing::warn!(
                            robot = %self.name(),
                            error = %e,
                            "the robot's shared queue is out of reach: it waits in Redis"
                        );
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(trouble.next()) => {}
                        _ = self.closing() => {}
                    }
                    continue;
                }
                Ok(Some(left)) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(left.min(FOLLOW_LOOK)) => {}
                        _ = self.closing() => {}
                    }
                }
                Ok(None) => {
                    trouble.reset();
                    if std::mem::replace(&mut outage, false) {
                        tracing::info!(robot = %self.name(), "the robot's shared queue is in reach again");
                    }
                    tracing::debug!(robot = %self.name(), "this process delivers the robot's shared queue");
                    let end = tokio::select! {
                        end = self.deliver_while_held(&wake) => end,
                        end = self.keep_lease() => end,
                        // What was read and not started is claimed by the next holder.
                        () = self.handed_over() => End::Closed,
                    };
                    self.limiter.forget_ahead();
                    match end {
                        End::Closed => {
                            // Before the lease goes: the process may end as soon as it has.
                            self.limiter.write_given_back().await;
                            self.step_down().await;
                            return;
                        }
                        End::Lost => tracing::warn!(
                            robot = %self.name(),
                            "this process lost the robot's lease: another delivers its queue"
                        ),
                        End::Unreachable(e) => {
                            tracing::warn!(
                                robot = %self.name(),
                                error = %e,
                                "the robot's lease could not be renewed: this process stops delivering"
                            );
                            tokio::time::sleep(trouble.next()).await;
                        }
                    }
                }
            }
        }
    }

    /// Takes or keeps the lease: `None` when this process holds it, else how long the
    /// holder's has left.
    async fn lead(&self) -> Result<Option<Duration>, Error> {
        let answer = self
            .store
            .script(
                "take the robot's lease",
                &LEAD_SCRIPT,
                vec![self.keys.lease.clone(), self.keys.queue.clone()],
                vec![self.token.clone(), millis(self.takeover_after)],
            )
            .await?;
        match scripts::array(&answer) {
            Some([held, left, ..]) => match (int(held), int(left)) {
                (Some(1), _) => Ok(None),
                (Some(0), Some(left)) => Ok(Some(Duration::from_millis(
                    u64::try_from(left).unwrap_or(0),
                ))),
                _ => Err(unexpected("from LEAD")),
            },
            _ => Err(unexpected("from LEAD")),
        }
    }

    /// Renews the lease a third of `takeover_after` at a time, while it is this process's.
    /// Returns when it is lost, or could not be renewed before it would lapse.
    async fn keep_lease(&self) -> End {
        let every = self.takeover_after / 3;
        let mut kept = Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let renewed = self.store.script(
                "renew the robot's lease",
                &RENEW_SCRIPT,
                vec![self.keys.lease.clone()],
                vec![self.token.clone(), millis(self.takeover_after)],
            );
            match tokio::time::timeout(every, renewed).await {
                Ok(Ok(answer)) if int(&answer) == Some(1) => kept = Instant::now(),
                Ok(Ok(_)) => return End::Lost,
                Ok(Err(e)) if kept.elapsed() + every >= self.takeover_after => {
                    return End::Unreachable(e);
                }
                Err(_) if kept.elapsed() + every >= self.takeover_after => {
                    return End::Unreachable(Error::store_unavailable(
                        "renew the robot's lease",
                        Unexpected("no answer in time"),
                    ));
                }
                _ => {}
            }
        }
    }

    /// Gives the lease up, so that another process takes over at once.
    async fn step_down(&self) {
        let stepped = self
            .store
            .script(
                "give the robot's lease up",
                &STEP_DOWN_SCRIPT,
                vec![self.keys.lease.clone()],
                vec![self.token.clone(), self.keys.wake.clone()],
            )
            .await;
        if let Err(e) = stepped {
            tracing::debug!(robot = %self.name(), error = %e, "the lease is left to lapse");
        }
    }

    /// Delivers while the lease is held: after any failure midway, claims again what is not
    /// finished and goes on.
    async fn deliver_while_held(&self, wake: &Notify) -> End {
        let mut trouble = Backoff::new();
        loop {
            match self.deliver_from_claims(wake).await {
                Stop::Closed => return End::Closed,
                Stop::Lost => return End::Lost,
                Stop::Resync => {
                    self.limiter.forget_ahead();
                    tokio::time::sleep(trouble.next()).await;
                }
            }
        }
    }

    /// Claims and delivers what earlier holders left, in order, then new entries as they come.
    async fn deliver_from_claims(&self, wake: &Notify) -> Stop {
        let mut cursor = "0-0".to_owned();
        loop {
            let (entries, next) = match self.claim(&cursor).await {
                Ok(Some(claimed)) => claimed,
                Ok(None) => return Stop::Lost,
                Err(_) => return Stop::Resync,
            };
            if !entries.is_empty()
                && let Err(stop) = self.deliver_batch(entries, false).await
            {
                return stop;
            }
            if next == "0-0" {
                break;
            }
            cursor = next;
        }
        // What the last script read: `FINISH` reads on, `TAKE` reads after a wait.
        let mut read = Vec::new();
        let mut looked = false;
        loop {
            if read.is_empty() && !looked {
                read = match self.take().await {
                    Ok(Some(entries)) => entries,
                    Ok(None) => return Stop::Lost,
                    Err(_) => return Stop::Resync,
                };
            }
            if read.is_empty() {
                if self.is_closed() {
                    return Stop::Closed;
                }
                // A message queued since the last look woke us, or wakes us now: `ENQUEUE`
                // publishes when the queue was empty, and the wake-up is kept until waited
                // for.
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(IDLE_LOOK) => {}
                    _ = self.closing() => {}
                }
                looked = false;
                continue;
            }
            (read, looked) = match self.deliver_batch(std::mem::take(&mut read), true).await {
                Ok(Some(next)) => (next, true),
                Ok(None) => (Vec::new(), false),
                Err(stop) => return stop,
            };
        }
    }

    /// Claims the unfinished entries from `cursor` on: them and the next cursor (`0-0` at the
    /// end), or `None` when the lease is lost.
    async fn claim(&self, cursor: &str) -> Result<Option<(Vec<Entry>, String)>, Error> {
        let answer = self
            .store
            .script(
                "claim unfinished messages",
                &CLAIM_SCRIPT,
                vec![self.keys.lease.clone(), self.keys.queue.clone()],
                vec![
                    self.token.clone(),
                    millis(self.takeover_after),
                    cursor.to_owned(),
                    self.read_count().to_string(),
                ],
            )
            .await?;
        let items = scripts::array(&answer).ok_or_else(|| unexpected("from CLAIM"))?;
        match items {
            [held, ..] if int(held) == Some(0) => Ok(None),
            [_, next, entries, ..] => {
                let next = scripts::string(next).ok_or_else(|| unexpected("from CLAIM"))?;
                let entries = Entry::read_all(entries).ok_or_else(|| unexpected("from CLAIM"))?;
                Ok(Some((entries, next)))
            }
            _ => Err(unexpected("from CLAIM")),
        }
    }

    /// Reads new entries, taking a place in the limit for the first: them, or `None` when the
    /// lease is lost.
    async fn take(&self) -> Result<Option<Vec<Entry>>, Error> {
        let place = self.limiter.place_args();
        let releases = self.limiter.take_unwritten();
        let mut args = vec![
            self.token.clone(),
            millis(self.takeover_after),
            self.read_count().to_string(),
            place.max.clone(),
            place.per.clone(),
            place.lease.clone(),
            place.idle.clone(),
            place.id.clone(),
        ];
        args.extend(releases.iter().cloned());
        let keys = vec![
            self.keys.lease.clone(),
            self.keys.queue.clone(),
            self.keys.places.clone(),
            self.keys.hold.clone(),
        ];
        let answer = match self
            .store
            .script("read queued messages", &TAKE_SCRIPT, keys, args)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                self.limiter.unwrite(releases);
                return Err(e);
            }
        };
        self.read_answer(&answer, Some(&place), "TAKE")
    }

    /// What `TAKE` or `FINISH` answered: the entries read (the place for the first noted by
    /// the limiter), or `None` when the lease is lost.
    fn read_answer(
        &self,
        answer: &redis::Value,
        place: Option<&PlaceArgs>,
        script: &'static str,
    ) -> Result<Option<Vec<Entry>>, Error> {
        let items = scripts::array(answer).ok_or_else(|| unexpected(script))?;
        match items {
            [held, len, ..] if int(held) == Some(0) => {
                if let Some(len) = int(len) {
                    self.queued
                        .store(usize::try_from(len).unwrap_or(0), Ordering::Relaxed);
                }
                Ok(None)
            }
            [_, entries, placed, len, ..] => {
                let entries = Entry::read_all(entries).ok_or_else(|| unexpected(script))?;
                if let (Some(place), Some(placed)) = (place, Placed::read(placed)) {
                    self.limiter.placed(place, placed);
                }
                if let Some(len) = int(len) {
                    self.queued
                        .store(usize::try_from(len).unwrap_or(0), Ordering::Relaxed);
                }
                Ok(Some(entries))
            }
            [held] if int(held) == Some(0) => Ok(None),
            _ => Err(unexpected(script)),
        }
    }

    fn read_count(&self) -> usize {
        match self.policy {
            QueuePolicy::Digest => self.capacity.saturating_add(1).clamp(READ, MOST_READ),
            _ => READ,
        }
    }

    /// A queued message as delivery needs it, checked again against this process's robot;
    /// or what is wrong with it.
    fn read(&self, entry: Entry) -> Read {
        let Some(msg_uuid) = MsgUuid::parse(&entry.msg_uuid) else {
            let error = Error::invalid_message("a queued message without a msgUuid");
            return Read::Bad(entry, None, error);
        };
        let payload = match Payload::from_json(&entry.body) {
            Ok(payload) => payload,
            Err(error) => return Read::Bad(entry, None, error),
        };
        match self.worker.destination().check(payload) {
            Ok(checked) => Read::Item(Item {
                entry,
                msg_uuid,
                checked,
            }),
            Err(error) => {
                let payload = Payload::from_json(&entry.body).ok();
                Read::Bad(entry, payload, error)
            }
        }
    }

    /// Delivers `entries` in order: a backlog that overflowed (up to its last entry queued
    /// over the capacity) as digests, the rest one by one. After the last, if `read_on`,
    /// reads what comes next and returns it (`None`: nothing was read on).
    async fn deliver_batch(
        &self,
        entries: Vec<Entry>,
        read_on: bool,
    ) -> Result<Option<Vec<Entry>>, Stop> {
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            match self.read(entry) {
                Read::Item(item) => items.push(item),
                Read::Bad(entry, payload, error) => {
                    tracing::warn!(
                        robot = %self.name(),
                        error = %error,
                        "a queued message cannot be sent as it is"
                    );
                    if let Some(payload) = &payload {
                        self.worker.notify_failure(payload, &error);
                    }
                    let finished = self.finish(&[&entry], &Err(error), 0, false).await?;
                    if let Some(stop) = finished.stop {
                        return Err(stop);
                    }
                }
            }
        }
        let merged = items
            .iter()
            .rposition(|item| item.entry.overflow)
            .map_or(0, |last| last + 1);
        let mut steps = if merged > 0 {
            let backlog: Vec<&Checked> = items[..merged].iter().map(|i| &i.checked).collect();
            self.worker.plan(&backlog)
        } else {
            Vec::new()
        };
        steps.extend((merged..items.len()).map(|_| Step::One));
        let total = steps.len();
        let mut items = items.into_iter();
        for (i, step) in steps.into_iter().enumerate() {
            // Under way from its place in the limit until its outcome is written.
            let _done = StepDone(&self.control);
            let run: Vec<Item> = items.by_ref().take(step.count()).collect();
            let result = match &step {
                Step::One => {
                    self.worker
                        .deliver_one(&run[0].checked, &run[0].msg_uuid, 1)
                        .await
                }
                Step::Merged { digest, .. } => {
                    let msg_uuid = MsgUuid::merged(run.iter().map(|i| &i.msg_uuid));
                    self.worker.deliver_one(digest, &msg_uuid, run.len()).await
                }
            };
            if result.as_ref().is_err_and(Error::is_store_failure) {
                // The limit could not be consulted: nothing was sent, nothing is finished.
                return Err(Stop::Resync);
            }
            let last = i + 1 == total;
            let (count, place) = match (last, read_on) {
                (false, _) => (0, true),
                (true, true) => (self.read_count(), true),
                (true, false) => (0, false),
            };
            // As in the process's own queue, the hook and the fallback hear of a failure before
            // the sender does. (If this process dies before the outcome is written, the next
            // holder sends the message again, and they may hear of it twice.)
            if let Err(e) = &result {
                for item in &run {
                    self.worker.notify_failure(item.checked.payload(), e);
                }
            }
            let entries: Vec<&Entry> = run.iter().map(|i| &i.entry).collect();
            let finished = self.finish(&entries, &result, count, place).await?;
            if let Some(stop) = finished.stop {
                return Err(stop);
            }
            if last {
                return Ok(read_on.then_some(finished.next));
            }
            if self.is_closed() {
                return Err(Stop::Closed);
            }
        }
        Ok(None)
    }

    /// Finishes `entries` with `result`: keeps and publishes the outcome, acknowledges and
    /// deletes them; then reads up to `count` more and, if `place`, takes a place for what
    /// comes next. Tried until it lands: if an answer is lost, the holder claims again what
    /// it has not finished.
    async fn finish(
        &self,
        entries: &[&Entry],
        result: &Result<Receipt, Error>,
        count: usize,
        place: bool,
    ) -> Result<Finished, Stop> {
        let outcome = outcome::encode(result);
        let mut keys = vec![
            self.keys.lease.clone(),
            self.keys.queue.clone(),
            self.keys.places.clone(),
            self.keys.hold.clone(),
        ];
        keys.extend(entries.iter().map(|e| self.keys.outcome(&e.msg_uuid)));
        // Each sender's process hears of its own messages.
        let mut channels: HashMap<&str, Vec<&str>> = HashMap::new();
        for entry in entries.iter().filter(|e| !e.reply.is_empty()) {
            channels
                .entry(&entry.reply)
                .or_default()
                .push(&entry.msg_uuid);
        }
        let finishing = |count: usize, place: Option<&PlaceArgs>, releases: &[String]| {
            let mut args = vec![
                self.token.clone(),
                millis(self.takeover_after),
                count.to_string(),
            ];
            match place {
                Some(place) => args.extend([
                    place.max.clone(),
                    place.per.clone(),
                    place.lease.clone(),
                    place.idle.clone(),
                    place.id.clone(),
                ]),
                None => {
                    let per = self.limiter.place_args();
                    args.extend([per.max, per.per, per.lease, per.idle, String::new()]);
                }
            }
            args.push(millis(OUTCOME_TTL));
            args.push(outcome.clone());
            args.push(entries.len().to_string());
            args.extend(entries.iter().map(|e| e.id.clone()));
            args.push(channels.len().to_string());
            for (channel, uuids) in &channels {
                args.push((*channel).to_owned());
                args.push(format!("{}\n{outcome}", uuids.join(",")));
            }
            args.extend(releases.iter().cloned());
            args
        };
        let next_place = place.then(|| self.limiter.place_args());
        let releases = self.limiter.take_unwritten();
        let args = finishing(count, next_place.as_ref(), &releases);
        match self
            .store
            .script("finish a message", &FINISH_SCRIPT, keys.clone(), args)
            .await
        {
            Ok(answer) => {
                return match self.read_answer(&answer, next_place.as_ref(), "FINISH") {
                    Ok(Some(next)) => Ok(Finished { next, stop: None }),
                    Ok(None) => Ok(Finished {
                        next: Vec::new(),
                        stop: Some(Stop::Lost),
                    }),
                    Err(_) => Ok(Finished {
                        next: Vec::new(),
                        stop: Some(Stop::Resync),
                    }),
                };
            }
            Err(e) => {
                self.limiter.unwrite(releases);
                tracing::debug!(robot = %self.name(), error = %e, "a message's outcome could not be written: trying again");
            }
        }
        // The answer is lost, and the script may have run: finish again, reading nothing,
        // then claim again what is not finished.
        let mut trouble = Backoff::new();
        loop {
            tokio::time::sleep(trouble.next()).await;
            let releases = self.limiter.take_unwritten();
            let args = finishing(0, None, &releases);
            match self
                .store
                .script("finish a message", &FINISH_SCRIPT, keys.clone(), args)
                .await
            {
                Ok(answer) => {
                    let lost = scripts::array(&answer)
                        .and_then(|items| items.first())
                        .and_then(int)
                        == Some(0);
                    return Ok(Finished {
                        next: Vec::new(),
                        stop: Some(if lost { Stop::Lost } else { Stop::Resync }),
                    });
                }
                Err(_) => self.limiter.unwrite(releases),
            }
        }
    }
}

impl<D: Destination> fmt::Debug for RedisOutbox<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisOutbox")
            .field("store", &self.store)
            .field("takeover_after", &self.takeover_after)
            .finish_non_exhaustive()
    }
}
