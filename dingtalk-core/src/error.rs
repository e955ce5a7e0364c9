//! The one error type of this crate, and what kind of failure it reports.
//!
//! An [`Error`] carries an [`ErrorKind`] to match on (and its [`ErrorCategory`], what to do
//! about it), DingTalk's `errcode` and `errmsg` where DingTalk answered, a message that says
//! what went wrong and how to fix it, whether the message left the process ([`Sent`]), its
//! `msgUuid` and, when throttled, how long to wait. No error ever holds the access_token or the
//! secret: transport errors are stripped of their URL.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::spec::{self, SecurityFailure, Violation, errcode};

/// What kind of failure an [`Error`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// None of the robot's keywords is in the message (`310000 keywords not in content`), or,
    /// found before sending, none of the keywords configured on the client.
    KeywordMismatch,
    /// The signature is missing or does not match the robot's secret (`310000 sign not match`).
    SignatureMismatch,
    /// The signature's timestamp is more than an hour from DingTalk's clock
    /// (`310000 invalid timestamp`): the local clock is wrong.
    TimestampExpired,
    /// The sender's IP address is not on the robot's allowlist (`310000 ip … not in whitelist`).
    IpNotAllowed,
    /// The robot is throttled for sending more than 20 messages a minute (`130101`, `410100`).
    RateLimited,
    /// The access_token is unknown (`300001`, `300005`).
    InvalidToken,
    /// The robot was disabled (`400102`).
    RobotDisabled,
    /// The robot does not exist (`400106`).
    RobotNotFound,
    /// The robot's group was dissolved (`400013`).
    GroupDissolved,
    /// The body is over 20,000 bytes: found before sending, or answered by DingTalk (`460101`,
    /// `101002`). Also an app robot's `msgParam` over 15,000 bytes, found before sending
    /// ([`openapi::to_openapi`](crate::openapi::to_openapi)).
    PayloadTooLarge,
    /// The message lacks a required field or is of a type DingTalk does not take: found before
    /// sending, or answered by DingTalk. Also a message the robot OpenAPI of app robots cannot
    /// carry, found before sending ([`openapi::to_openapi`](crate::openapi::to_openapi)): a
    /// feed card, mentions, no button or more than five, no recipient or too many.
    InvalidMessage,
    /// The client's configuration is wrong: webhook, secret or keywords.
    InvalidConfig,
    /// DingTalk did not answer in time, or a deadline passed (see
    /// [`Robot::flush`](crate::Robot::flush)).
    Timeout,
    /// DingTalk could not be reached, or the connection broke.
    Transport,
    /// DingTalk failed to handle the request: an HTTP 5xx status, an answer that is not
    /// DingTalk's JSON, or `-1` (系统繁忙, busy). (HTTP 408 is a [`Timeout`](Self::Timeout),
    /// 429 [`RateLimited`](Self::RateLimited), any other 4xx [`Api`](Self::Api).)
    Server,
    /// DingTalk refused the message with an `errcode` not listed above.
    Api,
    /// The robot's queue is full and its policy is to fail at once
    /// ([`QueuePolicy::Fail`](crate::QueuePolicy::Fail)).
    QueueFull,
    /// The message was queued, but the task delivering it stopped before it was sent: its
    /// tokio runtime shut down.
    Cancelled,
    /// The store that keeps the robot's shared queue and limits (Redis, with
    #[cfg_attr(
        feature = "redis",
        doc = "[`RobotBuilder::redis`](crate::RobotBuilder::redis))"
    )]
    #[cfg_attr(not(feature = "redis"), doc = "`RobotBuilder::redis`)")]
    /// could not be reached or failed. The error says whether the
    /// message was not queued, or may have been (no answer came: it is then delivered, and
    /// sending it again may post it twice). Retryable: once the store is back, what it already
    /// holds is delivered.
    ///
    /// Also the outcome of a queued message that is no longer in the store, with no outcome
    /// kept for it (evicted under memory pressure, or deleted: a `FLUSHALL`): whether it was
    /// delivered is unknown. (Credentials the store refuses are
    /// [`InvalidConfig`](Self::InvalidConfig), which sending again cannot mend.)
    StoreUnavailable,
    /// The message was not sent by the deadline it was given
    /// ([`Robot::send_within`](crate::Robot::send_within),
    /// [`Robot::post_within`](crate::Robot::post_within)): it was taken out of the queue
    /// unsent, and no attempt of it starts after the deadline. [`Error::was_sent`] is
    /// [`Sent::No`], unless an earlier attempt failed in a way that may have reached DingTalk
    /// (its error is then the [`source`](std::error::Error::source)).
    Expired,
}

