//! The kinds of message a layout can be, with their parts: stated once, here.
//!
//! A [`Kind<T>`] is generic over what fills a template's slot: `attr.rs` fills it with the
//! sources of templates as written, `ast.rs` with templates parsed. [`Kind::try_map`] is the one
//! place that lists every part of every kind with its [`Role`]; whatever walks the parts goes
//! through it. What DingTalk allows on each kind comes from its [`MsgType`]. A new kind is a
//! new variant here, and the compiler then names every `match` that must learn it.

use std::convert::Infallible;

use dingtalk_spec::MsgType;
use proc_macro2::Span;

use crate::ctxt::Reported;
use crate::template::Name;

/// A kind as its attribute names it: `#[dingtalk(markdown(…))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KindName {
    Markdown,
    ActionCard,
    Text,
    Link,
    FeedCard,
}

impl KindName {
    /// Every kind, in the order the documentation lists them.
    pub(crate) const ALL: [KindName; 5] = [
        KindName::Markdown,
        KindName::ActionCard,
        KindName::Text,
        KindName::Link,
        KindName::FeedCard,
    ];

    /// The kind's key in `#[dingtalk(…)]`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KindName::Markdown => "markdown",
            KindName::ActionCard => "action_card",
            KindName::Text => "text",
            KindName::Link => "link",
            KindName::FeedCard => "feed_card",
        }
    }

    /// How the kind is written, for error messages: `markdown(…)`, but `feed_card`, which
    /// has no parts of its own.
    pub(crate) fn written(self) -> String {
        match self {
            KindName::FeedCard => self.as_str().to_owned(),
            _ => format!("{}(…)", self.as_str()),
        }
    }

    /// The kind a key names, if it names one.
    pub(crate) fn from_key(key: &str) -> Option<KindName> {
        KindName::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// The message type DingTalk receives.
    pub(crate) fn msgtype(self) -> MsgType {
        match self {
            KindName::Markdown => MsgType::Markdown,
            KindName::ActionCard => MsgType::ActionCard,
            KindName::Text => MsgType::Text,
            KindName::Link => MsgType::Link,
            KindName::FeedCard => MsgType::FeedCard,
        }
    }

    /// The kinds whose message type has `property`, in DingTalk's order of message types, for
    /// error messages: "`text` and `markdown`".
    pub(crate) fn names_where(property: impl Fn(MsgType) -> bool) -> String {
        let names: Vec<String> = MsgType::ALL
            .into_iter()
            .filter(|&t| property(t))
            .filter_map(|t| KindName::ALL.into_iter().find(|k| k.msgtype() == t))
            .map(|k| format!("`{}`", k.as_str()))
            .collect();
        list(&names, "and")
    }
}

/// `a`, `a and b`, `a, b or c`: items for an error message.
pub(crate) fn list(items: &[String], conjunction: &str) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A layout: its kind and every part of it. `T` fills each template's slot.
pub(crate) enum Kind<T> {
    /// `markdown(title, text | path)`.
    Markdown { title: T, text: T },
    /// `action_card(title, text | path, orientation, hide_avatar)`, with the `button(title,
    /// url)`s written beside it.
    ActionCard {
        title: T,
        text: T,
        orientation: Orientation,
        hide_avatar: bool,
        buttons: Vec<Button<T>>,
    },
    /// `text(content | path)`.
    Text { content: T },
    /// `link(title, text, message_url, pic_url)`.
    Link {
        title: T,
        text: T,
        message_url: T,
        pic_url: Option<T>,
    },
    /// `feed_card`, with the `feed_link(title, message_url, pic_url)`s written beside it.
    FeedCard { links: Vec<FeedLink<T>> },
}

/// `button(title = "…", url = "…", each = "…")`: one button, or with `each`, one per item.
pub(crate) struct Button<T> {
    /// `each = "items as item"`: the button is repeated for every item, with `item` in scope
    /// in its templates.
    pub(crate) each: Option<Each>,
    pub(crate) title: T,
    pub(crate) url: T,
}

/// `feed_link(title = "…", message_url = "…", pic_url = "…", each = "…")`: one entry of a
/// feed card, or with `each`, one per item.
pub(crate) struct FeedLink<T> {
    /// `each = "items as item"`: the entry is repeated for every item, with `item` in scope in
    /// its templates.
    pub(crate) each: Option<Each>,
    pub(crate) title: T,
    pub(crate) message_url: T,
    pub(crate) pic_url: Option<T>,
}

