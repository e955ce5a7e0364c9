//! The robot: the public client of one custom robot, and its builder. (Configuration from
//! the environment is in `env.rs`.)
//!
//! [`Robot`] checks each message once (the custom robot's rules, with its keywords) and hands
//! it to its outbox in `delivery`, which queues, limits, retries and sends it through the
//! transport to the robot's webhook ([`CustomRobot`]). [`RobotBuilder`] checks the
//! configuration and chooses the parts: the webhook destination, the HTTP transport, the
//! limiter shared by every `Robot` for the same webhook (in the process, or by every process
//! on the machine), the delivery policy.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::checked::Checked;
use crate::delivery::bounded::Bounded;
#[cfg(feature = "redis")]
use crate::delivery::fleet::{self, RedisOutbox, Store};
use crate::delivery::limiter::{Limit, Limiter, LocalLimiter};
use crate::delivery::machine::{self, MachineLimiter};
use crate::delivery::settings::{FailureHook, Fallback, Policy};
use crate::delivery::{AnyOutbox, Delivery, Outbox, QueuePolicy, RetryPolicy};
use crate::error::Error;
use crate::message::Message;
use crate::payload::Payload;
use crate::sign::Secret;
use crate::spec;
use crate::transport::{CustomRobot, Destination, ProxyUrl, Transport};
use crate::webhook::Webhook;

pub use crate::delivery::Receipt;

/// How long one request waits for DingTalk's answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many messages a robot queues unless told otherwise.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1_000;

/// What separates the keywords of a list such as `DINGTALK_KEYWORDS`: an ASCII or a full-width
/// comma (`deploy, 告警，alert`). Each keyword is trimmed; empty ones are left out.
pub const KEYWORD_SEPARATORS: [char; 2] = [',', '，'];

/// A client of one custom robot.
///
/// `Robot` is cheap to clone: clones share one connection pool, one queue and one rate limit.
/// Every request is signed with a fresh timestamp when a secret is set.
///
/// Delivery is the robot's job: it never sends more than DingTalk allows (20 messages a minute
/// unless [configured](RobotBuilder::rate_limit) otherwise, shared by every `Robot` for the
/// same webhook in the process, or [on the machine](RobotBuilder::share_limit_on_this_machine)),
/// holds through a throttle, retries transient failures with the
/// same `msgUuid`, and sends each robot's messages in the order they were queued.
///
/// ```no_run
/// # use dingtalk_core as dingtalk_bot;
/// # async fn run() -> Result<(), dingtalk_bot::Error> {
/// use dingtalk_bot::{Payload, Robot};
///
/// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
///     .secret("SEC…")
///     .keywords(["deploy"])
///     .build()?;
/// robot.send(&Payload::text("deploy finished")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Robot {
    handle: Arc<Handle>,
}

/// The last clone of a `Robot` to go closes its queue: what is queued in the process is still
/// delivered; a queue in Redis is given up to the fleet (see [`Robot::close`]).
struct Handle {
    outbox: AnyOutbox<CustomRobot>,
    /// Put before every message ([`RobotBuilder::prefix_keyword`]).
    keyword_prefix: Option<String>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.outbox.close();
    }
}

/// Configures a [`Robot`]. Made by [`Robot::builder`].
#[derive(Clone)]
pub struct RobotBuilder {
    webhook: String,
    secret: Option<String>,
    keywords: Vec<String>,
    timeout: Duration,
    name: Option<String>,
    limit: Option<Limit>,
    /// Where the limit is shared with the machine's other processes; `Some(None)`: the
    /// default place.
    state_dir: Option<Option<PathBuf>>,
    /// How long a message waits for a place in the limit; unset: as long as it takes.
    limit_wait: Option<Duration>,
    /// Put before every message, where DingTalk looks for the keyword.
    keyword_prefix: Option<String>,
    /// The proxy's URL, checked at `build`; unset: the environment's.
    proxy: Option<String>,
    /// The Redis that keeps the queue and the limits, and how long a silent deliverer keeps
    /// the robot.
    #[cfg(feature = "redis")]
    redis: Option<String>,
    #[cfg(feature = "redis")]
    redis_takeover_after: Duration,
    policy: Policy,
}

/// How long a process that delivers a robot's queue kept in Redis may go silent (dead, or
/// stalled) before another takes the robot over, unless set with
/// [`RobotBuilder::redis_takeover_after`].
#[cfg(feature = "redis")]
pub const DEFAULT_REDIS_TAKEOVER: Duration = Duration::from_secs(30);

