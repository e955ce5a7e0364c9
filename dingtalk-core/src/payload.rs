//! The message model: the five message types a custom robot sends, and mentions.
//!
//! A [`Payload`] is one request body. It is built from one of the message types ([`Text`],
//! [`Link`], [`Markdown`], [`ActionCard`], [`FeedCard`]), whose builders make only what DingTalk
//! accepts easy to write: mentions exist only on [`Text`] and [`Markdown`], the two types that
//! DingTalk mentions from. How a payload becomes JSON (and back) is in `wire.rs`.

use std::borrow::Cow;

use crate::markdown::{Newlines, hard_line_breaks};
use crate::spec::{self, Fields, MsgType, Violation};

/// One message body for a custom robot: one of DingTalk's message types.
///
/// Build one with [`Payload::text`], [`Payload::markdown`], [`Payload::link`],
/// [`Payload::action_card`] or [`Payload::feed_card`]; each returns the type's builder, which
/// converts into a `Payload` and can be sent as it is.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::Payload;
///
/// let payload: Payload = Payload::markdown("Deploy", "api v2 is **live**")
///     .at_mobiles(["13800000000"])
///     .into();
/// assert_eq!(
///     payload.to_json(),
///     r#"{"msgtype":"markdown","markdown":{"title":"Deploy","text":"api v2 is **live**\n\n@13800000000"},"at":{"atMobiles":["13800000000"]}}"#,
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// `msgtype: "text"`.
    Text(Text),
    /// `msgtype: "link"`.
    Link(Link),
    /// `msgtype: "markdown"`.
    Markdown(Markdown),
    /// `msgtype: "actionCard"`, with one button or several.
    ActionCard(ActionCard),
    /// `msgtype: "feedCard"`.
    FeedCard(FeedCard),
}

impl Payload {
    /// A plain-text message.
    pub fn text(content: impl Into<String>) -> Text {
        Text {
            content: content.into(),
            at: At::default(),
        }
    }

    /// A markdown message. The `title` is shown in the chat list and the notification, not in
    /// the message itself.
    ///
    /// Each single `\n` in `text` becomes `"  \n"`, a line break DingTalk shows, by the
    /// [one rule](crate::markdown#line-breaks) derived messages follow too; `\n\n` stays a
    /// paragraph. [`Markdown::with_newlines`] with [`Newlines::Preserve`] takes the text as it
    /// is.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    ///
    /// let deploy = Payload::markdown("Deploy", "### billing v2.4\n- status: **ok**\n\nby Alice");
    /// assert_eq!(deploy.text(), "### billing v2.4  \n- status: **ok**\n\nby Alice");
    /// ```
    pub fn markdown(title: impl Into<String>, text: impl Into<String>) -> Markdown {
        Markdown::with_newlines(title, text, Newlines::Break)
    }

    /// A link card: a title, a line of text and an optional picture, opening `message_url`.
    pub fn link(
        title: impl Into<String>,
        text: impl Into<String>,
        message_url: impl Into<String>,
    ) -> Link {
        Link {
            title: title.into(),
            text: text.into(),
            message_url: message_url.into(),
            pic_url: String::new(),
        }
    }

    /// An action card: markdown `text` with buttons below it. Add buttons with
    /// [`ActionCard::button`]; one button gives the single-button card, several give a list.
    ///
    /// As in [`Payload::markdown`], each single `\n` in `text` becomes a line break DingTalk
    /// shows ([the rule](crate::markdown#line-breaks)); [`ActionCard::with_newlines`] with
    /// [`Newlines::Preserve`] takes the text as it is.
    pub fn action_card(title: impl Into<String>, text: impl Into<String>) -> ActionCard {
        ActionCard::with_newlines(title, text, Newlines::Break)
    }

    /// A feed card: a list of links with pictures. Add them with [`FeedCard::link`].
    pub fn feed_card() -> FeedCard {
        FeedCard { links: Vec::new() }
    }

