//! The `Robot` client against the sandbox, over real HTTP on loopback: one attempt per
//! message (no retries, no rate limit: `tests/delivery.rs` covers those), so that each error
//! is seen as DingTalk answers it.

use std::time::Duration;

use dingtalk_bot::{ErrorKind, Payload, RetryPolicy, Robot, RobotBuilder};
use dingtalk_sandbox::{Fault, Sandbox};

const SECRET: &str = "SECrobot-tests-0123456789";

async fn sandbox() -> Sandbox {
    Sandbox::builder().secret(SECRET).start().await.unwrap()
}

/// A robot that makes one attempt per message, with no rate limit of its own.
fn single(webhook: impl Into<String>) -> RobotBuilder {
    Robot::builder(webhook)
        .retry(RetryPolicy::none())
        .no_rate_limit()
}

fn robot(sandbox: &Sandbox) -> Robot {
    single(sandbox.webhook_url())
        .secret(SECRET)
        .build()
        .unwrap()
}

fn all_types() -> Vec<Payload> {
    vec![
        Payload::text("磁盘告警").at_mobiles(["13800000000"]).into(),
        Payload::link("发布", "v2 已上线", "https://example.com/v2")
            .pic_url("https://example.com/v2.png")
            .into(),
        Payload::markdown("部署", "### billing v2\n\n- **ok**")
            .at_user_ids(["manager01"])
            .into(),
        Payload::action_card("请假", "Alice: 3 天")
            .button("查看", "https://example.com/leave/1")
            .into(),
        Payload::action_card("请假", "Bob: 1 天")
            .button("同意", "https://example.com/leave/2/yes")
            .button("拒绝", "https://example.com/leave/2/no")
            .into(),
        Payload::feed_card()
            .link(
                "新闻 1",
                "https://example.com/1",
                "https://example.com/1.png",
            )
            .link(
                "新闻 2",
                "https://example.com/2",
                "https://example.com/2.png",
            )
            .into(),
    ]
}

#[tokio::test]
async fn delivers_every_type_exactly_as_serialized() {
    let sandbox = sandbox().await;
    let robot = robot(&sandbox);
    let payloads = all_types();
    for payload in &payloads {
        let receipt = robot.send(payload).await.unwrap();
        assert_eq!(receipt.errmsg(), "ok");
    }
    let received = sandbox.received();
    assert_eq!(received.len(), payloads.len());
    for (got, sent) in received.iter().zip(&payloads) {
        // The body sent is the payload's JSON with the `msgUuid` delivery adds.
        let uuid = got.msg_uuid().expect("every delivery has a msgUuid");
        assert_eq!(uuid.len(), 32);
        let json = sent.to_json();
        let expected = format!("{},\"msgUuid\":\"{uuid}\"}}", &json[..json.len() - 1]);
        assert_eq!(got.raw(), expected);
        assert_eq!(got.payload().to_json(), json);
    }
    // The mention is in the text DingTalk received.
    assert!(received[0].raw().contains("磁盘告警 @13800000000"));
}

