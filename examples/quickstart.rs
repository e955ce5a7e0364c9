//! Sends a text, a markdown message with a mention and an action card, each declared as a type
//! with `#[derive(Message)]`, then shows how a refused message looks.
//!
//! With `DINGTALK_WEBHOOK` set (and `DINGTALK_SECRET`, `DINGTALK_KEYWORDS` where the robot has
//! them) it sends to that robot. Without it, it starts a local sandbox that enforces DingTalk's
//! rules, with a secret and a keyword, and sends there.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use std::error::Error;

use dingtalk_bot::{Message, Payload, Robot};
use dingtalk_sandbox::Sandbox;

/// A plain-text notice. `{tag}` carries the robot's keyword, which every message must hold.
#[derive(Message)]
#[dingtalk(text(content = "[{tag}] {service} passed {checks} health checks in {secs:.1}s"))]
struct HealthOk<'a> {
    tag: &'a str,
    service: &'a str,
    checks: u32,
    secs: f64,
}

/// A deploy notice in markdown. The on-call engineer is mentioned: `@<mobile>` is added to the
/// text, since DingTalk shows no mention otherwise. Values are escaped, so a commit message
/// cannot break the layout.
#[derive(Message)]
#[dingtalk(markdown(
    title = "[{tag}] {service} {version} deployed",
    text = "### {service} {version} is live\n\
            - commit: {commit}\n\
            - [release notes](https://example.com/releases/{version})\n\
            {#if note}\n\
            > {note}\n\
            {/if}"
))]
struct Deployed<'a> {
    tag: &'a str,
    service: &'a str,
    version: &'a str,
    commit: &'a str,
    note: Option<&'a str>,
    #[dingtalk(at_mobiles)]
    oncall: [&'a str; 1],
}

/// An approval card with two buttons side by side.
#[derive(Message)]
#[dingtalk(action_card(
    title = "[{tag}] Leave request from {who}",
    text = "### Leave request\n\n**{who}** asks for **{days} days** from {from}.",
    orientation = "horizontal"
))]
#[dingtalk(button(title = "Approve", url = "https://example.com/leave/{id}/approve"))]
#[dingtalk(button(title = "Reject", url = "https://example.com/leave/{id}/reject"))]
struct LeaveRequest<'a> {
    tag: &'a str,
    who: &'a str,
    days: u32,
    from: &'a str,
    id: u32,
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
    let tag = robot
        .keywords()
        .first()
        .map_or("quickstart", String::as_str);

    let health = HealthOk {
        tag,
        service: "billing-api",
        checks: 12,
        secs: 0.4321,
    };
    let deployed = Deployed {
        tag,
        service: "billing-api",
        version: "v2.4.1",
        commit: "fix *rounding* in #42",
        note: Some("rolled out to 100% of traffic"),
        oncall: ["13800000000"],
    };
    let leave = LeaveRequest {
        tag,
        who: "Alice",
        days: 3,
        from: "Monday",
        id: 42,
    };
    let messages: [(&str, &dyn Message); 3] = [
        ("text", &health),
        ("markdown with a mention", &deployed),
        ("action card", &leave),
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
        match impostor.send(&health).await {
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
