//! The [`Message`] trait: anything that can be sent through a robot.

use crate::payload::{ActionCard, FeedCard, Link, Markdown, Payload, Text};

/// Anything that can be sent through a [`Robot`](crate::Robot): it becomes a [`Payload`].
///
/// `#[derive(Message)]` in the `dingtalk-bot` crate implements it for notification types from a
/// layout checked at compile time (see "Notifications as types" in that crate's
/// documentation); [`Payload`] and its builders implement it as they are. Implement it by hand
/// for layouts decided at run time.
pub trait Message {
    /// The payload to send.
    fn to_payload(&self) -> Payload;
}

impl Message for Payload {
    fn to_payload(&self) -> Payload {
        self.clone()
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
