//! The async client of one custom robot.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::error::Error;
use crate::message::Message;
use crate::payload::Payload;
use crate::sign::Secret;
use crate::spec;
use crate::webhook::Webhook;

/// How long [`Robot::send`] waits for DingTalk's answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client of one custom robot.
///
/// `Robot` is cheap to clone: clones share one connection pool and reuse keep-alive
/// connections. Every request is signed with a fresh timestamp when a secret is set.
///
/// ```no_run
/// # async fn run() -> Result<(), dingtalk_core::Error> {
/// use dingtalk_core::{Payload, Robot};
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
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    webhook: Webhook,
    secret: Option<Secret>,
    keywords: Vec<String>,
    timeout: Duration,
    name: String,
}

/// Configures a [`Robot`]. Made by [`Robot::builder`].
#[derive(Clone)]
pub struct RobotBuilder {
    webhook: String,
    secret: Option<String>,
    keywords: Vec<String>,
    timeout: Duration,
    name: Option<String>,
}

/// DingTalk's confirmation that it accepted a message.
#[derive(Clone, Debug)]
pub struct Receipt {
    errmsg: String,
    elapsed: Duration,
}

impl Receipt {
    /// DingTalk's `errmsg` (`"ok"`).
    pub fn errmsg(&self) -> &str {
        &self.errmsg
    }

    /// How long the request took, from sending to DingTalk's answer.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

impl Robot {
    /// Starts configuring a robot with its webhook address.
    pub fn builder(webhook: impl Into<String>) -> RobotBuilder {
        RobotBuilder {
            webhook: webhook.into(),
            secret: None,
            keywords: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            name: None,
        }
    }

    /// A robot configured from the environment: `DINGTALK_WEBHOOK` (required),
    /// `DINGTALK_SECRET` and `DINGTALK_KEYWORDS` (comma-separated), where set and not empty.
    pub fn from_env() -> Result<Robot, Error> {
        RobotBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
    }

    /// The webhook, whose `Display` hides the access_token.
    pub fn webhook(&self) -> &Webhook {
        &self.inner.webhook
    }

    /// The keywords every message must hold one of.
    pub fn keywords(&self) -> &[String] {
        &self.inner.keywords
    }

    /// Runs every check that [`send`](Robot::send) runs before it touches the network, and
    /// returns the exact body it would post.
    ///
    /// The checks: every required field is filled ([`ErrorKind::InvalidMessage`]), a reader
    /// sees at least one of the configured keywords ([`ErrorKind::KeywordMismatch`]), and the
    /// body is at most 20,000 bytes ([`ErrorKind::PayloadTooLarge`]).
    ///
    /// [`ErrorKind::InvalidMessage`]: crate::ErrorKind::InvalidMessage
    /// [`ErrorKind::KeywordMismatch`]: crate::ErrorKind::KeywordMismatch
    /// [`ErrorKind::PayloadTooLarge`]: crate::ErrorKind::PayloadTooLarge
    pub fn check<M: Message + ?Sized>(&self, message: &M) -> Result<String, Error> {
        self.prepare(&message.to_payload())
    }

    fn prepare(&self, payload: &Payload) -> Result<String, Error> {
        if let Some(field) = payload.missing_field() {
            return Err(Error::invalid_message(format!(
                "the message's `{field}` is empty, and DingTalk requires it"
            )));
        }
        if !payload.contains_keyword(&self.inner.keywords) {
            return Err(Error::keyword_mismatch(&self.inner.keywords));
        }
        let body = payload.to_json();
        if body.len() > spec::MAX_BODY_BYTES {
            return Err(Error::payload_too_large(body.len()));
        }
        Ok(body)
    }

