//! A faithful local DingTalk custom-robot endpoint, for tests and CI that cannot reach DingTalk.
//!
//! A [`Sandbox`] serves `POST /robot/send` on a loopback port and enforces every rule of the
//! real service with DingTalk's own `errcode`s and `errmsg`s: the access_token, the signature
//! (加签) and its one-hour window, the IP allowlist, keywords, the 20,000-byte body limit, the
//! required fields of each `msgtype`, and the rate limit of 20 messages a minute that throttles
//! a robot for 10 minutes (the order of the checks is in `rules.rs`). Limits and windows are
//! configurable so that tests can scale time down; the defaults are DingTalk's.
//!
//! It also records the messages it accepts ([`Sandbox::received`]) and the answers it gives
//! ([`Sandbox::exchanges`], [`Sandbox::subscribe`]), the latest [`DEFAULT_HISTORY`] of each
//! unless [configured](SandboxBuilder::history) otherwise, and can be told to fail the next
//! requests ([`Sandbox::fail_next`]). A test waits for messages with [`Sandbox::wait_for`] or
//! [`Sandbox::next_received`], woken as each arrives, and gets a robot configured for the
//! sandbox (webhook, secret, keywords and rate limit) from [`Sandbox::robot_builder`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! # use dingtalk_core as dingtalk_bot;
//! use dingtalk_bot::Payload;
//!
//! let sandbox = dingtalk_sandbox::Sandbox::builder()
//!     .secret("SECsandbox")
//!     .keywords(["deploy"])
//!     .start()
//!     .await?;
//! println!("send to {}", sandbox.webhook_url());
//! let robot = sandbox.robot_builder().build()?;
//! robot.send(&Payload::text("deploy finished")).await?;
//! let received = sandbox.wait_for(1, Duration::from_secs(5)).await?;
//! assert_eq!(received[0].payload().content(), Some("deploy finished"));
//! # Ok(()) }
//! ```
//!
//! Given an [app](SandboxBuilder::app), it also plays the app robot's OpenAPI at its base URL:
//! the access token (`POST /v1.0/oauth2/accessToken`) and the two send endpoints,
//! `oToMessages/batchSend` and `groupMessages/send`, with DingTalk's checks and answers
//! (`dingtalk_bot::spec::openapi` lists them); what they accepted is in [`Sandbox::app_messages`].
//!
//! The same endpoint runs as a program for clients in any language:
//! `cargo run -p dingtalk-sandbox -- --token T --secret SEC… --keyword K`. It also answers
//! `GET /_sandbox/messages` with the accepted messages as a JSON array (and `DELETE` clears
//! them). The program's command line is the default feature `cli`; tests that start sandboxes
//! in-process need only the library, without it:
//! `dingtalk-sandbox = { version = "0.1", default-features = false }`.

#![deny(missing_docs)]

mod endpoint;
mod openapi;
mod rules;
mod server;
mod wait;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dingtalk_core::{Robot, RobotBuilder, spec};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::endpoint::{Chaos, Endpoint, History, REFUSALS_KEPT, SeenUuids, State};
pub use crate::endpoint::{Exchange, Fault, Received};
pub use crate::openapi::AppMessage;
pub use crate::wait::WaitError;

/// The access_token a sandbox answers to unless given another.
pub const DEFAULT_TOKEN: &str = "sandbox-token";

/// How many accepted messages, answered requests and `msgUuid`s a sandbox remembers unless
/// [configured](SandboxBuilder::history) otherwise: the oldest are forgotten first, so that a
/// long-running sandbox holds bounded memory. A message is kept twice (its body as sent and
/// as read) and its answer once more, so at DingTalk's largest body, 20,000 bytes, the
/// history holds at most about 60 MB; typical messages of a kilobyte, a few megabytes.
///
/// **Chosen:** DingTalk does not say how long it remembers a `msgUuid` to deliver a message
/// once; the sandbox remembers the latest this many, far more than any retry needs.
pub const DEFAULT_HISTORY: usize = 1_000;

