//! The cache against a token endpoint on loopback that counts its requests, and can be told to
//! fail, to answer slowly, or what lifetime to give.
//!
//! Time: requests go over real sockets, during which a paused clock would jump ahead to the
//! transport's timeout; so the clock runs, and is paused only to skip ahead between requests
//! ([`skip`]).

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex as StdMutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::*;

const ID: &str = "dingf0apw4ibx5u5ktba";
const SECRET: &str = "GT-lsu-taDAxxxsTsxxxx-secret";

/// A token endpoint: tokens `tok-1`, `tok-2`, … for `ID` and `SECRET`, living `lifetime`
/// seconds; `invalidClientIdOrSecret` for other credentials.
#[derive(Default)]
struct Endpoint {
    requests: AtomicUsize,
    lifetime: AtomicU64,
    /// Answer HTTP 500 `systemError`.
    failing: AtomicBool,
    /// Wait this many milliseconds (on the running clock) before answering.
    delay_ms: AtomicU64,
    /// Never answer.
    silent: AtomicBool,
}

impl Endpoint {
    async fn start() -> (Arc<Endpoint>, SocketAddr) {
        let endpoint = Arc::new(Endpoint::default());
        endpoint.lifetime.store(7200, Ordering::SeqCst);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = endpoint.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let endpoint = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let endpoint = endpoint.clone();
                        async move { Ok::<_, Infallible>(endpoint.answer(request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (endpoint, addr)
    }

    async fn answer(&self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        assert_eq!(request.method(), hyper::Method::POST);
        assert_eq!(request.uri().path(), "/v1.0/oauth2/accessToken");
        let body = request.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if self.silent.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let (status, answer) = if self.failing.load(Ordering::SeqCst) {
            (
                500,
                serde_json::json!({"code": "systemError", "requestid": "r", "message": "系统错误"}),
            )
        } else if body["appKey"] == ID && body["appSecret"] == SECRET {
            (
                200,
                serde_json::json!({
                    "accessToken": format!("tok-{n}"),
                    "expireIn": self.lifetime.load(Ordering::SeqCst),
                }),
            )
        } else {
            (
                400,
                serde_json::json!({
                    "requestid": "01A08FE7-68C3-7BBD-B223-447768EA4B29",
                    "code": "invalidClientIdOrSecret",
                    "message": "无效的clientId或者clientSecret",
                }),
            )
        };
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json;charset=utf-8")
            .body(Full::new(Bytes::from(answer.to_string())))
            .unwrap()
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn cache_at(addr: SocketAddr, secret: &str, timeout: Duration) -> TokenCache {
    let base = Url::parse(&format!("http://{addr}")).unwrap();
    let transport = Transport::to(timeout, &base, "the OpenAPI", None).unwrap();
    TokenCache::new(
        AppCredentials::new(ID, secret).unwrap(),
        &base,
        Arc::new(transport),
    )
    .unwrap()
}

fn cache(addr: SocketAddr) -> TokenCache {
    cache_at(addr, SECRET, Duration::from_secs(5))
}

/// Moves the clock `by` ahead at once, while no request is in flight.
async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

#[tokio::test]
async fn fifty_callers_at_once_make_one_request() {
    let (endpoint, addr) = Endpoint::start().await;
    endpoint.delay_ms.store(100, Ordering::SeqCst);
    let cache = Arc::new(cache(addr));
    let mut callers = JoinSet::new();
    for _ in 0..50 {
        let cache = cache.clone();
        callers.spawn(async move { cache.get().await.unwrap() });
    }
    let tokens = callers.join_all().await;
    assert!(tokens.iter().all(|t| t.expose() == "tok-1"));
    assert_eq!(endpoint.requests(), 1);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    assert_eq!(endpoint.requests(), 1);
}

#[tokio::test]
async fn fifty_callers_at_once_share_one_failure() {
    let (endpoint, addr) = Endpoint::start().await;
    endpoint.delay_ms.store(100, Ordering::SeqCst);
    endpoint.failing.store(true, Ordering::SeqCst);
    let cache = Arc::new(cache(addr));
    let mut callers = JoinSet::new();
    for _ in 0..50 {
        let cache = cache.clone();
        callers.spawn(async move { cache.get().await.unwrap_err() });
    }
    for e in callers.join_all().await {
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        assert_eq!(e.was_sent(), Sent::No);
    }
    assert_eq!(endpoint.requests(), 1);
    // The next caller asks again.
    endpoint.failing.store(false, Ordering::SeqCst);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-2");
}

#[tokio::test]
async fn the_token_is_fetched_again_five_minutes_before_it_expires() {
    let (endpoint, addr) = Endpoint::start().await;
    let cache = cache(addr);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    skip(Duration::from_secs(7200 - 300 - 2)).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    assert_eq!(endpoint.requests(), 1);
    skip(Duration::from_secs(2)).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-2");
    assert_eq!(cache.get().await.unwrap().expose(), "tok-2");
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn a_short_lived_token_is_fetched_again_a_tenth_of_its_life_early() {
    let (endpoint, addr) = Endpoint::start().await;
    endpoint.lifetime.store(100, Ordering::SeqCst);
    let cache = cache(addr);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    skip(Duration::from_secs(89)).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    skip(Duration::from_secs(1)).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-2");
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_token_until_it_expires() {
    let (endpoint, addr) = Endpoint::start().await;
    let cache = cache(addr);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    endpoint.failing.store(true, Ordering::SeqCst);
    skip(Duration::from_secs(7200 - 60)).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    assert_eq!(endpoint.requests(), 2);
    // Not asked again on every call: after REFRESH_RETRY.
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    assert_eq!(endpoint.requests(), 2);
    skip(REFRESH_RETRY).await;
    assert_eq!(cache.get().await.unwrap().expose(), "tok-1");
    assert_eq!(endpoint.requests(), 3);
    // Expired: the failure is the caller's.
    skip(Duration::from_secs(60)).await;
    let e = cache.get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert!(e.to_string().contains("systemError"), "{e}");
    endpoint.failing.store(false, Ordering::SeqCst);
    assert_eq!(cache.get().await.unwrap().expose(), "tok-5");
}

#[tokio::test]
async fn an_invalidated_token_is_fetched_again_once_and_a_stale_invalidate_does_nothing() {
    let (endpoint, addr) = Endpoint::start().await;
    let cache = Arc::new(cache(addr));
    let first = cache.get().await.unwrap();
    cache.invalidate(&first).await;
    let second = cache.get().await.unwrap();
    assert_eq!(second.expose(), "tok-2");
    assert_eq!(endpoint.requests(), 2);
    // A send that was refused `first` late.
    cache.invalidate(&first).await;
    assert_eq!(cache.get().await.unwrap(), second);
    assert_eq!(endpoint.requests(), 2);
    // Fifty sends refused `second` at once: one request.
    endpoint.delay_ms.store(50, Ordering::SeqCst);
    let mut senders = JoinSet::new();
    for _ in 0..50 {
        let (cache, second) = (cache.clone(), second.clone());
        senders.spawn(async move {
            cache.invalidate(&second).await;
            cache.get().await.unwrap()
        });
    }
    let tokens = senders.join_all().await;
    assert!(tokens.iter().all(|t| t.expose() == "tok-3"));
    assert_eq!(endpoint.requests(), 3);
}

#[tokio::test]
async fn refused_credentials_are_a_configuration_error() {
    let (endpoint, addr) = Endpoint::start().await;
    let cache = cache_at(addr, "wrong-secret", Duration::from_secs(5));
    let e = cache.get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert_eq!(e.was_sent(), Sent::No);
    assert!(!e.is_retryable());
    let shown = e.to_string();
    assert!(shown.contains("invalidClientIdOrSecret"), "{shown}");
    assert!(shown.contains(ID), "{shown}");
    assert!(!shown.contains("wrong-secret"), "{shown}");
    assert!(!format!("{e:?}").contains("wrong-secret"));
    // Not kept: each caller is told, the endpoint asked again.
    assert_eq!(
        cache.get().await.unwrap_err().kind(),
        ErrorKind::InvalidConfig
    );
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn network_failures_are_the_transports() {
    // Nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let e = cache(addr).get().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.was_sent(), Sent::No);

    let (endpoint, addr) = Endpoint::start().await;
    endpoint.silent.store(true, Ordering::SeqCst);
    let e = cache_at(addr, SECRET, Duration::from_millis(200))
        .get()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // The token request may have been received; no message was sent.
    assert_eq!(e.was_sent(), Sent::No);
}

#[test]
fn answers_are_read_as_the_openapi_means_them() {
    let ok = read_answer(
        StatusCode::OK,
        br#"{"accessToken":"fw8ef8we8f76e6f7s8d","expireIn":7200}"#,
        ID,
    )
    .unwrap();
    assert_eq!(ok.0.expose(), "fw8ef8we8f76e6f7s8d");
    assert_eq!(ok.1, Duration::from_secs(7200));
    let forever = read_answer(
        StatusCode::OK,
        format!(r#"{{"accessToken":"t","expireIn":{}}}"#, u64::MAX).as_bytes(),
        ID,
    )
    .unwrap();
    assert_eq!(forever.1, MAX_LIFETIME);
    let refusal = |code: &str| format!(r#"{{"code":"{code}","requestid":"r","message":"m"}}"#);
    let cases: [(u16, String, ErrorKind); 11] = [
        (
            400,
            refusal("invalidClientIdOrSecret"),
            ErrorKind::InvalidConfig,
        ),
        (
            401,
            refusal("unauthorized.client"),
            ErrorKind::InvalidConfig,
        ),
        (401, String::new(), ErrorKind::InvalidConfig),
        (400, refusal("qps.exceed.limit"), ErrorKind::RateLimited),
        (
            403,
            refusal("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
            ErrorKind::RateLimited,
        ),
        (
            403,
            refusal("Forbidden.AccessDenied.IpNotInWhiteList"),
            ErrorKind::IpNotAllowed,
        ),
        (500, refusal("unknownError"), ErrorKind::Server),
        (504, "<html>".to_owned(), ErrorKind::Server),
        (400, refusal("somethingElse"), ErrorKind::Api),
        // An answer that is not the token's JSON, a token quoted in none.
        (200, r#"{"accessToken":7}"#.to_owned(), ErrorKind::Server),
        (
            200,
            r#"{"accessToken":"","expireIn":7200}"#.to_owned(),
            ErrorKind::Server,
        ),
    ];
    for (status, body, kind) in cases {
        let status = StatusCode::from_u16(status).unwrap();
        let e = read_answer(status, body.as_bytes(), ID).unwrap_err();
        assert_eq!(e.kind(), kind, "{status} {body}: {e}");
    }
    let e = read_answer(
        StatusCode::OK,
        br#"{"accessToken":"secret-token","expireIn":"7200"}"#,
        ID,
    )
    .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("secret-token"), "{e}");
}

#[test]
fn credentials_need_both_halves() {
    for (id, secret) in [("", SECRET), (ID, " "), ("  ", "")] {
        let e = AppCredentials::new(id, secret).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    }
    let credentials = AppCredentials::new(format!(" {ID} "), SECRET).unwrap();
    assert_eq!(credentials.client_id(), ID);
}

#[test]
fn the_endpoint_is_under_the_base_whatever_its_slash() {
    let transport = || {
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        Arc::new(Transport::to(Duration::from_secs(1), &base, "the OpenAPI", None).unwrap())
    };
    let credentials = AppCredentials::new(ID, SECRET).unwrap();
    for (base, url) in [
        (
            "https://api.dingtalk.com",
            "https://api.dingtalk.com/v1.0/oauth2/accessToken",
        ),
        (
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/v1.0/oauth2/accessToken",
        ),
        (
            "http://127.0.0.1:8080/dingtalk/",
            "http://127.0.0.1:8080/dingtalk/v1.0/oauth2/accessToken",
        ),
    ] {
        let cache =
            TokenCache::new(credentials.clone(), &Url::parse(base).unwrap(), transport()).unwrap();
        assert_eq!(cache.url.as_str(), url);
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<StdMutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything this test's thread logs (a current-thread runtime: its tasks' too).
#[tokio::test]
async fn neither_the_secret_nor_a_token_is_shown() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let (endpoint, addr) = Endpoint::start().await;
    let cache = cache(addr);
    let token = cache.get().await.unwrap();
    cache.invalidate(&token).await;
    let token = cache.get().await.unwrap();
    endpoint.failing.store(true, Ordering::SeqCst);
    skip(Duration::from_secs(7200 - 60)).await;
    assert_eq!(cache.get().await.unwrap(), token);
    let refused = cache_at(addr, "wrong-secret", Duration::from_secs(5));
    endpoint.failing.store(false, Ordering::SeqCst);
    let e = refused.get().await.unwrap_err();

    let logged = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("fetched the app's access token"),
        "{logged}"
    );
    assert!(logged.contains("could not refresh"), "{logged}");
    let shown = format!(
        "{logged}\n{cache:?}\n{refused:?}\n{token:?}\n{e}\n{e:?}\n{:?}",
        AppCredentials::new(ID, SECRET).unwrap()
    );
    for secret in [SECRET, "wrong-secret", "tok-1", "tok-2"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains(ID), "{shown}");
}

/// The sandbox's token endpoint: DingTalk's answers as the project plays them, the same token
/// while it is valid among them.
mod sandbox {
    use dingtalk_sandbox::Sandbox;

    use super::*;

    async fn sandbox(lifetime: Duration) -> Sandbox {
        Sandbox::builder()
            .app(ID, SECRET, ID)
            .token_lifetime(lifetime)
            .start()
            .await
            .unwrap()
    }

    fn token_requests(sandbox: &Sandbox) -> usize {
        sandbox
            .exchanges()
            .iter()
            .filter(|e| e.path == ACCESS_TOKEN_PATH)
            .count()
    }

    #[tokio::test]
    async fn fifty_callers_at_once_make_one_request() {
        let sandbox = sandbox(Duration::from_secs(7200)).await;
        let cache = Arc::new(cache(sandbox.addr()));
        let mut callers = JoinSet::new();
        for _ in 0..50 {
            let cache = cache.clone();
            callers.spawn(async move { cache.get().await.unwrap() });
        }
        let tokens = callers.join_all().await;
        assert!(tokens.iter().all(|t| *t == tokens[0]));
        assert_eq!(token_requests(&sandbox), 1);
    }

    #[tokio::test]
    async fn the_same_token_answered_again_is_used_until_it_expires() {
        let sandbox = sandbox(Duration::from_secs(100)).await;
        let cache = cache(sandbox.addr());
        let first = cache.get().await.unwrap();
        // A tenth of its life before it expires: asked again, the same token comes back.
        skip(Duration::from_secs(91)).await;
        assert_eq!(cache.get().await.unwrap(), first);
        assert_eq!(token_requests(&sandbox), 2);
        // Then it is used until it expires, not asked for on every call.
        skip(Duration::from_secs(7)).await;
        assert_eq!(cache.get().await.unwrap(), first);
        assert_eq!(token_requests(&sandbox), 2);
        skip(Duration::from_secs(2)).await;
        let second = cache.get().await.unwrap();
        assert_ne!(second, first);
        assert_eq!(token_requests(&sandbox), 3);
    }

    #[tokio::test]
    async fn an_invalidated_token_is_fetched_again_once() {
        let sandbox = sandbox(Duration::from_secs(7200)).await;
        let cache = cache(sandbox.addr());
        let first = cache.get().await.unwrap();
        cache.invalidate(&first).await;
        // The sandbox still holds it valid, and answers it again.
        assert_eq!(cache.get().await.unwrap(), first);
        assert_eq!(token_requests(&sandbox), 2);
        cache.invalidate(&AccessToken("stale".into())).await;
        assert_eq!(cache.get().await.unwrap(), first);
        assert_eq!(token_requests(&sandbox), 2);
    }

    #[tokio::test]
    async fn refused_credentials_are_a_configuration_error() {
        let sandbox = sandbox(Duration::from_secs(7200)).await;
        let e = cache_at(sandbox.addr(), "wrong-secret", Duration::from_secs(5))
            .get()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        assert_eq!(e.was_sent(), Sent::No);
        assert!(e.to_string().contains(INVALID_CLIENT.code), "{e}");
        assert!(!format!("{e} {e:?}").contains("wrong-secret"), "{e}");
    }
}