    /// The message type of this payload (its `Display` is DingTalk's spelling, `actionCard`).
    pub fn msgtype(&self) -> MsgType {
        match self {
            Payload::Text(_) => MsgType::Text,
            Payload::Link(_) => MsgType::Link,
            Payload::Markdown(_) => MsgType::Markdown,
            Payload::ActionCard(_) => MsgType::ActionCard,
            Payload::FeedCard(_) => MsgType::FeedCard,
        }
    }

    /// Makes the links of this message (a link card's address, an action card's buttons, a
    /// feed card's entries) open inside DingTalk: in the desktop side panel with `true`, in
    /// the browser with `false`. See [`pc_slide_url`](crate::pc_slide_url). Addresses that
    /// are `dingtalk://` already are left as they are; text and markdown are unchanged.
    pub fn pc_slide(mut self, pc_slide: bool) -> Payload {
        let wrap = |url: &mut String| {
            if !url.is_empty() && !spec::url::is_dingtalk_url(url) {
                *url = spec::url::pc_slide(url, pc_slide);
            }
        };
        match &mut self {
            Payload::Link(l) => wrap(&mut l.message_url),
            Payload::ActionCard(c) => c.buttons.iter_mut().for_each(|b| wrap(&mut b.url)),
            Payload::FeedCard(f) => f.links.iter_mut().for_each(|l| wrap(&mut l.message_url)),
            Payload::Text(_) | Payload::Markdown(_) => {}
        }
        self
    }

    /// The mentions of this payload, for the types DingTalk mentions from (text, markdown).
    pub fn at(&self) -> Option<&At> {
        match self {
            Payload::Text(t) => Some(&t.at),
            Payload::Markdown(m) => Some(&m.at),
            _ => None,
        }
    }

    /// The mobile numbers this message mentions (`atMobiles`); none for the types DingTalk
    /// does not mention from. (On [`Text`] and [`Markdown`], `at_mobiles` is the builder
    /// method that adds them: [`Text::at_mobiles`], [`Markdown::at_mobiles`].)
    pub fn at_mobiles(&self) -> &[String] {
        self.at().map_or(&[], At::mobiles)
    }

    /// The user ids this message mentions (`atUserIds`); none for the types DingTalk does not
    /// mention from.
    pub fn at_user_ids(&self) -> &[String] {
        self.at().map_or(&[], At::user_ids)
    }

    /// Whether this message mentions everyone in the group (`isAtAll`).
    pub fn is_at_all(&self) -> bool {
        self.at().is_some_and(At::is_all)
    }

    /// The title: a markdown message's, a link card's or an action card's (the preview shown
    /// in the chat list and the notification). `None` for a text message or a feed card,
    /// which have none.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    ///
    /// let deploy = Payload::from(Payload::markdown("Deploy", "api v2 is **live**"));
    /// assert_eq!(deploy.title(), Some("Deploy"));
    /// assert_eq!(deploy.content(), Some("api v2 is **live**"));
    /// assert_eq!(deploy.as_markdown().map(|m| m.text()), Some("api v2 is **live**"));
    /// assert!(deploy.as_text().is_none());
    /// ```
    pub fn title(&self) -> Option<&str> {
        match self {
            Payload::Markdown(m) => Some(&m.title),
            Payload::Link(l) => Some(&l.title),
            Payload::ActionCard(c) => Some(&c.title),
            Payload::Text(_) | Payload::FeedCard(_) => None,
        }
    }

    /// What the message says: a text message's `content`, or the `text` of a markdown message,
    /// a link card or an action card (markdown for the first and the last), as built (the
    /// markdown with its [line breaks](crate::markdown#line-breaks) made). `None` for a feed
    /// card, whose entries have titles only.
    ///
    /// The mentions a robot adds to the text when it sends it (`@<mobile>` for each one not in
    /// it already) are not in it; [`to_json`](Payload::to_json) has them. A payload the
    /// sandbox received holds the text exactly as it arrived. (The name `text` is taken by
    /// the constructor [`Payload::text`].)
    pub fn content(&self) -> Option<&str> {
        match self {
            Payload::Text(t) => Some(&t.content),
            Payload::Markdown(m) => Some(&m.text),
            Payload::Link(l) => Some(&l.text),
            Payload::ActionCard(c) => Some(&c.text),
            Payload::FeedCard(_) => None,
        }
    }

