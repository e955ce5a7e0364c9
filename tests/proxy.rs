//! `RobotBuilder::proxy` and the environment's proxy, through real proxies of a few lines each:
//! an HTTP proxy (absolute-form requests forwarded to the sandbox, `CONNECT` recorded and
//! refused) and a SOCKS5 proxy with a username and password. Every `tracing` event and `log`
//! record (reqwest's and hyper's) of this test binary is captured, and searched for the
//! proxies' credentials.

#[path = "support/logs.rs"]
mod logs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_bot::{Error, ErrorKind, Payload, RetryPolicy, Robot};
use dingtalk_sandbox::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `ops:p@ss` in a `Proxy-Authorization: Basic` header.
const BASIC_OPS: &str = "b3BzOnBAc3M=";

/// Fails if anything logged so far shows a password of these tests' proxies.
fn assert_not_logged() {
    let logged = logs::logged();
    assert!(logged.contains("proxy"), "the log is captured: {logged}");
    for secret in ["hunter2", "p%40ss", "p@ss", BASIC_OPS, "wr0ng"] {
        assert!(
            !logged.contains(secret),
            "the log shows `{secret}`:\n{logged}"
        );
    }
}

/// An HTTP proxy on loopback. It records the head of the first request on each connection;
/// an absolute-form request (`POST http://host:port/path`) is forwarded to its host in origin
/// form and the connection piped from then on; a `CONNECT` is answered 502.
struct HttpProxy {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl HttpProxy {
    /// A proxy that wants `Proxy-Authorization: Basic <basic>`, if given, and answers 407
    /// without it.
    async fn start(basic: Option<&'static str>) -> HttpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&heads);
        tokio::spawn(async move {
            loop {
                let (client, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(client, basic, Arc::clone(&recorded)));
            }
        });
        HttpProxy { url, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(mut client: TcpStream, basic: Option<&str>, heads: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        if client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    heads.lock().unwrap().push(head.clone());
    let authorized = basic.is_none_or(|basic| {
        head.lines().any(|line| {
            line.to_ascii_lowercase()
                .starts_with("proxy-authorization: basic ")
                && line.ends_with(basic)
        })
    });
    let (method, rest) = head.split_once(' ').unwrap();
    if method == "CONNECT" || !authorized {
        let answer = if authorized {
            "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n"
        } else {
            "HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n"
        };
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    // `POST http://127.0.0.1:1234/robot/send?… HTTP/1.1` to `POST /robot/send?… HTTP/1.1`.
    let target = rest.strip_prefix("http://").unwrap();
    let (host, path) = target.split_at(target.find('/').unwrap());
    let mut server = TcpStream::connect(host).await.unwrap();
    let origin_form = format!("{method} {path}");
    server.write_all(origin_form.as_bytes()).await.unwrap();
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// A SOCKS5 proxy on loopback that wants a username and password (RFC 1928, RFC 1929), and
/// records the credentials and the address of each connection.
async fn socks5_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let _ = socks5(client, recorded).await;
            });
        }
    });
    (addr.to_string(), seen)
}

async fn socks5(mut client: TcpStream, seen: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    async fn bytes(client: &mut TcpStream, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        client.read_exact(&mut buf).await?;
        Ok(buf)
    }
    // Greeting: version 5 and the methods the client offers; 2 is username and password.
    let greeting = bytes(&mut client, 2).await?;
    let methods = bytes(&mut client, greeting[1].into()).await?;
    assert!(methods.contains(&2), "{methods:?}");
    client.write_all(&[5, 2]).await?;
    let version_and_len = bytes(&mut client, 2).await?;
    let user = bytes(&mut client, version_and_len[1].into()).await?;
    let pass_len = bytes(&mut client, 1).await?;
    let pass = bytes(&mut client, pass_len[0].into()).await?;
    client.write_all(&[1, 0]).await?;
    // Request: version, CONNECT, reserved, then the address's type and the address.
    let request = bytes(&mut client, 4).await?;
    assert_eq!(request[1], 1, "CONNECT");
    let host = match request[3] {
        1 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes(&mut client, 4).await?).unwrap())
            .to_string(),
        3 => {
            let len = bytes(&mut client, 1).await?;
            String::from_utf8(bytes(&mut client, len[0].into()).await?).unwrap()
        }
        other => panic!("address type {other}"),
    };
    let port = bytes(&mut client, 2).await?;
    let port = u16::from_be_bytes([port[0], port[1]]);
    seen.lock().unwrap().push(format!(
        "{}:{} {host}:{port}",
        String::from_utf8_lossy(&user),
        String::from_utf8_lossy(&pass)
    ));
    let mut server = TcpStream::connect((host.as_str(), port)).await?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}

