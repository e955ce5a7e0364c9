//! How a [`Payload`] becomes DingTalk's JSON and back.
//!
//! Serializing writes exactly the shape of DingTalk's message table: its field case
//! (`messageUrl` in a link, `messageURL` in a feed card), `btnOrientation` and `hideAvatar` as
//! the strings `"0"`/`"1"`, no `null`s, and `at` only where it is honoured and not empty.
//! Deserializing is lenient where real clients differ (numbers or booleans for those flags,
//! missing optional fields), since the sandbox must read what any client sends.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::payload::{
    ActionCard, At, Button, ButtonOrientation, FeedCard, FeedLink, Link, Markdown, Payload, Text,
};
use crate::spec::MsgType;

/// Every `msgtype` this crate reads, for the error about one it does not.
const MSGTYPES: [&str; MsgType::ALL.len()] = {
    let mut names = [""; MsgType::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = MsgType::ALL[i].as_str();
        i += 1;
    }
    names
};

impl Payload {
    /// The JSON of this payload, as sent (a `Robot` adds one `msgUuid` field): raw UTF-8, never
    /// `\uXXXX`, with the missing `@` mentions added to the text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a payload always serializes")
    }

    /// Reads a payload from JSON as any client may write it. A body that is not a message
    /// of a known type is an [`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage).
    pub fn from_json(json: &str) -> Result<Payload, crate::Error> {
        serde_json::from_str(json)
            .map_err(|e| crate::Error::invalid_message(format!("not a DingTalk message: {e}")))
    }
}

#[derive(Serialize)]
struct TextOut<'a> {
    content: &'a str,
}

#[derive(Serialize)]
struct TitledOut<'a> {
    title: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkOut<'a> {
    title: &'a str,
    text: &'a str,
    message_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pic_url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionCardOut<'a> {
    title: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    single_title: Option<&'a str>,
    #[serde(rename = "singleURL", skip_serializing_if = "Option::is_none")]
    single_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    btns: Option<Vec<ButtonOut<'a>>>,
    btn_orientation: &'static str,
    hide_avatar: &'static str,
}

#[derive(Serialize)]
struct ButtonOut<'a> {
    title: &'a str,
    #[serde(rename = "actionURL")]
    action_url: &'a str,
}

#[derive(Serialize)]
struct FeedCardOut<'a> {
    links: Vec<FeedLinkOut<'a>>,
}

#[derive(Serialize)]
struct FeedLinkOut<'a> {
    title: &'a str,
    #[serde(rename = "messageURL")]
    message_url: &'a str,
    #[serde(rename = "picURL")]
    pic_url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AtOut<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    at_mobiles: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    at_user_ids: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_at_all: bool,
}

impl<'a> From<&'a At> for AtOut<'a> {
    fn from(at: &'a At) -> Self {
        AtOut {
            at_mobiles: &at.mobiles,
            at_user_ids: &at.user_ids,
            is_at_all: at.all,
        }
    }
}

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let msgtype = self.msgtype().as_str();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("msgtype", msgtype)?;
        match self {
            Payload::Text(t) => {
                let content = t.rendered_content();
                map.serialize_entry(msgtype, &TextOut { content: &content })?;
            }
            Payload::Markdown(m) => {
                let text = m.rendered_text();
                let body = TitledOut {
                    title: &m.title,
                    text: &text,
                };
                map.serialize_entry(msgtype, &body)?;
            }
            Payload::Link(l) => {
                let body = LinkOut {
                    title: &l.title,
                    text: &l.text,
                    message_url: &l.message_url,
                    pic_url: &l.pic_url,
                };
                map.serialize_entry(msgtype, &body)?;
            }
            Payload::ActionCard(c) => {
                let (single_title, single_url, btns) = match c.buttons.as_slice() {
                    [single] => (Some(single.title.as_str()), Some(single.url.as_str()), None),
                    several => {
                        let btns = several
                            .iter()
                            .map(|b| ButtonOut {
                                title: &b.title,
                                action_url: &b.url,
                            })
                            .collect();
                        (None, None, Some(btns))
                    }
                };
                let body = ActionCardOut {
                    title: &c.title,
                    text: &c.text,
                    single_title,
                    single_url,
                    btns,
                    btn_orientation: flag(c.orientation == ButtonOrientation::Horizontal),
                    hide_avatar: flag(c.hide_avatar),
                };
                map.serialize_entry(msgtype, &body)?;
            }
            Payload::FeedCard(f) => {
                let links = f
                    .links
                    .iter()
                    .map(|l| FeedLinkOut {
                        title: &l.title,
                        message_url: &l.message_url,
                        pic_url: &l.pic_url,
                    })
                    .collect();
                map.serialize_entry(msgtype, &FeedCardOut { links })?;
            }
        }
        if let Some(at) = self.at().filter(|at| !at.is_empty()) {
            map.serialize_entry("at", &AtOut::from(at))?;
        }
        map.end()
    }
}

/// A string field that some clients send as a number or a boolean.
#[derive(Deserialize)]
#[serde(untagged)]
enum Loose {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl Loose {
    /// `"1"`, `1`, `true` and `"true"` are on; anything else is off.
    fn is_on(&self) -> bool {
        match self {
            Loose::Str(s) => matches!(s.trim(), "1" | "true"),
            Loose::Int(n) => *n == 1,
            Loose::Bool(b) => *b,
        }
    }
}

fn loose_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<Loose>::deserialize(d)?.is_some_and(|l| l.is_on()))
}

/// A string that may be `null` or absent, read as empty.
fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A list that may be `null` or absent, read as empty.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A list of ids, some of which clients send as numbers (mobiles).
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Str(String),
        Num(serde_json::Number),
    }
    Ok(Option::<Vec<Id>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|id| match id {
            Id::Str(s) => s,
            Id::Num(n) => n.to_string(),
        })
        .collect())
}

