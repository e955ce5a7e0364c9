//! The runtime of the [`dingtalk-bot`](https://docs.rs/dingtalk-bot) crate: DingTalk's custom-robot
//! message model, signing (加签), and an async client with typed errors.
//!
//! Depend on `dingtalk-bot` rather than on this crate: it re-exports everything here, with the
//! `#[derive(Message)]` macro beside it.

#![deny(missing_docs)]

#[cfg(feature = "blocking")]
pub mod blocking;
mod delivery;
mod error;
mod message;
mod payload;
#[doc(hidden)]
pub mod render;
mod robot;
mod sign;
pub mod spec;
mod spread;
mod webhook;
mod wire;

pub use delivery::retry::RetryPolicy;
pub use delivery::{Delivery, QueuePolicy};
pub use error::{Error, ErrorKind};
pub use message::Message;
pub use payload::{
    ActionCard, At, Button, ButtonOrientation, FeedCard, FeedLink, Link, Markdown, Payload, Text,
};
pub use render::{RawMarkdown, hard_line_breaks, pc_slide_url};
pub use robot::{DEFAULT_QUEUE_CAPACITY, DEFAULT_TIMEOUT, Receipt, Robot, RobotBuilder};
pub use sign::{Secret, sign, verify};
pub use spread::Spread;
pub use webhook::Webhook;