fn quick(builder: dingtalk_bot::RobotBuilder) -> dingtalk_bot::RobotBuilder {
    logs::capture();
    builder
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
}

/// Fails if the error shows `secret` anywhere: its `Display`, `Debug` or a source.
fn assert_hidden(e: &Error, secret: &str) {
    let mut shown = format!("{e} {e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        shown.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(!shown.contains(secret), "{shown}");
}

#[tokio::test]
async fn requests_go_through_an_http_proxy_with_its_credentials() {
    let sandbox = Sandbox::builder()
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    let proxy = HttpProxy::start(Some(BASIC_OPS)).await;
    let with_credentials = proxy.url.replace("http://", "http://ops:p%40ss@");
    let robot = quick(sandbox.robot_builder())
        .proxy(&with_credentials)
        .build()
        .unwrap();
    let shown = format!("{robot:?}");
    assert!(
        shown.contains(&format!(
            "proxy: Some(\"{}\")",
            proxy.url.replace("http://", "http://***@")
        )),
        "{shown}"
    );
    assert!(!shown.contains("p%40ss"), "{shown}");

    robot.send(&Payload::text("deploy one")).await.unwrap();
    robot.send(&Payload::text("deploy two")).await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
    // The proxy answers 407 without `Proxy-Authorization: Basic b3BzOnBAc3M=`.
    let heads = proxy.heads();
    assert!(!heads.is_empty());
    let expected = format!("POST http://{}/robot/send?access_token=", sandbox.addr());
    assert!(heads[0].starts_with(&expected), "{heads:?}");
    assert_not_logged();
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_is_a_configuration_error() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let proxy = HttpProxy::start(Some(BASIC_OPS)).await;
    let robot = quick(sandbox.robot_builder())
        .proxy(&proxy.url)
        .build()
        .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("HTTP 407"), "{e}");
    assert!(sandbox.received().is_empty());

    let wrong = proxy.url.replace("http://", "http://ops:wr0ng@");
    let robot = quick(sandbox.robot_builder()).proxy(wrong).build().unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert_hidden(&e, "wr0ng");
    assert_eq!(proxy.heads().len(), 2);

    // The same answer to the CONNECT of an https webhook.
    let robot = quick(Robot::builder(
        "https://dingtalk.invalid/robot/send?access_token=t",
    ))
    .proxy(&proxy.url)
    .build()
    .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e:?}");
    assert!(e.to_string().contains("HTTP 407"), "{e}");
    assert!(proxy.heads()[2].starts_with("CONNECT dingtalk.invalid:443 "));
    assert_not_logged();
}

#[tokio::test]
async fn an_unreachable_proxy_fails_the_send_and_never_shows_its_credentials() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let robot = quick(sandbox.robot_builder())
        .proxy(format!("http://ops:hunter2@{addr}"))
        .build()
        .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    // Not sent directly behind the proxy's back.
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(sandbox.received().is_empty());
    assert_hidden(&e, "hunter2");
    assert!(!format!("{robot:?}").contains("hunter2"));
    assert_not_logged();
}

