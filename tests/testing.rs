//! What an application's own tests use, each against a sandbox over real HTTP on loopback:
//! reading a message back (`Payload`'s accessors) and its exact body (`Message::to_json`).

use dingtalk_bot::spec::MsgType;
use dingtalk_bot::{ActionCard, FeedCard, Link, Markdown, Message, Payload, Robot, Text};
use dingtalk_sandbox::Sandbox;

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
