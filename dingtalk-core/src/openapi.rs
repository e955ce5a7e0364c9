//! A message as the robot OpenAPI of app robots takes it: a `msgKey` and its `msgParam`.
//!
//! An app robot sends through `api.dingtalk.com` ([`spec::openapi`](crate::spec::openapi)), not a webhook. The
//! same [`Payload`] maps onto the OpenAPI's templates: a text to `sampleText`, markdown to
//! `sampleMarkdown`, a link card to `sampleLink`, an action card to `sampleActionCard` (one
//! button), `sampleActionCard2`…`5` (two to five stacked) or `sampleActionCard6` (two side by
//! side). What the OpenAPI cannot carry is refused here, before anything is sent: a feed card,
//! more than five buttons, a `msgParam` over 15,000 bytes, and mentions, which the OpenAPI
//! does not support (unless they are dropped). An action card's `hideAvatar` has no
//! counterpart and is left out.
//!
//! ```
//! # use dingtalk_core as dingtalk_bot;
//! use dingtalk_bot::Payload;
//! use dingtalk_bot::openapi::to_openapi;
//!
//! let deploy = Payload::from(Payload::markdown("Deploy", "api v2 is **live**"));
//! let message = to_openapi(&deploy, false)?;
//! assert_eq!(message.msg_key().as_str(), "sampleMarkdown");
//! assert_eq!(message.msg_param(), r#"{"title":"Deploy","text":"api v2 is **live**"}"#);
//! assert_eq!(
//!     message.group_send_body("dingue4kfzdxbyn0pjqd", "cid6KeBBLoveMJOGXoYKF5x7EeiodoA=="),
//!     r#"{"robotCode":"dingue4kfzdxbyn0pjqd","openConversationId":"cid6KeBBLoveMJOGXoYKF5x7EeiodoA==","msgKey":"sampleMarkdown","msgParam":"{\"title\":\"Deploy\",\"text\":\"api v2 is **live**\"}"}"#,
//! );
//! # Ok::<(), dingtalk_bot::Error>(())
//! ```

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::Error;
use crate::payload::Payload;
use crate::spec::openapi::{self, MsgKey, Refusal};

/// A message mapped onto the robot OpenAPI: its template ([`msg_key`](Self::msg_key)) and
/// the template's parameters as the JSON text DingTalk expects ([`msg_param`](Self::msg_param)).
/// Made by [`to_openapi`], which checks it against the OpenAPI's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenApiMessage {
    msg_key: MsgKey,
    msg_param: String,
}

impl OpenApiMessage {
    /// The template (`msgKey`).
    pub fn msg_key(&self) -> MsgKey {
        self.msg_key
    }

    /// The template's parameters (`msgParam`): a JSON object written as text, since the
    /// request carries it as a string, not as an object. At most
    /// [`MAX_MSG_PARAM_BYTES`](openapi::MAX_MSG_PARAM_BYTES) bytes.
    pub fn msg_param(&self) -> &str {
        &self.msg_param
    }

    /// The body of a one-to-one send ([`BATCH_SEND_PATH`](openapi::BATCH_SEND_PATH)) from the
    /// robot `robot_code` to the users `user_ids` (their `userId`, a received message's
    /// `senderStaffId`). An [`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage)
    /// for no user, or more than [`MAX_BATCH_USERS`](openapi::MAX_BATCH_USERS).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Payload;
    /// use dingtalk_bot::openapi::to_openapi;
    ///
    /// let message = to_openapi(&Payload::text("今天吃肘子").into(), false)?;
    /// assert_eq!(
    ///     message.batch_send_body("dingxxxxxx", &["manager1234"])?,
    ///     r#"{"robotCode":"dingxxxxxx","userIds":["manager1234"],"msgKey":"sampleText","msgParam":"{\"content\":\"今天吃肘子\"}"}"#,
    /// );
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn batch_send_body<S: AsRef<str>>(
        &self,
        robot_code: &str,
        user_ids: &[S],
    ) -> Result<String, Error> {
        openapi::check_batch_users(user_ids.len()).map_err(Error::from_refusal)?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            robot_code: &'a str,
            user_ids: Vec<&'a str>,
            msg_key: &'static str,
            msg_param: &'a str,
        }
        Ok(to_json(&Body {
            robot_code,
            user_ids: user_ids.iter().map(AsRef::as_ref).collect(),
            msg_key: self.msg_key.as_str(),
            msg_param: &self.msg_param,
        }))
    }

    /// The body of a send to a group ([`GROUP_SEND_PATH`](openapi::GROUP_SEND_PATH)) from the
    /// robot `robot_code`; `open_conversation_id` is the group's, the `conversationId` of a
    /// message received from it.
    pub fn group_send_body(&self, robot_code: &str, open_conversation_id: &str) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            robot_code: &'a str,
            open_conversation_id: &'a str,
            msg_key: &'static str,
            msg_param: &'a str,
        }
        to_json(&Body {
            robot_code,
            open_conversation_id,
            msg_key: self.msg_key.as_str(),
            msg_param: &self.msg_param,
        })
    }
}

