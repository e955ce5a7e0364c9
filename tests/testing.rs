//! What an application's own tests use, each against a sandbox over real HTTP on loopback: a
//! robot made for the sandbox (`Sandbox::robot_builder`), waiting for what it received
//! (`wait_for`, `next_received`), reading a message back (`Payload`'s accessors) and its exact
//! body (`Message::to_json`), and a robot configured without changing the process's
//! environment (`Robot::from_lookup`; `from_env` and `from_env_prefixed` in a child process).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dingtalk_bot::spec::MsgType;
use dingtalk_bot::{
    ActionCard, ErrorKind, FeedCard, Link, Markdown, Message, Payload, Robot, Text,
};
use dingtalk_sandbox::{Received, Sandbox};

fn content(received: &Received) -> &str {
    received.payload().content().unwrap()
}

/// The body as it arrived, less the `msgUuid` the robot added.
fn without_msg_uuid(raw: &str) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert!(json.as_object_mut().unwrap().remove("msgUuid").is_some());
    json
}

#[tokio::test]
async fn a_received_message_reads_back_through_its_accessors() {
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .build()
        .unwrap();
    let sent: Vec<Payload> = vec![
        Payload::text("disk full on db-1")
            .at_mobiles(["13800000000"])
            .at_all()
            .into(),
        Payload::markdown("Deploy", "### billing is **live**")
            .at_user_ids(["manager01"])
            .into(),
        Payload::link("Release notes", "v2.4", "https://example.com/notes")
            .pic_url("https://example.com/n.png")
            .into(),
        Payload::action_card("Leave", "Alice asks for **3 days**")
            .button("Approve", "https://hr.example.com/1/yes")
            .button("Reject", "https://hr.example.com/1/no")
            .into(),
        Payload::feed_card()
            .link(
                "Notes",
                "https://example.com/notes",
                "https://example.com/n.png",
            )
            .into(),
    ];
    for payload in &sent {
        robot.send(payload).await.unwrap();
    }
    let received: Vec<Payload> = sandbox
        .received()
        .iter()
        .map(|r| r.payload().clone())
        .collect();
    let [text, markdown, link, card, feed] = received.as_slice() else {
        panic!("five messages, not {}", received.len());
    };

    // As it arrived: the robot wrote the mention into the text.
    assert_eq!(text.msgtype(), MsgType::Text);
    assert_eq!(text.title(), None);
    assert_eq!(text.content(), Some("disk full on db-1 @13800000000"));
    assert_eq!(text.as_text().map(Text::content), text.content());
    assert_eq!(text.at_mobiles(), ["13800000000"]);
    assert!(text.at_user_ids().is_empty());
    assert!(text.is_at_all());
    // As written, before sending: without it.
    assert_eq!(sent[0].content(), Some("disk full on db-1"));

    assert_eq!(markdown.title(), Some("Deploy"));
    assert_eq!(
        markdown.content(),
        Some("### billing is **live**\n\n@manager01")
    );
    assert_eq!(markdown.as_markdown().map(Markdown::title), Some("Deploy"));
    assert_eq!(markdown.at_user_ids(), ["manager01"]);
    assert!(markdown.at_mobiles().is_empty());
    assert!(!markdown.is_at_all());

    assert_eq!(link.title(), Some("Release notes"));
    assert_eq!(link.content(), Some("v2.4"));
    assert_eq!(link.as_link().map(Link::title), link.title());
    let as_link = link.as_link().unwrap();
    assert_eq!(as_link.message_url(), "https://example.com/notes");
    assert_eq!(as_link.picture_url(), "https://example.com/n.png");
    // No mentions on the types DingTalk does not mention from.
    assert!(link.at_mobiles().is_empty() && link.at_user_ids().is_empty());
    assert!(!link.is_at_all());

    assert_eq!(card.title(), Some("Leave"));
    assert_eq!(card.as_action_card().map(ActionCard::text), card.content());
    assert_eq!(card.content(), Some("Alice asks for **3 days**"));
    let buttons: Vec<&str> = card
        .as_action_card()
        .unwrap()
        .button_list()
        .iter()
        .map(|b| b.title())
        .collect();
    assert_eq!(buttons, ["Approve", "Reject"]);

    assert_eq!(feed.title(), None);
    assert_eq!(feed.content(), None);
    let entries = feed.as_feed_card().map(FeedCard::link_list).unwrap();
    assert_eq!(entries[0].title(), "Notes");

    // Each payload is exactly one type.
    for payload in &received {
        let kinds = [
            payload.as_text().is_some(),
            payload.as_markdown().is_some(),
            payload.as_link().is_some(),
            payload.as_action_card().is_some(),
            payload.as_feed_card().is_some(),
        ];
        assert_eq!(kinds.iter().filter(|&&k| k).count(), 1, "{payload:?}");
    }
}

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy {service}", text = "### {service} is **live**"))]
struct Deployed {
    service: &'static str,
    #[dingtalk(at_mobiles)]
    oncall: Vec<&'static str>,
}

