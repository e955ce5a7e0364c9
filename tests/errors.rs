//! Errors a caller can act on, against the sandbox over loopback HTTP: each error's category,
//! whether its message was sent (and the sandbox's record agreeing), its `msgUuid` and the
//! receipt's, how long a rate-limited send should wait, causes in the delivery log, and
//! deadlines (`send_within`, `post_within`) taking messages out of the queue unsent.

#[path = "support/logs.rs"]
mod logs;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dingtalk_bot::{
    ErrorCategory, ErrorKind, Payload, QueuePolicy, RetryPolicy, Robot, RobotBuilder, Sent,
};
use dingtalk_sandbox::{Fault, Sandbox};

/// The lines logged so far that mention `needle`.
fn logged_lines(needle: &str) -> Vec<String> {
    let text = logs::logged();
    text.lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

async fn sandbox() -> Sandbox {
    Sandbox::builder().no_rate_limit().start().await.unwrap()
}

/// A robot of `sandbox` that tries each message once, without a limit.
fn once(sandbox: &Sandbox) -> RobotBuilder {
    Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .retry(RetryPolicy::none())
}

#[tokio::test]
async fn a_refusal_before_sending_was_not_sent_and_has_no_msg_uuid() {
    let sandbox = sandbox().await;
    let robot = once(&sandbox).keywords(["deploy"]).build().unwrap();
    let e = robot.send(&Payload::text("backup done")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeywordMismatch);
    assert_eq!(e.category(), ErrorCategory::Security);
    assert_eq!(e.was_sent(), Sent::No);
    assert_eq!(e.msg_uuid(), None);
    assert!(!e.is_retryable());
    assert!(sandbox.exchanges().is_empty());
}

#[tokio::test]
async fn the_receipt_and_the_error_name_the_msg_uuid_the_sandbox_saw() {
    let sandbox = sandbox().await;
    let robot = once(&sandbox).build().unwrap();
    let receipt = robot.send(&Payload::text("first")).await.unwrap();
    let received = sandbox.received();
    assert_eq!(received[0].msg_uuid(), Some(receipt.msg_uuid()));

    // DingTalk answered: it received the message, and refused it.
    sandbox.fail_next(1, Fault::answer(400_102, "机器人已停用"));
    let e = robot.send(&Payload::text("second")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotDisabled);
    assert_eq!(e.category(), ErrorCategory::Robot);
    assert_eq!(e.was_sent(), Sent::Yes);
    let uuid = e.msg_uuid().unwrap();
    assert!(uuid.len() == 32 && uuid != receipt.msg_uuid());
    let debug = format!("{e:?}");
    assert_eq!(
        debug,
        format!(
            r#"Error {{ kind: RobotDisabled, errcode: 400102, errmsg: "机器人已停用", message: "the robot is disabled", sent: Yes, msg_uuid: "{uuid}" }}"#
        )
    );
}

#[tokio::test]
async fn a_timeout_may_have_been_posted_and_a_5xx_too() {
    let sandbox = sandbox().await;
    let robot = once(&sandbox)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // The sandbox posts the message, then answers too late.
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(600)));
    let e = robot.send(&Payload::text("slow")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.category(), ErrorCategory::Delivery);
    assert_eq!(e.was_sent(), Sent::Maybe);
    assert!(e.is_retryable());
    let received = sandbox.received();
    assert_eq!(received.len(), 1, "it was posted: `Maybe` was right");
    assert_eq!(received[0].msg_uuid(), e.msg_uuid());

    sandbox.fail_next(1, Fault::Status(502));
    let e = robot.send(&Payload::text("bad gateway")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.was_sent(), Sent::Maybe);

    sandbox.fail_next(1, Fault::Status(404));
    let e = robot.send(&Payload::text("not found")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.category(), ErrorCategory::Refused);
    assert_eq!(e.was_sent(), Sent::Yes);
}

