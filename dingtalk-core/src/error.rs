//! The one error type of this crate, and what kind of failure it reports.
//!
//! An [`Error`] carries an [`ErrorKind`] to match on, DingTalk's `errcode` and `errmsg` where
//! DingTalk answered, and a message that says what went wrong and how to fix it. No error ever
//! holds the access_token or the secret: transport errors are stripped of their URL.

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
    /// `101002`).
    PayloadTooLarge,
    /// The message lacks a required field or is of a type DingTalk does not take: found before
    /// sending, or answered by DingTalk.
    InvalidMessage,
    /// The client's configuration is wrong: webhook, secret or keywords.
    InvalidConfig,
    /// DingTalk did not answer in time, or a deadline passed (see `Robot::flush`).
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
    /// `RobotBuilder::redis`) could not be reached or failed. The error says whether the
    /// message was not queued, or may have been (no answer came: it is then delivered, and
    /// sending it again may post it twice). Retryable: once the store is back, what it already
    /// holds is delivered.
    ///
    /// Also the outcome of a queued message that is no longer in the store, with no outcome
    /// kept for it (evicted under memory pressure, or deleted: a `FLUSHALL`): whether it was
    /// delivered is unknown. (Credentials the store refuses are
    /// [`InvalidConfig`](Self::InvalidConfig), which sending again cannot mend.)
    StoreUnavailable,
}

/// The error of every fallible operation in this crate. See [`ErrorKind`].
///
/// It is cheap to clone: every message merged into one digest gets the same error.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    errcode: Option<i64>,
    errmsg: Option<String>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
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
                from_store: false,
            }),
        }
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

    pub(crate) fn cancelled() -> Error {
        Error::new(
            ErrorKind::Cancelled,
            "the task delivering the message stopped before sending it (its runtime shut down)",
        )
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
    }

    /// Whether the shared store's client made this error: the store is out of reach, failed,
    /// or refused the robot's credentials. Delivery sends nothing then, and leaves the
    /// message in the store for later.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn is_store_failure(&self) -> bool {
        self.inner.from_store || self.kind() == ErrorKind::StoreUnavailable
    }

    /// An error as another process saw it and recorded it (the process that delivered a
    /// message from a shared queue): the same kind, `errcode` and `errmsg`, and its message.
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
    /// within the wait it allows: nothing was sent, and DingTalk throttled nothing.
    pub(crate) fn limit_full(limit: &str, wait: Duration) -> Error {
        let within = if wait.is_zero() {
            "at once".to_owned()
        } else {
            format!("within {wait:?}")
        };
        Error::new(
            ErrorKind::RateLimited,
            format!(
                "the local rate limit ({limit}) is full: no place came free {within}, and nothing was sent to DingTalk"
            ),
        )
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

    /// Whether the same message may succeed if sent again later: timeouts, transport and
    /// server failures, and throttling (once the throttle is over). Everything else needs a
    /// change first: to the message, the configuration or the robot.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Timeout
                | ErrorKind::Transport
                | ErrorKind::Server
                | ErrorKind::RateLimited
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

    pub(crate) fn keyword_mismatch(keywords: &[String]) -> Error {
        Error::new(
            ErrorKind::KeywordMismatch,
            format!(
                "the message holds none of the robot's keywords ({}): DingTalk would refuse it",
                keywords.join(", ")
            ),
        )
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!("DingTalk did not answer within {after:?}"),
        )
    }

    /// Wraps a transport failure. The URL, which holds the access_token and the signature, is
    /// removed first.
    pub(crate) fn transport(error: reqwest::Error) -> Error {
        let mut e = Error::new(ErrorKind::Transport, "could not reach DingTalk");
        e.inner_mut().source = Some(Arc::new(error.without_url()));
        e
    }

    pub(crate) fn server(message: impl Into<Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::Server, message)
    }

    /// An HTTP status other than success: 5xx is DingTalk failing (retried), 408 a timeout,
    /// 429 a throttle, any other 4xx a refusal of this request (not retried).
    pub(crate) fn from_status(status: u16) -> Error {
        let message = format!("DingTalk answered HTTP {status}");
        match status {
            408 => Error::new(ErrorKind::Timeout, message),
            429 => Error::new(ErrorKind::RateLimited, message),
            400..=499 => Error::new(ErrorKind::Api, message),
            _ => Error::new(ErrorKind::Server, message),
        }
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
        e
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
        })
    }
}

impl ErrorKind {
    /// Every kind, in the order declared.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) const ALL: [ErrorKind; 19] = [
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
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
