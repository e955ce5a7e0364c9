//! Delivery against the sandbox: rate limits, throttles, retries, idempotency, spreading,
//! digests, failure notices and shutdown. Time is scaled down (20 per 100 ms, throttles of a
//! few hundred milliseconds), never real minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_bot::spec::MsgType;
use dingtalk_bot::{ErrorKind, Payload, QueuePolicy, RetryPolicy, Robot, Spread};
use dingtalk_sandbox::{Fault, Sandbox};

/// 32 lowercase hex digits, as every `msgUuid` is.
fn is_msg_uuid(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn throttles(sandbox: &Sandbox) -> usize {
    sandbox
        .exchanges()
        .iter()
        .filter(|e| e.errcode == Some(130_101))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_from_fifty_tasks_within_the_limit_and_in_order() {
    let window = Duration::from_millis(100);
    // The sandbox throttles for an hour: one broken window would fail the test.
    let sandbox = Sandbox::builder()
        .rate_limit(20, window)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(20, window)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|task| {
            let robot = robot.clone();
            tokio::spawn(async move {
                for i in 0..20 {
                    let text = Payload::text(format!("task {task} message {i}"));
                    robot.send(&text).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let received = sandbox.received();
    assert_eq!(received.len(), 1000);
    assert_eq!(throttles(&sandbox), 0);
    assert!(sandbox.busiest_window(window) <= 20);
    // Each task's messages arrive in the order it sent them.
    let mut last: HashMap<u32, i32> = HashMap::new();
    for r in &received {
        let json = r.json();
        let text = json["text"]["content"].as_str().unwrap();
        let words: Vec<&str> = text.split(' ').collect();
        let (task, i): (u32, i32) = (words[1].parse().unwrap(), words[3].parse().unwrap());
        let previous = last.insert(task, i).unwrap_or(-1);
        assert_eq!(i, previous + 1, "task {task}");
    }
}

#[tokio::test]
async fn every_message_arrives_exactly_once_through_thirty_percent_failures() {
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    sandbox.fail_randomly(
        0.3,
        [
            Fault::Status(502),
            Fault::Status(503),
            Fault::Drop,
            // Accepted, but answered after the client gave up: its retry must not post twice.
            Fault::Delay(Duration::from_millis(400)),
            Fault::answer(-1, "系统繁忙"),
        ],
        7,
    );
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .timeout(Duration::from_millis(150))
        .retry(
            RetryPolicy::default()
                .max_attempts(20)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(40)),
        )
        .build()
        .unwrap();
    let mut retried = 0;
    for i in 0..100 {
        let receipt = robot
            .send(&Payload::text(format!("message {i}")))
            .await
            .unwrap();
        retried += usize::from(receipt.attempts() > 1);
    }
    let received = sandbox.received();
    let texts: Vec<String> = received
        .iter()
        .map(|r| r.json()["text"]["content"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..100).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected, "each once, in order");
    let exchanges = sandbox.exchanges();
    assert!(exchanges.iter().filter(|e| e.fault.is_some()).count() > 15);
    assert!(
        exchanges.iter().any(|e| e.duplicate),
        "a late answer's retry was deduplicated"
    );
    assert!(retried > 10);
}

#[tokio::test]
async fn a_permanent_error_is_one_request_and_its_error() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url()).build().unwrap();
    sandbox.fail_next(1, Fault::answer(400_102, "机器人已停用"));
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotDisabled);
    assert_eq!(sandbox.exchanges().len(), 1);
}

#[tokio::test]
async fn an_expired_timestamp_is_signed_again_once() {
    let sandbox = Sandbox::builder()
        .secret("SECclock")
        .clock_offset_ms(2 * 3600 * 1000)
        .start()
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .secret("SECclock")
        .build()
        .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimestampExpired);
    assert_eq!(sandbox.exchanges().len(), 2);
}

#[tokio::test]
async fn a_throttle_holds_the_robot_then_delivers_what_met_it() {
    // DingTalk's rule at a smaller scale: over 3 in 10 s throttles for 300 ms.
    let sandbox = Sandbox::builder()
        .rate_limit(3, Duration::from_secs(10))
        .penalty(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    // This client does not know the limit (another sender shares the robot, say).
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .throttle_penalty(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut deliveries = Vec::new();
    for i in 0..5 {
        deliveries.push(robot.post(&Payload::text(format!("m{i}"))).await.unwrap());
    }
    let mut receipts = Vec::new();
    for delivery in deliveries {
        receipts.push(delivery.await.unwrap());
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(
        throttles(&sandbox),
        1,
        "one throttle answer, then the robot held"
    );
    assert_eq!(receipts[3].attempts(), 2);
    // The hold begins when the throttle answer arrives, a little before the wait is timed.
    assert!(receipts[3].waited() >= Duration::from_millis(390));
    let texts: Vec<String> = sandbox
        .received()
        .iter()
        .map(|r| r.json()["text"]["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn a_robot_that_fails_when_throttled_sends_nothing_until_the_throttle_ends() {
    let sandbox = Sandbox::builder()
        .rate_limit(2, Duration::from_secs(10))
        .penalty(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    // This client does not know the limit, and will not wait a throttle out.
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .throttle_penalty(Duration::from_millis(600))
        .fail_when_throttled()
        .build()
        .unwrap();
    for i in 0..2 {
        robot.send(&Payload::text(format!("m{i}"))).await.unwrap();
    }
    let throttled = robot.send(&Payload::text("m2")).await.unwrap_err();
    assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    assert_eq!(
        throttled.errcode(),
        Some(130_101),
        "DingTalk's answer: {throttled}"
    );
    assert_eq!(sandbox.exchanges().len(), 3);

    // While the hold lasts nothing reaches DingTalk: it would only prolong the throttle.
    let held = robot.send(&Payload::text("m3")).await.unwrap_err();
    assert_eq!(held.kind(), ErrorKind::RateLimited);
    assert_eq!(held.errcode(), None, "refused before sending: {held}");
    assert!(held.to_string().contains("throttles this robot"), "{held}");
    assert_eq!(sandbox.exchanges().len(), 3, "m3 was never sent");

    // Once the penalty has passed, sends go out again.
    tokio::time::sleep(Duration::from_millis(650)).await;
    let receipt = robot.send(&Payload::text("m4")).await.unwrap();
    assert_eq!(receipt.attempts(), 1);
    assert_eq!(throttles(&sandbox), 1);
}

#[tokio::test]
async fn a_message_given_up_for_want_of_a_place_does_not_hold_the_robot() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(1, Duration::from_millis(300))
        .limit_wait(Duration::ZERO)
        .build()
        .unwrap();
    robot.send(&Payload::text("m0")).await.unwrap();
    let full = robot.send(&Payload::text("m1")).await.unwrap_err();
    assert_eq!(full.kind(), ErrorKind::RateLimited);
    assert!(full.to_string().contains("is full"), "{full}");
    assert_eq!(sandbox.received().len(), 1, "m1 was never sent");

    // A full limit is not a throttle: once the place comes back, the next message goes at
    // once, not after the ten-minute penalty.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let receipt = tokio::time::timeout(Duration::from_secs(5), robot.send(&Payload::text("m2")))
        .await
        .expect("the robot is not held")
        .unwrap();
    assert!(receipt.waited() < Duration::from_secs(1));
}

#[tokio::test]
async fn flush_waits_for_the_backlog_and_dropping_the_robot_loses_nothing() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(2, Duration::from_millis(150))
        .build()
        .unwrap();
    for i in 0..6 {
        // Queued and let go: nobody awaits these deliveries.
        drop(robot.post(&Payload::text(format!("a{i}"))).await.unwrap());
    }
    let e = robot.flush(Duration::from_millis(50)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("still queued"), "{e}");
    robot.flush(Duration::from_secs(5)).await.unwrap();
    assert_eq!(robot.queued(), 0);
    assert_eq!(sandbox.received().len(), 6);

    for i in 0..4 {
        drop(robot.post(&Payload::text(format!("b{i}"))).await.unwrap());
    }
    drop(robot);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while sandbox.received().len() < 10 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sandbox.received().len(), 10);
}

#[tokio::test]
async fn close_delivers_the_backlog_of_the_last_clone_and_only_drops_another() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(2, Duration::from_millis(150))
        .build()
        .unwrap();
    for i in 0..6 {
        drop(robot.post(&Payload::text(format!("a{i}"))).await.unwrap());
    }
    // Another clone is alive: this one goes, and nothing waits.
    robot.clone().close(Duration::ZERO).await.unwrap();
    assert!(robot.queued() > 0);
    robot
        .post(&Payload::text("a6"))
        .await
        .unwrap()
        .await
        .unwrap();
    // The last: its backlog is delivered before it returns.
    robot.close(Duration::from_secs(5)).await.unwrap();
    assert_eq!(sandbox.received().len(), 7);

    // A deadline too short says how many were left; they are still delivered.
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(2, Duration::from_millis(150))
        .build()
        .unwrap();
    for i in 0..6 {
        drop(robot.post(&Payload::text(format!("b{i}"))).await.unwrap());
    }
    let e = robot.close(Duration::from_millis(50)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("still queued"), "{e}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while sandbox.received().len() < 13 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sandbox.received().len(), 13);
}

#[tokio::test]
async fn a_full_queue_fails_at_once_when_asked() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(1, Duration::from_secs(60))
        .queue(2, QueuePolicy::Fail)
        .build()
        .unwrap();
    let first = robot.post(&Payload::text("sent")).await.unwrap();
    first.await.unwrap();
    // The limit is spent: the next waits in the worker, two more fill the queue.
    let _waiting = robot.post(&Payload::text("waits")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _a = robot.post(&Payload::text("q1")).await.unwrap();
    let _b = robot.post(&Payload::text("q2")).await.unwrap();
    let e = robot
        .post(&Payload::text("one too many"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull);
}

#[tokio::test]
async fn an_overflowing_queue_is_merged_into_a_digest() {
    let sandbox = Sandbox::builder().keywords(["告警"]).start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .keywords(["告警"])
        .rate_limit(1, Duration::from_millis(300))
        .queue(3, QueuePolicy::Digest)
        .build()
        .unwrap();
    let first = robot.post(&Payload::text("告警 0")).await.unwrap();
    first.await.unwrap();
    let second = robot.post(&Payload::text("告警 1")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut rest = Vec::new();
    for i in 2..7 {
        let alert = Payload::markdown(format!("告警 {i}"), format!("disk **9{i}%**"))
            .at_mobiles([format!("13{i}")]);
        rest.push(robot.post(&alert).await.unwrap());
    }
    second.await.unwrap();
    let mut merged = Vec::new();
    for delivery in rest {
        merged.push(delivery.await.unwrap().merged());
    }
    // The queue held 3; the 4th overflowed it into one digest; the 5th queued behind it.
    assert_eq!(merged, [4, 4, 4, 4, 1]);
    let received = sandbox.received();
    assert_eq!(received.len(), 4);
    for r in &received {
        assert!(is_msg_uuid(r.msg_uuid().unwrap()), "{:?}", r.msg_uuid());
    }
    let digest = received[2].json();
    assert_eq!(digest["markdown"]["title"], "4 messages");
    let text = digest["markdown"]["text"].as_str().unwrap();
    for i in 2..6 {
        assert!(
            text.contains(&format!("#### 告警 {i}\n\ndisk **9{i}%**")),
            "{text}"
        );
    }
    assert_eq!(
        digest["at"]["atMobiles"],
        serde_json::json!(["132", "133", "134", "135"])
    );
}

#[tokio::test]
async fn a_spread_sends_past_one_robots_limit() {
    let window = Duration::from_secs(30);
    let a = Sandbox::builder()
        .access_token("a")
        .rate_limit(3, window)
        .start()
        .await
        .unwrap();
    let b = Sandbox::builder()
        .access_token("b")
        .rate_limit(3, window)
        .start()
        .await
        .unwrap();
    let spread = Spread::new([
        Robot::builder(a.webhook_url())
            .rate_limit(3, window)
            .build()
            .unwrap(),
        Robot::builder(b.webhook_url())
            .rate_limit(3, window)
            .build()
            .unwrap(),
    ])
    .unwrap();
    let started = tokio::time::Instant::now();
    for i in 0..6 {
        spread.send(&Payload::text(format!("m{i}"))).await.unwrap();
    }
    // Six messages, three per robot, none waiting out a 30 s window.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!((a.received().len(), b.received().len()), (3, 3));
    assert_eq!(throttles(&a) + throttles(&b), 0);
    spread.flush(Duration::from_secs(1)).await.unwrap();

    // Every place of both robots is taken: a message that must go within 50 ms does not go.
    let e = spread
        .send_within(&Payload::text("too late"), Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    let late = spread
        .post_within(&Payload::text("too late too"), Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(late.await.unwrap_err().kind(), ErrorKind::Expired);
    assert_eq!((a.received().len(), b.received().len()), (3, 3));
}

#[tokio::test]
async fn final_failures_reach_the_hook_and_the_fallback_robot() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let ops = Sandbox::builder()
        .access_token("ops")
        .start()
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = Arc::clone(&seen);
    let robot = Robot::builder(sandbox.webhook_url())
        .name("alerts")
        .fallback(Robot::builder(ops.webhook_url()).build().unwrap())
        .on_failure(move |payload, error| {
            hook_seen
                .lock()
                .unwrap()
                .push((payload.msgtype(), error.kind()));
        })
        .build()
        .unwrap();
    sandbox.fail_next(1, Fault::answer(400_106, "机器人不存在"));
    let e = robot
        .send(&Payload::text("disk full\non db_1"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotNotFound);
    assert_eq!(
        *seen.lock().unwrap(),
        [(MsgType::Text, ErrorKind::RobotNotFound)]
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while ops.received().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = ops.received();
    let notice = received[0].json();
    assert_eq!(
        notice["markdown"]["title"],
        "A message to alerts was not delivered"
    );
    let text = notice["markdown"]["text"].as_str().unwrap();
    // The preview is quoted line by line, each a line of its own, escaped to show as written.
    assert!(
        text.contains("机器人不存在") && text.ends_with("\n\n> disk full  \n> on db\\_1"),
        "{text}"
    );
}

#[tokio::test]
async fn failure_notices_never_wait_for_a_busy_fallback() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let ops = Sandbox::builder()
        .access_token("ops-busy")
        .start()
        .await
        .unwrap();
    // The fallback's limit is spent and its queue holds one: it can take two notices (one
    // waiting for the limit, one queued), not five.
    let window = Duration::from_millis(500);
    let fallback = Robot::builder(ops.webhook_url())
        .rate_limit(1, window)
        .queue(1, QueuePolicy::Wait)
        .build()
        .unwrap();
    fallback
        .send(&Payload::text("spends the limit"))
        .await
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .name("alerts")
        .fallback(fallback.clone())
        .build()
        .unwrap();
    sandbox.fail_next(5, Fault::answer(400_106, "机器人不存在"));
    let started = tokio::time::Instant::now();
    for i in 0..5 {
        let e = robot
            .send(&Payload::text(format!("lost {i}")))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RobotNotFound);
        // Let the fallback's worker take what it can.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        started.elapsed() < window,
        "nothing waited for the fallback"
    );
    assert_eq!(fallback.queued(), 2);
    // The fallback's own worker delivers what it took; the rest was dropped, not left
    // waiting for room.
    fallback.flush(Duration::from_secs(5)).await.unwrap();
    let received = ops.received();
    let notices: Vec<String> = received[1..]
        .iter()
        .map(|r| r.json()["markdown"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(notices.len(), 2);
    assert!(notices[0].contains("> lost 0"), "{}", notices[0]);
    assert!(notices[1].contains("> lost 1"), "{}", notices[1]);
}

#[test]
fn messages_left_when_the_runtime_ends_reach_the_failure_hook() {
    let lost = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&lost);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let robot = Robot::builder(sandbox.webhook_url())
            .rate_limit(1, Duration::from_secs(60))
            .on_failure(move |payload, error| {
                seen.lock().unwrap().push((payload.msgtype(), error.kind()));
            })
            .build()
            .unwrap();
        robot.send(&Payload::text("sent")).await.unwrap();
        // The limit is spent: these wait in the queue when the program ends.
        for i in 0..3 {
            drop(
                robot
                    .post(&Payload::text(format!("left {i}")))
                    .await
                    .unwrap(),
            );
        }
    });
    drop(runtime);
    let lost = lost.lock().unwrap();
    // The one waiting in the worker is cancelled with it; the queued ones reach the hook.
    assert!(lost.len() >= 2, "{lost:?}");
    assert!(
        lost.iter()
            .all(|&(t, k)| t == MsgType::Text && k == ErrorKind::Cancelled)
    );
}
