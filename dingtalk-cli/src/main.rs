//! `dingtalk`: send DingTalk robot messages from scripts, cron jobs and CI, and try layouts
//! against a local sandbox. Everything goes through the `dingtalk` library: signing, checks,
//! retries and typed errors are the library's.

// The doc comments of the command-line types are clap's `--help` text, written for a
// terminal, not rustdoc markup.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod config;
mod sandbox;

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use dingtalk_bot::{
    ButtonOrientation, Error, ErrorKind, FeedLink, Payload, RetryPolicy, Robot, RobotBuilder,
};

const EXIT_STATUSES: &str = "\
Exit status:
  0  delivered (or, with --dry-run, the message passed every check)
  2  usage: a flag or argument is wrong
  3  configuration: no webhook, a malformed webhook or secret, an unreadable config file
  4  the message: a required field empty, over 20,000 bytes, unreadable input or JSON
  5  DingTalk's security check: signature, timestamp, IP allowlist or keywords
  6  rate limited: the robot is throttled
  7  the robot: unknown token, robot disabled or removed, group dissolved
  8  delivery: DingTalk could not be reached, timed out or failed
  9  any other refusal by DingTalk
  1  the tool itself could not start or write its output";

const EXAMPLES: &str = "\
Examples:
  dingtalk send text 'backup done'
  dingtalk send markdown --title 'Deploy' --text '### billing v2\\n- status: **ok**'
  echo '**done**' | dingtalk send markdown --title Deploy -
  dingtalk --robot ops send action-card --title Leave --text 'Alice: 3 days' \\
      --button 'Approve=https://hr.example.com/1/yes' --button 'Reject=https://hr.example.com/1/no'
  dingtalk send text 'deploying' --dry-run
  dingtalk sandbox --secret SECtest --keyword deploy";

/// Send DingTalk (钉钉) robot messages from scripts and CI.
///
/// The robot comes from flags, else the environment (DINGTALK_WEBHOOK,
/// DINGTALK_SECRET, DINGTALK_KEYWORDS), else the config file (--config; by
/// default <config dir>/dingtalk/config.toml), whose robots have names:
///
///   default = "ops"          # used when --robot is not given
///   [robots.ops]
///   webhook = "https://oapi.dingtalk.com/robot/send?access_token=…"
///   secret = "SEC…"
///   keywords = ["deploy"]
///
/// In text given as arguments, \n is a newline and \t a tab. In markdown, a
/// single newline becomes a line break DingTalk shows (unless
/// --preserve-newlines). Secrets are never printed.
#[derive(Parser, Debug)]
#[command(name = "dingtalk", version, about, long_about, verbatim_doc_comment, after_help = EXIT_STATUSES, after_long_help = format!("{EXAMPLES}\n\n{EXIT_STATUSES}"))]
struct Cli {
    #[command(flatten)]
    robot: RobotArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct RobotArgs {
    /// The robot's webhook URL (with its access_token).
    #[arg(long, global = true, value_name = "URL")]
    webhook: Option<String>,
    /// The robot's signing secret (`SEC…`).
    #[arg(long, global = true, value_name = "SECRET")]
    secret: Option<String>,
    /// A keyword of the robot's (repeat for several).
    #[arg(long = "keyword", global = true, value_name = "KEYWORD")]
    keywords: Vec<String>,
    /// A robot of the config file, by name.
    #[arg(long, global = true, value_name = "NAME")]
    robot: Option<String>,
    /// The config file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How long to wait for each answer from DingTalk, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
    timeout: u64,
    /// How many times to retry when DingTalk cannot be reached or fails (with back-off; the
    /// message keeps one msgUuid, so it is never posted twice).
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    retries: u32,
    /// When DingTalk throttles the robot, wait the 10 minutes out and send, instead of
    /// failing with exit status 6.
    #[arg(long, global = true)]
    wait_throttle: bool,
    /// Print nothing on success.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send a message.
    #[command(after_help = EXIT_STATUSES)]
    Send {
        /// Print the body that would be sent (less the msgUuid each delivery adds) and the
        /// URL with token and sign redacted, after every check; send nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        #[command(subcommand)]
        message: MessageCommand,
    },
    /// Run a local DingTalk robot endpoint and show each message it receives.
    ///
    /// It enforces DingTalk's rules (signature, keywords, size, rate limit), with the secret
    /// and keywords of --secret and --keyword (or DINGTALK_SECRET, DINGTALK_KEYWORDS). Its
    /// webhook URL is printed first; send to it with `dingtalk --webhook URL send …`.
    #[command(
        after_help = "Example: dingtalk sandbox --secret SECtest --keyword deploy --no-rate-limit"
    )]
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The robot's access_token.
        #[arg(long, default_value = dingtalk_sandbox::DEFAULT_TOKEN)]
        token: String,
        /// Lift DingTalk's limit of 20 messages a minute, to try layouts without pause.
        #[arg(long)]
        no_rate_limit: bool,
    },
    /// Print a shell completion script: `dingtalk completions bash > /etc/bash_completion.d/dingtalk`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
