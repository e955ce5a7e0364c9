//! Every message type serializes to exactly DingTalk's JSON, and reads back leniently.

use dingtalk_bot::spec::{Content, MsgType};
use dingtalk_bot::{Button, ButtonOrientation, FeedLink, Message, Payload};
use serde_json::{Value, json};

fn json_of(message: impl Into<Payload>) -> Value {
    serde_json::from_str(&message.into().to_json()).unwrap()
}

#[test]
fn text() {
    assert_eq!(
        Payload::text("我就是我, 是不一样的烟火").into_payload_json(),
        r#"{"msgtype":"text","text":{"content":"我就是我, 是不一样的烟火"}}"#
    );
}

#[test]
fn text_with_mentions_puts_each_missing_at_into_the_content() {
    let payload = Payload::text("@150XXXXXXXX 我就是我")
        .at_mobiles(["150XXXXXXXX", "151XXXXXXXX"])
        .at_user_ids(["user123"]);
    assert_eq!(
        json_of(payload),
        json!({
            "msgtype": "text",
            "text": {"content": "@150XXXXXXXX 我就是我 @151XXXXXXXX @user123"},
            "at": {"atMobiles": ["150XXXXXXXX", "151XXXXXXXX"], "atUserIds": ["user123"]}
        })
    );
}

#[test]
fn at_all_needs_no_text() {
    assert_eq!(
        Payload::text("开会了").at_all().into_payload_json(),
        r#"{"msgtype":"text","text":{"content":"开会了"},"at":{"isAtAll":true}}"#
    );
}

#[test]
fn markdown_mentions_go_in_a_last_paragraph() {
    let payload = Payload::markdown("杭州天气", "#### 杭州天气\n\n> 9度，西北风1级")
        .at_mobiles(["150XXXXXXXX"]);
    assert_eq!(
        json_of(payload),
        json!({
            "msgtype": "markdown",
            "markdown": {"title": "杭州天气", "text": "#### 杭州天气\n\n> 9度，西北风1级\n\n@150XXXXXXXX"},
            "at": {"atMobiles": ["150XXXXXXXX"]}
        })
    );
}

#[test]
fn link_uses_camel_case_url_fields_and_omits_an_empty_picture() {
    assert_eq!(
        json_of(Payload::link(
            "时代的火车",
            "这个即将发布的新版本",
            "https://example.com/a"
        )),
        json!({"msgtype": "link", "link": {"title": "时代的火车", "text": "这个即将发布的新版本", "messageUrl": "https://example.com/a"}})
    );
    assert_eq!(
        json_of(Payload::link("t", "x", "https://a").pic_url("https://a.png")),
        json!({"msgtype": "link", "link": {"title": "t", "text": "x", "messageUrl": "https://a", "picUrl": "https://a.png"}})
    );
}

#[test]
fn action_card_with_one_button_uses_the_single_form() {
    assert_eq!(
        Payload::action_card("乔布斯", "![screenshot](https://a.png)\n\n### 乔布斯")
            .button("阅读全文", "https://www.dingtalk.com/")
            .into_payload_json(),
        r#"{"msgtype":"actionCard","actionCard":{"title":"乔布斯","text":"![screenshot](https://a.png)\n\n### 乔布斯","singleTitle":"阅读全文","singleURL":"https://www.dingtalk.com/","btnOrientation":"0","hideAvatar":"0"}}"#
    );
}

#[test]
fn action_card_with_several_buttons_uses_btns_and_string_flags() {
    let card = Payload::action_card("t", "x")
        .button("内容不错", "https://a")
        .buttons([Button::new("不感兴趣", "https://b")])
        .orientation(ButtonOrientation::Horizontal)
        .hide_avatar(true);
    assert_eq!(
        json_of(card),
        json!({"msgtype": "actionCard", "actionCard": {
            "title": "t", "text": "x",
            "btns": [{"title": "内容不错", "actionURL": "https://a"}, {"title": "不感兴趣", "actionURL": "https://b"}],
            "btnOrientation": "1", "hideAvatar": "1"
        }})
    );
}

