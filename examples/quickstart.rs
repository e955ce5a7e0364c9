//! Sends a text, a markdown message with a mention and an action card through a robot, then
//! shows how a refused message looks.
//!
//! With `DINGTALK_WEBHOOK` set (and `DINGTALK_SECRET`, `DINGTALK_KEYWORDS` where the robot has
//! them) it sends to that robot. Without it, it starts a local sandbox that enforces DingTalk's
//! rules, with a secret and a keyword, and sends there.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use std::error::Error;

use dingtalk::{ButtonOrientation, Message, Payload, Robot};
use dingtalk_sandbox::Sandbox;

/// A notification type of the application: it says what happened, `Message` says how it looks.
struct Deployed<'a> {
    tag: &'a str,
    service: &'a str,
    version: &'a str,
    oncall_mobile: &'a str,
}

impl Message for Deployed<'_> {
    fn to_payload(&self) -> Payload {
        Payload::markdown(
            format!("[{}] {} {} deployed", self.tag, self.service, self.version),
            format!(
                "### {} {} is live\n\n- stage: **production**\n- [release notes](https://example.com/{})",
                self.service, self.version, self.version
            ),
        )
        // The mention is added to the text as `@<mobile>`: DingTalk shows none otherwise.
        .at_mobiles([self.oncall_mobile])
        .into()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Keep the sandbox alive for the whole run: it stops when dropped.
    let (robot, sandbox) = match std::env::var("DINGTALK_WEBHOOK") {
        Ok(_) => {
            println!("sending to the robot in DINGTALK_WEBHOOK");
            (Robot::from_env()?, None)
        }
        Err(_) => {
            let sandbox = Sandbox::builder()
                .secret("SECquickstart0123456789")
                .keywords(["quickstart"])
                .start()
                .await?;
            println!(
                "no DINGTALK_WEBHOOK: started a local sandbox at {}",
                sandbox.base_url()
            );
            let robot = Robot::builder(sandbox.webhook_url())
                .secret("SECquickstart0123456789")
                .keywords(["quickstart"])
                .build()?;
            (robot, Some(sandbox))
        }
    };
    // Every message must hold one of the robot's keywords, where it has some.
    let tag = robot
        .keywords()
        .first()
        .map_or("quickstart", String::as_str);

    let text = Payload::text(format!("[{tag}] hello from dingtalk-rs"));
    let deployed = Deployed {
        tag,
        service: "billing-api",
        version: "v2.4.1",
        oncall_mobile: "13800000000",
    };
    let card = Payload::action_card(
        format!("[{tag}] Leave request"),
        "### Leave request\n\nAlice asks for **3 days** from Monday.",
    )
    .button("Approve", "https://example.com/leave/42/approve")
    .button("Reject", "https://example.com/leave/42/reject")
    .orientation(ButtonOrientation::Horizontal);

    let messages: [(&str, &dyn Message); 3] = [
        ("text", &text),
        ("markdown with a mention", &deployed),
        ("action card", &card),
    ];
    for (what, message) in messages {
        let receipt = robot.send(message).await?;
        println!(
            "sent the {what}: {} in {:?}",
            receipt.errmsg(),
            receipt.elapsed()
        );
    }

    if let Some(sandbox) = &sandbox {
        println!("\nthe sandbox received:");
        for received in sandbox.received() {
            println!("  {}", received.raw());
        }

        println!("\nsending with the wrong secret:");
        let impostor = Robot::builder(sandbox.webhook_url())
            .secret("SECwrong")
            .build()?;
        match impostor.send(&text).await {
            Ok(_) => println!("  unexpectedly accepted"),
            Err(e) => println!(
                "  refused: {e}\n  kind: {:?}, errcode: {:?}, retryable: {}",
                e.kind(),
                e.errcode(),
                e.is_retryable()
            ),
        }
    }

    println!("\nchecked before sending, nothing sent:");
    let too_long = Payload::text(format!("[{tag}] {}", "告警".repeat(4000)));
    if let Err(e) = robot.check(&too_long) {
        println!("  {:?}: {e}", e.kind());
    }
    Ok(())
}