    /// The text message, if this is one.
    pub fn as_text(&self) -> Option<&Text> {
        match self {
            Payload::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The markdown message, if this is one.
    pub fn as_markdown(&self) -> Option<&Markdown> {
        match self {
            Payload::Markdown(m) => Some(m),
            _ => None,
        }
    }

    /// The link card, if this is one.
    pub fn as_link(&self) -> Option<&Link> {
        match self {
            Payload::Link(l) => Some(l),
            _ => None,
        }
    }

    /// The action card, if this is one.
    pub fn as_action_card(&self) -> Option<&ActionCard> {
        match self {
            Payload::ActionCard(c) => Some(c),
            _ => None,
        }
    }

    /// The feed card, if this is one.
    pub fn as_feed_card(&self) -> Option<&FeedCard> {
        match self {
            Payload::FeedCard(f) => Some(f),
            _ => None,
        }
    }

    /// Checks this message against DingTalk's rules for a body of `body_len` bytes, in
    /// [their order](spec::Rule): the body's size, every required field filled, and one of
    /// `keywords` (the robot's; none: no check) where a reader sees it. The fields are read as
    /// sent, mentions written in.
    ///
    /// [`Robot::check`](crate::Robot::check) runs it with the body the robot would send; the
    /// sandbox runs it on every body it receives.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_bot::spec::{Rule, Violation};
    ///
    /// let card = Payload::from(Payload::action_card("Leave", "Alice: 3 days"));
    /// let violation = card.check(&["leave"], 100).unwrap_err();
    /// assert_eq!(violation, Violation::MissingField { path: "actionCard.btns".into() });
    /// assert_eq!(violation.rule(), Rule::RequiredFields);
    /// ```
    pub fn check<S: AsRef<str>>(&self, keywords: &[S], body_len: usize) -> Result<(), Violation> {
        self.with_fields(|fields| spec::check(fields, keywords, body_len))
    }

    /// Calls `f` with every field of this message as it is sent (DingTalk's names, mentions
    /// written into the text, one button in the single-button form).
    pub fn with_fields<R>(&self, f: impl FnOnce(&Fields<'_>) -> R) -> R {
        match self {
            Payload::Text(t) => f(&Fields::text(&t.rendered_content())),
            Payload::Link(l) => f(&Fields::link(&l.title, &l.text, &l.message_url, &l.pic_url)),
            Payload::Markdown(m) => f(&Fields::markdown(&m.title, &m.rendered_text())),
            Payload::ActionCard(c) => f(&Fields::action_card(
                &c.title,
                &c.text,
                c.buttons.iter().map(|b| (b.title.as_str(), b.url.as_str())),
            )),
            Payload::FeedCard(feed) => {
                f(&Fields::feed_card(feed.links.iter().map(|l| {
                    (l.title.as_str(), l.message_url.as_str(), l.pic_url.as_str())
                })))
            }
        }
    }
}

/// Who a text or markdown message mentions (`at` in the JSON).
///
/// DingTalk renders a mention only if `@<mobile>` or `@<userId>` also appears in the message's
/// text, so a payload puts each missing one at the end of its text when it is serialized.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub(crate) mobiles: Vec<String>,
    pub(crate) user_ids: Vec<String>,
    pub(crate) all: bool,
}

impl At {
    /// The mobile numbers mentioned (`atMobiles`).
    pub fn mobiles(&self) -> &[String] {
        &self.mobiles
    }

    /// The user ids mentioned (`atUserIds`).
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }

    /// Whether everyone in the group is mentioned (`isAtAll`).
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// Whether nobody is mentioned.
    pub fn is_empty(&self) -> bool {
        self.mobiles.is_empty() && self.user_ids.is_empty() && !self.all
    }

    pub(crate) fn add<I, S>(list: &mut Vec<String>, ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for id in ids {
            let id = id.into().trim().to_owned();
            if !id.is_empty() && !list.contains(&id) {
                list.push(id);
            }
        }
    }

    /// `text` with `@<id>` appended for every mentioned mobile and user id not already in it,
    /// after `separator` (which replaces any white space at the end of `text`).
    pub(crate) fn render<'a>(&self, text: &'a str, separator: &str) -> Cow<'a, str> {
        let missing: Vec<&str> = self
            .mobiles
            .iter()
            .chain(&self.user_ids)
            .map(String::as_str)
            .filter(|id| !mentions(text, id))
            .collect();
        if missing.is_empty() {
            return Cow::Borrowed(text);
        }
        let text = text.trim_end();
        let mut out = String::with_capacity(
            text.len() + separator.len() + missing.iter().map(|id| id.len() + 2).sum::<usize>(),
        );
        out.push_str(text);
        out.push_str(separator);
        for (i, id) in missing.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push('@');
            out.push_str(id);
        }
        Cow::Owned(out)
    }
}