#[test]
fn feed_card_uses_upper_case_url_fields() {
    let feed = Payload::feed_card()
        .link("时代的火车向前开1", "https://a", "https://a.png")
        .links([FeedLink::new("2", "https://b", "")]);
    assert_eq!(
        json_of(feed),
        json!({"msgtype": "feedCard", "feedCard": {"links": [
            {"title": "时代的火车向前开1", "messageURL": "https://a", "picURL": "https://a.png"},
            {"title": "2", "messageURL": "https://b", "picURL": ""}
        ]}})
    );
}

#[test]
fn json_is_raw_utf8_never_escaped() {
    let json = Payload::text("告警：磁盘 95%").into_payload_json();
    assert!(json.contains("告警：磁盘 95%"));
    assert!(!json.contains("\\u"));
    assert_eq!(
        json.len(),
        r#"{"msgtype":"text","text":{"content":""}}"#.len() + "告警：磁盘 95%".len()
    );
}

#[test]
fn reads_back_what_it_writes() {
    let payloads: Vec<Payload> = vec![
        Payload::text("a @1 @u")
            .at_mobiles(["1"])
            .at_user_ids(["u"])
            .at_all()
            .into(),
        Payload::markdown("t", "x\n\n@1").at_mobiles(["1"]).into(),
        Payload::link("t", "x", "https://a")
            .pic_url("https://p")
            .into(),
        Payload::action_card("t", "x")
            .button("a", "https://a")
            .hide_avatar(true)
            .into(),
        Payload::action_card("t", "x")
            .button("a", "https://a")
            .button("b", "https://b")
            .orientation(ButtonOrientation::Horizontal)
            .into(),
        Payload::feed_card()
            .link("a", "https://a", "https://p")
            .into(),
    ];
    for payload in payloads {
        // Mentions already in the text, so the payload read back is the same value.
        let json = payload.to_json();
        let read = Payload::from_json(&json).unwrap();
        assert_eq!(read, payload, "{json}");
        assert_eq!(read.to_json(), json);
    }
    // With a mention added on the way out, the JSON still reads back to the same JSON.
    let added = Payload::text("a").at_mobiles(["1"]).into_payload_json();
    assert_eq!(Payload::from_json(&added).unwrap().to_json(), added);
}

/// A payload of every type with every field filled, each with a value of its own.
fn every_field_filled() -> Vec<Payload> {
    vec![
        Payload::text("content @1").at_mobiles(["1"]).into(),
        Payload::link("link title", "link text", "https://message")
            .pic_url("https://picture")
            .into(),
        Payload::markdown("markdown title", "markdown text\n\n@u")
            .at_user_ids(["u"])
            .into(),
        Payload::action_card("card title", "card text")
            .button("single title", "https://single")
            .into(),
        Payload::action_card("cards title", "cards text")
            .button("button 0", "https://button/0")
            .button("button 1", "https://button/1")
            .orientation(ButtonOrientation::Horizontal)
            .hide_avatar(true)
            .into(),
        Payload::feed_card()
            .link("entry 0", "https://entry/0", "https://entry/0.png")
            .link("entry 1", "https://entry/1", "https://entry/1.png")
            .into(),
    ]
}

#[test]
fn every_field_is_in_the_json_where_the_spec_names_it() {
    // The spec names each field (`Field::json_name`, `MsgType::as_str`); serde writes them:
    // a name changed on one side only fails here.
    let payloads = every_field_filled();
    let types: Vec<MsgType> = payloads.iter().map(Payload::msgtype).collect();
    assert!(MsgType::ALL.iter().all(|t| types.contains(t)), "{types:?}");
    for payload in &payloads {
        let json: Value = serde_json::from_str(&payload.to_json()).unwrap();
        let msgtype = payload.msgtype().as_str();
        assert_eq!(json["msgtype"], msgtype);
        let object = json[msgtype]
            .as_object()
            .unwrap_or_else(|| panic!("{json}"));
        let mut named = Vec::new();
        payload.with_fields(|fields| {
            for f in fields.iter() {
                let at = match (f.field.list(), f.index) {
                    (Some(list), Some(i)) => &object[list.json_name()][i][f.field.json_name()],
                    (None, None) => &object[f.field.json_name()],
                    _ => panic!("{f:?}"),
                };
                match f.field.content() {
                    Content::List => assert!(
                        at.as_array().is_some_and(|entries| !entries.is_empty()),
                        "{}: {json}",
                        f.path()
                    ),
                    _ => assert_eq!(at.as_str(), Some(f.value), "{}: {json}", f.path()),
                }
                if f.field.list().is_none() {
                    named.push(f.field.json_name());
                }
            }
        });
        // And nothing serde writes is left unnamed by the spec but the card's two flags.
        for key in object.keys() {
            assert!(
                named.contains(&key.as_str()) || ["btnOrientation", "hideAvatar"].contains(&&**key),
                "{msgtype}.{key} is not a field of the spec: {json}"
            );
        }
        // Read back under the same names.
        assert_eq!(&Payload::from_json(&payload.to_json()).unwrap(), payload);
    }
}

