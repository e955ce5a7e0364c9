//! The [`Message`] trait: anything that can be sent through a robot.

use crate::payload::{ActionCard, FeedCard, Link, Markdown, Payload, Text};

/// Anything that can be sent through a [`Robot`](crate::Robot): it becomes a [`Payload`].
///
/// `#[derive(Message)]` in the `dingtalk-bot` crate implements it for notification types from a
/// layout checked at compile time (see "Notifications as types" in that crate's
/// documentation); [`Payload`] and its builders implement it as they are. Implement it by hand
/// for layouts decided at run time.
///
/// ```
/// use dingtalk_core::{Message, Payload};
///
/// // A builder, a payload or a derived notification: the same two methods.
/// let hi = Payload::text("hi");
/// assert_eq!(hi.to_json(), r#"{"msgtype":"text","text":{"content":"hi"}}"#);
/// assert_eq!(hi.to_payload().to_json(), hi.to_json());
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
