//! The access_token, the secret and the signature appear in no `Debug`, `Display`, error or log
//! line, on every error path.
//!
//! Every `tracing` event of this test binary, and every `log` record (reqwest's and hyper's
//! among them), is captured at TRACE level into one buffer that each test searches.

#[path = "support/logs.rs"]
mod logs;

use std::time::Duration;

use dingtalk_bot::{Error, Payload, RetryPolicy, Robot};
use dingtalk_sandbox::{Fault, Sandbox};

const TOKEN: &str = "tokenAAAA1111secret";
const SECRET: &str = "SECbbbb2222secret";
const WRONG_SECRET: &str = "SECwrongwrong";

/// Fails the test if `text` shows the token, the secret, or a signature.
fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, SECRET, WRONG_SECRET, "sign=", "timestamp="] {
        assert!(!text.contains(secret), "{what} shows `{secret}`:\n{text}");
    }
}

/// Checks an error's `Display`, `Debug` and every source, then everything logged so far.
fn assert_error_clean(e: &Error) {
    assert_clean("Display", &e.to_string());
    assert_clean("Debug", &format!("{e:?}"));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        assert_clean("a source", &format!("{s} {s:?}"));
        source = s.source();
    }
    let logged = logs::logged();
    assert_clean("the log", &logged);
}

async fn sandbox() -> Sandbox {
    logs::capture();
    Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .keywords(["deploy"])
        .start()
        .await
        .unwrap()
}

fn robot_for(sandbox: &Sandbox, secret: &str) -> Robot {
    Robot::builder(sandbox.webhook_url())
        .retry(RetryPolicy::none())
        .no_rate_limit()
        .secret(secret)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

#[tokio::test]
async fn not_in_success_logs_or_debug_output() {
    let sandbox = sandbox().await;
    let robot = robot_for(&sandbox, SECRET);
    robot.send(&Payload::text("deploy ok")).await.unwrap();
    assert_clean("Robot's Debug", &format!("{robot:?}"));
    assert_clean("the webhook", &robot.webhook().to_string());
    let logged = logs::logged();
    assert!(
        logged.contains("delivered"),
        "the send was logged:\n{logged}"
    );
    assert_clean("the log", &logged);
}

#[tokio::test]
async fn not_in_errors_dingtalk_answers() {
    let sandbox = sandbox().await;
    let wrong_secret = robot_for(&sandbox, WRONG_SECRET);
    assert_error_clean(
        &wrong_secret
            .send(&Payload::text("deploy"))
            .await
            .unwrap_err(),
    );

    let robot = robot_for(&sandbox, SECRET);
    // Keywords not configured on the client: DingTalk refuses.
    assert_error_clean(&robot.send(&Payload::text("nothing")).await.unwrap_err());
    for fault in [
        Fault::Status(500),
        Fault::Status(200),
        Fault::Drop,
        Fault::Delay(Duration::from_secs(1)),
        Fault::answer(400_102, "机器人已停用"),
    ] {
        sandbox.fail_next(1, fault.clone());
        let e = robot.send(&Payload::text("deploy")).await.unwrap_err();
        assert_error_clean(&e);
    }
}

#[tokio::test]
async fn not_in_errors_found_before_sending() {
    let sandbox = sandbox().await;
    let robot = Robot::builder(sandbox.webhook_url())
        .secret(SECRET)
        .keywords(["deploy"])
        .build()
        .unwrap();
    assert_error_clean(&robot.send(&Payload::text("no keyword")).await.unwrap_err());
    assert_error_clean(
        &robot
            .send(&Payload::markdown("deploy", ""))
            .await
            .unwrap_err(),
    );
    let huge = Payload::text(format!("deploy {}", "x".repeat(30_000)));
    assert_error_clean(&robot.send(&huge).await.unwrap_err());
}

#[tokio::test]
async fn not_in_transport_errors() {
    logs::capture();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let robot = Robot::builder(format!("http://{addr}/robot/send?access_token={TOKEN}"))
        .retry(RetryPolicy::none())
        .secret(SECRET)
        .build()
        .unwrap();
    assert_error_clean(&robot.send(&Payload::text("deploy")).await.unwrap_err());
}

#[test]
fn not_in_configuration_errors() {
    logs::capture();
    for (webhook, secret) in [
        (
            format!("http://example.com/robot/send?access_token={TOKEN}"),
            SECRET.to_owned(),
        ),
        (
            format!("https://example.com/robot/send?access_token={TOKEN}&sign=x"),
            SECRET.to_owned(),
        ),
        (
            format!("https://example.com/robot/send?access_token={TOKEN}"),
            format!("{SECRET} x"),
        ),
        (
            format!("https://example.com/robot/send?access_token={TOKEN}"),
            format!("x{SECRET}"),
        ),
    ] {
        let builder = Robot::builder(webhook).secret(secret);
        assert_clean("RobotBuilder's Debug", &format!("{builder:?}"));
        assert_error_clean(&builder.build().unwrap_err());
    }
}