#[tokio::test]
async fn attempts_that_may_have_been_posted_make_the_final_error_maybe() {
    let sandbox = sandbox().await;
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    // A 503, then a refusal: the first may have been posted.
    sandbox.fail_next(1, Fault::Status(503));
    sandbox.fail_next(1, Fault::Status(503));
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.was_sent(), Sent::Maybe);
    // A connection refused is not sent.
    let closed = Robot::builder("http://127.0.0.1:1/robot/send?access_token=t")
        .no_rate_limit()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = closed.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_eq!(e.was_sent(), Sent::No);
}

#[tokio::test]
async fn a_full_queue_is_retryable_and_sent_nothing() {
    let sandbox = sandbox().await;
    let robot = once(&sandbox).queue(1, QueuePolicy::Fail).build().unwrap();
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(300)));
    let first = robot.post(&Payload::text("in flight")).await.unwrap();
    // The worker takes the first; the second fills the queue.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = robot.post(&Payload::text("queued")).await.unwrap();
    let e = robot
        .post(&Payload::text("one too many"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull);
    assert_eq!(e.category(), ErrorCategory::RateLimit);
    assert!(e.is_retryable());
    assert_eq!(e.was_sent(), Sent::No);
    assert_eq!(e.retry_after(), None);
    first.await.unwrap();
    second.await.unwrap();
}

#[tokio::test]
async fn rate_limited_says_how_long_to_wait() {
    let penalty = Duration::from_secs(5);
    let sandbox = Sandbox::builder()
        .rate_limit(1, Duration::from_secs(60))
        .penalty(penalty)
        .start()
        .await
        .unwrap();
    // No local limit: the sandbox throttles the second message.
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .throttle_penalty(penalty)
        .fail_when_throttled()
        .build()
        .unwrap();
    robot.send(&Payload::text("first")).await.unwrap();
    let e = robot.send(&Payload::text("second")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.errcode(), Some(130_101));
    assert_eq!(e.was_sent(), Sent::Yes);
    assert_eq!(e.retry_after(), Some(penalty));
    // The hold is kept: the next send fails at once, unsent, with what is left of it.
    let e = robot.send(&Payload::text("third")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.errcode(), None);
    assert_eq!(e.was_sent(), Sent::No);
    let left = e.retry_after().unwrap();
    assert!(
        left <= penalty && left > penalty - Duration::from_secs(2),
        "{left:?}"
    );

    // The local limit full, no waiting: until its place comes back, a window after the
    // answer that took it.
    let other = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let limited = Robot::builder(other.webhook_url())
        .rate_limit(1, Duration::from_secs(30))
        .limit_wait(Duration::ZERO)
        .build()
        .unwrap();
    limited.send(&Payload::text("first")).await.unwrap();
    let e = limited.send(&Payload::text("second")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.was_sent(), Sent::No);
    let left = e.retry_after().unwrap();
    assert!(
        left <= Duration::from_secs(30) && left > Duration::from_secs(28),
        "{left:?}"
    );
    assert_eq!(other.received().len(), 1);
}