impl Robot {
    /// Starts configuring a robot with its webhook address.
    pub fn builder(webhook: impl Into<String>) -> RobotBuilder {
        RobotBuilder {
            webhook: webhook.into(),
            secret: None,
            keywords: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            name: None,
            limit: Some(Limit {
                max: spec::RATE_LIMIT_MAX,
                per: spec::RATE_LIMIT_WINDOW,
            }),
            state_dir: None,
            limit_wait: None,
            keyword_prefix: None,
            proxy: None,
            #[cfg(feature = "redis")]
            redis: None,
            #[cfg(feature = "redis")]
            redis_takeover_after: DEFAULT_REDIS_TAKEOVER,
            policy: Policy {
                retry: RetryPolicy::default(),
                throttle_penalty: spec::THROTTLE_PENALTY,
                wait_through_throttle: true,
                capacity: DEFAULT_QUEUE_CAPACITY,
                queue: QueuePolicy::Wait,
                on_failure: None,
                fallback: None,
            },
        }
    }

    fn outbox(&self) -> &AnyOutbox<CustomRobot> {
        &self.handle.outbox
    }

    fn destination(&self) -> &CustomRobot {
        self.outbox().destination()
    }

    /// The webhook, whose `Display` hides the access_token.
    pub fn webhook(&self) -> &Webhook {
        self.destination().webhook()
    }

    /// The keywords every message must hold one of.
    pub fn keywords(&self) -> &[String] {
        self.destination().keywords()
    }

    /// The name this robot goes by in logs.
    pub fn name(&self) -> &str {
        self.destination().name()
    }

    /// Runs every check that [`send`](Robot::send) runs before it touches the network, and
    /// returns the body it would post (less the `msgUuid` each delivery adds).
    ///
    /// The checks: every required field is filled ([`ErrorKind::InvalidMessage`]), a reader
    /// sees at least one of the configured keywords ([`ErrorKind::KeywordMismatch`]), and the
    /// body is at most 20,000 bytes ([`ErrorKind::PayloadTooLarge`]) with the `msgUuid`
    /// (`,"msgUuid":"<32 hex digits>"`, 45 bytes) that delivery adds.
    ///
    /// [`ErrorKind::InvalidMessage`]: crate::ErrorKind::InvalidMessage
    /// [`ErrorKind::KeywordMismatch`]: crate::ErrorKind::KeywordMismatch
    /// [`ErrorKind::PayloadTooLarge`]: crate::ErrorKind::PayloadTooLarge
    pub fn check<M: Message + ?Sized>(&self, message: &M) -> Result<String, Error> {
        self.checked(message).map(Checked::into_body)
    }

    /// The one check of a message, whose body delivery then sends as it is: with the
    /// keyword prefix, if the robot has one.
    fn checked<M: Message + ?Sized>(&self, message: &M) -> Result<Checked, Error> {
        self.destination()
            .check(self.prefixed(message.to_payload()))
    }

    /// `payload` with the robot's keyword prefix, if it has one.
    fn prefixed(&self, payload: Payload) -> Payload {
        match &self.handle.keyword_prefix {
            Some(prefix) => payload.prefixed(prefix),
            None => payload,
        }
    }

    /// Sends a message and waits until it is delivered or has finally failed.
    ///
    /// The message is checked first (see [`check`](Robot::check)); one that fails a check is
    /// not queued. Then it waits its turn in the queue and in the rate limit, and is retried
    /// as the [`RetryPolicy`] says. An answer with a non-zero `errcode` is an error, whatever
    /// its HTTP status.
    ///
    /// If this future is dropped after the message was queued, the message is still
    /// delivered.
    pub async fn send<M: Message + ?Sized>(&self, message: &M) -> Result<Receipt, Error> {
        self.post(message).await?.await
    }

    /// Checks a message and queues it, without waiting for its delivery: await the returned
    /// [`Delivery`] for the receipt, or drop it. Waits only for room in the queue, if the
    /// queue is full and its policy is [`QueuePolicy::Wait`].
    ///
    /// A robot whose queue is in Redis
    #[cfg_attr(feature = "redis", doc = "([`RobotBuilder::redis`])")]
    #[cfg_attr(not(feature = "redis"), doc = "(`RobotBuilder::redis`)")]
    /// returns once the message is in Redis. A try that fails is made again for up to
    /// 2 seconds, with the same `msgUuid` (Redis queues a `msgUuid` once); then the error is
    /// [`ErrorKind::StoreUnavailable`](crate::ErrorKind::StoreUnavailable), which says whether
    /// the message surely was not queued (Redis could not be reached, or refused it) or may
    /// have been (no answer came: it is then delivered all the same, so posting it again
    /// may post it twice).
    pub async fn post<M: Message + ?Sized>(&self, message: &M) -> Result<Delivery, Error> {
        self.post_by(message, None).await
    }