/// `each = "items as item"`, read.
#[derive(Clone)]
pub(crate) struct Each {
    /// The literal it was written in: where its mistakes point.
    pub(crate) span: Span,
    /// What is iterated: a field, then accesses.
    pub(crate) iter: Name,
    /// The name each item takes.
    pub(crate) binding: Name,
    /// Set when it could not be read: its mistake is reported, and the names in the entry's
    /// templates cannot be checked.
    pub(crate) broken: Option<Reported>,
}

/// How an action card lays out its buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Orientation {
    Horizontal,
    Vertical,
}

/// How a template's values are written, which follows from the part it fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Plain text: text messages, titles, link text, button labels, feed entries' titles.
    /// Written as they are.
    Plain,
    /// Markdown: markdown and action-card text. Escaped.
    Markdown,
    /// An address. A value that starts it goes in as it is; a value after that is
    /// percent-encoded.
    Url,
}

impl<T> Kind<T> {
    /// Which kind this is.
    pub(crate) fn name(&self) -> KindName {
        match self {
            Kind::Markdown { .. } => KindName::Markdown,
            Kind::ActionCard { .. } => KindName::ActionCard,
            Kind::Text { .. } => KindName::Text,
            Kind::Link { .. } => KindName::Link,
            Kind::FeedCard { .. } => KindName::FeedCard,
        }
    }

    /// The same layout with `f` applied to every part, in the order they are written, with the
    /// part's role and the loop it stands in, if any; the first error stops it. The one list
    /// of parts and roles.
    pub(crate) fn try_map<U, E>(
        self,
        mut f: impl FnMut(T, Role, Option<&Each>) -> Result<U, E>,
    ) -> Result<Kind<U>, E> {
        use Role::{Markdown, Plain, Url};
        Ok(match self {
            Kind::Markdown { title, text } => Kind::Markdown {
                title: f(title, Plain, None)?,
                text: f(text, Markdown, None)?,
            },
            Kind::ActionCard {
                title,
                text,
                orientation,
                hide_avatar,
                buttons,
            } => {
                let title = f(title, Plain, None)?;
                let text = f(text, Markdown, None)?;
                let mut mapped = Vec::with_capacity(buttons.len());
                for button in buttons {
                    mapped.push(button.try_map(&mut f)?);
                }
                Kind::ActionCard {
                    title,
                    text,
                    orientation,
                    hide_avatar,
                    buttons: mapped,
                }
            }
            Kind::Text { content } => Kind::Text {
                content: f(content, Plain, None)?,
            },
            Kind::Link {
                title,
                text,
                message_url,
                pic_url,
            } => Kind::Link {
                title: f(title, Plain, None)?,
                text: f(text, Plain, None)?,
                message_url: f(message_url, Url, None)?,
                pic_url: pic_url.map(|p| f(p, Url, None)).transpose()?,
            },
            Kind::FeedCard { links } => {
                let mut mapped = Vec::with_capacity(links.len());
                for link in links {
                    mapped.push(link.try_map(&mut f)?);
                }
                Kind::FeedCard { links: mapped }
            }
        })
    }

