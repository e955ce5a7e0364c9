//! The app's access token: fetched from the OpenAPI (`POST /v1.0/oauth2/accessToken`) on first
//! use, through the robot's transport (its TLS and proxy), kept, and fetched afresh a little
//! before it expires, once for every caller that needs it at that moment. A send told the
//! token is invalid ([`TokenCache::invalidate`]) has it fetched again, once.
//!
//! Neither the app secret nor a token is ever shown: not in `Debug`, errors or logs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::error::{Error, ErrorKind, Sent};
use crate::spec::openapi::{ACCESS_TOKEN_PATH, INVALID_CLIENT};
use crate::transport::Transport;

/// How long before its expiry a token is fetched afresh, at most: the Python SDK's margin.
/// A token that lives less than ten times as long is fetched afresh a tenth of its life early.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The longest a token is kept, whatever its `expireIn` says (DingTalk's live 7,200 s): an
/// answer that claims more is not believed past it.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// After a refresh failed while the token still holds, how long the token is used before the
/// next try (at most until it expires): the endpoint is not asked on every send.
const REFRESH_RETRY: Duration = Duration::from_secs(10);

/// An app's credentials: its AppKey (`clientId`, also the robot's `robotCode` for an internal
/// app) and AppSecret (`clientSecret`). The secret is never shown.
#[derive(Clone)]
pub(crate) struct AppCredentials {
    client_id: String,
    client_secret: String,
}

impl AppCredentials {
    /// `client_id` and `client_secret` as the app's page shows them (trimmed); neither may be
    /// empty.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<AppCredentials, Error> {
        let client_id = client_id.into().trim().to_owned();
        let client_secret = client_secret.into().trim().to_owned();
        if client_id.is_empty() {
            return Err(Error::invalid_config(
                "the app's client id (AppKey) is empty",
            ));
        }
        if client_secret.is_empty() {
            return Err(Error::invalid_config(
                "the app's client secret (AppSecret) is empty",
            ));
        }
        Ok(AppCredentials {
            client_id,
            client_secret,
        })
    }

    /// The AppKey (`clientId`): an id, not a secret.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &format_args!("<redacted>"))
            .finish()
    }
}

/// An access token, for the `x-acs-dingtalk-access-token` header. Cheap to clone; never shown.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AccessToken(Arc<str>);

impl AccessToken {
    /// The token itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// An app's access token, fetched when needed and kept until a little before it expires.
///
/// The token is fetched afresh at the earlier of five minutes and a tenth of its life before
/// it expires (DingTalk's 7,200 s: after 6,900 s), timed from when its request was sent. If
/// DingTalk answers the same token (it does while the token is valid, as the sandbox plays
/// it), that one is used until it expires, then fetched afresh: a send refused it in between
/// has it [`invalidate`](TokenCache::invalidate)d.
///
/// Callers that need a token while one is fetched wait for that one: one request, whatever
/// their number; if it fails, they all get its error. If a refresh fails while the token still
/// holds, the token is used until it expires, and the refresh tried again every
/// [`REFRESH_RETRY`].
///
/// Time is tokio's, so that a test with a paused clock can live through a token's life.
pub(crate) struct TokenCache {
    credentials: AppCredentials,
    url: Url,
    transport: Arc<Transport>,
    state: Mutex<State>,
    /// Counts the fetches done, bumped under the lock: a caller that waited for the lock while
    /// a fetch failed takes its error rather than ask again.
    fetches: AtomicU64,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// The error of the last fetch, if it failed.
    failure: Option<Error>,
}

struct Cached {
    token: AccessToken,
    /// When it is fetched afresh.
    refresh_at: Instant,
    /// When DingTalk stops taking it.
    expires_at: Instant,
}

impl TokenCache {
    /// The token cache of the app with `credentials`, whose OpenAPI is at `api_base`
    /// (`https://api.dingtalk.com`, or a sandbox's address), reached through `transport`.
    pub fn new(
        credentials: AppCredentials,
        api_base: &Url,
        transport: Arc<Transport>,
    ) -> Result<TokenCache, Error> {
        let mut url = api_base.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|()| Error::invalid_config("the OpenAPI's address is not an http(s) URL"))?
            .pop_if_empty()
            .extend(ACCESS_TOKEN_PATH.split('/').filter(|s| !s.is_empty()));
        Ok(TokenCache {
            credentials,
            url,
            transport,
            state: Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        })
    }

