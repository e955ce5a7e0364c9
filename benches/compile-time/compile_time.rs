//! What `#[derive(Message)]` costs a crate's build: 100 derived notification types beside the
//! same 100 written by hand with `format!`, each crate rebuilt from a touched `src/lib.rs` with
//! its dependencies built already. See `README.md` beside this file for how to run it.
//!
//! The program writes three crates outside the repository's tracked files (under
//! `$CARGO_TARGET_DIR/compile-time`, else `target/compile-time`), each depending on the
//! workspace by path:
//! - `ct-derived`: the 100 types with `#[derive(Message)]`;
//! - `ct-by-hand`: the same 100 types with `impl Message` written by hand, building the same
//!   payloads the way a careful person would (values escaped with
//!   `dingtalk_bot::markdown::escape`, URL parts percent-encoded, single newlines as `"  \n"`);
//! - `ct-check`: renders one sample of every type through both and fails unless the JSON is
//!   identical, so that the twins do the same work.
//!
//! Then it builds each crate once, and `--runs` times touches its `src/lib.rs` and times
//! `cargo build` (debug, the default profile), the two crates alternating. It prints every run,
//! then the medians and the fastest runs, with their ratios.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const TYPES: usize = 100;

fn main() -> ExitCode {
    let mut runs = 7;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| fail("`--runs` takes a number above 0"));
            }
            _ => fail(&format!(
                "unknown argument `{arg}`; usage: compile-time [--runs N]"
            )),
        }
    }
    let repo = env::current_dir().unwrap_or_else(|e| fail(&e.to_string()));
    let manifest = fs::read_to_string(repo.join("Cargo.toml")).unwrap_or_default();
    if !manifest.contains("name = \"dingtalk-bot\"") {
        fail("run this from the root of the dingtalk-bot workspace");
    }
    let out = env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo.join("target"), PathBuf::from)
        .join("compile-time");
    let out = if out.is_absolute() {
        out
    } else {
        repo.join(out)
    };
    let target = out.join("target");
    let lock = fs::read_to_string(repo.join("Cargo.lock")).unwrap_or_default();

    let (derived, by_hand, samples) = generate();
    let derived_dir = out.join("ct-derived");
    let by_hand_dir = out.join("ct-by-hand");
    let check_dir = out.join("ct-check");
    write_crate(&derived_dir, "ct-derived", &repo, &lock, &derived, false);
    write_crate(&by_hand_dir, "ct-by-hand", &repo, &lock, &by_hand, false);
    write_crate(&check_dir, "ct-check", &repo, &lock, &samples, true);

    eprintln!("checking that both crates build the same payloads…");
    cargo(&check_dir, &target, &["run", "-q"]);
    eprintln!("building each crate once…");
    cargo(&derived_dir, &target, &["build", "-q"]);
    cargo(&by_hand_dir, &target, &["build", "-q"]);

    let mut times = [Vec::new(), Vec::new()];
    for run in 1..=runs {
        for (i, dir) in [&derived_dir, &by_hand_dir].into_iter().enumerate() {
            touch(&dir.join("src/lib.rs"));
            let start = Instant::now();
            cargo(dir, &target, &["build", "-q"]);
            times[i].push(start.elapsed());
        }
        eprintln!(
            "run {run}: derived {:.2} s, by hand {:.2} s",
            times[0][run - 1].as_secs_f64(),
            times[1][run - 1].as_secs_f64()
        );
    }
    let fastest = |times: &[Duration]| times.iter().min().copied().unwrap_or_default();
    let [derived_min, by_hand_min] = [fastest(&times[0]), fastest(&times[1])];
    let [derived, by_hand] = times.map(median);
    println!(
        "{TYPES} types, debug `cargo build` after `touch src/lib.rs`, {runs} runs (median, fastest):"
    );
    println!(
        "  #[derive(Message)]  {:.2} s  {:.2} s",
        derived.as_secs_f64(),
        derived_min.as_secs_f64()
    );
    println!(
        "  by hand             {:.2} s  {:.2} s",
        by_hand.as_secs_f64(),
        by_hand_min.as_secs_f64()
    );
    println!(
        "  ratio               {:.2}×   {:.2}×",
        derived.as_secs_f64() / by_hand.as_secs_f64(),
        derived_min.as_secs_f64() / by_hand_min.as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ! {
    eprintln!("compile-time: {message}");
    std::process::exit(2)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    }
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) {
    let status = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run cargo: {e}")));
    if !status.success() {
        fail(&format!(
            "`cargo {}` failed in {}",
            args.join(" "),
            dir.display()
        ));
    }
}

