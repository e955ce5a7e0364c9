//! The one ordered check of a message body: the client runs it before sending, the sandbox
//! when a body arrives, so that one bad message gets the same answer from both.

use std::fmt;

use crate::errmsg::Wording;
use crate::{FieldRef, Fields, MAX_BODY_BYTES, errcode, errmsg};

/// A rule a message body must keep, in the order they are checked: the first broken one is
/// the answer.
///
/// **Chosen:** DingTalk does not document the order of its checks. The body's size comes
/// first (an endpoint reads no more than it accepts), then whether it is a message at all, then
/// its required fields, then the keywords, which read the fields. The checks of who is sending
/// (token, IP, signature, rate limit) come before all of these, in the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// At most [`MAX_BODY_BYTES`], measured on the bytes sent.
    BodySize,
    /// A JSON object with a known `msgtype` and that type's object.
    Readable,
    /// Every required field filled.
    RequiredFields,
    /// At least one of the robot's keywords where a reader sees it, when the robot has some.
    Keywords,
}

impl Rule {
    /// Every rule, in the order they are checked.
    pub const ALL: [Rule; 4] = [
        Rule::BodySize,
        Rule::Readable,
        Rule::RequiredFields,
        Rule::Keywords,
    ];
}

/// How a message body breaks a [`Rule`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The body is over [`MAX_BODY_BYTES`].
    TooLarge {
        /// The body's size in bytes.
        bytes: usize,
    },
    /// The body is not a message: not JSON, no `msgtype`, or no object for it.
    Unreadable {
        /// What is missing: `json`, `msgtype`, or the type's object (`markdown`).
        missing: String,
    },
    /// The `msgtype` is not one DingTalk's custom robots send.
    UnknownType {
        /// The `msgtype` given.
        msgtype: String,
    },
    /// A required field is empty, or a required list has no entry.
    MissingField {
        /// The field's path in the body: `actionCard.btns[1].actionURL`.
        path: String,
    },
    /// None of the robot's keywords is where a reader sees it.
    NoKeyword,
}

impl Violation {
    /// The rule broken.
    pub fn rule(&self) -> Rule {
        match self {
            Violation::TooLarge { .. } => Rule::BodySize,
            Violation::Unreadable { .. } | Violation::UnknownType { .. } => Rule::Readable,
            Violation::MissingField { .. } => Rule::RequiredFields,
            Violation::NoKeyword => Rule::Keywords,
        }
    }

    /// The `errcode` DingTalk answers it with.
    ///
    /// **Chosen:** a missing field is answered `40035 缺少参数 <field>`, the open platform's
    /// code for a missing parameter, since the public record names none for it; an unknown
    /// type `400105`.
    pub fn errcode(&self) -> i64 {
        match self {
            Violation::TooLarge { .. } => errcode::MESSAGE_TOO_LONG,
            Violation::Unreadable { .. } | Violation::MissingField { .. } => {
                errcode::MISSING_PARAMETER
            }
            Violation::UnknownType { .. } => errcode::UNSUPPORTED_TYPE,
            Violation::NoKeyword => errcode::SECURITY,
        }
    }

    /// The `errmsg` DingTalk answers it with, in `wording`.
    pub fn errmsg(&self, wording: Wording) -> String {
        match self {
            Violation::TooLarge { .. } => wording
                .pick(errmsg::MESSAGE_TOO_LONG, errmsg::MESSAGE_TOO_LONG_ZH)
                .to_owned(),
            Violation::Unreadable { missing } => errmsg::missing_parameter(missing),
            Violation::MissingField { path } => errmsg::missing_parameter(path),
            Violation::UnknownType { .. } => errmsg::UNSUPPORTED_TYPE.to_owned(),
            Violation::NoKeyword => wording
                .pick(
                    errmsg::KEYWORDS_NOT_IN_CONTENT,
                    errmsg::KEYWORDS_NOT_IN_CONTENT_ZH,
                )
                .to_owned(),
        }
    }

    fn missing(field: FieldRef<'_>) -> Violation {
        Violation::MissingField { path: field.path() }
    }
}