/// What a helper generic over messages sees.
fn body_of<M: Message>(message: &M) -> String {
    message.to_json()
}

#[tokio::test]
async fn to_json_is_the_body_sent_for_builders_payloads_and_derived_types() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url()).build().unwrap();
    let deployed = Deployed {
        service: "billing",
        oncall: vec!["13800000000"],
    };
    let hi = Payload::text("hi");
    let hi_payload = Payload::from(hi.clone());

    assert_eq!(
        deployed.to_json(),
        r####"{"msgtype":"markdown","markdown":{"title":"Deploy billing","text":"### billing is **live**\n\n@13800000000"},"at":{"atMobiles":["13800000000"]}}"####
    );
    let hi_json = r#"{"msgtype":"text","text":{"content":"hi"}}"#;
    // The trait's method on a builder, the inherent one on a payload, the trait's on a
    // payload and through a generic helper: one JSON.
    assert_eq!(hi.to_json(), hi_json);
    assert_eq!(hi_payload.to_json(), hi_json);
    assert_eq!(<Payload as Message>::to_json(&hi_payload), hi_json);
    assert_eq!(body_of(&hi), hi_json);
    assert_eq!(body_of(&&deployed), deployed.to_json());
    assert_eq!(deployed.to_payload().to_json(), deployed.to_json());

    robot.send(&deployed).await.unwrap();
    robot.send(&hi).await.unwrap();
    let received = sandbox.received();
    // What arrived is what `to_json` said, and the robot's `msgUuid`.
    assert_eq!(
        without_msg_uuid(received[0].raw()),
        serde_json::from_str::<serde_json::Value>(&deployed.to_json()).unwrap()
    );
    assert_eq!(
        without_msg_uuid(received[1].raw()),
        serde_json::from_str::<serde_json::Value>(hi_json).unwrap()
    );
    assert_eq!(received[0].payload().to_json(), deployed.to_json());
}

#[tokio::test]
async fn a_robot_from_the_sandbox_has_its_secret_keywords_and_limit() {
    let window = Duration::from_millis(300);
    // Throttled for an hour: a robot that broke the limit once would fail the test.
    let sandbox = Sandbox::builder()
        .secret("SECtesting")
        .keywords(["deploy"])
        .rate_limit(3, window)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    let start = Instant::now();
    for i in 0..5 {
        // Signed with the sandbox's secret, or it would be refused.
        robot
            .send(&Payload::text(format!("deploy {i}")))
            .await
            .unwrap();
    }
    // The fourth waited for a place in the window, on the robot's side.
    assert!(start.elapsed() >= window, "{:?}", start.elapsed());
    assert!(!sandbox.is_throttled());
    assert_eq!(sandbox.received().len(), 5);
    // The robot knows the keywords: a message without one is refused before it is sent.
    let e = robot.send(&Payload::text("hello")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeywordMismatch);
    assert_eq!(sandbox.exchanges().len(), 5, "nothing more was sent");
}

#[tokio::test]
async fn a_sandbox_without_a_limit_gives_a_robot_without_one() {
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    // DingTalk's 20 a minute would hold the 21st for a minute.
    for i in 0..30 {
        drop(robot.post(&Payload::text(format!("{i}"))).await.unwrap());
    }
    let received = sandbox.wait_for(30, Duration::from_secs(10)).await.unwrap();
    assert_eq!(content(&received[29]), "29");
}