/// Makes `src/lib.rs` newer than its last build, without changing it.
fn touch(path: &Path) {
    let file = fs::File::options()
        .write(true)
        .open(path)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    file.set_modified(std::time::SystemTime::now())
        .unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
}

/// Writes a crate, rewriting only files whose text changed, so that a second run reuses the
/// builds of the first.
fn write_crate(dir: &Path, name: &str, repo: &Path, lock: &str, lib: &str, check: bool) {
    let repo = repo.display().to_string().replace('\\', "/");
    let dependencies = if check {
        "ct-derived = { path = \"../ct-derived\", features = [\"samples\"] }\n\
         ct-by-hand = { path = \"../ct-by-hand\", features = [\"samples\"] }\n"
            .to_owned()
    } else {
        String::new()
    };
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         # Not part of the dingtalk-bot workspace that holds this directory.\n[workspace]\n\n\
         [features]\nsamples = []\n\n\
         [dependencies]\ndingtalk-bot = {{ path = \"{repo}\" }}\n{dependencies}"
    );
    let (src, other) = if check {
        ("src/main.rs", "src/lib.rs")
    } else {
        ("src/lib.rs", "src/main.rs")
    };
    let _ = fs::remove_file(dir.join(other));
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    if !dir.join("Cargo.lock").exists() {
        // The workspace's versions of every dependency.
        write_if_changed(&dir.join("Cargo.lock"), lock);
    }
    write_if_changed(&dir.join(src), lib);
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| fail(&format!("{}: {e}", parent.display())));
    }
    fs::write(path, text).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
}

/// One kind of notification: its struct (field attributes marked `#[dingtalk(…)]` kept only in
/// the derived crate), its layout, its `impl Message` by hand, and a sample value.
struct Shape {
    layout: &'static str,
    fields: &'static str,
    by_hand: &'static str,
    sample: &'static str,
}

