//! Several robots in one group, used as one sender: each message goes through the robot that
//! can send it soonest. Built on [`Robot`], and on nothing below it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::delivery::{Delivery, Receipt};
use crate::error::Error;
use crate::message::Message;
use crate::robot::Robot;

/// Several robots (webhooks) of one group used as one sender: each message goes to the robot
/// that can send it soonest, and each robot stays within its own rate limit. It is the way past
/// 20 messages a minute that DingTalk documents: add more robots to the group.
///
/// Each robot keeps its own order; messages sent through different robots may arrive out of
/// order.
///
/// ```no_run
/// # use dingtalk_core as dingtalk_bot;
/// # async fn run() -> Result<(), dingtalk_bot::Error> {
/// use dingtalk_bot::{Payload, Robot, Spread};
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
    /// places in its limit less its backlog (a robot without a limit has the most); ties go
    /// round in turn.
    fn pick(&self) -> &Robot {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.robots.len();
        let score = |r: &Robot| {
            let limiter = r.limiter();
            let available = i64::try_from(limiter.available()).unwrap_or(i64::MAX);
            let queued = i64::try_from(r.queued()).unwrap_or(i64::MAX);
            (!limiter.is_held(), available.saturating_sub(queued))
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

    /// Sends a message through the robot that can send it soonest, by `within` from now or
    /// not at all; see [`Robot::send_within`].
    pub async fn send_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<Receipt, Error> {
        self.pick().send_within(message, within).await
    }

    /// Queues a message on the robot that can send it soonest, to be sent by `within` from
    /// now or not at all; see [`Robot::post_within`].
    pub async fn post_within<M: Message + ?Sized>(
        &self,
        message: &M,
        within: Duration,
    ) -> Result<Delivery, Error> {
        self.pick().post_within(message, within).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::robot::RobotBuilder;

    /// A robot no test sends through; its token keeps its limiter its own.
    fn robot(token: &str, configure: impl FnOnce(RobotBuilder) -> RobotBuilder) -> Robot {
        let webhook = format!("https://oapi.dingtalk.com/robot/send?access_token=spread-{token}");
        configure(Robot::builder(webhook)).build().unwrap()
    }

    #[tokio::test]
    async fn a_robot_without_a_limit_is_the_best_choice_unless_throttled() {
        let limited = robot("limited", |b| b.rate_limit(20, Duration::from_secs(60)));
        let unlimited = robot("unlimited", RobotBuilder::no_rate_limit);
        assert_eq!(unlimited.limiter().available(), usize::MAX);
        let spread = Spread::new([limited.clone(), unlimited.clone()]).unwrap();
        for _ in 0..4 {
            // Whichever robot the turn starts with.
            assert_eq!(spread.pick().webhook(), unlimited.webhook());
        }
        // A throttle outweighs any number of free places.
        unlimited.limiter().hold(Duration::from_secs(60));
        for _ in 0..4 {
            assert_eq!(spread.pick().webhook(), limited.webhook());
        }
    }
}