#[test]
fn reads_what_other_clients_write() {
    let card = Payload::from_json(
        r#"{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","btns":[{"title":"a","actionURL":"u"}],"btnOrientation":0,"hideAvatar":true}}"#,
    )
    .unwrap();
    let Payload::ActionCard(card) = card else {
        panic!()
    };
    assert_eq!(card.button_orientation(), ButtonOrientation::Vertical);
    assert!(card.is_avatar_hidden());
    assert_eq!(card.button_list(), [Button::new("a", "u")]);

    // `btns` is ignored when the single-button fields are set, as DingTalk does.
    let single = Payload::from_json(
        r#"{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","singleTitle":"s","singleURL":"su","btns":[{"title":"a","actionURL":"u"}],"btnOrientation":"1"}}"#,
    )
    .unwrap();
    let Payload::ActionCard(single) = single else {
        panic!()
    };
    assert_eq!(single.button_list(), [Button::new("s", "su")]);
    assert_eq!(single.button_orientation(), ButtonOrientation::Horizontal);

    // Mobiles as numbers, blanks and repeats: read as the builders would make them.
    let numbers = Payload::from_json(
        r#"{"msgtype":"text","text":{"content":"x"},"at":{"atMobiles":[13800000000,"","13800000000"]}}"#,
    )
    .unwrap();
    assert_eq!(numbers.at().unwrap().mobiles(), ["13800000000"]);
    assert_eq!(
        numbers.to_json(),
        r#"{"msgtype":"text","text":{"content":"x @13800000000"},"at":{"atMobiles":["13800000000"]}}"#
    );

    let text = Payload::from_json(
        r#"{"msgtype":"text","text":{"content":"x"},"at":{"atMobiles":null,"isAtAll":"true"},"msgUuid":"m"}"#,
    )
    .unwrap();
    assert!(text.at().unwrap().is_all());
    assert!(text.at().unwrap().mobiles().is_empty());

    for bad in [
        r#"{"text":{"content":"x"}}"#,
        r#"{"msgtype":"image","image":{}}"#,
        r#"{"msgtype":"text"}"#,
        r#"{"msgtype":"text","text":{"content":5}}"#,
    ] {
        assert!(Payload::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn at_is_left_out_where_dingtalk_ignores_it() {
    // Link, action card and feed card have no mention methods at all; a payload read from JSON
    // with an `at` on them drops it.
    let link = Payload::from_json(
        r#"{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"u"},"at":{"isAtAll":true}}"#,
    )
    .unwrap();
    assert!(link.at().is_none());
    assert!(!link.to_json().contains("\"at\""));
}

#[test]
fn payloads_and_builders_are_messages() {
    fn payload_of(m: &impl Message) -> Payload {
        m.to_payload()
    }
    let text = Payload::text("x");
    assert_eq!(payload_of(&text), Payload::from(text.clone()));
    assert_eq!(
        payload_of(&Payload::from(text.clone())),
        Payload::from(text)
    );
}

trait IntoPayloadJson {
    fn into_payload_json(self) -> String;
}

impl<T: Into<Payload>> IntoPayloadJson for T {
    fn into_payload_json(self) -> String {
        self.into().to_json()
    }
}