    /// Sends a message that is only worth sending by `within` from now, and waits until it is
    /// delivered or has finally failed: as [`send`](Robot::send), but if it has not gone by
    /// then (waiting for room in the queue, its turn, the rate limit, a throttle or a retry),
    /// it is taken out of the queue unsent and fails as
    /// [`ErrorKind::Expired`](crate::ErrorKind::Expired). See
    /// [`post_within`](Robot::post_within).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use std::time::Duration;
    ///
    /// use dingtalk_bot::{ErrorKind, Payload, Robot, Sent};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// # let robot = Robot::builder("http://127.0.0.1:1/robot/send?access_token=t")
    /// #     .rate_limit(1, Duration::from_secs(60))
    /// #     .retry(dingtalk_bot::RetryPolicy::none())
    /// #     .build()?;
    /// # let _ = robot.send(&Payload::text("the place is taken")).await;
    /// // The robot's one place a minute is taken: a "build passed" a minute late is noise.
    /// let e = robot
    ///     .send_within(&Payload::text("build 812 passed"), Duration::from_millis(50))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Expired);
    /// assert_eq!(e.was_sent(), Sent::No);
    /// assert_eq!(robot.queued(), 0); // taken out of the queue
    /// # Ok(()) }
    /// ```
    pub async fn send_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<Receipt, Error> {
        self.post_within(message, within).await?.await
    }

    /// Checks a message and queues it to be sent by `within` from now or not at all, without
    /// waiting for its delivery: as [`post`](Robot::post), with a deadline.
    ///
    /// No attempt of the message starts after the deadline. If it is still queued then, it is
    /// taken out of the queue (its place freed) and fails, unsent, as
    /// [`ErrorKind::Expired`](crate::ErrorKind::Expired): the [`Delivery`] resolves to that
    /// error at once, and the failure hook and the fallback hear of it. If the worker holds it
    /// by then (waiting for the rate limit, a throttle or a retry), it ends the same way at
    /// the deadline; a request already under way is answered, and counts. An `Expired` error
    /// says [`Sent::No`](crate::Sent::No), unless an earlier attempt failed in a way that may
    /// have reached DingTalk (then [`Sent::Maybe`](crate::Sent::Maybe), and that attempt's
    /// error is its source). Waiting for room in a full queue ([`QueuePolicy::Wait`]) ends at
    /// the deadline too, with nothing queued. A message merged into a digest
    /// ([`QueuePolicy::Digest`]) goes with the digest, which is sent by the latest deadline
    /// of the messages it merges (at any time, if one of them has none).
    ///
    /// With the queue in Redis
    #[cfg_attr(feature = "redis", doc = "([`RobotBuilder::redis`]),")]
    #[cfg_attr(not(feature = "redis"), doc = "(`RobotBuilder::redis`),")]
    /// the deadline is kept with the message, on Redis's clock: the process that delivers it
    /// checks it when it takes the message, and before each attempt, and finishes a message
    /// past its deadline as `Expired`, unsent. Nothing takes it out earlier: its sender hears
    /// once the deliverer reaches it. (A process of an older version of this library delivering the
    /// same robot ignores the deadline.)
    pub async fn post_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<Delivery, Error> {
        let deadline = Instant::now().checked_add(within);
        self.post_by(message, deadline).await
    }

    /// Checks `message` and queues it, to be sent by `deadline` (if any).
    async fn post_by<M: Message + ?Sized>(
        &self,
        message: &M,
        deadline: Option<Instant>,
    ) -> Result<Delivery, Error> {
        // Checked here, with room for the `msgUuid`, so nothing is refused later for what
        // could have been seen now; the body made here is the one sent.
        let checked = self.checked(message).inspect_err(|e| {
            tracing::debug!(robot = %self.name(), error = %e, kind = ?e.kind(), "message refused before sending");
        })?;
        self.outbox().enqueue(checked, deadline).await
    }

    /// How many messages are queued or in flight. For a queue in Redis: in the whole fleet,
    /// as this process last saw it.
    pub fn queued(&self) -> usize {
        self.outbox().pending()
    }

