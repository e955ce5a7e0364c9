//! The blocking client (feature `blocking`), from a plain thread, against the sandbox.
#![cfg(feature = "blocking")]

use std::time::Duration;

use dingtalk_bot::{ErrorKind, Payload, Robot, blocking};
use dingtalk_sandbox::Sandbox;

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

#[test]
fn sends_checks_and_queues_like_the_async_robot() {
    let (_runtime, sandbox) = sandbox(Sandbox::builder().secret("SECblocking").keywords(["备份"]));
    let robot = blocking::Robot::new(
        Robot::builder(sandbox.webhook_url())
            .secret("SECblocking")
            .keywords(["备份"])
            .rate_limit(2, Duration::from_millis(200)),
    )
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

#[tokio::test]
async fn refuses_to_block_async_code() {
    let robot = blocking::Robot::new(Robot::builder(
        "http://127.0.0.1:9/robot/send?access_token=t",
    ))
    .unwrap();
    let e = robot.send(&Payload::text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    // Dropped inside async code: no panic, nothing blocks.
    drop(robot);
}
