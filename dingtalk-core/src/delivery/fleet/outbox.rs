//! [`RedisOutbox`]: a robot's queue kept in Redis, delivered in order by one process of the
//! fleet at a time.
//!
//! Senders add each checked message to the robot's stream, with its `msgUuid` and the channel
//! its sender hears the outcome on, as the queue policy says (one script: `ENQUEUE`, which
//! queues a `msgUuid` once: a sender whose answer was lost tries again with the same one).
//! Every process with the robot runs a worker; the one that holds the robot's lease delivers:
//! first the entries earlier holders read and did not finish (claimed in order), then new
//! ones, through the same [`Worker`] as the in-process queue (limit, throttles, retries,
//! digests). Each entry is acknowledged, deleted and its outcome published only once it is
//! delivered or has finally failed, in one script (`FINISH`) that also reads what comes next
//! and takes its place in the limit; an entry that cannot be read as a message is finished
//! as failed, alone. The lease is renewed while held; a holder that cannot renew it stops,
//! and another process takes over once it lapses, with the same entries and `msgUuid`s; a
//! holder that stalled and lost it takes no more places in the limit, so sends nothing more.
//! Whatever fails midway (a script whose answer was lost, the store gone), the holder goes
//! back to claiming what it has not finished: nothing read is lost, and a message sent again
//! carries its `msgUuid`, so DingTalk does not post it twice.
//!
//! The processes that do not hold the lease wait for it to be given up (a channel of its
//! own) or to lapse; they do not hear of each message queued, which only the holder needs.
//!
//! Once the robot's last clone in a process is gone, or the robot is closed
//! ([`RedisOutbox::close_and_wait`]), its worker finishes the request it has in flight, if
//! any (a step that only waits, for a place, a throttle or a retry, is cut short), leaves
//! what else it read for the next holder (as a killed holder would), writes back the places
//! it gave back and gives the lease up at once rather than let it lapse.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::checked::{Checked, MsgUuid};
use crate::delivery::Receipt;
use crate::delivery::fleet::keys::Keys;
use crate::delivery::fleet::limiter::{IDLE, LeaseLost, PlaceArgs, RedisLimiter};
use crate::delivery::fleet::outcome;
use crate::delivery::fleet::scripts::{
    self, CLAIM_SCRIPT, ENQUEUE_SCRIPT, Entry, FINISH_SCRIPT, LEAD_SCRIPT, Placed, RENEW_SCRIPT,
    STEP_DOWN_SCRIPT, TAKE_SCRIPT, Unexpected, int,
};
use crate::delivery::fleet::store::Store;
use crate::delivery::limiter::{BoxFuture, Limit, Limiter, Slot};
use crate::delivery::receipt::Delivery;
use crate::delivery::settings::{Policy, QueuePolicy};
use crate::delivery::worker::{Step, Worker, latest};
use crate::error::{Error, ErrorKind, Sent};
use crate::payload::Payload;
use crate::transport::{Destination, Transport};

/// How long the outcome of a message is kept for a sender that lost its connection.
const OUTCOME_TTL: Duration = Duration::from_secs(300);

/// How long the entry a message was queued as is kept by its `msgUuid`, so that queueing it
/// again finds it: well beyond the longest a sender goes on trying ([`ENQUEUE_PATIENCE`],
/// and one more try's answer).
const QUEUED_TTL: Duration = Duration::from_secs(60);

/// How long after its first failure a sender goes on trying to queue a message (with the
/// same `msgUuid`) before it gives up.
const ENQUEUE_PATIENCE: Duration = Duration::from_secs(2);

/// How many new entries the lease holder reads at a time (with `QueuePolicy::Digest`, the
/// backlog up to one past the capacity, so that it can merge it, and at most `MOST_READ`:
/// an answer of entries up to 20,000 bytes each must come within the store's response
/// timeout).
const READ: usize = 100;
const MOST_READ: usize = 1_000;

/// With `QueuePolicy::Digest`, how many messages the shared backlog holds beyond its
/// capacity at most (or the capacity again, if more): the overflow waits for a process to
/// deliver it, and there may be none.
const MOST_OVERFLOW: usize = MOST_READ;