    /// A token that DingTalk takes: the one kept, or one fetched now.
    ///
    /// Errors: the credentials refused, [`ErrorKind::InvalidConfig`]; the endpoint out of
    /// reach or slow, [`ErrorKind::Transport`] and [`ErrorKind::Timeout`] as the transport
    /// makes them; its throttle, [`ErrorKind::RateLimited`]; its failure,
    /// [`ErrorKind::Server`]. In every case no message was sent ([`Sent::No`]).
    pub async fn get(&self) -> Result<AccessToken, Error> {
        let seen = self.fetches.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(cached) = &state.cached
            && now < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        if self.fetches.load(Ordering::Acquire) != seen
            && let Some(failure) = &state.failure
        {
            return Err(failure.clone());
        }
        let sent_at = Instant::now();
        let fetched = self.fetch().await;
        self.fetches.fetch_add(1, Ordering::Release);
        match fetched {
            Ok((token, lifetime)) => {
                tracing::debug!(
                    app = %self.credentials.client_id,
                    expires_in = ?lifetime,
                    "fetched the app's access token"
                );
                let expires_at = sent_at + lifetime;
                let again = state.cached.as_ref().is_some_and(|c| c.token == token);
                let refresh_at = if again {
                    // DingTalk answers the token it gave while it is valid: no other comes
                    // before it expires.
                    expires_at
                } else {
                    expires_at - REFRESH_MARGIN.min(lifetime / 10)
                };
                state.cached = Some(Cached {
                    token: token.clone(),
                    refresh_at,
                    expires_at,
                });
                state.failure = None;
                Ok(token)
            }
            Err(e) => {
                state.failure = Some(e.clone());
                let now = Instant::now();
                if let Some(cached) = &mut state.cached
                    && now < cached.expires_at
                {
                    tracing::warn!(
                        app = %self.credentials.client_id,
                        error = %e,
                        "could not refresh the app's access token: the current one is used until it expires"
                    );
                    cached.refresh_at = (now + REFRESH_RETRY).min(cached.expires_at);
                    return Ok(cached.token.clone());
                }
                state.cached = None;
                Err(e)
            }
        }
    }

    /// Forgets `stale`, which DingTalk refused (`InvalidAuthentication`), if it is still the
    /// token kept: the next [`get`](TokenCache::get) fetches another. If another caller had it
    /// fetched again already, nothing changes, so that many sends told at once fetch one
    /// token.
    pub async fn invalidate(&self, stale: &AccessToken) {
        let mut state = self.state.lock().await;
        if state.cached.as_ref().is_some_and(|c| &c.token == stale) {
            tracing::debug!(
                app = %self.credentials.client_id,
                "the app's access token was refused: it is fetched again"
            );
            state.cached = None;
        }
    }

    /// One request for a token, and how long it lives.
    async fn fetch(&self) -> Result<(AccessToken, Duration), Error> {
        let body = serde_json::json!({
            "appKey": self.credentials.client_id,
            "appSecret": self.credentials.client_secret,
        });
        let mut request = reqwest::Request::new(Method::POST, self.url.clone());
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        *request.body_mut() = Some(body.to_string().into());
        let answer = self
            .transport
            .send(request)
            .await
            .map_err(|e| e.with_sent(Sent::No))?;
        read_answer(answer.status, &answer.body, &self.credentials.client_id)
            .map_err(|e| e.with_sent(Sent::No))
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("credentials", &self.credentials)
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer on success.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Granted {
    access_token: String,
    expire_in: u64,
}

/// The OpenAPI's answer on failure.
#[derive(Deserialize, Default)]
struct Refusal {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// What the token endpoint's answer means. `client_id` is named in errors (never the secret;
/// never the token, not even in a parser's error, which may quote the value it choked on).
fn read_answer(
    status: StatusCode,
    body: &[u8],
    client_id: &str,
) -> Result<(AccessToken, Duration), Error> {
    if status.is_success() {
        return match serde_json::from_slice::<Granted>(body) {
            Ok(granted) if !granted.access_token.is_empty() => Ok((
                AccessToken(granted.access_token.into()),
                Duration::from_secs(granted.expire_in).min(MAX_LIFETIME),
            )),
            _ => Err(Error::server(format!(
                "the token endpoint answered HTTP {status} without the JSON `{{accessToken, expireIn}}` expected"
            ))),
        };
    }
    let refusal = serde_json::from_slice::<Refusal>(body).unwrap_or_default();
    let said = if refusal.code.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!(
            "HTTP {} `{}`: {}",
            status.as_u16(),
            refusal.code,
            refusal.message
        )
    };
    let code = refusal.code.as_str();
    let (kind, what) = if code == INVALID_CLIENT.code
        || code == "invalid.client"
        || code == "unauthorized.client"
        || status == StatusCode::UNAUTHORIZED
    {
        (
            ErrorKind::InvalidConfig,
            format!(
                "DingTalk refused the app's credentials ({said}): check the client id (AppKey) `{client_id}` and its client secret (AppSecret)"
            ),
        )
    } else if code.contains("QpsLimit")
        || code.contains("QpmLimit")
        || matches!(
            code,
            "qps.exceed.limit" | "request.overlimit" | "oaplus.query.limit"
        )
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        (
            ErrorKind::RateLimited,
            format!("DingTalk throttles the app's token requests ({said})"),
        )
    } else if code == "Forbidden.AccessDenied.IpNotInWhiteList" {
        (
            ErrorKind::IpNotAllowed,
            format!(
                "DingTalk refused a token to this machine's IP address ({said}): add it to the app's allowlist"
            ),
        )
    } else if status.is_server_error() {
        (
            ErrorKind::Server,
            format!("the token endpoint failed ({said})"),
        )
    } else if status == StatusCode::REQUEST_TIMEOUT {
        (
            ErrorKind::Timeout,
            format!("the token endpoint timed out ({said})"),
        )
    } else {
        (
            ErrorKind::Api,
            format!("DingTalk refused a token to the app ({said})"),
        )
    };
    Err(Error::token_refused(kind, what))
}

#[cfg(test)]
mod tests;
