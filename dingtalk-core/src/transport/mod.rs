//! The transport: one HTTP attempt at a destination, and where messages go.
//!
//! [`Transport`] sends a request a [`Destination`] prepared, with the robot's timeout, and reads
//! the status and body of the answer, turning reqwest's failures into [`Error`]s that hold no
//! URL (a webhook's URL holds its access_token and signature). A [`Destination`] says where a
//! message goes and what its answers mean; [`CustomRobot`] is a custom robot's webhook. This
//! layer knows nothing of queues, limits or retries: that is `delivery`'s work, one layer up.
//! The TLS backend is the crate features' choice (`tls`); a proxy is the builder's ([`ProxyUrl`])
//! or the environment's.

mod custom_robot;
mod destination;
mod proxy;
mod tls;

pub(crate) use custom_robot::CustomRobot;
pub(crate) use destination::{Accepted, Destination};
pub(crate) use proxy::ProxyUrl;

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;
use url::Url;

use crate::error::Error;
use crate::webhook::Webhook;

/// Sends prepared requests: one connection pool, shared by a robot's clones, and the timeout of
/// one request.
pub(crate) struct Transport {
    http: reqwest::Client,
    timeout: Duration,
    proxy: Option<ProxyUrl>,
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
    /// A transport to `webhook` whose requests wait at most `timeout` for their answer (and
    /// as long to connect). Redirects are not followed: DingTalk answers where it is asked.
    ///
    /// `proxy` (a URL, checked here) takes every request. Without it, the environment's
    /// proxy is used as curl would (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, and their lower-case
    /// forms; `HTTP_PROXY` for plain http), except for a loopback webhook, which is always
    /// reached directly: a sandbox in tests on a machine whose proxy cannot reach it.
    pub fn new(
        timeout: Duration,
        webhook: &Webhook,
        proxy: Option<&str>,
    ) -> Result<Transport, Error> {
        Transport::to(timeout, webhook.expose(), "the webhook", proxy)
    }

    /// A transport to `url` (`what` names it in errors: "the webhook", "the OpenAPI"), as
    /// [`new`](Transport::new) makes one to a webhook.
    pub fn to(
        timeout: Duration,
        url: &Url,
        what: &str,
        proxy: Option<&str>,
    ) -> Result<Transport, Error> {
        let proxy = proxy.map(ProxyUrl::parse).transpose()?;
        if tls::BACKEND.is_none() {
            if url.scheme() == "https" {
                return Err(tls::missing(what));
            }
            if proxy.as_ref().is_some_and(ProxyUrl::is_https) {
                return Err(tls::missing("the proxy"));
            }
        }
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .user_agent(concat!("dingtalk-rs/", env!("CARGO_PKG_VERSION")));
        http = tls::configure(http)?;
        if let Some(proxy) = &proxy {
            http = http.proxy(proxy.to_reqwest()?);
        } else if crate::webhook::is_loopback(url) {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot set up HTTP: {e}")))?;
        Ok(Transport {
            http,
            timeout,
            proxy,
        })
    }

    /// How long one request waits for its answer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The proxy set for it, if any (not the environment's).
    pub fn proxy(&self) -> Option<&ProxyUrl> {
        self.proxy.as_ref()
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
        if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            // A proxy's answer, never DingTalk's: no retry mends it.
            return Err(proxy_auth_required());
        }
        let body = response.bytes().await.map_err(|e| self.error(e))?;
        Ok(Answer {
            status,
            body: Vec::from(body),
            elapsed: started.elapsed(),
        })
    }

    /// A reqwest failure as an [`Error`], without its URL. (A proxy's credentials are in no
    /// reqwest error: it is told of them apart from the address it connects to.)
    fn error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::timeout(self.timeout)
        } else if refused_tunnel(&e) {
            proxy_auth_required()
        } else {
            Error::transport(e)
        }
    }
}

/// A proxy's HTTP 407, to a request or to the `CONNECT` of an https webhook.
fn proxy_auth_required() -> Error {
    Error::invalid_config(
        "the proxy asks for credentials (HTTP 407): give them in its URL, \
         http://user:password@host:port",
    )
}

/// Whether a proxy answered 407 to the `CONNECT` of an https request. hyper-util's error
/// type for it is private: its message is all there is to go by (tested).
fn refused_tunnel(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("proxy authorization required") {
            return true;
        }
        source = s.source();
    }
    false
}

/// reqwest's `Debug` of a client shows its proxies' URLs, credentials and all: not shown.
impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .field("tls", &tls::BACKEND)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    use super::*;
    use crate::error::ErrorKind;

    /// The first bytes `http` sends to an https address on loopback: a TLS handshake record
    /// (`0x16`, then the protocol's major version, 3) if it speaks TLS.
    async fn first_bytes(http: &reqwest::Client) -> [u8; 2] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/", listener.local_addr().unwrap());
        let request = http.post(url).body("{}").send();
        let accepted = async {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut hello = [0; 2];
            stream.read_exact(&mut hello).await.unwrap();
            hello
        };
        // The request fails once the listener's end is dropped: no server answers.
        let (sent, hello) = tokio::join!(request, accepted);
        assert!(sent.is_err());
        hello
    }

    #[tokio::test]
    async fn the_features_backend_speaks_tls() {
        let webhook = Webhook::parse("https://127.0.0.1:1/robot/send?access_token=t").unwrap();
        let transport = Transport::new(Duration::from_secs(5), &webhook, None);
        if tls::BACKEND.is_none() {
            let e = transport.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.to_string().contains("this build has no TLS"), "{e}");
            return;
        }
        let transport = transport.unwrap();
        assert_eq!(first_bytes(&transport.http).await, [0x16, 3]);
        let shown = format!("{transport:?}");
        assert!(shown.contains(tls::BACKEND.unwrap()), "{shown}");
    }

    /// Tested whether or not it is the backend in use (with `native-tls` too, it is not).
    #[cfg(feature = "rustls-ring")]
    #[tokio::test]
    async fn rustls_with_ring_speaks_tls() {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::ring_config().unwrap())
            .build()
            .unwrap();
        assert_eq!(first_bytes(&http).await, [0x16, 3]);
    }

    #[test]
    fn plain_http_to_loopback_needs_no_tls() {
        let webhook = Webhook::parse("http://127.0.0.1:1/robot/send?access_token=t").unwrap();
        Transport::new(Duration::from_secs(5), &webhook, None).unwrap();
        Transport::new(
            Duration::from_secs(5),
            &webhook,
            Some("socks5h://127.0.0.1:1"),
        )
        .unwrap();
    }

    #[test]
    fn a_malformed_proxy_is_a_configuration_error() {
        let webhook = Webhook::parse("http://127.0.0.1:1/robot/send?access_token=t").unwrap();
        let e = Transport::new(Duration::from_secs(5), &webhook, Some("proxy:3128")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }
}