/// A running sandbox. It stops serving when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    token: String,
    history: usize,
    /// The rate limit and penalty it was built with, for [`Sandbox::robot_builder`].
    rate_max: u32,
    rate_window: Duration,
    penalty: Duration,
    endpoint: Arc<Endpoint>,
    server: JoinHandle<()>,
}

/// Configures a [`Sandbox`]. Made by [`Sandbox::builder`].
#[derive(Clone, Debug)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    robot: rules::RobotSettings,
    openapi: openapi::Settings,
    history: usize,
    rate_max: u32,
    rate_window: Duration,
    penalty: Duration,
}

impl Sandbox {
    /// Starts configuring a sandbox with DingTalk's defaults: token [`DEFAULT_TOKEN`], no
    /// secret, no keywords, 20 messages a minute, a 10-minute throttle.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            history: DEFAULT_HISTORY,
            robot: rules::RobotSettings {
                token: DEFAULT_TOKEN.to_owned(),
                secret: None,
                keywords: Vec::new(),
                ip_allowlist: None,
                signature_window: spec::SIGNATURE_WINDOW,
                clock_offset_ms: 0,
                wording: spec::Wording::Classic,
            },
            openapi: openapi::Settings::default(),
            rate_max: spec::RATE_LIMIT_MAX,
            rate_window: spec::RATE_LIMIT_WINDOW,
            penalty: spec::THROTTLE_PENALTY,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The robot's full webhook URL, access_token included. A sandbox listening on every
    /// interface (`0.0.0.0`, `::`) gives its loopback address.
    pub fn webhook_url(&self) -> String {
        format!(
            "{}{}?access_token={}",
            self.base_url(),
            spec::SEND_PATH,
            url::form_urlencoded::byte_serialize(self.token.as_bytes()).collect::<String>()
        )
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    }

