//! The cost of our delivery layers: sending over loopback to the sandbox with every limit off
//! (no rate limit, no retries), beside a plain reqwest POST loop to the same endpoint with the
//! same body; and, with the `redis` feature, the same robot with its limiter and queue in Redis
//! on loopback (`RobotBuilder::redis`). All include the sandbox's own work, in the same process.
//!
//! `cargo bench --bench delivery --features redis` reports time per message with its inverse,
//! messages per second (`thrpt`), and, as `cpu/…`, CPU time per message (every thread of this
//! process, user and system: the sandbox's and the robot's Redis connection's included, the
//! Redis server's not). `Robot::send` waits for each message's receipt before the next;
//! `Robot::post + flush` queues a batch without waiting and then waits for all of it, so that
//! the queue delivers one message while the next are queued.
//!
//! Redis: `REDIS_URL` if set, else a `redis-server` of the bench's own on a free loopback port
//! (no persistence), stopped at the end; without either, the Redis cases are skipped. With a
//! server of its own, the bench also prints the server's CPU per message (from `/proc`) and the
//! round trips to Redis a message costs (the commands clients sent, as `MONITOR` shows them).

use std::cell::Cell;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dingtalk_bot::{Markdown, Payload, QueuePolicy, RetryPolicy, Robot, RobotBuilder};
use dingtalk_sandbox::Sandbox;

/// Room for every message a `post + flush` batch queues: the bench measures the pipeline, not
/// the wait for room.
const BATCH_ROOM: usize = 1 << 20;

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

/// CPU time of another process so far, every thread, user and system, from `/proc/<pid>/stat`
/// (in clock ticks, 10 ms as a rule); `None` where there is no such file.
fn process_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's name in parentheses: the state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf with a valid name has no preconditions.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    Some(Duration::from_nanos(
        ticks * 1_000_000_000 / per_second.max(1),
    ))
}

#[cfg(feature = "redis")]
#[path = "../tests/support/redis_server.rs"]
mod redis_server;

/// A robot to measure, and the process of the server it keeps its queue in, if any.
struct Case {
    /// Appended to each row's name: "" or " through Redis".
    suffix: &'static str,
    robot: Robot,
    /// The Redis server's process, when this bench started it.
    server: Option<u32>,
    /// The server's CPU time and the messages sent, over the `cpu/…` rows.
    server_cpu: Cell<(Duration, u64)>,
}

/// A robot with every limit off, queueing up to `BATCH_ROOM` messages.
fn unlimited(webhook: &str) -> RobotBuilder {
    Robot::builder(webhook)
        .no_rate_limit()
        .retry(RetryPolicy::none())
        .queue(BATCH_ROOM, QueuePolicy::Wait)
}

