//! Every message type maps onto exactly the robot OpenAPI's request (`msgKey`, and `msgParam`
//! as a JSON string), and what the OpenAPI cannot carry is refused before sending.

use std::error::Error as _;

use dingtalk_bot::openapi::{OpenApiMessage, to_openapi};
use dingtalk_bot::spec::MsgType;
use dingtalk_bot::spec::openapi::{MAX_BATCH_USERS, MsgKey, Refusal};
use dingtalk_bot::{ButtonOrientation, Error, ErrorKind, Payload};
use serde_json::{Value, json};

fn mapped(payload: impl Into<Payload>) -> OpenApiMessage {
    to_openapi(&payload.into(), false).unwrap()
}

/// The one-to-one request body, with `msgParam` read back from its string.
fn batch_send(payload: impl Into<Payload>) -> (Value, Value) {
    let body = mapped(payload)
        .batch_send_body("dingxxxxxx", &["manager1234"])
        .unwrap();
    let mut body: Value = serde_json::from_str(&body).unwrap();
    let param = body["msgParam"].take();
    let param = serde_json::from_str(param.as_str().expect("msgParam is a string")).unwrap();
    (body, param)
}

fn refusal(e: &Error) -> &Refusal {
    e.source().unwrap().downcast_ref().unwrap()
}

#[test]
fn text_as_the_documented_request() {
    assert_eq!(
        mapped(Payload::text("今天吃肘子"))
            .group_send_body("dingue4kfzdxbyn0pjqd", "cid6KeBBLoveMJOGXoYKF5x7EeiodoA=="),
        r#"{"robotCode":"dingue4kfzdxbyn0pjqd","openConversationId":"cid6KeBBLoveMJOGXoYKF5x7EeiodoA==","msgKey":"sampleText","msgParam":"{\"content\":\"今天吃肘子\"}"}"#
    );
}

#[test]
fn markdown_as_the_documented_request() {
    assert_eq!(
        mapped(Payload::markdown("hello title", "hello text"))
            .batch_send_body("dingxxxxxx", &["manager1234"])
            .unwrap(),
        r#"{"robotCode":"dingxxxxxx","userIds":["manager1234"],"msgKey":"sampleMarkdown","msgParam":"{\"title\":\"hello title\",\"text\":\"hello text\"}"}"#
    );
}

#[test]
fn markdown_line_breaks_are_made_as_for_a_webhook() {
    let (_, param) = batch_send(Payload::markdown("t", "a\nb"));
    assert_eq!(param, json!({"title": "t", "text": "a  \nb"}));
}

#[test]
fn link() {
    let (body, param) = batch_send(
        Payload::link("Release", "v2.4 is out", "https://e.com/r").pic_url("https://e.com/p.png"),
    );
    assert_eq!(
        body,
        json!({"robotCode": "dingxxxxxx", "userIds": ["manager1234"], "msgKey": "sampleLink", "msgParam": null})
    );
    assert_eq!(
        param,
        json!({"text": "v2.4 is out", "title": "Release", "picUrl": "https://e.com/p.png", "messageUrl": "https://e.com/r"})
    );
    let (_, param) = batch_send(Payload::link("Release", "v2.4 is out", "https://e.com/r"));
    assert_eq!(param["picUrl"], "");
}

#[test]
fn action_card_with_one_button() {
    let m = mapped(
        Payload::action_card("Leave", "Alice: 3 days")
            .button("Review", "https://e.com/l/1")
            .hide_avatar(true),
    );
    assert_eq!(m.msg_key(), MsgKey::SampleActionCard);
    assert_eq!(
        m.msg_param(),
        r#"{"title":"Leave","text":"Alice: 3 days","singleTitle":"Review","singleURL":"https://e.com/l/1"}"#
    );
}

#[test]
fn action_cards_with_stacked_buttons() {
    let card = |n: usize| {
        (1..=n).fold(Payload::action_card("T", "x"), |c, i| {
            c.button(format!("b{i}"), format!("https://e.com/{i}"))
        })
    };
    let m = mapped(card(2));
    assert_eq!(m.msg_key(), MsgKey::SampleActionCard2);
    assert_eq!(
        m.msg_param(),
        r#"{"title":"T","text":"x","actionTitle1":"b1","actionURL1":"https://e.com/1","actionTitle2":"b2","actionURL2":"https://e.com/2"}"#
    );
    let (body, param) = batch_send(card(3));
    assert_eq!(body["msgKey"], "sampleActionCard3");
    assert_eq!(
        param,
        json!({"title": "T", "text": "x",
            "actionTitle1": "b1", "actionURL1": "https://e.com/1",
            "actionTitle2": "b2", "actionURL2": "https://e.com/2",
            "actionTitle3": "b3", "actionURL3": "https://e.com/3"})
    );
    let (body, param) = batch_send(card(4));
    assert_eq!(body["msgKey"], "sampleActionCard4");
    assert_eq!(param["actionURL4"], "https://e.com/4");
    assert_eq!(param.as_object().unwrap().len(), 10);
    let m = mapped(card(5));
    assert_eq!(m.msg_key(), MsgKey::SampleActionCard5);
    assert_eq!(
        m.msg_param(),
        r#"{"title":"T","text":"x","actionTitle1":"b1","actionURL1":"https://e.com/1","actionTitle2":"b2","actionURL2":"https://e.com/2","actionTitle3":"b3","actionURL3":"https://e.com/3","actionTitle4":"b4","actionURL4":"https://e.com/4","actionTitle5":"b5","actionURL5":"https://e.com/5"}"#
    );
}

