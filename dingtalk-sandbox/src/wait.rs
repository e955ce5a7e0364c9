//! Waiting for messages: [`Sandbox::wait_for`] and [`Sandbox::next_received`], woken by the
//! server each time it accepts a message (never by polling), and [`WaitError`], which says
//! what came instead of what was waited for.
//!
//! A wait's time limit is measured on the wall clock, not on tokio's: a test that pauses
//! tokio's clock sees it jump ahead whenever its runtime is idle, so a limit on that clock
//! would end at once while the robot waits out a rate limit, however short in real time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::{Exchange, Received, Sandbox};

impl Sandbox {
    /// Waits until the sandbox holds at least `n` accepted messages, then returns every
    /// message it holds (as [`received`](Sandbox::received) would: `n` or more, in order of
    /// arrival). Messages count from the sandbox's start or the last
    /// [`clear_received`](Sandbox::clear_received); a `msgUuid` delivered again is not counted
    /// twice.
    ///
    /// `timeout` is measured on the wall clock, so that it means the same in a test whose
    /// tokio clock is paused (where the robot lives through a minute of rate limit in
    /// milliseconds) as in any other. On timeout the [`WaitError`] holds the messages that did
    /// arrive and the latest requests the sandbox refused, and says so in its `Display`. It
    /// fails at once when `n` is more than the sandbox [remembers](crate::SandboxBuilder::history).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().start().await?;
    /// let robot = sandbox.robot_builder().build()?;
    /// drop(robot.post(&Payload::text("one")).await?); // queued: sent in the background
    /// drop(robot.post(&Payload::text("two")).await?);
    /// let received = sandbox.wait_for(2, Duration::from_secs(5)).await?;
    /// assert_eq!(received.len(), 2);
    /// assert_eq!(received[1].payload().content(), Some("two"));
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Received>, WaitError> {
        if n > self.history {
            return Err(WaitError {
                wanted: n,
                reason: Reason::BeyondHistory {
                    history: self.history,
                },
                received: self.received(),
                refused: Vec::new(),
            });
        }
        let mut accepted = self.endpoint.accepted.subscribe();
        // Started at the first wait: a wait that has its messages already needs no thread.
        let mut started = None;
        loop {
            // Marked seen before looking, so that a message accepted after the look wakes us.
            accepted.borrow_and_update();
            {
                let state = self.endpoint.state();
                if state.received.items.len() >= n {
                    return Ok(state.received.to_vec());
                }
            }
            let deadline = started.get_or_insert_with(|| WallClockDeadline::start(timeout));
            tokio::select! {
                // The sender lives as long as `self`: it cannot close while we wait.
                _ = accepted.changed() => {}
                () = deadline.reached() => {
                    let state = self.endpoint.state();
                    if state.received.items.len() >= n {
                        return Ok(state.received.to_vec());
                    }
                    return Err(WaitError {
                        wanted: n,
                        reason: Reason::Timeout { waited: timeout },
                        received: state.received.to_vec(),
                        refused: state.refusals.to_vec(),
                    });
                }
            }
        }
    }

    /// The next accepted message not yet taken: each message the sandbox accepts is returned
    /// by exactly one call, in order of arrival, whether it arrived before the call or after.
    /// The first call returns the first message the sandbox accepted; each later call, the
    /// one after the message the previous call returned. It waits for that message to arrive,
    /// as long as it takes, woken by its arrival.
    ///
    /// Messages the sandbox no longer holds (forgotten past its
    /// [history](crate::SandboxBuilder::history), or cleared with
    /// [`clear_received`](Sandbox::clear_received)) are skipped. It is cancel-safe: a call
    /// dropped before it returns (in `tokio::select!`, or by `tokio::time::timeout`) takes
    /// nothing. Note that `tokio::time::timeout` runs on tokio's clock, which a test may have
    /// paused; [`wait_for`](Sandbox::wait_for) waits on the wall clock.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().start().await?;
    /// let robot = sandbox.robot_builder().build()?;
    /// robot.send(&Payload::text("before")).await?; // arrived before the first call
    /// drop(robot.post(&Payload::text("after")).await?);
    /// assert_eq!(sandbox.next_received().await.payload().content(), Some("before"));
    /// assert_eq!(sandbox.next_received().await.payload().content(), Some("after"));
    /// # Ok(()) }
    /// ```
    pub async fn next_received(&self) -> Received {
        let mut accepted = self.endpoint.accepted.subscribe();
        loop {
            accepted.borrow_and_update();
            {
                let mut state = self.endpoint.state();
                let next = state.next_taken;
                let items = &state.received.items;
                // Held in order of `seq`: the first not yet taken.
                let found = items.get(items.partition_point(|r| r.seq < next)).cloned();
                if let Some(received) = found {
                    state.next_taken = received.seq + 1;
                    return received;
                }
            }
            let _ = accepted.changed().await;
        }
    }
}

