//! DingTalk's rules for robots, as plain data and pure functions.
//!
//! This crate is the one place where `dingtalk-bot` writes down what DingTalk does: its limits,
//! its error codes and messages, the fields of each message type, which types take mentions and
//! links, the order in which a message is checked, and the dialect of markdown DingTalk
//! renders. The derive uses it when a program compiles; the client, the sandbox and the
//! command line use it when they run. It has no dependencies, so that the derive pays nothing
//! for it.
//!
//! The facts come from the project's specifications of DingTalk's behaviour
//! (`shared/dingtalk-api.md`; for the OpenAPI of app robots, [`openapi`],
//! `shared/dingtalk-app-robots.md`). Where the public record leaves a fact open, the choice
//! made is marked **Chosen:** with its reason; change it here and every side follows.
//!
//! ```
//! # mod dingtalk_bot { pub use dingtalk_spec as spec; }
//! use dingtalk_bot::spec::{Fields, Rule, check};
//!
//! let fields = Fields::markdown("Deploy", "billing v2.4 is **live**");
//! assert_eq!(check(&fields, &["deploy"], 90).unwrap_err().rule(), Rule::Keywords);
//! assert!(check(&fields, &["billing"], 90).is_ok());
//! ```

#![deny(missing_docs)]

mod check;
pub mod errcode;
pub mod errmsg;
mod fields;
pub mod markdown;
mod msgtype;
pub mod openapi;
pub mod url;

use std::time::Duration;

pub use check::{Rule, Violation, check, check_size};
pub use errmsg::{SecurityFailure, Wording, classify_security};
pub use fields::{Content, Field, FieldRef, Fields};
pub use msgtype::MsgType;

/// The largest request body DingTalk accepts, in bytes, measured on the exact bytes sent.
pub const MAX_BODY_BYTES: usize = 20_000;

/// How many messages one robot may send per [`RATE_LIMIT_WINDOW`].
pub const RATE_LIMIT_MAX: u32 = 20;

/// The window of [`RATE_LIMIT_MAX`].
pub const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(60);

/// How long a robot that broke the rate limit stays throttled.
pub const THROTTLE_PENALTY: Duration = Duration::from_secs(10 * 60);

/// How far a signature's timestamp may be from DingTalk's clock, either way.
pub const SIGNATURE_WINDOW: Duration = Duration::from_secs(60 * 60);

/// The most keywords one robot can have.
pub const MAX_KEYWORDS: usize = 10;

/// The path of the custom-robot endpoint.
pub const SEND_PATH: &str = "/robot/send";

/// The bytes a `msgUuid` field adds to a body: `,"msgUuid":"<32 hex digits>"`.
///
/// **Chosen:** a `msgUuid` is 128 random bits written as 32 lowercase hex digits; DingTalk
/// documents the field but not its form.
pub const MSG_UUID_FIELD_LEN: usize = r#","msgUuid":"""#.len() + MSG_UUID_LEN;

/// The length of a `msgUuid`: 32 hex digits.
pub const MSG_UUID_LEN: usize = 32;