/// What to do about an error: the [`ErrorKind`]s grouped as an application (or the command
/// line's exit status) acts on them, so that none needs to write the table itself. See
/// [`ErrorKind::category`] and [`Error::category`].
///
/// | category | kinds | what to do |
/// |---|---|---|
/// | [`Config`](ErrorCategory::Config) | `InvalidConfig` | fix the configuration: webhook, secret, keywords, proxy, Redis URL or credentials |
/// | [`Message`](ErrorCategory::Message) | `InvalidMessage`, `PayloadTooLarge` | change the message |
/// | [`Security`](ErrorCategory::Security) | `KeywordMismatch`, `SignatureMismatch`, `TimestampExpired`, `IpNotAllowed` | fix the keywords, the secret, the clock or the IP allowlist |
/// | [`RateLimit`](ErrorCategory::RateLimit) | `RateLimited`, `QueueFull` | wait ([`Error::retry_after`]) and send again |
/// | [`Robot`](ErrorCategory::Robot) | `InvalidToken`, `RobotDisabled`, `RobotNotFound`, `GroupDissolved` | the robot is gone: a new robot (webhook) is needed |
/// | [`Delivery`](ErrorCategory::Delivery) | `Timeout`, `Transport`, `Server`, `Cancelled`, `Expired` | transient: send again later (see [`Error::was_sent`] first) |
/// | [`Refused`](ErrorCategory::Refused) | `Api` | DingTalk refused it for a reason of its own: read its `errcode` |
/// | [`Store`](ErrorCategory::Store) | `StoreUnavailable` | the shared store (Redis) is out of reach: send again once it is back |
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::{Error, ErrorCategory};
///
/// /// What a job does when its notification fails.
/// fn on_failure(e: &Error) -> &'static str {
///     match e.category() {
///         ErrorCategory::Config | ErrorCategory::Security | ErrorCategory::Robot => "page the owner",
///         ErrorCategory::Message => "log the message and drop it",
///         ErrorCategory::RateLimit | ErrorCategory::Delivery | ErrorCategory::Store => "try again later",
///         _ => "log it",
///     }
/// }
/// # let _ = on_failure;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// The robot's configuration is wrong ([`ErrorKind::InvalidConfig`]): nothing can be sent
    /// until it is fixed.
    Config,
    /// The message breaks one of DingTalk's rules ([`ErrorKind::InvalidMessage`],
    /// [`ErrorKind::PayloadTooLarge`]): sending it again as it is fails again.
    Message,
    /// DingTalk's security check refused it, or would have ([`ErrorKind::KeywordMismatch`],
    /// [`ErrorKind::SignatureMismatch`], [`ErrorKind::TimestampExpired`],
    /// [`ErrorKind::IpNotAllowed`]).
    Security,
    /// Too many messages: the robot is throttled or its limit is full
    /// ([`ErrorKind::RateLimited`]), or its queue is ([`ErrorKind::QueueFull`]). Sending again
    /// later works.
    RateLimit,
    /// The robot can no longer send ([`ErrorKind::InvalidToken`], [`ErrorKind::RobotDisabled`],
    /// [`ErrorKind::RobotNotFound`], [`ErrorKind::GroupDissolved`]).
    Robot,
    /// The message could not be delivered, or not in time ([`ErrorKind::Timeout`],
    /// [`ErrorKind::Transport`], [`ErrorKind::Server`], [`ErrorKind::Cancelled`],
    /// [`ErrorKind::Expired`]): transient.
    Delivery,
    /// DingTalk refused the message with an `errcode` of no other category ([`ErrorKind::Api`]).
    Refused,
    /// The shared store (Redis) could not be reached or failed ([`ErrorKind::StoreUnavailable`]).
    Store,
}

impl ErrorCategory {
    /// A short lowercase name, for logs and metrics labels: `config`, `message`, `security`,
    /// `rate_limit`, `robot`, `delivery`, `refused`, `store`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Config => "config",
            ErrorCategory::Message => "message",
            ErrorCategory::Security => "security",
            ErrorCategory::RateLimit => "rate_limit",
            ErrorCategory::Robot => "robot",
            ErrorCategory::Delivery => "delivery",
            ErrorCategory::Refused => "refused",
            ErrorCategory::Store => "store",
        }
    }
}

impl fmt::Display for ErrorCategory {
    /// As [`as_str`](ErrorCategory::as_str).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a message that failed left this process: whether sending it again may post it
/// twice. See [`Error::was_sent`].
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::{Error, Sent};
///
/// fn send_again(e: &Error) -> bool {
///     match e.was_sent() {
///         // Nothing reached DingTalk, or DingTalk refused it: nothing was posted.
///         Sent::No | Sent::Yes => e.is_retryable(),
///         // It may have been posted: sending it again may post it twice.
///         Sent::Maybe => false,
///         _ => false,
///     }
/// }
/// # let _ = send_again;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sent {
    /// Nothing was sent, and nothing will be: refused before sending (the checks, a full queue
    /// or limit, a throttle that holds, a deadline passed), not queued in the shared store, or
    /// the robot's configuration. Sending it again cannot post it twice.
    No,
    /// It may have reached DingTalk and been posted: no answer came in time, the connection
    /// broke once the request was out, DingTalk's server failed (HTTP 5xx, an unreadable
    /// answer); or the shared store may hold it and deliver it still (no answer came when it
    /// was queued), or lost track of it. Sending it again may post it twice.
    Maybe,
    /// DingTalk received it and answered with a refusal (an `errcode`, an HTTP 4xx): it was
    /// not posted.
    Yes,
}

impl Sent {
    /// What several attempts of one message say together: one that may have been posted
    /// outweighs one refused, which outweighs none sent.
    pub(crate) fn and(self, other: Sent) -> Sent {
        match (self, other) {
            (Sent::Maybe, _) | (_, Sent::Maybe) => Sent::Maybe,
            (Sent::Yes, _) | (_, Sent::Yes) => Sent::Yes,
            _ => Sent::No,
        }
    }
}