#[tokio::test]
async fn wait_for_returns_once_enough_arrived_and_wakes_on_arrival() {
    let sandbox = Arc::new(Sandbox::builder().start().await.unwrap());
    let robot = sandbox.robot_builder().build().unwrap();
    for text in ["one", "two", "three"] {
        drop(robot.post(&Payload::text(text)).await.unwrap());
    }
    let received = sandbox.wait_for(3, Duration::from_secs(10)).await.unwrap();
    let texts: Vec<&str> = received.iter().map(content).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    // At least: all it holds.
    assert_eq!(sandbox.wait_for(2, Duration::ZERO).await.unwrap().len(), 3);

    // A message sent while it waits ends the wait at once, not at the timeout.
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        robot.send(&Payload::text("four")).await.unwrap();
        Instant::now()
    });
    let received = sandbox.wait_for(4, Duration::from_secs(30)).await.unwrap();
    let woken = Instant::now();
    let sent = late.await.unwrap();
    assert_eq!(content(&received[3]), "four");
    assert!(woken.duration_since(sent) < Duration::from_secs(1));
}

#[tokio::test]
async fn a_wait_that_times_out_says_what_the_sandbox_refused() {
    let sandbox = Sandbox::builder()
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    // Built without the keywords, so that the sandbox is the one to refuse.
    let robot = Robot::builder(sandbox.webhook_url()).build().unwrap();
    robot.send(&Payload::text("deploy ok")).await.unwrap();
    let e = robot.send(&Payload::text("hello")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeywordMismatch);

    let start = Instant::now();
    let e = sandbox
        .wait_for(2, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert!(e.is_timeout());
    assert_eq!(e.wanted(), 2);
    assert_eq!(e.received().len(), 1);
    assert_eq!(e.refused()[0].errcode, Some(310_000));
    assert_eq!(
        e.to_string(),
        "waited 200ms for 2 messages; the sandbox accepted 1; the latest it refused: \
         `POST /robot/send 200 errcode=310000 keywords not in content`"
    );

    // Cleared with the messages.
    sandbox.clear_received();
    let e = sandbox
        .wait_for(1, Duration::from_millis(10))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "waited 10ms for 1 message; the sandbox accepted 0 and refused none"
    );
}