    /// Waits until every queued message is delivered or has finally failed, for at most
    /// `deadline`. An error ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout)) says how many
    /// were left; they stay queued. For a queue in Redis, it waits until the robot's shared
    /// queue is empty, whichever process queued its messages.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        self.outbox().flush(deadline).await
    }

    /// Closes this robot: drops this clone and, when it is the last, ends the robot's
    /// delivery in this process gracefully, waiting at most `deadline`. Call it before a
    /// program ends, so that nothing it queued is cut off mid-way.
    ///
    /// - **Other clones still alive:** only this clone is dropped; returns `Ok(())` at once.
    /// - **The last clone, queue in this process:** no more messages can be queued, and it
    ///   waits until the backlog is delivered or has finally failed (as
    ///   [`flush`](Robot::flush)). An error ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout))
    ///   says how many were left at the deadline; they are still delivered in the background
    ///   while the runtime runs.
    /// - **The last clone, queue in Redis**
    #[cfg_attr(feature = "redis", doc = "  ([`RobotBuilder::redis`]):")]
    #[cfg_attr(not(feature = "redis"), doc = "  (`RobotBuilder::redis`):")]
    ///   this process's worker finishes the request it has in flight, if any (and writes its
    ///   outcome), writes back the places in the limit it gave back, and gives the robot's
    ///   lease up, so that another process of the fleet takes the queue over now rather than
    ///   after
    #[cfg_attr(
        feature = "redis",
        doc = "  [`redis_takeover_after`](RobotBuilder::redis_takeover_after)."
    )]
    #[cfg_attr(not(feature = "redis"), doc = "  `redis_takeover_after`.")]
    ///   A step that was only waiting (for a place in the limit, a throttle or a retry) is cut
    ///   short. Messages it read and had not sent stay in Redis, and the next holder sends them
    ///   with their `msgUuid`s: nothing is lost, and nothing is posted twice. The backlog is
    ///   not waited for: it is the fleet's. An error at the deadline says what was still under
    ///   way (a request in flight: [`Timeout`](crate::ErrorKind::Timeout); Redis not answering:
    ///   [`StoreUnavailable`](crate::ErrorKind::StoreUnavailable)); the lease then lapses by
    ///   itself.
    ///
    /// Dropping the last clone without `close` does the same in the background: in this
    /// process, the backlog is still delivered while the runtime runs; in Redis, the worker
    /// gives the lease up once its request in flight is answered. A process that ends right
    /// after would cut either short.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// use std::time::Duration;
    ///
    /// use dingtalk_bot::Robot;
    ///
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…").build()?;
    /// let clone = robot.clone();
    /// clone.close(Duration::from_secs(5)).await?; // `robot` still sends
    /// robot.close(Duration::from_secs(5)).await?; // the last: its backlog delivered
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// # use dingtalk_core as dingtalk_bot;
    /// # #[cfg(feature = "redis")]
    /// # async fn run() -> Result<(), dingtalk_bot::Error> {
    /// use std::time::Duration;
    ///
    /// use dingtalk_bot::{Payload, Robot};
    ///
    /// // A command that sends one message and ends: the next process to send takes the
    /// // robot's queue over at once.
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
    ///     .redis("redis://cache.internal:6379")
    ///     .build()?;
    /// robot.send(&Payload::text("backup done")).await?;
    /// robot.close(Duration::from_secs(2)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(self, deadline: Duration) -> Result<(), Error> {
        match Arc::into_inner(self.handle) {
            // Closed again when dropped, after this: no harm.
            Some(handle) => handle.outbox.close_and_wait(deadline).await,
            None => Ok(()),
        }
    }

    /// Its rate limit and throttle, shared with every `Robot` for the same webhook.
    pub(crate) fn limiter(&self) -> &dyn Limiter {
        self.outbox().limiter()
    }
}

/// A robot as another's fallback: it is told of every message the other finally failed to
/// deliver, through its own queue, without the other waiting.
impl Fallback for Robot {
    fn try_post(&self, notice: Payload) -> Result<(), Error> {
        let checked = self.destination().check(self.prefixed(notice))?;
        // Nobody waits for the notice: its own failures reach this robot's hook and log.
        self.outbox().try_enqueue(checked)
    }

    fn keyword(&self) -> Option<&str> {
        self.keywords().first().map(String::as_str)
    }
}

