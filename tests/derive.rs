//! `#[derive(Message)]`: the exact payload of every kind and feature.

use std::fmt;

use dingtalk_bot::{Button, FeedLink, Message, Payload, RawMarkdown};
use serde_json::{Value, json};

fn json_of(message: &impl Message) -> Value {
    serde_json::from_str(&message.to_payload().to_json()).unwrap()
}

#[derive(Clone, Copy)]
enum Status {
    Ok,
    Failed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        })
    }
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "Deploy {service}: {status}",
    text = "### {service} {version}\n- status: **{status}**\n- [logs]({logs_url})",
))]
struct Deployed {
    service: String,
    version: String,
    status: Status,
    logs_url: String,
    #[dingtalk(at_mobiles)]
    oncall: Vec<String>,
}

#[test]
fn markdown_with_mentions() {
    let d = Deployed {
        service: "billing".into(),
        version: "v2.4".into(),
        status: Status::Ok,
        logs_url: "https://ci.example.com/logs?id=7&x=a_b".into(),
        oncall: vec!["13800000000".into()],
    };
    assert_eq!(
        json_of(&d),
        json!({
            "msgtype": "markdown",
            "markdown": {
                "title": "Deploy billing: ok",
                "text": "### billing v2.4  \n- status: **ok**  \n- [logs](https://ci.example.com/logs?id=7&x=a_b)\n\n@13800000000"
            },
            "at": {"atMobiles": ["13800000000"]}
        })
    );
}

#[derive(Message)]
#[dingtalk(action_card(
    title = "Leave request from {who}",
    path = "tests/templates/leave.md",
    orientation = "horizontal"
))]
#[dingtalk(button(title = "Approve", url = "{approve_url}"))]
#[dingtalk(button(title = "Reject", url = "https://hr.example.com/leave/{id}/reject"))]
struct LeaveRequest {
    who: String,
    days: u32,
    note: Option<String>,
    id: String,
    approve_url: String,
}

#[test]
fn action_card_from_a_file_with_buttons() {
    let leave = LeaveRequest {
        who: "Alice".into(),
        days: 3,
        note: Some("back on *Monday*".into()),
        id: "a b/c".into(),
        approve_url: "https://hr.example.com/leave/1/approve".into(),
    };
    assert_eq!(
        json_of(&leave),
        json!({"msgtype": "actionCard", "actionCard": {
            "title": "Leave request from Alice",
            "text": "### Leave request\n\n**Alice** asks for 3 days off.  \n> back on \\*Monday\\*  \n",
            "btns": [
                {"title": "Approve", "actionURL": "https://hr.example.com/leave/1/approve"},
                {"title": "Reject", "actionURL": "https://hr.example.com/leave/a%20b%2Fc/reject"}
            ],
            "btnOrientation": "1",
            "hideAvatar": "0"
        }})
    );
}

#[derive(Message)]
#[dingtalk(text(content = "CPU {cpu:.1}% on {host}"))]
struct CpuHigh {
    cpu: f64,
    host: String,
}

#[test]
fn text_with_a_format_spec() {
    let m = CpuHigh {
        cpu: 97.345,
        host: "db-1".into(),
    };
    assert_eq!(
        m.to_payload().to_json(),
        r#"{"msgtype":"text","text":{"content":"CPU 97.3% on db-1"}}"#
    );
}

#[derive(Message)]
#[dingtalk(markdown(title = "{title}", text = "{body}\n\n{summary}"))]
struct Escaping<'a> {
    title: &'a str,
    body: &'a str,
    #[dingtalk(raw)]
    summary: &'a str,
}

#[test]
fn values_are_escaped_in_markdown_but_not_in_titles() {
    let m = Escaping {
        title: "# *t*",
        body: "# hi\n- [x](y) <font>",
        summary: "**raw**",
    };
    let p = json_of(&m);
    assert_eq!(p["markdown"]["title"], "# *t*");
    assert_eq!(
        p["markdown"]["text"],
        "\\# hi  \n\\- \\[x\\](y) &lt;font&gt;\n\n**raw**"
    );
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "Report",
    text = "{#each checks as c}- {c.name}: {c.result}\n{/each}{footer}"
))]
struct Report<T: fmt::Display> {
    checks: Vec<Check>,
    footer: RawMarkdown<T>,
}

struct Check {
    name: &'static str,
    result: Status,
}

