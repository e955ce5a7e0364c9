//! The fields of each message type, as DingTalk's message table names them, and what each
//! field is: required or not, seen by a reader or not, plain text, markdown or an address.

use std::fmt;

use crate::MsgType;

/// A field of a message body, named as DingTalk's message table names it.
///
/// Fields of a list (`actionCard.btns[i]`, `feedCard.links[i]`) are one `Field` each, with the
/// entry's index beside them in a [`FieldRef`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `text.content`.
    TextContent,
    /// `link.title`.
    LinkTitle,
    /// `link.text`.
    LinkText,
    /// `link.messageUrl`.
    LinkMessageUrl,
    /// `link.picUrl` (optional).
    LinkPicUrl,
    /// `markdown.title`: the preview in the chat list, not shown in the message.
    MarkdownTitle,
    /// `markdown.text`.
    MarkdownText,
    /// `actionCard.title`.
    ActionCardTitle,
    /// `actionCard.text`.
    ActionCardText,
    /// `actionCard.singleTitle`: the one button's label.
    ActionCardSingleTitle,
    /// `actionCard.singleURL`: the one button's address.
    ActionCardSingleUrl,
    /// `actionCard.btns`: the list of buttons, when there are several.
    ActionCardButtons,
    /// `actionCard.btns[i].title`.
    ActionCardButtonTitle,
    /// `actionCard.btns[i].actionURL`.
    ActionCardButtonUrl,
    /// `feedCard.links`: the list of entries.
    FeedCardLinks,
    /// `feedCard.links[i].title`.
    FeedCardLinkTitle,
    /// `feedCard.links[i].messageURL`.
    FeedCardLinkUrl,
    /// `feedCard.links[i].picURL`.
    FeedCardLinkPicUrl,
}

/// What a field holds, which decides how a value is written into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Content {
    /// Text shown as it is: text messages, titles, link text, button labels.
    Plain,
    /// DingTalk's markdown: values are escaped.
    Markdown,
    /// An address: `http(s)://` or `dingtalk://`.
    Url,
    /// A list of entries, each with fields of its own.
    List,
}

impl Field {
    /// The message type this field belongs to.
    pub const fn msgtype(self) -> MsgType {
        use Field::*;
        match self {
            TextContent => MsgType::Text,
            LinkTitle | LinkText | LinkMessageUrl | LinkPicUrl => MsgType::Link,
            MarkdownTitle | MarkdownText => MsgType::Markdown,
            ActionCardTitle
            | ActionCardText
            | ActionCardSingleTitle
            | ActionCardSingleUrl
            | ActionCardButtons
            | ActionCardButtonTitle
            | ActionCardButtonUrl => MsgType::ActionCard,
            FeedCardLinks | FeedCardLinkTitle | FeedCardLinkUrl | FeedCardLinkPicUrl => {
                MsgType::FeedCard
            }
        }
    }

    /// The field's JSON name inside its object (`messageUrl`, `actionURL`).
    pub const fn json_name(self) -> &'static str {
        use Field::*;
        match self {
            TextContent => "content",
            LinkTitle
            | MarkdownTitle
            | ActionCardTitle
            | ActionCardButtonTitle
            | FeedCardLinkTitle => "title",
            LinkText | MarkdownText | ActionCardText => "text",
            LinkMessageUrl => "messageUrl",
            LinkPicUrl => "picUrl",
            ActionCardSingleTitle => "singleTitle",
            ActionCardSingleUrl => "singleURL",
            ActionCardButtons => "btns",
            ActionCardButtonUrl => "actionURL",
            FeedCardLinks => "links",
            FeedCardLinkUrl => "messageURL",
            FeedCardLinkPicUrl => "picURL",
        }
    }

    /// The list this field is an entry's field of, if any.
    pub const fn list(self) -> Option<Field> {
        use Field::*;
        match self {
            ActionCardButtonTitle | ActionCardButtonUrl => Some(ActionCardButtons),
            FeedCardLinkTitle | FeedCardLinkUrl | FeedCardLinkPicUrl => Some(FeedCardLinks),
            _ => None,
        }
    }

    /// Whether DingTalk refuses a message where this field is empty (white space counts as
    /// empty). A list is required to have an entry.
    ///
    /// **Chosen:** DingTalk's table marks `picUrl` optional and says nothing of the others; the
    /// sandbox requires every field a reader needs to make sense of the message, as the
    /// official examples always fill them.
    pub const fn is_required(self) -> bool {
        !matches!(self, Field::LinkPicUrl | Field::FeedCardLinkPicUrl)
    }

    /// Whether a reader sees this field's text, so that DingTalk's keyword check looks in it.
    ///
    /// **Chosen:** which fields the keyword check reads is not documented; every text a reader
    /// sees is read (text, titles, markdown, button and entry titles), addresses are not.
    pub const fn is_seen(self) -> bool {
        matches!(self.content(), Content::Plain | Content::Markdown)
    }

    /// What the field holds.
    pub const fn content(self) -> Content {
        use Field::*;
        match self {
            TextContent
            | LinkTitle
            | LinkText
            | MarkdownTitle
            | ActionCardTitle
            | ActionCardSingleTitle
            | ActionCardButtonTitle
            | FeedCardLinkTitle => Content::Plain,
            MarkdownText | ActionCardText => Content::Markdown,
            LinkMessageUrl | LinkPicUrl | ActionCardSingleUrl | ActionCardButtonUrl
            | FeedCardLinkUrl | FeedCardLinkPicUrl => Content::Url,
            ActionCardButtons | FeedCardLinks => Content::List,
        }
    }
}