struct Mentions {
    /// Mention a group member by mobile number (repeat for several).
    #[arg(long = "at-mobile", value_name = "MOBILE")]
    mobiles: Vec<String>,
    /// Mention a group member by DingTalk user id (repeat for several).
    #[arg(long = "at-user", value_name = "USER_ID")]
    users: Vec<String>,
    /// Mention everyone.
    #[arg(long)]
    at_all: bool,
}

#[derive(Args, Debug)]
struct MarkdownBody {
    /// The markdown (`-` reads standard input).
    #[arg(value_name = "TEXT", conflicts_with_all = ["text", "file"])]
    body: Option<String>,
    /// The markdown.
    #[arg(long, conflicts_with = "file")]
    text: Option<String>,
    /// Read the markdown from a file.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Keep single newlines as they are (DingTalk shows none).
    #[arg(long)]
    preserve_newlines: bool,
}

#[derive(Subcommand, Debug)]
enum MessageCommand {
    /// A plain-text message.
    #[command(
        after_help = "Example: dingtalk send text 'disk 91% on db-1' --at-mobile 13800000000"
    )]
    Text {
        /// The text (`-` reads standard input).
        content: String,
        #[command(flatten)]
        mentions: Mentions,
    },
    /// A markdown message.
    #[command(
        after_help = "Example: dingtalk send markdown --title Deploy --text '### billing v2\\n- **ok**'"
    )]
    Markdown {
        /// The title, shown in the chat list and the notification.
        #[arg(long)]
        title: String,
        #[command(flatten)]
        body: MarkdownBody,
        #[command(flatten)]
        mentions: Mentions,
    },
    /// A link card.
    #[command(
        after_help = "Example: dingtalk send link --title 'Build 42' --text passed --url https://ci.example.com/42"
    )]
    Link {
        /// The title.
        #[arg(long)]
        title: String,
        /// The text under the title.
        #[arg(long)]
        text: String,
        /// The address the card opens.
        #[arg(long, value_name = "URL")]
        url: String,
        /// A picture's address.
        #[arg(long, value_name = "URL")]
        pic: Option<String>,
    },
    /// An action card: markdown with buttons (one gives the single-button card).
    #[command(
        after_help = "Example: dingtalk send action-card --title Leave --text 'Alice: 3 days' --button 'Approve=https://hr.example.com/1/yes'"
    )]
    ActionCard {
        /// The title, shown in the chat list and the notification.
        #[arg(long)]
        title: String,
        #[command(flatten)]
        body: MarkdownBody,
        /// A button, as `Title=URL` (repeat for several).
        #[arg(long = "button", value_name = "TITLE=URL", required = true, value_parser = parse_button)]
        buttons: Vec<(String, String)>,
        /// Buttons side by side instead of stacked.
        #[arg(long)]
        horizontal: bool,
        /// Hide the sender's avatar.
        #[arg(long)]
        hide_avatar: bool,
    },
    /// A feed card: a list of links with pictures.
    #[command(
        after_help = "Example: dingtalk send feed-card --link 'Release notes|https://example.com/notes|https://example.com/n.png'"
    )]
    FeedCard {
        /// An entry, as `Title|URL|PICTURE_URL` (the picture may be left out; repeat for
        /// several).
        #[arg(long = "link", value_name = "TITLE|URL|PIC", required = true, value_parser = parse_feed_link)]
        links: Vec<(String, String, String)>,
    },
    /// A ready message body in DingTalk's JSON, checked before it is sent.
    #[command(after_help = "Example: dingtalk send json message.json")]
    Json {
        /// The file (`-` reads standard input).
        file: String,
    },
}