/// Five kinds, each used for 20 types that differ in their names and their literal text.
/// `@N` stands for the type's number.
const SHAPES: [Shape; 5] = [
    // Markdown with several placeholders, a format spec, links and a mention.
    Shape {
        layout: r####"#[dingtalk(markdown(
    title = "Deploy {service} (@N): {status}",
    text = "### {service} {version}\n- status: **{status}**\n- by: {author}\n- took: {secs:.1}s\n- [logs]({logs_url})\n- commit: [{commit}](https://git.example.com/{repo}/commit/{commit})",
))]"####,
        fields: r####"pub service: String,
    pub version: String,
    pub status: String,
    pub author: String,
    pub secs: f64,
    pub logs_url: String,
    pub repo: String,
    pub commit: String,
    #[dingtalk(at_mobiles)]
    pub oncall: Vec<String>,"####,
        by_hand: r####"fn to_payload(&self) -> Payload {
        let title = format!("Deploy {} (@N): {}", self.service, self.status);
        let text = format!(
            "### {} {}  \n- status: **{}**  \n- by: {}  \n- took: {}s  \n- [logs]({})  \n- commit: [{}](https://git.example.com/{}/commit/{})",
            md(&self.service),
            md(&self.version),
            md(&self.status),
            md(&self.author),
            md(format_args!("{:.1}", self.secs)),
            md_url(&self.logs_url),
            md(&self.commit),
            enc(&self.repo),
            enc(&self.commit),
        );
        Payload::markdown(title, text).at_mobiles(&self.oncall).into()
    }"####,
        sample: r####"Deployed@N {
            service: "billing api".into(),
            version: "v2.4".into(),
            status: "ok".into(),
            author: "**alice_b** <x> #1".into(),
            secs: 93.42,
            logs_url: "https://ci.example.com/runs/7 (a)".into(),
            repo: "pay/ments".into(),
            commit: "abc_1".into(),
            oncall: vec!["13800000000".into()],
        }"####,
    },
    // Markdown with `{#if}` on options, `{#each}` over a list and an `at_all` field.
    Shape {
        layout: r####"#[dingtalk(markdown(
    title = "[{severity}] {name} (@N)",
    text = "**{name}** is firing on {host}{#if value}: {value:.2}{/if}\n\n{#each labels as label}\n- {label.key}: {label.value}\n{/each}\n{#if runbook}[runbook]({runbook}){/if}",
))]"####,
        fields: r####"pub severity: String,
    pub name: String,
    pub host: String,
    pub value: Option<f64>,
    pub labels: Vec<Label>,
    pub runbook: Option<String>,
    #[dingtalk(at_all)]
    pub page: bool,"####,
        by_hand: r####"fn to_payload(&self) -> Payload {
        let title = format!("[{}] {} (@N)", self.severity, self.name);
        let mut text = format!("**{}** is firing on {}", md(&self.name), md(&self.host));
        if let Some(value) = &self.value {
            text.push_str(&format!(": {}", md(format_args!("{value:.2}"))));
        }
        text.push_str("\n\n");
        for label in &self.labels {
            text.push_str(&format!("- {}: {}  \n", md(&label.key), md(&label.value)));
        }
        if let Some(runbook) = &self.runbook {
            text.push_str(&format!("[runbook]({})", md_url(runbook)));
        }
        let mut message = Payload::markdown(title, text);
        if self.page {
            message = message.at_all();
        }
        message.into()
    }"####,
        sample: r####"Alert@N {
            severity: "P1".into(),
            name: "cpu_high".into(),
            host: "db-1".into(),
            value: Some(0.974),
            labels: vec![
                Label { key: "team".into(), value: "pay*ments".into() },
                Label { key: "zone".into(), value: "1. east".into() },
            ],
            runbook: Some("https://wiki.example.com/cpu (high)".into()),
            page: true,
        }"####,
    },
    // An action card: markdown with an optional quote, two buttons with URL parts.
    Shape {
        layout: r####"#[dingtalk(action_card(
    title = "Leave request (@N) from {who}",
    text = "### Leave request\n\n**{who}** asks for {days} days from {from}.\n{#if note}> {note}\n{/if}",
    orientation = "horizontal",
))]
#[dingtalk(button(title = "Approve", url = "https://hr.example.com/leave@N/{id}/approve"))]
#[dingtalk(button(title = "Reject", url = "https://hr.example.com/leave@N/{id}/reject"))]"####,
        fields: r####"pub who: String,
    pub days: u32,
    pub from: String,
    pub note: Option<String>,
    pub id: String,"####,
        by_hand: r####"fn to_payload(&self) -> Payload {
        let mut text = format!(
            "### Leave request\n\n**{}** asks for {} days from {}.  \n",
            md(&self.who),
            md(self.days),
            md(&self.from),
        );
        if let Some(note) = &self.note {
            text.push_str(&format!("> {}  \n", md(note)));
        }
        Payload::action_card(format!("Leave request (@N) from {}", self.who), text)
            .orientation(ButtonOrientation::Horizontal)
            .button("Approve", format!("https://hr.example.com/leave@N/{}/approve", enc(&self.id)))
            .button("Reject", format!("https://hr.example.com/leave@N/{}/reject", enc(&self.id)))
            .into()
    }"####,
        sample: r####"Leave@N {
            who: "Alice_C".into(),
            days: 3,
            from: "2024-05-01".into(),
            note: Some("back on *Monday*\n- maybe".into()),
            id: "a b/c".into(),
        }"####,
    },
    // A text message with format specs and a mention field.
    Shape {
        layout: r####"#[dingtalk(text(content = "[@N] CPU {cpu:.1}% on {host} ({region}), load {load:.2}, since {since}"))]"####,
        fields: r####"pub cpu: f64,
    pub host: String,
    pub region: String,
    pub load: f64,
    pub since: String,
    #[dingtalk(at_user_ids)]
    pub oncall: Vec<String>,"####,
        by_hand: r####"fn to_payload(&self) -> Payload {
        Payload::text(format!(
            "[@N] CPU {:.1}% on {} ({}), load {:.2}, since {}",
            self.cpu, self.host, self.region, self.load, self.since
        ))
        .at_user_ids(&self.oncall)
        .into()
    }"####,
        sample: r####"CpuHigh@N {
            cpu: 97.34,
            host: "db-1".into(),
            region: "cn-east".into(),
            load: 3.14159,
            since: "12:00".into(),
            oncall: vec!["manager01".into()],
        }"####,
    },
    // A link card with a picture, its addresses built from values.
    Shape {
        layout: r####"#[dingtalk(link(
    title = "Build {number} of {project} (@N)",
    text = "{branch}: {result} in {minutes} min",
    message_url = "https://ci.example.com/{project}/builds/{number}",
    pic_url = "https://ci.example.com/badges/{result}.png",
))]"####,
        fields: r####"pub project: String,
    pub number: u64,
    pub branch: String,
    pub result: String,
    pub minutes: u32,"####,
        by_hand: r####"fn to_payload(&self) -> Payload {
        Payload::link(
            format!("Build {} of {} (@N)", self.number, self.project),
            format!("{}: {} in {} min", self.branch, self.result, self.minutes),
            format!("https://ci.example.com/{}/builds/{}", enc(&self.project), enc(self.number)),
        )
        .pic_url(format!("https://ci.example.com/badges/{}.png", enc(&self.result)))
        .into()
    }"####,
        sample: r####"Build@N {
            project: "pay ments".into(),
            number: 42,
            branch: "main".into(),
            result: "passed".into(),
            minutes: 7,
        }"####,
    },
];

