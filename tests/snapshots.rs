//! Snapshots of what notifications render, kept with insta in `tests/snapshots/`: the way the
//! testing guide (`dingtalk_bot::_testing`) shows. A change to a template or to the escaping
//! shows up as a diff to review (`cargo insta review`, or `INSTA_UPDATE=always cargo test`
//! and `git diff`), not as a failed `assert_eq!` on a long JSON string.

use std::time::Duration;

use dingtalk_bot::Message;
use dingtalk_sandbox::Sandbox;

#[derive(Message)]
#[dingtalk(markdown(
    title = "Deploy {service}: {status}",
    text = "### {service} {version}\n- status: **{status}**\n- by: {author}\n- [logs]({logs_url})"
))]
struct Deployed {
    service: &'static str,
    version: &'static str,
    status: &'static str,
    author: &'static str,
    logs_url: &'static str,
    #[dingtalk(at_mobiles)]
    oncall: Vec<&'static str>,
}

fn deployed() -> Deployed {
    Deployed {
        service: "billing",
        version: "v2.4",
        status: "ok",
        // Escaped where it would be markup.
        author: "*mallory* <script>",
        logs_url: "https://ci.example.com/runs/7",
        oncall: vec!["13800000000"],
    }
}

/// The markdown a reader sees, as written (the mention is added when it is sent): the most
/// readable snapshot of a layout. Its line breaks are DingTalk's, two spaces at the end of a
/// line: the snapshot file keeps them.
#[test]
fn deployed_markdown() {
    let payload = deployed().to_payload();
    assert_eq!(payload.title(), Some("Deploy billing: ok"));
    insta::assert_snapshot!(payload.content().unwrap());
}

/// The whole body but for the `msgUuid` a robot adds: the mention written into the text and
/// listed in `at`.
#[test]
fn deployed_body() {
    insta::assert_json_snapshot!("deployed_body", deployed().to_payload());
}

/// What the sandbox received is what the snapshot holds: the same snapshot.
#[tokio::test]
async fn the_sandbox_receives_the_snapshot() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    robot.send(&deployed()).await.unwrap();
    let received = sandbox.wait_for(1, Duration::from_secs(5)).await.unwrap();
    insta::assert_json_snapshot!("deployed_body", received[0].payload());
}