impl fmt::Display for Field {
    /// The field's path in a body: `markdown.title`, `actionCard.btns[].actionURL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.list() {
            Some(list) => write!(f, "{list}[].{}", self.json_name()),
            None => write!(f, "{}.{}", self.msgtype(), self.json_name()),
        }
    }
}

/// One field of one message, with its value: `actionCard.btns[1].actionURL = "https://…"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRef<'a> {
    /// Which field.
    pub field: Field,
    /// The entry's index, for a field of a list.
    pub index: Option<usize>,
    /// The value as sent; empty for a list.
    pub value: &'a str,
}

impl FieldRef<'_> {
    /// The field's path in the body, with the entry's index: `feedCard.links[1].messageURL`.
    pub fn path(&self) -> String {
        match (self.field.list(), self.index) {
            (Some(list), Some(i)) => format!("{list}[{i}].{}", self.field.json_name()),
            _ => self.field.to_string(),
        }
    }
}

/// Every field of one message, as it is sent: what [`check`](crate::check) reads.
///
/// Made by one constructor per message type, which lists every field of the type (empty ones
/// too) in the order of DingTalk's table, so that no check can miss one. The constructors take
/// the text as sent: a text or markdown message's text with its mentions written in.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::{Field, Fields};
///
/// let card = Fields::action_card("Leave", "Alice: 3 days", [("Approve", "https://hr/1")]);
/// // One button is sent in the single-button form.
/// let names: Vec<Field> = card.iter().map(|f| f.field).collect();
/// assert_eq!(
///     names,
///     [Field::ActionCardTitle, Field::ActionCardText, Field::ActionCardSingleTitle, Field::ActionCardSingleUrl],
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields<'a> {
    msgtype: MsgType,
    fields: Vec<FieldRef<'a>>,
}

impl<'a> Fields<'a> {
    fn new(msgtype: MsgType, fields: Vec<FieldRef<'a>>) -> Self {
        Fields { msgtype, fields }
    }

