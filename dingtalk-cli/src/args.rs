//! The command line, as clap reads it: every flag and subcommand, their help text, and the
//! parsers of compound arguments (`Title=URL`, `Title|URL|PIC`, `\\n` in text).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::exit;

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
///
/// The library's warnings (a shared state file replaced, Redis out of reach)
/// are shown on standard error; RUST_LOG changes what is shown (RUST_LOG=off,
/// RUST_LOG=dingtalk_core=debug).
#[derive(Parser, Debug)]
#[command(name = "dingtalk", version, about, long_about, verbatim_doc_comment, after_help = exit::statuses(), after_long_help = format!("{EXAMPLES}\n\n{}", exit::statuses()))]
pub struct Cli {
    #[command(flatten)]
    pub robot: RobotArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct RobotArgs {
    /// The robot's webhook URL (with its access_token).
    #[arg(long, global = true, value_name = "URL")]
    pub webhook: Option<String>,
    /// The robot's signing secret (`SEC…`).
    #[arg(long, global = true, value_name = "SECRET")]
    pub secret: Option<String>,
    /// A keyword of the robot's (repeat for several).
    #[arg(long = "keyword", global = true, value_name = "KEYWORD")]
    pub keywords: Vec<String>,
    /// A robot of the config file, by name.
    #[arg(long, global = true, value_name = "NAME")]
    pub robot: Option<String>,
    /// The config file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How long to wait for each answer from DingTalk, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// How many times to retry when DingTalk cannot be reached or fails (with back-off; the
    /// message keeps one msgUuid, so it is never posted twice).
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    pub retries: u32,
    /// When DingTalk throttles the robot, wait the 10 minutes out and send, instead of
    /// failing with exit status 6.
    #[arg(long, global = true)]
    pub wait_throttle: bool,
    /// At most MAX messages in any SECONDS (DingTalk allows 20 a minute). Every dingtalk
    /// process of yours on this machine that sends to the same robot counts against it (or,
    /// with --redis, every process that uses the same Redis); a send waits for a free place
    /// (see --no-wait).
    #[arg(
        long,
        global = true,
        value_name = "MAX/SECONDS",
        env = "DINGTALK_RATE_LIMIT",
        default_value = "20/60",
        value_parser = parse_rate_limit
    )]
    pub rate_limit: (u32, Duration),
    /// When no place in the rate limit is free, fail at once with exit status 6 instead of
    /// waiting for one. Not with --redis (a usage error, status 2): a message queued in Redis
    /// waits for whichever process delivers it.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Keep the rate limit in this process only, shared with no other dingtalk process:
    /// neither through the state directory nor through Redis (--redis is then ignored).
    #[arg(long, global = true)]
    pub no_shared_limit: bool,
    /// Where the rate limit is shared with the other dingtalk processes on this machine (by
    /// default <state dir>/dingtalk, as ~/.local/state/dingtalk). Not used with --redis.
    #[arg(long, global = true, value_name = "DIR", env = "DINGTALK_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Keep the robot's rate limit, throttle and queue in Redis at URL
    /// (redis://:PASSWORD@HOST:PORT/DB, all but the host optional), shared by every dingtalk
    /// process that uses it, on any machine: for a fleet of hosts that send to one robot. A
    /// send waits until its message is delivered, by whichever process delivers the robot's
    /// queue; if Redis cannot be reached, it fails with exit status 10. The password is never
    /// printed.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DINGTALK_REDIS_URL",
        hide_env_values = true
    )]
    pub redis: Option<String>,
    /// Print nothing on success.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Send a message.
    #[command(after_help = exit::statuses())]
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
    /// Send a markdown message and an action card that show how your DingTalk clients render
    /// escapes, entities, line breaks and markup.
    ///
    /// No document says how DingTalk's desktop and phone clients render these; the library's
    /// escaping rests on what other projects have shipped. Each case is a paragraph of its
    /// own, labelled (A1, B4, N1, …) with what should show after it. Look at both messages on
    /// every client you use, and report the labels that show otherwise. The robot is the one
    /// `send` would use; its keywords are put in both messages.
    #[command(after_long_help = crate::probe::legend())]
    Probe {
        /// Print the two requests (each body less its msgUuid, the URL with token and sign
        /// redacted), after every check; send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a shell completion script: `dingtalk completions bash > /etc/bash_completion.d/dingtalk`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct Mentions {
    /// Mention a group member by mobile number (repeat for several).
    #[arg(long = "at-mobile", value_name = "MOBILE")]
    pub mobiles: Vec<String>,
    /// Mention a group member by DingTalk user id (repeat for several).
    #[arg(long = "at-user", value_name = "USER_ID")]
    pub users: Vec<String>,
    /// Mention everyone.
    #[arg(long)]
    pub at_all: bool,
}

#[derive(Args, Debug)]
pub struct MarkdownBody {
    /// The markdown (`-` reads standard input).
    #[arg(value_name = "TEXT", conflicts_with_all = ["text", "file"])]
    pub body: Option<String>,
    /// The markdown.
    #[arg(long, conflicts_with = "file")]
    pub text: Option<String>,
    /// Read the markdown from a file.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Keep single newlines as they are (DingTalk shows none).
    #[arg(long)]
    pub preserve_newlines: bool,
}

#[derive(Subcommand, Debug)]
pub enum MessageCommand {
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

/// `MAX/SECONDS`: at least one message, in a window longer than zero (seconds may have a
/// fraction: `5/1.5`).
fn parse_rate_limit(value: &str) -> Result<(u32, Duration), String> {
    let wrong = || format!("`{value}` is not MAX/SECONDS, as 20/60");
    let (max, seconds) = value.split_once('/').ok_or_else(wrong)?;
    let max: u32 = max.trim().parse().map_err(|_| wrong())?;
    let seconds: f64 = seconds.trim().parse().map_err(|_| wrong())?;
    let per = Duration::try_from_secs_f64(seconds).map_err(|_| wrong())?;
    if max == 0 || per.is_zero() {
        return Err(format!(
            "`{value}`: the limit needs at least one message in a window longer than zero"
        ));
    }
    Ok((max, per))
}

/// `\n` and `\t` in an argument mean a newline and a tab; `\\` is a backslash.
pub fn unescape(arg: &str) -> String {
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

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

    #[test]
    fn rate_limits_parse() {
        assert_eq!(
            parse_rate_limit("20/60").unwrap(),
            (20, Duration::from_secs(60))
        );
        assert_eq!(
            parse_rate_limit(" 5 / 1.5 ").unwrap(),
            (5, Duration::from_millis(1500))
        );
        for wrong in ["20", "0/60", "5/0", "5/-1", "x/60", "5/inf", "5/NaN", ""] {
            assert!(parse_rate_limit(wrong).is_err(), "{wrong}");
        }
    }
}