/// The error of every fallible operation in this crate. See [`ErrorKind`].
///
/// It is cheap to clone: every message merged into one digest gets the same error.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    errcode: Option<i64>,
    errmsg: Option<String>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    sent: Sent,
    /// The `msgUuid` the message was, or would have been, sent with.
    msg_uuid: Option<Box<str>>,
    /// For `RateLimited`: how long until a send may succeed, where known.
    retry_after: Option<Duration>,
    /// Made by the shared store's client: a failure of the store, whatever its kind (its
    /// credentials refused are `InvalidConfig`), which delivery treats as the store out of
    /// reach: nothing is sent, and the message stays in the store.
    from_store: bool,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Error {
        Error {
            inner: Arc::new(Inner {
                kind,
                message: message.into(),
                errcode: None,
                errmsg: None,
                source: None,
                sent: Sent::No,
                msg_uuid: None,
                retry_after: None,
                from_store: false,
            }),
        }
    }

    /// This error, changed by `edit` (a copy, if it is shared already).
    fn edited(mut self, edit: impl FnOnce(&mut Inner)) -> Error {
        edit(Arc::make_mut(&mut self.inner));
        self
    }

    /// This error, saying whether its message left the process.
    pub(crate) fn with_sent(self, sent: Sent) -> Error {
        self.edited(|inner| inner.sent = sent)
    }

    /// This error, naming the `msgUuid` its message was (or would have been) sent with.
    pub(crate) fn with_msg_uuid(self, msg_uuid: &str) -> Error {
        self.edited(|inner| inner.msg_uuid = Some(msg_uuid.into()))
    }

    /// This error, saying how long until a send may succeed.
    pub(crate) fn with_retry_after(self, after: Duration) -> Error {
        self.edited(|inner| inner.retry_after = Some(after))
    }

    /// The inner data of an error being made, not yet shared.
    fn inner_mut(&mut self) -> &mut Inner {
        Arc::get_mut(&mut self.inner).expect("an error is changed only while it is made")
    }

    pub(crate) fn queue_full(capacity: usize) -> Error {
        Error::new(
            ErrorKind::QueueFull,
            format!("the robot's queue holds {capacity} messages already"),
        )
    }

    /// The message was still queued when the task delivering it stopped (its runtime shut
    /// down): it was not sent.
    pub(crate) fn cancelled() -> Error {
        Error::new(
            ErrorKind::Cancelled,
            "the task delivering the message stopped before sending it (its runtime shut down)",
        )
    }

    /// The task delivering the message stopped while the message was its own (waiting for
    /// the limit, or its request in flight): it may have been sent.
    pub(crate) fn cancelled_in_flight() -> Error {
        Error::new(
            ErrorKind::Cancelled,
            "the task delivering the message stopped while delivering it (its runtime shut down): it may have been sent",
        )
        .with_sent(Sent::Maybe)
    }

    /// The message's deadline passed before it was sent. `last` is the error of its last
    /// attempt, if it had any, and `sent` what its attempts say together.
    pub(crate) fn expired(last: Option<&Error>, sent: Sent) -> Error {
        let mut e = match last {
            None => Error::new(
                ErrorKind::Expired,
                "the message was not sent by its deadline: it was taken out of the queue unsent",
            ),
            Some(last) => {
                let mut e = Error::new(
                    ErrorKind::Expired,
                    "the message's deadline passed before it could be sent again after a failed attempt",
                );
                e.inner_mut().source = Some(Arc::new(last.clone()));
                e
            }
        };
        e.inner_mut().sent = sent;
        e
    }

    /// The shared store (Redis) could not be reached, or failed, while doing `what`. `cause`
    /// is the store client's error, told after the message (a refused connection, a timeout,
    /// what Redis answered): it names the store's address at most, never its password.
    ///
    /// A Redis error that refuses the client's credentials or permissions (`WRONGPASS`,
    /// `NOAUTH`, `NOPERM`) makes a [`store_refused`](Error::store_refused) error instead,
    /// wherever it is made: no retry mends it.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn store_unavailable(
        what: &str,
        cause: impl StdError + Send + Sync + 'static,
    ) -> Error {
        #[cfg(feature = "redis")]
        if (&cause as &dyn std::any::Any)
            .downcast_ref::<redis::RedisError>()
            .is_some_and(is_refusal)
        {
            return Error::store_refused(what, cause);
        }
        let mut e = Error::new(
            ErrorKind::StoreUnavailable,
            format!("the robot's shared store (Redis) could not {what}: {cause}"),
        );
        let inner = e.inner_mut();
        inner.source = Some(Arc::new(cause));
        inner.from_store = true;
        e
    }

    /// The shared store (Redis) refused the robot's credentials (or the user they name may
    /// not run what the robot needs) while it tried to `what`: a configuration error, which
    /// trying again does not mend. `cause` is the store client's error (`WRONGPASS …`,
    /// `NOAUTH …`, `NOPERM …`), which never quotes the password.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn store_refused(what: &str, cause: impl StdError + Send + Sync + 'static) -> Error {
        let mut e = Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "the Redis credentials are refused (could not {what}): check the user and password in the Redis URL, and the user's permissions: {cause}"
            ),
        );
        let inner = e.inner_mut();
        inner.source = Some(Arc::new(cause));
        inner.from_store = true;
        e
    }

    /// A sender's message is no longer in the shared store, and no outcome of it is kept
    /// there: evicted (Redis ran out of memory under an evicting `maxmemory-policy`), or
    /// deleted behind the robot's back (`FLUSHALL`, `DEL`). Whether it was delivered is
    /// unknown.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn message_gone() -> Error {
        Error::new(
            ErrorKind::StoreUnavailable,
            "the message is no longer in Redis (evicted or deleted) and no outcome of it was kept: \
             whether it was delivered is unknown (run Redis with maxmemory-policy noeviction)",
        )
        .with_sent(Sent::Maybe)
    }

    /// Whether the shared store's client made this error: the store is out of reach, failed,
    /// or refused the robot's credentials. Delivery sends nothing then, and leaves the
    /// message in the store for later.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn is_store_failure(&self) -> bool {
        self.inner.from_store || self.kind() == ErrorKind::StoreUnavailable
    }

    /// An error as another process saw it and recorded it (the process that delivered a
    /// message from a shared queue): the same kind, `errcode` and `errmsg`, and its message;
    /// whether it was sent, its `msgUuid` and how long to wait are added with the `with_`
    /// methods.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn recorded(
        kind: ErrorKind,
        message: String,
        errcode: Option<i64>,
        errmsg: Option<String>,
    ) -> Error {
        let mut e = Error::new(kind, message);
        let inner = e.inner_mut();
        inner.errcode = errcode;
        inner.errmsg = errmsg;
        e
    }

    /// What went wrong and how to fix it, without DingTalk's `errcode` and `errmsg` (which
    /// `Display` appends).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn message(&self) -> &str {
        &self.inner.message
    }

    pub(crate) fn flush_timeout(remaining: usize, deadline: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("{remaining} messages were still queued or in flight after {deadline:?}"),
        )
    }

    /// No place in the robot's own rate limit (`limit`, as `5 messages per 3s`) came free
    /// within the wait it allows: nothing was sent, and DingTalk throttled nothing. `free_in`:
    /// how long until a place is expected back, where the limiter knows.
    pub(crate) fn limit_full(limit: &str, wait: Duration, free_in: Option<Duration>) -> Error {
        let within = if wait.is_zero() {
            "at once".to_owned()
        } else {
            format!("within {wait:?}")
        };
        let e = Error::new(
            ErrorKind::RateLimited,
            format!(
                "the local rate limit ({limit}) is full: no place came free {within}, and nothing was sent to DingTalk"
            ),
        );
        match free_in {
            Some(after) => e.with_retry_after(after),
            None => e,
        }
    }

    /// DingTalk throttles the robot, as a send (from this process, or another sharing its
    /// limit) was told, for `remaining` yet, and this robot does not wait throttles out.
    pub(crate) fn held(remaining: Duration) -> Error {
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "DingTalk throttles this robot, as an earlier send was told: nothing is sent to it for another {} s",
                remaining.as_millis().div_ceil(1000).max(1)
            ),
        )
        .with_retry_after(remaining)
    }

    /// The OpenAPI refused to give the app an access token (`message` says why, in DingTalk's
    /// words where it gave some, and how to fix it): no message was sent.
    pub(crate) fn token_refused(kind: ErrorKind, message: String) -> Error {
        Error::new(kind, message)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// DingTalk's `errcode`, where DingTalk answered with one.
    pub fn errcode(&self) -> Option<i64> {
        self.inner.errcode
    }

    /// DingTalk's `errmsg`, where DingTalk answered with one.
    pub fn errmsg(&self) -> Option<&str> {
        self.inner.errmsg.as_deref()
    }

    /// What to do about it: its kind's [`ErrorCategory`].
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use std::time::Duration;
    ///
    /// use dingtalk_bot::{ErrorCategory, ErrorKind, Payload, Robot};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
    ///     .keywords(["deploy"])
    ///     .build()?;
    /// let e = robot.send(&Payload::text("backup done")).await.unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::KeywordMismatch); // found before sending
    /// assert_eq!(e.category(), ErrorCategory::Security);
    /// # Ok(()) }
    /// ```
    pub fn category(&self) -> ErrorCategory {
        self.kind().category()
    }

    /// Whether the message left this process: [`Sent::No`] when nothing was sent (refused
    /// before sending, by the checks, a full queue or limit, a throttle that holds, its
    /// deadline; not queued in the shared store), [`Sent::Yes`] when DingTalk received it and
    /// refused it (an `errcode`, HTTP 4xx), [`Sent::Maybe`] when it may have been posted (no
    /// answer in time, a connection broken mid-way, HTTP 5xx; a shared store that may hold it
    /// still). Where a message was tried several times, what the attempts say together: one
    /// that may have been posted makes it `Maybe`.
    ///
    /// With `No` or `Yes`, sending it again cannot post it twice. With `Maybe` it can, unless
    /// it is the same delivery retrying (its `msgUuid`, [`msg_uuid`](Error::msg_uuid), lets
    /// DingTalk drop a repeat).
    ///
    /// An error that is about no message (at [`build`](crate::RobotBuilder::build), of
    /// [`flush`](crate::Robot::flush) or [`close`](crate::Robot::close)) is `No`.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{ErrorKind, Payload, Robot, Sent};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…").build()?;
    /// let e = robot.send(&Payload::text("")).await.unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidMessage); // an empty text, found before sending
    /// assert_eq!(e.was_sent(), Sent::No);
    /// assert_eq!(e.msg_uuid(), None); // it never got one
    /// # Ok(()) }
    /// ```
    pub fn was_sent(&self) -> Sent {
        self.inner.sent
    }

    /// The `msgUuid` the message was sent with, or would have been: the one every attempt of
    /// its delivery carried (for messages merged into a digest, the digest's), as in the
    /// delivery's log lines and what DingTalk (or the sandbox) received. `None` when the
    /// message never got one: refused before it was queued (its checks, a full queue), or
    /// an error about no message.
    pub fn msg_uuid(&self) -> Option<&str> {
        self.inner.msg_uuid.as_deref()
    }

    /// For [`RateLimited`](ErrorKind::RateLimited): how long until a send to this robot may
    /// succeed, where it is known. A throttle that holds (DingTalk's answer, with
    /// [`fail_when_throttled`](crate::RobotBuilder::fail_when_throttled), or an earlier
    /// send's): the hold left. The local limit full
    /// ([`limit_wait`](crate::RobotBuilder::limit_wait)): until its next place comes back
    /// (for a place whose request is still in flight, no sooner than the limit's window).
    /// `None` otherwise (an HTTP 429, a throttle when no penalty is set) and for every other
    /// kind.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use std::time::Duration;
    ///
    /// use dingtalk_bot::{ErrorKind, Payload, RetryPolicy, Robot, Sent};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// // One message a minute, and no waiting for a place; nothing listens on port 1.
    /// let robot = Robot::builder("http://127.0.0.1:1/robot/send?access_token=t")
    ///     .rate_limit(1, Duration::from_secs(60))
    ///     .limit_wait(Duration::ZERO)
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// let e = robot.send(&Payload::text("first")).await.unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Transport); // no connection: nothing sent
    /// assert_eq!(e.was_sent(), Sent::No);
    /// assert!(e.msg_uuid().is_some());
    /// // Its try holds the only place for a minute after it failed.
    /// let e = robot.send(&Payload::text("second")).await.unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::RateLimited);
    /// let after = e.retry_after().unwrap();
    /// assert!(after > Duration::from_secs(55) && after <= Duration::from_secs(60), "{after:?}");
    /// # Ok(()) }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the same message may succeed if sent again later: timeouts, transport and
    /// server failures, throttling (once the throttle is over), a full queue, a deadline
    /// passed, the shared store out of reach. Everything else needs a change first: to the
    /// message, the configuration or the robot. (Before sending a message again, see
    /// [`was_sent`](Error::was_sent).)
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Timeout
                | ErrorKind::Transport
                | ErrorKind::Server
                | ErrorKind::RateLimited
                | ErrorKind::QueueFull
                | ErrorKind::Expired
                | ErrorKind::StoreUnavailable
        )
    }

    pub(crate) fn invalid_config(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    pub(crate) fn invalid_message(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::InvalidMessage, message)
    }

    /// A message that breaks one of DingTalk's rules, found before sending. `keywords` are
    /// the robot's, named in the error when none was found.
    pub(crate) fn from_violation(violation: &Violation, keywords: &[String]) -> Error {
        match violation {
            Violation::TooLarge { .. } => Error::new(
                ErrorKind::PayloadTooLarge,
                format!("{violation}: shorten or split it"),
            ),
            Violation::NoKeyword => Error::keyword_mismatch(keywords),
            _ => Error::invalid_message(violation.to_string()),
        }
    }

    /// A message the robot OpenAPI would refuse, found before sending; `refusal` is its
    /// source, for a caller that matches on the reason.
    pub(crate) fn from_refusal(refusal: spec::openapi::Refusal) -> Error {
        use spec::openapi::Refusal;
        let (kind, fix) = match &refusal {
            Refusal::MsgParamTooLong { .. } => (ErrorKind::PayloadTooLarge, "shorten or split it"),
            Refusal::UnsupportedType(_) => (
                ErrorKind::InvalidMessage,
                "send it as markdown or an action card",
            ),
            Refusal::Mentions => (
                ErrorKind::InvalidMessage,
                "remove the mentions, or drop them (`drop_mentions`)",
            ),
            Refusal::NoButtons => (ErrorKind::InvalidMessage, "add a button"),
            Refusal::TooManyButtons { .. } => (ErrorKind::InvalidMessage, "keep five at most"),
            Refusal::NoUsers => (ErrorKind::InvalidMessage, "name a user"),
            Refusal::TooManyUsers { .. } => (
                ErrorKind::InvalidMessage,
                "split the users into several calls",
            ),
            _ => (ErrorKind::InvalidMessage, "change it"),
        };
        let mut e = Error::new(kind, format!("{refusal}: {fix}"));
        e.inner_mut().source = Some(Arc::new(refusal));
        e
    }

    pub(crate) fn keyword_mismatch(keywords: &[String]) -> Error {
        Error::new(
            ErrorKind::KeywordMismatch,
            format!(
                "the message holds none of the robot's keywords ({}): DingTalk would refuse it",
                keywords.join(", ")
            ),
        )
    }

    /// No answer came in time: the request may have reached DingTalk.
    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("DingTalk did not answer within {after:?}"),
        )
        .with_sent(Sent::Maybe)
    }

    /// Wraps a transport failure. The URL, which holds the access_token and the signature, is
    /// removed first. No connection made: nothing was sent; a connection that broke later may
    /// have carried the request.
    pub(crate) fn transport(error: reqwest::Error) -> Error {
        let sent = if error.is_connect() {
            Sent::No
        } else {
            Sent::Maybe
        };
        let mut e = Error::new(ErrorKind::Transport, "could not reach DingTalk");
        let inner = e.inner_mut();
        inner.source = Some(Arc::new(error.without_url()));
        inner.sent = sent;
        e
    }

    /// DingTalk's server failed: whether it posted the message first is unknown.
    pub(crate) fn server(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::Server, message).with_sent(Sent::Maybe)
    }

    /// An HTTP status other than success: 5xx is DingTalk failing (retried; it may have
    /// posted the message), 408 a timeout, 429 a throttle, any other 4xx a refusal of this
    /// request (not retried; nothing posted).
    pub(crate) fn from_status(status: u16) -> Error {
        let message = format!("DingTalk answered HTTP {status}");
        let (kind, sent) = match status {
            408 => (ErrorKind::Timeout, Sent::Yes),
            429 => (ErrorKind::RateLimited, Sent::Yes),
            400..=499 => (ErrorKind::Api, Sent::Yes),
            _ => (ErrorKind::Server, Sent::Maybe),
        };
        Error::new(kind, message).with_sent(sent)
    }

    /// Classifies DingTalk's answer `{errcode, errmsg}` with a non-zero `errcode`.
    pub(crate) fn from_answer(code: i64, errmsg: String) -> Error {
        use ErrorKind::*;
        let (kind, hint): (ErrorKind, &'static str) = match code {
            errcode::SECURITY => match spec::classify_security(&errmsg) {
                Some(SecurityFailure::Keywords) => (
                    KeywordMismatch,
                    "the message holds none of the robot's keywords",
                ),
                Some(SecurityFailure::Signature) => (
                    SignatureMismatch,
                    "the signature does not match: check the robot's secret",
                ),
                Some(SecurityFailure::Timestamp) => (
                    TimestampExpired,
                    "the signature's timestamp is over an hour from DingTalk's clock: check the system clock",
                ),
                Some(SecurityFailure::IpAllowlist) => (
                    IpNotAllowed,
                    "this machine's address is not on the robot's IP allowlist",
                ),
                None => (Api, "DingTalk's security check refused the message"),
            },
            errcode::SEND_TOO_FAST | errcode::THROTTLED => (
                RateLimited,
                "the robot is throttled for sending more than 20 messages a minute",
            ),
            errcode::TOKEN_NOT_EXIST | errcode::TOKEN_UNKNOWN => (
                InvalidToken,
                "the access_token is unknown or the session has expired: check the webhook",
            ),
            errcode::GROUP_DISSOLVED => (GroupDissolved, "the robot's group was dissolved"),
            errcode::ROBOT_DISABLED => (RobotDisabled, "the robot is disabled"),
            errcode::ROBOT_NOT_FOUND => (RobotNotFound, "the robot does not exist"),
            errcode::MESSAGE_TOO_LONG | errcode::MESSAGE_TOO_LONG_OLD => (
                PayloadTooLarge,
                "the message is over DingTalk's limit of 20,000 bytes",
            ),
            errcode::UNSUPPORTED_TYPE | errcode::MISSING_PARAMETER => {
                (InvalidMessage, "DingTalk cannot read the message")
            }
            c if errcode::UNSAFE_CONTENT.contains(&c) => {
                (InvalidMessage, "DingTalk judged the message unsafe")
            }
            errcode::BUSY => (Server, "DingTalk is busy"),
            _ => (Api, "DingTalk refused the message"),
        };
        let mut e = Error::new(kind, hint);
        let inner = e.inner_mut();
        inner.errcode = Some(code);
        inner.errmsg = Some(errmsg);
        // DingTalk answered: it received the request, and did not post it.
        inner.sent = Sent::Yes;
        e
    }

    /// The error's causes, outermost first, joined by `: ` (`None` without one): for logs,
    /// beside the error. Causes name no secret: a transport error has lost its URL, and a
    /// store's names its address at most.
    pub(crate) fn causes(&self) -> Option<String> {
        let mut cause = StdError::source(self)?;
        let mut text = cause.to_string();
        while let Some(next) = cause.source() {
            text.push_str(": ");
            text.push_str(&next.to_string());
            cause = next;
        }
        Some(text)
    }
}

