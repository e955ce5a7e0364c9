//! One line-break rule for markdown, however it is made: a single `\n` becomes `"  \n"` in
//! `Payload::markdown` and `Payload::action_card` as in the derive, `Newlines::Preserve` keeps
//! it in both, and a payload read from JSON (as the sandbox reads what it receives) keeps its
//! text exactly as it arrived.

use std::time::Duration;

use dingtalk_bot::markdown::Newlines;
use dingtalk_bot::{ActionCard, Markdown, Message, Payload, Robot};
use dingtalk_sandbox::Sandbox;

/// Single newlines, a paragraph, `\r\n`, a line break made already, and a newline at the end.
const WRITTEN: &str = "### v2.4\n- **ok**\n\nlogs\r\nbelow  \nend\n";
const BROKEN: &str = "### v2.4  \n- **ok**\n\nlogs  \nbelow  \nend  \n";

#[test]
fn builders_make_single_newlines_line_breaks() {
    let markdown = Payload::markdown("Deploy", WRITTEN);
    assert_eq!(markdown.text(), BROKEN);
    assert_eq!(
        markdown.to_json(),
        r####"{"msgtype":"markdown","markdown":{"title":"Deploy","text":"### v2.4  \n- **ok**\n\nlogs  \nbelow  \nend  \n"}}"####,
    );
    let card = Payload::action_card("Deploy", WRITTEN).button("Logs", "https://ci.example.com");
    assert_eq!(card.text(), BROKEN);
    // Titles, text messages and link cards are plain: DingTalk shows their newlines.
    assert_eq!(
        Payload::markdown("a\nb", "x").to_json(),
        r#"{"msgtype":"markdown","markdown":{"title":"a\nb","text":"x"}}"#
    );
    assert_eq!(Payload::text("a\nb").content(), "a\nb");
    assert_eq!(Payload::link("t", "a\nb", "https://a").text(), "a\nb");
}

#[test]
fn the_rule_made_twice_changes_nothing() {
    let once = Payload::markdown("t", WRITTEN);
    let twice = Payload::markdown("t", once.text());
    assert_eq!(twice.text(), once.text());
    let escaped = dingtalk_bot::markdown::escape("a\nb");
    assert_eq!(Payload::markdown("t", escaped.as_str()).text(), escaped);
}

#[test]
fn newlines_can_be_preserved_by_hand_as_by_the_derive() {
    let kept = Markdown::with_newlines("Deploy", WRITTEN, Newlines::Preserve);
    assert_eq!(kept.text(), WRITTEN);
    let card = ActionCard::with_newlines("Deploy", WRITTEN, Newlines::Preserve);
    assert_eq!(card.text(), WRITTEN);
    let broken = Markdown::with_newlines("Deploy", WRITTEN, Newlines::Break);
    assert_eq!(broken, Payload::markdown("Deploy", WRITTEN));
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "Deploy",
    text = "### v2.4\n- **ok**\n\nlogs\r\nbelow  \nend\n"
))]
struct Derived;

#[derive(Message)]
#[dingtalk(markdown(title = "Deploy", text = "{a}\n{b}\n\n{c}"))]
struct DerivedValues<'a> {
    a: &'a str,
    b: &'a str,
    c: &'a str,
}

#[derive(Message)]
#[dingtalk(
    markdown(title = "Deploy", text = "### v2.4\n- **ok**\n\nlogs\nbelow  \nend\n"),
    newlines = "preserve"
)]
struct DerivedPreserved;

#[derive(Message)]
#[dingtalk(action_card(title = "Deploy", text = "a\nb\n\nc"))]
#[dingtalk(button(title = "Logs", url = "https://ci.example.com"))]
struct DerivedCard;

#[test]
fn the_derive_and_the_builders_agree() {
    // A template of literal text is the same markdown as the builder's.
    assert_eq!(
        Derived.to_json(),
        Payload::markdown("Deploy", WRITTEN).to_json()
    );
    assert_eq!(
        DerivedPreserved.to_json(),
        // (A template's `\r\n` is read as `\n`.)
        Markdown::with_newlines("Deploy", WRITTEN.replace("\r\n", "\n"), Newlines::Preserve)
            .to_json()
    );
    assert_eq!(
        DerivedCard.to_json(),
        Payload::action_card("Deploy", "a\nb\n\nc")
            .button("Logs", "https://ci.example.com")
            .to_json()
    );
    // And values follow the rule too, escaped as well.
    let values = DerivedValues {
        a: "first\nsecond",
        b: "*third*",
        c: "last",
    };
    assert_eq!(
        values.to_payload().content(),
        Some("first  \nsecond  \n\\*third\\*\n\nlast")
    );
    assert_eq!(
        values.to_json(),
        Payload::markdown("Deploy", "first\nsecond\n\\*third\\*\n\nlast").to_json()
    );
}

#[test]
fn json_read_back_keeps_its_text_as_it_arrived() {
    let json = r#"{"msgtype":"markdown","markdown":{"title":"t","text":"a\nb"}}"#;
    let read = Payload::from_json(json).unwrap();
    assert_eq!(read.content(), Some("a\nb"));
    assert_eq!(read.to_json(), json);
    let json = r#"{"msgtype":"actionCard","actionCard":{"title":"t","text":"a\nb","singleTitle":"s","singleURL":"https://a","btnOrientation":"0","hideAvatar":"0"}}"#;
    let read = Payload::from_json(json).unwrap();
    assert_eq!(read.content(), Some("a\nb"));
    assert_eq!(read.to_json(), json);
}

#[tokio::test]
async fn the_sandbox_receives_the_text_as_built() {
    let sandbox = Sandbox::builder().no_rate_limit().start().await.unwrap();
    let robot: Robot = sandbox.robot_builder().build().unwrap();
    let sent: Vec<Payload> = vec![
        Payload::markdown("Deploy", "a\nb").into(),
        Markdown::with_newlines("Deploy", "a\nb", Newlines::Preserve).into(),
        Payload::action_card("Deploy", "a\nb")
            .button("Logs", "https://ci.example.com")
            .into(),
    ];
    for payload in &sent {
        robot.send(payload).await.unwrap();
    }
    let received = sandbox.wait_for(3, Duration::from_secs(5)).await.unwrap();
    let texts: Vec<Option<&str>> = received.iter().map(|r| r.payload().content()).collect();
    assert_eq!(texts, [Some("a  \nb"), Some("a\nb"), Some("a  \nb")]);
    // What was built is what arrived.
    for (sent, received) in sent.iter().zip(&received) {
        assert_eq!(received.payload(), sent);
    }
}