#[test]
fn loops_generics_and_raw_wrappers() {
    let r = Report {
        checks: vec![
            Check {
                name: "unit",
                result: Status::Ok,
            },
            Check {
                name: "e2e",
                result: Status::Failed,
            },
        ],
        footer: RawMarkdown("**2** checks"),
    };
    assert_eq!(
        json_of(&r)["markdown"]["text"],
        "- unit: ok  \n- e2e: failed  \n**2** checks"
    );
}

#[derive(Message)]
enum Alert {
    #[dingtalk(markdown(
        title = "FIRING {name}",
        text = "**{name}** is firing{#if value}: {value}{/if}"
    ))]
    #[dingtalk(at_all)]
    Firing { name: String, value: Option<f64> },
    #[dingtalk(text(content = "resolved: {name}"))]
    Resolved { name: String },
}

#[test]
fn enums_carry_a_layout_per_variant() {
    let firing = Alert::Firing {
        name: "cpu".into(),
        value: Some(0.97),
    };
    assert_eq!(
        json_of(&firing),
        json!({"msgtype": "markdown", "markdown": {"title": "FIRING cpu", "text": "**cpu** is firing: 0.97"}, "at": {"isAtAll": true}})
    );
    let firing = Alert::Firing {
        name: "cpu".into(),
        value: None,
    };
    assert_eq!(json_of(&firing)["markdown"]["text"], "**cpu** is firing");
    assert_eq!(
        json_of(&Alert::Resolved { name: "cpu".into() }),
        json!({"msgtype": "text", "text": {"content": "resolved: cpu"}})
    );
}

#[derive(Message)]
#[dingtalk(link(
    title = "{title}",
    text = "build {n}",
    message_url = "https://ci.example.com/b/{n}",
    pic_url = "{pic}"
))]
#[dingtalk(pc_slide = true)]
struct Build {
    title: String,
    n: u32,
    pic: String,
}

#[test]
fn links_open_in_the_side_panel() {
    let b = Build {
        title: "CI".into(),
        n: 42,
        pic: "https://x/p.png".into(),
    };
    assert_eq!(
        json_of(&b),
        json!({"msgtype": "link", "link": {
            "title": "CI", "text": "build 42",
            "messageUrl": "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fci.example.com%2Fb%2F42&pc_slide=true",
            "picUrl": "https://x/p.png"
        }})
    );
}

#[derive(Message)]
#[dingtalk(action_card(title = "Pick", text = "choose one", hide_avatar = true))]
struct Dynamic {
    #[dingtalk(buttons)]
    choices: Vec<Button>,
}

#[test]
fn buttons_decided_at_run_time() {
    let one = Dynamic {
        choices: vec![Button::new("A", "https://a")],
    };
    assert_eq!(json_of(&one)["actionCard"]["singleURL"], "https://a");
    let two = Dynamic {
        choices: vec![Button::new("A", "https://a"), Button::new("B", "https://b")],
    };
    assert_eq!(json_of(&two)["actionCard"]["btns"][1]["title"], "B");
    assert_eq!(json_of(&two)["actionCard"]["hideAvatar"], "1");
}

#[derive(Message)]
#[dingtalk(text(content = "{msg}"))]
struct Mentions<'a> {
    msg: &'a str,
    #[dingtalk(at_mobiles)]
    mobile: Option<String>,
    #[dingtalk(at_user_ids)]
    users: &'a [&'a str],
    #[dingtalk(at_all)]
    everyone: bool,
}

#[test]
fn mention_fields_of_every_shape() {
    let m = Mentions {
        msg: "hi",
        mobile: Some("138".into()),
        users: &["u1", "u2"],
        everyone: true,
    };
    assert_eq!(
        json_of(&m),
        json!({"msgtype": "text", "text": {"content": "hi @138 @u1 @u2"}, "at": {"atMobiles": ["138"], "atUserIds": ["u1", "u2"], "isAtAll": true}})
    );
    let none = Mentions {
        msg: "hi",
        mobile: None,
        users: &[],
        everyone: false,
    };
    assert_eq!(
        json_of(&none),
        json!({"msgtype": "text", "text": {"content": "hi"}})
    );
}

#[derive(Message)]
#[dingtalk(markdown(title = "t", text = "a\n{v}\nb"), newlines = "preserve")]
struct Preserved {
    v: &'static str,
}

#[test]
fn newlines_can_be_preserved() {
    assert_eq!(
        json_of(&Preserved { v: "x\ny" })["markdown"]["text"],
        "a\nx\ny\nb"
    );
}

