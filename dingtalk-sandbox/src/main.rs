//! `dingtalk-sandbox`: the local DingTalk robot endpoint as a program, for clients in any
//! language. The first line of standard output is the webhook URL; then one line per request
//! answered.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use dingtalk_sandbox::{DEFAULT_TOKEN, Sandbox};
use tokio::sync::broadcast::error::RecvError;

/// A faithful local DingTalk custom-robot endpoint.
///
/// Prints the robot's webhook URL on the first line of standard output, then one line for each
/// request it answers. `GET /_sandbox/messages` returns the accepted messages as a JSON array;
/// `DELETE /_sandbox/messages` clears them. With --app-key, --app-secret and --robot-code it
/// also plays the app robot's OpenAPI at the same address: `POST /v1.0/oauth2/accessToken`,
/// `/v1.0/robot/oToMessages/batchSend` and `/v1.0/robot/groupMessages/send`.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The robot's access_token.
    #[arg(long, default_value = DEFAULT_TOKEN)]
    token: String,
    /// Turn signing on with this secret (`SEC…`).
    #[arg(long)]
    secret: Option<String>,
    /// A keyword every message must hold one of (repeat for several, at most 10).
    #[arg(long = "keyword", value_name = "KEYWORD")]
    keywords: Vec<String>,
    /// Messages allowed per rate window.
    #[arg(long, default_value_t = 20)]
    rate_max: u32,
    /// The rate window, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    rate_window_ms: u64,
    /// How long a robot over the limit is throttled, in milliseconds.
    #[arg(long, default_value_t = 600_000)]
    penalty_ms: u64,
    /// Accept requests only from this address or range, e.g. 127.0.0.1 or 10.0.0.0/8
    /// (repeat for several).
    #[arg(long = "allow-ip", value_name = "IP_OR_RANGE", value_parser = parse_net)]
    allow_ips: Vec<ipnet::IpNet>,
    /// Answer in DingTalk's structured Chinese errmsg wording.
    #[arg(long)]
    structured_errmsgs: bool,
    /// How many accepted messages, answered requests and msgUuids to remember (the oldest
    /// are forgotten first).
    #[arg(long, value_name = "N", default_value_t = dingtalk_sandbox::DEFAULT_HISTORY)]
    history: usize,
    /// Play an app robot on the OpenAPI: the app's AppKey (clientId). Needs --app-secret and
    /// --robot-code.
    #[arg(long, value_name = "K", requires_all = ["app_secret", "robot_code"])]
    app_key: Option<String>,
    /// The app's AppSecret (clientSecret).
    #[arg(long, value_name = "S", requires = "app_key")]
    app_secret: Option<String>,
    /// The app robot's robotCode.
    #[arg(long, value_name = "C", requires = "app_key")]
    robot_code: Option<String>,
    /// A userId that oToMessages/batchSend reaches (repeat for several; none: every userId).
    #[arg(long = "user", value_name = "ID")]
    users: Vec<String>,
    /// A group's openConversationId the robot is in (repeat for several; none: every group).
    #[arg(long = "group", value_name = "ID")]
    groups: Vec<String>,
    /// How long an OpenAPI access token lives, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 7_200)]
    token_lifetime_s: u64,
}

fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(Into::into))
        .map_err(|_| format!("`{s}` is not an IP address or range"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = Sandbox::builder()
        .addr(args.addr)
        .access_token(args.token)
        .keywords(args.keywords)
        .rate_limit(args.rate_max, Duration::from_millis(args.rate_window_ms))
        .penalty(Duration::from_millis(args.penalty_ms))
        .structured_errmsgs(args.structured_errmsgs)
        .history(args.history);
    if let Some(secret) = args.secret {
        builder = builder.secret(secret);
    }
    if let (Some(key), Some(secret), Some(robot)) = (args.app_key, args.app_secret, args.robot_code)
    {
        builder = builder.app(key, secret, robot);
    }
    for user in args.users {
        builder = builder.user(user);
    }
    for group in args.groups {
        builder = builder.group(group);
    }
    builder = builder.token_lifetime(Duration::from_secs(args.token_lifetime_s));
    if !args.allow_ips.is_empty() {
        builder = builder.ip_allowlist(args.allow_ips);
    }
    let sandbox = builder.start().await?;
    let mut exchanges = sandbox.subscribe();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", sandbox.webhook_url())?;
    stdout.flush()?;
    loop {
        tokio::select! {
            exchange = exchanges.recv() => match exchange {
                Ok(exchange) => {
                    writeln!(stdout, "{exchange}")?;
                    stdout.flush()?;
                }
                Err(RecvError::Lagged(n)) => writeln!(stdout, "({n} requests not shown)")?,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
