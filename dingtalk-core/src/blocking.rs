//! A client for programs without an async runtime (feature `blocking`).
//!
//! [`Robot`] wraps the async [`crate::Robot`] with a runtime of its own (one background
//! thread), so it behaves the same: the same checks, queue, rate limit, retries and errors.
//! It is configured as the async one is: [`Robot::builder`] gives a [`RobotBuilder`] with the
//! same settings, and [`Robot::from_env`], [`Robot::from_env_prefixed`] and
//! [`Robot::from_lookup`] read the same variables.
//!
//! Its methods block the calling thread until they are done, on the thread that calls them:
//! a plain thread, `main`, or a [`tokio::task::spawn_blocking`] closure in an async program.
//! They panic when called from async code itself (inside a task or a `block_on`), as tokio
//! does for any runtime started there: use [`crate::Robot`] in async code.
//!
//! ```
//! # use dingtalk_core as dingtalk_bot;
//! use dingtalk_bot::{Payload, blocking};
//!
//! let robot = blocking::Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
//!     .secret("SECb3f1c2")
//!     .keywords(["backup"])
//!     .build()?;
//! robot.check(&Payload::text("backup finished"))?; // what send runs before the network
//! # if false {
//! robot.send(&Payload::text("backup finished"))?;  // blocks until delivered
//! # }
//! # Ok::<(), dingtalk_bot::Error>(())
//! ```

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::delivery::{Delivery, QueuePolicy, Receipt, RetryPolicy};
use crate::error::Error;
use crate::message::Message;
use crate::payload::Payload;
use crate::webhook::Webhook;

/// How long dropping the last clone of a blocking [`Robot`] waits for its queue to empty.
pub const DROP_FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// A blocking client of one custom robot. See [`crate::Robot`] for what it does, and the
/// [module](self) for where it may be called.
///
/// ```no_run
/// # use dingtalk_core as dingtalk_bot;
/// # fn run() -> Result<(), dingtalk_bot::Error> {
/// use dingtalk_bot::{Payload, blocking};
///
/// let robot = blocking::Robot::from_env()?; // DINGTALK_WEBHOOK, DINGTALK_SECRET, …
/// let receipt = robot.send(&Payload::text("backup finished"))?;
/// println!("delivered in {:?}", receipt.elapsed());
/// # Ok(()) }
/// ```
///
/// It is cheap to clone: clones share one robot and one runtime thread. Dropping the last
/// clone waits up to [`DROP_FLUSH_DEADLINE`] for queued messages (those of its
/// [fallback](RobotBuilder::fallback) too), wherever it is dropped; call
/// [`flush`](Robot::flush) to choose the deadline yourself.
#[derive(Clone, Debug)]
pub struct Robot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    // Dropped before the runtime, so that its worker can still be waited for.
    robot: Option<crate::Robot>,
    runtime: Option<tokio::runtime::Runtime>,
    /// Kept, runtime and all, as long as this robot may tell it of a failure.
    fallback: Option<Robot>,
}

/// Configures a blocking [`Robot`]: the settings of [`crate::RobotBuilder`], each described
/// there. Made by [`Robot::builder`].
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use std::time::Duration;
///
/// use dingtalk_bot::{QueuePolicy, blocking};
///
/// let ops = blocking::Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=ops")
///     .build()?;
/// let robot = blocking::Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
///     .secret("SECb3f1c2")
///     .timeout(Duration::from_secs(5))
///     .queue(100, QueuePolicy::Fail)
///     .share_limit_on_this_machine()
///     .fallback(ops) // told of every message that finally failed
///     .build()?;
/// # Ok::<(), dingtalk_bot::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RobotBuilder {
    inner: crate::RobotBuilder,
    fallback: Option<Robot>,
}

impl Robot {
    /// Starts configuring a robot with its webhook address, as [`crate::Robot::builder`].
    pub fn builder(webhook: impl Into<String>) -> RobotBuilder {
        RobotBuilder {
            inner: crate::Robot::builder(webhook),
            fallback: None,
        }
    }

    /// Builds the robot configured by an async `builder`, with a runtime thread of its own.
    /// [`Robot::builder`] does the same with the blocking builder.
    pub fn new(builder: crate::RobotBuilder) -> Result<Robot, Error> {
        Robot::with_fallback(builder, None)
    }

