//! The transport: one HTTP attempt at a destination, and where messages go.
//!
//! [`Transport`] sends a request a [`Destination`] prepared, with the robot's timeout, and reads
//! the status and body of the answer, turning reqwest's failures into [`Error`]s that hold no
//! URL (a webhook's URL holds its access_token and signature). A [`Destination`] says where a
//! message goes and what its answers mean; [`CustomRobot`] is a custom robot's webhook. This
//! layer knows nothing of queues, limits or retries: that is `delivery`'s work, one layer up.

mod custom_robot;
mod destination;

pub(crate) use custom_robot::CustomRobot;
pub(crate) use destination::{Accepted, Destination};

use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::error::Error;

/// Sends prepared requests: one connection pool, shared by a robot's clones, and the timeout of
/// one request.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    timeout: Duration,
}

/// What came back from one request.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// From sending the request to the last byte of the answer.
    pub elapsed: Duration,
}

impl Transport {
    /// A transport whose requests wait at most `timeout` for their answer (and as long to
    /// connect). Redirects are not followed: DingTalk answers where it is asked. `no_proxy`
    /// ignores the environment's proxy, for loopback destinations.
    pub fn new(timeout: Duration, no_proxy: bool) -> Result<Transport, Error> {
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .user_agent(concat!("dingtalk-rs/", env!("CARGO_PKG_VERSION")));
        if no_proxy {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot set up HTTP: {e}")))?;
        Ok(Transport { http, timeout })
    }

    /// How long one request waits for its answer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` and reads its answer, whatever its status: what the answer means is the
    /// destination's to say.
    pub async fn send(&self, mut request: reqwest::Request) -> Result<Answer, Error> {
        *request.timeout_mut() = Some(self.timeout);
        let started = Instant::now();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| self.error(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.error(e))?;
        Ok(Answer {
            status,
            body: Vec::from(body),
            elapsed: started.elapsed(),
        })
    }

    /// A reqwest failure as an [`Error`], without its URL.
    fn error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::timeout(self.timeout)
        } else {
            Error::transport(e)
        }
    }
}
