//! The [`Message`] trait: anything that can be sent through a robot.

use crate::payload::{ActionCard, FeedCard, Link, Markdown, Payload, Text};

/// Anything that can be sent through a [`Robot`](crate::Robot): it becomes a [`Payload`].
///
/// `#[derive(Message)]` in the `dingtalk-bot` crate implements it for notification types from a
/// layout checked at compile time: its reference, every attribute with an example, is the
/// module [`dingtalk_bot::_derive`](_derive/index.html). [`Payload`] and its builders implement
/// it as they are.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::{Message, Payload};
///
/// // A builder, a payload or a derived notification: the same two methods.
/// let hi = Payload::text("hi");
/// assert_eq!(hi.to_json(), r#"{"msgtype":"text","text":{"content":"hi"}}"#);
/// assert_eq!(hi.to_payload().to_json(), hi.to_json());
/// ```
///
/// # Implementing it by hand
///
/// For a layout decided at run time, implement it yourself: build the payload with
/// [`Payload`]'s builders, and write its markdown with `dingtalk_bot::markdown!` (a template
/// over your variables, checked and escaped as a derived message's is:
/// `markdown!("### {self.service} is **{self.status}**")`), or piece by piece: escape each
/// value that goes into markdown with [`markdown::escape_into`](crate::markdown::escape_into)
/// (which escapes for where the value stands, as the derive does), and percent-encode values
/// inside addresses (`dingtalk_bot::url`). [`Payload::markdown`] makes single newlines line
/// breaks, by the [rule](crate::markdown#line-breaks) derived messages follow.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::markdown::{Newlines, escape_into};
/// use dingtalk_bot::{Message, Payload};
///
/// /// However many checks failed, each on a line of its own, the on-call mentioned.
/// struct ChecksFailed {
///     suite: String,
///     failed: Vec<(String, String)>, // each check's name, and why it failed
///     oncall: Vec<String>,
/// }
///
/// impl Message for ChecksFailed {
///     fn to_payload(&self) -> Payload {
///         let mut text = String::from("### ");
///         escape_into(&mut text, &self.suite, Newlines::Break);
///         text.push_str(": checks failed\n");
///         for (name, why) in &self.failed {
///             text.push_str("\n- **");
///             escape_into(&mut text, name, Newlines::Break);
///             text.push_str("**: ");
///             escape_into(&mut text, why, Newlines::Break);
///         }
///         Payload::markdown(format!("{} failed", self.suite), text)
///             .at_mobiles(&self.oncall)
///             .into()
///     }
/// }
///
/// let failed = ChecksFailed {
///     suite: "unit".into(),
///     failed: vec![
///         ("parse_args".into(), "panicked".into()),
///         ("db".into(), "timeout <5s>".into()),
///     ],
///     oncall: vec!["13800000000".into()],
/// };
/// let payload = failed.to_payload();
/// assert_eq!(payload.title(), Some("unit failed"));
/// assert_eq!(
///     payload.content(),
///     Some(concat!(
///         "### unit: checks failed\n",
///         "\n",
///         "- **parse\\_args**: panicked  \n",
///         "- **db**: timeout &lt;5s&gt;",
///     )),
/// );
/// assert_eq!(payload.at_mobiles(), ["13800000000"]); // `@13800000000` is added when sent
/// ```
pub trait Message {
    /// The payload to send.
    fn to_payload(&self) -> Payload;

    /// The JSON body of this message, as a robot sends it but for the `msgUuid` field it adds:
    /// [`Payload::to_json`] of [`to_payload`](Message::to_payload). For tests and snapshots
    /// of a notification's exact output.
    ///
    /// [`Payload`] has the same method of its own (which needs no `use` of this trait); the
    /// two give the same JSON.
    fn to_json(&self) -> String {
        self.to_payload().to_json()
    }
}

impl Message for Payload {
    fn to_payload(&self) -> Payload {
        self.clone()
    }

    fn to_json(&self) -> String {
        // The inherent method: no clone.
        Payload::to_json(self)
    }
}

macro_rules! message_by_clone {
    ($($ty:ty),*) => {$(
        impl Message for $ty {
            fn to_payload(&self) -> Payload {
                self.clone().into()
            }
        }
    )*};
}
message_by_clone!(Text, Link, Markdown, ActionCard, FeedCard);

impl<M: Message + ?Sized> Message for &M {
    fn to_payload(&self) -> Payload {
        (**self).to_payload()
    }
}

impl<M: Message + ?Sized> Message for Box<M> {
    fn to_payload(&self) -> Payload {
        (**self).to_payload()
    }
}

impl<M: Message + ?Sized> Message for std::sync::Arc<M> {
    fn to_payload(&self) -> Payload {
        (**self).to_payload()
    }
}