    /// Sends a message, and returns DingTalk's receipt or why it was not delivered.
    ///
    /// The message is checked first (see [`check`](Robot::check)); a message that fails a
    /// check is not sent. An answer with a non-zero `errcode` is an error, whatever its HTTP
    /// status.
    pub async fn send<M: Message + ?Sized>(&self, message: &M) -> Result<Receipt, Error> {
        let payload = message.to_payload();
        let span = tracing::debug_span!(
            "dingtalk.send",
            robot = %self.inner.name,
            msgtype = payload.msgtype(),
        );
        async {
            let body = self.prepare(&payload).inspect_err(|e| {
                tracing::debug!(error = %e, kind = ?e.kind(), "message refused before sending");
            })?;
            let bytes = body.len();
            let result = self.post(body).await;
            match &result {
                Ok(receipt) => tracing::debug!(
                    bytes,
                    elapsed_ms = receipt.elapsed.as_millis() as u64,
                    "delivered"
                ),
                Err(e) => tracing::debug!(
                    bytes,
                    errcode = e.errcode(),
                    kind = ?e.kind(),
                    error = %e,
                    "not delivered"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn post(&self, body: String) -> Result<Receipt, Error> {
        let inner = &*self.inner;
        let url = match &inner.secret {
            Some(secret) => secret.sign_url(inner.webhook.expose(), unix_millis()),
            None => inner.webhook.expose().clone(),
        };
        let started = Instant::now();
        let response = inner
            .http
            .post(url)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )
            .body(body)
            .timeout(inner.timeout)
            .send()
            .await
            .map_err(|e| self.request_error(e))?;
        let status = response.status();
        let answer = response.bytes().await.map_err(|e| self.request_error(e))?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            return Err(Error::server(format!("DingTalk answered HTTP {status}")));
        }
        let answer: Answer = serde_json::from_slice(&answer).map_err(|e| {
            Error::server(format!(
                "DingTalk's answer is not its JSON `{{errcode, errmsg}}`: {e}"
            ))
        })?;
        match answer.errcode {
            spec::errcode::OK => Ok(Receipt {
                errmsg: answer.errmsg,
                elapsed,
            }),
            code => Err(Error::from_answer(code, answer.errmsg)),
        }
    }

    fn request_error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::timeout(self.inner.timeout)
        } else {
            Error::transport(e)
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

fn unix_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

impl RobotBuilder {
    /// A builder from the environment, read through `lookup`.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<RobotBuilder, Error> {
        let set = |name| lookup(name).filter(|v| !v.trim().is_empty());
        let webhook = set("DINGTALK_WEBHOOK")
            .ok_or_else(|| Error::invalid_config("DINGTALK_WEBHOOK is not set"))?;
        let mut builder = Robot::builder(webhook);
        if let Some(secret) = set("DINGTALK_SECRET") {
            builder = builder.secret(secret);
        }
        if let Some(keywords) = set("DINGTALK_KEYWORDS") {
            builder = builder.keywords(keywords.split([',', '，']).map(str::trim));
        }
        Ok(builder)
    }

    /// Signs every request with the robot's secret (the `SEC…` string of its security
    /// settings).
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// The robot's keywords (at most 10): a message that holds none of them is refused before
    /// it is sent, as DingTalk would refuse it. Empty entries are ignored.
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

    /// How long to wait for DingTalk's answer (10 seconds unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A name for this robot in logs (the webhook's host unless set).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
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
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.timeout)
            .user_agent(concat!("dingtalk-rs/", env!("CARGO_PKG_VERSION")));
        if webhook.is_loopback() {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot set up HTTP: {e}")))?;
        let name = self.name.unwrap_or_else(|| webhook.host().to_owned());
        Ok(Robot {
            inner: Arc::new(Inner {
                http,
                webhook,
                secret,
                keywords,
                timeout: self.timeout,
                name,
            }),
        })
    }
}

impl fmt::Debug for Robot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Robot")
            .field("name", &inner.name)
            .field("webhook", &inner.webhook)
            .field("secret", &inner.secret)
            .field("keywords", &inner.keywords)
            .field("timeout", &inner.timeout)
            .finish()
    }
}

impl fmt::Debug for RobotBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let webhook = Webhook::parse(&self.webhook)
            .map(|w| w.to_string())
            .unwrap_or_else(|_| "<unparsed>".to_owned());
        f.debug_struct("RobotBuilder")
            .field("webhook", &webhook)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("keywords", &self.keywords)
            .field("timeout", &self.timeout)
            .field("name", &self.name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ErrorKind;

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
        assert!(robot.inner.secret.is_some());

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
    fn debug_output_hides_secrets() {
        let builder = Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=tok3n")
            .secret("SECs3cr3t");
        let shown = format!("{builder:?} {:?}", builder.clone().build().unwrap());
        assert!(!shown.contains("tok3n"), "{shown}");
        assert!(!shown.contains("SECs3cr3t"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