#[test]
fn action_card_with_two_buttons_side_by_side() {
    let m = mapped(
        Payload::action_card("Deploy?", "billing v2.4")
            .button("Yes", "https://e.com/y")
            .button("No", "https://e.com/n")
            .orientation(ButtonOrientation::Horizontal),
    );
    assert_eq!(m.msg_key(), MsgKey::SampleActionCard6);
    assert_eq!(
        m.msg_param(),
        r#"{"title":"Deploy?","text":"billing v2.4","buttonTitle1":"Yes","buttonUrl1":"https://e.com/y","buttonTitle2":"No","buttonUrl2":"https://e.com/n"}"#
    );
}

#[test]
fn more_than_two_buttons_side_by_side_are_stacked() {
    let m = mapped(
        Payload::action_card("T", "x")
            .button("a", "https://a")
            .button("b", "https://b")
            .button("c", "https://c")
            .orientation(ButtonOrientation::Horizontal),
    );
    assert_eq!(m.msg_key(), MsgKey::SampleActionCard3);
}

#[test]
fn a_feed_card_is_refused() {
    let feed = Payload::from(Payload::feed_card().link("a", "https://a", "https://a.png"));
    let e = to_openapi(&feed, true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert_eq!(refusal(&e), &Refusal::UnsupportedType(MsgType::FeedCard));
    assert_eq!(
        e.to_string(),
        "the robot OpenAPI has no message type like `feedCard`: send it as markdown or an action card"
    );
}

#[test]
fn more_than_five_buttons_are_refused() {
    let card = (1..=6).fold(Payload::action_card("T", "x"), |c, i| {
        c.button(format!("b{i}"), "https://e.com")
    });
    let e = to_openapi(&card.into(), false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert_eq!(refusal(&e), &Refusal::TooManyButtons { count: 6 });
    assert_eq!(
        e.to_string(),
        "the action card has 6 buttons, over the robot OpenAPI's limit of 5: keep five at most"
    );
}

#[test]
fn a_card_without_buttons_is_refused() {
    let e = to_openapi(&Payload::action_card("T", "x").into(), false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert_eq!(refusal(&e), &Refusal::NoButtons);
}

#[test]
fn mentions_are_refused_unless_dropped() {
    for payload in [
        Payload::from(Payload::text("disk full").at_mobiles(["13800000000"])),
        Payload::from(Payload::text("disk full").at_user_ids(["u1"])),
        Payload::from(Payload::text("disk full").at_all()),
        Payload::from(Payload::markdown("Disk", "disk full").at_user_ids(["u1"])),
    ] {
        let e = to_openapi(&payload, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMessage);
        assert_eq!(refusal(&e), &Refusal::Mentions);
        let dropped = to_openapi(&payload, true).unwrap();
        let param: Value = serde_json::from_str(dropped.msg_param()).unwrap();
        let text = param.get("content").or(param.get("text")).unwrap();
        assert_eq!(text, "disk full", "the mentions are not written in");
    }
}

#[test]
fn a_msg_param_over_15000_bytes_is_refused() {
    // 4,990 characters of 3 bytes: 14,970 bytes of text, 14,984 of msgParam.
    let fits = "字".repeat(4_990);
    assert!(to_openapi(&Payload::text(fits.clone()).into(), false).is_ok());
    let e = to_openapi(&Payload::text(fits + "字字字字字字").into(), false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PayloadTooLarge);
    assert_eq!(refusal(&e), &Refusal::MsgParamTooLong { bytes: 15_002 });
    assert_eq!(
        e.to_string(),
        "the message's msgParam is 15002 bytes, over the robot OpenAPI's limit of 15000 bytes: shorten or split it"
    );
}

#[test]
fn a_batch_send_names_1_to_20_users() {
    let m = mapped(Payload::text("x"));
    let none: [&str; 0] = [];
    let e = m.batch_send_body("ding", &none).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMessage);
    assert_eq!(refusal(&e), &Refusal::NoUsers);
    let users: Vec<String> = (0..=MAX_BATCH_USERS).map(|i| format!("u{i}")).collect();
    assert!(m.batch_send_body("ding", &users[..20]).is_ok());
    let e = m.batch_send_body("ding", &users).unwrap_err();
    assert_eq!(refusal(&e), &Refusal::TooManyUsers { count: 21 });
}