    /// [`try_map`](Kind::try_map) with an `f` that cannot fail.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T, Role, Option<&Each>) -> U) -> Kind<U> {
        match self.try_map(|t, role, each| Ok::<U, Infallible>(f(t, role, each))) {
            Ok(kind) => kind,
            Err(never) => match never {},
        }
    }

    /// The layout, its parts borrowed.
    pub(crate) fn as_ref(&self) -> Kind<&T> {
        match self {
            Kind::Markdown { title, text } => Kind::Markdown { title, text },
            Kind::ActionCard {
                title,
                text,
                orientation,
                hide_avatar,
                buttons,
            } => Kind::ActionCard {
                title,
                text,
                orientation: *orientation,
                hide_avatar: *hide_avatar,
                buttons: buttons.iter().map(Button::as_ref).collect(),
            },
            Kind::Text { content } => Kind::Text { content },
            Kind::Link {
                title,
                text,
                message_url,
                pic_url,
            } => Kind::Link {
                title,
                text,
                message_url,
                pic_url: pic_url.as_ref(),
            },
            Kind::FeedCard { links } => Kind::FeedCard {
                links: links.iter().map(FeedLink::as_ref).collect(),
            },
        }
    }

    /// Every part, in the order they are written, with its role and the loop it stands in.
    pub(crate) fn parts(&self) -> Vec<Part<'_, T>> {
        let mut parts = Vec::new();
        self.as_ref().map(|template, role, each| {
            parts.push(Part {
                template,
                role,
                each: each.cloned(),
            });
        });
        parts
    }

    /// The buttons of a kind that has them; `None` for a kind that takes none.
    pub(crate) fn buttons_mut(&mut self) -> Option<&mut Vec<Button<T>>> {
        match self {
            Kind::ActionCard { buttons, .. } => Some(buttons),
            Kind::Markdown { .. }
            | Kind::Text { .. }
            | Kind::Link { .. }
            | Kind::FeedCard { .. } => None,
        }
    }

    /// The buttons written on the kind: none for a kind that takes none.
    pub(crate) fn buttons(&self) -> &[Button<T>] {
        match self {
            Kind::ActionCard { buttons, .. } => buttons,
            Kind::Markdown { .. }
            | Kind::Text { .. }
            | Kind::Link { .. }
            | Kind::FeedCard { .. } => &[],
        }
    }

    /// The entries of a kind that has them; `None` for a kind that takes none.
    pub(crate) fn feed_links_mut(&mut self) -> Option<&mut Vec<FeedLink<T>>> {
        match self {
            Kind::FeedCard { links } => Some(links),
            Kind::Markdown { .. }
            | Kind::Text { .. }
            | Kind::Link { .. }
            | Kind::ActionCard { .. } => None,
        }
    }

    /// The entries written on the kind: none for a kind that takes none.
    pub(crate) fn feed_links(&self) -> &[FeedLink<T>] {
        match self {
            Kind::FeedCard { links } => links,
            Kind::Markdown { .. }
            | Kind::Text { .. }
            | Kind::Link { .. }
            | Kind::ActionCard { .. } => &[],
        }
    }
}

/// A part of a layout: its template, how its values are written, and the loop it stands in.
pub(crate) struct Part<'k, T> {
    pub(crate) template: &'k T,
    pub(crate) role: Role,
    /// For the parts of a `button` or `feed_link` with `each = "…"`, the loop: its variable is
    /// in scope.
    pub(crate) each: Option<Each>,
}

impl<T> Button<T> {
    /// The button with `f` applied to its label, then its address, each with its role and the
    /// button's loop: the one list of a button's parts and roles.
    pub(crate) fn try_map<U, E>(
        self,
        mut f: impl FnMut(T, Role, Option<&Each>) -> Result<U, E>,
    ) -> Result<Button<U>, E> {
        let each = self.each;
        Ok(Button {
            title: f(self.title, Role::Plain, each.as_ref())?,
            url: f(self.url, Role::Url, each.as_ref())?,
            each,
        })
    }

    /// [`try_map`](Button::try_map) with an `f` that cannot fail.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T, Role, Option<&Each>) -> U) -> Button<U> {
        match self.try_map(|t, role, each| Ok::<U, Infallible>(f(t, role, each))) {
            Ok(button) => button,
            Err(never) => match never {},
        }
    }

    /// The button, its parts borrowed.
    pub(crate) fn as_ref(&self) -> Button<&T> {
        Button {
            each: self.each.clone(),
            title: &self.title,
            url: &self.url,
        }
    }

    /// Both parts, with their roles and the button's loop.
    pub(crate) fn parts(&self) -> Vec<Part<'_, T>> {
        let mut parts = Vec::new();
        self.as_ref().map(|template, role, each| {
            parts.push(Part {
                template,
                role,
                each: each.cloned(),
            });
        });
        parts
    }
}

impl<T> FeedLink<T> {
    /// The entry with `f` applied to its title, its address and its picture, each with its
    /// role and the entry's loop: the one list of an entry's parts and roles.
    pub(crate) fn try_map<U, E>(
        self,
        mut f: impl FnMut(T, Role, Option<&Each>) -> Result<U, E>,
    ) -> Result<FeedLink<U>, E> {
        let each = self.each;
        Ok(FeedLink {
            title: f(self.title, Role::Plain, each.as_ref())?,
            message_url: f(self.message_url, Role::Url, each.as_ref())?,
            pic_url: self
                .pic_url
                .map(|p| f(p, Role::Url, each.as_ref()))
                .transpose()?,
            each,
        })
    }