#[tokio::test]
async fn waiting_for_more_than_the_sandbox_remembers_fails_at_once() {
    let sandbox = Sandbox::builder().history(2).start().await.unwrap();
    let start = Instant::now();
    let e = sandbox
        .wait_for(3, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(!e.is_timeout());
    assert_eq!(
        e.to_string(),
        "cannot wait for 3 messages: the sandbox remembers only the latest 2 \
         (see `SandboxBuilder::history`)"
    );
}

/// With tokio's clock paused, the robot lives through two minutes of rate limit at once;
/// `wait_for`'s limit is on the wall clock, so it neither ends first nor takes minutes.
#[tokio::test(start_paused = true)]
async fn wait_for_under_a_paused_clock() {
    let sandbox = Sandbox::builder()
        .rate_limit(2, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    let wall = Instant::now();
    let virtual_start = tokio::time::Instant::now();
    for i in 0..5 {
        drop(robot.post(&Payload::text(format!("{i}"))).await.unwrap());
    }
    let received = sandbox.wait_for(5, Duration::from_secs(10)).await.unwrap();
    assert_eq!(received.len(), 5);
    assert!(virtual_start.elapsed() >= Duration::from_secs(120));
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "{:?}",
        wall.elapsed()
    );
    assert!(!sandbox.is_throttled());
}

#[tokio::test]
async fn next_received_takes_each_message_once_in_order() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    // Arrived before the first call: still the first taken.
    robot.send(&Payload::text("a")).await.unwrap();
    let later = robot.clone();
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        later.send(&Payload::text("b")).await.unwrap();
    });
    assert_eq!(content(&sandbox.next_received().await), "a");
    // Arrives while it waits.
    assert_eq!(content(&sandbox.next_received().await), "b");
    sender.await.unwrap();

    // A call given up takes nothing.
    let given_up = tokio::time::timeout(Duration::from_millis(50), sandbox.next_received()).await;
    assert!(given_up.is_err());
    robot.send(&Payload::text("c")).await.unwrap();
    assert_eq!(content(&sandbox.next_received().await), "c");

    // Cleared messages are skipped; `received` is not changed by taking.
    robot.send(&Payload::text("d")).await.unwrap();
    sandbox.clear_received();
    robot.send(&Payload::text("e")).await.unwrap();
    assert_eq!(content(&sandbox.next_received().await), "e");
    assert_eq!(sandbox.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_of_next_received_share_the_messages() {
    let sandbox = Arc::new(Sandbox::builder().start().await.unwrap());
    let robot = sandbox.robot_builder().build().unwrap();
    let takers: Vec<_> = (0..4)
        .map(|_| {
            let sandbox = Arc::clone(&sandbox);
            tokio::spawn(async move { content(&sandbox.next_received().await).to_owned() })
        })
        .collect();
    for i in 0..4 {
        robot.send(&Payload::text(format!("{i}"))).await.unwrap();
    }
    let mut taken = Vec::new();
    for taker in takers {
        taken.push(taker.await.unwrap());
    }
    taken.sort();
    assert_eq!(taken, ["0", "1", "2", "3"]);
}

#[tokio::test]
async fn next_received_skips_what_the_history_forgot() {
    let sandbox = Sandbox::builder().history(2).start().await.unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    for text in ["first", "second", "third"] {
        robot.send(&Payload::text(text)).await.unwrap();
    }
    assert_eq!(content(&sandbox.next_received().await), "second");
    assert_eq!(content(&sandbox.next_received().await), "third");
}

#[tokio::test]
async fn a_robot_from_a_lookup_sends_to_the_sandbox() {
    let sandbox = Sandbox::builder()
        .secret("SEClookup")
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    let webhook = sandbox.webhook_url();
    let robot = Robot::from_lookup(|name| match name {
        "DINGTALK_WEBHOOK" => Some(webhook.clone()),
        "DINGTALK_SECRET" => Some("SEClookup".to_owned()),
        "DINGTALK_KEYWORDS" => Some("deploy，release".to_owned()),
        _ => None,
    })
    .unwrap();
    assert_eq!(robot.keywords(), ["deploy", "release"]);
    robot.send(&Payload::text("deploy done")).await.unwrap();
    assert_eq!(content(&sandbox.next_received().await), "deploy done");

    let e = Robot::from_lookup(|_| None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.to_string().contains("DINGTALK_WEBHOOK is not set"), "{e}");
}

/// Set in the child process that `robots_from_the_environment` starts.
const CHILD: &str = "DINGTALK_TESTING_CHILD";

/// `Robot::from_env` and `Robot::from_env_prefixed` read the real environment, which a test
/// must not change (`set_var` races with every thread that reads it): this test runs
/// `robots_from_the_environment_child` in a process of its own with the variables set, and
/// that process sends to two sandboxes of this one over loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_from_the_environment() {
    let plain = Sandbox::builder()
        .secret("SECplain")
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    let ops = Sandbox::builder()
        .secret("SECops")
        .keywords(["告警"])
        .start()
        .await
        .unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "robots_from_the_environment_child"])
        .args(["--ignored", "--nocapture"])
        .env(CHILD, "1")
        .env("DINGTALK_WEBHOOK", plain.webhook_url())
        .env("DINGTALK_SECRET", "SECplain")
        .env("DINGTALK_KEYWORDS", "deploy")
        .env("OPS_DINGTALK_WEBHOOK", ops.webhook_url())
        .env("OPS_DINGTALK_SECRET", "SECops")
        .env("OPS_DINGTALK_KEYWORDS", "告警");
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .unwrap()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("1 passed"), "the child test ran: {shown}");
    let plain_received = plain.wait_for(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(content(&plain_received[0]), "deploy from DINGTALK_*");
    let ops_received = ops.wait_for(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(content(&ops_received[0]), "告警 from OPS_DINGTALK_*");
}

#[tokio::test]
#[ignore = "run by `robots_from_the_environment`, in a process of its own"]
async fn robots_from_the_environment_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let plain = Robot::from_env().unwrap();
    assert_eq!(plain.keywords(), ["deploy"]);
    plain
        .send(&Payload::text("deploy from DINGTALK_*"))
        .await
        .unwrap();
    // Its own secret and keywords, not those of `DINGTALK_*`, or the sandbox would refuse it.
    let ops = Robot::from_env_prefixed("OPS").unwrap();
    assert_eq!(ops.keywords(), ["告警"]);
    ops.send(&Payload::text("告警 from OPS_DINGTALK_*"))
        .await
        .unwrap();
    let e = Robot::from_env_prefixed("NOBODY").unwrap_err();
    assert!(
        e.to_string().contains("NOBODY_DINGTALK_WEBHOOK is not set"),
        "{e}"
    );
}