    /// The messages accepted so far (the latest [`history`](SandboxBuilder::history) of them),
    /// in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        self.endpoint.state().received.to_vec()
    }

    /// The most messages accepted within any stretch of time shorter than `window`, among
    /// those it remembers: what a test of a rate limit asserts, since DingTalk counts every
    /// window, not only those that start at a round time.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use dingtalk_core as dingtalk_bot;
    /// use std::time::Duration;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().start().await?;
    /// let robot = sandbox.robot_builder().rate_limit(2, Duration::from_millis(200)).build()?;
    /// for i in 0..4 {
    ///     robot.send(&Payload::text(format!("m{i}"))).await?;
    /// }
    /// assert_eq!(sandbox.busiest_window(Duration::from_millis(200)), 2);
    /// # Ok(()) }
    /// ```
    pub fn busiest_window(&self, window: Duration) -> usize {
        let mut arrivals: Vec<SystemTime> =
            self.received().iter().map(Received::received_at).collect();
        arrivals.sort();
        let mut most = 0;
        let mut start = 0;
        for end in 0..arrivals.len() {
            while arrivals[end]
                .duration_since(arrivals[start])
                .unwrap_or_default()
                >= window
            {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        most
    }

    /// Forgets the messages accepted so far (and the refusals a [`WaitError`] would tell of).
    /// Messages not yet taken by [`next_received`](Sandbox::next_received) are skipped.
    pub fn clear_received(&self) {
        self.endpoint.state().clear_received();
    }

    /// The messages accepted through the OpenAPI's send endpoints (the latest
    /// [`history`](SandboxBuilder::history) of them), in order of arrival. Cleared with
    /// [`clear_received`](Sandbox::clear_received).
    pub fn app_messages(&self) -> Vec<AppMessage> {
        self.endpoint.state().app_messages.to_vec()
    }

    /// A [`RobotBuilder`] for this sandbox's robot: its webhook URL, secret and keywords, and
    /// a client-side rate limit and throttle penalty equal to the sandbox's (none when the
    /// sandbox has [none](SandboxBuilder::no_rate_limit)), so that a robot built from it
    /// behaves towards the sandbox as it would towards DingTalk. Change anything further on
    /// the builder before building it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().secret("SECtest").keywords(["deploy"]).start().await?;
    /// let robot = sandbox.robot_builder().build()?;
    /// robot.send(&Payload::text("deploy finished")).await?;
    /// assert_eq!(sandbox.received().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn robot_builder(&self) -> RobotBuilder {
        let settings = &self.endpoint.robot;
        let mut builder = Robot::builder(self.webhook_url())
            .keywords(settings.keywords.iter().cloned())
            .throttle_penalty(self.penalty);
        if let Some(secret) = &settings.secret {
            builder = builder.secret(secret.clone());
        }
        if self.rate_max == u32::MAX {
            builder.no_rate_limit()
        } else {
            builder.rate_limit(self.rate_max, self.rate_window)
        }
    }

    /// The requests answered so far (the latest [`history`](SandboxBuilder::history) of them),
    /// robot requests and others, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.endpoint.state().exchanges.to_vec()
    }

    /// A stream of every request answered from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Exchange> {
        self.endpoint.events.subscribe()
    }

    /// How many TCP connections clients have opened.
    pub fn connections(&self) -> usize {
        self.endpoint.connections.load(Ordering::Relaxed)
    }

    /// Whether the robot is throttled now for breaking the rate limit.
    pub fn is_throttled(&self) -> bool {
        self.endpoint
            .state()
            .limiter
            .is_throttled(tokio::time::Instant::now())
    }

    /// Plays `fault` instead of answering the next `n` robot requests (after the faults set
    /// up before).
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut state = self.endpoint.state();
        state.faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Plays `fault` instead of answering the next `n` OpenAPI requests (token and send,
    /// after the faults set up before): [`Fault::Refuse`] for DingTalk's refusals (a 500
    /// `unknownError`, say), or a status, a dropped connection or a delay. Robot (webhook)
    /// requests are failed with [`fail_next`](Sandbox::fail_next).
    pub fn fail_next_app(&self, n: usize, fault: Fault) {
        let mut state = self.endpoint.state();
        state.app_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// From now on, plays one of `faults` (chosen at random) on each robot request with
    /// `probability`, after any set up with [`fail_next`](Sandbox::fail_next). The choices
    /// follow from `seed`, so a failing run can be replayed. A probability of 0 stops it.
    pub fn fail_randomly(
        &self,
        probability: f64,
        faults: impl IntoIterator<Item = Fault>,
        seed: u64,
    ) {
        self.endpoint.state().chaos = Some(Chaos {
            rng: fastrand::Rng::with_seed(seed),
            probability,
            faults: faults.into_iter().collect(),
        });
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SandboxBuilder {
    /// The address to listen on (`127.0.0.1:0`, a free loopback port, unless set).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The robot's access_token ([`DEFAULT_TOKEN`] unless set).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.robot.token = token.into();
        self
    }

    /// Turns signing (加签) on with this secret: every request must be signed with it.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.robot.secret = Some(secret.into());
        self
    }

    /// Turns the keyword check on: a message must hold one of these (at most 10).
    pub fn keywords<I, S>(mut self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.robot
            .keywords
            .extend(keywords.into_iter().map(Into::into));
        self
    }

    /// Turns the IP allowlist on: only requests from these addresses or ranges
    /// (`IpAddr`s or [`ipnet::IpNet`]s such as `10.0.0.0/8`) are accepted.
    pub fn ip_allowlist<I, N>(mut self, allowed: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<ipnet::IpNet>,
    {
        self.robot.ip_allowlist = Some(allowed.into_iter().map(Into::into).collect());
        self
    }

    /// At most `max` messages in any `window` (20 a minute unless set).
    pub fn rate_limit(mut self, max: u32, window: Duration) -> Self {
        self.rate_max = max;
        self.rate_window = window;
        self
    }

    /// No rate limit: for load tests and benchmarks.
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_max = u32::MAX;
        self
    }

    /// How long a robot that broke the rate limit stays throttled (10 minutes unless set).
    pub fn penalty(mut self, penalty: Duration) -> Self {
        self.penalty = penalty;
        self
    }

    /// How far a signature's timestamp may be from the sandbox's clock (an hour unless set).
    pub fn signature_window(mut self, window: Duration) -> Self {
        self.robot.signature_window = window;
        self
    }

    /// Sets the sandbox's clock this many milliseconds ahead of the system's (behind when
    /// negative), to play a client whose clock is off.
    pub fn clock_offset_ms(mut self, offset_ms: i64) -> Self {
        self.robot.clock_offset_ms = offset_ms;
        self
    }

    /// Answers in the structured Chinese `errmsg` wording DingTalk has used since about 2023
    /// (`description:机器人发送签名不匹配;…`) instead of the classic English one.
    pub fn structured_errmsgs(mut self, structured: bool) -> Self {
        self.robot.wording = if structured {
            spec::Wording::Structured
        } else {
            spec::Wording::Classic
        };
        self
    }

    /// How many accepted messages, answered requests and delivered `msgUuid`s the sandbox
    /// remembers ([`DEFAULT_HISTORY`] unless set); the oldest are forgotten first. A `msgUuid`
    /// forgotten is no longer recognised as a repeat.
    pub fn history(mut self, limit: usize) -> Self {
        self.history = limit;
        self
    }

    /// Plays an app robot on the OpenAPI at [`base_url`](Sandbox::base_url): the app's
    /// credentials (`clientId`/AppKey, `clientSecret`/AppSecret) get access tokens from
    /// `POST /v1.0/oauth2/accessToken`, with which `robot_code` sends through
    /// `oToMessages/batchSend` and `groupMessages/send`. Call again for several apps.
    pub fn app(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        robot_code: impl Into<String>,
    ) -> Self {
        self.openapi.apps.push(openapi::App {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            robot_code: robot_code.into(),
        });
        self
    }

    /// How long an access token lives (DingTalk's 2 hours unless set).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.openapi.token_lifetime = lifetime;
        self
    }

    /// A user of the organization (a userId, `senderStaffId`) that `batchSend` reaches; others
    /// are answered in `invalidStaffIdList`. With no user given, every userId is known.
    pub fn user(mut self, user_id: impl Into<String>) -> Self {
        self.openapi.users.insert(user_id.into());
        self
    }

    /// A group (its `openConversationId`) the robot is in; `groupMessages/send` to another is
    /// refused with `invalid.openConversationId`. With no group given, every group is known.
    pub fn group(mut self, open_conversation_id: impl Into<String>) -> Self {
        self.openapi.groups.insert(open_conversation_id.into());
        self
    }

    /// At most `max` calls by one app to one OpenAPI send endpoint in any `window`
    /// (20 a second unless set); past it the call is refused with
    /// `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`.
    pub fn app_rate_limit(mut self, max: u32, window: Duration) -> Self {
        self.openapi.qps_max = max;
        self.openapi.qps_window = window;
        self
    }

    /// Per-user flow control on `batchSend`: a user who got `max` messages in the last
    /// `window` is answered in `flowControlledStaffIdList` and does not get the message (off
    /// unless set).
    pub fn user_flow_control(mut self, max: u32, window: Duration) -> Self {
        self.openapi.user_flow = Some((max, window));
        self
    }

    /// Binds the address and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        if self.robot.keywords.len() > spec::MAX_KEYWORDS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("a robot has at most {} keywords", spec::MAX_KEYWORDS),
            ));
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let token = self.robot.token.clone();
        let history = self.history;
        let endpoint = Arc::new(Endpoint {
            robot: self.robot,
            openapi: self.openapi,
            state: Mutex::new(State {
                limiter: rules::RateLimiter::new(self.rate_max, self.rate_window, self.penalty),
                faults: VecDeque::new(),
                app_faults: VecDeque::new(),
                received: History::new(self.history),
                exchanges: History::new(self.history),
                msg_uuids: SeenUuids::new(self.history),
                chaos: None,
                accepted: 0,
                next_taken: 0,
                refusals: History::new(REFUSALS_KEPT),
                openapi: Default::default(),
                app_messages: History::new(self.history),
            }),
            connections: AtomicUsize::new(0),
            events: broadcast::channel(1024).0,
            accepted: watch::channel(0).0,
        });
        let server = tokio::spawn(server::serve(listener, Arc::clone(&endpoint)));
        Ok(Sandbox {
            addr,
            token,
            history,
            rate_max: self.rate_max,
            rate_window: self.rate_window,
            penalty: self.penalty,
            endpoint,
            server,
        })
    }
}