impl RobotBuilder {
    /// Signs every request with the robot's secret (the `SEC…` string of its security
    /// settings).
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Puts `prefix`, which holds the robot's keyword (`"[ops] "`), before every message
    /// this robot sends, where DingTalk's keyword check finds it: a text's content; the title
    /// of a markdown message, a link or an action card (the preview in the chat list; their
    /// markdown is left as it is); a feed card's first entry ([`Payload::prefixed`]). A text
    /// that starts with the prefix already is left as it is. The keyword then need not be
    /// written into every message, and the check before sending passes.
    ///
    /// [`check`](Robot::check) shows the body with the prefix. Failure notices sent to this
    /// robot as a [fallback](RobotBuilder::fallback) get it too. With
    /// [`keywords`](RobotBuilder::keywords) set, a prefix that holds none of them is an
    /// [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error at
    /// [`build`](RobotBuilder::build).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{ErrorKind, Payload, Robot};
    ///
    /// let webhook = "https://oapi.dingtalk.com/robot/send?access_token=…";
    /// let robot = Robot::builder(webhook)
    ///     .keywords(["ops"])
    ///     .prefix_keyword("[ops] ")
    ///     .build()?;
    /// let body = robot.check(&Payload::markdown("disk full on db-1", "### 97% used"))?;
    /// assert_eq!(
    ///     body,
    ///     r####"{"msgtype":"markdown","markdown":{"title":"[ops] disk full on db-1","text":"### 97% used"}}"####
    /// );
    ///
    /// let e = Robot::builder(webhook).keywords(["ops"]).prefix_keyword("[dev] ").build().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn prefix_keyword(mut self, prefix: impl Into<String>) -> Self {
        self.keyword_prefix = Some(prefix.into());
        self
    }

    /// The robot's keywords (at most 10): a message that holds none of them is refused before
    /// it is sent, as DingTalk would refuse it. Entries are trimmed; empty ones are ignored.
    pub fn keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keywords.extend(
            keywords
                .into_iter()
                .map(|k| k.into().trim().to_owned())
                .filter(|k| !k.is_empty()),
        );
        self
    }

    /// How long one request waits for DingTalk's answer (10 seconds unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends every request through the proxy at `url`: `http://host:port`, `https://…`,
    /// `socks5://…` (names resolved here) or `socks5h://…` (names resolved by the proxy);
    /// `socks4://` and `socks4a://` too. Credentials go in the URL, percent-encoded
    /// (`http://user:p%40ss@host:port`); they never appear in `Debug`, errors or logs.
    ///
    /// Unless set, the environment's proxy is used, as curl uses it: `HTTPS_PROXY`, else
    /// `ALL_PROXY` (or their lower-case names), unless `NO_PROXY` names the webhook's host;
    /// a loopback webhook (the sandbox) is always reached directly. A proxy set here takes
    /// every request, loopback ones too, whatever the environment says.
    ///
    /// A URL that is not a proxy's is an [`InvalidConfig`](crate::ErrorKind::InvalidConfig)
    /// error at [`build`](RobotBuilder::build) (which repeats no part of it), and so is an
    /// `https://` proxy in a build without TLS. A proxy that answers HTTP 407 (it wants
    /// credentials, or refuses those given) fails the message with `InvalidConfig`, unretried.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{ErrorKind, Robot};
    ///
    /// let webhook = "https://oapi.dingtalk.com/robot/send?access_token=…";
    /// let robot = Robot::builder(webhook)
    ///     .proxy("http://ops:hunter2@proxy.internal:3128")
    ///     .build()?;
    /// let shown = format!("{robot:?}");
    /// assert!(shown.contains(r#"proxy: Some("http://***@proxy.internal:3128")"#), "{shown}");
    ///
    /// let e = Robot::builder(webhook).proxy("proxy.internal:3128").build().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidConfig); // no scheme
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// A name for this robot in logs (the webhook's host unless set).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// At most `max` requests in any window of `per` (DingTalk's 20 a minute unless set).
    /// Retries count too. Every `Robot` in the process for the same webhook and limit shares
    /// one limit and one throttle: its clones, and `Robot`s built anew while the last one's
    /// requests are still in the window or a throttle holds. To share them with other
    /// processes, see [`share_limit_on_this_machine`](RobotBuilder::share_limit_on_this_machine).
    pub fn rate_limit(mut self, max: u32, per: Duration) -> Self {
        self.limit = Some(Limit { max, per });
        self
    }

    /// No rate limit: for tests and benchmarks against a sandbox without one.
    pub fn no_rate_limit(mut self) -> Self {
        self.limit = None;
        self
    }

    /// Shares the rate limit and the throttle with every process of this user on this machine
    /// that sends to the same webhook, and not only within this process: for programs that
    /// run many times over (cron jobs, scripts, several workers on one host). Each process
    /// counts its own [`rate_limit`](RobotBuilder::rate_limit) against the places all of them
    /// have taken.
    ///
    /// They share a small file per robot (named by a hash: the access_token is never
    /// written) under the state directory: `DINGTALK_STATE_DIR`, else the platform's state
    /// directory (`~/.local/state/dingtalk` on Linux) or local data directory
    /// ([`state_dir`](RobotBuilder::state_dir) names another). A process killed mid-way
    /// wedges no other: its places come back by themselves, one timeout and one window after
    /// it took them. A state file that is corrupt is replaced, with a warning in the log; one
    /// that cannot be used (or whose lock another process has held for 5 s) makes the process
    /// warn and keep the limit on its own, as without this call, trying the file again every
    /// 30 s. A throttle's hold in the file lasts no longer from now than the penalty it was
    /// set for (a day at most), whatever the clock did since. Without a limit
    /// ([`no_rate_limit`](RobotBuilder::no_rate_limit)), only throttles are shared. The
    /// file's times are the wall clock's: share no limit in tests that pause tokio's clock.
    ///
    /// ```no_run
    /// # use dingtalk_core as dingtalk_bot;
    /// # async fn run() -> Result<(), dingtalk_bot::Error> {
    /// use dingtalk_bot::{Payload, Robot};
    ///
    /// // Started for every finished job, often many at once: together they stay within
    /// // DingTalk's 20 messages a minute, waiting their turn.
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
    ///     .share_limit_on_this_machine()
    ///     .build()?;
    /// robot.send(&Payload::text("job 42 finished")).await?;
    /// # Ok(()) }
    /// ```
    pub fn share_limit_on_this_machine(mut self) -> Self {
        if self.state_dir.is_none() {
            self.state_dir = Some(None);
        }
        self
    }

    /// Shares the rate limit and the throttle with this machine's other processes, as
    /// [`share_limit_on_this_machine`](RobotBuilder::share_limit_on_this_machine) does,
    /// through the state directory `dir` (created if missing) instead of the default one.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(Some(dir.into()));
        self
    }

    /// How long a message waits for a free place in the rate limit before it fails, unsent,
    /// with [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) and an error that says the
    /// local limit is full; `Duration::ZERO` fails at once (a command-line tool's `--no-wait`).
    /// Unless set, it waits as long as the limit demands. (A throttle is not a full limit:
    /// see [`fail_when_throttled`](RobotBuilder::fail_when_throttled).)
    pub fn limit_wait(mut self, wait: Duration) -> Self {
        self.limit_wait = Some(wait);
        self
    }

    /// Keeps the robot's rate limit, throttle and queue in Redis at `url`
    /// (`redis://[[user]:password@]host[:port][/db]`, or
    /// `redis+unix:///path?db=…&user=…&pass=…`; the password never shows in `Debug`, errors
    /// or logs), shared by every process that sends to the same webhook through it: a service
    /// with several replicas, say (feature `redis`).
    ///
    /// [`post`](Robot::post) returns once the message is in Redis, and a restart or a crash
    /// loses nothing queued. One process at a time delivers the robot's messages, in the order
    /// they were queued, within the limit; if it dies or stalls, another takes over after
    /// [`redis_takeover_after`](RobotBuilder::redis_takeover_after) with the same messages and
    /// `msgUuid`s, so that none is posted twice. The queue's capacity and policy apply to the
    /// shared backlog (with [`QueuePolicy::Digest`], it holds at most the capacity plus the
    /// capacity again or 1,000, whichever is more: past that, a message is refused with
    /// [`QueueFull`](crate::ErrorKind::QueueFull), since no process may be delivering);
    /// failure hooks and the fallback are told in the process that delivered. If Redis
    /// cannot be reached, `post` fails with
    /// [`ErrorKind::StoreUnavailable`](crate::ErrorKind::StoreUnavailable): nothing is dropped
    /// or sent without the limit, and what Redis holds is delivered once it is back.
    ///
    /// The robot's queue is the fleet's: once a process's last clone of the robot is gone,
    /// the process stops delivering it (after the request it has in flight) and leaves it
    /// to the others. Before a process ends, [`close`](Robot::close) the robot, so that
    /// another takes over at once rather than when the lease lapses. If Redis
    /// refuses the URL's credentials (`WRONGPASS`, `NOAUTH`, `NOPERM`), `post` fails with
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig), which no retry mends.
    /// Run Redis with `maxmemory-policy noeviction`: a queued message that is evicted (or
    /// deleted) before its outcome is kept fails its sender with `StoreUnavailable`, its
    /// delivery unknown, once the sender has waited 30 s.
    ///
    /// A URL that is not a Redis URL is an [`InvalidConfig`](crate::ErrorKind::InvalidConfig)
    /// error at [`build`](RobotBuilder::build); Redis is connected to lazily. Keys are named by
    /// a hash of the webhook (never the token) and expire after a week unused. It replaces
    /// [`share_limit_on_this_machine`](RobotBuilder::share_limit_on_this_machine), and cannot
    /// be combined with [`limit_wait`](RobotBuilder::limit_wait).
    ///
    /// ```no_run
    /// # use dingtalk_core as dingtalk_bot;
    /// # async fn run() -> Result<(), dingtalk_bot::Error> {
    /// use dingtalk_bot::{Payload, Robot};
    ///
    /// // Every replica builds the same robot: together they send at most 20 a minute.
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
    ///     .redis("redis://cache.internal:6379")
    ///     .build()?;
    /// robot.post(&Payload::text("order 42 shipped")).await?; // in Redis now
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis = Some(url.into());
        self
    }

    /// How long the process that delivers a robot's queue in Redis may go without renewing
    /// its lease (it died, stalled or lost Redis) before another process takes the robot
    /// over: 30 seconds unless set. Shorter takes over sooner; too short lets a process that
    /// is only slow lose the robot (it renews every third of it).
    #[cfg(feature = "redis")]
    pub fn redis_takeover_after(mut self, after: Duration) -> Self {
        self.redis_takeover_after = after;
        self
    }

    /// How long every send holds after DingTalk answers that the robot is throttled
    /// (`130101`, `410100`): 10 minutes unless set. The message that met the throttle is sent
    /// after it (unless the robot [fails when throttled](RobotBuilder::fail_when_throttled)).
    /// With `Duration::ZERO` nothing holds: the message fails at once with
    /// [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited), and the next is sent as if
    /// nothing had happened.
    pub fn throttle_penalty(mut self, penalty: Duration) -> Self {
        self.policy.throttle_penalty = penalty;
        self
    }

    /// A message that meets a throttle fails at once with
    /// [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) instead of waiting for it to
    /// end: for a command-line tool, say, which should not sit for ten minutes. The throttle
    /// still holds the robot for the [penalty](RobotBuilder::throttle_penalty), so every send
    /// until it ends fails the same way without reaching DingTalk (which would only prolong
    /// it): this process's, and those of every process sharing the limit
    /// ([`share_limit_on_this_machine`](RobotBuilder::share_limit_on_this_machine), Redis).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Robot;
    ///
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
    ///     .share_limit_on_this_machine()
    ///     .fail_when_throttled()
    ///     .build()?;
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn fail_when_throttled(mut self) -> Self {
        self.policy.wait_through_throttle = false;
        self
    }

    /// How transient failures are retried ([`RetryPolicy::default`] unless set).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.policy.retry = retry;
        self
    }

    /// How many messages the queue holds (1,000 unless set), and what happens to one more.
    pub fn queue(mut self, capacity: usize, policy: QueuePolicy) -> Self {
        self.policy.capacity = capacity;
        self.policy.queue = policy;
        self
    }

    /// Calls `hook` with every message that finally failed, and the error.
    ///
    /// Keep the hook quick, and never block in it for long: the in-process queue calls it on
    /// the task that delivers the robot's messages, which waits for it. A robot whose queue
    /// is in Redis calls it on a thread of its own (tokio's blocking pool) and its delivery
    /// waits for it, so a slow hook slows that robot only; it is called in the process that
    /// delivered the message, not necessarily the one that queued it.
    pub fn on_failure(mut self, hook: impl Fn(&Payload, &Error) + Send + Sync + 'static) -> Self {
        let hook: FailureHook = Arc::new(hook);
        self.policy.on_failure = Some(hook);
        self
    }

    /// Tells another robot (an operators' group, say) of every message that finally failed,
    /// with why.
    ///
    /// This robot keeps `robot` alive, so a fallback passed here and kept nowhere else still
    /// hears of every failure; its queue closes once this robot's last clone is gone and this
    /// robot's own backlog is delivered. A robot's fallback is built before it, so fallbacks named here
    /// form a chain, never a cycle. A [hook](RobotBuilder::on_failure) that holds a `Robot`
    /// keeps it alive in the same way: a cycle made through one (this robot's hook holds a
    /// robot whose fallback is this one) keeps both robots, and their queues, open until the
    /// process ends.
    pub fn fallback(mut self, robot: Robot) -> Self {
        let fallback: Arc<dyn Fallback> = Arc::new(robot);
        self.policy.fallback = Some(fallback);
        self
    }

    /// Checks the configuration and makes the robot.
    pub fn build(self) -> Result<Robot, Error> {
        let webhook = Webhook::parse(&self.webhook)?;
        let secret = self.secret.map(Secret::new).transpose()?;
        let mut keywords: Vec<String> = Vec::with_capacity(self.keywords.len());
        for keyword in self.keywords {
            if !keywords.contains(&keyword) {
                keywords.push(keyword);
            }
        }
        if keywords.len() > spec::MAX_KEYWORDS {
            return Err(Error::invalid_config(format!(
                "a robot has at most {} keywords, not {}",
                spec::MAX_KEYWORDS,
                keywords.len()
            )));
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid_config(
                "the timeout must be longer than zero",
            ));
        }
        let keyword_prefix = self.keyword_prefix.filter(|p| !p.is_empty());
        if let Some(prefix) = &keyword_prefix
            && !keywords.is_empty()
            && !keywords.iter().any(|k| prefix.contains(k.as_str()))
        {
            return Err(Error::invalid_config(format!(
                "the keyword prefix {prefix:?} holds none of the robot's keywords ({})",
                keywords.join(", ")
            )));
        }
        if self.limit.is_some_and(|l| l.max == 0 || l.per.is_zero()) {
            return Err(Error::invalid_config(
                "a rate limit needs at least one message in a window longer than zero",
            ));
        }
        if self.policy.capacity == 0 {
            return Err(Error::invalid_config(
                "the queue must hold at least one message",
            ));
        }
        let transport = Transport::new(self.timeout, &webhook, self.proxy.as_deref())?;
        let name = self.name.unwrap_or_else(|| webhook.host().to_owned());
        let destination = CustomRobot::new(webhook, secret, keywords, name);
        #[cfg(feature = "redis")]
        if let Some(url) = self.redis {
            if self.limit_wait.is_some() {
                return Err(Error::invalid_config(
                    "limit_wait cannot be combined with redis: a message in the shared queue waits for whichever process delivers it",
                ));
            }
            if self.redis_takeover_after < Duration::from_millis(10) {
                return Err(Error::invalid_config(
                    "redis_takeover_after must be at least 10 ms",
                ));
            }
            let store = Store::get(&url)?;
            let outbox = RedisOutbox::new(
                destination,
                transport,
                store,
                self.limit,
                self.policy,
                self.redis_takeover_after,
            );
            return Ok(Robot {
                handle: Arc::new(Handle {
                    outbox: AnyOutbox::Shared(outbox),
                    keyword_prefix,
                }),
            });
        }
        let limiter = limiter(
            destination.limit_key(),
            self.limit,
            self.state_dir,
            self.limit_wait,
            self.timeout,
            // A robot that fails at once when throttled fails at once on a throttle another
            // process was told of, too.
            self.policy.wait_through_throttle,
        );
        let outbox = Outbox::new(destination, transport, limiter, self.policy);
        Ok(Robot {
            handle: Arc::new(Handle {
                outbox: AnyOutbox::Local(Arc::new(outbox)),
                keyword_prefix,
            }),
        })
    }
}

