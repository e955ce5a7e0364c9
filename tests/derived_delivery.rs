//! Derived messages sent through `Robot` to the sandbox, with a secret and a keyword.

use dingtalk_bot::{FeedLink, Message, Robot};
use dingtalk_sandbox::Sandbox;

#[derive(Message)]
#[dingtalk(markdown(
    title = "[deploy] {service} {version}",
    text = "### {service} {version}\n- by: {author}\n- [logs]({logs_url})"
))]
struct Deployed {
    service: &'static str,
    version: &'static str,
    author: &'static str,
    logs_url: &'static str,
    #[dingtalk(at_user_ids)]
    oncall: Vec<&'static str>,
}

#[derive(Message)]
#[dingtalk(action_card(
    title = "[deploy] approve {service}?",
    text = "{service} waits for approval"
))]
#[dingtalk(button(title = "Approve", url = "https://cd.example.com/{service}/approve"))]
#[dingtalk(button(title = "Reject", url = "https://cd.example.com/{service}/reject"))]
struct Approval {
    service: &'static str,
}

#[tokio::test]
async fn derived_messages_pass_the_sandbox_exactly_as_rendered() {
    let sandbox = Sandbox::builder()
        .secret("SECderived")
        .keywords(["[deploy]"])
        .start()
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .secret("SECderived")
        .keywords(["[deploy]"])
        .build()
        .unwrap();
    let deployed = Deployed {
        service: "billing",
        version: "v2",
        author: "**mallory** # <font color=red>",
        logs_url: "https://ci.example.com/1",
        oncall: vec!["manager01"],
    };
    let approval = Approval {
        service: "billing api",
    };
    robot.send(&deployed).await.unwrap();
    robot.send(&approval).await.unwrap();

    let received = sandbox.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].payload().to_json(),
        deployed.to_payload().to_json()
    );
    assert_eq!(
        received[1].payload().to_json(),
        approval.to_payload().to_json()
    );
    let text = received[0].json()["markdown"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("\\*\\*mallory\\*\\* # &lt;font color=red&gt;"),
        "{text}"
    );
    assert!(text.ends_with("\n\n@manager01"), "{text}");
    assert_eq!(
        received[1].json()["actionCard"]["btns"][0]["actionURL"],
        "https://cd.example.com/billing%20api/approve"
    );
}

struct Release {
    name: &'static str,
    notes: &'static str,
}

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(feed_link(
    each = "releases as r",
    title = "[deploy] {r.name}",
    message_url = "https://cd.example.com/notes/{r.notes}",
    pic_url = "https://cd.example.com/{r.name}.png"
))]
struct Releases {
    releases: Vec<Release>,
    #[dingtalk(feed_links)]
    more: Vec<FeedLink>,
}

#[derive(Message)]
#[dingtalk(
    markdown(
        title = "[deploy] {service} rolled back",
        text = "**{service}** rolled back"
    ),
    at_user_ids = "manager01",
    at_mobiles = "13800000000"
)]
struct RolledBack {
    service: &'static str,
}

#[derive(Message)]
enum DeployEvent {
    #[dingtalk(transparent)]
    Released(Releases),
    #[dingtalk(transparent)]
    RolledBack(RolledBack),
}

#[tokio::test]
async fn feed_cards_transparent_variants_and_static_mentions_pass_the_sandbox() {
    let sandbox = Sandbox::builder()
        .secret("SECderived")
        .keywords(["[deploy]"])
        .start()
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .secret("SECderived")
        .keywords(["[deploy]"])
        .build()
        .unwrap();
    let released = DeployEvent::Released(Releases {
        releases: vec![
            Release {
                name: "billing",
                notes: "v2 notes",
            },
            Release {
                name: "api",
                notes: "v7",
            },
        ],
        more: vec![FeedLink::new(
            "[deploy] all releases",
            "https://cd.example.com/releases",
            "",
        )],
    });
    let rolled_back = DeployEvent::RolledBack(RolledBack { service: "billing" });
    robot.send(&released).await.unwrap();
    robot.send(&rolled_back).await.unwrap();

    let received = sandbox.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].payload().to_json(),
        released.to_payload().to_json()
    );
    assert_eq!(
        received[0].json()["feedCard"]["links"][0]["messageURL"],
        "https://cd.example.com/notes/v2%20notes"
    );
    assert_eq!(
        received[0].json()["feedCard"]["links"][2]["title"],
        "[deploy] all releases"
    );
    assert_eq!(
        received[1].payload().to_json(),
        rolled_back.to_payload().to_json()
    );
    assert_eq!(
        received[1].json()["markdown"]["text"],
        "**billing** rolled back\n\n@13800000000 @manager01"
    );
    assert_eq!(received[1].json()["at"]["atUserIds"][0], "manager01");
}
