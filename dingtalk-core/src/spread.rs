//! Several robots in one group, used as one sender.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::delivery::Delivery;
use crate::error::Error;
use crate::message::Message;
use crate::robot::{Receipt, Robot};

/// Several robots (webhooks) of one group used as one sender: each message goes to the robot
/// that can send it soonest, and each robot stays within its own rate limit. It is the way past
/// 20 messages a minute that DingTalk documents: add more robots to the group.
///
/// Each robot keeps its own order; messages sent through different robots may arrive out of
/// order.
///
/// ```no_run
/// # async fn run() -> Result<(), dingtalk_core::Error> {
/// use dingtalk_core::{Payload, Robot, Spread};
///
/// let spread = Spread::new([
///     Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=a").build()?,
///     Robot::builder("https://oapi.dingtalk.com/robot/send?access_token=b").build()?,
/// ])?;
/// spread.send(&Payload::text("40 messages a minute, not 20")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Spread {
    robots: Arc<[Robot]>,
    next: Arc<AtomicUsize>,
}

impl Spread {
    /// Spreads messages over `robots` (at least one).
    pub fn new(robots: impl IntoIterator<Item = Robot>) -> Result<Spread, Error> {
        let robots: Arc<[Robot]> = robots.into_iter().collect();
        if robots.is_empty() {
            return Err(Error::invalid_config("a spread needs at least one robot"));
        }
        Ok(Spread {
            robots,
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The robots, in the order given.
    pub fn robots(&self) -> &[Robot] {
        &self.robots
    }

    /// The robot that can send soonest: one DingTalk does not throttle, with the most free
    /// places in its limit less its backlog; ties go round in turn.
    fn pick(&self) -> &Robot {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.robots.len();
        let score = |r: &Robot| {
            let free = r.available() as i64 - r.queued() as i64;
            if r.is_throttled() {
                free - (1 << 40)
            } else {
                free
            }
        };
        let mut best = &self.robots[start % n];
        for i in 1..n {
            let robot = &self.robots[(start + i) % n];
            if score(robot) > score(best) {
                best = robot;
            }
        }
        best
    }

    /// Sends a message through the robot that can send it soonest; see [`Robot::send`].
    pub async fn send<M: Message + ?Sized>(&self, message: &M) -> Result<Receipt, Error> {
        self.pick().send(message).await
    }

    /// Queues a message on the robot that can send it soonest; see [`Robot::post`].
    pub async fn post<M: Message + ?Sized>(&self, message: &M) -> Result<Delivery, Error> {
        self.pick().post(message).await
    }

    /// Waits until every robot's queue is empty, for at most `deadline` in all.
    pub async fn flush(&self, deadline: Duration) -> Result<(), Error> {
        let until = tokio::time::Instant::now() + deadline;
        for robot in self.robots.iter() {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            robot.flush(left).await?;
        }
        Ok(())
    }
}
