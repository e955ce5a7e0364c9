//! `#[derive(Message)]`: the exact payload of every kind and feature.

use std::fmt;

use dingtalk_bot::{Button, Message, RawMarkdown};
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
    use dingtalk_bot::{Button, Message, RawMarkdown};

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
        Card {
            label: String,
            base: String,
            id: u32,
            #[dingtalk(buttons)]
            more: Vec<Button>,
        },
        #[dingtalk(link(
            title = "t",
            text = "x",
            message_url = "https://a/{n}",
            pic_url = "{pic}"
        ))]
        Link { n: u64, pic: String },
        #[dingtalk(text(content = "plain"), at_all)]
        Unit,
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
        for kind in [card, link, Kinds::Unit] {
            assert!(!kind.to_payload().to_json().is_empty());
        }
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