#[tokio::test]
async fn the_delivery_log_names_the_cause_and_whether_it_was_sent() {
    logs::capture();
    let robot = Robot::builder("http://127.0.0.1:1/robot/send?access_token=t0ken")
        .name("cause-test")
        .no_rate_limit()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = robot.send(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    let lines = logged_lines("robot=cause-test");
    let line = lines
        .iter()
        .find(|l| l.contains("not delivered"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    let uuid = e.msg_uuid().unwrap();
    assert!(line.contains(&format!("msg_uuid={uuid}")), "{line}");
    assert!(line.contains("sent=No"), "{line}");
    assert!(line.contains("error=could not reach DingTalk"), "{line}");
    // The cause says why: the connection, refused. Never the token.
    assert!(
        line.contains("cause=") && line.contains("connect"),
        "{line}"
    );
    assert!(!line.contains("t0ken"), "{line}");
    let debug = format!("{e:?}");
    assert!(
        debug.contains("cause: ") && !debug.contains("t0ken"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_message_queued_past_its_deadline_is_taken_out_unsent() {
    let sandbox = sandbox().await;
    let failed = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&failed);
    let robot = once(&sandbox)
        .on_failure(move |payload, e| {
            heard
                .lock()
                .unwrap()
                .push((payload.content().map(str::to_owned), e.kind()))
        })
        .build()
        .unwrap();
    // The first holds the worker for 600 ms; the second waits behind it.
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(600)));
    let first = robot.post(&Payload::text("slow")).await.unwrap();
    let started = Instant::now();
    let e = robot
        .send_within(&Payload::text("stale"), Duration::from_millis(150))
        .await
        .unwrap_err();
    // Answered at its deadline, not when the worker came to it.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Expired);
    assert_eq!(e.category(), ErrorCategory::Delivery);
    assert_eq!(e.was_sent(), Sent::No);
    assert!(e.msg_uuid().is_some());
    assert!(e.is_retryable());
    // Taken out of the queue: only the first is queued or in flight.
    assert_eq!(robot.queued(), 1);
    assert_eq!(
        *failed.lock().unwrap(),
        [(Some("stale".to_owned()), ErrorKind::Expired)]
    );
    first.await.unwrap();
    robot.flush(Duration::from_secs(2)).await.unwrap();
    let texts: Vec<_> = sandbox
        .received()
        .iter()
        .map(|r| r.payload().content().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["slow"]);

    // Posted and dropped: still taken out at its deadline.
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(400)));
    drop(robot.post(&Payload::text("slow again")).await.unwrap());
    drop(
        robot
            .post_within(&Payload::text("dropped"), Duration::from_millis(100))
            .await
            .unwrap(),
    );
    assert_eq!(robot.queued(), 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(robot.queued(), 1);
    robot.flush(Duration::from_secs(2)).await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
}

#[tokio::test]
async fn a_deadline_ends_waiting_for_the_limit_and_sends_in_time_otherwise() {
    let sandbox = sandbox().await;
    let robot = Robot::builder(sandbox.webhook_url())
        .rate_limit(1, Duration::from_secs(60))
        .build()
        .unwrap();
    let receipt = robot
        .send_within(&Payload::text("in time"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(receipt.attempts(), 1);
    // The worker holds the next one, waiting for the limit's place: it expires there.
    let e = robot
        .send_within(&Payload::text("too late"), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    assert_eq!(e.was_sent(), Sent::No);
    assert_eq!(robot.queued(), 0);
    assert_eq!(sandbox.received().len(), 1);
}

#[tokio::test]
async fn no_retry_starts_after_the_deadline() {
    let sandbox = sandbox().await;
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .retry(
            RetryPolicy::default()
                .max_attempts(5)
                .initial_backoff(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    sandbox.fail_next(5, Fault::Status(503));
    let started = Instant::now();
    let e = robot
        .send_within(&Payload::text("x"), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Expired);
    // Its one attempt was answered 503: it may have been posted.
    assert_eq!(e.was_sent(), Sent::Maybe);
    let source = std::error::Error::source(&e).unwrap();
    assert!(source.to_string().contains("HTTP 503"), "{source}");
    // Backoffs are jittered: a retry may have come before the deadline, but none after.
    let tried = sandbox.exchanges().len();
    assert!((1..5).contains(&tried), "{tried}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sandbox.exchanges().len(), tried);
}

#[tokio::test]
async fn a_full_queue_is_waited_for_until_the_deadline_only() {
    let sandbox = sandbox().await;
    let robot = once(&sandbox).queue(1, QueuePolicy::Wait).build().unwrap();
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(500)));
    let first = robot.post(&Payload::text("in flight")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = robot.post(&Payload::text("queued")).await.unwrap();
    let e = robot
        .post_within(&Payload::text("no room"), Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    assert_eq!(e.was_sent(), Sent::No);
    first.await.unwrap();
    second.await.unwrap();
    assert_eq!(sandbox.received().len(), 2);
}
