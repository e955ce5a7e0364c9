//! A client for programs without an async runtime (feature `blocking`).
//!
//! [`Robot`] wraps the async [`crate::Robot`] with a runtime of its own (one background
//! thread), so it behaves the same: the same checks, queue, rate limit, retries and errors.

use std::sync::Arc;
use std::time::Duration;

use crate::delivery::{Delivery, Receipt};
use crate::error::Error;
use crate::message::Message;
use crate::robot::RobotBuilder;

/// How long dropping the last clone of a blocking [`Robot`] waits for its queue to empty.
pub const DROP_FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// A blocking client of one custom robot. See [`crate::Robot`] for what it does.
///
/// ```no_run
/// # fn run() -> Result<(), dingtalk_core::Error> {
/// use dingtalk_core::{Payload, blocking};
///
/// let robot = blocking::Robot::new(
///     dingtalk_core::Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=…")
///         .secret("SEC…"),
/// )?;
/// robot.send(&Payload::text("backup finished"))?;
/// # Ok(()) }
/// ```
///
/// Its methods block the calling thread: do not call them from async code (they return an
/// [`InvalidConfig`](crate::ErrorKind::InvalidConfig) error there). Dropping the last clone
/// waits up to [`DROP_FLUSH_DEADLINE`] for queued messages; call [`flush`](Robot::flush) to
/// choose the deadline yourself.
#[derive(Clone, Debug)]
pub struct Robot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    // Dropped before the runtime, so that its worker can still be waited for.
    robot: Option<crate::Robot>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Robot {
    /// Builds the robot configured by `builder`, with a runtime thread of its own.
    pub fn new(builder: RobotBuilder) -> Result<Robot, Error> {
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
            }),
        })
    }

    /// A robot configured from the environment; see [`crate::Robot::from_env`].
    pub fn from_env() -> Result<Robot, Error> {
        Robot::new(RobotBuilder::from_lookup(|name| std::env::var(name).ok())?)
    }

    fn robot(&self) -> &crate::Robot {
        self.inner.robot.as_ref().expect("set until dropped")
    }

    fn block_on<T>(&self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::invalid_config(
                "the blocking Robot was called from async code: use dingtalk_bot::Robot there",
            ));
        }
        self.inner
            .runtime
            .as_ref()
            .expect("set until dropped")
            .block_on(future)
    }

    /// Sends a message and waits until it is delivered or has finally failed; see
    /// [`crate::Robot::send`].
    pub fn send<M: Message + ?Sized>(&self, message: &M) -> Result<Receipt, Error> {
        self.block_on(self.robot().send(message))
    }

    /// Checks a message and queues it; it is delivered in the background. See
    /// [`crate::Robot::post`].
    pub fn post<M: Message + ?Sized>(&self, message: &M) -> Result<(), Error> {
        self.block_on(self.robot().post(message))
            .map(|_: Delivery| ())
    }

    /// Runs the checks of `send` and returns the body it would post; see
    /// [`crate::Robot::check`].
    pub fn check<M: Message + ?Sized>(&self, message: &M) -> Result<String, Error> {
        self.robot().check(message)
    }

    /// Waits until every queued message is delivered or has finally failed, for at most
    /// `deadline`; see [`crate::Robot::flush`].
    pub fn flush(&self, deadline: Duration) -> Result<(), Error> {
        self.block_on(self.robot().flush(deadline))
    }

    /// How many messages are queued or in flight.
    pub fn queued(&self) -> usize {
        self.robot().queued()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let robot = self.robot.take().expect("set until dropped");
        let runtime = self.runtime.take().expect("set until dropped");
        let in_async = tokio::runtime::Handle::try_current().is_ok();
        if robot.queued() > 0 {
            let flushed = if in_async {
                Err(Error::flush_timeout(robot.queued(), Duration::ZERO))
            } else {
                runtime.block_on(robot.flush(DROP_FLUSH_DEADLINE))
            };
            if let Err(e) = flushed {
                tracing::warn!(robot = %robot.name(), error = %e, "dropped with messages undelivered");
            }
        }
        drop(robot);
        // A runtime may not be dropped, blocking, inside another one.
        runtime.shutdown_background();
    }
}