fn parse_button(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((title, url)) if !title.trim().is_empty() && !url.trim().is_empty() => {
            Ok((unescape(title.trim()), url.trim().to_owned()))
        }
        _ => Err(format!("`{value}` is not `Title=URL`")),
    }
}

fn parse_feed_link(value: &str) -> Result<(String, String, String), String> {
    let parts: Vec<&str> = value.splitn(3, '|').map(str::trim).collect();
    match parts[..] {
        [title, url] if !title.is_empty() && !url.is_empty() => {
            Ok((unescape(title), url.to_owned(), String::new()))
        }
        [title, url, pic] if !title.is_empty() && !url.is_empty() => {
            Ok((unescape(title), url.to_owned(), pic.to_owned()))
        }
        _ => Err(format!("`{value}` is not `Title|URL|PICTURE_URL`")),
    }
}

/// `\n` and `\t` in an argument mean a newline and a tab; `\\` is a backslash.
fn unescape(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len());
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A failure: what to print and the exit status.
struct Failure {
    status: u8,
    line: String,
}

impl Failure {
    fn new(status: u8, line: impl Into<String>) -> Failure {
        Failure {
            status,
            line: line.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        use ErrorKind::*;
        let (status, hint) = match e.kind() {
            InvalidConfig => (3, None),
            InvalidMessage => (4, Some("fill in every field DingTalk requires")),
            PayloadTooLarge => (4, Some("shorten the message or split it")),
            SignatureMismatch => (
                5,
                Some("the secret does not match the robot's; check DINGTALK_SECRET (or --secret)"),
            ),
            TimestampExpired => (
                5,
                Some("this machine's clock is over an hour off; correct it"),
            ),
            IpNotAllowed => (
                5,
                Some("add this machine's address to the robot's IP allowlist"),
            ),
            KeywordMismatch => (
                5,
                Some("put one of the robot's keywords in the message (see DINGTALK_KEYWORDS)"),
            ),
            RateLimited => (
                6,
                Some(
                    "the robot sent over 20 messages in a minute; DingTalk holds it for 10 minutes",
                ),
            ),
            QueueFull => (
                6,
                Some("too many messages are waiting to be sent; try again later"),
            ),
            InvalidToken => (
                7,
                Some("check the access_token in the webhook (DINGTALK_WEBHOOK)"),
            ),
            RobotDisabled | RobotNotFound | GroupDissolved => (
                7,
                Some("this robot cannot send; add a new one to the group"),
            ),
            Timeout | Transport | Server | Cancelled => (8, Some("try again later")),
            _ => (9, None),
        };
        // The cause of a transport failure, stripped of its URL by the library.
        let cause = std::error::Error::source(&e)
            .map(|source| format!(": {source}"))
            .unwrap_or_default();
        let line = match (e.errcode(), e.errmsg(), hint) {
            (Some(code), Some(msg), Some(hint)) => format!("{msg} ({code}): {hint}"),
            (Some(code), Some(msg), None) => format!("{msg} ({code})"),
            (_, _, Some(hint)) if e.errcode().is_none() && status >= 6 => {
                format!("{e}{cause}; {hint}")
            }
            _ => e.to_string(),
        };
        Failure { status, line }
    }
}

/// Writes to standard output. A reader that went away (`| head`) is no failure.
fn out(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            1,
            format!("cannot write to standard output: {e}"),
        )),
    }
}

fn read_input(source: &str) -> Result<String, Failure> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(4, format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Failure::new(4, format!("cannot read {source}: {e}")))
    }
}

impl MarkdownBody {
    fn markdown(&self) -> Result<String, Failure> {
        let text = match (&self.body, &self.text, &self.file) {
            (Some(body), _, _) if body == "-" => read_input("-")?,
            (Some(body), _, _) => unescape(body),
            (None, Some(text), _) => unescape(text),
            (None, None, Some(file)) => read_input(&file.display().to_string())?,
            (None, None, None) => {
                return Err(Failure::new(
                    2,
                    "give the markdown as an argument, with --text or --file, or `-` for standard input",
                ));
            }
        };
        let text = text.trim_end_matches(['\n', '\r']);
        Ok(if self.preserve_newlines {
            text.to_owned()
        } else {
            dingtalk_bot::hard_line_breaks(text)
        })
    }
}

