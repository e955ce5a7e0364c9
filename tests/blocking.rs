//! The blocking client (feature `blocking`), against the sandbox: from a plain thread, from
//! `spawn_blocking` on either flavour of runtime, configured as the async one is, and what
//! happens when async code calls it.
#![cfg(feature = "blocking")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_bot::{ErrorKind, Payload, RetryPolicy, Robot, blocking};
use dingtalk_sandbox::{Fault, Sandbox};

/// A sandbox on a runtime of its own, as another process would be.
fn sandbox(builder: dingtalk_sandbox::SandboxBuilder) -> (tokio::runtime::Runtime, Sandbox) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime.block_on(builder.start()).unwrap();
    (runtime, sandbox)
}

fn contents(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .received()
        .iter()
        .map(|r| r.payload().content().unwrap().to_owned())
        .collect()
}

#[test]
fn sends_checks_and_queues_like_the_async_robot() {
    let (_runtime, sandbox) = sandbox(Sandbox::builder().secret("SECblocking").keywords(["备份"]));
    let robot = blocking::Robot::builder(sandbox.webhook_url())
        .secret("SECblocking")
        .keywords(["备份"])
        .rate_limit(2, Duration::from_millis(200))
        .build()
        .unwrap();
    let receipt = robot.send(&Payload::text("备份完成")).unwrap();
    assert_eq!(receipt.errmsg(), "ok");
    let e = robot.send(&Payload::text("no keyword")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeywordMismatch);
    for i in 0..4 {
        robot.post(&Payload::text(format!("备份 {i}"))).unwrap();
    }
    robot.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(sandbox.received().len(), 5);

    // Dropping it with a backlog waits for the backlog.
    for i in 0..3 {
        robot
            .post(&Payload::text(format!("备份 late {i}")))
            .unwrap();
    }
    drop(robot);
    assert_eq!(sandbox.received().len(), 8);
}

#[test]
fn an_async_builder_makes_the_same_robot() {
    let (_runtime, sandbox) = sandbox(Sandbox::builder().keywords(["deploy"]));
    let robot = blocking::Robot::new(sandbox.robot_builder()).unwrap();
    assert_eq!(robot.keywords(), ["deploy"]);
    assert_eq!(robot.name(), "127.0.0.1");
    assert_eq!(robot.webhook().expose().as_str(), sandbox.webhook_url());
    robot.send(&Payload::text("deploy done")).unwrap();
    assert_eq!(contents(&sandbox), ["deploy done"]);
}

