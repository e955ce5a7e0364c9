//! The rules of DingTalk's custom-robot endpoint, applied to one request.
//!
//! The checks run in this order, and the first that fails gives the answer:
//!
//! 1. the `access_token` is the robot's: else `300001 token is not exist`;
//! 2. the sender's IP is on the allowlist, when one is set: else `310000 ip … not in whitelist`;
//! 3. with a secret: `timestamp` and `sign` are present (else `310000 sign not match`), the
//!    timestamp is a number within the signature window of the sandbox's clock (else
//!    `310000 invalid timestamp`), and `sign`, percent-decoded once, is the signature (else
//!    `310000 sign not match`);
//! 4. the robot is within its rate limit: more than `max` messages in `window` throttles it
//!    for `penalty`, and every request in the meantime is answered `130101`;
//! 5. `Content-Type` is JSON: else `43004`;
//! 6. the body is at most 20,000 bytes: else `460101 message too long, exceed 20000 bytes`;
//! 7. the body is a JSON object with a known `msgtype` and that type's required fields filled:
//!    else `40035 缺少参数 <field>`, or `400105` for an unknown `msgtype`;
//! 8. a reader sees at least one keyword, when keywords are set: else
//!    `310000 keywords not in content`.
//!
//! DingTalk's own order of checks is not documented; this one puts who is sending before what
//! is sent, as an authenticating endpoint must. Every business error is HTTP 200.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dingtalk_core::Payload;
use dingtalk_core::spec::{self, MsgType, Violation, Wording, errcode, errmsg};
use tokio::time::Instant;

/// The settings of the robot a sandbox plays: its credentials, security settings and clock.
#[derive(Clone)]
pub(crate) struct RobotSettings {
    pub token: String,
    pub secret: Option<String>,
    pub keywords: Vec<String>,
    pub ip_allowlist: Option<Vec<ipnet::IpNet>>,
    pub signature_window: Duration,
    pub clock_offset_ms: i64,
    pub wording: Wording,
}

/// A refusal: DingTalk's `errcode` and `errmsg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub errcode: i64,
    pub errmsg: String,
}

impl Refusal {
    fn new(errcode: i64, errmsg: impl Into<String>) -> Refusal {
        Refusal {
            errcode,
            errmsg: errmsg.into(),
        }
    }
}

/// What the robot needs to know of one request.
pub(crate) struct Request<'a> {
    pub peer: IpAddr,
    pub query: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

impl std::fmt::Debug for RobotSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RobotSettings")
            .field("token", &"<redacted>")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("keywords", &self.keywords)
            .field("ip_allowlist", &self.ip_allowlist)
            .field("signature_window", &self.signature_window)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .field("wording", &self.wording)
            .finish()
    }
}

impl RobotSettings {
    fn now_ms(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        i64::try_from(now)
            .unwrap_or(i64::MAX)
            .saturating_add(self.clock_offset_ms)
    }

    /// Checks 1–3: who is sending.
    pub fn authenticate(&self, request: &Request<'_>) -> Result<(), Refusal> {
        let mut token = None;
        let mut timestamp = None;
        let mut sign = None;
        // The sign as sent, before decoding: it must have been percent-encoded.
        let raw_sign = request
            .query
            .split('&')
            .find_map(|pair| pair.strip_prefix("sign="));
        for (name, value) in url::form_urlencoded::parse(request.query.as_bytes()) {
            match &*name {
                "access_token" => token = Some(value),
                "timestamp" => timestamp = Some(value),
                "sign" => sign = Some(value),
                _ => {}
            }
        }
        if token.as_deref() != Some(self.token.as_str()) {
            return Err(Refusal::new(
                errcode::TOKEN_NOT_EXIST,
                errmsg::TOKEN_NOT_EXIST,
            ));
        }
        if let Some(allowed) = &self.ip_allowlist
            && !allowed.iter().any(|net| net.contains(&request.peer))
        {
            return Err(Refusal::new(
                errcode::SECURITY,
                errmsg::ip_not_in_whitelist(request.peer),
            ));
        }
        let Some(secret) = &self.secret else {
            return Ok(());
        };
        let sign_not_match = || {
            Refusal::new(
                errcode::SECURITY,
                self.wording
                    .pick(errmsg::SIGN_NOT_MATCH, errmsg::SIGN_NOT_MATCH_ZH),
            )
        };
        let (Some(timestamp), Some(sign)) = (timestamp, sign) else {
            return Err(sign_not_match());
        };
        let window_ms = u64::try_from(self.signature_window.as_millis()).unwrap_or(u64::MAX);
        let now_ms = self.now_ms();
        let ts = timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|ts| ts.abs_diff(now_ms) <= window_ms)
            .ok_or_else(|| {
                Refusal::new(
                    errcode::SECURITY,
                    self.wording
                        .pick(errmsg::INVALID_TIMESTAMP, errmsg::INVALID_TIMESTAMP_ZH),
                )
            })?;
        // Base64 holds `+`, `/` and `=`, which a sign encoded exactly once never shows: one not
        // encoded at all is refused even where decoding would happen to restore it.
        let encoded_once = raw_sign.is_some_and(|raw| !raw.contains(['+', '/', '=']));
        if encoded_once && dingtalk_core::verify(secret, ts, &sign) {
            Ok(())
        } else {
            Err(sign_not_match())
        }
    }

    /// Checks 5–8: what is sent. Returns the accepted message.
    pub fn read_message(&self, request: &Request<'_>) -> Result<Accepted, Refusal> {
        let is_json = request.content_type.is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json {
            return Err(Refusal::new(
                errcode::INVALID_CONTENT_TYPE,
                errmsg::INVALID_CONTENT_TYPE,
            ));
        }
        // DingTalk's rules of a body, in their order: the same check the client runs before
        // sending, so that one bad message gets one answer from both.
        let refuse = |violation: Violation| self.refusal(&violation);
        spec::check_size(request.body.len()).map_err(refuse)?;
        let accepted = read_body(request.body).map_err(refuse)?;
        accepted
            .payload
            .check(&self.keywords, request.body.len())
            .map_err(refuse)?;
        Ok(accepted)
    }

    /// DingTalk's answer to a body that breaks one of its rules.
    fn refusal(&self, violation: &Violation) -> Refusal {
        Refusal::new(violation.errcode(), violation.errmsg(self.wording))
    }
}