/// Why [`Sandbox::wait_for`] returned without the messages it waited for. Its `Display` says
/// how many arrived and the latest requests the sandbox refused (with their `errcode` and
/// `errmsg`), which is usually the reason.
#[derive(Clone, Debug)]
pub struct WaitError {
    wanted: usize,
    reason: Reason,
    received: Vec<Received>,
    refused: Vec<Exchange>,
}

#[derive(Clone, Debug)]
enum Reason {
    Timeout { waited: Duration },
    BeyondHistory { history: usize },
}

impl WaitError {
    /// How many messages were waited for.
    pub fn wanted(&self) -> usize {
        self.wanted
    }

    /// Whether the time ran out (rather than the wait being impossible: more messages than
    /// the sandbox remembers).
    pub fn is_timeout(&self) -> bool {
        matches!(self.reason, Reason::Timeout { .. })
    }

    /// The messages the sandbox held when the wait ended.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// The latest robot requests (at most three) the sandbox refused, failed with a
    /// [fault](crate::Fault) or dropped since it started or its messages were last cleared,
    /// oldest first.
    pub fn refused(&self) -> &[Exchange] {
        &self.refused
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "message" } else { "messages" };
        match self.reason {
            Reason::BeyondHistory { history } => write!(
                f,
                "cannot wait for {} {}: the sandbox remembers only the latest {history} \
                 (see `SandboxBuilder::history`)",
                self.wanted,
                plural(self.wanted),
            ),
            Reason::Timeout { waited } => {
                write!(
                    f,
                    "waited {waited:?} for {} {}; the sandbox accepted {}",
                    self.wanted,
                    plural(self.wanted),
                    self.received.len(),
                )?;
                match self.refused.as_slice() {
                    [] => f.write_str(" and refused none"),
                    refused => {
                        f.write_str("; the latest it refused: ")?;
                        for (i, exchange) in refused.iter().rev().enumerate() {
                            if i > 0 {
                                f.write_str("; ")?;
                            }
                            write!(f, "`{exchange}`")?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

impl std::error::Error for WaitError {}

/// A deadline on the wall clock, kept by a thread of its own that sleeps until it (or until
/// the deadline is dropped, which wakes it to end).
struct WallClockDeadline {
    reached: Option<oneshot::Receiver<()>>,
    abandoned: Arc<AtomicBool>,
    thread: Option<std::thread::Thread>,
}

impl WallClockDeadline {
    fn start(timeout: Duration) -> WallClockDeadline {
        let (tell, reached) = oneshot::channel();
        let abandoned = Arc::new(AtomicBool::new(false));
        let end = Instant::now().checked_add(timeout);
        let watch = Arc::clone(&abandoned);
        let thread = std::thread::Builder::new()
            .name("dingtalk-sandbox-wait".to_owned())
            .spawn(move || {
                loop {
                    if watch.load(Ordering::Acquire) {
                        return;
                    }
                    match end.map(|end| end.saturating_duration_since(Instant::now())) {
                        Some(Duration::ZERO) => {
                            let _ = tell.send(());
                            return;
                        }
                        Some(left) => std::thread::park_timeout(left),
                        // Too far to count: never reached.
                        None => std::thread::park(),
                    }
                }
            });
        match thread {
            Ok(handle) => WallClockDeadline {
                reached: Some(reached),
                abandoned,
                thread: Some(handle.thread().clone()),
            },
            // No thread to be had: wait without a limit rather than fail the wait.
            Err(e) => {
                tracing::warn!(error = %e, "sandbox: no thread for a wait's deadline");
                WallClockDeadline {
                    reached: None,
                    abandoned,
                    thread: None,
                }
            }
        }
    }

    /// Completes once the deadline has passed.
    async fn reached(&mut self) {
        match &mut self.reached {
            Some(reached) => {
                if reached.await.is_err() {
                    // The thread is gone without telling: never reached.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

impl Drop for WallClockDeadline {
    fn drop(&mut self) {
        self.abandoned.store(true, Ordering::Release);
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }
}