    fn one(field: Field, value: &'a str) -> FieldRef<'a> {
        FieldRef {
            field,
            index: None,
            value,
        }
    }

    fn entry(field: Field, index: usize, value: &'a str) -> FieldRef<'a> {
        FieldRef {
            field,
            index: Some(index),
            value,
        }
    }

    /// A `text` message.
    pub fn text(content: &'a str) -> Self {
        Fields::new(
            MsgType::Text,
            vec![Fields::one(Field::TextContent, content)],
        )
    }

    /// A `link` message; `pic_url` may be empty.
    pub fn link(title: &'a str, text: &'a str, message_url: &'a str, pic_url: &'a str) -> Self {
        Fields::new(
            MsgType::Link,
            vec![
                Fields::one(Field::LinkTitle, title),
                Fields::one(Field::LinkText, text),
                Fields::one(Field::LinkMessageUrl, message_url),
                Fields::one(Field::LinkPicUrl, pic_url),
            ],
        )
    }

    /// A `markdown` message.
    pub fn markdown(title: &'a str, text: &'a str) -> Self {
        Fields::new(
            MsgType::Markdown,
            vec![
                Fields::one(Field::MarkdownTitle, title),
                Fields::one(Field::MarkdownText, text),
            ],
        )
    }

    /// An `actionCard` with its buttons, `(title, url)`: one button is sent as `singleTitle`
    /// and `singleURL`, several as `btns`, none as an empty `btns`.
    pub fn action_card(
        title: &'a str,
        text: &'a str,
        buttons: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let buttons: Vec<(&str, &str)> = buttons.into_iter().collect();
        let mut fields = vec![
            Fields::one(Field::ActionCardTitle, title),
            Fields::one(Field::ActionCardText, text),
        ];
        match buttons[..] {
            [(title, url)] => {
                fields.push(Fields::one(Field::ActionCardSingleTitle, title));
                fields.push(Fields::one(Field::ActionCardSingleUrl, url));
            }
            _ => {
                fields.push(Fields::one(Field::ActionCardButtons, ""));
                for (i, (title, url)) in buttons.into_iter().enumerate() {
                    fields.push(Fields::entry(Field::ActionCardButtonTitle, i, title));
                    fields.push(Fields::entry(Field::ActionCardButtonUrl, i, url));
                }
            }
        }
        Fields::new(MsgType::ActionCard, fields)
    }

    /// A `feedCard` with its entries, `(title, message_url, pic_url)`.
    pub fn feed_card(links: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Self {
        let mut fields = vec![Fields::one(Field::FeedCardLinks, "")];
        for (i, (title, url, pic)) in links.into_iter().enumerate() {
            fields.push(Fields::entry(Field::FeedCardLinkTitle, i, title));
            fields.push(Fields::entry(Field::FeedCardLinkUrl, i, url));
            fields.push(Fields::entry(Field::FeedCardLinkPicUrl, i, pic));
        }
        Fields::new(MsgType::FeedCard, fields)
    }

    /// The message's type.
    pub fn msgtype(&self) -> MsgType {
        self.msgtype
    }

    /// Every field, in the order of DingTalk's table; a list before its entries.
    pub fn iter(&self) -> impl Iterator<Item = &FieldRef<'a>> {
        self.fields.iter()
    }

    /// The texts a reader sees: what DingTalk's keyword check reads.
    pub fn seen(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.fields
            .iter()
            .filter(|f| f.field.is_seen())
            .map(|f| f.value)
    }

    /// Whether a reader sees at least one of `keywords` (case-sensitively; empty keywords
    /// match nothing). With no keywords, every message passes.
    pub fn contains_keyword<S: AsRef<str>>(&self, keywords: &[S]) -> bool {
        keywords.is_empty()
            || self.seen().any(|text| {
                keywords
                    .iter()
                    .map(AsRef::as_ref)
                    .any(|k| !k.is_empty() && text.contains(k))
            })
    }

    /// The first required field that is empty (or a required list with no entry), in the
    /// order of DingTalk's table.
    pub fn first_missing(&self) -> Option<FieldRef<'a>> {
        self.fields.iter().copied().find(|f| {
            if !f.field.is_required() {
                false
            } else if f.field.content() == Content::List {
                !self.fields.iter().any(|e| e.field.list() == Some(f.field))
            } else {
                f.value.trim().is_empty()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_named_by_json_path() {
        let cases: Vec<(Fields<'_>, Option<&str>)> = vec![
            (Fields::text(" "), Some("text.content")),
            (Fields::markdown("", "x"), Some("markdown.title")),
            (Fields::link("t", "x", "", ""), Some("link.messageUrl")),
            (Fields::link("t", "x", "u", ""), None),
            (Fields::action_card("t", "x", []), Some("actionCard.btns")),
            (
                Fields::action_card("t", "x", [("", "u")]),
                Some("actionCard.singleTitle"),
            ),
            (
                Fields::action_card("t", "x", [("a", "u"), ("b", "")]),
                Some("actionCard.btns[1].actionURL"),
            ),
            (Fields::feed_card([]), Some("feedCard.links")),
            (
                Fields::feed_card([("a", "u", ""), ("", "u", "p")]),
                Some("feedCard.links[1].title"),
            ),
            (Fields::feed_card([("a", "u", "")]), None),
        ];
        for (fields, want) in cases {
            assert_eq!(
                fields.first_missing().map(|f| f.path()).as_deref(),
                want,
                "{fields:?}"
            );
        }
    }

    #[test]
    fn keywords_are_looked_for_in_everything_a_reader_sees() {
        let card = Fields::action_card("Leave", "body", [("Approve", "u"), ("Reject", "v")]);
        assert!(card.contains_keyword(&["Reject"]));
        assert!(card.contains_keyword::<&str>(&[]));
        assert!(!card.contains_keyword(&["reject"]));
        assert!(!card.contains_keyword(&[""]));
        // Addresses are not read.
        assert!(!card.contains_keyword(&["u"]));
        let feed = Fields::feed_card([("告警", "u", "p")]);
        assert!(feed.contains_keyword(&["告警"]));
    }

    #[test]
    fn every_field_has_a_path_in_its_type() {
        let all = [
            Fields::text("a"),
            Fields::link("a", "b", "c", "d"),
            Fields::markdown("a", "b"),
            Fields::action_card("a", "b", [("c", "d")]),
            Fields::action_card("a", "b", [("c", "d"), ("e", "f")]),
            Fields::feed_card([("a", "b", "c")]),
        ];
        for fields in &all {
            for f in fields.iter() {
                assert_eq!(f.field.msgtype(), fields.msgtype());
                assert!(
                    f.path().starts_with(fields.msgtype().as_str()),
                    "{}",
                    f.path()
                );
            }
        }
        assert_eq!(
            Field::ActionCardButtonUrl.to_string(),
            "actionCard.btns[].actionURL"
        );
    }
}