/// How often an idle holder looks at the queue, in case a wake-up was missed.
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// How soon a process that does not hold the lease looks again when the lease's time left
/// is unknown. (Otherwise it looks when the lease would lapse, or when it is given up.)
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

/// The life of one worker.
#[derive(Default)]
struct Control {
    /// No more sends will come from this process (the robot's last clone is gone, or it was
    /// closed): the worker finishes the request it has in flight, if any, and steps down.
    closed: Signal,
    /// The worker has ended (and, if it held the lease, given it up).
    ended: Signal,
    /// A request is in flight: from its place in the limit until the place is given back.
    in_request: AtomicBool,
    /// Notified when a request's place is given back.
    request_done: Notify,
}

/// The robot's limiter as its worker uses it: it notes when a request holds its place, and
/// so is in flight, for the worker's closing.
#[derive(Debug)]
struct Noted {
    limiter: Arc<RedisLimiter>,
    control: Arc<Control>,
}

impl Limiter for Noted {
    fn acquire(&self) -> BoxFuture<'_, Result<Slot, Error>> {
        Box::pin(async move {
            let slot = self.limiter.acquire().await?;
            self.control.in_request.store(true, Ordering::SeqCst);
            Ok(slot)
        })
    }

    fn release(&self, slot: Slot) {
        self.limiter.release(slot);
        self.control.in_request.store(false, Ordering::SeqCst);
        self.control.request_done.notify_waiters();
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
            .field("ended", &self.ended.is_set())
            .field("in_request", &self.in_request.load(Ordering::SeqCst))
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

/// Why the lease holder stopped.
#[derive(Debug)]
enum End {
    /// The robot is closed in this process: it stepped down.
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
    /// Its deadline, on this process's clock.
    deadline: Option<Instant>,
}

/// A queued entry as read back: a message to deliver, or one that cannot be sent as it is
/// (and its message, if it reads as one).
enum Read {
    Item(Item),
    Bad(Entry, Option<Payload>, Error),
}

/// Entries read, and whether the queue had overflowed when they were (with
/// `QueuePolicy::Digest`: they are a backlog to merge).
#[derive(Default)]
struct Batch {
    entries: Vec<Entry>,
    overflowed: bool,
    /// Redis's clock when they were read, with this process's: to read their deadlines.
    clock: Option<Clock>,
}

/// Redis's clock (ms) at an instant of this process's.
#[derive(Clone, Copy)]
struct Clock {
    redis_ms: i64,
    at: Instant,
}

impl Clock {
    /// What a script answered for its time (`now`), as it is read here.
    fn read(now: Option<&redis::Value>) -> Option<Clock> {
        Some(Clock {
            redis_ms: int(now?)?,
            at: Instant::now(),
        })
    }

    /// The instant of this process's clock at `ms` of Redis's.
    fn local(self, ms: i64) -> Instant {
        let ahead = u64::try_from(ms.saturating_sub(self.redis_ms)).unwrap_or(0);
        self.at
            .checked_add(Duration::from_millis(ahead))
            .unwrap_or(self.at + Duration::from_secs(86_400 * 365))
    }
}

/// What a `FINISH` did beyond finishing: what it read next, and whether to stop.
struct Finished {
    next: Batch,
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

/// What a store's failure said, kept as the cause of another error.
#[derive(Debug)]
struct Cause(String);

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Cause {}

/// The Redis client's error behind `error`, if any.
fn redis_cause(error: &Error) -> Option<&redis::RedisError> {
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        if let Some(redis) = e.downcast_ref::<redis::RedisError>() {
            return Some(redis);
        }
        cause = e.source();
    }
    None
}

/// Whether a script that failed with `error` surely did not run: no connection could be
/// made, or Redis answered with an error. Otherwise (no answer in time, the connection lost
/// once the script was sent, an answer that cannot be read) it may have run.
fn surely_not_run(error: &Error) -> bool {
    redis_cause(error).is_some_and(|e| {
        e.is_connection_refusal()
            || matches!(
                e.kind(),
                redis::ErrorKind::Server(_)
                    | redis::ErrorKind::Extension
                    | redis::ErrorKind::AuthenticationFailed
                    | redis::ErrorKind::InvalidClientConfig
                    | redis::ErrorKind::RESP3NotSupported
            )
    })
}

/// The error of a message that could not be queued, after `last` ended the last try: it
/// says whether the message may have been queued all the same (`unanswered`: a try may
/// have run in Redis, its answer lost), or surely was not.
fn not_queued(last: Error, unanswered: bool) -> Error {
    let what = if unanswered {
        "confirm that the message was queued (no answer came in time: it may have been \
         queued, and then it is delivered all the same, so sending it again may post it twice)"
    } else {
        "queue the message (it was not queued)"
    };
    let e = match redis_cause(&last) {
        Some(redis) => Error::store_unavailable(what, redis.clone()),
        None => {
            let cause = std::error::Error::source(&last)
                .map_or_else(|| last.to_string(), ToString::to_string);
            Error::store_unavailable(what, Cause(cause))
        }
    };
    if unanswered {
        e.with_sent(Sent::Maybe)
    } else {
        e
    }
}

/// How many new entries the lease holder reads at a time, with `policy` and `capacity`.
fn read_count(policy: QueuePolicy, capacity: usize) -> usize {
    match policy {
        QueuePolicy::Digest => capacity.saturating_add(1).clamp(READ, MOST_READ),
        _ => READ,
    }
}

/// The most messages the shared backlog holds with `QueuePolicy::Digest`, for `capacity`.
fn digest_bound(capacity: usize) -> usize {
    capacity.saturating_add(capacity.max(MOST_OVERFLOW))
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
        let token = format!("{:032x}", fastrand::u128(..));
        let limiter = Arc::new(RedisLimiter::new(
            Arc::clone(&store),
            keys.clone(),
            token.clone(),
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
            token,
            queued: AtomicUsize::new(0),
            control,
        });
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

    /// Returns once the outbox is closed and no request is in flight: a step that only
    /// waits (for a place, a throttle, a retry) may be dropped then, its entry left pending
    /// for the next holder.
    async fn interrupted(&self) {
        self.closing().await;
        loop {
            let done = self.control.request_done.notified();
            if !self.control.in_request.load(Ordering::SeqCst) {
                return;
            }
            done.await;
        }
    }

    /// Queues a checked message in Redis, as the queue policy says; with
    /// [`QueuePolicy::Wait`], waits for room. Returns once the message is in Redis.
    ///
    /// A message with a `deadline` keeps it in Redis (as the time left, on Redis's clock):
    /// the deliverer sends nothing of it after then, and finishes it as
    /// [`Expired`](crate::ErrorKind::Expired). Waiting for room ends at the deadline, with
    /// nothing queued.
    pub async fn enqueue(
        &self,
        checked: Checked,
        deadline: Option<Instant>,
    ) -> Result<Delivery, Error> {
        let msg_uuid = MsgUuid::random();
        let uuid = msg_uuid.as_str();
        let delivery = self
            .store
            .wait_for(uuid, &self.keys.queue, self.keys.outcome(uuid));
        let body = checked.into_body();
        let mut wait = Duration::from_millis(10);
        loop {
            let within = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        self.store.forget(uuid);
                        return Err(Error::expired(None, Sent::No).with_msg_uuid(uuid));
                    }
                    Some(left)
                }
                None => None,
            };
            match self
                .push(uuid, &body, self.store.reply_channel(), within)
                .await
            {
                Ok(Some(entry)) => {
                    self.store.queued(uuid, entry);
                    return Ok(delivery);
                }
                Ok(None) if self.policy == QueuePolicy::Wait => {
                    let pause = match deadline {
                        Some(deadline) => {
                            wait.min(deadline.saturating_duration_since(Instant::now()))
                        }
                        None => wait,
                    };
                    tokio::time::sleep(pause).await;
                    wait = (wait * 2).min(Duration::from_millis(250));
                }
                Ok(None) => {
                    self.store.forget(uuid);
                    return Err(Error::queue_full(self.capacity));
                }
                Err(e) => {
                    self.store.forget(uuid);
                    return Err(e.with_msg_uuid(uuid));
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
            let dropped = match this.push(msg_uuid.as_str(), &body, "", None).await {
                Ok(Some(_)) => return,
                Ok(None) => Error::queue_full(this.capacity),
                Err(e) => e,
            };
            tracing::warn!(
                robot = %this.name(),
                error = %dropped,
                "a failure notice could not be queued: dropped"
            );
        });
    }

    /// Queues `body` as `msg_uuid`, its outcome to be published on `reply` (none if empty):
    /// its entry, or `None` when the queue is full (with `QueuePolicy::Digest`, only past
    /// [`digest_bound`]). A try that fails is made again, with the same `msgUuid`, for up to
    /// [`ENQUEUE_PATIENCE`] after the first failure: `ENQUEUE` queues a `msgUuid` once, so a
    /// try whose answer was lost (it ran in Redis) is not queued twice, and the next try
    /// answers with its entry. The error at the end says whether the message may have been
    /// queued.
    async fn push(
        &self,
        msg_uuid: &str,
        body: &str,
        reply: &str,
        within: Option<Duration>,
    ) -> Result<Option<String>, Error> {
        let mut first_failure = None;
        let mut pause = Backoff::new();
        let mut unanswered = false;
        loop {
            let e = match self.push_once(msg_uuid, body, reply, within).await {
                Ok(queued) => return Ok(queued),
                // Refused credentials, say: trying again would not mend it.
                Err(e) if e.kind() != ErrorKind::StoreUnavailable => return Err(e),
                Err(e) => e,
            };
            unanswered |= !surely_not_run(&e);
            let since = *first_failure.get_or_insert_with(Instant::now);
            if since.elapsed() >= ENQUEUE_PATIENCE {
                return Err(not_queued(e, unanswered));
            }
            tracing::debug!(robot = %self.name(), error = %e, "a message could not be queued: trying again");
            tokio::time::sleep(pause.next()).await;
        }
    }

    /// One try at [`push`](RedisOutbox::push).
    async fn push_once(
        &self,
        msg_uuid: &str,
        body: &str,
        reply: &str,
        within: Option<Duration>,
    ) -> Result<Option<String>, Error> {
        if !reply.is_empty() {
            // Subscribed before anything is queued, so no outcome is published unheard.
            self.store.subscribe(reply).await?;
        }
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
                vec![self.keys.queue.clone(), self.keys.queued(msg_uuid)],
                vec![
                    self.capacity.to_string(),
                    policy.to_owned(),
                    millis(IDLE),
                    msg_uuid.to_owned(),
                    body.to_owned(),
                    reply.to_owned(),
                    self.keys.wake.clone(),
                    millis(QUEUED_TTL),
                    digest_bound(self.capacity).to_string(),
                    // At least 1 ms: an empty argument means no deadline.
                    within.map_or_else(String::new, |w| w.as_millis().max(1).to_string()),
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
            (Some(1), Some(entry)) => Ok(Some(entry)),
            (Some(0), _) => Ok(None),
            _ => Err(unexpected("from ENQUEUE")),
        }
    }

    /// Waits until the robot's queue in Redis is empty (every message of the fleet delivered
    /// or finally failed), for at most `deadline`, through failures to reach Redis: an
    /// error at the deadline says why it ended, the queue not yet empty
    /// ([`Timeout`](crate::ErrorKind::Timeout)) or Redis out of reach.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        let until = Instant::now() + deadline;
        let mut trouble = Backoff::new();
        loop {
            let count = self.store.command(
                "count the queued messages",
                redis::cmd("XLEN").arg(&self.keys.queue).clone(),
            );
            let failure = match tokio::time::timeout_at(until, count).await {
                Ok(Ok(len)) => {
                    self.queued.store(len, Ordering::Relaxed);
                    if len == 0 {
                        return Ok(());
                    }
                    trouble.reset();
                    None
                }
                Ok(Err(e)) => Some(e),
                Err(_) => Some(Error::store_unavailable(
                    "count the queued messages",
                    Unexpected("no answer before the deadline"),
                )),
            };
            let now = Instant::now();
            if now >= until {
                return Err(
                    failure.unwrap_or_else(|| Error::flush_timeout(self.pending(), deadline))
                );
            }
            let pause = match failure {
                Some(_) => trouble.next(),
                None => Duration::from_millis(20),
            };
            tokio::time::sleep(pause.min(until - now)).await;
        }
    }

    /// No more sends will come from this process: its worker finishes the request it has in
    /// flight, if any, and, if it holds the lease, gives it up, so that another process
    /// takes over at once. What it read and had not started stays in Redis for that process.
    pub fn close(&self) {
        self.control.closed.set();
    }

    /// Closes (see [`close`](RedisOutbox::close)) and waits, at most `deadline`, for the
    /// worker to end: its request in flight answered, the places it gave back written and
    /// the lease given up.
    pub async fn close_and_wait(&self, deadline: Duration) -> Result<(), Error> {
        self.close();
        if tokio::time::timeout(deadline, self.control.ended.wait())
            .await
            .is_ok()
        {
            return Ok(());
        }
        Err(if self.control.in_request.load(Ordering::SeqCst) {
            Error::flush_timeout(1, deadline)
        } else {
            Error::store_unavailable(
                "give the robot's lease up before the deadline",
                Unexpected("no answer in time"),
            )
        })
    }

    /// This process's worker: takes the lease when it can, delivers while it holds it.
    async fn run(self: Arc<Self>) {
        let wake = self.store.wake(&self.keys.wake);
        let free = self.store.wake(&self.keys.free);
        let mut trouble = Backoff::new();
        let mut outage = false;
        loop {
            if self.is_closed() {
                return;
            }
            // Subscribed first: to messages queued while the queue was empty, for the
            // holder, and to the lease given up, for the others.
            let led = match self.subscribe().await {
                Ok(()) => self.lead().await,
                Err(e) => Err(e),
            };
            match led {
                Err(e) => {
                    if !std::mem::replace(&mut outage, true) {
                        tracing::warn!(
                            robot = %self.name(),
                            error = %e,
                            "Redis cannot be reached: this process cannot deliver the robot's shared queue until it can"
                        );
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(trouble.next()) => {}
                        _ = self.closing() => {}
                    }
                    continue;
                }
                Ok(Some(left)) => {
                    // Until the lease is given up, or would lapse unless renewed.
                    let look = if left.is_zero() { FOLLOW_LOOK } else { left };
                    tokio::select! {
                        _ = free.notified() => {}
                        _ = tokio::time::sleep(look) => {}
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
                            tokio::select! {
                                _ = tokio::time::sleep(trouble.next()) => {}
                                _ = self.closing() => {}
                            }
                        }
                    }
                }
            }
        }
    }

    /// Subscribes to the robot's channels (once for the life of the store).
    async fn subscribe(&self) -> Result<(), Error> {
        self.store.subscribe(&self.keys.wake).await?;
        self.store.subscribe(&self.keys.free).await
    }

    /// Takes or keeps the lease: `None` when this process holds it, else how long the
    /// holder's has left (zero: unknown).
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
                vec![self.token.clone(), self.keys.free.clone()],
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
                    tokio::select! {
                        _ = tokio::time::sleep(trouble.next()) => {}
                        _ = self.closing() => return End::Closed,
                    }
                }
            }
        }
    }

    /// Claims and delivers what earlier holders left, in order, then new entries as they come.
    async fn deliver_from_claims(&self, wake: &Notify) -> Stop {
        let mut cursor = "0-0".to_owned();
        loop {
            if self.is_closed() {
                return Stop::Closed;
            }
            let (entries, next, clock) = match self.claim(&cursor).await {
                Ok(Some(claimed)) => claimed,
                Ok(None) => return Stop::Lost,
                Err(_) => return Stop::Resync,
            };
            if !entries.is_empty() {
                let claimed = Batch {
                    entries,
                    overflowed: false,
                    clock,
                };
                if let Err(stop) = self.deliver_batch(claimed, false).await {
                    return stop;
                }
            }
            if next == "0-0" {
                break;
            }
            cursor = next;
        }
        // What the last script read: `FINISH` reads on, `TAKE` reads after a wait.
        let mut read = Batch::default();
        let mut looked = false;
        loop {
            // What was read and not started stays pending, for the next holder.
            if self.is_closed() {
                return Stop::Closed;
            }
            if read.entries.is_empty() && !looked {
                read = match self.take().await {
                    Ok(Some(batch)) => batch,
                    Ok(None) => return Stop::Lost,
                    Err(_) => return Stop::Resync,
                };
            }
            if read.entries.is_empty() {
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
                Ok(None) => (Batch::default(), false),
                Err(stop) => return stop,
            };
        }
    }

    /// Claims the unfinished entries from `cursor` on: them, the next cursor (`0-0` at the
    /// end) and Redis's clock, or `None` when the lease is lost.
    async fn claim(
        &self,
        cursor: &str,
    ) -> Result<Option<(Vec<Entry>, String, Option<Clock>)>, Error> {
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
            [_, next, entries, rest @ ..] => {
                let next = scripts::string(next).ok_or_else(|| unexpected("from CLAIM"))?;
                let entries = Entry::read_all(entries).ok_or_else(|| unexpected("from CLAIM"))?;
                Ok(Some((entries, next, Clock::read(rest.first()))))
            }
            _ => Err(unexpected("from CLAIM")),
        }
    }

    /// Reads new entries, taking a place in the limit for the first: them, or `None` when the
    /// lease is lost.
    async fn take(&self) -> Result<Option<Batch>, Error> {
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
    ) -> Result<Option<Batch>, Error> {
        let items = scripts::array(answer).ok_or_else(|| unexpected(script))?;
        match items {
            [held, len, ..] if int(held) == Some(0) => {
                if let Some(len) = int(len) {
                    self.queued
                        .store(usize::try_from(len).unwrap_or(0), Ordering::Relaxed);
                }
                Ok(None)
            }
            [_, entries, placed, len, rest @ ..] => {
                let clock = Clock::read(rest.first());
                let entries = Entry::read_all(entries).ok_or_else(|| unexpected(script))?;
                if let (Some(place), Some(placed)) = (place, Placed::read(placed)) {
                    self.limiter.placed(place, placed);
                }
                let len = int(len).map(|len| usize::try_from(len).unwrap_or(0));
                if let Some(len) = len {
                    self.queued.store(len, Ordering::Relaxed);
                }
                // Over the capacity, the queue holds overflowed entries: with
                // `QueuePolicy::Digest`, what was read is before them, a backlog to merge.
                let overflowed =
                    self.policy == QueuePolicy::Digest && len.is_some_and(|l| l > self.capacity);
                Ok(Some(Batch {
                    entries,
                    overflowed,
                    clock,
                }))
            }
            [held] if int(held) == Some(0) => Ok(None),
            _ => Err(unexpected(script)),
        }
    }

    fn read_count(&self) -> usize {
        read_count(self.policy, self.capacity)
    }

    /// A queued message as delivery needs it, checked again against this process's robot,
    /// its deadline read on this process's clock (`clock`: Redis's when it was read); or
    /// what is wrong with it.
    fn read(&self, entry: Entry, clock: Option<Clock>) -> Read {
        if let Some(problem) = entry.problem {
            let error = Error::invalid_message(format!(
                "a queued message that this library cannot read ({problem}): not sent"
            ));
            let payload = Payload::from_json(&entry.body).ok();
            return Read::Bad(entry, payload, error);
        }
        let Some(msg_uuid) = MsgUuid::parse(&entry.msg_uuid) else {
            let error = Error::invalid_message("a queued message without a msgUuid");
            return Read::Bad(entry, None, error);
        };
        let payload = match Payload::from_json(&entry.body) {
            Ok(payload) => payload,
            Err(error) => return Read::Bad(entry, None, error),
        };
        // Every script that reads entries answers with Redis's clock too.
        let deadline = entry
            .deadline_ms
            .zip(clock)
            .map(|(ms, clock)| clock.local(ms));
        match self.worker.destination().check(payload) {
            Ok(checked) => Read::Item(Item {
                entry,
                msg_uuid,
                checked,
                deadline,
            }),
            Err(error) => {
                let payload = Payload::from_json(&entry.body).ok();
                Read::Bad(entry, payload, error)
            }
        }
    }

    /// Delivers `batch` in order: a backlog that overflowed (up to its last entry queued over
    /// the capacity, or all of it when the queue was over the capacity as it was read) as
    /// digests, the rest one by one; an entry that cannot be sent is finished as failed,
    /// alone. After the last, if `read_on`, reads what comes next and returns it (`None`:
    /// nothing was read on).
    ///
    /// Once the robot is closed, no step starts, and a step that only waits (for a place,
    /// a throttle or a retry) is cut short: its entries stay pending for the next holder.
    /// A request in flight is answered, and its outcome written, first.
    async fn deliver_batch(&self, batch: Batch, read_on: bool) -> Result<Option<Batch>, Stop> {
        let mut items = Vec::with_capacity(batch.entries.len());
        let clock = batch.clock;
        for entry in batch.entries {
            match self.read(entry, clock) {
                Read::Item(item) if item.deadline.is_some_and(|d| d <= Instant::now()) => {
                    // Past its deadline when taken: finished unsent.
                    let error =
                        Error::expired(None, Sent::No).with_msg_uuid(item.msg_uuid.as_str());
                    tracing::warn!(
                        robot = %self.name(),
                        msg_uuid = %item.msg_uuid,
                        kind = ?error.kind(),
                        "not sent by its deadline: taken out of the queue"
                    );
                    self.tell_failure(vec![item.checked.payload().clone()], &error)
                        .await;
                    let finished = self.finish(&[&item.entry], &Err(error), 0, false).await?;
                    if let Some(stop) = finished.stop {
                        return Err(stop);
                    }
                }
                Read::Item(item) => items.push(item),
                Read::Bad(entry, payload, error) => {
                    tracing::warn!(
                        robot = %self.name(),
                        entry = %entry.id,
                        error = %error,
                        "a queued message cannot be sent as it is: finished as failed"
                    );
                    if let Some(payload) = payload {
                        self.tell_failure(vec![payload], &error).await;
                    }
                    let finished = self.finish(&[&entry], &Err(error), 0, false).await?;
                    if let Some(stop) = finished.stop {
                        return Err(stop);
                    }
                }
            }
        }
        let merged = if batch.overflowed {
            items.len()
        } else {
            items
                .iter()
                .rposition(|item| item.entry.overflow)
                .map_or(0, |last| last + 1)
        };
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
            if self.is_closed() {
                return Err(Stop::Closed);
            }
            let run: Vec<Item> = items.by_ref().take(step.count()).collect();
            let delivering = async {
                match &step {
                    Step::One => {
                        let item = &run[0];
                        self.worker
                            .deliver_one(&item.checked, &item.msg_uuid, 1, item.deadline)
                            .await
                    }
                    Step::Merged { digest, .. } => {
                        let msg_uuid = MsgUuid::merged(run.iter().map(|i| &i.msg_uuid));
                        let deadline = latest(run.iter().map(|i| i.deadline));
                        self.worker
                            .deliver_one(digest, &msg_uuid, run.len(), deadline)
                            .await
                    }
                }
            };
            let result = tokio::select! {
                biased;
                result = delivering => result,
                () = self.interrupted() => return Err(Stop::Closed),
            };
            if let Err(e) = &result
                && e.is_store_failure()
            {
                // The limit could not be consulted, or refused this process, which lost
                // the lease: nothing was sent, nothing is finished.
                return Err(if LeaseLost::is_cause_of(e) {
                    Stop::Lost
                } else {
                    Stop::Resync
                });
            }
            let last = i + 1 == total;
            let read_on = read_on && !self.is_closed();
            let (count, place) = match (last, read_on) {
                (false, _) => (0, true),
                (true, true) => (self.read_count(), true),
                (true, false) => (0, false),
            };
            // As in the process's own queue, the hook and the fallback hear of a failure before
            // the sender does. (If this process dies before the outcome is written, the next
            // holder sends the message again, and they may hear of it twice.)
            if let Err(e) = &result {
                let payloads = run.iter().map(|i| i.checked.payload().clone()).collect();
                self.tell_failure(payloads, e).await;
            }
            let entries: Vec<&Entry> = run.iter().map(|i| &i.entry).collect();
            let finished = self.finish(&entries, &result, count, place).await?;
            if let Some(stop) = finished.stop {
                return Err(stop);
            }
            if last {
                return Ok(read_on.then_some(finished.next));
            }
        }
        Ok(None)
    }

    /// Tells the failure hook and the fallback that `payloads` finally failed with `error`,
    /// on a thread of the blocking pool, and waits for them: a slow hook delays this robot's
    /// delivery, not the store's runtime (other robots, leases, outcomes).
    async fn tell_failure(&self, payloads: Vec<Payload>, error: &Error) {
        let Some(listeners) = self.worker.listeners() else {
            return;
        };
        let error = error.clone();
        let told = tokio::task::spawn_blocking(move || {
            for payload in &payloads {
                listeners.tell(payload, &error);
            }
        });
        // A hook's panic is caught where it is called.
        let _ = told.await;
    }

    /// Finishes `entries` with `result`: keeps and publishes the outcome, acknowledges and
    /// deletes them; then reads up to `count` more and, if `place`, takes a place for what
    /// comes next. Tried until it lands: if an answer is lost, the holder claims again what
    /// it has not finished.
    ///
    /// The outcome is kept and published only for an entry with a well-formed `msgUuid`, on
    /// a reply channel of this library's.
    async fn finish(
        &self,
        entries: &[&Entry],
        result: &Result<Receipt, Error>,
        count: usize,
        place: bool,
    ) -> Result<Finished, Stop> {
        let outcome = outcome::encode(result);
        let told: Vec<&Entry> = entries
            .iter()
            .copied()
            .filter(|e| MsgUuid::parse(&e.msg_uuid).is_some())
            .collect();
        let mut keys = vec![
            self.keys.lease.clone(),
            self.keys.queue.clone(),
            self.keys.places.clone(),
            self.keys.hold.clone(),
        ];
        keys.extend(told.iter().map(|e| self.keys.outcome(&e.msg_uuid)));
        // Each sender's process hears of its own messages.
        let mut channels: HashMap<&str, Vec<&str>> = HashMap::new();
        for entry in told
            .iter()
            .filter(|e| e.reply.starts_with("dingtalk:reply:"))
        {
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
                        next: Batch::default(),
                        stop: Some(Stop::Lost),
                    }),
                    Err(_) => Ok(Finished {
                        next: Batch::default(),
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
                        next: Batch::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Error {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        Error::store_unavailable("queue the message", redis::RedisError::from(io))
    }

    fn timed_out() -> Error {
        let io = std::io::Error::from(std::io::ErrorKind::TimedOut);
        Error::store_unavailable("queue the message", redis::RedisError::from(io))
    }

    #[test]
    fn a_message_not_queued_is_told_apart_from_one_whose_answer_was_lost() {
        assert!(surely_not_run(&refused()));
        assert!(!surely_not_run(&timed_out()));
        assert!(!surely_not_run(&unexpected("from ENQUEUE")));

        let not = not_queued(refused(), false);
        assert_eq!(not.kind(), ErrorKind::StoreUnavailable);
        assert!(not.is_retryable());
        assert!(
            not.to_string().starts_with(
                "the robot's shared store (Redis) could not queue the message (it was not queued)"
            ),
            "{not}"
        );
        // The client's error stays the cause: it names the address, and why.
        let cause = std::error::Error::source(&not).unwrap().to_string();
        assert!(cause.contains("refused"), "{cause}");

        let maybe = not_queued(timed_out(), true);
        assert!(
            maybe.to_string().contains("it may have been queued"),
            "{maybe}"
        );
        let maybe = not_queued(unexpected("from ENQUEUE"), true);
        let cause = std::error::Error::source(&maybe).unwrap().to_string();
        assert!(cause.contains("from ENQUEUE"), "{cause}");
    }

    #[test]
    fn a_read_is_bounded_whatever_the_capacity() {
        assert_eq!(read_count(QueuePolicy::Wait, 100_000), READ);
        assert_eq!(read_count(QueuePolicy::Digest, 2), READ);
        assert_eq!(read_count(QueuePolicy::Digest, 500), 501);
        // Entries are up to 20,000 bytes: at most about 20 MB in one answer.
        assert_eq!(read_count(QueuePolicy::Digest, 100_000), 1_000);
        assert_eq!(read_count(QueuePolicy::Digest, usize::MAX), 1_000);
    }

    #[test]
    fn a_digest_backlog_is_bounded() {
        assert_eq!(digest_bound(1), 1 + MOST_OVERFLOW);
        assert_eq!(digest_bound(5_000), 10_000);
        assert_eq!(digest_bound(usize::MAX), usize::MAX);
    }
}
