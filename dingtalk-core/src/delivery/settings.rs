//! How a robot delivers, beside where it sends: the queue's size and policy, retries, the
//! throttle penalty, and who hears of a message that finally failed.

use std::sync::Arc;
use std::time::Duration;

use crate::delivery::retry::RetryPolicy;
use crate::error::Error;
use crate::payload::Payload;

/// What a robot does when its queue is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueuePolicy {
    /// The sender waits for room, first come first served.
    #[default]
    Wait,
    /// The message is refused at once with [`ErrorKind::QueueFull`](crate::ErrorKind::QueueFull).
    Fail,
    /// The queued messages and the new one are merged into markdown summaries ("digests"),
    /// each within DingTalk's size limit, sent in place of the backlog.
    Digest,
}

/// Called with every message that finally failed, and why.
pub type FailureHook = Arc<dyn Fn(&Payload, &Error) + Send + Sync>;

/// Another queue told of every message that finally failed: a fallback robot (an operators'
/// group, say).
pub(crate) trait Fallback: Send + Sync {
    /// Queues `notice` without waiting for room or for its delivery. An error says it could
    /// not be queued (it fails the fallback's checks, or the fallback's queue is full).
    fn try_post(&self, notice: Payload) -> Result<(), Error>;

    /// A word the notice's title carries, so that a fallback that checks keywords takes it.
    fn keyword(&self) -> Option<&str>;
}

/// How a robot delivers.
#[derive(Clone)]
pub(crate) struct Policy {
    pub retry: RetryPolicy,
    pub throttle_penalty: Duration,
    /// Whether a message that meets a throttle waits for it to end (else it fails at once,
    /// and so does every send while the throttle holds).
    pub wait_through_throttle: bool,
    pub capacity: usize,
    pub queue: QueuePolicy,
    pub on_failure: Option<FailureHook>,
    pub fallback: Option<Arc<dyn Fallback>>,
}