mod reexport {
    pub use ::dingtalk_bot;
}

#[derive(dingtalk_bot::Message)]
#[dingtalk(crate = "reexport::dingtalk_bot", text(content = "hi {x}"))]
struct ViaReexport {
    x: u8,
}

#[test]
fn the_runtime_path_can_be_a_reexport() {
    assert_eq!(json_of(&ViaReexport { x: 7 })["text"]["content"], "hi 7");
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "{title}",
    text = "see [the run]({url}) or [job {id}](https://ci.example.com/jobs/{id}?tab=log)"
))]
struct Links<'a> {
    title: &'a str,
    url: &'a str,
    id: &'a str,
}

#[test]
fn urls_in_markdown_links_are_whole_or_encoded_not_escaped() {
    let m = Links {
        title: "t",
        url: "https://ci.example.com/runs/1_2",
        id: "a b",
    };
    assert_eq!(
        json_of(&m)["markdown"]["text"],
        "see [the run](https://ci.example.com/runs/1_2) or [job a b](https://ci.example.com/jobs/a%20b?tab=log)"
    );
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "Incident {id}",
    text = "{#if resolved}resolved{#else}**open**{/if}\n\n{#each steps as step}1. {step}\n{/each}"
))]
struct Incident {
    id: u32,
    resolved: bool,
    steps: &'static [&'static str],
}

#[test]
fn bool_sections_and_ordered_lists() {
    let open = Incident {
        id: 9,
        resolved: false,
        steps: &["page oncall", "roll back"],
    };
    assert_eq!(
        json_of(&open)["markdown"]["text"],
        "**open**\n\n1. page oncall  \n1. roll back  \n"
    );
    let done = Incident {
        id: 9,
        resolved: true,
        steps: &[],
    };
    assert_eq!(json_of(&done)["markdown"]["text"], "resolved\n\n");
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "t",
    text = "- {item}\n> {quote}\n[a]({url}) [b]({base}/runs/{id})"
))]
struct Injection<'a> {
    item: &'a str,
    quote: &'a str,
    url: &'a str,
    base: &'a str,
    id: &'a str,
}

#[test]
fn values_cannot_start_blocks_or_break_out_of_link_addresses() {
    let m = Injection {
        item: "# heading",
        quote: "1. list",
        url: "https://x/) ![img](https://evil/p.png",
        base: "https://ci.example.com",
        id: "7 8",
    };
    assert_eq!(
        json_of(&m)["markdown"]["text"],
        "- \\# heading  \n> 1\\. list  \n[a](https://x/%29%20![img]%28https://evil/p.png) [b](https://ci.example.com/runs/7%208)"
    );
}

#[derive(Message)]
#[dingtalk(action_card(title = "t", text = "x"))]
#[dingtalk(button(title = "Open", url = "{base}/approve/{id}"))]
struct UrlStart {
    base: String,
    id: u32,
}

#[test]
fn a_value_that_starts_a_url_goes_in_as_it_is() {
    let m = UrlStart {
        base: "https://hr.example.com".into(),
        id: 4,
    };
    assert_eq!(
        json_of(&m)["actionCard"]["singleURL"],
        "https://hr.example.com/approve/4"
    );
    assert_eq!(json_of(&m)["actionCard"]["singleTitle"], "Open");
    assert_eq!(json_of(&m)["actionCard"]["btnOrientation"], "0");
}

struct Host {
    port: Option<u16>,
}

#[derive(Message)]
#[dingtalk(text(content = "{#if host.port}port {host.port}{#else}no port{/if}"))]
struct HeldPath {
    host: Host,
}

#[test]
fn a_section_on_a_path_holds_its_value() {
    assert_eq!(
        json_of(&HeldPath {
            host: Host { port: Some(80) }
        })["text"]["content"],
        "port 80"
    );
    assert_eq!(
        json_of(&HeldPath {
            host: Host { port: None }
        })["text"]["content"],
        "no port"
    );
}

#[derive(Message)]
#[dingtalk(markdown(
    title = "t",
    text = "{#each items as summary}{summary} {/each}{summary}"
))]
struct Shadowed {
    items: Vec<&'static str>,
    #[dingtalk(raw)]
    summary: &'static str,
}

