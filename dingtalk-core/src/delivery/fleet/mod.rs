//! A robot's queue and limits kept in Redis, shared by a fleet of processes (feature
//! `redis`, `RobotBuilder::redis`).
//!
//! [`RedisLimiter`] keeps the rate limit and the throttle; [`RedisOutbox`] the queue, and the
//! worker through which one process at a time delivers it. Both live in one [`Store`] per
//! Redis URL and process, under keys named by a hash of the robot's limit key ([`keys`]),
//! changed by the Lua scripts of [`scripts`], each one atomic step.

mod keys;
mod limiter;
mod outbox;
mod outcome;
mod scripts;
mod store;

pub(crate) use outbox::RedisOutbox;
pub(crate) use store::{Store, redacted as redacted_url};
