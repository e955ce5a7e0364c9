//! The cost of our delivery layers: sending over loopback to the sandbox with every limit off
//! (no rate limit, no retries), beside a plain reqwest POST loop to the same endpoint with the
//! same body. Both include the sandbox's own work, in the same process.
//!
//! `cargo bench --bench delivery` reports time per message (its inverse is messages per second)
//! and, as `cpu/…`, CPU time per message (every thread, user and system).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dingtalk_bot::{Payload, RetryPolicy, Robot};
use dingtalk_sandbox::Sandbox;

/// CPU time of this process so far, every thread, user and system.
fn cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(Sandbox::builder().no_rate_limit().start())
        .unwrap();
    let robot = Robot::builder(sandbox.webhook_url())
        .no_rate_limit()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let message = Payload::markdown(
        "Deploy billing v2.4",
        "### billing v2.4\n\n- status: **ok**",
    );
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = robot.check(&message).unwrap();
    let url = sandbox.webhook_url();
    let post = || async {
        let answer = plain
            .post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&answer[..], br#"{"errcode":0,"errmsg":"ok"}"#);
    };

    let mut group = c.benchmark_group("send one message over loopback");
    group.bench_function("Robot::send", |b| {
        b.to_async(&runtime).iter(|| async {
            robot.send(&message).await.unwrap();
        })
    });
    group.bench_function("plain reqwest POST", |b| b.to_async(&runtime).iter(post));
    group.finish();

    let mut group = c.benchmark_group("cpu");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("Robot::send", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time();
            runtime.block_on(async {
                for _ in 0..iters {
                    robot.send(&message).await.unwrap();
                }
            });
            cpu_time() - start
        })
    });
    group.bench_function("plain reqwest POST", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time();
            runtime.block_on(async {
                for _ in 0..iters {
                    post().await;
                }
            });
            cpu_time() - start
        })
    });
    group.finish();
    // The sandbox keeps every message: clear it so memory stays flat between groups.
    sandbox.clear_received();
}

criterion_group!(benches, bench);
criterion_main!(benches);