#[test]
fn raw_is_decided_per_binding_not_per_name() {
    let m = Shadowed {
        items: vec!["**x**"],
        summary: "**raw**",
    };
    assert_eq!(json_of(&m)["markdown"]["text"], "\\*\\*x\\*\\* **raw**");
}

#[derive(Message)]
#[dingtalk(text(content = "{type} {__dt_out}"))]
struct Hygiene {
    r#type: &'static str,
    __dt_out: u8,
    #[dingtalk(at_mobiles)]
    __dt_msg: Vec<String>,
}

#[test]
fn any_field_name_works() {
    let m = Hygiene {
        r#type: "t",
        __dt_out: 1,
        __dt_msg: vec!["138".into()],
    };
    assert_eq!(json_of(&m)["text"]["content"], "t 1 @138");
}

#[derive(Message)]
#[dingtalk(markdown(title = "t", text = "{r}"))]
struct RawRef<'a> {
    r: &'a RawMarkdown<&'a str>,
}

#[test]
fn a_reference_to_raw_markdown_is_raw() {
    let raw = RawMarkdown("**b**");
    assert_eq!(json_of(&RawRef { r: &raw })["markdown"]["text"], "**b**");
}

#[derive(Message)]
#[dingtalk(text(content = "{{{n:>4}}} {p.0}"))]
struct Specs {
    n: u8,
    p: (u8, u8),
}

#[test]
fn braces_widths_and_tuple_fields() {
    assert_eq!(
        json_of(&Specs { n: 7, p: (1, 2) })["text"]["content"],
        "{   7} 1"
    );
}

#[derive(Message)]
#[dingtalk(link(title = "t", text = "x", message_url = "https://a"))]
struct Unit;

#[test]
fn unit_structs_and_links_without_pictures() {
    assert_eq!(
        Unit.to_payload().to_json(),
        r#"{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"https://a"}}"#
    );
}

#[derive(Message)]
#[dingtalk(text(content = "a\r\nb"))]
#[dingtalk(at_all)]
struct CrLf;

#[test]
fn crlf_becomes_lf_and_at_all_on_the_container() {
    assert_eq!(
        CrLf.to_payload().to_json(),
        r#"{"msgtype":"text","text":{"content":"a\nb"},"at":{"isAtAll":true}}"#
    );
}

#[derive(Message)]
#[dingtalk(markdown(title = "t", text = "run `{command}` on {host}"))]
struct CodeSpan<'a> {
    #[dingtalk(raw)]
    command: &'a str,
    host: &'a str,
}

#[test]
fn raw_values_go_into_code_as_they_are_and_others_stay_escaped() {
    let m = CodeSpan {
        command: "cargo *build*",
        host: "db_1",
    };
    assert_eq!(
        json_of(&m)["markdown"]["text"],
        "run `cargo *build*` on db\\_1"
    );
}

struct Article {
    title: &'static str,
    url: &'static str,
    pic: Option<&'static str>,
}

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(feed_link(
    title = "Release notes {version}",
    message_url = "https://example.com/notes/{version}",
    pic_url = "https://example.com/notes.png"
))]
#[dingtalk(feed_link(
    each = "articles as a",
    title = "{a.title}",
    message_url = "https://example.com/read?u={a.url}",
    pic_url = "{#if a.pic}{a.pic}{/if}"
))]
struct Digest {
    version: &'static str,
    articles: Vec<Article>,
    #[dingtalk(feed_links)]
    extra: Vec<FeedLink>,
}

#[test]
fn feed_cards_from_entries_loops_and_fields() {
    let digest = Digest {
        version: "2.4 beta",
        articles: vec![
            Article {
                title: "Rust & DingTalk",
                url: "https://blog.example.com/a b",
                pic: Some("https://blog.example.com/a.png"),
            },
            Article {
                title: "No picture",
                url: "https://blog.example.com/b",
                pic: None,
            },
        ],
        extra: vec![FeedLink::new("More", "https://example.com/more", "")],
    };
    assert_eq!(
        digest.to_payload().to_json(),
        concat!(
            r#"{"msgtype":"feedCard","feedCard":{"links":["#,
            r#"{"title":"Release notes 2.4 beta","messageURL":"https://example.com/notes/2.4%20beta","picURL":"https://example.com/notes.png"},"#,
            r#"{"title":"Rust & DingTalk","messageURL":"https://example.com/read?u=https%3A%2F%2Fblog.example.com%2Fa%20b","picURL":"https://blog.example.com/a.png"},"#,
            r#"{"title":"No picture","messageURL":"https://example.com/read?u=https%3A%2F%2Fblog.example.com%2Fb","picURL":""},"#,
            r#"{"title":"More","messageURL":"https://example.com/more","picURL":""}"#,
            r#"]}}"#
        )
    );
}

