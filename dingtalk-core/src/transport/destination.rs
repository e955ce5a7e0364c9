//! Where a message goes: what it must be to be accepted there, the request for one attempt,
//! and what an answer means.

use std::future::Future;

use reqwest::StatusCode;

use crate::checked::Checked;
use crate::error::Error;
use crate::payload::Payload;

/// Where messages go, and DingTalk's ways there: a custom robot's webhook ([`CustomRobot`]);
/// to come, a session webhook's reply URL, the app robot's OpenAPI with its access token.
///
/// Delivery is generic over it: it checks each message once ([`check`](Destination::check)),
/// then for each attempt asks for a request ([`request`](Destination::request)), sends it
/// through the transport, and has the answer read ([`classify`](Destination::classify)). The
/// kind of a refusal decides what delivery does next: [`RateLimited`] holds every send to the
/// destination, [`TimestampExpired`] is signed afresh once, the transient kinds are retried.
///
/// [`CustomRobot`]: super::CustomRobot
/// [`RateLimited`]: crate::ErrorKind::RateLimited
/// [`TimestampExpired`]: crate::ErrorKind::TimestampExpired
pub(crate) trait Destination: Send + Sync + 'static {
    /// The name it goes by in logs: never a token or a secret.
    fn name(&self) -> &str;

    /// The key its limits are shared under: every sender with the same key (in the process, or
    /// beyond it through a shared limiter) counts against one limit and one throttle. It may
    /// hold a token: it is never logged.
    fn limit_key(&self) -> &str;

    /// Checks a message against what this destination accepts, and makes its body once.
    fn check(&self, payload: Payload) -> Result<Checked, Error>;

    /// The request for one attempt of `body` (a checked body with its `msgUuid`). Called afresh
    /// for every attempt, so that what expires (a signature, an access token) is made anew.
    fn request(&self, body: &str) -> impl Future<Output = Result<reqwest::Request, Error>> + Send;

    /// What the answer to one request means: accepted, or why not.
    fn classify(&self, status: StatusCode, body: &[u8]) -> Result<Accepted, Error>;
}

/// A destination's word that it took a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// What it said (DingTalk's `errmsg`, `"ok"`).
    pub errmsg: String,
}
