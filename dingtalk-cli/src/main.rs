//! `dingtalk`: send DingTalk robot messages from scripts, cron jobs and CI, and try layouts
//! against a local sandbox. Everything goes through the `dingtalk-bot` library: signing,
//! checks, retries and typed errors are the library's.
//!
//! `args.rs` is the command line, `exit.rs` the exit statuses and what each means,
//! `message.rs` builds the message to send, `config.rs` finds the robot, `output.rs` writes
//! standard output, `logging.rs` shows the library's warnings on standard error, `sandbox.rs`
//! runs the local endpoint, `probe.rs` sends the messages that show how clients render.

// The doc comments of the command-line types are clap's `--help` text, written for a
// terminal, not rustdoc markup.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod args;
mod config;
mod exit;
mod logging;
mod message;
mod output;
mod probe;
mod sandbox;

use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use dingtalk_bot::{RetryPolicy, Robot, RobotBuilder};

use crate::args::{Cli, Command, MessageCommand, RobotArgs};
use crate::exit::{Exit, Failure};
use crate::output::out;

/// How long a process waits, at most, to close its robot before it ends (`Robot::close`):
/// through Redis, to hand the robot's queue over to the fleet's other processes.
const HAND_OVER: Duration = Duration::from_secs(2);

/// The robot these flags, the environment and the config file describe.
struct Resolved {
    robot: Robot,
    /// Whether a webhook was given (a dry run may go without).
    has_webhook: bool,
    signed: bool,
}

fn robot(args: &RobotArgs, dry_run: bool) -> Result<Resolved, Failure> {
    let (path, explicit) = match &args.config {
        Some(path) => (Some(path.clone()), true),
        None => (config::default_path(), false),
    };
    let file = match &path {
        Some(path) => config::load(path, explicit).map_err(|e| Failure::new(Exit::Config, e))?,
        None => config::File::default(),
    };
    let flags = config::RobotEntry {
        webhook: args.webhook.clone(),
        secret: args.secret.clone(),
        keywords: args.keywords.clone(),
    };
    let entry = config::resolve(
        &flags,
        |k| std::env::var(k).ok(),
        &file,
        args.robot.as_deref(),
    )
    .map_err(|e| Failure::new(Exit::Config, e))?;
    let (webhook, has_webhook) = match entry.webhook {
        Some(webhook) => (webhook, true),
        // A dry run checks the message without a robot to send to.
        None if dry_run => (
            "https://oapi.dingtalk.com/robot/send?access_token=dry-run".to_owned(),
            false,
        ),
        None => {
            return Err(Failure::new(
                Exit::Config,
                "no webhook: give --webhook, set DINGTALK_WEBHOOK, or name a robot of the config file with --robot",
            ));
        }
    };
    let mut builder: RobotBuilder = Robot::builder(webhook)
        .keywords(entry.keywords)
        .timeout(Duration::from_secs(args.timeout.max(1)))
        .retry(
            RetryPolicy::default()
                .max_attempts(args.retries.saturating_add(1))
                .max_elapsed(Duration::from_secs(60)),
        );
    // A throttle fails the send at once (status 6), and every later one until it ends,
    // without reaching DingTalk, in every process sharing the limit.
    if !args.wait_throttle {
        builder = builder.fail_when_throttled();
    }
    let (max, per) = args.rate_limit;
    builder = builder.rate_limit(max, per);
    // Redis, unless the limit is kept in this process. An empty DINGTALK_REDIS_URL is unset.
    let redis = args
        .redis
        .as_deref()
        .filter(|url| !url.trim().is_empty() && !args.no_shared_limit);
    if args.no_wait {
        if redis.is_some() {
            return Err(Failure::new(
                Exit::Usage,
                "--no-wait cannot be used with --redis (or DINGTALK_REDIS_URL): a message queued in Redis waits for whichever process delivers it; leave one of them out",
            ));
        }
        builder = builder.limit_wait(Duration::ZERO);
    }
    // A dry run sends nothing: it shares no limit.
    if !args.no_shared_limit && !dry_run {
        builder = match (redis, &args.state_dir) {
            (Some(url), _) => builder.redis(url),
            (None, Some(dir)) if !dir.as_os_str().is_empty() => builder.state_dir(dir),
            // The library's place, made if missing; without one (no home directory), the
            // library warns and the limit is kept in this process. So is it in a directory
            // that cannot be used.
            (None, _) => match dingtalk_bot::default_state_dir() {
                Some(dir) => builder.state_dir(dir),
                None => builder.share_limit_on_this_machine(),
            },
        };
    }
    let signed = entry.secret.is_some();
    if let Some(secret) = entry.secret {
        builder = builder.secret(secret);
    }
    Ok(Resolved {
        robot: builder.build()?,
        has_webhook,
        signed,
    })
}

async fn send(args: &RobotArgs, message: &MessageCommand, dry_run: bool) -> Result<(), Failure> {
    let payload = message::payload(message)?;
    let Resolved {
        robot,
        has_webhook,
        signed,
    } = robot(args, dry_run)?;
    if dry_run {
        let body = robot.check(&payload)?;
        let url = if has_webhook {
            let mut url = robot.webhook().to_string();
            if signed {
                url.push_str("&timestamp=<timestamp>&sign=<redacted>");
            }
            url
        } else {
            "(no webhook configured)".to_owned()
        };
        return out(&format!(
            "POST {url}\nContent-Type: application/json; charset=utf-8\n\n{body}\n"
        ));
    }
    let sent = robot.send(&payload).await;
    // A robot kept in Redis may be delivering the fleet's queue from this process: hand it
    // over before ending, or the next process would wait for its lease to lapse. (Without
    // Redis, nothing is left to deliver: the send waited for its outcome.) The outcome is
    // the send's: a hand-over cut short leaves the lease to lapse, and loses nothing.
    let _ = robot.close(HAND_OVER).await;
    let receipt = sent?;
    if args.quiet {
        return Ok(());
    }
    eprintln!(
        "delivered ({} attempt{}, {:?})",
        receipt.attempts(),
        if receipt.attempts() == 1 { "" } else { "s" },
        receipt.elapsed()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(std::env::var("RUST_LOG").ok().as_deref());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dingtalk: cannot start: {e}");
            return ExitCode::from(Exit::Tool.code());
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Send { dry_run, message } => send(&cli.robot, message, *dry_run).await,
            Command::Probe { dry_run } => probe::run(&cli.robot, *dry_run).await,
            Command::Sandbox {
                addr,
                token,
                no_rate_limit,
            } => sandbox::run(*addr, token, *no_rate_limit, &cli.robot).await,
            Command::Completions { shell } => {
                let mut script = Vec::new();
                clap_complete::generate(*shell, &mut Cli::command(), "dingtalk", &mut script);
                out(&String::from_utf8_lossy(&script))
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("dingtalk: {}", failure.line);
            ExitCode::from(failure.exit.code())
        }
    }
}