/// Whether Redis refused the client's credentials or permissions: `WRONGPASS`, `NOAUTH`,
/// `NOPERM` (as answered to `HELLO`, `AUTH` or any command), or the client's own
/// authentication failure.
#[cfg(feature = "redis")]
fn is_refusal(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
}

impl fmt::Display for ErrorKind {
    /// A short lowercase description: `signature mismatch`, `rate limited`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::KeywordMismatch => "keyword mismatch",
            ErrorKind::SignatureMismatch => "signature mismatch",
            ErrorKind::TimestampExpired => "timestamp expired",
            ErrorKind::IpNotAllowed => "ip not allowed",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::InvalidToken => "invalid token",
            ErrorKind::RobotDisabled => "robot disabled",
            ErrorKind::RobotNotFound => "robot not found",
            ErrorKind::GroupDissolved => "group dissolved",
            ErrorKind::PayloadTooLarge => "payload too large",
            ErrorKind::InvalidMessage => "invalid message",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport failure",
            ErrorKind::Server => "server failure",
            ErrorKind::Api => "refused by DingTalk",
            ErrorKind::QueueFull => "queue full",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::StoreUnavailable => "store unavailable",
            ErrorKind::Expired => "expired",
        })
    }
}

impl ErrorKind {
    /// What to do about it: see [`ErrorCategory`].
    pub fn category(self) -> ErrorCategory {
        use ErrorKind::*;
        match self {
            InvalidConfig => ErrorCategory::Config,
            InvalidMessage | PayloadTooLarge => ErrorCategory::Message,
            KeywordMismatch | SignatureMismatch | TimestampExpired | IpNotAllowed => {
                ErrorCategory::Security
            }
            RateLimited | QueueFull => ErrorCategory::RateLimit,
            InvalidToken | RobotDisabled | RobotNotFound | GroupDissolved => ErrorCategory::Robot,
            Timeout | Transport | Server | Cancelled | Expired => ErrorCategory::Delivery,
            Api => ErrorCategory::Refused,
            StoreUnavailable => ErrorCategory::Store,
        }
    }

