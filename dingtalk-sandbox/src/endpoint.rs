//! What a sandbox is and remembers: the robot it plays, the messages it accepted and the
//! answers it gave (bounded), the faults it will play. Shared by the [`Sandbox`](crate::Sandbox)
//! handle and the server tasks.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use dingtalk_core::Payload;
use tokio::sync::{broadcast, watch};

use crate::openapi::{self, AppMessage};
use crate::rules::{RateLimiter, RobotSettings};

/// A message the sandbox accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub(crate) payload: Payload,
    pub(crate) raw: String,
    pub(crate) msg_uuid: Option<String>,
    pub(crate) at: SystemTime,
    /// Its place among every message the sandbox accepted, from 0: what
    /// [`Sandbox::next_received`](crate::Sandbox::next_received) counts by.
    pub(crate) seq: u64,
}

impl Received {
    /// The message, as this crate reads it.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The body exactly as it was sent.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        // Read again rather than kept: the body was read as JSON when it arrived.
        serde_json::from_str(&self.raw).unwrap_or_default()
    }

    /// Its `msgUuid`, if the sender gave one.
    pub fn msg_uuid(&self) -> Option<&str> {
        self.msg_uuid.as_deref()
    }

    /// When it arrived.
    pub fn received_at(&self) -> SystemTime {
        self.at
    }
}

/// A failure the sandbox plays instead of answering, set up with
/// [`Sandbox::fail_next`](crate::Sandbox::fail_next).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answers with this HTTP status (a 5xx, say) and a short plain-text body. A number that
    /// is not an HTTP status (outside 100–999) is answered as 500.
    Status(u16),
    /// Reads the request, then closes the connection without an answer.
    Drop,
    /// Handles the request as usual (accepting the message, if it passes), then waits this
    /// long before answering: a client that gives up sooner has lost the answer, not the
    /// message.
    Delay(Duration),
    /// Answers HTTP 200 with this `errcode` and `errmsg`, accepting nothing.
    Answer {
        /// DingTalk's error code.
        errcode: i64,
        /// DingTalk's error message.
        errmsg: String,
    },
    /// Answers this HTTP status with an OpenAPI error body, `{"code","requestid","message"}`,
    /// accepting nothing: for OpenAPI requests ([`Sandbox::fail_next_app`]); a webhook request
    /// is answered the same way. A number that is not an HTTP status is answered as 500.
    ///
    /// [`Sandbox::fail_next_app`]: crate::Sandbox::fail_next_app
    Refuse {
        /// The HTTP status.
        status: u16,
        /// The `code`, such as `unknownError`.
        code: String,
        /// The `message`.
        message: String,
    },
}

impl Fault {
    /// [`Fault::Refuse`] with this status, `code` and `message`.
    pub fn refuse(status: u16, code: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault::Refuse {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// [`Fault::Answer`] with this `errcode` and `errmsg`.
    pub fn answer(errcode: i64, errmsg: impl Into<String>) -> Fault {
        Fault::Answer {
            errcode,
            errmsg: errmsg.into(),
        }
    }
}

/// One request the sandbox answered, and how.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Exchange {
    /// The HTTP method.
    pub method: String,
    /// The path, without the query (which holds the access_token).
    pub path: String,
    /// The HTTP status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The `errcode` answered, for robot requests.
    pub errcode: Option<i64>,
    /// The `errmsg` answered, for robot requests; the `message`, for OpenAPI refusals.
    pub errmsg: Option<String>,
    /// The accepted message, when there is one.
    pub payload: Option<Payload>,
    /// The fault played, when one was.
    pub fault: Option<Fault>,
    /// Whether the message's `msgUuid` had been delivered already: acknowledged, not posted.
    pub duplicate: bool,
    /// The `code` answered, for OpenAPI requests refused.
    pub code: Option<String>,
}

impl Exchange {
    /// A robot request that posted nothing: refused, failed by a fault, or dropped.
    pub(crate) fn is_refused_robot_request(&self) -> bool {
        self.method == "POST"
            && self.path == dingtalk_core::spec::SEND_PATH
            && (self.status != Some(200) || self.errcode != Some(dingtalk_core::spec::errcode::OK))
    }
}

impl std::fmt::Display for Exchange {
    /// One line: `POST /robot/send 200 errcode=0 ok markdown`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        match self.status {
            Some(status) => write!(f, " {status}")?,
            None => f.write_str(" dropped")?,
        }
        if let Some(code) = self.errcode {
            write!(f, " errcode={code}")?;
        }
        if let Some(msg) = &self.errmsg {
            write!(f, " {msg}")?;
        }
        if let Some(payload) = &self.payload {
            write!(f, " msgtype={}", payload.msgtype())?;
        }
        if let Some(code) = &self.code {
            write!(f, " code={code}")?;
        }
        if self.duplicate {
            f.write_str(" (duplicate msgUuid: not posted again)")?;
        }
        if let Some(fault) = &self.fault {
            write!(f, " (fault: {fault:?})")?;
        }
        Ok(())
    }
}

