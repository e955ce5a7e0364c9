//! `dingtalk sandbox`: the local robot endpoint in the foreground, showing each message in a
//! form a person reads.

use std::net::SocketAddr;

use dingtalk_bot::Payload;
use dingtalk_sandbox::{Exchange, Sandbox};
use tokio::sync::broadcast::error::RecvError;

use crate::args::RobotArgs;
use crate::config;
use crate::exit::{Exit, Failure};
use crate::output::out;

pub async fn run(
    addr: SocketAddr,
    token: &str,
    no_rate_limit: bool,
    args: &RobotArgs,
) -> Result<(), Failure> {
    // The secret and keywords as a robot's are found: flags, then the environment (the
    // config file's robots are real ones, not the sandbox's).
    let flags = config::RobotEntry {
        webhook: None,
        secret: args.secret.clone(),
        keywords: args.keywords.clone(),
    };
    let config::RobotEntry {
        secret, keywords, ..
    } = config::resolve(
        &flags,
        |k| std::env::var(k).ok(),
        &config::File::default(),
        None,
    )
    .map_err(|e| Failure::new(Exit::Config, e))?;
    let mut builder = Sandbox::builder()
        .addr(addr)
        .access_token(token)
        .keywords(keywords);
    if let Some(secret) = &secret {
        // A secret no client would accept makes a sandbox no client can use.
        dingtalk_bot::Secret::new(secret.clone())?;
        builder = builder.secret(secret.clone());
    }
    if no_rate_limit {
        builder = builder.no_rate_limit();
    }
    let sandbox = builder
        .start()
        .await
        .map_err(|e| Failure::new(Exit::Config, format!("cannot listen on {addr}: {e}")))?;
    let mut exchanges = sandbox.subscribe();
    let hint = if secret.is_some() {
        " --secret <the secret>"
    } else {
        ""
    };
    out(&format!(
        "{}\nsend to it with: dingtalk --webhook <the URL above>{hint} send …\n",
        sandbox.webhook_url()
    ))?;
    loop {
        tokio::select! {
            exchange = exchanges.recv() => match exchange {
                Ok(exchange) => out(&format!("{}\n", describe(&exchange)))?,
                Err(RecvError::Lagged(n)) => out(&format!("({n} requests not shown)\n"))?,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// A request as a person reads it: the message, or why it was refused.
pub fn describe(exchange: &Exchange) -> String {
    let Some(payload) = &exchange.payload else {
        return match (exchange.errcode, &exchange.errmsg) {
            (Some(code), Some(msg)) => format!("✗ refused: {msg} ({code})"),
            _ => format!("· {exchange}"),
        };
    };
    let mut out = format!("✓ {}", payload.msgtype());
    if exchange.duplicate {
        out.push_str(" (repeated msgUuid: not posted again)");
    }
    let mut field = |name: &str, value: &str| {
        if value.contains('\n') {
            out.push_str(&format!("\n  {name}:"));
            for line in value.lines() {
                out.push_str(&format!("\n    {line}"));
            }
        } else {
            out.push_str(&format!("\n  {name}: {value}"));
        }
    };
    match payload {
        Payload::Text(t) => field("text", &t.rendered_content()),
        Payload::Markdown(m) => {
            field("title", m.title());
            field("text", &m.rendered_text());
        }
        Payload::Link(l) => {
            field("title", l.title());
            field("text", l.text());
            field("opens", l.message_url());
            if !l.picture_url().is_empty() {
                field("picture", l.picture_url());
            }
        }
        Payload::ActionCard(c) => {
            field("title", c.title());
            field("text", c.text());
            for b in c.button_list() {
                field("button", &format!("[{}] {}", b.title(), b.url()));
            }
        }
        Payload::FeedCard(f) => {
            for l in f.link_list() {
                field("link", &format!("{} {}", l.title(), l.message_url()));
            }
        }
        _ => {}
    }
    if let Some(at) = payload.at().filter(|at| !at.is_empty()) {
        let mut who: Vec<String> = at
            .mobiles()
            .iter()
            .chain(at.user_ids())
            .map(|id| format!("@{id}"))
            .collect();
        if at.is_all() {
            who.push("@all".into());
        }
        field("mentions", &who.join(" "));
    }
    out
}