    /// Every kind, in the order declared.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) const ALL: [ErrorKind; 20] = [
        ErrorKind::KeywordMismatch,
        ErrorKind::SignatureMismatch,
        ErrorKind::TimestampExpired,
        ErrorKind::IpNotAllowed,
        ErrorKind::RateLimited,
        ErrorKind::InvalidToken,
        ErrorKind::RobotDisabled,
        ErrorKind::RobotNotFound,
        ErrorKind::GroupDissolved,
        ErrorKind::PayloadTooLarge,
        ErrorKind::InvalidMessage,
        ErrorKind::InvalidConfig,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::Server,
        ErrorKind::Api,
        ErrorKind::QueueFull,
        ErrorKind::Cancelled,
        ErrorKind::StoreUnavailable,
        ErrorKind::Expired,
    ];

    /// The kind whose [`Display`](fmt::Display) is `name`: how a kind is recorded where
    /// another process reads it.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.to_string() == name)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        match (self.inner.errcode, &self.inner.errmsg) {
            (Some(code), Some(msg)) => write!(f, " (errcode {code}: {msg})"),
            (Some(code), None) => write!(f, " (errcode {code})"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    /// Compact, and on one line with `{:?}`: the kind, DingTalk's `errcode` and `errmsg` where
    /// it answered, the message, then what is known of the delivery (`sent` unless nothing
    /// was, the `msgUuid`, [`retry_after`](Error::retry_after)) and the causes. Never a
    /// secret, as [`Display`](fmt::Display).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{Payload, Robot};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), dingtalk_bot::Error> {
    /// let robot = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=s3cret")
    ///     .keywords(["deploy"])
    ///     .build()?;
    /// let e = robot.send(&Payload::text("backup done")).await.unwrap_err();
    /// assert_eq!(
    ///     format!("{e:?}"),
    ///     r#"Error { kind: KeywordMismatch, message: "the message holds none of the robot's keywords (deploy): DingTalk would refuse it" }"#,
    /// );
    /// # Ok(()) }
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut f = f.debug_struct("Error");
        f.field("kind", &inner.kind);
        if let Some(code) = inner.errcode {
            f.field("errcode", &code);
        }
        if let Some(errmsg) = &inner.errmsg {
            f.field("errmsg", errmsg);
        }
        f.field("message", &inner.message);
        if inner.sent != Sent::No {
            f.field("sent", &inner.sent);
        }
        if let Some(msg_uuid) = &inner.msg_uuid {
            f.field("msg_uuid", msg_uuid);
        }
        if let Some(after) = inner.retry_after {
            f.field("retry_after", &after);
        }
        if let Some(causes) = self.causes() {
            f.field("cause", &causes);
        }
        f.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::errmsg;

    #[test]
    fn answers_are_classified_by_errcode_and_errmsg() {
        use ErrorKind::*;
        let cases: &[(i64, &str, ErrorKind, bool)] = &[
            (
                310_000,
                errmsg::KEYWORDS_NOT_IN_CONTENT,
                KeywordMismatch,
                false,
            ),
            (
                310_000,
                errmsg::KEYWORDS_NOT_IN_CONTENT_ZH,
                KeywordMismatch,
                false,
            ),
            (310_000, errmsg::SIGN_NOT_MATCH, SignatureMismatch, false),
            (310_000, errmsg::SIGN_NOT_MATCH_ZH, SignatureMismatch, false),
            (310_000, errmsg::INVALID_TIMESTAMP, TimestampExpired, false),
            (
                310_000,
                errmsg::INVALID_TIMESTAMP_ZH,
                TimestampExpired,
                false,
            ),
            (310_000, "ip 1.2.3.4 not in whitelist", IpNotAllowed, false),
            (310_000, "unheard of", Api, false),
            (130_101, errmsg::SEND_TOO_FAST, RateLimited, true),
            (410_100, "发送速度太快而限流", RateLimited, true),
            (300_001, errmsg::TOKEN_NOT_EXIST, InvalidToken, false),
            (300_001, "session 不存在", InvalidToken, false),
            (300_005, errmsg::TOKEN_NOT_EXIST, InvalidToken, false),
            (400_013, "群已被解散", GroupDissolved, false),
            (400_102, "机器人已停用", RobotDisabled, false),
            (400_106, "机器人不存在", RobotNotFound, false),
            (460_101, errmsg::MESSAGE_TOO_LONG, PayloadTooLarge, false),
            (460_101, errmsg::MESSAGE_TOO_LONG_ZH, PayloadTooLarge, false),
            (101_002, "message is too long", PayloadTooLarge, false),
            (400_105, errmsg::UNSUPPORTED_TYPE, InvalidMessage, false),
            (430_102, "unsafe text", InvalidMessage, false),
            (40_035, "缺少参数 json", InvalidMessage, false),
            (-1, errmsg::BUSY, Server, true),
            (90_030, "webhook over limit", Api, false),
        ];
        for &(code, msg, kind, retryable) in cases {
            let e = Error::from_answer(code, msg.to_owned());
            assert_eq!(e.kind(), kind, "{code} {msg}");
            assert_eq!(e.is_retryable(), retryable, "{code} {msg}");
            assert_eq!(e.errcode(), Some(code));
            assert_eq!(e.errmsg(), Some(msg));
            assert!(e.to_string().ends_with(&format!("(errcode {code}: {msg})")));
        }
    }

    #[test]
    fn every_kind_is_found_by_its_name_and_a_recorded_error_reads_as_the_original() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(&kind.to_string()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("no such kind"), None);
        let original = Error::from_answer(310_000, errmsg::SIGN_NOT_MATCH.to_owned());
        let recorded = Error::recorded(
            original.kind(),
            original.message().to_owned(),
            original.errcode(),
            original.errmsg().map(str::to_owned),
        );
        assert_eq!(recorded.kind(), ErrorKind::SignatureMismatch);
        assert_eq!(recorded.to_string(), original.to_string());
        assert_eq!(recorded.errmsg(), Some(errmsg::SIGN_NOT_MATCH));
        let down = Error::store_unavailable("queue the message", std::io::Error::other("refused"));
        assert_eq!(down.kind(), ErrorKind::StoreUnavailable);
        assert!(down.is_retryable());
        assert!(down.is_store_failure());
        assert!(std::error::Error::source(&down).is_some());
        // The cause is told.
        assert_eq!(
            down.to_string(),
            "the robot's shared store (Redis) could not queue the message: refused"
        );
    }

    #[test]
    fn every_kind_has_a_category_and_retryable_kinds_are_those_of_transient_categories() {
        use ErrorCategory as C;
        use ErrorKind::*;
        let expected = [
            (KeywordMismatch, C::Security),
            (SignatureMismatch, C::Security),
            (TimestampExpired, C::Security),
            (IpNotAllowed, C::Security),
            (RateLimited, C::RateLimit),
            (InvalidToken, C::Robot),
            (RobotDisabled, C::Robot),
            (RobotNotFound, C::Robot),
            (GroupDissolved, C::Robot),
            (PayloadTooLarge, C::Message),
            (InvalidMessage, C::Message),
            (InvalidConfig, C::Config),
            (Timeout, C::Delivery),
            (Transport, C::Delivery),
            (Server, C::Delivery),
            (Api, C::Refused),
            (QueueFull, C::RateLimit),
            (Cancelled, C::Delivery),
            (StoreUnavailable, C::Store),
            (Expired, C::Delivery),
        ];
        assert_eq!(expected.len(), ErrorKind::ALL.len());
        for (kind, category) in expected {
            assert_eq!(kind.category(), category, "{kind}");
            let e = Error::new(kind, "m");
            assert_eq!(e.category(), category);
            // Retryable: every kind of a transient category but a runtime shut down.
            let transient = matches!(category, C::RateLimit | C::Delivery | C::Store);
            assert_eq!(e.is_retryable(), transient && kind != Cancelled, "{kind}");
        }
        let names: Vec<&str> = [
            C::Config,
            C::Message,
            C::Security,
            C::RateLimit,
            C::Robot,
            C::Delivery,
            C::Refused,
            C::Store,
        ]
        .iter()
        .map(|c| c.as_str())
        .collect();
        assert_eq!(
            names,
            [
                "config",
                "message",
                "security",
                "rate_limit",
                "robot",
                "delivery",
                "refused",
                "store"
            ]
        );
        assert_eq!(C::RateLimit.to_string(), "rate_limit");
    }

    #[test]
    fn what_attempts_say_together_of_sending() {
        use Sent::*;
        for (a, b, both) in [
            (No, No, No),
            (No, Yes, Yes),
            (Yes, No, Yes),
            (Yes, Maybe, Maybe),
            (Maybe, No, Maybe),
            (Maybe, Yes, Maybe),
        ] {
            assert_eq!(a.and(b), both, "{a:?} {b:?}");
        }
        assert_eq!(Error::from_answer(310_000, "x".into()).was_sent(), Yes);
        assert_eq!(Error::from_status(400).was_sent(), Yes);
        assert_eq!(Error::from_status(500).was_sent(), Maybe);
        assert_eq!(Error::timeout(Duration::from_secs(1)).was_sent(), Maybe);
        assert_eq!(Error::queue_full(1).was_sent(), No);
        assert_eq!(Error::held(Duration::from_secs(1)).was_sent(), No);
        assert_eq!(Error::cancelled().was_sent(), No);
        assert_eq!(Error::cancelled_in_flight().was_sent(), Maybe);
        assert_eq!(Error::message_gone().was_sent(), Maybe);
    }

    #[test]
    fn debug_is_compact_and_shows_what_is_known() {
        let e = Error::from_answer(130_101, "send too fast".into())
            .with_sent(Sent::Yes)
            .with_msg_uuid("0123456789abcdef0123456789abcdef")
            .with_retry_after(Duration::from_secs(600));
        assert_eq!(
            format!("{e:?}"),
            r#"Error { kind: RateLimited, errcode: 130101, errmsg: "send too fast", message: "the robot is throttled for sending more than 20 messages a minute", sent: Yes, msg_uuid: "0123456789abcdef0123456789abcdef", retry_after: 600s }"#
        );
        let last = Error::server("DingTalk answered HTTP 503");
        let expired = Error::expired(Some(&last), Sent::Maybe);
        assert_eq!(
            format!("{expired:?}"),
            r#"Error { kind: Expired, message: "the message's deadline passed before it could be sent again after a failed attempt", sent: Maybe, cause: "DingTalk answered HTTP 503" }"#
        );
        // A shared error is copied, not changed, when one of its holders adds to it.
        let shared = Error::queue_full(1);
        let named = shared
            .clone()
            .with_msg_uuid("00000000000000000000000000000000");
        assert_eq!(shared.msg_uuid(), None);
        assert!(named.msg_uuid().is_some());
    }

    #[cfg(feature = "redis")]
    #[test]
    fn credentials_redis_refuses_are_a_configuration_error_wherever_the_error_is_made() {
        let answered = |line: &str| {
            redis::parse_redis_value(format!("-{line}\r\n").as_bytes())
                .unwrap()
                .extract_error()
                .unwrap_err()
        };
        for cause in [
            answered("WRONGPASS invalid username-password pair or user is disabled."),
            answered("NOAUTH Authentication required."),
            answered("NOPERM User ops has no permissions to run the 'evalsha' command"),
            redis::RedisError::from((
                redis::ErrorKind::AuthenticationFailed,
                "Password authentication failed",
            )),
        ] {
            let e = Error::store_unavailable("queue the message", cause);
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
            assert!(!e.is_retryable());
            assert!(
                e.is_store_failure(),
                "delivery still leaves the message in Redis"
            );
            assert!(
                e.to_string()
                    .starts_with("the Redis credentials are refused (could not queue the message)"),
                "{e}"
            );
        }
        for cause in [
            answered("ERR unknown command"),
            answered("LOADING Redis is loading the dataset in memory"),
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            let e = Error::store_unavailable("queue the message", cause);
            assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
            assert!(e.is_retryable());
        }
    }
}