/// `payload` as the robot OpenAPI takes it, or why it cannot be sent there, found before
/// sending.
///
/// The refusals, each an [`Error`] whose [`source`](std::error::Error::source) is the
/// [`Refusal`] it names:
/// - a feed card, which has no template
///   ([`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage));
/// - a text or markdown message that mentions someone (`at_mobiles`, `at_user_ids`,
///   `at_all`), since the OpenAPI cannot mention (`InvalidMessage`). With `drop_mentions`
///   the mentions are left out instead, and the text is sent as written, without the
///   `@<id>` a webhook robot adds to it;
/// - an action card with no button, or more than five (`InvalidMessage`);
/// - a `msgParam` over 15,000 bytes
///   ([`ErrorKind::PayloadTooLarge`](crate::ErrorKind::PayloadTooLarge)).
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use std::error::Error as _;
/// use dingtalk_bot::{ErrorKind, Payload};
/// use dingtalk_bot::openapi::to_openapi;
/// use dingtalk_bot::spec::openapi::Refusal;
///
/// let alert = Payload::from(Payload::text("disk full").at_mobiles(["13800000000"]));
/// let e = to_openapi(&alert, false).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::InvalidMessage);
/// assert_eq!(e.source().unwrap().downcast_ref(), Some(&Refusal::Mentions));
/// assert_eq!(to_openapi(&alert, true)?.msg_param(), r#"{"content":"disk full"}"#);
/// # Ok::<(), dingtalk_bot::Error>(())
/// ```
pub fn to_openapi(payload: &Payload, drop_mentions: bool) -> Result<OpenApiMessage, Error> {
    map(payload, drop_mentions).map_err(Error::from_refusal)
}

fn map(payload: &Payload, drop_mentions: bool) -> Result<OpenApiMessage, Refusal> {
    if payload.at().is_some_and(|at| !at.is_empty()) && !drop_mentions {
        return Err(Refusal::Mentions);
    }
    let (msg_key, values): (MsgKey, Vec<&str>) = match payload {
        Payload::Text(t) => (MsgKey::SampleText, vec![&t.content]),
        Payload::Markdown(m) => (MsgKey::SampleMarkdown, vec![&m.title, &m.text]),
        // **Chosen:** a link without a picture sends `picUrl` empty: the template lists the
        // field, and nothing says it may be left out.
        Payload::Link(l) => (
            MsgKey::SampleLink,
            vec![&l.text, &l.title, &l.pic_url, &l.message_url],
        ),
        Payload::ActionCard(c) => {
            let side_by_side = c.orientation == crate::ButtonOrientation::Horizontal;
            let key = openapi::action_card_key(c.buttons.len(), side_by_side)?;
            let mut values = vec![c.title.as_str(), c.text.as_str()];
            values.extend(c.buttons.iter().flat_map(|b| [b.title.as_str(), &b.url]));
            (key, values)
        }
        Payload::FeedCard(_) => return Err(Refusal::UnsupportedType(payload.msgtype())),
    };
    let msg_param = to_json(&Params {
        names: msg_key.params(),
        values: &values,
    });
    openapi::check_msg_param(msg_param.len())?;
    Ok(OpenApiMessage { msg_key, msg_param })
}

/// A `msgParam` object: the template's field names, in order, with their values.
struct Params<'a> {
    names: &'static [&'static str],
    values: &'a [&'a str],
}

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        debug_assert_eq!(self.names.len(), self.values.len());
        let mut map = serializer.serialize_map(Some(self.names.len()))?;
        for (name, value) in self.names.iter().zip(self.values) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ButtonOrientation;

    fn param(payload: impl Into<Payload>) -> (String, String) {
        let m = to_openapi(&payload.into(), false).unwrap();
        (m.msg_key().to_string(), m.msg_param)
    }

    #[test]
    fn every_button_count_has_its_key() {
        for n in 1..=5 {
            let card = (1..=n).fold(Payload::action_card("t", "x"), |c, i| {
                c.button(format!("b{i}"), format!("https://e/{i}"))
            });
            let (key, param) = param(card);
            let names = MsgKey::from_wire(&key).unwrap().params();
            assert_eq!(names.len(), 2 + 2 * n, "{key}");
            let value: serde_json::Value = serde_json::from_str(&param).unwrap();
            assert_eq!(value.as_object().unwrap().len(), names.len());
        }
        let (key, _) = param(
            Payload::action_card("t", "x")
                .button("a", "https://a")
                .orientation(ButtonOrientation::Horizontal),
        );
        assert_eq!(key, "sampleActionCard");
    }

    #[test]
    fn the_size_limit_is_on_the_json_text() {
        // `"` is escaped: one byte of content, two of msgParam.
        let fits = r#"{"content":""}"#.len();
        let quotes = "\"".repeat((openapi::MAX_MSG_PARAM_BYTES - fits) / 2);
        assert!(to_openapi(&Payload::text(quotes.clone()).into(), false).is_ok());
        let e = to_openapi(&Payload::text(quotes + "\"").into(), false).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::PayloadTooLarge);
    }
}