const BY_HAND_HELPERS: &str = r####"
/// A value escaped for markdown, as `#[derive(Message)]` escapes it.
fn md(value: impl std::fmt::Display) -> String {
    dingtalk_bot::markdown::escape(&value.to_string())
}

/// A value percent-encoded as one part of a URL.
fn enc(value: impl std::fmt::Display) -> String {
    let mut out = String::new();
    dingtalk_bot::spec::url::encode_component_into(&mut out, &value.to_string());
    out
}

/// A whole URL as a markdown link's address: what could end the address early, encoded.
fn md_url(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c => out.push(c),
        }
    }
    out
}
"####;

/// The derived crate, the crate by hand, and the checker's `main.rs`.
fn generate() -> (String, String, String) {
    let header = "//! Generated by benches/compile-time/compile_time.rs in the dingtalk-bot repository.\n\
                  #![allow(missing_docs)]\n\n";
    let label = "pub struct Label {\n    pub key: String,\n    pub value: String,\n}\n\n";
    let mut derived = format!("{header}use dingtalk_bot::Message;\n\n{label}");
    let mut by_hand = format!(
        "{header}use dingtalk_bot::{{ButtonOrientation, Message, Payload}};\n{BY_HAND_HELPERS}\n{label}"
    );
    let mut samples = String::from("vec![\n");
    for n in 0..TYPES {
        let shape = &SHAPES[n % SHAPES.len()];
        let number = n.to_string();
        let fill = |text: &str| text.replace("@N", &number);
        let sample = fill(shape.sample);
        let name = sample
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let fields = fill(shape.fields);
        // The same struct without its `#[dingtalk(…)]` field attributes.
        let plain_fields: String = fields
            .lines()
            .filter(|l| !l.trim_start().starts_with("#[dingtalk"))
            .map(|l| format!("{l}\n"))
            .collect();
        let _ = write!(
            derived,
            "#[derive(Message)]\n{}\npub struct {name} {{\n    {fields}\n}}\n\n",
            fill(shape.layout)
        );
        let _ = write!(
            by_hand,
            "pub struct {name} {{\n    {plain_fields}}}\n\nimpl Message for {name} {{\n    {}\n}}\n\n",
            fill(shape.by_hand)
        );
        let _ = writeln!(samples, "        {sample}.to_payload(),");
    }
    samples.push_str("    ]");
    let sample_fn = format!(
        "\n/// One value of every type, rendered.\n#[cfg(feature = \"samples\")]\npub fn samples() -> Vec<dingtalk_bot::Payload> {{\n    {samples}\n}}\n"
    );
    derived.push_str(&sample_fn);
    by_hand.push_str(&sample_fn);
    let check = "fn main() {\n    \
        let derived = ct_derived::samples();\n    \
        let by_hand = ct_by_hand::samples();\n    \
        assert_eq!(derived.len(), by_hand.len());\n    \
        for (i, (d, h)) in derived.iter().zip(&by_hand).enumerate() {\n        \
            assert_eq!(d.to_json(), h.to_json(), \"type {i} renders differently\");\n    \
        }\n    \
        println!(\"{} types render the same JSON either way\", derived.len());\n\
        }\n"
    .to_owned();
    (derived, by_hand, check)
}
