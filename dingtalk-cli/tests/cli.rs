//! The built `dingtalk` binary against the sandbox: every subcommand, `--dry-run` output,
//! standard input, where the robot comes from, and each documented exit status.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use dingtalk_sandbox::{Fault, Sandbox};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk");

/// A directory of its own per test, as the user's config directory.
fn config_home(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dingtalk-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `dingtalk` with `args` (and `env`, `stdin`), in a clean environment, off the runtime
/// that serves the sandbox.
async fn dingtalk(test: &str, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let home = config_home(test);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_CONFIG_HOME", &home)
            .env("HOME", &home)
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn status(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn bodies(sandbox: &Sandbox) -> Vec<Value> {
    sandbox
        .received()
        .iter()
        .map(|r| {
            let mut json = r.json().clone();
            json.as_object_mut().unwrap().remove("msgUuid");
            json
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_message_is_delivered() {
    let sandbox = Sandbox::builder().secret("SECcli").start().await.unwrap();
    let hook = sandbox.webhook_url();
    let robot = ["--webhook", &hook, "--secret", "SECcli"];
    let file = config_home("kinds").join("notes.md");
    std::fs::write(&file, "### Notes\n- one\n- two\n").unwrap();
    let json_file = config_home("kinds").join("message.json");
    std::fs::write(
        &json_file,
        r#"{"msgtype":"text","text":{"content":"from a file"}}"#,
    )
    .unwrap();
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec!["send", "text", r"disk 91%\non db-1", "--at-mobile", "138"],
            None,
        ),
        (
            vec![
                "send",
                "markdown",
                "--title",
                "Deploy",
                "--text",
                r"### v2\n- **ok**",
                "--at-all",
            ],
            None,
        ),
        (
            vec![
                "send",
                "markdown",
                "--title",
                "Notes",
                "--file",
                file.to_str().unwrap(),
            ],
            None,
        ),
        (
            vec!["send", "markdown", "--title", "Piped", "-"],
            Some("a\nb\n"),
        ),
        (
            vec![
                "send",
                "link",
                "--title",
                "Build 42",
                "--text",
                "passed",
                "--url",
                "https://ci.example.com/42",
            ],
            None,
        ),
        (
            vec![
                "send",
                "action-card",
                "--title",
                "Leave",
                "--text",
                "Alice",
                "--button",
                "Open=https://hr.example.com/1",
            ],
            None,
        ),
        (
            vec![
                "send",
                "action-card",
                "--title",
                "Leave",
                "--text",
                "Bob",
                "--button",
                "Yes=https://hr.example.com/2?a=1",
                "--button",
                "No=https://hr.example.com/2/no",
                "--horizontal",
            ],
            None,
        ),
        (
            vec![
                "send",
                "feed-card",
                "--link",
                "One|https://a.example.com|https://a.example.com/p.png",
                "--link",
                "Two|https://b.example.com",
            ],
            None,
        ),
        (vec!["send", "json", json_file.to_str().unwrap()], None),
        (
            vec!["send", "json", "-"],
            Some(r#"{"msgtype":"markdown","markdown":{"title":"t","text":"from stdin"}}"#),
        ),
        (vec!["send", "text", "-", "-q"], Some("piped text\n")),
    ];
    for (args, stdin) in &runs {
        let mut all: Vec<&str> = robot.to_vec();
        all.extend(args);
        let output = dingtalk("kinds", &all, &[], *stdin).await;
        assert_eq!(status(&output), 0, "{args:?}: {}", stderr(&output));
    }
    let got = bodies(&sandbox);
    let expected = [
        json!({"msgtype": "text", "text": {"content": "disk 91%\non db-1 @138"}, "at": {"atMobiles": ["138"]}}),
        json!({"msgtype": "markdown", "markdown": {"title": "Deploy", "text": "### v2  \n- **ok**"}, "at": {"isAtAll": true}}),
        json!({"msgtype": "markdown", "markdown": {"title": "Notes", "text": "### Notes  \n- one  \n- two"}}),
        json!({"msgtype": "markdown", "markdown": {"title": "Piped", "text": "a  \nb"}}),
        json!({"msgtype": "link", "link": {"title": "Build 42", "text": "passed", "messageUrl": "https://ci.example.com/42"}}),
        json!({"msgtype": "actionCard", "actionCard": {"title": "Leave", "text": "Alice", "singleTitle": "Open", "singleURL": "https://hr.example.com/1", "btnOrientation": "0", "hideAvatar": "0"}}),
        json!({"msgtype": "actionCard", "actionCard": {"title": "Leave", "text": "Bob", "btns": [{"title": "Yes", "actionURL": "https://hr.example.com/2?a=1"}, {"title": "No", "actionURL": "https://hr.example.com/2/no"}], "btnOrientation": "1", "hideAvatar": "0"}}),
        json!({"msgtype": "feedCard", "feedCard": {"links": [{"title": "One", "messageURL": "https://a.example.com", "picURL": "https://a.example.com/p.png"}, {"title": "Two", "messageURL": "https://b.example.com", "picURL": ""}]}}),
        json!({"msgtype": "text", "text": {"content": "from a file"}}),
        json!({"msgtype": "markdown", "markdown": {"title": "t", "text": "from stdin"}}),
        json!({"msgtype": "text", "text": {"content": "piped text"}}),
    ];
    assert_eq!(got.len(), expected.len());
    for (got, expected) in got.iter().zip(expected) {
        assert_eq!(got, &expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_exact_body_and_a_redacted_url_and_sends_nothing() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let hook = sandbox.webhook_url();
    let output = dingtalk(
        "dry",
        &["send", "--dry-run", "text", r"a\tb", "--at-user", "u1"],
        &[("DINGTALK_WEBHOOK", &hook), ("DINGTALK_SECRET", "SECdry")],
        None,
    )
    .await;
    assert_eq!(status(&output), 0, "{}", stderr(&output));
    let port = sandbox.addr().port();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "POST http://127.0.0.1:{port}/robot/send?access_token=<redacted>&timestamp=<timestamp>&sign=<redacted>\n\
             Content-Type: application/json; charset=utf-8\n\
             \n\
             {{\"msgtype\":\"text\",\"text\":{{\"content\":\"a\\tb @u1\"}},\"at\":{{\"atUserIds\":[\"u1\"]}}}}\n"
        )
    );
    assert!(sandbox.exchanges().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_fields_that_will_not_be_sent_are_named() {
    let json = r#"{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"https://x.example"},"markdown":{},"at":{"isAtAll":true},"msgUuid":"mine"}"#;
    let output = dingtalk(
        "ignored",
        &["send", "--dry-run", "json", "-"],
        &[],
        Some(json),
    )
    .await;
    assert_eq!(status(&output), 0, "{}", stderr(&output));
    // A link takes no mentions: `at` is not sent; nor is the other type's object.
    assert_eq!(
        stderr(&output),
        "dingtalk: warning: not sent: at, markdown, msgUuid (a msgUuid is added per delivery)\n"
    );
    let text = r#"{"msgtype":"text","text":{"content":"x"},"at":{"isAtAll":true}}"#;
    let output = dingtalk(
        "ignored",
        &["send", "--dry-run", "json", "-"],
        &[],
        Some(text),
    )
    .await;
    assert_eq!(stderr(&output), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_win_over_the_environment_over_the_config_file() {
    let file_robot = Sandbox::builder()
        .access_token("file")
        .start()
        .await
        .unwrap();
    let env_robot = Sandbox::builder()
        .access_token("env")
        .start()
        .await
        .unwrap();
    let flag_robot = Sandbox::builder()
        .access_token("flag")
        .start()
        .await
        .unwrap();
    let named = Sandbox::builder()
        .access_token("named")
        .start()
        .await
        .unwrap();
    let home = config_home("precedence");
    std::fs::create_dir_all(home.join("dingtalk")).unwrap();
    std::fs::write(
        home.join("dingtalk/config.toml"),
        format!(
            "default = \"main\"\n[robots.main]\nwebhook = \"{}\"\n[robots.other]\nwebhook = \"{}\"\n",
            file_robot.webhook_url(),
            named.webhook_url()
        ),
    )
    .unwrap();
    let env_hook = env_robot.webhook_url();
    let flag_hook = flag_robot.webhook_url();
    let send = ["send", "text", "hi"];
    assert_eq!(status(&dingtalk("precedence", &send, &[], None).await), 0);
    let with_robot = ["--robot", "other", "send", "text", "hi"];
    assert_eq!(
        status(&dingtalk("precedence", &with_robot, &[], None).await),
        0
    );
    let env = [("DINGTALK_WEBHOOK", env_hook.as_str())];
    assert_eq!(status(&dingtalk("precedence", &send, &env, None).await), 0);
    let with_flag = ["--webhook", &flag_hook, "send", "text", "hi"];
    assert_eq!(
        status(&dingtalk("precedence", &with_flag, &env, None).await),
        0
    );
    // A robot named with --robot is that robot, whatever the environment describes.
    assert_eq!(
        status(&dingtalk("precedence", &with_robot, &env, None).await),
        0
    );
    let counts = [&file_robot, &named, &env_robot, &flag_robot].map(|s| s.received().len());
    assert_eq!(counts, [1, 2, 1, 1]);

    let broken = config_home("precedence").join("broken.toml");
    std::fs::write(
        &broken,
        "[robots.ops]\nwebhook = https://x\nsecret = \"SECdo-not-show\"\n",
    )
    .unwrap();
    let config = broken.to_str().unwrap();
    let bad = dingtalk(
        "precedence",
        &["--config", config, "send", "text", "hi"],
        &[],
        None,
    )
    .await;
    assert_eq!(status(&bad), 3);
    let err = stderr(&bad);
    assert!(err.contains("broken.toml, line 2:"), "{err}");
    assert!(!err.contains("SECdo-not-show"), "{err}");

    let unknown = dingtalk(
        "precedence",
        &["--robot", "prod", "send", "text", "hi"],
        &[],
        None,
    )
    .await;
    assert_eq!(status(&unknown), 3);
    assert!(
        stderr(&unknown).contains("no robot named `prod`"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_failure_has_its_exit_status_and_one_clear_line() {
    let sandbox = Sandbox::builder()
        .access_token("tok3n")
        .secret("SECright")
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    let hook = sandbox.webhook_url();
    let run = |args: Vec<String>| {
        let hook = hook.clone();
        async move {
            let mut all = vec![
                "--webhook".to_owned(),
                hook,
                "--retries".to_owned(),
                "0".to_owned(),
            ];
            all.extend(args);
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            dingtalk("exits", &all, &[], None).await
        }
    };
    let args = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();

    let usage = run(args(&["send", "markdown", "--text", "x"])).await;
    assert_eq!(status(&usage), 2);

    let no_webhook = dingtalk("exits", &["send", "text", "deploy"], &[], None).await;
    assert_eq!(status(&no_webhook), 3);
    let bad_secret = run(args(&["--secret", "nope", "send", "text", "deploy"])).await;
    assert_eq!(status(&bad_secret), 3);

    let empty = run(args(&["--secret", "SECright", "send", "text", ""])).await;
    assert_eq!(status(&empty), 4);
    let bad_json = run(args(&["--secret", "SECright", "send", "json", "-"])).await;
    assert_eq!(status(&bad_json), 4);

    let wrong = run(args(&["--secret", "SECwrong", "send", "text", "deploy"])).await;
    assert_eq!(status(&wrong), 5);
    assert_eq!(
        stderr(&wrong),
        "dingtalk: sign not match (310000): the secret does not match the robot's; check DINGTALK_SECRET (or --secret)\n"
    );
    let keyword = run(args(&[
        "--secret",
        "SECright",
        "--keyword",
        "deploy",
        "send",
        "text",
        "hello",
    ]))
    .await;
    assert_eq!(status(&keyword), 5);

    sandbox.fail_next(
        1,
        Fault::answer(130_101, "send too fast, exceed 20 times per minute"),
    );
    // Kept in this process: a throttle shared on the machine would fail the sends below
    // without reaching the sandbox (see shared_limit.rs).
    let throttled = run(args(&[
        "--secret",
        "SECright",
        "--no-shared-limit",
        "send",
        "text",
        "deploy",
    ]))
    .await;
    assert_eq!(status(&throttled), 6, "{}", stderr(&throttled));

    sandbox.fail_next(1, Fault::answer(400_102, "机器人已停用"));
    let disabled = run(args(&["--secret", "SECright", "send", "text", "deploy"])).await;
    assert_eq!(status(&disabled), 7);

    sandbox.fail_next(1, Fault::Status(502));
    let down = run(args(&["--secret", "SECright", "send", "text", "deploy"])).await;
    assert_eq!(status(&down), 8);

    sandbox.fail_next(1, Fault::answer(88_888, "something new"));
    let other = run(args(&["--secret", "SECright", "send", "text", "deploy"])).await;
    assert_eq!(status(&other), 9);
    assert_eq!(stderr(&other), "dingtalk: something new (88888)\n");

    // Nobody listens: the line names the cause at the bottom of the chain, and no URL.
    let unheard = dingtalk(
        "exits",
        &[
            "--webhook",
            "http://127.0.0.1:9/robot/send?access_token=tok3n",
            "--retries",
            "0",
            "--no-shared-limit",
            "send",
            "text",
            "deploy",
        ],
        &[],
        None,
    )
    .await;
    assert_eq!(status(&unheard), 8);
    let line = stderr(&unheard);
    assert!(
        line.starts_with("dingtalk: could not reach DingTalk: ")
            && line.contains("Connection refused")
            && line.ends_with("; try again later\n")
            && !line.contains("127.0.0.1"),
        "{line}"
    );

    for output in [
        &usage,
        &no_webhook,
        &bad_secret,
        &empty,
        &bad_json,
        &wrong,
        &keyword,
        &throttled,
        &disabled,
        &down,
        &other,
        &unheard,
    ] {
        let err = stderr(output);
        assert!(
            !err.contains("tok3n") && !err.contains("SECright") && !err.contains("SECwrong"),
            "{err}"
        );
    }
    assert!(sandbox.received().is_empty());
}

/// Kills the child process when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_sandbox_command_shows_each_message_readably() {
    let child = Command::new(BIN)
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--secret",
            "SECshow",
            "--keyword",
            "deploy",
        ])
        .env_clear()
        .env("XDG_CONFIG_HOME", config_home("sandbox"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let webhook = lines.next().unwrap().unwrap();
    assert!(webhook.starts_with("http://127.0.0.1:"), "{webhook}");
    let _hint = lines.next();
    let send = |args: &[&str]| {
        Command::new(BIN)
            .args(["--webhook", &webhook, "--secret", "SECshow"])
            .args(args)
            .env_clear()
            .env("XDG_CONFIG_HOME", config_home("sandbox"))
            // Without HOME the shared rate limit would go to the real user's state directory.
            .env("DINGTALK_STATE_DIR", config_home("sandbox").join("state"))
            .output()
            .unwrap()
    };
    let ok = send(&[
        "send",
        "action-card",
        "--title",
        "deploy v2",
        "--text",
        "ship it?",
        "--button",
        "Yes=https://cd.example.com/yes",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = send(&["--retries", "0", "send", "text", "no keyword here"]);
    assert_eq!(refused.status.code(), Some(5));
    let shown: Vec<String> = (0..5).map(|_| lines.next().unwrap().unwrap()).collect();
    assert_eq!(
        shown,
        [
            "✓ actionCard",
            "  title: deploy v2",
            "  text: ship it?",
            "  button: [Yes] https://cd.example.com/yes",
            "✗ refused: keywords not in content (310000)",
        ]
    );
}

#[test]
fn completions_and_help() {
    let bash = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("dingtalk"));
    let help = Command::new(BIN).args(["send", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit status:") && help.contains("5  DingTalk's security check"),
        "{help}"
    );
}