/// A body read as a message.
pub(crate) struct Accepted {
    pub payload: Payload,
    /// The body exactly as sent.
    pub raw: String,
    pub msg_uuid: Option<String>,
}

/// Reads a body as a message ([`spec::Rule::Readable`]): UTF-8 JSON, an object with a
/// `msgtype` of a known type and that type's object.
fn read_body(body: &[u8]) -> Result<Accepted, Violation> {
    let unreadable = |missing: &str| Violation::Unreadable {
        missing: missing.to_owned(),
    };
    let raw = std::str::from_utf8(body).map_err(|_| unreadable("json"))?;
    let json: serde_json::Value = serde_json::from_str(raw).map_err(|_| unreadable("json"))?;
    let Some(object) = json.as_object() else {
        return Err(unreadable("json"));
    };
    let msgtype = match object.get("msgtype").and_then(|m| m.as_str()) {
        None | Some("") => return Err(unreadable("msgtype")),
        Some(m) => m,
    };
    if MsgType::from_wire(msgtype).is_none() {
        return Err(Violation::UnknownType {
            msgtype: msgtype.to_owned(),
        });
    }
    if !object.get(msgtype).is_some_and(|body| body.is_object()) {
        return Err(unreadable(msgtype));
    }
    let payload = Payload::from_json(raw).map_err(|_| unreadable(msgtype))?;
    let msg_uuid = object
        .get("msgUuid")
        .and_then(|u| u.as_str())
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    Ok(Accepted {
        payload,
        raw: raw.to_owned(),
        msg_uuid,
    })
}

/// Check 4: at most `max` messages in any `window`; breaking it throttles for `penalty`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    max: u32,
    window: Duration,
    penalty: Duration,
    admitted: VecDeque<Instant>,
    throttled_until: Option<Instant>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration, penalty: Duration) -> RateLimiter {
        RateLimiter {
            max,
            window,
            penalty,
            admitted: VecDeque::new(),
            throttled_until: None,
        }
    }

    /// Admits one request at `now`, or refuses it with DingTalk's throttle answer.
    pub fn admit(&mut self, now: Instant) -> Result<(), Refusal> {
        let throttled = || Refusal::new(errcode::SEND_TOO_FAST, errmsg::SEND_TOO_FAST);
        if let Some(until) = self.throttled_until {
            if now < until {
                return Err(throttled());
            }
            self.throttled_until = None;
            self.admitted.clear();
        }
        while self
            .admitted
            .front()
            .is_some_and(|&t| now.duration_since(t) >= self.window)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() >= self.max as usize {
            // A penalty too long to add is one that never ends: about 30 years.
            let forever = Duration::from_secs(30 * 365 * 24 * 60 * 60);
            self.throttled_until = Some(
                now.checked_add(self.penalty)
                    .unwrap_or_else(|| now + forever),
            );
            return Err(throttled());
        }
        self.admitted.push_back(now);
        Ok(())
    }

    /// Whether the robot is throttled at `now`.
    pub fn is_throttled(&self, now: Instant) -> bool {
        self.throttled_until.is_some_and(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_twenty_first_message_in_a_minute_throttles_for_ten_minutes() {
        let mut limiter = RateLimiter::new(20, spec::RATE_LIMIT_WINDOW, spec::THROTTLE_PENALTY);
        let start = Instant::now();
        for i in 0..20 {
            tokio::time::advance(Duration::from_secs(2)).await;
            assert!(limiter.admit(Instant::now()).is_ok(), "message {i}");
        }
        // 20 in the last 40 s: the next one breaks the limit.
        let refusal = limiter.admit(Instant::now()).unwrap_err();
        assert_eq!(refusal.errcode, 130_101);
        assert!(limiter.is_throttled(Instant::now()));
        // Still throttled just before the penalty is over, though the window has long passed.
        tokio::time::advance(Duration::from_secs(10 * 60 - 1)).await;
        assert!(limiter.admit(Instant::now()).is_err());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(limiter.admit(Instant::now()).is_ok());
        assert!(Instant::now().duration_since(start) > Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_slides() {
        let mut limiter = RateLimiter::new(2, Duration::from_secs(60), Duration::from_secs(600));
        assert!(limiter.admit(Instant::now()).is_ok());
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(limiter.admit(Instant::now()).is_ok());
        // The first has left the window at 60 s, the second has not.
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(limiter.admit(Instant::now()).is_ok());
        assert!(limiter.admit(Instant::now()).is_err());
    }
}
