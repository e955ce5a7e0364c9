//! A robot's queue and limits in Redis (feature `redis`), against real processes, a real Redis
//! and the sandbox at scaled limits (5 messages a second, a 2 s takeover): a fleet of three
//! processes within one limit, a deliverer killed mid-request and taken over, Redis stopped
//! and started again, the queue policies on the shared backlog, outcomes and failure hooks,
//! and the round trips a message costs.
//!
//! Redis: `REDIS_URL` if set, else a `redis-server` of each test's own (see
//! `support/redis_server.rs`). Processes: the test binary runs itself as a child, with
//! `DINGTALK_TEST_CHILD` saying what to do (see [`child_process`]).

#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use dingtalk_bot::{ErrorKind, Payload, QueuePolicy, Robot, RobotBuilder};
use dingtalk_sandbox::{Fault, Sandbox};
use redis_server::RedisServer;

/// The scaled limit: 5 messages a second, on the sandbox and on every robot.
const MAX: u32 = 5;
const PER: Duration = Duration::from_secs(1);

/// A takeover in 2 s rather than 30.
const TAKEOVER: Duration = Duration::from_secs(2);

/// A robot at `webhook` with its queue in `redis`, at the scaled limits.
fn robot(webhook: &str, redis: &str) -> RobotBuilder {
    Robot::builder(webhook)
        .redis(redis)
        .redis_takeover_after(TAKEOVER)
        .rate_limit(MAX, PER)
        .timeout(Duration::from_secs(2))
}

/// A sandbox at the scaled limit that throttles for an hour: one broken window fails a test.
async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .rate_limit(MAX, PER)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap()
}

fn throttles(sandbox: &Sandbox) -> usize {
    sandbox
        .exchanges()
        .iter()
        .filter(|e| e.errcode == Some(130_101))
        .count()
}