#[tokio::test]
async fn requests_go_through_a_socks5_proxy() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let (addr, seen) = socks5_proxy().await;
    let robot = quick(sandbox.robot_builder())
        .proxy(format!("socks5://ops:hunter2@{addr}"))
        .build()
        .unwrap();
    robot.send(&Payload::text("through socks5")).await.unwrap();
    assert_eq!(sandbox.received().len(), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        [format!("ops:hunter2 {}", sandbox.addr())]
    );

    // socks5h: the proxy resolves the name.
    let by_name = sandbox.webhook_url().replace("127.0.0.1", "localhost");
    let robot = quick(Robot::builder(by_name))
        .proxy(format!("socks5h://ops:hunter2@{addr}"))
        .build()
        .unwrap();
    robot.send(&Payload::text("through socks5h")).await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
    let port = sandbox.addr().port();
    assert_eq!(
        seen.lock().unwrap()[1],
        format!("ops:hunter2 localhost:{port}")
    );
    assert_not_logged();
}

#[test]
fn a_malformed_proxy_is_refused_at_build_without_repeating_it() {
    let hook = "https://oapi.dingtalk.com/robot/send?access_token=t";
    for proxy in [
        "ops:hunter2@proxy.internal:3128",
        "ftp://ops:hunter2@proxy.internal",
        "http://ops:hunter2@",
    ] {
        let e = Robot::builder(hook).proxy(proxy).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{proxy}");
        assert!(e.to_string().starts_with("the proxy"), "{e}");
        assert_hidden(&e, "hunter2");
    }
}

/// Set in the child process that `the_environments_proxy_is_used_unless_one_is_set` starts.
const CHILD: &str = "DINGTALK_PROXY_CHILD";

/// The environment's proxy is read once per process, and a test must not change the
/// environment: the child test runs in a process of its own with the proxy variables set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_proxy_is_used_unless_one_is_set() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let from_env = HttpProxy::start(None).await;
    let set = HttpProxy::start(None).await;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "the_environments_proxy_is_used_unless_one_is_set_child",
        ])
        .args(["--ignored", "--nocapture"])
        .env(CHILD, &set.url)
        .env("DINGTALK_WEBHOOK", sandbox.webhook_url());
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        child.env(name, &from_env.url);
        child.env_remove(name.to_ascii_lowercase());
    }
    child
        .env("NO_PROXY", "skipped.invalid")
        .env_remove("no_proxy");
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .unwrap()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("1 passed"), "the child test ran: {shown}");
    // DingTalk's host through the environment's proxy, but not the host NO_PROXY names, nor
    // the sandbox on loopback.
    let heads = from_env.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("CONNECT dingtalk.invalid:443 "),
        "{heads:?}"
    );
    assert_eq!(sandbox.received().len(), 1);
    // The proxy set on the builder, whatever the environment says.
    let heads = set.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("CONNECT set.invalid:443 "),
        "{heads:?}"
    );
}

#[tokio::test]
#[ignore = "run by `the_environments_proxy_is_used_unless_one_is_set`, in a process of its own"]
async fn the_environments_proxy_is_used_unless_one_is_set_child() {
    let Ok(set) = std::env::var(CHILD) else {
        return;
    };
    let send = |webhook: &str, proxy: Option<&str>| {
        let mut builder = quick(Robot::builder(webhook));
        if let Some(proxy) = proxy {
            builder = builder.proxy(proxy);
        }
        let robot = builder.build().unwrap();
        async move { robot.send(&Payload::text("x")).await }
    };
    // Refused by the proxy (502 to CONNECT), or not found (`.invalid`): never sent.
    let e = send("https://dingtalk.invalid/robot/send?access_token=t", None).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Transport);
    let e = send("https://skipped.invalid/robot/send?access_token=t", None).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Transport);
    let e = send("https://set.invalid/robot/send?access_token=t", Some(&set)).await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Transport);
    let loopback = std::env::var("DINGTALK_WEBHOOK").unwrap();
    send(&loopback, None).await.unwrap();
}
