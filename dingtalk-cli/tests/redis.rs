//! `--redis` (`DINGTALK_REDIS_URL`): the rate limit, the throttle and the queue shared through
//! Redis, tested as scripts use it: real processes in `sh` loops side by side, each with a
//! state directory of its own so that only Redis is shared, against a sandbox whose limit is
//! scaled down from 20 a minute; and what a Redis out of reach, a malformed URL and flags
//! that cannot go with Redis do.
//!
//! Redis: `REDIS_URL` if set, else a `redis-server` of each test's own (see
//! `tests/support/redis_server.rs` at the workspace's root).

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

#[path = "support/processes.rs"]
mod processes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use dingtalk_sandbox::Sandbox;
use processes::{run_all, stderr, stdout};
use redis_server::RedisServer;

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk");

/// The scaled limit: 5 messages in any 1.5 s, on the sandbox and on every process.
const MAX: usize = 5;
const PER: Duration = Duration::from_millis(1500);
const RATE: &str = "5/1.5";

/// A password no output may show.
const PASSWORD: &str = "hunter2-not-shown";

/// A directory of its own per test: its HOME and config directory, and the state directories
/// of its processes.
fn home(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dingtalk-redis-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `command` with a clean environment: the robot `webhook`, the scaled limit, and the state
/// directory `state` under `home`.
fn clean(mut command: Command, home: &Path, state: &str, webhook: &str) -> Command {
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("DINGTALK_STATE_DIR", home.join(state))
        .env("DINGTALK_WEBHOOK", webhook)
        .env("DINGTALK_RATE_LIMIT", RATE)
        .env("BIN", BIN);
    command
}

async fn dingtalk(home: &Path, webhook: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = clean(Command::new(BIN), home, "state", webhook);
    command.envs(env.iter().copied()).args(args);
    run_all(vec![command]).await.pop().unwrap()
}

/// Neither output shows the password.
fn no_password(output: &Output) {
    for text in [stdout(output), stderr(output)] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
}

/// A loopback port nobody listens on.
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_loops_that_share_only_redis_stay_within_one_limit() {
    let redis = RedisServer::any();
    // Throttled for an hour: one window over the limit fails the test.
    let sandbox = Sandbox::builder()
        .rate_limit(MAX as u32, PER)
        .penalty(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let home = home("loops");
    let webhook = sandbox.webhook_url();
    const SENDS: usize = 8;
    // Each loop with a state directory of its own; one names Redis in the environment, the
    // others with the flag.
    let loops = ["a", "b", "c"]
        .map(|name| {
            let script = format!(
                r#"failed=0
i=1
while [ $i -le {SENDS} ]; do
  "$BIN" --quiet $REDIS_FLAG send text "{name} $i" || {{ echo "{name}: send $i exited $?" >&2; failed=1; }}
  i=$((i + 1))
done
exit $failed"#
            );
            let mut command = clean(Command::new("sh"), &home, &format!("state-{name}"), &webhook);
            if name == "c" {
                command
                    .env("DINGTALK_REDIS_URL", redis.url())
                    .env("REDIS_FLAG", "");
            } else {
                command.env("REDIS_FLAG", format!("--redis={}", redis.url()));
            }
            command.args(["-c", &script]);
            command
        })
        .into();
    let start = Instant::now();
    let outputs = run_all(loops).await;
    let elapsed = start.elapsed();
    for output in &outputs {
        assert!(output.status.success(), "{}", stderr(output));
        // Nothing to say: no warning either.
        assert_eq!(stderr(output), "");
    }
    let received = sandbox.received();
    let throttles: Vec<String> = sandbox
        .exchanges()
        .iter()
        .filter(|e| e.errcode.is_some_and(|c| c != 0))
        .map(|e| e.to_string())
        .collect();
    assert!(throttles.is_empty(), "{throttles:?}");
    assert!(!sandbox.is_throttled());
    assert!(sandbox.busiest_window(PER) <= MAX);
    // Every message once, each loop's in the order it sent them.
    let mut last: HashMap<String, usize> = HashMap::new();
    for r in &received {
        let text = r.json()["text"]["content"].as_str().unwrap().to_owned();
        let (name, i) = text.split_once(' ').unwrap();
        let i: usize = i.parse().unwrap();
        assert_eq!(
            last.insert(name.to_owned(), i).unwrap_or(0),
            i - 1,
            "{text}"
        );
    }
    assert_eq!(received.len(), 3 * SENDS);
    // Only Redis was shared: no state directory was made.
    for name in ["a", "b", "c"] {
        assert!(!home.join(format!("state-{name}")).exists(), "{name}");
    }
    // The 21st message waits for four windows after the first, at the least; and no process
    // ended holding the robot, which would have left the next to wait 30 s for its lease.
    assert!(elapsed >= 4 * PER, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(25), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_out_of_reach_fails_with_status_10_and_never_shows_the_password() {
    let home = home("unreachable");
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}", unused_port());
    let hook = "http://127.0.0.1:9/robot/send?access_token=t";
    for (env, flag) in [(None, Some(url.as_str())), (Some(url.as_str()), None)] {
        let env: Vec<(&str, &str)> = env.map(|u| ("DINGTALK_REDIS_URL", u)).into_iter().collect();
        let mut args = vec!["send", "text", "hi"];
        if let Some(flag) = flag {
            args.splice(0..0, ["--redis", flag]);
        }
        let start = Instant::now();
        let output = dingtalk(&home, hook, &env, &args).await;
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
        no_password(&output);
        let err = stderr(&output);
        // One line: what failed, why, and what to check.
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("dingtalk: the robot's shared store (Redis) could not ")
                && err.matches("Connection refused").count() == 1
                && err.ends_with(
                    "; check that Redis runs and can be reached at the URL of --redis (or DINGTALK_REDIS_URL)\n"
                ),
            "{err}"
        );
    }
    // Nor does the help, which shows the other variables' values.
    let mut command = Command::new(BIN);
    command.env("DINGTALK_REDIS_URL", &url).arg("--help");
    let help = run_all(vec![command]).await.pop().unwrap();
    assert!(help.status.success());
    no_password(&help);
    assert!(stdout(&help).contains("[env: DINGTALK_REDIS_URL]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_redis_url_is_a_configuration_error_and_no_wait_a_usage_error() {
    let home = home("malformed");
    let hook = "http://127.0.0.1:9/robot/send?access_token=t";
    for url in [
        format!("redis://:{PASSWORD}@127.0.0.1:notaport"),
        format!("http://:{PASSWORD}@127.0.0.1"),
        "not a url".to_owned(),
    ] {
        let output = dingtalk(&home, hook, &[], &["--redis", &url, "send", "text", "hi"]).await;
        assert_eq!(output.status.code(), Some(3), "{url}: {}", stderr(&output));
        no_password(&output);
        assert!(
            stderr(&output).contains("redis://[:password@]host[:port][/db]"),
            "{}",
            stderr(&output)
        );
    }
    // A message queued in Redis waits for whichever process delivers it: --no-wait cannot be
    // kept, whether Redis is named by the flag or the environment.
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}", unused_port());
    for env in [vec![], vec![("DINGTALK_REDIS_URL", url.as_str())]] {
        let mut args = vec!["--no-wait", "send", "text", "hi"];
        if env.is_empty() {
            args.splice(0..0, ["--redis", &url]);
        }
        let output = dingtalk(&home, hook, &env, &args).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        no_password(&output);
        assert_eq!(
            stderr(&output),
            "dingtalk: --no-wait cannot be used with --redis (or DINGTALK_REDIS_URL): a message queued in Redis waits for whichever process delivers it; leave one of them out\n"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_shared_limit_leaves_redis_out() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let home = home("not-shared");
    // Redis out of reach: unused, so the send goes through, --no-wait with it.
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}", unused_port());
    let output = dingtalk(
        &home,
        &sandbox.webhook_url(),
        &[("DINGTALK_REDIS_URL", &url)],
        &["--no-shared-limit", "--no-wait", "send", "text", "hi"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    no_password(&output);
    assert_eq!(sandbox.received().len(), 1);
    assert!(!home.join("state").exists());
}
