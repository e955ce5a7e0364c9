//! The runtime of the [`dingtalk-bot`](https://docs.rs/dingtalk-bot) crate: DingTalk's custom-robot
//! message model, signing (加签), and an async client with typed errors.
//!
//! Depend on `dingtalk-bot` rather than on this crate: it re-exports everything here, with the
//! `#[derive(Message)]` macro beside it.
//!
//! The client is built in layers, each using only those below it. At the bottom, the message
//! model ([`Payload`] and its JSON), DingTalk's rules ([`spec`]), signing and [`Error`]. Above,
//! the transport makes one HTTP attempt at a destination (a custom robot's webhook: its request,
//! signed afresh, and what its answer means). Delivery queues checked messages and sends them
//! within the destination's rate limit, through throttles and retries, merging an overflowing
//! backlog into digests ([`Delivery`], [`QueuePolicy`], [`RetryPolicy`], [`Receipt`]). [`Robot`]
//! is the public client on top: it checks each message once and hands it to delivery. [`Spread`]
//! and the blocking client are built on [`Robot`].

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The app robot's parts, used by its client to come (issue 11).
#[cfg_attr(not(test), allow(dead_code))]
mod app;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod checked;
mod delivery;
#[doc(hidden)]
pub mod derive_support;
mod env;
mod error;
mod keyword;
pub mod markdown;
mod message;
pub mod openapi;
mod payload;
mod robot;
mod sign;
mod split;
mod spread;
mod transport;
mod webhook;
mod wire;

/// DingTalk's rules as plain data: limits, error codes, message fields and markdown. See
/// [`dingtalk_spec`].
pub use dingtalk_spec as spec;

pub use delivery::{Delivery, QueuePolicy, RetryPolicy};
pub use error::{Error, ErrorCategory, ErrorKind, Sent};
pub use markdown::{RawMarkdown, hard_line_breaks};
pub use message::Message;
pub use payload::{
    ActionCard, At, Button, ButtonOrientation, FeedCard, FeedLink, Link, Markdown, Payload, Text,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use robot::DEFAULT_REDIS_TAKEOVER;
pub use robot::{
    DEFAULT_QUEUE_CAPACITY, DEFAULT_TIMEOUT, KEYWORD_SEPARATORS, Receipt, Robot, RobotBuilder,
};
pub use sign::{Secret, sign, verify};
pub use split::MAX_PART_TITLE_BYTES;
pub use spread::Spread;
pub use webhook::Webhook;

/// `url` made to open inside DingTalk: in the desktop side panel with `pc_slide`, in the
/// browser without (`dingtalk://dingtalkclient/page/link?url=…&pc_slide=…`).
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// assert_eq!(
///     dingtalk_bot::pc_slide_url("https://example.com/a?b=1", true),
///     "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1&pc_slide=true",
/// );
/// ```
pub fn pc_slide_url(url: &str, pc_slide: bool) -> String {
    spec::url::pc_slide(url, pc_slide)
}

/// The state directory where [`RobotBuilder::share_limit_on_this_machine`] shares a robot's
/// rate limit and throttle with the machine's other processes, unless
/// [`RobotBuilder::state_dir`] names another: `DINGTALK_STATE_DIR` if set and not empty, else
/// the platform's state directory (`$XDG_STATE_HOME`, `~/.local/state` on Linux), else its
/// local data directory, with `dingtalk` under it. `None` when the platform has neither (no
/// home directory): the limit is then kept in each process, with a warning.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use std::path::Path;
///
/// let dir = dingtalk_bot::default_state_dir();
/// match std::env::var_os("DINGTALK_STATE_DIR").filter(|set| !set.is_empty()) {
///     Some(set) => assert_eq!(dir.as_deref(), Some(Path::new(&set))),
///     // `~/.local/state/dingtalk` on Linux.
///     None => assert!(dir.is_none_or(|dir| dir.ends_with("dingtalk"))),
/// }
/// ```
pub fn default_state_dir() -> Option<std::path::PathBuf> {
    delivery::machine::default_state_dir()
}