    fn with_fallback(
        builder: crate::RobotBuilder,
        fallback: Option<Robot>,
    ) -> Result<Robot, Error> {
        let robot = builder.build()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dingtalk-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot start a runtime: {e}")))?;
        Ok(Robot {
            inner: Arc::new(Inner {
                robot: Some(robot),
                runtime: Some(runtime),
                fallback,
            }),
        })
    }

    /// A robot configured from the environment (`DINGTALK_WEBHOOK`, `DINGTALK_SECRET`,
    /// `DINGTALK_KEYWORDS`), as [`crate::Robot::from_env`].
    pub fn from_env() -> Result<Robot, Error> {
        Robot::new(crate::RobotBuilder::from_lookup(|name| {
            std::env::var(name).ok()
        })?)
    }

    /// A robot configured from variables named with `prefix` (`OPS` reads
    /// `OPS_DINGTALK_WEBHOOK`, …), as [`crate::Robot::from_env_prefixed`].
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{ErrorKind, blocking};
    ///
    /// # // A name no environment sets.
    /// let e = blocking::Robot::from_env_prefixed("NO_SUCH_APP_7F3A").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    /// assert!(e.to_string().contains("NO_SUCH_APP_7F3A_DINGTALK_WEBHOOK is not set"));
    /// ```
    pub fn from_env_prefixed(prefix: &str) -> Result<Robot, Error> {
        Robot::new(crate::RobotBuilder::from_prefixed_lookup(prefix, |name| {
            std::env::var(name).ok()
        })?)
    }

    /// A robot configured by `lookup`, given each setting's name, as
    /// [`crate::Robot::from_lookup`].
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::blocking;
    ///
    /// let webhook = "https://oapi.dingtalk.com/robot/send?access_token=t";
    /// let robot = blocking::Robot::from_lookup(|name| match name {
    ///     "DINGTALK_WEBHOOK" => Some(webhook.to_owned()),
    ///     "DINGTALK_KEYWORDS" => Some("backup, 备份".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(robot.keywords(), ["backup", "备份"]);
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl FnMut(&str) -> Option<String>) -> Result<Robot, Error> {
        Robot::new(crate::RobotBuilder::from_lookup(lookup)?)
    }

    fn robot(&self) -> &crate::Robot {
        self.inner.robot.as_ref().expect("set until dropped")
    }

    /// Runs `future` on this thread, within the robot's runtime. Tokio panics here on a thread
    /// that drives async code: blocking it could stall what the future waits for (a sandbox
    /// served by the same thread, say) for good.
    fn block_on<T>(&self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        self.inner
            .runtime
            .as_ref()
            .expect("set until dropped")
            .block_on(future)
    }

    /// The webhook, whose `Display` hides the access_token.
    pub fn webhook(&self) -> &Webhook {
        self.robot().webhook()
    }

    /// The keywords every message must hold one of.
    pub fn keywords(&self) -> &[String] {
        self.robot().keywords()
    }

    /// The name this robot goes by in logs.
    pub fn name(&self) -> &str {
        self.robot().name()
    }

    /// Sends a message and waits until it is delivered or has finally failed; see
    /// [`crate::Robot::send`].
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn send<M: Message + ?Sized>(&self, message: &M) -> Result<Receipt, Error> {
        self.block_on(self.robot().send(message))
    }

    /// Checks a message and queues it; it is delivered in the background. See
    /// [`crate::Robot::post`].
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn post<M: Message + ?Sized>(&self, message: &M) -> Result<(), Error> {
        self.block_on(self.robot().post(message))
            .map(|_: Delivery| ())
    }

    /// Runs the checks of `send` and returns the body it would post; see
    /// [`crate::Robot::check`]. It does not block: it may be called anywhere.
    pub fn check<M: Message + ?Sized>(&self, message: &M) -> Result<String, Error> {
        self.robot().check(message)
    }

    /// Sends a message that is only worth sending by `within` from now, and waits until it is
    /// delivered, has finally failed or has expired unsent; see [`crate::Robot::send_within`].
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn send_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<Receipt, Error> {
        self.block_on(self.robot().send_within(message, within))
    }

    /// Checks a message and queues it to be sent by `within` from now or not at all; see
    /// [`crate::Robot::post_within`].
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn post_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<(), Error> {
        self.block_on(self.robot().post_within(message, within))
            .map(|_: Delivery| ())
    }

    /// Waits until every queued message is delivered or has finally failed, for at most
    /// `deadline`; see [`crate::Robot::flush`].
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn flush(&self, deadline: Duration) -> Result<(), Error> {
        self.block_on(self.robot().flush(deadline))
    }

    /// How many messages are queued or in flight.
    pub fn queued(&self) -> usize {
        self.robot().queued()
    }

    /// Closes this robot, as [`crate::Robot::close`]: drops this clone and, when it is the
    /// last, ends the robot's delivery gracefully (its backlog, and the notices it queued on
    /// its [fallback](RobotBuilder::fallback), delivered; a queue in Redis handed over to the
    /// fleet), waiting at most `deadline`, then stops its runtime thread.
    ///
    /// # Panics
    ///
    /// When called from async code (see the [module](self)).
    pub fn close(self, deadline: Duration) -> Result<(), Error> {
        let Some(mut inner) = Arc::into_inner(self.inner) else {
            return Ok(());
        };
        let robot = inner.robot.take().expect("set until dropped");
        let runtime = inner.runtime.take().expect("set until dropped");
        let fallback = inner.fallback.as_ref().map(|f| f.robot().clone());
        let closed = runtime.block_on(async {
            let started = Instant::now();
            robot.close(deadline).await?;
            match fallback {
                Some(fallback) => {
                    let left = deadline.saturating_sub(started.elapsed());
                    fallback.flush(left).await
                }
                None => Ok(()),
            }
        });
        runtime.shutdown_background();
        closed
    }
}

