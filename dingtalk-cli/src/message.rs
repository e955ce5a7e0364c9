//! The message a `dingtalk send` command describes, built from its arguments, standard input
//! or a file.

use std::io::Read as _;

use dingtalk_bot::markdown::Newlines;
use dingtalk_bot::spec::MsgType;
use dingtalk_bot::{ActionCard, ButtonOrientation, FeedLink, Markdown, Payload};

use crate::args::{MarkdownBody, Mentions, MessageCommand, unescape};
use crate::exit::{Exit, Failure};

impl MarkdownBody {
    pub fn markdown(&self) -> Result<String, Failure> {
        let text = match (&self.body, &self.text, &self.file) {
            (Some(body), _, _) if body == "-" => read_input("-")?,
            (Some(body), _, _) => unescape(body),
            (None, Some(text), _) => unescape(text),
            (None, None, Some(file)) => read_input(&file.display().to_string())?,
            (None, None, None) => {
                return Err(Failure::new(
                    Exit::Usage,
                    "give the markdown as an argument, with --text or --file, or `-` for standard input",
                ));
            }
        };
        let text = text.trim_end_matches(['\n', '\r']);
        Ok(if self.preserve_newlines {
            text.to_owned()
        } else {
            dingtalk_bot::hard_line_breaks(text)
        })
    }
}

/// Adds the mentions of the flags to a text or markdown builder.
macro_rules! mention {
    ($message:expr, $mentions:expr) => {{
        let mentions: &Mentions = $mentions;
        let message = $message
            .at_mobiles(&mentions.mobiles)
            .at_user_ids(&mentions.users);
        if mentions.at_all {
            message.at_all()
        } else {
            message
        }
    }};
}

pub fn payload(command: &MessageCommand) -> Result<Payload, Failure> {
    Ok(match command {
        MessageCommand::Text { content, mentions } => {
            let content = if content == "-" {
                read_input("-")?.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                unescape(content)
            };
            mention!(Payload::text(content), mentions).into()
        }
        MessageCommand::Markdown {
            title,
            body,
            mentions,
        } => mention!(
            // Its line breaks made (or kept) by `markdown()`, as the flags ask.
            Markdown::with_newlines(unescape(title), body.markdown()?, Newlines::Preserve),
            mentions
        )
        .into(),
        MessageCommand::Link {
            title,
            text,
            url,
            pic,
        } => {
            let link = Payload::link(unescape(title), unescape(text), url);
            match pic {
                Some(pic) => link.pic_url(pic).into(),
                None => link.into(),
            }
        }
        MessageCommand::ActionCard {
            title,
            body,
            buttons,
            horizontal,
            hide_avatar,
        } => {
            let mut card =
                ActionCard::with_newlines(unescape(title), body.markdown()?, Newlines::Preserve)
                    .hide_avatar(*hide_avatar)
                    .orientation(if *horizontal {
                        ButtonOrientation::Horizontal
                    } else {
                        ButtonOrientation::Vertical
                    });
            for (title, url) in buttons {
                card = card.button(title, url);
            }
            card.into()
        }
        MessageCommand::FeedCard { links } => Payload::feed_card()
            .links(links.iter().map(|(t, u, p)| FeedLink::new(t, u, p)))
            .into(),
        MessageCommand::Json { file } => {
            let json = read_input(file)?;
            warn_ignored_fields(&json);
            Payload::from_json(&json).map_err(|e| Failure::new(Exit::Message, e.to_string()))?
        }
    })
}

/// Says on stderr which fields of a JSON message will not be sent: the library sends the
/// `msgtype`, that type's object, and `at` where the type takes mentions (and its own
/// `msgUuid`).
fn warn_ignored_fields(json: &str) {
    let Ok(serde_json::Value::Object(message)) = serde_json::from_str(json) else {
        return;
    };
    let msgtype = message
        .get("msgtype")
        .and_then(|m| m.as_str())
        .and_then(MsgType::from_wire);
    let sent = |key: &str| match msgtype {
        Some(msgtype) => {
            key == "msgtype" || key == msgtype.as_str() || (key == "at" && msgtype.takes_mentions())
        }
        // Not a message: reading it fails, and says why.
        None => true,
    };
    let ignored: Vec<&str> = message
        .keys()
        .map(String::as_str)
        .filter(|k| !sent(k))
        .collect();
    if !ignored.is_empty() {
        eprintln!(
            "dingtalk: warning: not sent: {} (a msgUuid is added per delivery)",
            ignored.join(", ")
        );
    }
}

/// Reads a file, or standard input for `-`.
fn read_input(source: &str) -> Result<String, Failure> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(Exit::Message, format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Failure::new(Exit::Message, format!("cannot read {source}: {e}")))
    }
}