/// Whether `text` holds `@id` as a whole mention: `@138` is not in `@1380`, nor in
/// `ops@138`, an email address.
fn mentions(text: &str, id: &str) -> bool {
    // ASCII only: Chinese text runs straight into a mention (`请@张三`).
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    let needle_len = id.len() + 1;
    text.match_indices('@').any(|(at, _)| {
        let rest = &text[at + 1..];
        !text[..at].chars().next_back().is_some_and(is_word)
            && rest.starts_with(id)
            && !text[at + needle_len..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

macro_rules! mention_methods {
    () => {
        /// Mentions group members by mobile number. Each `@<mobile>` not already in the text
        /// is added at its end when the message is sent, since DingTalk renders no mention
        /// otherwise.
        pub fn at_mobiles<I, S>(mut self, mobiles: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            At::add(&mut self.at.mobiles, mobiles);
            self
        }

        /// Mentions group members by DingTalk user id. Each `@<userId>` not already in the
        /// text is added at its end when the message is sent.
        pub fn at_user_ids<I, S>(mut self, user_ids: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            At::add(&mut self.at.user_ids, user_ids);
            self
        }

        /// Mentions everyone in the group.
        pub fn at_all(mut self) -> Self {
            self.at.all = true;
            self
        }

        /// Who this message mentions.
        pub fn at(&self) -> &At {
            &self.at
        }
    };
}

/// A plain-text message (`msgtype: "text"`). Made by [`Payload::text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub(crate) content: String,
    pub(crate) at: At,
}

impl Text {
    mention_methods!();

    /// The text as written, without the mentions added when it is sent.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The text as sent: with `@<id>` added for each mention not already in it.
    pub fn rendered_content(&self) -> Cow<'_, str> {
        self.at.render(&self.content, " ")
    }
}

/// A markdown message (`msgtype: "markdown"`). Made by [`Payload::markdown`], or by
/// [`Markdown::with_newlines`].
///
/// DingTalk renders headings, quotes, bold, italic, links, images, lists and `<font>`; not
/// tables, rules, strikethrough or fenced code. A single `\n` does not break a line in
/// DingTalk, so the builders make it `"  \n"` ([line breaks](crate::markdown#line-breaks)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Markdown {
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) at: At,
}

impl Markdown {
    /// A markdown message whose single newlines are written as `newlines` says:
    /// [`Newlines::Break`] makes each one a line break DingTalk shows, as
    /// [`Payload::markdown`] does; [`Newlines::Preserve`] takes `text` as it is, for markdown
    /// whose line breaks are made already or whose single newlines are meant to show nothing
    /// (the derive's `newlines = "preserve"`).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Markdown;
    /// use dingtalk_bot::markdown::Newlines;
    ///
    /// let kept = Markdown::with_newlines("Log", "a long line\nwrapped here", Newlines::Preserve);
    /// assert_eq!(kept.text(), "a long line\nwrapped here");
    /// let broken = Markdown::with_newlines("Log", "first\nsecond", Newlines::Break);
    /// assert_eq!(broken.text(), "first  \nsecond");
    /// ```
    pub fn with_newlines(
        title: impl Into<String>,
        text: impl Into<String>,
        newlines: Newlines,
    ) -> Markdown {
        Markdown {
            title: title.into(),
            text: markdown_text(text.into(), newlines),
            at: At::default(),
        }
    }

