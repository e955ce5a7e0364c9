//! A robot's queue and limits in Redis (feature `redis`), against real processes, a real Redis
//! and the sandbox at scaled limits (5 messages a second, a 2 s takeover): a fleet of three
//! processes within one limit, a deliverer killed mid-request or stalled and taken over, a
//! process that closes its robot and hands the queue over at once, a throttle shared by
//! processes, Redis stopped and started again or losing an answer, entries another program
//! wrote, the queue policies on the shared backlog, outcomes and failure hooks, what Redis
//! holds (never the token, every key expiring), and the round trips a message costs.
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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use dingtalk_bot::{ErrorKind, Payload, QueuePolicy, RetryPolicy, Robot, RobotBuilder};
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
        ChildProcess::start_with(role, webhook, redis, name, &[])
    }

    /// As [`start`](ChildProcess::start), with more of the environment (`CHILD_COUNT`,
    /// `CHILD_TAKEOVER_MS`: see [`child_process`]).
    fn start_with(
        role: &str,
        webhook: &str,
        redis: &str,
        name: &str,
        env: &[(&str, &str)],
    ) -> ChildProcess {
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
            .envs(env.iter().copied())
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

    /// Sends the child `signal` (`SIGSTOP`, `SIGCONT`).
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: `kill` with the pid of a child of ours, not yet waited for, and a valid
        // signal number.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "{}", std::io::Error::last_os_error());
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
/// - `post-and-deliver`: posts `a 0` … `a 29` (`CHILD_COUNT` of them), says `posted`, then
///   delivers until killed.
/// - `take-over`: waits until the robot's queue is empty, says `flushed`.
/// - `send-and-close`: sends `<name> 1`, closes the robot, says `closed`, and ends.
/// - `send`: sends `<name> 2`, says `sent`, closes the robot and ends.
/// - `throttled`: sends `<name>` with a robot that fails when throttled (for a minute), says
///   the error's kind (or `delivered`), closes the robot and ends.
///
/// `CHILD_TAKEOVER_MS` sets the robot's takeover (2 s unless set).
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
        let mut builder = robot(&webhook, &redis);
        if let Ok(ms) = std::env::var("CHILD_TAKEOVER_MS") {
            builder = builder.redis_takeover_after(Duration::from_millis(ms.parse().unwrap()));
        }
        if role == "throttled" {
            builder = builder
                .fail_when_throttled()
                .throttle_penalty(Duration::from_secs(60));
        }
        let robot = builder.build().unwrap();
        let count: usize = std::env::var("CHILD_COUNT").map_or(30, |n| n.parse().unwrap());
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
                for i in 0..count {
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
            "send-and-close" => {
                robot
                    .send(&Payload::text(format!("{name} 1")))
                    .await
                    .unwrap();
                robot.close(Duration::from_secs(5)).await.unwrap();
                println!("CHILD closed");
            }
            "send" => {
                robot
                    .send(&Payload::text(format!("{name} 2")))
                    .await
                    .unwrap();
                println!("CHILD sent");
                robot.close(Duration::from_secs(5)).await.unwrap();
            }
            "throttled" => {
                match robot.send(&Payload::text(name)).await {
                    Ok(_) => println!("CHILD delivered"),
                    Err(e) => println!("CHILD {}", e.kind()),
                }
                robot.close(Duration::from_secs(5)).await.unwrap();
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
    assert!(sandbox.busiest_window(PER) <= MAX as usize);
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
    let first = ChildProcess::start_with(
        "post-and-deliver",
        &webhook,
        redis.url(),
        "a",
        &[("CHILD_COUNT", "16")],
    );
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
    let second = ChildProcess::start("take-over", &webhook, redis.url(), "b");
    assert_eq!(second.says(Duration::from_secs(40)), "flushed");
    // Nothing arrives between the sixth and the takeover: the lease, last renewed at most a
    // third of the takeover before the sixth left, lapses no sooner than two thirds of it
    // after. (A second process that delivered at once would send the seventh within the
    // second the sixth's place takes to come back.)
    let arrivals: Vec<SystemTime> = sandbox.received().iter().map(|r| r.received_at()).collect();
    let gap = arrivals[6].duration_since(arrivals[5]).unwrap();
    assert!(
        gap >= TAKEOVER * 2 / 3 - Duration::from_millis(100),
        "taken over {gap:?} after the sixth, before the lease lapsed"
    );
    assert!(gap < TAKEOVER + Duration::from_secs(3), "{gap:?}");
    let texts = texts_once_each(&sandbox);
    let expected: Vec<String> = (0..16).map(|i| format!("a {i}")).collect();
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
    // Once the connection is seen to be lost (a request sent on it as it went would have
    // no answer, and might have been run), no try can reach Redis.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let e = robot.post(&Payload::text("lost")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    assert!(e.is_retryable());
    // Tried again for two seconds, with no connection made: it says so, and that nothing
    // was queued.
    assert!(e.to_string().contains("(it was not queued)"), "{e}");
    // `flush` rides the outage out: Redis is back within its deadline.
    let restarted = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        redis.start().unwrap();
        redis
    });
    robot.flush(Duration::from_secs(20)).await.unwrap();
    let _redis = restarted.join().unwrap();
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
async fn a_deadline_is_kept_in_redis_and_a_message_past_it_is_finished_unsent() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let failed = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&failed);
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .on_failure(move |_, e| heard.lock().unwrap().push(e.kind()))
        .build()
        .unwrap();
    let receipt = robot
        .send_within(&Payload::text("in time"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(sandbox.received()[0].msg_uuid(), Some(receipt.msg_uuid()));
    // The first holds the deliverer for 800 ms; the second is queued behind it in Redis.
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(800)));
    let slow = robot.post(&Payload::text("slow")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stale = robot
        .post_within(&Payload::text("stale"), Duration::from_millis(200))
        .await
        .unwrap();
    slow.await.unwrap();
    let e = stale.await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    assert_eq!(e.was_sent(), dingtalk_bot::Sent::No);
    assert!(e.msg_uuid().is_some());
    assert_eq!(*failed.lock().unwrap(), [ErrorKind::Expired]);
    assert_eq!(texts_once_each(&sandbox), ["in time", "slow"]);
    robot.flush(Duration::from_secs(5)).await.unwrap();

    // Refused by DingTalk: the outcome says it was sent, and names its msgUuid.
    sandbox.fail_next(1, Fault::answer(400_102, "机器人已停用"));
    let e = robot.send(&Payload::text("disabled")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotDisabled);
    assert_eq!(e.was_sent(), dingtalk_bot::Sent::Yes);
    assert!(e.msg_uuid().is_some());
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
    // A takeover long enough that no renewal of the lease falls within the count, however
    // slow the machine.
    let robot = Robot::builder(sandbox.webhook_url())
        .redis(redis.url())
        .redis_takeover_after(Duration::from_secs(600))
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

// What follows reads and writes Redis as another program would, through a connection of the
// test's own, and so needs the robot's key names: `dingtalk:{<hex SHA-256 of the robot's
// host:port and access_token>}:<name>`.

/// A sandbox at the scaled limit with the access_token `token`, by which a test finds the
/// robot's keys.
async fn sandbox_with_token(token: &str) -> Sandbox {
    Sandbox::builder()
        .access_token(token)
        .rate_limit(MAX, PER)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap()
}

/// The key `name` (`queue`, `lease`, …) of the robot of `sandbox`, whose token is `token`.
fn robot_key(sandbox: &Sandbox, token: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let addr = sandbox.addr();
    let hash = Sha256::digest(format!("{}:{} {token}", addr.ip(), addr.port()).as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("dingtalk:{{{hex}}}:{name}")
}

/// A connection of the test's own to `redis`.
fn connect(redis: &RedisServer) -> redis::Connection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// A token no other test uses.
fn unique_token(test: &str) -> String {
    format!("{test}{:x}", fastrand_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_another_program_wrote_are_finished_as_failed_and_those_after_them_delivered() {
    let redis = RedisServer::any();
    let token = unique_token("poison");
    let sandbox = sandbox_with_token(&token).await;
    let failed = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&failed);
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .on_failure(move |payload, e| heard.lock().unwrap().push((payload.to_json(), e.kind())))
        .build()
        .unwrap();
    robot.send(&Payload::text("good 0")).await.unwrap();
    let mut writer = connect(&redis);
    // Where the outcome of one of them goes, as a sender of this library's would hear it.
    let reply = format!("dingtalk:reply:{}", unique_token("test"));
    let mut listener = connect(&redis);
    let mut outcomes = listener.as_pubsub();
    outcomes.subscribe(&reply).unwrap();
    outcomes
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let queue = robot_key(&sandbox, &token, "queue");
    let uuid = "0123456789abcdef0123456789abcdef";
    let bad_body: &[u8] = b"{\"msgtype\":\"text\",\"text\":{\"content\":\"bad \xff\"}}";
    let poison: [Vec<&[u8]>; 3] = [
        // A body that is not UTF-8.
        vec![
            b"u",
            uuid.as_bytes(),
            b"b",
            bad_body,
            b"r",
            reply.as_bytes(),
        ],
        // No msgUuid.
        vec![
            b"b",
            br#"{"msgtype":"text","text":{"content":"no msgUuid"}}"#,
        ],
        // A field whose name is not UTF-8.
        vec![b"\xfe", b"x", b"u", b"fedcba9876543210fedcba9876543210"],
    ];
    for fields in poison {
        let mut xadd = redis::cmd("XADD");
        xadd.arg(&queue).arg("*");
        for field in fields {
            xadd.arg(field);
        }
        let _: String = xadd.query(&mut writer).unwrap();
    }
    let after = robot.post(&Payload::text("good 1")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), after)
        .await
        .expect("the message after the malformed ones is delivered")
        .unwrap();
    assert_eq!(texts_once_each(&sandbox), ["good 0", "good 1"]);
    // The sender of the one with a msgUuid and a reply channel hears that it failed.
    let message = outcomes.get_message().unwrap();
    let said: String = message.get_payload().unwrap();
    let (uuids, outcome) = said.split_once('\n').unwrap();
    assert_eq!(uuids, uuid);
    assert!(
        outcome.contains(r#""kind":"invalid message""#)
            && outcome.contains("its body is not UTF-8"),
        "{outcome}"
    );
    // The hook hears of those whose body reads as a message (lossily, if need be).
    assert_eq!(
        *failed.lock().unwrap(),
        [
            (
                r#"{"msgtype":"text","text":{"content":"bad �"}}"#.to_owned(),
                ErrorKind::InvalidMessage
            ),
            (
                r#"{"msgtype":"text","text":{"content":"no msgUuid"}}"#.to_owned(),
                ErrorKind::InvalidMessage
            )
        ]
    );
    robot.flush(Duration::from_secs(5)).await.unwrap();
    let left: usize = redis::cmd("XLEN").arg(&queue).query(&mut writer).unwrap();
    assert_eq!(left, 0);
}

/// A TCP proxy in front of a Redis of the test's own that plays what a network does: it
/// lets a request through and loses its answer (the connection cut once Redis ran it), it
/// stalls (nothing goes through), it closes every connection at once.
struct Proxy {
    port: u16,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    /// A request that holds this is let through, and its connection cut before the answer.
    cut_on: Mutex<Option<Vec<u8>>>,
    /// Requests cut so.
    cuts: AtomicUsize,
    /// Nothing goes through.
    stalled: AtomicBool,
    /// Bumped to cut every connection made before.
    generation: AtomicUsize,
    /// New connections are closed at once.
    closed: AtomicBool,
    /// Once a request is cut, `closed` is set.
    close_after_cut: AtomicBool,
}

impl Proxy {
    async fn start(redis_port: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(ProxyState::default());
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.closed.load(Ordering::SeqCst) {
                    continue;
                }
                tokio::spawn(Proxy::pipe(client, redis_port, Arc::clone(&shared)));
            }
        });
        Proxy { port, state, task }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn pipe(client: tokio::net::TcpStream, redis_port: u16, state: Arc<ProxyState>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", redis_port)).await else {
            return;
        };
        let (mut client_in, mut client_out) = client.into_split();
        let (mut server_in, mut server_out) = server.into_split();
        let (mut up, mut down) = (vec![0; 1 << 16], vec![0; 1 << 16]);
        let born = state.generation.load(Ordering::SeqCst);
        loop {
            tokio::select! {
                read = client_in.read(&mut up) => {
                    let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                    if state.stalled.load(Ordering::SeqCst) {
                        continue;
                    }
                    let request = &up[..n];
                    let cut = {
                        let mut cut_on = state.cut_on.lock().unwrap();
                        let found = cut_on
                            .as_ref()
                            .is_some_and(|m| request.windows(m.len()).any(|w| w == &m[..]));
                        if found {
                            *cut_on = None;
                        }
                        found
                    };
                    if server_out.write_all(request).await.is_err() {
                        return;
                    }
                    if cut {
                        // Redis runs it; what it answers is read and thrown away, then both
                        // connections are closed.
                        let _ = tokio::time::timeout(Duration::from_millis(300), async {
                            while matches!(server_in.read(&mut down).await, Ok(n) if n > 0) {}
                        })
                        .await;
                        if state.close_after_cut.load(Ordering::SeqCst) {
                            state.closed.store(true, Ordering::SeqCst);
                        }
                        state.cuts.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                }
                read = server_in.read(&mut down) => {
                    let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                    if state.stalled.load(Ordering::SeqCst) {
                        continue;
                    }
                    if client_out.write_all(&down[..n]).await.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(5)) => {
                    if state.generation.load(Ordering::SeqCst) != born {
                        return;
                    }
                }
            }
        }
    }

    fn cut_on(&self, marker: &str) {
        *self.state.cut_on.lock().unwrap() = Some(marker.as_bytes().to_vec());
    }

    fn cuts(&self) -> usize {
        self.state.cuts.load(Ordering::SeqCst)
    }

    /// Refuses (closes at once) new connections while `closed`.
    fn close(&self, closed: bool) {
        self.state.closed.store(closed, Ordering::SeqCst);
    }

    /// Cuts every connection (after a stall, so that no answer is taken for that of a
    /// request the stall swallowed), and waits for them to go.
    async fn cut_all(&self) {
        self.state.generation.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_queueing_answer_is_lost_is_queued_once_and_flush_keeps_its_deadline() {
    let redis = match RedisServer::own(None) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test puts a proxy in front of a Redis of its own: {e}");
            return;
        }
    };
    let port = redis.url().rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Proxy::start(port).await;
    let sandbox = sandbox().await;
    let robot = robot(&sandbox.webhook_url(), &proxy.url()).build().unwrap();
    // Connected, subscribed and the scripts loaded.
    robot.send(&Payload::text("before")).await.unwrap();

    // Redis queues it, and the answer is lost: the sender tries again with the same
    // msgUuid, and is answered with the entry it has.
    proxy.cut_on("answer lost");
    let delivery = robot
        .post(&Payload::text("answer lost"))
        .await
        .expect("queued: tried again, and found");
    assert_eq!(proxy.cuts(), 1);
    delivery.await.unwrap();
    assert_eq!(texts_once_each(&sandbox), ["before", "answer lost"]);
    // One entry, one request: nothing was queued twice.
    assert_eq!(sandbox.exchanges().len(), 2);

    // Redis silent: `flush` ends at its deadline, not at the client's response timeout.
    proxy.state.stalled.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let e = robot.flush(Duration::from_millis(300)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    proxy.cut_all().await;
    proxy.state.stalled.store(false, Ordering::SeqCst);
    robot.flush(Duration::from_secs(10)).await.unwrap();

    // Redis ran it and then could not be reached again: the sender cannot know whether it
    // was queued, and says so. It was: it is delivered once Redis is back.
    proxy.cut_on("unconfirmed");
    proxy.state.close_after_cut.store(true, Ordering::SeqCst);
    let e = robot.post(&Payload::text("unconfirmed")).await.unwrap_err();
    assert_eq!(proxy.cuts(), 2);
    assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    assert!(e.to_string().contains("it may have been queued"), "{e}");
    proxy.close(false);
    until("the unconfirmed message", Duration::from_secs(10), || {
        sandbox.received().len() == 3
    })
    .await;
    assert_eq!(
        texts_once_each(&sandbox),
        ["before", "answer lost", "unconfirmed"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_costs_at_most_three_round_trips_to_redis_with_three_workers() {
    let redis = match RedisServer::own(None) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test counts the commands of a Redis of its own: {e}");
            return;
        }
    };
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    // Three workers, as three processes have them: a URL spelled otherwise is a store of its
    // own, with a connection of its own. One holds the lease; the others wait for it to be
    // given up or to lapse, and need not hear of each message.
    let robots: Vec<Robot> = (0..3)
        .map(|i| {
            Robot::builder(sandbox.webhook_url())
                .redis(format!("{}#worker-{i}", redis.url()))
                .redis_takeover_after(Duration::from_secs(600))
                .rate_limit(1_000, Duration::from_secs(1))
                .build()
                .unwrap()
        })
        .collect();
    for robot in &robots {
        robot.send(&Payload::text("warm")).await.unwrap();
    }
    let before = redis.command_calls();
    let sent: u64 = 60;
    for i in 0..sent {
        let robot = &robots[i as usize % robots.len()];
        robot.send(&Payload::text(format!("n {i}"))).await.unwrap();
    }
    let after = redis.command_calls();
    let top_level = ["evalsha", "eval", "script|load", "subscribe", "ping"];
    let calls: u64 = top_level
        .iter()
        .map(|name| after.get(*name).unwrap_or(&0) - before.get(*name).unwrap_or(&0))
        .sum();
    let per_message = calls as f64 / sent as f64;
    println!(
        "{per_message:.2} round trips to Redis per message with three workers ({calls} for {sent})"
    );
    assert!(
        calls <= 3 * sent + 1,
        "{per_message:.2} round trips per message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_closes_its_robot_hands_the_queue_over_at_once() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    // A takeover of 5 s, which a process that ends holding the lease leaves the next to wait.
    let takeover = [("CHILD_TAKEOVER_MS", "5000")];
    let first = ChildProcess::start_with("send-and-close", &webhook, redis.url(), "c", &takeover);
    assert_eq!(first.says(Duration::from_secs(30)), "closed");
    assert!(first.finished_well(Duration::from_secs(10)));
    let second = ChildProcess::start_with("send", &webhook, redis.url(), "c", &takeover);
    assert_eq!(second.says(Duration::from_secs(30)), "sent");
    assert!(second.finished_well(Duration::from_secs(10)));
    assert_eq!(texts_once_each(&sandbox), ["c 1", "c 2"]);
    let received = sandbox.received();
    let gap = received[1]
        .received_at()
        .duration_since(received[0].received_at())
        .unwrap();
    assert!(
        gap < Duration::from_millis(2500),
        "{gap:?}: the second process waited for the lease to lapse"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_dropped_while_its_message_waits_for_a_retry_gives_the_queue_up_at_once() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    // Its first attempt fails, and the next would wait 2.5 to 5 s.
    let holder = robot(&webhook, &format!("{}#holder", redis.url()))
        .redis_takeover_after(Duration::from_secs(5))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_secs(5))
                .max_backoff(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    holder.send(&Payload::text("first")).await.unwrap();
    // Another process's robot (a store of its own), which does not hold the lease.
    let other = robot(&webhook, &format!("{}#other", redis.url()))
        .redis_takeover_after(Duration::from_secs(5))
        .build()
        .unwrap();
    other.flush(Duration::from_secs(5)).await.unwrap();
    sandbox.fail_next(1, Fault::Status(500));
    let delivery = holder.post(&Payload::text("retried")).await.unwrap();
    until("the failed attempt", Duration::from_secs(5), || {
        sandbox.exchanges().len() == 2
    })
    .await;
    let dropped_at = Instant::now();
    drop(holder);
    // The other takes over at once, and sends it again with its msgUuid.
    let receipt = tokio::time::timeout(Duration::from_secs(10), delivery)
        .await
        .expect("delivered")
        .unwrap();
    assert_eq!(receipt.attempts(), 1, "sent by the other, in one attempt");
    assert!(
        dropped_at.elapsed() < Duration::from_millis(2000),
        "{:?}: the dropped robot waited out its retry",
        dropped_at.elapsed()
    );
    assert_eq!(texts_once_each(&sandbox), ["first", "retried"]);
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_left_without_a_time_to_live_lapses_all_the_same() {
    let redis = match RedisServer::own(None) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test counts the commands of a Redis of its own: {e}");
            return;
        }
    };
    let token = unique_token("persist");
    let sandbox = sandbox_with_token(&token).await;
    // Another process's lease, made persistent by hand.
    let mut writer = connect(&redis);
    let lease = robot_key(&sandbox, &token, "lease");
    let _: () = redis::cmd("SET")
        .arg(&lease)
        .arg("gone")
        .query(&mut writer)
        .unwrap();
    let takeover = Duration::from_millis(1500);
    let before = redis.command_calls();
    let started = Instant::now();
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .redis_takeover_after(takeover)
        .build()
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        robot.send(&Payload::text("at last")),
    )
    .await
    .expect("the lease lapsed, and the robot was taken over")
    .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= takeover - Duration::from_millis(100) && waited < takeover * 3,
        "{waited:?}"
    );
    // Not a look a millisecond while it waited: one to find it, one when it lapses, and a
    // few for the message.
    let after = redis.command_calls();
    let scripts = after.get("evalsha").unwrap_or(&0) - before.get("evalsha").unwrap_or(&0);
    assert!(scripts < 20, "{scripts} scripts run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_backlog_that_no_process_delivers_is_bounded() {
    let redis = RedisServer::any();
    let token = unique_token("bound");
    let sandbox = sandbox_with_token(&token).await;
    // Another process holds the robot, and delivers nothing.
    let mut writer = connect(&redis);
    let lease = robot_key(&sandbox, &token, "lease");
    let _: () = redis::cmd("SET")
        .arg(&lease)
        .arg("elsewhere")
        .arg("PX")
        .arg(60_000)
        .query(&mut writer)
        .unwrap();
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .queue(1, QueuePolicy::Digest)
        .build()
        .unwrap();
    // The capacity, then as many again or 1,000, whichever is more (posted side by side).
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..1_001 {
        let robot = robot.clone();
        posts.spawn(async move { robot.post(&Payload::text(format!("d {i}"))).await.map(drop) });
    }
    while let Some(posted) = posts.join_next().await {
        posted.unwrap().unwrap();
    }
    let e = robot
        .post(&Payload::text("one too many"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull, "{e}");
    let queue = robot_key(&sandbox, &token, "queue");
    let len: usize = redis::cmd("XLEN").arg(&queue).query(&mut writer).unwrap();
    assert_eq!(len, 1_001);
    drop(robot);
    let _: () = redis::cmd("DEL")
        .arg(&queue)
        .arg(&lease)
        .query(&mut writer)
        .unwrap();
    assert!(sandbox.exchanges().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_deliverer_is_taken_over_and_sends_nothing_again_once_it_resumes() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    let count = 12;
    let first = ChildProcess::start_with(
        "post-and-deliver",
        &webhook,
        redis.url(),
        "a",
        &[("CHILD_COUNT", "12")],
    );
    assert_eq!(first.says(Duration::from_secs(30)), "posted");
    // Five go at once; it stalls while the sixth waits a second for its place.
    until("five messages", Duration::from_secs(10), || {
        sandbox.received().len() >= 5
    })
    .await;
    first.signal(libc::SIGSTOP);
    let second = ChildProcess::start("take-over", &webhook, redis.url(), "b");
    until("the second to deliver", Duration::from_secs(15), || {
        sandbox.received().len() >= 8
    })
    .await;
    // The first resumes, holding the sixth: it has lost the lease, and sends nothing.
    first.signal(libc::SIGCONT);
    assert_eq!(second.says(Duration::from_secs(40)), "flushed");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let texts = texts_once_each(&sandbox);
    let expected: Vec<String> = (0..count).map(|i| format!("a {i}")).collect();
    assert_eq!(texts, expected);
    let again: Vec<String> = sandbox
        .exchanges()
        .iter()
        .filter(|e| e.duplicate)
        .map(|e| e.to_string())
        .collect();
    assert!(again.is_empty(), "sent again: {again:?}");
    assert_eq!(throttles(&sandbox), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_one_process_met_holds_the_next_process_through_redis() {
    let redis = RedisServer::any();
    let sandbox = sandbox().await;
    let webhook = sandbox.webhook_url();
    sandbox.fail_next(1, Fault::answer(130_101, "send too fast"));
    let first = ChildProcess::start("throttled", &webhook, redis.url(), "t 1");
    assert_eq!(first.says(Duration::from_secs(30)), "rate limited");
    assert!(first.finished_well(Duration::from_secs(10)));
    // Another process, which met nothing itself: the hold is in Redis.
    let second = ChildProcess::start("throttled", &webhook, redis.url(), "t 2");
    assert_eq!(second.says(Duration::from_secs(30)), "rate limited");
    assert!(second.finished_well(Duration::from_secs(10)));
    // It never reached DingTalk.
    assert_eq!(sandbox.exchanges().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_failure_hook_holds_up_no_other_robot() {
    let redis = RedisServer::any();
    let (slow_sandbox, other_sandbox) = (sandbox().await, sandbox().await);
    let in_hook = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&in_hook);
    let slow = robot(&slow_sandbox.webhook_url(), redis.url())
        .on_failure(move |_, _| {
            flag.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(2));
        })
        .build()
        .unwrap();
    // Another robot kept in the same Redis: the same connection and runtime.
    let other = robot(&other_sandbox.webhook_url(), redis.url())
        .build()
        .unwrap();
    other.send(&Payload::text("warm")).await.unwrap();
    slow_sandbox.fail_next(1, Fault::answer(400_106, "机器人不存在"));
    let failing = slow.post(&Payload::text("fails")).await.unwrap();
    until("the hook", Duration::from_secs(5), || {
        in_hook.load(Ordering::SeqCst)
    })
    .await;
    let started = Instant::now();
    other.send(&Payload::text("meanwhile")).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}: it waited for another robot's hook",
        started.elapsed()
    );
    // The sender hears once the hook has.
    let e = failing.await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RobotNotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_no_token_nor_secret_and_every_key_expires() {
    let redis = match RedisServer::own(None) {
        Ok(redis) => redis,
        Err(e) => {
            eprintln!("skipped: this test reads every key of a Redis of its own: {e}");
            return;
        }
    };
    let token = unique_token("t0ken");
    let secret = "SECs3cr3t-never-written";
    let sandbox = Sandbox::builder()
        .access_token(&token)
        .secret(secret)
        .rate_limit(MAX, PER)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .secret(secret)
        .throttle_penalty(Duration::from_millis(300))
        .queue(2, QueuePolicy::Digest)
        .build()
        .unwrap();
    // Delivered; failed; throttled, held, then delivered; a backlog merged.
    robot.send(&Payload::text("hello")).await.unwrap();
    sandbox.fail_next(1, Fault::answer(400_106, "机器人不存在"));
    robot.send(&Payload::text("gone")).await.unwrap_err();
    sandbox.fail_next(1, Fault::answer(130_101, "send too fast"));
    sandbox.fail_next(1, Fault::Delay(Duration::from_millis(500)));
    let held = robot.post(&Payload::text("held")).await.unwrap();
    let mut merged = Vec::new();
    for i in 0..4 {
        merged.push(robot.post(&Payload::text(format!("d {i}"))).await.unwrap());
    }
    held.await.unwrap();
    for delivery in merged {
        delivery.await.unwrap();
    }
    let look = |when: &str| {
        let mut conn = connect(&redis);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
        assert!(!keys.is_empty());
        for key in keys {
            let name = String::from_utf8_lossy(&key).into_owned();
            let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut conn).unwrap();
            assert!(ttl > 0, "{when}: {name} does not expire ({ttl})");
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut conn).unwrap();
            let value: redis::Value = match kind.as_str() {
                "string" => redis::cmd("GET").arg(&key).query(&mut conn).unwrap(),
                "stream" => redis::cmd("XRANGE")
                    .arg(&key)
                    .arg("-")
                    .arg("+")
                    .query(&mut conn)
                    .unwrap(),
                "zset" => redis::cmd("ZRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query(&mut conn)
                    .unwrap(),
                other => panic!("{when}: {name} is a {other}, which this library does not write"),
            };
            let shown = format!("{name} {value:?}");
            for hidden in [token.as_str(), secret] {
                assert!(!shown.contains(hidden), "{when}: {shown}");
            }
        }
    };
    look("in use");
    robot.close(Duration::from_secs(5)).await.unwrap();
    look("closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_lost_its_lease_takes_no_place_and_sends_nothing_more() {
    let redis = RedisServer::any();
    let token = unique_token("lost");
    let sandbox = sandbox_with_token(&token).await;
    // A lease it would renew only every 20 s; one message a second.
    let robot = robot(&sandbox.webhook_url(), redis.url())
        .redis_takeover_after(Duration::from_secs(60))
        .rate_limit(1, Duration::from_secs(1))
        .build()
        .unwrap();
    let first = robot.post(&Payload::text("first")).await.unwrap();
    let second = robot.post(&Payload::text("second")).await.unwrap();
    first.await.unwrap();
    // Another process has the lease now (this one stalled, say), while the second waits for
    // its place.
    let mut writer = connect(&redis);
    let _: () = redis::cmd("SET")
        .arg(robot_key(&sandbox, &token, "lease"))
        .arg("another")
        .arg("PX")
        .arg(1_500)
        .query(&mut writer)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert_eq!(
        texts_once_each(&sandbox),
        ["first"],
        "sent without the lease"
    );
    // Once that lease lapses, this process takes the robot again and sends it.
    tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("delivered once the lease came back")
        .unwrap();
    assert_eq!(texts_once_each(&sandbox), ["first", "second"]);
}