#[derive(Message)]
#[dingtalk(feed_card(), pc_slide = false)]
#[dingtalk(feed_link(each = "urls as url", title = "open {url}", message_url = "{url}"))]
struct Pages<'a> {
    urls: &'a [&'a str],
}

#[test]
fn feed_card_links_open_in_dingtalk() {
    let pages = Pages {
        urls: &[
            "https://a.example.com/x",
            "dingtalk://dingtalkclient/page/y",
        ],
    };
    assert_eq!(
        json_of(&pages),
        json!({"msgtype": "feedCard", "feedCard": {"links": [
            {"title": "open https://a.example.com/x", "messageURL": "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fa.example.com%2Fx&pc_slide=false", "picURL": ""},
            {"title": "open dingtalk://dingtalkclient/page/y", "messageURL": "dingtalk://dingtalkclient/page/y", "picURL": ""}
        ]}})
    );
}

struct Choice {
    label: String,
    id: u32,
}

#[derive(Message)]
#[dingtalk(action_card(title = "Pick a build", text = "**{n}** builds wait"))]
#[dingtalk(button(
    each = "choices as c",
    title = "#{c.id} {c.label}",
    url = "{base}/{c.id}"
))]
#[dingtalk(button(title = "None", url = "{base}/none"))]
struct Pick {
    n: usize,
    base: &'static str,
    choices: Vec<Choice>,
}

#[test]
fn buttons_can_repeat_over_items() {
    let pick = Pick {
        n: 2,
        base: "https://ci.example.com/b",
        choices: vec![
            Choice {
                label: "main".into(),
                id: 7,
            },
            Choice {
                label: "fix/x".into(),
                id: 8,
            },
        ],
    };
    assert_eq!(
        json_of(&pick),
        json!({"msgtype": "actionCard", "actionCard": {
            "title": "Pick a build",
            "text": "**2** builds wait",
            "btns": [
                {"title": "#7 main", "actionURL": "https://ci.example.com/b/7"},
                {"title": "#8 fix/x", "actionURL": "https://ci.example.com/b/8"},
                {"title": "None", "actionURL": "https://ci.example.com/b/none"}
            ],
            "btnOrientation": "0",
            "hideAvatar": "0"
        }})
    );
}

struct Release {
    notes: Vec<(&'static str, u16)>,
}

#[derive(Message)]
#[dingtalk(feed_card)]
#[dingtalk(feed_link(
    each = "release.notes as note",
    title = "{note.0}",
    message_url = "https://example.com/notes/{note.1}"
))]
struct Notes {
    release: Release,
}

#[test]
fn each_iterates_a_path() {
    let notes = Notes {
        release: Release {
            notes: vec![("Fixes", 1), ("Features", 2)],
        },
    };
    assert_eq!(
        notes.to_payload().to_json(),
        concat!(
            r#"{"msgtype":"feedCard","feedCard":{"links":["#,
            r#"{"title":"Fixes","messageURL":"https://example.com/notes/1","picURL":""},"#,
            r#"{"title":"Features","messageURL":"https://example.com/notes/2","picURL":""}"#,
            r#"]}}"#
        )
    );
}

#[derive(Message)]
#[dingtalk(transparent)]
struct Urgent(CpuHigh);

#[derive(Message)]
enum Notice<T> {
    #[dingtalk(transparent)]
    Deploy(Deployed),
    #[dingtalk(transparent)]
    Wrapped { inner: T },
    #[dingtalk(transparent)]
    Built(Payload),
    #[dingtalk(text(content = "note: {text}"), at_all)]
    Note { text: String },
}