    mention_methods!();

    /// The title: the preview shown in the chat list and the notification.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The markdown, its line breaks made as it was built, without the mentions added when it
    /// is sent.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The markdown as sent: missing mentions are added as a last paragraph.
    pub fn rendered_text(&self) -> Cow<'_, str> {
        self.at.render(&self.text, "\n\n")
    }
}

/// A link card (`msgtype: "link"`). Made by [`Payload::link`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) message_url: String,
    pub(crate) pic_url: String,
}

impl Link {
    /// Shows the picture at `pic_url` on the card.
    pub fn pic_url(mut self, pic_url: impl Into<String>) -> Self {
        self.pic_url = pic_url.into();
        self
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The text under the title.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The address the card opens (`messageUrl`).
    pub fn message_url(&self) -> &str {
        &self.message_url
    }

    /// The picture's address (`picUrl`), empty for none.
    pub fn picture_url(&self) -> &str {
        &self.pic_url
    }
}

/// How an action card lays out its buttons (`btnOrientation`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ButtonOrientation {
    /// Stacked, one above the other (`"0"`).
    #[default]
    Vertical,
    /// Side by side (`"1"`).
    Horizontal,
}

/// A button of an action card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub(crate) title: String,
    pub(crate) url: String,
}

impl Button {
    /// A button labelled `title` that opens `url`.
    pub fn new(title: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            title: title.into(),
            url: url.into(),
        }
    }

    /// The label.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The address it opens (`singleURL` or `actionURL`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// An action card (`msgtype: "actionCard"`). Made by [`Payload::action_card`], or by
/// [`ActionCard::with_newlines`].
///
/// With one button it is sent in the single-button form (`singleTitle`, `singleURL`), with
/// several as a list (`btns`). A card needs at least one button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionCard {
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) buttons: Vec<Button>,
    pub(crate) orientation: ButtonOrientation,
    pub(crate) hide_avatar: bool,
}

impl ActionCard {
    /// An action card whose text's single newlines are written as `newlines` says:
    /// [`Newlines::Break`] makes each one a line break DingTalk shows, as
    /// [`Payload::action_card`] does; [`Newlines::Preserve`] takes `text` as it is.
    pub fn with_newlines(
        title: impl Into<String>,
        text: impl Into<String>,
        newlines: Newlines,
    ) -> ActionCard {
        ActionCard {
            title: title.into(),
            text: markdown_text(text.into(), newlines),
            buttons: Vec::new(),
            orientation: ButtonOrientation::default(),
            hide_avatar: false,
        }
    }

    /// Adds a button labelled `title` that opens `url`.
    pub fn button(mut self, title: impl Into<String>, url: impl Into<String>) -> Self {
        self.buttons.push(Button::new(title, url));
        self
    }

    /// Adds buttons.
    pub fn buttons(mut self, buttons: impl IntoIterator<Item = Button>) -> Self {
        self.buttons.extend(buttons);
        self
    }

    /// Lays the buttons out side by side ([`ButtonOrientation::Horizontal`]) or stacked.
    pub fn orientation(mut self, orientation: ButtonOrientation) -> Self {
        self.orientation = orientation;
        self
    }

    /// Hides the sender's avatar (`hideAvatar: "1"`). Whether current DingTalk clients honour
    /// it is uncertain.
    pub fn hide_avatar(mut self, hide: bool) -> Self {
        self.hide_avatar = hide;
        self
    }

    /// The title: the preview shown in the chat list and the notification.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The card's markdown, its line breaks made as it was built.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The buttons, in order.
    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }

    /// The button layout.
    pub fn button_orientation(&self) -> ButtonOrientation {
        self.orientation
    }

    /// Whether the sender's avatar is hidden.
    pub fn is_avatar_hidden(&self) -> bool {
        self.hide_avatar
    }
}