    /// [`try_map`](FeedLink::try_map) with an `f` that cannot fail.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T, Role, Option<&Each>) -> U) -> FeedLink<U> {
        match self.try_map(|t, role, each| Ok::<U, Infallible>(f(t, role, each))) {
            Ok(link) => link,
            Err(never) => match never {},
        }
    }

    /// The entry, its parts borrowed.
    pub(crate) fn as_ref(&self) -> FeedLink<&T> {
        FeedLink {
            each: self.each.clone(),
            title: &self.title,
            message_url: &self.message_url,
            pic_url: self.pic_url.as_ref(),
        }
    }

    /// Its parts, with their roles and its loop.
    pub(crate) fn parts(&self) -> Vec<Part<'_, T>> {
        let mut parts = Vec::new();
        self.as_ref().map(|template, role, each| {
            parts.push(Part {
                template,
                role,
                each: each.cloned(),
            });
        });
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Kind<&'static str>> {
        vec![
            Kind::Markdown {
                title: "t",
                text: "x",
            },
            Kind::ActionCard {
                title: "t",
                text: "x",
                orientation: Orientation::Vertical,
                hide_avatar: false,
                buttons: vec![Button {
                    each: None,
                    title: "b",
                    url: "u",
                }],
            },
            Kind::Text { content: "c" },
            Kind::Link {
                title: "t",
                text: "x",
                message_url: "u",
                pic_url: Some("p"),
            },
            Kind::FeedCard {
                links: vec![FeedLink {
                    each: Some(each("xs as x")),
                    title: "t",
                    message_url: "u",
                    pic_url: None,
                }],
            },
        ]
    }

    fn each(text: &str) -> Each {
        let (iter, binding) = crate::template::parse_each(text).unwrap();
        Each {
            span: Span::call_site(),
            iter,
            binding,
            broken: None,
        }
    }

    #[test]
    fn every_kind_has_a_name_and_a_message_type() {
        let names: Vec<KindName> = every_kind().iter().map(Kind::name).collect();
        assert_eq!(names, KindName::ALL);
        for name in KindName::ALL {
            assert_eq!(KindName::from_key(name.as_str()), Some(name));
        }
        assert_eq!(KindName::from_key("feed"), None);
        assert_eq!(KindName::FeedCard.written(), "feed_card");
        assert_eq!(KindName::Link.written(), "link(…)");
    }

    #[test]
    fn the_kinds_that_hold_buttons_are_the_types_that_take_them() {
        for mut kind in every_kind() {
            let takes = kind.name().msgtype().takes_buttons();
            assert_eq!(kind.buttons_mut().is_some(), takes, "{:?}", kind.name());
        }
    }

    #[test]
    fn the_kinds_that_hold_feed_links_are_feed_cards() {
        for mut kind in every_kind() {
            let feed = kind.name().msgtype() == MsgType::FeedCard;
            assert_eq!(kind.feed_links_mut().is_some(), feed, "{:?}", kind.name());
            assert_eq!(kind.feed_links().is_empty(), !feed, "{:?}", kind.name());
        }
    }

    #[test]
    fn parts_come_in_order_with_their_roles() {
        let roles = |kind: &Kind<&'static str>| -> Vec<(&'static str, Role)> {
            kind.parts()
                .into_iter()
                .map(|p| (*p.template, p.role))
                .collect()
        };
        let kinds = every_kind();
        assert_eq!(
            roles(&kinds[1]),
            [
                ("t", Role::Plain),
                ("x", Role::Markdown),
                ("b", Role::Plain),
                ("u", Role::Url)
            ]
        );
        assert_eq!(
            roles(&kinds[3]),
            [
                ("t", Role::Plain),
                ("x", Role::Plain),
                ("u", Role::Url),
                ("p", Role::Url)
            ]
        );
        assert_eq!(roles(&kinds[4]), [("t", Role::Plain), ("u", Role::Url)]);
        // An entry's loop comes with each of its parts; the other parts stand in none.
        let loops: Vec<Option<String>> = kinds[4]
            .parts()
            .into_iter()
            .map(|p| p.each.map(|e| e.binding.root))
            .collect();
        assert_eq!(loops, [Some("x".to_owned()), Some("x".to_owned())]);
        assert!(kinds[1].parts().iter().all(|p| p.each.is_none()));
    }

    #[test]
    fn kinds_are_listed_by_what_their_types_allow() {
        assert_eq!(
            KindName::names_where(MsgType::takes_mentions),
            "`text` and `markdown`"
        );
        assert_eq!(
            KindName::names_where(MsgType::has_links),
            "`link`, `action_card` and `feed_card`"
        );
        assert_eq!(
            KindName::names_where(MsgType::takes_buttons),
            "`action_card`"
        );
    }
}