/// Queues `n` messages without waiting, then waits for them: for the last one's receipt (the
/// queue delivers in order), then `flush`. (`flush` alone would look at a queue in Redis every
/// 20 ms, and add up to that to a batch.)
async fn post_and_flush(robot: &Robot, message: &Markdown, n: u64) {
    let mut last = None;
    for _ in 0..n {
        last = Some(robot.post(message).await.unwrap());
    }
    if let Some(last) = last {
        last.await.unwrap();
    }
    robot.flush(Duration::from_secs(60)).await.unwrap();
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
    let url = sandbox.webhook_url();
    // Without the `redis` feature, the in-process robot alone.
    #[allow(unused_mut)]
    let mut cases = vec![Case {
        suffix: "",
        robot: unlimited(&url).build().unwrap(),
        server: None,
        server_cpu: Cell::default(),
    }];
    #[cfg(feature = "redis")]
    let redis = fleet::redis();
    #[cfg(feature = "redis")]
    if let Some(redis) = &redis {
        cases.push(Case {
            suffix: " through Redis",
            robot: unlimited(&url).redis(redis.url()).build().unwrap(),
            server: fleet::pid(redis),
            server_cpu: Cell::default(),
        });
    }
    #[cfg(not(feature = "redis"))]
    println!(
        "The Redis cases are skipped: built without the `redis` feature \
         (cargo bench --bench delivery --features redis)"
    );
    let message = Payload::markdown(
        "Deploy billing v2.4",
        "### billing v2.4\n\n- status: **ok**",
    );
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = cases[0].robot.check(&message).unwrap();
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
    group.throughput(Throughput::Elements(1));
    for case in &cases {
        group.bench_function(format!("Robot::send{}", case.suffix), |b| {
            b.to_async(&runtime).iter(|| async {
                case.robot.send(&message).await.unwrap();
            })
        });
        sandbox.clear_received();
    }
    group.bench_function("plain reqwest POST", |b| b.to_async(&runtime).iter(post));
    sandbox.clear_received();
    // Batches of hundreds at least, so that filling and draining the queue counts little.
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for case in &cases {
        group.bench_function(format!("Robot::post + flush{}", case.suffix), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                runtime.block_on(post_and_flush(&case.robot, &message, iters));
                start.elapsed()
            })
        });
        sandbox.clear_received();
    }
    group.finish();

    let mut group = c.benchmark_group("cpu");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    // The server's CPU over the iterations, added to the case's totals.
    let server_cpu = |case: &Case, iters: u64, run: &mut dyn FnMut()| {
        let before = case.server.and_then(process_cpu_time);
        run();
        let after = case.server.and_then(process_cpu_time);
        if let (Some(before), Some(after)) = (before, after) {
            let (cpu, sent) = case.server_cpu.get();
            case.server_cpu.set((cpu + (after - before), sent + iters));
        }
    };
    let mut server_rows = Vec::new();
    for case in &cases {
        let name = format!("Robot::send{}", case.suffix);
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                let start = cpu_time();
                server_cpu(case, iters, &mut || {
                    runtime.block_on(async {
                        for _ in 0..iters {
                            case.robot.send(&message).await.unwrap();
                        }
                    })
                });
                cpu_time() - start
            })
        });
        server_rows.push((name, case.server_cpu.take()));
        sandbox.clear_received();
    }
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
    sandbox.clear_received();
    for case in &cases {
        let name = format!("Robot::post + flush{}", case.suffix);
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                let start = cpu_time();
                server_cpu(case, iters, &mut || {
                    runtime.block_on(post_and_flush(&case.robot, &message, iters))
                });
                cpu_time() - start
            })
        });
        server_rows.push((name, case.server_cpu.take()));
        sandbox.clear_received();
    }
    group.finish();
    for (name, (cpu, sent)) in server_rows {
        // Too few messages (a test run, `cargo test --benches`) to read in 10 ms ticks.
        if sent >= 1_000 {
            println!(
                "redis-server CPU per message (its own process, not in cpu/…), {name}: {:.1} µs \
                 ({:.2} s over {sent} messages, /proc ticks)",
                cpu.as_secs_f64() * 1e6 / sent as f64,
                cpu.as_secs_f64(),
            );
        }
    }

    #[cfg(feature = "redis")]
    if let (Some(redis), Some(case)) = (&redis, cases.get(1)) {
        fleet::print_round_trips(redis, &runtime, &case.robot, &message);
    }
}

/// The Redis server, and what is measured on it (feature `redis`).
#[cfg(feature = "redis")]
mod fleet {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    use dingtalk_bot::{Markdown, Robot};
    use tokio::runtime::Runtime;

    pub use super::redis_server::RedisServer;

    /// How many messages the round trips are counted over.
    const COUNTED: u64 = 200;

    /// `REDIS_URL` if set, else a server of the bench's own; `None`, said, without either.
    pub fn redis() -> Option<RedisServer> {
        if std::env::var("REDIS_URL").is_ok_and(|url| !url.is_empty()) {
            return Some(RedisServer::any());
        }
        match RedisServer::own(None) {
            Ok(server) => Some(server),
            Err(e) => {
                println!("The Redis cases are skipped: {e}");
                None
            }
        }
    }