/// One entry of a feed card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedLink {
    pub(crate) title: String,
    pub(crate) message_url: String,
    pub(crate) pic_url: String,
}

impl FeedLink {
    /// An entry titled `title` that opens `message_url`, with the picture at `pic_url`.
    pub fn new(
        title: impl Into<String>,
        message_url: impl Into<String>,
        pic_url: impl Into<String>,
    ) -> Self {
        FeedLink {
            title: title.into(),
            message_url: message_url.into(),
            pic_url: pic_url.into(),
        }
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The address it opens (`messageURL`).
    pub fn message_url(&self) -> &str {
        &self.message_url
    }

    /// The picture's address (`picURL`).
    pub fn picture_url(&self) -> &str {
        &self.pic_url
    }
}

/// A feed card (`msgtype: "feedCard"`): a list of links. Made by [`Payload::feed_card`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedCard {
    pub(crate) links: Vec<FeedLink>,
}

impl FeedCard {
    /// Adds an entry titled `title` that opens `message_url`, with the picture at `pic_url`.
    pub fn link(
        mut self,
        title: impl Into<String>,
        message_url: impl Into<String>,
        pic_url: impl Into<String>,
    ) -> Self {
        self.links.push(FeedLink::new(title, message_url, pic_url));
        self
    }

    /// Adds entries.
    pub fn links(mut self, links: impl IntoIterator<Item = FeedLink>) -> Self {
        self.links.extend(links);
        self
    }

    /// The entries, in order.
    pub fn link_list(&self) -> &[FeedLink] {
        &self.links
    }
}

/// Markdown text with its single newlines written as `newlines` says.
fn markdown_text(text: String, newlines: Newlines) -> String {
    match newlines {
        Newlines::Break if text.contains(['\n', '\r']) => hard_line_breaks(&text),
        Newlines::Break | Newlines::Preserve => text,
    }
}

macro_rules! into_payload {
    ($($ty:ident),*) => {$(
        impl From<$ty> for Payload {
            fn from(message: $ty) -> Payload {
                Payload::$ty(message)
            }
        }
    )*};
}
into_payload!(Text, Link, Markdown, ActionCard, FeedCard);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_mentions_only() {
        assert!(mentions("hi @138", "138"));
        assert!(mentions("@138, look", "138"));
        assert!(!mentions("hi @1380", "138"));
        assert!(!mentions("hi 138", "138"));
        assert!(mentions("@1380 and @138", "138"));
        assert!(mentions("多字节@张三。", "张三"));
        assert!(!mentions("mail ops@138", "138"));
    }

    #[test]
    fn mentions_are_added_once_and_only_when_missing() {
        let t = Payload::text("deploy failed @138")
            .at_mobiles(["138", "139", "138"])
            .at_user_ids(["u1"]);
        assert_eq!(t.at().mobiles(), ["138", "139"]);
        assert_eq!(t.rendered_content(), "deploy failed @138 @139 @u1");
        let m = Payload::markdown("t", "**x**").at_user_ids(["u1"]);
        assert_eq!(m.rendered_text(), "**x**\n\n@u1");
        let m = Payload::markdown("t", "- a  \n- b  \n").at_user_ids(["u1"]);
        assert_eq!(m.rendered_text(), "- a  \n- b\n\n@u1");
        let none = Payload::text("x").at_all();
        assert!(matches!(none.rendered_content(), Cow::Borrowed("x")));
    }

    #[test]
    fn pc_slide_wraps_every_link_once() {
        let card = Payload::from(
            Payload::action_card("t", "x")
                .button("a", "https://a")
                .button("b", "dingtalk://dingtalkclient/x"),
        )
        .pc_slide(true);
        let Payload::ActionCard(card) = card else {
            unreachable!()
        };
        assert_eq!(
            card.button_list()[0].url(),
            "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fa&pc_slide=true"
        );
        assert_eq!(card.button_list()[1].url(), "dingtalk://dingtalkclient/x");
        let link = Payload::from(Payload::link("t", "x", "https://a")).pc_slide(false);
        assert!(link.to_json().contains("pc_slide=false"));
    }
}