#[tokio::test]
async fn signs_every_request_afresh() {
    // A window of 600 ms: a signature reused from the first request would be stale by the
    // second.
    let sandbox = Sandbox::builder()
        .secret(SECRET)
        .signature_window(Duration::from_millis(600))
        .start()
        .await
        .unwrap();
    let robot = robot(&sandbox);
    robot.send(&Payload::text("one")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    robot.send(&Payload::text("two")).await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
}

#[tokio::test]
async fn clones_share_one_keep_alive_connection() {
    let sandbox = sandbox().await;
    let robot = robot(&sandbox);
    let clone = robot.clone();
    for i in 0..3 {
        robot.send(&Payload::text(format!("a{i}"))).await.unwrap();
        clone.send(&Payload::text(format!("b{i}"))).await.unwrap();
    }
    assert_eq!(sandbox.received().len(), 6);
    assert_eq!(sandbox.connections(), 1);

    // And they can be used from many tasks at once.
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let robot = robot.clone();
            tokio::spawn(async move { robot.send(&Payload::text(format!("c{i}"))).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(sandbox.received().len(), 10);
}

#[test]
fn robot_is_clone_send_sync() {
    fn assert<T: Send + Sync + 'static>() {}
    fn clone<T: Clone>() {}
    assert::<Robot>();
    clone::<Robot>();
    assert::<dingtalk_bot::Error>();
}

/// Sends `payload` and expects it refused with `kind`, DingTalk's `errcode`, nothing received.
async fn refused(
    sandbox: &Sandbox,
    robot: &Robot,
    kind: ErrorKind,
    errcode: Option<i64>,
) -> dingtalk_bot::Error {
    let e = robot.send(&Payload::text("部署 deploy")).await.unwrap_err();
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.errcode(), errcode, "{e}");
    assert!(sandbox.received().is_empty());
    e
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_a_signature_mismatch() {
    let sandbox = sandbox().await;
    let wrong = single(sandbox.webhook_url())
        .secret("SECnot-the-one")
        .build()
        .unwrap();
    let e = refused(
        &sandbox,
        &wrong,
        ErrorKind::SignatureMismatch,
        Some(310_000),
    )
    .await;
    assert_eq!(e.errmsg(), Some("sign not match"));
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("check the robot's secret"), "{e}");

    let unsigned = single(sandbox.webhook_url()).build().unwrap();
    refused(
        &sandbox,
        &unsigned,
        ErrorKind::SignatureMismatch,
        Some(310_000),
    )
    .await;
}

#[tokio::test]
async fn a_clock_off_by_two_hours_is_an_expired_timestamp() {
    let sandbox = Sandbox::builder()
        .secret(SECRET)
        .clock_offset_ms(-2 * 60 * 60 * 1000)
        .start()
        .await
        .unwrap();
    refused(
        &sandbox,
        &robot(&sandbox),
        ErrorKind::TimestampExpired,
        Some(310_000),
    )
    .await;
}

#[tokio::test]
async fn security_failures_are_recognised_in_the_structured_wording_too() {
    let sandbox = Sandbox::builder()
        .secret(SECRET)
        .keywords(["告警"])
        .structured_errmsgs(true)
        .start()
        .await
        .unwrap();
    let wrong = single(sandbox.webhook_url())
        .secret("SECnot-the-one")
        .build()
        .unwrap();
    let e = refused(
        &sandbox,
        &wrong,
        ErrorKind::SignatureMismatch,
        Some(310_000),
    )
    .await;
    assert!(e.errmsg().unwrap().starts_with("description:"), "{e}");
    refused(
        &sandbox,
        &robot(&sandbox),
        ErrorKind::KeywordMismatch,
        Some(310_000),
    )
    .await;

    let sandbox = Sandbox::builder()
        .secret(SECRET)
        .clock_offset_ms(2 * 60 * 60 * 1000)
        .structured_errmsgs(true)
        .start()
        .await
        .unwrap();
    refused(
        &sandbox,
        &robot(&sandbox),
        ErrorKind::TimestampExpired,
        Some(310_000),
    )
    .await;
}

#[tokio::test]
async fn an_unknown_token_and_a_foreign_ip_are_told_apart() {
    let sandbox = sandbox().await;
    let other_token = sandbox.webhook_url().replace("sandbox-token", "other");
    let robot = single(other_token).secret(SECRET).build().unwrap();
    refused(&sandbox, &robot, ErrorKind::InvalidToken, Some(300_001)).await;

    let sandbox = Sandbox::builder()
        .ip_allowlist(["192.0.2.1".parse::<std::net::IpAddr>().unwrap()])
        .start()
        .await
        .unwrap();
    let robot = single(sandbox.webhook_url()).build().unwrap();
    let e = refused(&sandbox, &robot, ErrorKind::IpNotAllowed, Some(310_000)).await;
    assert_eq!(e.errmsg(), Some("ip 127.0.0.1 not in whitelist"));
}

#[tokio::test]
async fn keywords_are_checked_before_sending_when_configured() {
    let sandbox = Sandbox::builder().keywords(["告警"]).start().await.unwrap();
    // Not configured on the client: DingTalk's answer says so.
    let unaware = single(sandbox.webhook_url()).build().unwrap();
    refused(
        &sandbox,
        &unaware,
        ErrorKind::KeywordMismatch,
        Some(310_000),
    )
    .await;
    assert_eq!(sandbox.exchanges().len(), 1);

    // Configured: refused before any request.
    let aware = single(sandbox.webhook_url())
        .keywords(["告警"])
        .build()
        .unwrap();
    let e = refused(&sandbox, &aware, ErrorKind::KeywordMismatch, None).await;
    assert!(e.to_string().contains("告警"), "{e}");
    assert_eq!(sandbox.exchanges().len(), 1, "no second request");

    // A keyword in a button title is enough.
    let card = Payload::action_card("t", "x").button("查看告警", "https://example.com");
    aware.send(&card).await.unwrap();
}

/// A text payload whose body, with the 45 bytes of `,"msgUuid":"<32 hex>"`, is exactly `len`
/// bytes.
fn text_of_exactly(len: usize) -> Payload {
    let frame = Payload::from(Payload::text("")).to_json().len() + 45;
    let room = len - frame;
    let payload: Payload =
        Payload::text(format!("{}{}", "警".repeat(room / 3), "x".repeat(room % 3))).into();
    assert_eq!(payload.to_json().len() + 45, len);
    payload
}

#[tokio::test]
async fn the_size_limit_is_checked_on_the_exact_bytes_before_sending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = single(sandbox.webhook_url()).build().unwrap();
    robot.send(&text_of_exactly(20_000)).await.unwrap();
    assert_eq!(sandbox.received()[0].raw().len(), 20_000);
    let e = robot.send(&text_of_exactly(20_001)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PayloadTooLarge);
    assert_eq!(e.errcode(), None);
    assert!(e.to_string().contains("20001 bytes"), "{e}");
    assert_eq!(sandbox.exchanges().len(), 1, "the large one was not sent");
}

#[tokio::test]
async fn empty_required_fields_are_refused_before_sending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = single(sandbox.webhook_url()).build().unwrap();
    for (payload, field) in [
        (Payload::text("").into(), "text.content"),
        (Payload::markdown("", "x").into(), "markdown.title"),
        (Payload::action_card("t", "x").into(), "actionCard.btns"),
        (Payload::feed_card().into(), "feedCard.links"),
    ] as [(Payload, &str); 4]
    {
        let e = robot.send(&payload).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMessage);
        assert!(e.to_string().contains(field), "{e}");
        assert!(robot.check(&payload).is_err());
    }
    assert!(sandbox.exchanges().is_empty());
}