#[test]
fn transparent_variants_are_sent_as_the_message_they_hold() {
    let cpu = || CpuHigh {
        cpu: 97.345,
        host: "db-1".into(),
    };
    let expected = cpu().to_payload().to_json();
    assert_eq!(Urgent(cpu()).to_payload().to_json(), expected);
    let wrapped: Notice<CpuHigh> = Notice::Wrapped { inner: cpu() };
    assert_eq!(wrapped.to_payload().to_json(), expected);
    let deploy: Notice<CpuHigh> = Notice::Deploy(Deployed {
        service: "billing".into(),
        version: "v2.4".into(),
        status: Status::Failed,
        logs_url: "https://ci.example.com/7".into(),
        oncall: vec!["138".into()],
    });
    assert_eq!(
        json_of(&deploy),
        json!({
            "msgtype": "markdown",
            "markdown": {
                "title": "Deploy billing: failed",
                "text": "### billing v2.4  \n- status: **failed**  \n- [logs](https://ci.example.com/7)\n\n@138"
            },
            "at": {"atMobiles": ["138"]}
        })
    );
    let built: Notice<CpuHigh> = Notice::Built(Payload::link("t", "x", "https://a").into());
    assert_eq!(
        built.to_payload().to_json(),
        r#"{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"https://a"}}"#
    );
    let note: Notice<CpuHigh> = Notice::Note { text: "hi".into() };
    assert_eq!(
        note.to_payload().to_json(),
        r#"{"msgtype":"text","text":{"content":"note: hi"},"at":{"isAtAll":true}}"#
    );
}

#[derive(Message)]
#[dingtalk(
    text(content = "db-1 is down"),
    at_mobiles = "13800000000, 13900000000",
    at_user_ids = "manager01"
)]
struct DbDown {
    #[dingtalk(at_user_ids)]
    oncall: Vec<String>,
}

#[test]
fn static_mentions_sit_beside_field_mentions() {
    let m = DbDown {
        oncall: vec!["dba7".into(), "manager01".into()],
    };
    assert_eq!(
        json_of(&m),
        json!({
            "msgtype": "text",
            "text": {"content": "db-1 is down @13800000000 @13900000000 @manager01 @dba7"},
            "at": {"atMobiles": ["13800000000", "13900000000"], "atUserIds": ["manager01", "dba7"]}
        })
    );
}

#[derive(Message)]
#[dingtalk(at_user_ids = "sre", at_all = true)]
enum Page {
    #[dingtalk(markdown(title = "SEV1 {what}", text = "**{what}** is down @sre"))]
    Sev1 { what: String },
    #[dingtalk(
        text(content = "SEV3 {what}"),
        at_all = false,
        at_mobiles = "13800000000"
    )]
    Sev3 { what: String },
}

#[test]
fn an_enums_static_mentions_apply_to_each_variant() {
    assert_eq!(
        json_of(&Page::Sev1 { what: "api".into() }),
        json!({
            "msgtype": "markdown",
            "markdown": {"title": "SEV1 api", "text": "**api** is down @sre"},
            "at": {"atUserIds": ["sre"], "isAtAll": true}
        })
    );
    assert_eq!(
        json_of(&Page::Sev3 { what: "api".into() }),
        json!({
            "msgtype": "text",
            "text": {"content": "SEV3 api @13800000000 @sre"},
            "at": {"atMobiles": ["13800000000"], "atUserIds": ["sre"]}
        })
    );
}

#[derive(Message)]
#[dingtalk(text(content = "disk full on {host}"), prefix = "[ops] ")]
struct PrefixedText {
    host: &'static str,
}

#[derive(Message)]
#[dingtalk(
    markdown(title = "Deploy {service}", text = "### {service} is live"),
    prefix = "[ops] ",
    at_all
)]
struct PrefixedMarkdown {
    service: &'static str,
}

#[derive(Message)]
#[dingtalk(
    link(
        title = "Build {n}",
        text = "failed",
        message_url = "https://ci.example.com/{n}"
    ),
    prefix = "[ops] ",
    pc_slide = true
)]
struct PrefixedLink {
    n: u32,
}

#[derive(Message)]
#[dingtalk(
    action_card(title = "Leave: {who}", text = "**{who}** asks"),
    prefix = "[ops] "
)]
#[dingtalk(button(title = "Approve", url = "https://hr.example.com/ok"))]
struct PrefixedCard {
    who: &'static str,
}

#[derive(Message)]
#[dingtalk(feed_card, prefix = "[ops] ")]
#[dingtalk(feed_link(each = "titles as t", title = "{t}", message_url = "https://e.com/{t}"))]
struct PrefixedFeed {
    titles: Vec<&'static str>,
}