/// Forwards builder methods that take their arguments as they are to the async builder.
macro_rules! forward {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*);
    )*) => {$(
        $(#[$attr])*
        pub fn $name(self, $($arg: $ty),*) -> Self {
            RobotBuilder {
                inner: self.inner.$name($($arg),*),
                ..self
            }
        }
    )*};
}

impl RobotBuilder {
    forward! {
        /// Signs every request with the robot's secret: [`crate::RobotBuilder::secret`].
        fn secret(secret: impl Into<String>);
        /// Puts a keyword before every message: [`crate::RobotBuilder::prefix_keyword`].
        fn prefix_keyword(prefix: impl Into<String>);
        /// How long one request waits for an answer: [`crate::RobotBuilder::timeout`].
        fn timeout(timeout: Duration);
        /// A name for this robot in logs: [`crate::RobotBuilder::name`].
        fn name(name: impl Into<String>);
        /// At most `max` requests in any window of `per`: [`crate::RobotBuilder::rate_limit`].
        fn rate_limit(max: u32, per: Duration);
        /// No rate limit: [`crate::RobotBuilder::no_rate_limit`].
        fn no_rate_limit();
        /// Shares the limit with this machine's other processes:
        /// [`crate::RobotBuilder::share_limit_on_this_machine`].
        fn share_limit_on_this_machine();
        /// Shares the limit through the state directory `dir`:
        /// [`crate::RobotBuilder::state_dir`].
        fn state_dir(dir: impl Into<PathBuf>);
        /// How long a message waits for a place in the limit:
        /// [`crate::RobotBuilder::limit_wait`].
        fn limit_wait(wait: Duration);
        /// Keeps the limit, throttle and queue in Redis (feature `redis`):
        /// [`crate::RobotBuilder::redis`].
        #[cfg(feature = "redis")]
        #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
        fn redis(url: impl Into<String>);
        /// How long a silent deliverer keeps a robot in Redis (feature `redis`):
        /// [`crate::RobotBuilder::redis_takeover_after`].
        #[cfg(feature = "redis")]
        #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
        fn redis_takeover_after(after: Duration);
        /// How long every send holds after a throttle:
        /// [`crate::RobotBuilder::throttle_penalty`].
        fn throttle_penalty(penalty: Duration);
        /// A throttled message fails at once: [`crate::RobotBuilder::fail_when_throttled`].
        fn fail_when_throttled();
        /// How transient failures are retried: [`crate::RobotBuilder::retry`].
        fn retry(retry: RetryPolicy);
        /// The queue's capacity and what happens to one more message:
        /// [`crate::RobotBuilder::queue`].
        fn queue(capacity: usize, policy: QueuePolicy);
        /// Calls `hook` with every message that finally failed:
        /// [`crate::RobotBuilder::on_failure`].
        fn on_failure(hook: impl Fn(&Payload, &Error) + Send + Sync + 'static);
        /// Sends every request through the proxy at `url`: [`crate::RobotBuilder::proxy`].
        fn proxy(url: impl Into<String>);
    }

    /// The robot's keywords: [`crate::RobotBuilder::keywords`].
    pub fn keywords<I, S>(self, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RobotBuilder {
            inner: self.inner.keywords(keywords),
            ..self
        }
    }

    /// Tells another blocking robot of every message that finally failed:
    /// [`crate::RobotBuilder::fallback`]. This robot keeps `robot` (and its runtime thread)
    /// alive, and its drop waits for the notices it queued there too.
    pub fn fallback(self, robot: Robot) -> Self {
        RobotBuilder {
            inner: self.inner.fallback(robot.robot().clone()),
            fallback: Some(robot),
        }
    }

    /// Checks the configuration and makes the robot, with a runtime thread of its own.
    pub fn build(self) -> Result<Robot, Error> {
        Robot::with_fallback(self.inner, self.fallback)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Taken already by `close`.
        let (Some(robot), Some(runtime)) = (self.robot.take(), self.runtime.take()) else {
            return;
        };
        let fallback = self.fallback.as_ref().map(|f| f.robot().clone());
        let queued = |r: &crate::Robot| r.queued() > 0;
        if queued(&robot) || fallback.as_ref().is_some_and(queued) {
            // Waited for on a channel rather than with `block_on`, which would panic where
            // the robot is dropped inside async code (and a panic in a drop may abort).
            let (done, wait) = std::sync::mpsc::channel();
            let name = robot.name().to_owned();
            runtime.spawn(async move {
                let started = Instant::now();
                let mut flushed = robot.flush(DROP_FLUSH_DEADLINE).await;
                // The notices of the last failures go to the fallback's queue; its worker
                // may be running here, on the runtime about to stop.
                if let (Ok(()), Some(fallback)) = (&flushed, fallback) {
                    let left = DROP_FLUSH_DEADLINE.saturating_sub(started.elapsed());
                    flushed = fallback.flush(left).await;
                }
                drop(robot);
                let _ = done.send(flushed);
            });
            let flushed = wait
                .recv()
                .unwrap_or_else(|_| Err(Error::flush_timeout(0, DROP_FLUSH_DEADLINE)));
            if let Err(e) = flushed {
                tracing::warn!(robot = %name, error = %e, "dropped with messages undelivered");
            }
        } else {
            drop(robot);
        }
        // A runtime may not be dropped, blocking, inside another one.
        runtime.shutdown_background();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The names of the `pub fn`s in the `impl RobotBuilder` blocks of `source`, and with
    /// `forwarded`, of the methods `forward!` makes there (`fn name(…);`).
    fn builder_methods(source: &str, forwarded: bool) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut inside = false;
        for line in source.lines() {
            if line.starts_with("impl RobotBuilder {") {
                inside = true;
            } else if line == "}" {
                inside = false;
            } else if inside {
                let line = line.trim_start();
                let name = line
                    .strip_prefix("pub fn ")
                    .or_else(|| line.strip_prefix("fn ").filter(|_| forwarded))
                    .and_then(|rest| rest.split(['(', '<']).next());
                names.extend(name.map(str::to_owned));
            }
        }
        names
    }

    /// A setting added to the async builder and forgotten here fails this test.
    #[test]
    fn the_blocking_builder_has_every_setting_of_the_async_one() {
        let async_one = builder_methods(include_str!("robot.rs"), false);
        let blocking = builder_methods(include_str!("blocking.rs"), true);
        assert!(async_one.contains("secret") && async_one.contains("build"));
        assert_eq!(async_one, blocking);
    }
}