#[tokio::test]
async fn check_returns_the_body_send_posts_less_its_msg_uuid() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = single(sandbox.webhook_url()).build().unwrap();
    let message = Payload::markdown("t", "x").at_mobiles(["1"]);
    let body = robot.check(&message).unwrap();
    robot.send(&message).await.unwrap();
    let received = &sandbox.received()[0];
    let uuid = received.msg_uuid().unwrap();
    assert_eq!(
        received
            .raw()
            .replace(&format!(",\"msgUuid\":\"{uuid}\""), ""),
        body
    );
}

#[tokio::test]
async fn server_failures_are_typed_and_retryable() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = single(sandbox.webhook_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let text = Payload::text("x");
    let send = || robot.send(&text);

    sandbox.fail_next(1, Fault::Status(502));
    let e = send().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Server, true));
    assert!(e.to_string().contains("502"), "{e}");

    // HTTP 200 with an answer that is not DingTalk's JSON.
    sandbox.fail_next(1, Fault::Status(200));
    let e = send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);

    sandbox.fail_next(1, Fault::Drop);
    let e = send().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.is_retryable()),
        (ErrorKind::Transport, true),
        "{e:?}"
    );

    sandbox.fail_next(1, Fault::answer(-1, "系统繁忙"));
    let e = send().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.errcode(), e.is_retryable()),
        (ErrorKind::Server, Some(-1), true)
    );
    assert!(sandbox.received().is_empty());

    // Accepted, but answered too late: the message is there; the client cannot know it.
    sandbox.fail_next(1, Fault::Delay(Duration::from_secs(2)));
    let e = send().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Timeout, true));
    assert_eq!(sandbox.received().len(), 1);

    send().await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
}

