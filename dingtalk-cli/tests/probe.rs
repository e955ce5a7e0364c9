//! `dingtalk probe` against the sandbox: the two messages it builds arrive exactly as its dry
//! run prints them, signed and holding the robot's keyword, and `--help` says how to report.

use std::path::PathBuf;
use std::process::{Command, Output};

use dingtalk_sandbox::Sandbox;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dingtalk");

/// Runs `dingtalk` with `args` in a clean environment whose home is a directory of its own,
/// off the runtime that serves the sandbox.
async fn dingtalk(test: &str, args: &[&str]) -> Output {
    let home: PathBuf =
        std::env::temp_dir().join(format!("dingtalk-probe-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env_clear()
            .env("XDG_CONFIG_HOME", &home)
            .env("HOME", &home)
            .env("DINGTALK_STATE_DIR", home.join("state"))
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON bodies of a dry run's requests.
fn dry_run_bodies(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_sends_a_markdown_message_and_a_card_exactly_as_built() {
    let sandbox = Sandbox::builder()
        .secret("SECprobe")
        .keywords(["deploy"])
        .start()
        .await
        .unwrap();
    let hook = sandbox.webhook_url();
    let robot = [
        "--webhook",
        &hook,
        "--secret",
        "SECprobe",
        "--keyword",
        "deploy",
    ];

    let dry = dingtalk("probe", &[&robot[..], &["probe", "--dry-run"]].concat()).await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let printed = stdout(&dry);
    let port = sandbox.addr().port();
    let request = format!(
        "POST http://127.0.0.1:{port}/robot/send?access_token=<redacted>&timestamp=<timestamp>&sign=<redacted>\nContent-Type: application/json; charset=utf-8\n\n"
    );
    assert_eq!(printed.matches(&request).count(), 2, "{printed}");
    assert!(sandbox.exchanges().is_empty(), "a dry run sends nothing");
    let built = dry_run_bodies(&printed);
    assert_eq!(built.len(), 2);

    let sent = dingtalk("probe", &[&robot[..], &["probe"]].concat()).await;
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    assert!(
        stderr(&sent).contains("dingtalk probe --help"),
        "{}",
        stderr(&sent)
    );
    let received: Vec<Value> = sandbox
        .received()
        .iter()
        .map(|r| {
            assert!(r.msg_uuid().is_some());
            let mut json = r.json();
            json.as_object_mut().unwrap().remove("msgUuid");
            json
        })
        .collect();
    assert_eq!(received, built, "exactly the two messages built, in order");

    let markdown = &received[0];
    assert_eq!(markdown["msgtype"], "markdown");
    assert_eq!(
        markdown["markdown"]["title"],
        "dingtalk probe: markdown (deploy)"
    );
    let text = markdown["markdown"]["text"].as_str().unwrap();
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    for expected in [
        r"A1 backslash-star, stars shown, not italic: \*not italic\*",
        "A6 backslash-hash at a line start, hash shown, no heading:  \n\\# not a heading",
        "B4 tilde references, two tildes each side, not struck: &#126;&#126;not struck&#126;&#126;",
        "B5 pipe references at a line start, pipes shown, no table:  \n&#124; a &#124; b &#124;",
        r"X1 backslash-colon, note whether the backslash shows: a\:b",
        "N1 one newline, both words on one line: first\nsecond",
        "N4 CR LF, note what shows: first\r\nsecond",
        "M9 a numbered list right below a line, a list or not:  \n1. one\n2. two",
        "keywords: deploy",
    ] {
        assert!(paragraphs.contains(&expected), "{expected:?} not in {text}");
    }
    assert!(!text.contains("<font"), "no HTML in the markdown message");
    assert_eq!(paragraphs.last(), Some(&"keywords: deploy"));

    let card = &received[1]["actionCard"];
    assert_eq!(received[1]["msgtype"], "actionCard");
    assert_eq!(card["title"], "dingtalk probe: action card (deploy)");
    assert_eq!(card["hideAvatar"], "1");
    assert_eq!(card["btnOrientation"], "1");
    assert_eq!(card["btns"].as_array().unwrap().len(), 2);
    assert_eq!(card["btns"][0]["title"], "Report what you see");
    assert!(
        card["btns"][0]["actionURL"]
            .as_str()
            .unwrap()
            .starts_with("https://github.com/dingtalk-rs/dingtalk/issues/new")
    );
    let card_text = card["text"].as_str().unwrap();
    // The card holds every case of the markdown message, then its own; HTML last.
    let cases = |text: &str| -> Vec<String> {
        text.split("\n\n")
            .filter(|p| p.starts_with(['A', 'B', 'X', 'N', 'M', 'K', 'H']))
            .map(str::to_owned)
            .collect()
    };
    let card_cases = cases(card_text);
    assert!(card_cases.starts_with(&cases(text)));
    assert_eq!(
        card_cases[card_cases.len() - 3..],
        [
            "H1 font tag, colour unquoted, red text: <font color=#FF0000>red</font>",
            "H2 font tag, colour quoted, red text: <font color=\"#FF0000\">red</font>",
            "H3 br tag, two lines: first<br>second",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_lists_the_labels_and_says_how_to_report() {
    let help = dingtalk("help", &["probe", "--help"]).await;
    assert_eq!(help.status.code(), Some(0));
    let help = stdout(&help);
    for expected in [
        "A1   backslash-star, stars shown, not italic",
        "H3   br tag, two lines",
        "https://github.com/dingtalk-rs/dingtalk/issues/new",
        "--dry-run",
    ] {
        assert!(help.contains(expected), "{expected:?} not in {help}");
    }
    // Without a robot, a dry run still shows both messages.
    let dry = dingtalk("help", &["probe", "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_eq!(
        stdout(&dry).matches("POST (no webhook configured)").count(),
        2
    );
}
