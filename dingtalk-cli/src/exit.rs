//! Exit statuses, each with its meaning, written once: for `--help` and for the code that
//! exits. A failure is one line on standard error and one of these statuses.

use dingtalk_bot::{Error, ErrorCategory, ErrorKind};

/// Why the command ended, as its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0.
    Delivered,
    /// 2.
    Usage,
    /// 3.
    Config,
    /// 4.
    Message,
    /// 5.
    Security,
    /// 6.
    RateLimited,
    /// 7.
    Robot,
    /// 8.
    Delivery,
    /// 9.
    Refused,
    /// 10.
    Store,
    /// 1.
    Tool,
}

impl Exit {
    /// Every status, in the order `--help` lists them.
    const ALL: [Exit; 11] = [
        Exit::Delivered,
        Exit::Usage,
        Exit::Config,
        Exit::Message,
        Exit::Security,
        Exit::RateLimited,
        Exit::Robot,
        Exit::Delivery,
        Exit::Refused,
        Exit::Store,
        Exit::Tool,
    ];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Delivered => 0,
            Exit::Tool => 1,
            Exit::Usage => 2,
            Exit::Config => 3,
            Exit::Message => 4,
            Exit::Security => 5,
            Exit::RateLimited => 6,
            Exit::Robot => 7,
            Exit::Delivery => 8,
            Exit::Refused => 9,
            Exit::Store => 10,
        }
    }

    /// The status of an error of `category`: one per category, as the library groups kinds.
    pub fn of(category: ErrorCategory) -> Exit {
        match category {
            ErrorCategory::Config => Exit::Config,
            ErrorCategory::Message => Exit::Message,
            ErrorCategory::Security => Exit::Security,
            ErrorCategory::RateLimit => Exit::RateLimited,
            ErrorCategory::Robot => Exit::Robot,
            ErrorCategory::Delivery => Exit::Delivery,
            ErrorCategory::Store => Exit::Store,
            // `Refused`, and any category a later library adds.
            _ => Exit::Refused,
        }
    }

    fn meaning(self) -> String {
        let meaning = match self {
            Exit::Delivered => "delivered (or, with --dry-run, the message passed every check)",
            Exit::Usage => {
                "usage: a flag or argument (or DINGTALK_RATE_LIMIT) is wrong, or two cannot go together"
            }
            Exit::Config => {
                "configuration: no webhook, a malformed webhook, secret or Redis URL, an unreadable config file"
            }
            Exit::Message => {
                return format!(
                    "the message: a required field empty, over {} bytes, unreadable input or JSON",
                    dingtalk_bot::spec::MAX_BODY_BYTES
                );
            }
            Exit::Security => {
                "DingTalk's security check: signature, timestamp, IP allowlist or keywords"
            }
            Exit::RateLimited => {
                "rate limited: the robot is throttled, or (--no-wait) the local limit is full"
            }
            Exit::Robot => "the robot: unknown token, robot disabled or removed, group dissolved",
            Exit::Delivery => "delivery: DingTalk could not be reached, timed out or failed",
            Exit::Refused => "any other refusal by DingTalk",
            Exit::Store => "Redis (--redis, DINGTALK_REDIS_URL) could not be reached or failed",
            Exit::Tool => "the tool itself could not start or write its output",
        };
        meaning.to_owned()
    }
}

/// The exit statuses and their meanings, for `--help`.
pub fn statuses() -> String {
    let mut text = String::from("Exit status:");
    for exit in Exit::ALL {
        text.push_str(&format!("\n  {:>2}  {}", exit.code(), exit.meaning()));
    }
    text
}

/// A failure: the line to print, and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub line: String,
}

impl Failure {
    pub fn new(exit: Exit, line: impl Into<String>) -> Failure {
        Failure {
            exit,
            line: line.into(),
        }
    }
}

impl From<Error> for Failure {
    /// The status of the error's category, and a hint that says how to fix it.
    fn from(e: Error) -> Failure {
        use ErrorKind::*;
        let exit = Exit::of(e.category());
        let hint = match e.kind() {
            InvalidMessage => Some("fill in every field DingTalk requires"),
            PayloadTooLarge => Some("shorten the message or split it"),
            SignatureMismatch => {
                Some("the secret does not match the robot's; check DINGTALK_SECRET (or --secret)")
            }
            TimestampExpired => Some("this machine's clock is over an hour off; correct it"),
            IpNotAllowed => Some("add this machine's address to the robot's IP allowlist"),
            KeywordMismatch => {
                Some("put one of the robot's keywords in the message (see DINGTALK_KEYWORDS)")
            }
            // DingTalk's answer: it throttles the robot.
            RateLimited if e.errcode().is_some() => Some(
                "the robot sent over 20 messages in a minute; DingTalk holds it for 10 minutes",
            ),
            // HTTP 429, the local limit full (--no-wait), or a throttle another process met:
            // the error says which.
            RateLimited => Some("try again later"),
            QueueFull => Some("too many messages are waiting to be sent; try again later"),
            InvalidToken => Some("check the access_token in the webhook (DINGTALK_WEBHOOK)"),
            RobotDisabled | RobotNotFound | GroupDissolved => {
                Some("this robot cannot send; add a new one to the group")
            }
            _ if exit == Exit::Delivery => Some("try again later"),
            // The error and its cause name what failed and Redis's address, never its
            // password.
            StoreUnavailable => Some(
                "check that Redis runs and can be reached at the URL of --redis (or DINGTALK_REDIS_URL)",
            ),
            _ => None,
        };
        // The error and each cause under it that it does not already say (a transport
        // failure's, stripped of its URL by the library: `error sending request: client error
        // (Connect): tcp connect error: Connection refused`).
        let mut chain = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !chain.contains(&text) {
                chain.push_str(": ");
                chain.push_str(&text);
            }
            source = cause.source();
        }
        let not_answered = e.errcode().is_none()
            && matches!(
                exit,
                Exit::RateLimited | Exit::Robot | Exit::Delivery | Exit::Refused | Exit::Store
            );
        let line = match (e.errcode(), e.errmsg(), hint) {
            (Some(code), Some(msg), Some(hint)) => format!("{msg} ({code}): {hint}"),
            (Some(code), Some(msg), None) => format!("{msg} ({code})"),
            (_, _, Some(hint)) if not_answered => format!("{chain}; {hint}"),
            _ => e.to_string(),
        };
        Failure { exit, line }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_category_has_the_status_the_readme_documents() {
        let cases = [
            (ErrorCategory::Config, 3),
            (ErrorCategory::Message, 4),
            (ErrorCategory::Security, 5),
            (ErrorCategory::RateLimit, 6),
            (ErrorCategory::Robot, 7),
            (ErrorCategory::Delivery, 8),
            (ErrorCategory::Refused, 9),
            (ErrorCategory::Store, 10),
        ];
        for (category, code) in cases {
            assert_eq!(Exit::of(category).code(), code, "{category}");
        }
    }

    #[test]
    fn every_status_is_listed_once_with_its_meaning() {
        let text = statuses();
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        assert_eq!(codes, (0..=10).collect::<Vec<u8>>());
        for exit in Exit::ALL {
            assert!(
                text.contains(&format!("  {:>2}  {}", exit.code(), exit.meaning())),
                "{text}"
            );
        }
    }
}