    /// The process of a server the bench started.
    pub fn pid(server: &RedisServer) -> Option<u32> {
        if !server.is_own() {
            return None;
        }
        let info = server.command(&["INFO", "server"]).ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("process_id:"))?
            .trim()
            .parse()
            .ok()
    }

    /// Prints the round trips to Redis per message of `Robot::send` and of `post + flush`:
    /// the commands this process sent, as `MONITOR` shows them (not those scripts ran), and
    /// the count `tests/redis.rs` takes from `INFO commandstats`.
    pub fn print_round_trips(
        server: &RedisServer,
        runtime: &Runtime,
        robot: &Robot,
        message: &Markdown,
    ) {
        if !server.is_own() {
            println!(
                "Round trips to Redis not counted: the server is REDIS_URL's, not the bench's"
            );
            return;
        }
        let send = count(server, || {
            runtime.block_on(async {
                for _ in 0..COUNTED {
                    robot.send(message).await.unwrap();
                }
            })
        });
        let post = count(server, || {
            runtime.block_on(super::post_and_flush(robot, message, COUNTED))
        });
        for (name, counted) in [
            ("Robot::send through Redis", send),
            ("Robot::post + flush through Redis", post),
        ] {
            let Some((commands, test_count)) = counted else {
                println!("Round trips to Redis not counted for {name}: MONITOR failed");
                continue;
            };
            let total: u64 = commands.values().sum();
            let each: Vec<String> = commands
                .iter()
                .map(|(command, n)| format!("{command} {:.2}", *n as f64 / COUNTED as f64))
                .collect();
            println!(
                "round trips to Redis per message, {name}: {:.2} ({}; over {COUNTED} messages); \
                 counted as tests/redis.rs does (INFO commandstats): {:.2}",
                total as f64 / COUNTED as f64,
                each.join(", "),
                test_count as f64 / COUNTED as f64,
            );
        }
    }

    /// The commands clients sent while `run` ran, by name, as `MONITOR` shows them; and the
    /// count of `tests/redis.rs` (the calls of the commands this library sends by itself, but
    /// for `flush`'s XLEN, which scripts also run).
    fn count(server: &RedisServer, run: impl FnOnce()) -> Option<(BTreeMap<String, u64>, u64)> {
        const START: &str = "dingtalk-bench-count-start";
        const END: &str = "dingtalk-bench-count-end";
        let port: u16 = server.url().rsplit(':').next()?.parse().ok()?;
        let mut monitor = TcpStream::connect(("127.0.0.1", port)).ok()?;
        monitor.write_all(b"*1\r\n$7\r\nMONITOR\r\n").ok()?;
        let mut lines = BufReader::new(monitor);
        let mut line = String::new();
        lines.read_line(&mut line).ok()?;
        if line.trim_end() != "+OK" {
            return None;
        }
        let top_level = ["evalsha", "eval", "script|load", "subscribe", "ping"];
        let calls = |stats: &std::collections::HashMap<String, u64>| -> u64 {
            top_level
                .iter()
                .map(|name| stats.get(*name).unwrap_or(&0))
                .sum()
        };
        let before = calls(&server.command_calls());
        server.command(&["ECHO", START]).ok()?;
        run();
        server.command(&["ECHO", END]).ok()?;
        let test_count = calls(&server.command_calls()) - before;
        let mut commands = BTreeMap::new();
        let mut counting = false;
        loop {
            line.clear();
            if lines.read_line(&mut line).ok()? == 0 {
                return None;
            }
            // `+1700000000.123456 [0 127.0.0.1:40000] "evalsha" "…" …`; `[0 lua]` for a
            // command a script ran.
            let Some((source, command)) = line
                .split_once(" [")
                .and_then(|(_, rest)| rest.split_once("] "))
            else {
                continue;
            };
            let name = command.split('"').nth(1).unwrap_or("").to_ascii_lowercase();
            if name == "echo" && command.contains(START) {
                counting = true;
            } else if name == "echo" && command.contains(END) {
                return Some((commands, test_count));
            } else if counting && !source.ends_with(" lua") {
                *commands.entry(name).or_default() += 1;
            }
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