/// The limiter of the destination `key`: shared by the machine's processes through
/// `state_dir` (`Some(None)`: the default place), or by this process's `Robot`s; bounded by
/// `limit_wait`.
fn limiter(
    key: &str,
    limit: Option<Limit>,
    state_dir: Option<Option<PathBuf>>,
    limit_wait: Option<Duration>,
    timeout: Duration,
    wait_through_holds: bool,
) -> Arc<dyn Limiter> {
    let state_dir = state_dir.and_then(|dir| {
        dir.or_else(machine::default_state_dir).or_else(|| {
            tracing::warn!(
                "no state directory to share the rate limit in (set DINGTALK_STATE_DIR): it is kept in this process"
            );
            None
        })
    });
    let limiter: Arc<dyn Limiter> = match state_dir {
        Some(dir) => Arc::new(MachineLimiter::new(
            &dir,
            key,
            limit,
            timeout,
            wait_through_holds,
        )),
        None => LocalLimiter::shared(key, limit),
    };
    match limit_wait {
        Some(wait) => Arc::new(Bounded::new(limiter, wait, limit)),
        None => limiter,
    }
}

impl fmt::Debug for Robot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let destination = self.destination();
        let mut f = f.debug_struct("Robot");
        f.field("name", &destination.name())
            .field("webhook", destination.webhook())
            .field("secret", &destination.secret())
            .field("keywords", &destination.keywords())
            .field("timeout", &self.outbox().transport().timeout())
            .field("proxy", &self.outbox().transport().proxy())
            .field("queued", &self.queued());
        #[cfg(feature = "redis")]
        f.field("redis", &self.outbox().store());
        f.finish_non_exhaustive()
    }
}