impl fmt::Display for Violation {
    /// What is wrong, in words: `the message is 20312 bytes, over DingTalk's limit of 20000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::TooLarge { bytes } => write!(
                f,
                "the message is {bytes} bytes, over DingTalk's limit of {MAX_BODY_BYTES} bytes"
            ),
            Violation::Unreadable { missing } if missing == "json" => {
                f.write_str("the body is not a JSON object")
            }
            Violation::Unreadable { missing } => write!(f, "the body has no `{missing}`"),
            Violation::UnknownType { msgtype } => {
                write!(f, "`{msgtype}` is not a message type of custom robots")
            }
            Violation::MissingField { path } => {
                write!(
                    f,
                    "the message's `{path}` is empty, and DingTalk requires it"
                )
            }
            Violation::NoKeyword => f.write_str("the message holds none of the robot's keywords"),
        }
    }
}

impl std::error::Error for Violation {}

/// [`Rule::BodySize`] alone, for a reader that has the body's bytes before it parses them.
pub fn check_size(body_len: usize) -> Result<(), Violation> {
    if body_len > MAX_BODY_BYTES {
        Err(Violation::TooLarge { bytes: body_len })
    } else {
        Ok(())
    }
}

/// Checks a message against every [`Rule`] in order, and returns the first broken.
///
/// `fields` are the message as sent, `keywords` the robot's (none: no keyword check), and
/// `body_len` the size of the whole body sent, in bytes. A message that is a
/// [`Fields`] is readable; [`Rule::Readable`] is broken only by bodies that are not (which a
/// reader of raw JSON finds while making the `Fields`).
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::{Fields, Violation, check};
///
/// let empty_title = Fields::markdown(" ", "**hi**");
/// assert_eq!(
///     check(&empty_title, &[] as &[&str], 60),
///     Err(Violation::MissingField { path: "markdown.title".into() }),
/// );
/// // The size comes first.
/// assert!(matches!(check(&empty_title, &[] as &[&str], 20_001), Err(Violation::TooLarge { .. })));
/// ```
pub fn check<S: AsRef<str>>(
    fields: &Fields<'_>,
    keywords: &[S],
    body_len: usize,
) -> Result<(), Violation> {
    check_size(body_len)?;
    if let Some(missing) = fields.first_missing() {
        return Err(Violation::missing(missing));
    }
    if !fields.contains_keyword(keywords) {
        return Err(Violation::NoKeyword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_broken_rule_answers() {
        let none: &[&str] = &[];
        let bad = Fields::text("");
        assert_eq!(
            check(&bad, &["k"], MAX_BODY_BYTES + 1).unwrap_err().rule(),
            Rule::BodySize
        );
        assert_eq!(
            check(&bad, &["k"], 10).unwrap_err().rule(),
            Rule::RequiredFields
        );
        assert_eq!(
            check(&Fields::text("x"), &["k"], 10).unwrap_err(),
            Violation::NoKeyword
        );
        assert!(check(&Fields::text("x"), none, MAX_BODY_BYTES).is_ok());
    }

    #[test]
    fn every_violation_has_an_answer() {
        let cases = [
            (
                Violation::TooLarge { bytes: 20_001 },
                460_101,
                "message too long, exceed 20000 bytes",
            ),
            (
                Violation::Unreadable {
                    missing: "json".into(),
                },
                40_035,
                "缺少参数 json",
            ),
            (
                Violation::UnknownType {
                    msgtype: "image".into(),
                },
                400_105,
                "不支持的消息类型",
            ),
            (
                Violation::MissingField {
                    path: "markdown.title".into(),
                },
                40_035,
                "缺少参数 markdown.title",
            ),
            (Violation::NoKeyword, 310_000, "keywords not in content"),
        ];
        for (violation, code, msg) in cases {
            assert_eq!(violation.errcode(), code);
            assert_eq!(violation.errmsg(Wording::Classic), msg);
            assert!(!violation.to_string().is_empty());
        }
        assert!(
            Violation::NoKeyword
                .errmsg(Wording::Structured)
                .contains("关键词")
        );
    }
}