#[tokio::test]
async fn a_dead_endpoint_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let robot = single(format!("http://{addr}/robot/send?access_token=t"))
        .build()
        .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(std::error::Error::source(&e).is_some());
}

#[tokio::test]
async fn permanent_answers_are_typed_and_not_retryable() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    // Default retries: a permanent error is still one request.
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .build()
        .unwrap();
    let cases = [
        (400_102, "机器人已停用", ErrorKind::RobotDisabled),
        (400_106, "机器人不存在", ErrorKind::RobotNotFound),
        (400_013, "群已被解散", ErrorKind::GroupDissolved),
        (300_005, "token is not exist", ErrorKind::InvalidToken),
        (
            460_101,
            "message too long, exceed 20000 bytes",
            ErrorKind::PayloadTooLarge,
        ),
        (430_102, "unsafe text", ErrorKind::InvalidMessage),
        (88_888, "something new", ErrorKind::Api),
    ];
    for (i, (code, msg, kind)) in cases.into_iter().enumerate() {
        sandbox.fail_next(1, Fault::answer(code, msg));
        let e = robot.send(&Payload::text("x")).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.errcode(), e.errmsg()),
            (kind, Some(code), Some(msg))
        );
        assert!(!e.is_retryable(), "{e}");
        assert_eq!(sandbox.exchanges().len(), i + 1, "one request for {code}");
    }
}

#[tokio::test]
async fn configuration_is_checked_at_build() {
    for (webhook, secret) in [
        ("http://oapi.dingtalk.com/robot/send?access_token=t", None),
        ("https://oapi.dingtalk.com/robot/send", None),
        ("oapi.dingtalk.com/robot/send?access_token=t", None),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            Some("not-a-secret"),
        ),
    ] {
        let mut builder = Robot::builder(webhook);
        if let Some(secret) = secret {
            builder = builder.secret(secret);
        }
        let e = builder.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{webhook}");
    }
}

#[tokio::test]
async fn a_keyword_prefix_gets_every_kind_of_message_past_the_keyword_check() {
    let sandbox = dingtalk_sandbox::Sandbox::builder()
        .keywords(["ops"])
        .start()
        .await
        .unwrap();
    let robot = sandbox
        .robot_builder()
        .prefix_keyword("[ops] ")
        .build()
        .unwrap();
    let messages: Vec<dingtalk_bot::Payload> = vec![
        Payload::text("disk full on db-1").into(),
        Payload::markdown("Deploy", "### billing v2.4 is **live**").into(),
        Payload::link("Notes", "v2.4", "https://example.com/notes").into(),
        Payload::action_card("Leave", "Alice: 3 days")
            .button("Approve", "https://hr.example.com/1/yes")
            .into(),
        Payload::feed_card()
            .link("Notes", "https://example.com/notes", "")
            .into(),
    ];
    for message in &messages {
        robot.send(message).await.unwrap();
    }
    let received = sandbox.received();
    let seen: Vec<String> = received
        .iter()
        .map(|r| {
            let p = r.payload();
            p.title()
                .or(p.content())
                .or_else(|| p.as_feed_card().map(|f| f.link_list()[0].title()))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        seen,
        [
            "[ops] disk full on db-1",
            "[ops] Deploy",
            "[ops] Notes",
            "[ops] Leave",
            "[ops] Notes"
        ]
    );
    // Markdown is left as it is: the heading stays a heading.
    assert_eq!(
        received[1].payload().as_markdown().unwrap().text(),
        "### billing v2.4 is **live**"
    );
    // Without the prefix, the same robot's check refuses them, as DingTalk would.
    let plain = sandbox.robot_builder().build().unwrap();
    let e = plain.send(&messages[0]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeywordMismatch);
    // A prefix that holds none of the robot's keywords is a configuration error.
    let e = sandbox
        .robot_builder()
        .prefix_keyword("[dev] ")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(
        e.to_string()
            .contains("holds none of the robot's keywords (ops)"),
        "{e}"
    );
}