impl fmt::Debug for RobotBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let webhook = Webhook::parse(&self.webhook)
            .map(|w| w.to_string())
            .unwrap_or_else(|_| "<unparsed>".to_owned());
        let mut f = f.debug_struct("RobotBuilder");
        f.field("webhook", &webhook)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("keywords", &self.keywords)
            .field("timeout", &self.timeout)
            .field("name", &self.name)
            .field("proxy", &self.proxy.as_deref().map(ProxyUrl::shown));
        #[cfg(feature = "redis")]
        f.field("redis", &self.redis.as_deref().map(fleet::redacted_url));
        f.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::error::ErrorKind;

    fn from_map(vars: &[(&str, &str)]) -> Result<RobotBuilder, Error> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RobotBuilder::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn reads_the_environment() {
        let b = from_map(&[
            (
                "DINGTALK_WEBHOOK",
                "https://oapi.dingtalk.com/robot/send?access_token=t",
            ),
            ("DINGTALK_SECRET", "SECabc"),
            ("DINGTALK_KEYWORDS", "deploy, alert，告警,,"),
        ])
        .unwrap();
        let robot = b.build().unwrap();
        assert_eq!(robot.keywords(), ["deploy", "alert", "告警"]);
        let trimmed = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=t")
            .keywords([" deploy ", "deploy", " "])
            .build()
            .unwrap();
        assert_eq!(trimmed.keywords(), ["deploy"]);
        assert!(robot.destination().secret().is_some());

        let e = from_map(&[("DINGTALK_SECRET", "SECabc")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.to_string().contains("DINGTALK_WEBHOOK"));

        let e = from_map(&[
            (
                "DINGTALK_WEBHOOK",
                "https://oapi.dingtalk.com/robot/send?access_token=t",
            ),
            ("DINGTALK_SECRET", "nope"),
        ])
        .unwrap()
        .build()
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn checks_the_configuration_at_build() {
        let hook = "https://oapi.dingtalk.com/robot/send?access_token=t";
        let eleven = (0..11).map(|i| format!("k{i}"));
        let e = Robot::builder(hook).keywords(eleven).build().unwrap_err();
        assert!(e.to_string().contains("at most 10"), "{e}");
        let e = Robot::builder(hook)
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn a_fallback_lives_as_long_as_the_robot_that_names_it_and_no_longer() {
        let ops = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=ops")
            .build()
            .unwrap();
        let ops_handle = Arc::downgrade(&ops.handle);
        // Passed by value and kept nowhere else.
        let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=a")
            .fallback(ops)
            .build()
            .unwrap();
        let clone = robot.clone();
        drop(robot);
        assert!(ops_handle.upgrade().is_some(), "it still hears of failures");
        drop(clone);
        // Its last holder gone, its queue is closed: nothing keeps it open.
        assert!(ops_handle.upgrade().is_none());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let builder = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=tok3n")
            .secret("SECs3cr3t");
        let shown = format!("{builder:?} {:?}", builder.clone().build().unwrap());
        assert!(!shown.contains("tok3n"), "{shown}");
        assert!(!shown.contains("SECs3cr3t"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