/// The async program's sandbox serves the requests that `spawn_blocking` makes: on a
/// current-thread runtime its one thread is free while the test awaits the closure.
async fn from_spawn_blocking(sandbox: Sandbox) {
    let webhook = sandbox.webhook_url();
    tokio::task::spawn_blocking(move || {
        let robot = blocking::Robot::builder(webhook).build().unwrap();
        robot.send(&Payload::text("sent")).unwrap();
        robot.post(&Payload::text("posted")).unwrap();
        robot.flush(Duration::from_secs(5)).unwrap();
        robot.post(&Payload::text("left to the drop")).unwrap();
        drop(robot);
    })
    .await
    .unwrap();
    assert_eq!(contents(&sandbox), ["sent", "posted", "left to the drop"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_spawn_blocking() {
    from_spawn_blocking(Sandbox::builder().start().await.unwrap()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_spawn_blocking_of_a_current_thread_runtime() {
    from_spawn_blocking(Sandbox::builder().start().await.unwrap()).await;
}

/// Tokio refuses: blocking a thread that drives async code could stall what the call waits
/// for (here, a sandbox served by that very thread) for good.
#[tokio::test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
async fn panics_when_async_code_calls_it() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let robot = blocking::Robot::builder(sandbox.webhook_url())
        .build()
        .unwrap();
    // Building and checking do not block.
    robot.check(&Payload::text("x")).unwrap();
    let _ = robot.send(&Payload::text("x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
async fn panics_when_async_code_of_a_multi_thread_runtime_calls_it() {
    let robot = blocking::Robot::builder("http://127.0.0.1:9/robot/send?access_token=t")
        .build()
        .unwrap();
    let _ = robot.flush(Duration::from_secs(1));
}

/// A worker of the runtime blocks while the drop waits; the other serves the sandbox. (On a
/// current-thread runtime, the sandbox would wait for the drop, and the drop for it: the drop
/// gives up after `DROP_FLUSH_DEADLINE`, with a warning.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_in_async_code_it_still_delivers_its_backlog() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let webhook = sandbox.webhook_url();
    let robot = tokio::task::spawn_blocking(move || {
        let robot = blocking::Robot::builder(webhook)
            .rate_limit(1, Duration::from_millis(100))
            .build()
            .unwrap();
        for i in 0..3 {
            robot.post(&Payload::text(format!("queued {i}"))).unwrap();
        }
        robot
    })
    .await
    .unwrap();
    // No panic: the drop waits on a channel for the robot's own runtime.
    drop(robot);
    assert_eq!(contents(&sandbox), ["queued 0", "queued 1", "queued 2"]);
}

#[test]
fn its_fallback_hears_of_failures_and_lives_as_long_as_it() {
    let (_runtime, ops) = sandbox(Sandbox::builder().keywords(["ops"]));
    let (_runtime2, app) = sandbox(Sandbox::builder());
    let failed = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&failed);
    let robot = blocking::Robot::builder(app.webhook_url())
        .retry(RetryPolicy::none())
        .on_failure(move |payload, e| {
            let content = payload.content().unwrap_or_default();
            hook.lock()
                .unwrap()
                .push(format!("{content}: {:?}", e.kind()));
        })
        .fallback(
            blocking::Robot::builder(ops.webhook_url())
                .keywords(["ops"])
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    app.fail_next(1, Fault::answer(300_005, "token is not exist"));
    let e = robot.send(&Payload::text("nightly backup")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    // The notice is queued on the fallback, which only this robot holds: its drop waits
    // for it.
    drop(robot);
    assert_eq!(*failed.lock().unwrap(), ["nightly backup: InvalidToken"]);
    let notices = ops.received();
    assert_eq!(notices.len(), 1);
    let notice = notices[0].json()["markdown"]["text"].to_string();
    assert!(notice.contains("nightly backup"), "{notice}");
}

#[test]
fn configured_from_a_lookup_or_a_prefix() {
    let (_runtime, sandbox) = sandbox(Sandbox::builder().secret("SEClookup").keywords(["备份"]));
    let webhook = sandbox.webhook_url();
    let robot = blocking::Robot::from_lookup(|name| match name {
        "DINGTALK_WEBHOOK" => Some(webhook.clone()),
        "DINGTALK_SECRET" => Some("SEClookup".to_owned()),
        "DINGTALK_KEYWORDS" => Some("备份".to_owned()),
        _ => None,
    })
    .unwrap();
    robot.send(&Payload::text("备份 from a lookup")).unwrap();
    assert_eq!(contents(&sandbox), ["备份 from a lookup"]);

    let e = blocking::Robot::from_env_prefixed("DINGTALK_BLOCKING_TEST_UNSET").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert_eq!(
        e.to_string(),
        "DINGTALK_BLOCKING_TEST_UNSET_DINGTALK_WEBHOOK is not set"
    );
}

/// Set in the child process that `configured_from_the_environment` starts.
const CHILD: &str = "DINGTALK_BLOCKING_CHILD";

/// `from_env` and `from_env_prefixed` read the real environment, which a test must not
/// change: the child test runs in a process of its own with the variables set.
#[test]
fn configured_from_the_environment() {
    let (_runtime, plain) = sandbox(Sandbox::builder().secret("SECplain"));
    let (_runtime2, ops) = sandbox(Sandbox::builder().keywords(["告警"]));
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "configured_from_the_environment_child"])
        .args(["--ignored", "--nocapture"])
        .env(CHILD, "1")
        .env("DINGTALK_WEBHOOK", plain.webhook_url())
        .env("DINGTALK_SECRET", "SECplain")
        .env("OPS_DINGTALK_WEBHOOK", ops.webhook_url())
        .env("OPS_DINGTALK_KEYWORDS", "告警")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("1 passed"), "the child test ran: {shown}");
    assert_eq!(contents(&plain), ["from DINGTALK_*"]);
    assert_eq!(contents(&ops), ["告警 from OPS_DINGTALK_*"]);
}

#[test]
#[ignore = "run by `configured_from_the_environment`, in a process of its own"]
fn configured_from_the_environment_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let robot = blocking::Robot::from_env().unwrap();
    robot.send(&Payload::text("from DINGTALK_*")).unwrap();
    let ops = blocking::Robot::from_env_prefixed("OPS").unwrap();
    assert_eq!(ops.keywords(), ["告警"]);
    ops.send(&Payload::text("告警 from OPS_DINGTALK_*"))
        .unwrap();
}

#[test]
fn an_async_robot_builder_and_a_blocking_one_configure_alike() {
    let hook = "https://oapi.dingtalk.com/robot/send?access_token=t0k3n";
    let blocking = blocking::Robot::builder(hook)
        .secret("SECs3cr3t")
        .keywords(["deploy", " ", "deploy"])
        .name("ops")
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let plain = Robot::builder(hook)
        .secret("SECs3cr3t")
        .keywords(["deploy", " ", "deploy"])
        .name("ops")
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    assert_eq!(blocking.keywords(), plain.keywords());
    assert_eq!(blocking.name(), plain.name());
    let shown = format!("{blocking:?}");
    assert!(shown.contains(&format!("{plain:?}")), "{shown}");
    assert!(
        !shown.contains("t0k3n") && !shown.contains("SECs3cr3t"),
        "{shown}"
    );
    // The builder's own checks.
    let e = blocking::Robot::builder(hook)
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

#[test]
fn closes_with_its_backlog_delivered_and_expires_what_is_late() {
    let (_runtime, sandbox) = sandbox(Sandbox::builder().keywords(["ops"]));
    let robot = blocking::Robot::builder(sandbox.webhook_url())
        .keywords(["ops"])
        .prefix_keyword("[ops] ")
        .rate_limit(1, Duration::from_millis(200))
        .build()
        .unwrap();
    robot.send(&Payload::text("first")).unwrap();
    // The one place is taken for 200 ms: a message good for 20 ms expires unsent.
    let e = robot
        .send_within(&Payload::text("late"), Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    robot
        .post_within(&Payload::text("in time"), Duration::from_secs(5))
        .unwrap();
    robot.post(&Payload::text("last")).unwrap();
    // A clone's close leaves the robot to the others.
    robot.clone().close(Duration::from_secs(5)).unwrap();
    assert!(robot.queued() > 0);
    robot.close(Duration::from_secs(5)).unwrap();
    assert_eq!(
        contents(&sandbox),
        ["[ops] first", "[ops] in time", "[ops] last"]
    );
}