#[test]
fn a_prefix_goes_where_dingtalk_looks_for_keywords() {
    assert_eq!(
        json_of(&PrefixedText { host: "db-1" }),
        json!({"msgtype": "text", "text": {"content": "[ops] disk full on db-1"}})
    );
    assert_eq!(
        json_of(&PrefixedMarkdown { service: "billing" }),
        json!({
            "msgtype": "markdown",
            "markdown": {"title": "[ops] Deploy billing", "text": "### billing is live"},
            "at": {"isAtAll": true}
        })
    );
    assert_eq!(
        json_of(&PrefixedLink { n: 7 }),
        json!({"msgtype": "link", "link": {
            "title": "[ops] Build 7",
            "text": "failed",
            "messageUrl": "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fci.example.com%2F7&pc_slide=true"
        }})
    );
    assert_eq!(
        json_of(&PrefixedCard { who: "ann" }),
        json!({"msgtype": "actionCard", "actionCard": {
            "title": "[ops] Leave: ann",
            "text": "**ann** asks",
            "btnOrientation": "0",
            "hideAvatar": "0",
            "singleTitle": "Approve",
            "singleURL": "https://hr.example.com/ok"
        }})
    );
    assert_eq!(
        json_of(&PrefixedFeed {
            titles: vec!["a", "b"]
        }),
        json!({"msgtype": "feedCard", "feedCard": {"links": [
            {"title": "[ops] a", "messageURL": "https://e.com/a", "picURL": ""},
            {"title": "b", "messageURL": "https://e.com/b", "picURL": ""}
        ]}})
    );
    // A feed card without entries has nowhere to put it, and is sent as it is (and refused).
    assert_eq!(
        json_of(&PrefixedFeed { titles: vec![] }),
        json!({"msgtype": "feedCard", "feedCard": {"links": []}})
    );
}

#[derive(Message)]
#[dingtalk(prefix = "[ops] ")]
enum Ops {
    #[dingtalk(text(content = "{host} is down"))]
    Down { host: &'static str },
    #[dingtalk(markdown(title = "Deploy", text = "done"), prefix = "[deploy] ")]
    Deploy,
    #[dingtalk(text(content = "[ops] already prefixed"))]
    Written,
}

#[test]
fn an_enums_prefix_applies_to_each_variant_unless_it_has_its_own() {
    assert_eq!(
        json_of(&Ops::Down { host: "db-1" }),
        json!({"msgtype": "text", "text": {"content": "[ops] db-1 is down"}})
    );
    assert_eq!(
        json_of(&Ops::Deploy),
        json!({"msgtype": "markdown", "markdown": {"title": "[deploy] Deploy", "text": "done"}})
    );
    assert_eq!(
        json_of(&Ops::Written),
        json!({"msgtype": "text", "text": {"content": "[ops] already prefixed"}})
    );
}

/// Generated code sets off no lint a crate may turn on: every lint that applies to code in
/// bodies is denied here, rustc's allowed-by-default ones and clippy's pedantic and nursery
/// groups (checked by `cargo clippy --all-targets -- -D warnings`). Deprecated types and fields
/// are no warning either, since deriving is no use of them.
#[deny(
    warnings,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    absolute_paths_not_starting_with_crate,
    elided_lifetimes_in_paths,
    explicit_outlives_requirements,
    let_underscore_drop,
    meta_variable_misuse,
    redundant_imports,
    redundant_lifetimes,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unit_bindings,
    unsafe_code,
    unused_import_braces,
    unused_lifetimes,
    unused_qualifications,
    unused_results,
    variant_size_differences
)]
mod lints {
    use dingtalk_bot::{Button, FeedLink, Message, Payload, RawMarkdown};

