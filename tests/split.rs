//! A markdown message too long for DingTalk, split into parts (`Markdown::split`) and sent
//! through a robot to the sandbox: each part passes the robot's check and the sandbox's, and
//! they arrive in order, numbered, with the mentions on the last.

use std::time::Duration;

use dingtalk_bot::{ErrorKind, Payload};
use dingtalk_sandbox::Sandbox;
use serde_json::Value;

/// A nightly report of about 90 KB: a section per service (a heading, a list, a link, escapes
/// and entities, Chinese), then an access log in a fenced block longer than a message.
fn report() -> String {
    let mut report = String::from("# Nightly report\n\n");
    for i in 0..400 {
        report.push_str(&format!(
            "## Service {i}\n\n- status: **ok**\n- p99: {} ms\n- [logs](https://logs.example.com/{i}?q=a_(b))\n- owner: 张三\\_{i} &lt;ops&gt;\n\n",
            i * 7 % 500
        ));
    }
    report.push_str("```text\n");
    for i in 0..1_500 {
        report.push_str(&format!("{i:05} GET /api/orders 200 12ms\n"));
    }
    report.push_str("```\n\nend of report");
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_report_arrives_in_numbered_parts_in_order() {
    let sandbox = Sandbox::builder()
        .secret("SECsplit")
        .keywords(["nightly"])
        .start()
        .await
        .unwrap();
    let robot = sandbox.robot_builder().build().unwrap();
    let message = Payload::markdown("nightly report", report()).at_mobiles(["13800000000"]);
    let original = message.text().to_owned();
    let refused = robot.check(&message).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::PayloadTooLarge);

    let parts = message.split();
    let count = parts.len();
    assert!((5..=6).contains(&count), "{count} parts");
    for part in &parts {
        robot.check(part).unwrap();
    }
    // Queued one after another, delivered in that order.
    let mut deliveries = Vec::new();
    for part in &parts {
        deliveries.push(robot.post(part).await.unwrap());
    }
    for delivery in deliveries {
        delivery.await.unwrap();
    }
    let received = sandbox
        .wait_for(count, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(received.len(), count);

    let mut texts = Vec::new();
    for (i, (got, sent)) in received.iter().zip(&parts).enumerate() {
        let mut json = got.json();
        json.as_object_mut().unwrap().remove("msgUuid");
        let sent_json: Value =
            serde_json::from_str(&Payload::from(sent.clone()).to_json()).unwrap();
        assert_eq!(json, sent_json, "part {}", i + 1);
        assert_eq!(
            json["markdown"]["title"],
            format!("nightly report ({}/{count})", i + 1)
        );
        let last = i + 1 == count;
        assert_eq!(
            json.get("at").is_some(),
            last,
            "mentions on the last part only"
        );
        let text = json["markdown"]["text"].as_str().unwrap().to_owned();
        texts.push(if last {
            text.strip_suffix("\n\n@13800000000").unwrap().to_owned()
        } else {
            text
        });
    }
    assert_eq!(received[count - 1].payload().at_mobiles(), ["13800000000"]);

    // The texts are runs of the report, in order, but where the log's fence was cut: there a
    // part ends with a fence that closes it and the next starts with its opening line.
    let mut at = 0;
    let mut reopened = 0;
    let mut fence_cut = false;
    for text in &texts {
        let mut text = text.as_str();
        if std::mem::take(&mut fence_cut) {
            text = text.strip_prefix("```text").unwrap();
            text = text.trim_start_matches(' ').strip_prefix('\n').unwrap();
            reopened += 1;
        }
        if !original[at..].starts_with(text) {
            text = text.strip_suffix("```").unwrap();
            fence_cut = true;
        }
        assert!(
            original[at..].starts_with(text),
            "a part is not the next run"
        );
        at += text.len();
    }
    assert_eq!(at, original.len());
    assert!(reopened >= 1, "the log is longer than a message");
    // No link was cut: each is whole in one part.
    for i in 0..400 {
        let link = format!("[logs](https://logs.example.com/{i}?q=a_(b))");
        assert_eq!(
            texts.iter().filter(|t| t.contains(&link)).count(),
            1,
            "{link}"
        );
    }
}
