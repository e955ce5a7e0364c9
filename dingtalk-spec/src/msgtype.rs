//! The message types of a custom robot, and what each can carry.

use std::fmt;

/// A custom robot's message type (`msgtype`).
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::MsgType;
///
/// assert_eq!(MsgType::from_wire("actionCard"), Some(MsgType::ActionCard));
/// assert!(MsgType::Markdown.takes_mentions());
/// assert!(!MsgType::Link.takes_mentions());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MsgType {
    /// `text`: plain text.
    Text,
    /// `link`: a card with a title, a line of text and a picture, opening an address.
    Link,
    /// `markdown`: DingTalk's markdown, with a title for the chat list.
    Markdown,
    /// `actionCard`: markdown with one button or several.
    ActionCard,
    /// `feedCard`: a list of links with pictures.
    FeedCard,
}

impl MsgType {
    /// Every message type, in the order of DingTalk's message table.
    pub const ALL: [MsgType; 5] = [
        MsgType::Text,
        MsgType::Link,
        MsgType::Markdown,
        MsgType::ActionCard,
        MsgType::FeedCard,
    ];

    /// The `msgtype` as DingTalk spells it, which is also the name of the body's object.
    pub const fn as_str(self) -> &'static str {
        match self {
            MsgType::Text => "text",
            MsgType::Link => "link",
            MsgType::Markdown => "markdown",
            MsgType::ActionCard => "actionCard",
            MsgType::FeedCard => "feedCard",
        }
    }

    /// The type a `msgtype` names, spelt exactly as DingTalk spells it.
    pub fn from_wire(msgtype: &str) -> Option<MsgType> {
        MsgType::ALL.into_iter().find(|t| t.as_str() == msgtype)
    }

    /// Whether DingTalk honours mentions (`at`) on this type: only `text` and `markdown`.
    pub const fn takes_mentions(self) -> bool {
        matches!(self, MsgType::Text | MsgType::Markdown)
    }

    /// Whether this type holds addresses that open when tapped (a link card's, the buttons of
    /// an action card, the entries of a feed card), which can be made to open inside DingTalk
    /// ([`url::pc_slide`](crate::url::pc_slide)).
    pub const fn has_links(self) -> bool {
        matches!(
            self,
            MsgType::Link | MsgType::ActionCard | MsgType::FeedCard
        )
    }

    /// Whether this type has buttons: only `actionCard`, which needs at least one.
    pub const fn takes_buttons(self) -> bool {
        matches!(self, MsgType::ActionCard)
    }

    /// Whether this type's text is markdown: `markdown` and `actionCard`.
    pub const fn is_markdown(self) -> bool {
        matches!(self, MsgType::Markdown | MsgType::ActionCard)
    }
}

impl fmt::Display for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for t in MsgType::ALL {
            assert_eq!(MsgType::from_wire(t.as_str()), Some(t));
        }
        assert_eq!(MsgType::from_wire("image"), None);
        assert_eq!(MsgType::from_wire("Text"), None);
    }
}