    pub struct Item<'a> {
        title: &'a str,
        id: u32,
    }

    #[derive(Message)]
    #[dingtalk(markdown(
        title = "{title}",
        text = "{#if _note}> {_note}\n{/if}{#each items as item}- {item.0:>3} `{code}` [x]({url})\n{/each}{raw}"
    ))]
    #[dingtalk(newlines = "preserve")]
    pub struct Everything<'a, T: std::fmt::Display> {
        title: &'a str,
        _note: Option<String>,
        items: Vec<(u8, T)>,
        #[dingtalk(raw)]
        code: &'a str,
        url: String,
        raw: RawMarkdown<&'a str>,
        #[dingtalk(at_mobiles)]
        mobiles: Vec<String>,
        #[dingtalk(at_user_ids)]
        users: Option<String>,
        #[dingtalk(at_all)]
        _everyone: bool,
    }

    #[derive(Message)]
    pub enum Kinds {
        #[dingtalk(action_card(title = "t", text = "x", orientation = "horizontal"))]
        #[dingtalk(button(title = "{label}", url = "{base}/a/{id}"), pc_slide = false)]
        #[dingtalk(prefix = "[ops] ")]
        Card {
            label: String,
            base: String,
            id: u32,
            #[dingtalk(buttons)]
            more: Vec<Button>,
        },
        #[dingtalk(
            link(
                title = "t",
                text = "x",
                message_url = "https://a/{n}",
                pic_url = "{pic}"
            ),
            prefix = "[ops] "
        )]
        Link { n: u64, pic: String },
        #[dingtalk(text(content = "plain"), at_all)]
        Unit,
        #[dingtalk(feed_card, pc_slide = true)]
        #[dingtalk(feed_link(title = "{title}", message_url = "https://a/{title}"))]
        #[dingtalk(feed_link(
            each = "items as item",
            title = "{item.title}",
            message_url = "https://a/{item.id}",
            pic_url = "https://a/{item.id}.png"
        ))]
        Feed {
            title: String,
            items: Vec<Item<'static>>,
            #[dingtalk(feed_links)]
            more: Vec<FeedLink>,
        },
        #[dingtalk(action_card(title = "t", text = "x"))]
        #[dingtalk(button(each = "items as item", title = "{item.title}", url = "{item.title}"))]
        Looped { items: Vec<Item<'static>> },
        #[dingtalk(transparent)]
        Held(Payload),
        #[dingtalk(transparent)]
        Named { inner: Box<Self> },
        #[dingtalk(
            markdown(title = "t", text = "x"),
            at_mobiles = "138",
            at_user_ids = "u1,u2",
            at_all = true
        )]
        Static,
    }

    #[derive(Message)]
    pub enum Generic<'a, T, U: Message>
    where
        T: std::fmt::Display,
    {
        #[dingtalk(transparent)]
        Inner(&'a U),
        #[dingtalk(text(content = "{t}"))]
        Shown { t: T },
    }

    #[deprecated = "to see that deriving is no use of it"]
    #[derive(Message)]
    #[dingtalk(text(content = "{old}"))]
    pub struct Deprecated {
        old: u8,
    }

    #[derive(Message)]
    pub enum DeprecatedParts {
        #[deprecated = "to see that deriving is no use of it"]
        #[dingtalk(text(content = "{v}"))]
        Gone { v: u8 },
        #[dingtalk(text(content = "{kept}"))]
        Kept {
            #[deprecated = "to see that deriving is no use of it"]
            kept: u8,
        },
    }

    #[test]
    #[allow(deprecated)]
    fn every_feature_derives_without_a_lint() {
        let everything = Everything {
            title: "t",
            _note: None,
            items: vec![(1, "a")],
            code: "c",
            url: "https://x".into(),
            raw: RawMarkdown("**r**"),
            mobiles: vec![],
            users: None,
            _everyone: false,
        };
        assert!(everything.to_payload().to_json().contains("`c`"));
        let card = Kinds::Card {
            label: "l".into(),
            base: "https://b".into(),
            id: 1,
            more: vec![],
        };
        let link = Kinds::Link {
            n: 1,
            pic: "https://p".into(),
        };
        let feed = Kinds::Feed {
            title: "t".into(),
            items: vec![Item { title: "i", id: 1 }],
            more: vec![],
        };
        let looped = Kinds::Looped {
            items: vec![Item { title: "i", id: 1 }],
        };
        let held = Kinds::Held(Payload::text("x").into());
        let named = Kinds::Named {
            inner: Box::new(Kinds::Unit),
        };
        for kind in [
            card,
            link,
            Kinds::Unit,
            feed,
            looped,
            held,
            named,
            Kinds::Static,
        ] {
            assert!(!kind.to_payload().to_json().is_empty());
        }
        let inner = Kinds::Unit;
        let generic: Generic<'_, u8, Kinds> = Generic::Inner(&inner);
        assert!(generic.to_payload().to_json().contains("plain"));
        let shown: Generic<'_, u8, Kinds> = Generic::Shown { t: 1 };
        assert!(shown.to_payload().to_json().contains('1'));
        assert!(Deprecated { old: 1 }.to_payload().to_json().contains('1'));
        assert!(
            DeprecatedParts::Gone { v: 2 }
                .to_payload()
                .to_json()
                .contains('2')
        );
        assert!(
            DeprecatedParts::Kept { kept: 3 }
                .to_payload()
                .to_json()
                .contains('3')
        );
    }
}
