//! The kinds of message a layout can be, with their parts: stated once, here.
//!
//! A [`Kind<T>`] is generic over what fills a template's slot: `attr.rs` fills it with the
//! sources of templates as written, `ast.rs` with templates parsed. [`Kind::try_map`] is the one
//! place that lists every part of every kind with its [`Role`]; whatever walks the parts goes
//! through it. What DingTalk allows on each kind comes from its [`MsgType`]. A new kind is a
//! new variant here, and the compiler then names every `match` that must learn it.

use std::convert::Infallible;

use dingtalk_spec::MsgType;

/// A kind as its attribute names it: `#[dingtalk(markdown(…))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KindName {
    Markdown,
    ActionCard,
    Text,
    Link,
}

impl KindName {
    /// Every kind, in the order the documentation lists them.
    pub(crate) const ALL: [KindName; 4] = [
        KindName::Markdown,
        KindName::ActionCard,
        KindName::Text,
        KindName::Link,
    ];

    /// The kind's key in `#[dingtalk(…)]`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KindName::Markdown => "markdown",
            KindName::ActionCard => "action_card",
            KindName::Text => "text",
            KindName::Link => "link",
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
}

/// `button(title = "…", url = "…")`.
pub(crate) struct Button<T> {
    pub(crate) title: T,
    pub(crate) url: T,
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
    /// Plain text: text messages, titles, link text, button labels. Written as they are.
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
        }
    }

    /// The same layout with `f` applied to every part, in the order they are written, with the
    /// part's role; the first error stops it. The one list of parts and roles.
    pub(crate) fn try_map<U, E>(
        self,
        mut f: impl FnMut(T, Role) -> Result<U, E>,
    ) -> Result<Kind<U>, E> {
        use Role::{Markdown, Plain, Url};
        Ok(match self {
            Kind::Markdown { title, text } => Kind::Markdown {
                title: f(title, Plain)?,
                text: f(text, Markdown)?,
            },
            Kind::ActionCard {
                title,
                text,
                orientation,
                hide_avatar,
                buttons,
            } => {
                let title = f(title, Plain)?;
                let text = f(text, Markdown)?;
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
                content: f(content, Plain)?,
            },
            Kind::Link {
                title,
                text,
                message_url,
                pic_url,
            } => Kind::Link {
                title: f(title, Plain)?,
                text: f(text, Plain)?,
                message_url: f(message_url, Url)?,
                pic_url: pic_url.map(|p| f(p, Url)).transpose()?,
            },
        })
    }

    /// [`try_map`](Kind::try_map) with an `f` that cannot fail.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T, Role) -> U) -> Kind<U> {
        match self.try_map(|t, role| Ok::<U, Infallible>(f(t, role))) {
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
        }
    }

    /// Every part, in the order they are written, with its role.
    pub(crate) fn parts(&self) -> Vec<(&T, Role)> {
        let mut parts = Vec::new();
        self.as_ref().map(|t, role| parts.push((t, role)));
        parts
    }

    /// The buttons of a kind that has them; `None` for a kind that takes none.
    pub(crate) fn buttons_mut(&mut self) -> Option<&mut Vec<Button<T>>> {
        match self {
            Kind::ActionCard { buttons, .. } => Some(buttons),
            Kind::Markdown { .. } | Kind::Text { .. } | Kind::Link { .. } => None,
        }
    }

    /// The buttons written on the kind: none for a kind that takes none.
    pub(crate) fn buttons(&self) -> &[Button<T>] {
        match self {
            Kind::ActionCard { buttons, .. } => buttons,
            Kind::Markdown { .. } | Kind::Text { .. } | Kind::Link { .. } => &[],
        }
    }
}

impl<T> Button<T> {
    /// The button with `f` applied to its label, then its address: the one list of a button's
    /// parts and roles.
    pub(crate) fn try_map<U, E>(
        self,
        mut f: impl FnMut(T, Role) -> Result<U, E>,
    ) -> Result<Button<U>, E> {
        Ok(Button {
            title: f(self.title, Role::Plain)?,
            url: f(self.url, Role::Url)?,
        })
    }

    /// [`try_map`](Button::try_map) with an `f` that cannot fail.
    pub(crate) fn map<U>(self, mut f: impl FnMut(T, Role) -> U) -> Button<U> {
        match self.try_map(|t, role| Ok::<U, Infallible>(f(t, role))) {
            Ok(button) => button,
            Err(never) => match never {},
        }
    }

    /// The button, its parts borrowed.
    pub(crate) fn as_ref(&self) -> Button<&T> {
        Button {
            title: &self.title,
            url: &self.url,
        }
    }

    /// Both parts, with their roles.
    pub(crate) fn parts(&self) -> Vec<(&T, Role)> {
        let mut parts = Vec::new();
        self.as_ref().map(|t, role| parts.push((t, role)));
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
        ]
    }

    #[test]
    fn every_kind_has_a_name_and_a_message_type() {
        let names: Vec<KindName> = every_kind().iter().map(Kind::name).collect();
        assert_eq!(names, KindName::ALL);
        for name in KindName::ALL {
            assert_eq!(KindName::from_key(name.as_str()), Some(name));
        }
        assert_eq!(KindName::from_key("feed"), None);
    }

    #[test]
    fn the_kinds_that_hold_buttons_are_the_types_that_take_them() {
        for mut kind in every_kind() {
            let takes = kind.name().msgtype().takes_buttons();
            assert_eq!(kind.buttons_mut().is_some(), takes, "{:?}", kind.name());
        }
    }

    #[test]
    fn parts_come_in_order_with_their_roles() {
        let roles = |kind: &Kind<&'static str>| -> Vec<(&'static str, Role)> {
            kind.parts().into_iter().map(|(t, r)| (*t, r)).collect()
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
    }

    #[test]
    fn kinds_are_listed_by_what_their_types_allow() {
        assert_eq!(
            KindName::names_where(MsgType::takes_mentions),
            "`text` and `markdown`"
        );
        assert_eq!(
            KindName::names_where(MsgType::has_links),
            "`link` and `action_card`"
        );
        assert_eq!(
            KindName::names_where(MsgType::takes_buttons),
            "`action_card`"
        );
    }
}