/// What the sandbox's handle and its server share: the robot it plays, what it remembers, and
/// the stream of answers.
pub(crate) struct Endpoint {
    pub(crate) robot: RobotSettings,
    pub(crate) openapi: openapi::Settings,
    pub(crate) state: Mutex<State>,
    pub(crate) connections: AtomicUsize,
    pub(crate) events: broadcast::Sender<Exchange>,
    /// How many messages have been accepted, changed after each: what waiters wait on.
    pub(crate) accepted: watch::Sender<u64>,
}

pub(crate) struct State {
    pub(crate) limiter: RateLimiter,
    pub(crate) faults: VecDeque<Fault>,
    /// The faults to play on the next OpenAPI requests.
    pub(crate) app_faults: VecDeque<Fault>,
    pub(crate) received: History<Received>,
    pub(crate) exchanges: History<Exchange>,
    pub(crate) msg_uuids: SeenUuids,
    pub(crate) chaos: Option<Chaos>,
    /// How many messages have been accepted: the next one's `seq`.
    pub(crate) accepted: u64,
    /// The `seq` of the next message [`Sandbox::next_received`](crate::Sandbox::next_received)
    /// may take.
    pub(crate) next_taken: u64,
    /// The latest robot requests refused since the messages were last cleared, to say why a
    /// wait came to nothing.
    pub(crate) refusals: History<Exchange>,
    pub(crate) openapi: openapi::State,
    /// The messages accepted through the OpenAPI.
    pub(crate) app_messages: History<AppMessage>,
}

/// How many refused requests a sandbox keeps to explain a wait that timed out.
pub(crate) const REFUSALS_KEPT: usize = 3;

/// The latest `limit` items, oldest first.
pub(crate) struct History<T> {
    pub(crate) items: VecDeque<T>,
    limit: usize,
}

impl<T: Clone> History<T> {
    pub(crate) fn new(limit: usize) -> Self {
        History {
            items: VecDeque::new(),
            limit,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.items.len() == self.limit {
            self.items.pop_front();
        }
        if self.limit > 0 {
            self.items.push_back(item);
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
}

/// The latest `limit` `msgUuid`s delivered, to acknowledge a repeat without posting it again.
pub(crate) struct SeenUuids {
    set: HashSet<String>,
    order: VecDeque<String>,
    limit: usize,
}

impl SeenUuids {
    pub(crate) fn new(limit: usize) -> Self {
        SeenUuids {
            set: HashSet::new(),
            order: VecDeque::new(),
            limit,
        }
    }

    /// Remembers `uuid`; whether it was new.
    pub(crate) fn insert(&mut self, uuid: &str) -> bool {
        if self.set.contains(uuid) {
            return false;
        }
        if self.order.len() == self.limit
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        if self.limit > 0 {
            self.set.insert(uuid.to_owned());
            self.order.push_back(uuid.to_owned());
        }
        true
    }
}

/// Faults played at random, set up with [`Sandbox::fail_randomly`](crate::Sandbox::fail_randomly).
pub(crate) struct Chaos {
    pub(crate) rng: fastrand::Rng,
    pub(crate) probability: f64,
    pub(crate) faults: Vec<Fault>,
}

impl State {
    /// Records an accepted message. Tell the waiters afterwards, with
    /// [`Endpoint::announce_accepted`], once the lock is released.
    pub(crate) fn accept(&mut self, mut received: Received) {
        received.seq = self.accepted;
        self.accepted += 1;
        self.received.push(received);
    }

    /// Forgets the messages accepted so far, and the refusals that came with them.
    pub(crate) fn clear_received(&mut self) {
        self.received.items.clear();
        self.refusals.items.clear();
        self.app_messages.items.clear();
    }

    /// The fault to play on the next robot request: the next one set up, else one by chance.
    pub(crate) fn next_fault(&mut self) -> Option<Fault> {
        if let Some(fault) = self.faults.pop_front() {
            return Some(fault);
        }
        let chaos = self.chaos.as_mut()?;
        if chaos.faults.is_empty() || chaos.rng.f64() >= chaos.probability {
            return None;
        }
        let i = chaos.rng.usize(..chaos.faults.len());
        Some(chaos.faults[i].clone())
    }
}

impl Endpoint {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while the lock was held leaves the records consistent enough to
        // read: every update is a single push or pop.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes whoever waits for messages: `accepted` have been accepted so far.
    pub(crate) fn announce_accepted(&self, accepted: u64) {
        self.accepted.send_replace(accepted);
    }
}
