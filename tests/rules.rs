//! One bad message, one answer: for every rule of `dingtalk_spec::check`, the client's
//! pre-flight and the sandbox refuse the same message with the same kind of error.
//!
//! The sandbox is spoken to over HTTP with the exact body the client would send; its answer is
//! then classified by the client itself (played back to a robot by the sandbox's `Fault`), so
//! both sides are the real code.

use std::collections::BTreeSet;

use dingtalk_bot::spec::{self, Rule};
use dingtalk_bot::{ErrorKind, Payload, Robot};
use dingtalk_sandbox::{Fault, Sandbox};
use serde_json::Value;

const KEYWORDS: [&str; 1] = ["deploy"];

/// The body the client sends for `payload`, `msgUuid` included.
fn sent_body(payload: &Payload) -> String {
    let json = payload.to_json();
    format!(
        r#"{},"msgUuid":"{}"}}"#,
        json.strip_suffix('}').unwrap(),
        "0".repeat(spec::MSG_UUID_LEN)
    )
}

/// The sandbox's answer to `body`, as `(errcode, errmsg)`.
async fn sandbox_answer(sandbox: &Sandbox, body: String) -> (i64, String) {
    let answer = reqwest::Client::new()
        .post(sandbox.webhook_url())
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    (
        answer["errcode"].as_i64().unwrap(),
        answer["errmsg"].as_str().unwrap().to_owned(),
    )
}

/// How the client classifies the answer `(errcode, errmsg)`: a sandbox plays it back to a
/// robot sending a good message.
async fn client_kind_of(errcode: i64, errmsg: String) -> ErrorKind {
    let sandbox = Sandbox::builder().start().await.unwrap();
    sandbox.fail_next(1, Fault::answer(errcode, errmsg));
    let robot = Robot::builder(sandbox.webhook_url()).build().unwrap();
    robot
        .send(&Payload::text("a good message"))
        .await
        .unwrap_err()
        .kind()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_and_the_sandbox_refuse_a_bad_message_alike() {
    let sandbox = Sandbox::builder()
        .keywords(KEYWORDS)
        .no_rate_limit()
        .start()
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .keywords(KEYWORDS)
        .build()
        .unwrap();
    let cases: Vec<Payload> = vec![
        // The size is measured on the whole body sent, msgUuid included.
        Payload::text(format!("deploy {}", "x".repeat(19_950))).into(),
        Payload::text(format!("deploy {}", "多".repeat(6_700))).into(),
        Payload::markdown(" ", "deploy done").into(),
        Payload::action_card("deploy", "no buttons").into(),
        Payload::action_card("deploy", "one button")
            .button("", "https://x.example")
            .into(),
        Payload::action_card("deploy", "buttons")
            .button("a", "https://x.example")
            .button("b", " ")
            .into(),
        Payload::feed_card()
            .link("deploy", "https://x.example", "")
            .link("b", "", "")
            .into(),
        Payload::link("deploy", "notes", "").into(),
        Payload::text("").into(),
        // Keywords are read where a reader sees them, not in addresses.
        Payload::link("release", "notes", "https://deploy.example").into(),
        Payload::markdown("Release", "v2.4 is live").into(),
        Payload::text("release").at_mobiles(["138"]).into(),
    ];
    let mut rules = BTreeSet::new();
    for payload in &cases {
        let body = sent_body(payload);
        let rule = payload
            .check(&KEYWORDS, body.len())
            .expect_err("every case breaks a rule")
            .rule();
        rules.insert(rule);
        let client = robot.check(payload).expect_err("refused before sending");
        let (errcode, errmsg) = sandbox_answer(&sandbox, body).await;
        let answered = client_kind_of(errcode, errmsg.clone()).await;
        assert_eq!(
            client.kind(),
            answered,
            "{rule:?}: the client says `{client}`, the sandbox `{errcode} {errmsg}`"
        );
    }

    // Bodies that are not messages: the client's reader of JSON (`dingtalk send json`) and
    // the sandbox refuse them alike.
    for body in [
        r#"{"msgtype":"image","image":{"url":"x"}}"#,
        r#"{"msgtype":"markdown"}"#,
        r#"{"text":{"content":"deploy"}}"#,
        r#"["deploy"]"#,
        "deploy",
    ] {
        rules.insert(Rule::Readable);
        let client = Payload::from_json(body).expect_err("not a message");
        let (errcode, errmsg) = sandbox_answer(&sandbox, body.to_owned()).await;
        let answered = client_kind_of(errcode, errmsg.clone()).await;
        assert_eq!(
            client.kind(),
            answered,
            "{body}: the client says `{client}`, the sandbox `{errcode} {errmsg}`"
        );
    }

    assert!(sandbox.received().is_empty(), "nothing bad was accepted");
    assert_eq!(
        rules,
        BTreeSet::from(Rule::ALL),
        "every rule is tried at least once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_every_rule_is_accepted_by_both() {
    let sandbox = Sandbox::builder().keywords(KEYWORDS).start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .keywords(KEYWORDS)
        .build()
        .unwrap();
    // Right at the limit: the body sent is exactly 20,000 bytes.
    let overhead = sent_body(&Payload::text("deploy ").into()).len();
    let payload: Payload = Payload::text(format!(
        "deploy {}",
        "x".repeat(spec::MAX_BODY_BYTES - overhead)
    ))
    .into();
    assert_eq!(sent_body(&payload).len(), spec::MAX_BODY_BYTES);
    robot.check(&payload).unwrap();
    assert_eq!(sandbox_answer(&sandbox, sent_body(&payload)).await.0, 0);
}
