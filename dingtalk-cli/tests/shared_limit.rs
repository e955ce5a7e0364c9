//! The rate limit shared by every `dingtalk` process on the machine, tested as scripts use it:
//! real processes in `sh` loops, one after the other and side by side, against a sandbox whose
//! limit is scaled down from 20 a minute so that the tests take seconds. Each test has a state
//! directory of its own.

#[path = "support/processes.rs"]
mod processes;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use dingtalk_sandbox::Sandbox;
use processes::{run_all, stderr};

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk");

/// A directory of its own per test: its HOME, config directory and state directory.
fn home(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dingtalk-shared-limit-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn state_dir(home: &Path) -> PathBuf {
    home.join("state")
}

/// `command` with a clean environment: the robot `webhook`, the limit `rate` and the state
/// directory under `home`.
fn clean(mut command: Command, home: &Path, webhook: &str, rate: &str) -> Command {
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("DINGTALK_STATE_DIR", state_dir(home))
        .env("DINGTALK_WEBHOOK", webhook)
        .env("DINGTALK_RATE_LIMIT", rate)
        .env("BIN", BIN);
    command
}

/// Runs `sends` sends of `dingtalk send text` in a `sh` loop, as a script would. The loop
/// goes on past a failure and exits 1 if any send failed, naming each on standard error.
fn shell_loop(name: &str, sends: usize, home: &Path, webhook: &str, rate: &str) -> Command {
    let script = format!(
        r#"failed=0
i=1
while [ $i -le {sends} ]; do
  "$BIN" --quiet send text "{name} message $i" || {{ echo "{name}: send $i exited $?" >&2; failed=1; }}
  i=$((i + 1))
done
exit $failed"#
    );
    let mut command = clean(Command::new("sh"), home, webhook, rate);
    command.args(["-c", &script]);
    command
}

async fn dingtalk(home: &Path, webhook: &str, rate: &str, args: &[&str]) -> Output {
    let mut command = clean(Command::new(BIN), home, webhook, rate);
    command.args(args);
    run_all(vec![command]).await.pop().unwrap()
}

/// DingTalk never throttled the robot: no answer said so, and it does not now.
fn never_throttled(sandbox: &Sandbox) {
    assert!(!sandbox.is_throttled());
    let throttles: Vec<String> = sandbox
        .exchanges()
        .iter()
        .filter(|e| e.errcode.is_some_and(|c| c != 0))
        .map(|e| e.to_string())
        .collect();
    assert!(throttles.is_empty(), "{throttles:?}");
}

/// The one state file of the robot: our JSON, within the limit, and no token in it.
fn state_file_is_sound(home: &Path, max: usize) {
    let files: Vec<PathBuf> = std::fs::read_dir(state_dir(home).join("limits"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(state["places"].as_array().unwrap().len() <= max, "{text}");
    assert!(!text.contains(dingtalk_sandbox::DEFAULT_TOKEN), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_sends_in_a_shell_loop_wait_for_the_limit_instead_of_being_throttled() {
    let sandbox = Sandbox::builder()
        .rate_limit(5, Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let home = home("loop");
    let start = Instant::now();
    let output = run_all(vec![shell_loop(
        "loop",
        25,
        &home,
        &sandbox.webhook_url(),
        "5/3",
    )])
    .await
    .pop()
    .unwrap();
    let elapsed = start.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sandbox.received().len(), 25);
    never_throttled(&sandbox);
    // The 21st send waits for four windows after the first answer, at the least.
    assert!(elapsed >= Duration::from_secs(12), "{elapsed:?}");
    state_file_is_sound(&home, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_loops_side_by_side_share_one_limit() {
    let sandbox = Sandbox::builder()
        .rate_limit(5, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let home = home("parallel");
    let webhook = sandbox.webhook_url();
    let loops = ["a", "b", "c"]
        .map(|name| shell_loop(name, 25, &home, &webhook, "5/1.5"))
        .into();
    let start = Instant::now();
    let outputs = run_all(loops).await;
    let elapsed = start.elapsed();
    for output in &outputs {
        assert!(output.status.success(), "{}", stderr(output));
    }
    assert_eq!(sandbox.received().len(), 75);
    never_throttled(&sandbox);
    // The 71st send waits for fourteen windows after the first answer, at the least.
    assert!(elapsed >= Duration::from_millis(14 * 1500), "{elapsed:?}");
    state_file_is_sound(&home, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_fails_at_once_with_status_6_when_the_local_limit_is_full() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let home = home("no-wait");
    let hook = sandbox.webhook_url();
    for _ in 0..2 {
        let sent = dingtalk(&home, &hook, "2/60", &["send", "text", "hi"]).await;
        assert!(sent.status.success(), "{}", stderr(&sent));
    }
    let start = Instant::now();
    let refused = dingtalk(&home, &hook, "2/60", &["--no-wait", "send", "text", "hi"]).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    assert_eq!(
        stderr(&refused),
        "dingtalk: the local rate limit (2 messages per 60s) is full: no place came free at once, and nothing was sent to DingTalk; try again later\n"
    );
    assert_eq!(sandbox.received().len(), 2);
    never_throttled(&sandbox);
    // Waiting a throttle out is another matter: a full limit still fails at once.
    let start = Instant::now();
    let both = dingtalk(
        &home,
        &hook,
        "2/60",
        &["--no-wait", "--wait-throttle", "send", "text", "hi"],
    )
    .await;
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(both.status.code(), Some(6), "{}", stderr(&both));
    assert!(stderr(&both).contains("is full"), "{}", stderr(&both));
    assert_eq!(sandbox.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_fails_every_later_send_at_once_without_reaching_dingtalk() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let home = home("throttled");
    let hook = sandbox.webhook_url();
    sandbox.fail_next(
        1,
        dingtalk_sandbox::Fault::answer(130_101, "send too fast, exceed 20 times per minute"),
    );
    let throttled = dingtalk(&home, &hook, "20/60", &["send", "text", "hi"]).await;
    assert_eq!(throttled.status.code(), Some(6), "{}", stderr(&throttled));
    assert!(
        stderr(&throttled).contains("(130101)"),
        "{}",
        stderr(&throttled)
    );
    // The hold is shared: the next process fails at once, and DingTalk hears nothing of it.
    let start = Instant::now();
    let held = dingtalk(&home, &hook, "20/60", &["send", "text", "hi"]).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(held.status.code(), Some(6), "{}", stderr(&held));
    assert_eq!(stderr(&held).lines().count(), 1, "{}", stderr(&held));
    assert_eq!(sandbox.exchanges().len(), 1);
    assert!(sandbox.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_shared_limit_each_process_starts_afresh_and_dingtalk_throttles() {
    let sandbox = Sandbox::builder()
        .rate_limit(2, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let home = home("not-shared");
    let hook = sandbox.webhook_url();
    let args = ["--no-shared-limit", "send", "text", "hi"];
    for _ in 0..2 {
        let sent = dingtalk(&home, &hook, "2/60", &args).await;
        assert!(sent.status.success(), "{}", stderr(&sent));
    }
    let third = dingtalk(&home, &hook, "2/60", &args).await;
    assert_eq!(third.status.code(), Some(6), "{}", stderr(&third));
    assert!(stderr(&third).contains("(130101)"), "{}", stderr(&third));
    assert!(sandbox.is_throttled());
    assert!(!state_dir(&home).exists(), "nothing was shared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_rate_limit_is_a_usage_error() {
    let home = home("malformed");
    let hook = "http://127.0.0.1:9/robot/send?access_token=t";
    for (flag, env) in [(Some("20"), "20/60"), (None, "0/60"), (None, "5/soon")] {
        let mut args = vec!["send", "text", "hi"];
        if let Some(flag) = flag {
            args.splice(0..0, ["--rate-limit", flag]);
        }
        let output = dingtalk(&home, hook, env, &args).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("MAX/SECONDS"),
            "{}",
            stderr(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_directory_that_cannot_be_used_is_said_and_the_send_goes_on() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let home = home("unusable");
    // A file where the state directory should be.
    std::fs::write(state_dir(&home), "").unwrap();
    let sent = dingtalk(
        &home,
        &sandbox.webhook_url(),
        "20/60",
        &["send", "text", "hi"],
    )
    .await;
    assert!(sent.status.success(), "{}", stderr(&sent));
    // The library says it, once, as this tool's own lines are written.
    let err = stderr(&sent);
    assert!(
        err.starts_with(
            "dingtalk: warning: cannot use the shared rate-limit state: this process keeps the robot's limit on its own (path: "
        ) && err.contains("/state/limits/")
            && err.lines().count() == 2
            && err.lines().nth(1).unwrap().starts_with("delivered ("),
        "{err}"
    );
    assert_eq!(sandbox.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_is_replaced_with_one_warning() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let home = home("corrupt");
    let hook = sandbox.webhook_url();
    let args = ["--quiet", "send", "text", "hi"];
    let first = dingtalk(&home, &hook, "20/60", &args).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stderr(&first), "");
    let files: Vec<PathBuf> = std::fs::read_dir(state_dir(&home).join("limits"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::write(&files[0], "not json").unwrap();
    let second = dingtalk(&home, &hook, "20/60", &args).await;
    assert!(second.status.success(), "{}", stderr(&second));
    let err = stderr(&second);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "dingtalk: warning: the shared rate-limit state is not what this library writes: replaced with a fresh one (path: "
        ),
        "{err}"
    );
    assert!(!err.contains(dingtalk_sandbox::DEFAULT_TOKEN), "{err}");
    // Replaced: the next send has nothing to say.
    let third = dingtalk(&home, &hook, "20/60", &args).await;
    assert!(third.status.success(), "{}", stderr(&third));
    assert_eq!(stderr(&third), "");
    state_file_is_sound(&home, 20);
    // RUST_LOG=off hides it.
    std::fs::write(&files[0], "not json").unwrap();
    let mut command = clean(Command::new(BIN), &home, &hook, "20/60");
    command.env("RUST_LOG", "off").args(args);
    let quiet = run_all(vec![command]).await.pop().unwrap();
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stderr(&quiet), "");
    assert_eq!(sandbox.received().len(), 4);
}