/// The text of each message the sandbox accepted, in order, and checks that every `msgUuid`
/// is there once.
fn texts_once_each(sandbox: &Sandbox) -> Vec<String> {
    let received = sandbox.received();
    let uuids: HashSet<&str> = received.iter().filter_map(|r| r.msg_uuid()).collect();
    assert_eq!(uuids.len(), received.len(), "a msgUuid was posted twice");
    received
        .iter()
        .map(|r| {
            r.json()["text"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The most arrivals in any window of `window`.
fn busiest_window(sandbox: &Sandbox, window: Duration) -> usize {
    let mut arrivals: Vec<SystemTime> =
        sandbox.received().iter().map(|r| r.received_at()).collect();
    arrivals.sort();
    let mut most = 0;
    let mut start = 0;
    for end in 0..arrivals.len() {
        while arrivals[end].duration_since(arrivals[start]).unwrap() >= window {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// This test binary, run as a child process that does `role` (see [`child_process`]), with
/// a state directory of its own: only Redis is shared.
struct ChildProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    _state: TempDir,
}

impl ChildProcess {
    fn start(role: &str, webhook: &str, redis: &str, name: &str) -> ChildProcess {
        let state = TempDir::new(&format!("{role}-{name}"));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DINGTALK_TEST_CHILD", role)
            .env("CHILD_WEBHOOK", webhook)
            .env("CHILD_REDIS", redis)
            .env("CHILD_NAME", name)
            .env("DINGTALK_STATE_DIR", &state.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // After libtest's `test child_process ... ` on the same line, perhaps.
                if let Some((_, said)) = line.split_once("CHILD ") {
                    let _ = send.send(said.to_owned());
                }
            }
        });
        ChildProcess {
            child,
            lines,
            _state: state,
        }
    }

    /// The next line the child says, within `within`.
    fn says(&self, within: Duration) -> String {
        self.lines
            .recv_timeout(within)
            .expect("the child said nothing in time")
    }

    fn finished_well(mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "the child did not finish in time"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory of its own for one test or child, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "dingtalk-redis-test-{}-{name}-{:x}",
            std::process::id(),
            fastrand_u64()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// What a child process does, as `DINGTALK_TEST_CHILD` says; nothing in a plain test run.
/// It says what it did after `CHILD ` on a line.
///
/// - `burst`: posts `<name> 0` … `<name> 5`, waits for each, says `done <delivered>`.
/// - `post-and-deliver`: posts `a 0` … `a 29`, says `posted`, then delivers until killed.
/// - `take-over`: waits until the robot's queue is empty, says `flushed`.
#[test]
fn child_process() {
    let Ok(role) = std::env::var("DINGTALK_TEST_CHILD") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let (webhook, redis, name) = (var("CHILD_WEBHOOK"), var("CHILD_REDIS"), var("CHILD_NAME"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let robot = robot(&webhook, &redis).build().unwrap();
        match role.as_str() {
            "burst" => {
                let mut deliveries = Vec::new();
                for i in 0..6 {
                    let text = Payload::text(format!("{name} {i}"));
                    deliveries.push(robot.post(&text).await.unwrap());
                }
                let mut delivered = 0;
                for delivery in deliveries {
                    delivery.await.unwrap();
                    delivered += 1;
                }
                println!("CHILD done {delivered}");
            }
            "post-and-deliver" => {
                for i in 0..30 {
                    // Queued in Redis: its outcome goes to whoever delivers it.
                    drop(robot.post(&Payload::text(format!("a {i}"))).await.unwrap());
                }
                println!("CHILD posted");
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            "take-over" => {
                robot.flush(Duration::from_secs(30)).await.unwrap();
                println!("CHILD flushed");
            }
            other => panic!("no child role {other}"),
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_sharing_only_redis_stay_within_one_limit_and_lose_nothing() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    let children: Vec<ChildProcess> = ["p", "q", "r"]
        .iter()
        .map(|name| ChildProcess::start("burst", &webhook, redis.url(), name))
        .collect();
    for child in &children {
        assert_eq!(child.says(Duration::from_secs(30)), "done 6");
    }
    for child in children {
        assert!(child.finished_well(Duration::from_secs(10)));
    }
    assert_eq!(throttles(&sandbox), 0);
    assert!(busiest_window(&sandbox, PER) <= MAX as usize);
    let texts = texts_once_each(&sandbox);
    assert_eq!(texts.len(), 18, "{texts:?}");
    // Each process's messages arrive in the order it posted them.
    let mut last: HashMap<String, i32> = HashMap::new();
    for text in &texts {
        let (name, i) = text.split_once(' ').unwrap();
        let i: i32 = i.parse().unwrap();
        let before = last.insert(name.to_owned(), i).unwrap_or(-1);
        assert_eq!(i, before + 1, "{texts:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deliverer_killed_mid_request_is_taken_over_and_every_message_arrives_once_in_order() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    let first = ChildProcess::start("post-and-deliver", &webhook, redis.url(), "a");
    assert_eq!(first.says(Duration::from_secs(30)), "posted");
    // The first five go at once; the sixth waits a second for its place. It is accepted,
    // and its answer held back: the deliverer is killed waiting for it.
    until("five messages", Duration::from_secs(10), || {
        sandbox.received().len() >= 5
    })
    .await;
    sandbox.fail_next(1, Fault::Delay(Duration::from_secs(60)));
    until("the sixth message", Duration::from_secs(10), || {
        sandbox.received().len() >= 6
    })
    .await;
    drop(first); // SIGKILL
    let killed_at = Instant::now();
    let second = ChildProcess::start("take-over", &webhook, redis.url(), "b");
    assert_eq!(second.says(Duration::from_secs(40)), "flushed");
    assert!(
        killed_at.elapsed() >= TAKEOVER,
        "taken over before the lease lapsed"
    );
    let texts = texts_once_each(&sandbox);
    let expected: Vec<String> = (0..30).map(|i| format!("a {i}")).collect();
    assert_eq!(texts, expected);
    // The sixth was sent again with its msgUuid: acknowledged, not posted twice.
    let duplicates = sandbox.exchanges().iter().filter(|e| e.duplicate).count();
    assert_eq!(duplicates, 1);
    assert_eq!(throttles(&sandbox), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_posts_fail_typed_and_nothing_queued_is_lost() {
    let dir = TempDir::new("restart");
    let mut redis = match RedisServer::own(Some(&dir.0)) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test stops a Redis of its own, and could not start one: {e}");
            return;
        }
    };
    let sandbox = Sandbox::builder()
        .rate_limit(2, PER)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .rate_limit(2, PER)
        .build()
        .unwrap();
    for i in 0..8 {
        drop(robot.post(&Payload::text(format!("m {i}"))).await.unwrap());
    }
    until("the first two", Duration::from_secs(10), || {
        sandbox.received().len() >= 2
    })
    .await;
    redis.stop();
    let e = robot.post(&Payload::text("lost")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    assert!(e.is_retryable());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let e = robot.post(&Payload::text("lost")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    redis.start().unwrap();
    let after = robot.send(&Payload::text("m 8")).await.unwrap();
    assert_eq!(after.errmsg(), "ok");
    robot.flush(Duration::from_secs(20)).await.unwrap();
    let texts = texts_once_each(&sandbox);
    let expected: Vec<String> = (0..9).map(|i| format!("m {i}")).collect();
    assert_eq!(texts, expected);
    assert_eq!(throttles(&sandbox), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_keep_their_kind_and_the_hook_hears_in_the_process_that_delivered() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let failed = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&failed);
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .on_failure(move |payload, e| heard.lock().unwrap().push((payload.msgtype(), e.kind())))
        .build()
        .unwrap();
    sandbox.fail_next(1, Fault::answer(400_106, "机器人不存在"));
    let e = robot.send(&Payload::text("gone")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotNotFound);
    assert_eq!(e.errcode(), Some(400_106));
    assert_eq!(e.errmsg(), Some("机器人不存在"));
    assert_eq!(
        *failed.lock().unwrap(),
        [(dingtalk_bot::spec::MsgType::Text, ErrorKind::RobotNotFound)]
    );
    let receipt = robot.send(&Payload::text("here")).await.unwrap();
    assert_eq!(
        (receipt.errmsg(), receipt.attempts(), receipt.merged()),
        ("ok", 1, 1)
    );
    assert_eq!(texts_once_each(&sandbox), ["here"]);
    robot.flush(Duration::from_secs(5)).await.unwrap();
    assert_eq!(robot.queued(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_policies_apply_to_the_shared_backlog() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    // While the first message is in flight (its answer held back a second), two more fill a
    // queue of two, counting the one in flight.
    let fail = robot(&sandbox.webhook_url(), redis.url())
        .queue(2, QueuePolicy::Fail)
        .build()
        .unwrap();
    sandbox.fail_next(1, Fault::Delay(Duration::from_secs(1)));
    let first = fail.post(&Payload::text("f 0")).await.unwrap();
    until("the first in flight", Duration::from_secs(5), || {
        sandbox.received().len() == 1
    })
    .await;
    let second = fail.post(&Payload::text("f 1")).await.unwrap();
    let e = fail.post(&Payload::text("f 2")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull);
    first.await.unwrap();
    second.await.unwrap();
    drop(fail);

    // `Wait` waits for room.
    let wait = robot(&sandbox.webhook_url(), redis.url())
        .queue(1, QueuePolicy::Wait)
        .build()
        .unwrap();
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(800)));
    let first = wait.post(&Payload::text("w 0")).await.unwrap();
    until("the first in flight", Duration::from_secs(5), || {
        sandbox.received().len() == 3
    })
    .await;
    let started = Instant::now();
    let second = wait.post(&Payload::text("w 1")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    first.await.unwrap();
    second.await.unwrap();
    drop(wait);

    // `Digest` merges the backlog that overflowed into one message.
    let digest = robot(&sandbox.webhook_url(), redis.url())
        .queue(2, QueuePolicy::Digest)
        .build()
        .unwrap();
    sandbox.fail_next(1, Fault::Delay(Duration::from_secs(1)));
    let first = digest.post(&Payload::text("d 0")).await.unwrap();
    until("the first in flight", Duration::from_secs(5), || {
        sandbox.received().len() == 5
    })
    .await;
    let mut merged = Vec::new();
    for i in 1..4 {
        merged.push(digest.post(&Payload::text(format!("d {i}"))).await.unwrap());
    }
    assert_eq!(first.await.unwrap().merged(), 1);
    for delivery in merged {
        assert_eq!(delivery.await.unwrap().merged(), 3);
    }
    let received = sandbox.received();
    assert_eq!(received.len(), 6);
    let json = received[5].json();
    assert_eq!(json["markdown"]["title"], "3 messages");
    assert_eq!(json["markdown"]["text"], "d 1\n\nd 2\n\nd 3");
    assert_eq!(throttles(&sandbox), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_costs_at_most_three_round_trips_to_redis() {
    let redis = match RedisServer::own(None) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test counts the commands of a Redis of its own: {e}");
            return;
        }
    };
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .redis(redis.url())
        .rate_limit(1_000, Duration::from_secs(1))
        .build()
        .unwrap();
    // Connected, subscribed and the scripts loaded.
    robot.send(&Payload::text("warm")).await.unwrap();
    let before = redis.command_calls();
    let sent: u64 = 50;
    for i in 0..sent {
        robot.send(&Payload::text(format!("n {i}"))).await.unwrap();
    }
    let after = redis.command_calls();
    // Every command this library sends by itself is a script (EVALSHA), but for the
    // subscriptions and `flush`'s XLEN; the commands scripts run count under their own names.
    let top_level = ["evalsha", "eval", "script|load", "subscribe", "ping"];
    let calls: u64 = top_level
        .iter()
        .map(|name| after.get(*name).unwrap_or(&0) - before.get(*name).unwrap_or(&0))
        .sum();
    let per_message = calls as f64 / sent as f64;
    println!("{per_message:.2} round trips to Redis per message ({calls} for {sent})");
    // Three a message (ENQUEUE, TAKE, FINISH); a wake-up kept from before the count may add
    // one look at an empty queue.
    assert!(
        calls <= 3 * sent + 1,
        "{per_message:.2} round trips per message"
    );
}

#[test]
fn a_malformed_redis_url_is_a_configuration_error_and_no_password_is_shown() {
    let webhook = "https://oapi.dingtalk.com/robot/send?access_token=t";
    for url in [
        "http://localhost",
        "redis://:hunter2@localhost:notaport",
        "not a url",
    ] {
        let e = Robot::builder(webhook).redis(url).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{url}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
    // The client reads a unix socket's credentials from the query.
    for url in [
        "redis+unix:///tmp/dingtalk-no-such.sock?pass=hunter2&db=not-a-number",
        "unix:///tmp/dingtalk-no-such.sock?user=ops&pass=hunter2&protocol=9",
    ] {
        let builder = Robot::builder(webhook).redis(url);
        let shown = format!("{builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let e = builder.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{url}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
    }
    for url in [
        "redis://:hunter2@127.0.0.1:1",
        "redis+unix:///tmp/dingtalk-no-such.sock?user=ops&pass=hunter2",
        "redis+unix:///tmp/dingtalk-no-such.sock?db=1&pass=hunter2",
    ] {
        let builder = Robot::builder(webhook).redis(url);
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("***"),
            "{shown}"
        );
        let robot = builder.build().unwrap();
        let shown = format!("{robot:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("***"),
            "{shown}"
        );
    }
    let e = Robot::builder(webhook)
        .redis("redis://127.0.0.1:1")
        .throttle_penalty(Duration::ZERO)
        .limit_wait(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_fails_a_post_with_a_typed_error() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let robot = Robot::builder("http://127.0.0.1:1/robot/send?access_token=t")
        .redis(format!("redis://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = robot.post(&Payload::text("x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    assert!(e.is_retryable());
    // It says why, as the client told it.
    let shown = e.to_string();
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(
        shown.starts_with("the robot's shared store (Redis) could not ") && shown.ends_with(&cause),
        "{shown}"
    );
    assert!(!cause.is_empty());
    println!("{shown}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let e = robot.flush(Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_redis_refuses_are_a_configuration_error_that_never_shows_the_password() {
    let redis = match RedisServer::own_with_password("secret1") {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test needs a Redis of its own that requires a password: {e}");
            return;
        }
    };
    let port = redis.port();
    let sandbox = sandbox().await;
    for (url, password) in [
        (
            format!("redis://:hunter2wrong@127.0.0.1:{port}"),
            Some("hunter2wrong"),
        ),
        (
            format!("redis://default:hunter2wrong@127.0.0.1:{port}"),
            Some("hunter2wrong"),
        ),
        // No password where one is needed.
        (format!("redis://127.0.0.1:{port}"), None),
    ] {
        let robot = robot(&sandbox.webhook_url(), &url).build().unwrap();
        let started = Instant::now();
        let e = robot.post(&Payload::text("refused")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        assert!(!e.is_retryable());
        let shown = e.to_string();
        println!("{shown}");
        assert!(
            shown.contains("the Redis credentials are refused"),
            "{shown}"
        );
        // The client's own words follow: `WRONGPASS …`, `NOAUTH …`.
        assert!(
            shown.contains("WRONGPASS") || shown.contains("NOAUTH"),
            "{shown}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        if let Some(password) = password {
            let debug = format!("{e:?}");
            let source = std::error::Error::source(&e).unwrap().to_string();
            for text in [&shown, &debug, &source, &format!("{robot:?}")] {
                assert!(!text.contains(password), "{text}");
                assert!(!text.contains("secret1"), "{text}");
            }
        }
    }
    // The right password works.
    let robot = robot(
        &sandbox.webhook_url(),
        &format!("redis://:secret1@127.0.0.1:{port}"),
    )
    .build()
    .unwrap();
    let receipt = robot.send(&Payload::text("let in")).await.unwrap();
    assert_eq!(receipt.errmsg(), "ok");
    assert_eq!(texts_once_each(&sandbox), ["let in"]);
}