/// Adds the mentions of the flags to a text or markdown builder.
macro_rules! mention {
    ($message:expr, $mentions:expr) => {{
        let mentions: &Mentions = $mentions;
        let message = $message
            .at_mobiles(&mentions.mobiles)
            .at_user_ids(&mentions.users);
        if mentions.at_all {
            message.at_all()
        } else {
            message
        }
    }};
}

fn payload(command: &MessageCommand) -> Result<Payload, Failure> {
    Ok(match command {
        MessageCommand::Text { content, mentions } => {
            let content = if content == "-" {
                read_input("-")?.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                unescape(content)
            };
            mention!(Payload::text(content), mentions).into()
        }
        MessageCommand::Markdown {
            title,
            body,
            mentions,
        } => mention!(
            Payload::markdown(unescape(title), body.markdown()?),
            mentions
        )
        .into(),
        MessageCommand::Link {
            title,
            text,
            url,
            pic,
        } => {
            let link = Payload::link(unescape(title), unescape(text), url);
            match pic {
                Some(pic) => link.pic_url(pic).into(),
                None => link.into(),
            }
        }
        MessageCommand::ActionCard {
            title,
            body,
            buttons,
            horizontal,
            hide_avatar,
        } => {
            let mut card = Payload::action_card(unescape(title), body.markdown()?)
                .hide_avatar(*hide_avatar)
                .orientation(if *horizontal {
                    ButtonOrientation::Horizontal
                } else {
                    ButtonOrientation::Vertical
                });
            for (title, url) in buttons {
                card = card.button(title, url);
            }
            card.into()
        }
        MessageCommand::FeedCard { links } => Payload::feed_card()
            .links(links.iter().map(|(t, u, p)| FeedLink::new(t, u, p)))
            .into(),
        MessageCommand::Json { file } => {
            let json = read_input(file)?;
            warn_ignored_fields(&json);
            Payload::from_json(&json).map_err(|e| Failure::new(4, e.to_string()))?
        }
    })
}

/// Says on stderr which fields of a JSON message will not be sent: the library sends only
/// what DingTalk's message table has, and its own `msgUuid`.
fn warn_ignored_fields(json: &str) {
    let Ok(serde_json::Value::Object(message)) = serde_json::from_str(json) else {
        return;
    };
    let known = [
        "msgtype",
        "text",
        "link",
        "markdown",
        "actionCard",
        "feedCard",
        "at",
    ];
    let ignored: Vec<&str> = message
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !ignored.is_empty() {
        eprintln!(
            "dingtalk: warning: not sent: {} (a msgUuid is added per delivery)",
            ignored.join(", ")
        );
    }
}

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
        Some(path) => config::load(path, explicit).map_err(|e| Failure::new(3, e))?,
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
    .map_err(|e| Failure::new(3, e))?;
    let (webhook, has_webhook) = match entry.webhook {
        Some(webhook) => (webhook, true),
        // A dry run checks the message without a robot to send to.
        None if dry_run => (
            "https://oapi.dingtalk.com/robot/send?access_token=dry-run".to_owned(),
            false,
        ),
        None => {
            return Err(Failure::new(
                3,
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
    if !args.wait_throttle {
        builder = builder.throttle_penalty(Duration::ZERO);
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
    let payload = payload(message)?;
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
    let receipt = robot.send(&payload).await?;
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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dingtalk: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Send { dry_run, message } => send(&cli.robot, message, *dry_run).await,
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
            ExitCode::from(failure.status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_in_arguments() {
        assert_eq!(unescape(r"a\nb\tc\\n\q\"), "a\nb\tc\\n\\q\\");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn buttons_and_feed_links_parse() {
        assert_eq!(
            parse_button("Approve=https://x/?a=1").unwrap(),
            ("Approve".to_owned(), "https://x/?a=1".to_owned())
        );
        assert!(parse_button("Approve").is_err());
        assert_eq!(
            parse_feed_link("T|https://a").unwrap(),
            ("T".to_owned(), "https://a".to_owned(), String::new())
        );
        assert!(parse_feed_link("T").is_err());
    }
}