#[derive(Deserialize)]
struct PayloadIn {
    #[serde(default, deserialize_with = "string")]
    msgtype: String,
    text: Option<TextIn>,
    link: Option<LinkIn>,
    markdown: Option<MarkdownIn>,
    #[serde(rename = "actionCard")]
    action_card: Option<ActionCardIn>,
    #[serde(rename = "feedCard")]
    feed_card: Option<FeedCardIn>,
    at: Option<AtIn>,
}

#[derive(Deserialize)]
struct TextIn {
    #[serde(default, deserialize_with = "string")]
    content: String,
}

#[derive(Deserialize)]
struct MarkdownIn {
    #[serde(default, deserialize_with = "string")]
    title: String,
    #[serde(default, deserialize_with = "string")]
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkIn {
    #[serde(default, deserialize_with = "string")]
    title: String,
    #[serde(default, deserialize_with = "string")]
    text: String,
    #[serde(default, deserialize_with = "string")]
    message_url: String,
    #[serde(default, deserialize_with = "string")]
    pic_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionCardIn {
    #[serde(default, deserialize_with = "string")]
    title: String,
    #[serde(default, deserialize_with = "string")]
    text: String,
    #[serde(default, deserialize_with = "string")]
    single_title: String,
    #[serde(rename = "singleURL", default, deserialize_with = "string")]
    single_url: String,
    #[serde(default, deserialize_with = "list")]
    btns: Vec<ButtonIn>,
    #[serde(default, deserialize_with = "loose_flag")]
    btn_orientation: bool,
    #[serde(default, deserialize_with = "loose_flag")]
    hide_avatar: bool,
}

#[derive(Deserialize)]
struct ButtonIn {
    #[serde(default, deserialize_with = "string")]
    title: String,
    #[serde(rename = "actionURL", default, deserialize_with = "string")]
    action_url: String,
}

#[derive(Deserialize)]
struct FeedCardIn {
    #[serde(default, deserialize_with = "list")]
    links: Vec<FeedLinkIn>,
}

#[derive(Deserialize)]
struct FeedLinkIn {
    #[serde(default, deserialize_with = "string")]
    title: String,
    #[serde(rename = "messageURL", default, deserialize_with = "string")]
    message_url: String,
    #[serde(rename = "picURL", default, deserialize_with = "string")]
    pic_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AtIn {
    #[serde(default, deserialize_with = "ids")]
    at_mobiles: Vec<String>,
    #[serde(default, deserialize_with = "ids")]
    at_user_ids: Vec<String>,
    #[serde(default, deserialize_with = "loose_flag")]
    is_at_all: bool,
}

impl From<Option<AtIn>> for At {
    fn from(at: Option<AtIn>) -> At {
        let mut out = At::default();
        if let Some(at) = at {
            // Cleaned as the builders clean them: trimmed, no empties, no repeats.
            At::add(&mut out.mobiles, at.at_mobiles);
            At::add(&mut out.user_ids, at.at_user_ids);
            out.all = at.is_at_all;
        }
        out
    }
}

fn body<T, E: de::Error>(body: Option<T>, msgtype: &str) -> Result<T, E> {
    body.ok_or_else(|| {
        E::custom(format_args!(
            "missing object `{msgtype}` for msgtype `{msgtype}`"
        ))
    })
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = PayloadIn::deserialize(deserializer)?;
        let msgtype = wire.msgtype.as_str();
        let known = match MsgType::from_wire(msgtype) {
            Some(known) => known,
            None if msgtype.is_empty() => return Err(de::Error::missing_field("msgtype")),
            None => return Err(de::Error::unknown_variant(msgtype, &MSGTYPES)),
        };
        Ok(match known {
            MsgType::Text => Payload::Text(Text {
                content: body::<_, D::Error>(wire.text, msgtype)?.content,
                at: wire.at.into(),
            }),
            MsgType::Markdown => {
                let m = body::<_, D::Error>(wire.markdown, msgtype)?;
                Payload::Markdown(Markdown {
                    title: m.title,
                    text: m.text,
                    at: wire.at.into(),
                })
            }
            MsgType::Link => {
                let l = body::<_, D::Error>(wire.link, msgtype)?;
                Payload::Link(Link {
                    title: l.title,
                    text: l.text,
                    message_url: l.message_url,
                    pic_url: l.pic_url,
                })
            }
            MsgType::ActionCard => {
                let c = body::<_, D::Error>(wire.action_card, msgtype)?;
                // DingTalk ignores `btns` when the single-button fields are set.
                let buttons = if c.single_title.is_empty() && c.single_url.is_empty() {
                    c.btns
                        .into_iter()
                        .map(|b| Button::new(b.title, b.action_url))
                        .collect()
                } else {
                    vec![Button::new(c.single_title, c.single_url)]
                };
                Payload::ActionCard(ActionCard {
                    title: c.title,
                    text: c.text,
                    buttons,
                    orientation: if c.btn_orientation {
                        ButtonOrientation::Horizontal
                    } else {
                        ButtonOrientation::Vertical
                    },
                    hide_avatar: c.hide_avatar,
                })
            }
            MsgType::FeedCard => Payload::FeedCard(FeedCard {
                links: body::<_, D::Error>(wire.feed_card, msgtype)?
                    .links
                    .into_iter()
                    .map(|l| FeedLink::new(l.title, l.message_url, l.pic_url))
                    .collect(),
            }),
            // A type this crate does not know yet.
            _ => return Err(de::Error::unknown_variant(msgtype, &MSGTYPES)),
        })
    }
}
