//! # `#[derive(Message)]` reference
//!
//! `#[derive(Message)]` implements [`Message`](crate::Message) for a struct or an enum from a
//! *layout*: the kind of message it is, and a template for each of its parts. Templates name the
//! type's fields; the compiler checks the layout against DingTalk's rules, and each template is
//! rendered straight into the message's text, with values escaped by where they stand.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Deploy {service}", text = "**{service}** {version} is live"))]
//! struct Deployed {
//!     service: String,
//!     version: String,
//! }
//!
//! let deployed = Deployed { service: "billing".into(), version: "v2.4".into() };
//! assert_eq!(
//!     deployed.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"Deploy billing","text":"**billing** v2.4 is live"}}"#,
//! );
//! ```
//!
//! This page lists everything the derive takes. In order:
//!
//! - [Kinds](#kinds): `markdown`, `action_card`, `text`, `link`, `feed_card`, and their parts;
//! - [Type and variant attributes](#type-and-variant-attributes), [field
//!   attributes](#field-attributes) and what types each accepts;
//! - [Enums](#enums), [`transparent`](#transparent-variants) variants and
//!   [generics](#generics-and-references);
//! - [Templates](#templates): `{a.b}`, format specs, `{#if}`, `{#each … as …}`, files;
//! - [Escaping by placement](#escaping-by-placement) and [line breaks](#line-breaks);
//! - [Mentions](#mentions);
//! - [Checked when the program compiles](#checked-when-the-program-compiles);
//! - [The `markdown!` macro](#the-markdown-macro): the same templates, for markdown built by
//!   hand.
//!
//! Every attribute is written `#[dingtalk(…)]`; several may be given in one attribute, separated by
//! commas, or in several attributes, as reads best.
//!
//! # Kinds
//!
//! A struct, or each variant of an enum, has exactly one kind. Its parts are templates (string
//! literals), except where noted. Each part is written in one of three *roles*, which decide how a
//! value placed in it is written ([escaping by placement](#escaping-by-placement)): **plain** text,
//! **markdown**, or an **address**.
//!
//! | kind | parts | role of each part | mentions |
//! |---|---|---|---|
//! | `markdown(title, text \| path)` | `title`: the preview in the chat list and the notification; `text`: the message | title plain, text markdown | yes |
//! | `action_card(title, text \| path, orientation, hide_avatar)` + buttons | `orientation = "vertical"` (default) or `"horizontal"`; `hide_avatar = false` (default) or `true` | title plain, text markdown; a button's title plain, its `url` an address | no |
//! | `text(content \| path)` | the message | plain | yes |
//! | `link(title, text, message_url, pic_url)` | `pic_url` optional | title and text plain; `message_url` and `pic_url` addresses | no |
//! | `feed_card` + feed links | no parts of its own (`feed_card` or `feed_card()`) | a link's title plain; its `message_url` and `pic_url` addresses | no |
//!
//! `path = "…"` in place of `text` (or `content`) reads the template from a file, relative to the
//! crate's directory (where its `Cargo.toml` is); the crate is rebuilt when the file changes.
//!
//! ## `markdown`
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(
//!     title = "Disk {host}: {used}%",
//!     text = "### Disk on {host}\n- used: **{used}%**\n- [dashboard]({dashboard})",
//! ))]
//! struct DiskFull {
//!     host: String,
//!     used: u8,
//!     dashboard: String,
//! }
//!
//! let disk = DiskFull {
//!     host: "db-1".into(),
//!     used: 97,
//!     dashboard: "https://grafana.example.com/d/disk".into(),
//! };
//! assert_eq!(
//!     disk.to_payload().to_json(),
//!     r####"{"msgtype":"markdown","markdown":{"title":"Disk db-1: 97%","text":"### Disk on db-1  \n- used: **97%**  \n- [dashboard](https://grafana.example.com/d/disk)"}}"####,
//! );
//! ```
//!
//! (Each single `\n` became `"  \n"`, a line break DingTalk shows: see [line breaks](#line-breaks).)
//!
//! ## `action_card`
//!
//! An action card is markdown with buttons below it, and needs at least one. Write each button
//! beside the kind, `button(title = "…", url = "…")`, in the order they show; add
//! `each = "items as item"` to repeat one per item ([buttons and feed links from a
//! list](#buttons-and-feed-links-from-a-list)); mark a field `#[dingtalk(buttons)]` for buttons
//! built at run time. One button gives DingTalk's single-button card (`singleTitle`,
//! `singleURL`), several a list (`btns`).
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(action_card(
//!     title = "Leave request from {who}",
//!     text = "**{who}** asks for {days} days",
//!     orientation = "horizontal",
//! ))]
//! #[dingtalk(button(title = "Approve", url = "https://hr.example.com/leave/{id}/approve"))]
//! #[dingtalk(button(title = "Reject", url = "https://hr.example.com/leave/{id}/reject"))]
//! struct LeaveRequest {
//!     who: String,
//!     days: u32,
//!     id: u32,
//! }
//!
//! let leave = LeaveRequest { who: "Alice".into(), days: 3, id: 7 };
//! assert_eq!(
//!     leave.to_payload().to_json(),
//!     r#"{"msgtype":"actionCard","actionCard":{"title":"Leave request from Alice","text":"**Alice** asks for 3 days","btns":[{"title":"Approve","actionURL":"https://hr.example.com/leave/7/approve"},{"title":"Reject","actionURL":"https://hr.example.com/leave/7/reject"}],"btnOrientation":"1","hideAvatar":"0"}}"#,
//! );
//! ```
//!
//! The card's text may come from a file (this one is `tests/templates/leave.md` in this crate's
//! repository), and buttons from a field:
//!
//! ```rust
//! use dingtalk_bot::{Button, Message};
//!
//! #[derive(Message)]
//! #[dingtalk(action_card(title = "Leave request from {who}", path = "tests/templates/leave.md"))]
//! struct LeaveRequest {
//!     who: String,
//!     days: u32,
//!     note: Option<String>,
//!     #[dingtalk(buttons)]
//!     actions: Vec<Button>,
//! }
//!
//! let leave = LeaveRequest {
//!     who: "Alice".into(),
//!     days: 3,
//!     note: None,
//!     actions: vec![Button::new("Open", "https://hr.example.com/leave/7")],
//! };
//! assert_eq!(
//!     leave.to_payload().to_json(),
//!     r####"{"msgtype":"actionCard","actionCard":{"title":"Leave request from Alice","text":"### Leave request\n\n**Alice** asks for 3 days off.  \n","singleTitle":"Open","singleURL":"https://hr.example.com/leave/7","btnOrientation":"0","hideAvatar":"0"}}"####,
//! );
//! ```
//!
//! ## `text`
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(text(content = "CPU {cpu:.1}% on {host}"))]
//! struct CpuHigh {
//!     cpu: f64,
//!     host: String,
//! }
//!
//! let cpu = CpuHigh { cpu: 97.345, host: "db-1".into() };
//! assert_eq!(
//!     cpu.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"CPU 97.3% on db-1"}}"#,
//! );
//! ```
//!
//! ## `link`
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(link(
//!     title = "Build {n} passed",
//!     text = "{branch} is green",
//!     message_url = "https://ci.example.com/builds/{n}",
//!     pic_url = "https://ci.example.com/badge.png",
//! ))]
//! struct BuildPassed {
//!     n: u32,
//!     branch: String,
//! }
//!
//! let build = BuildPassed { n: 42, branch: "main".into() };
//! assert_eq!(
//!     build.to_payload().to_json(),
//!     r#"{"msgtype":"link","link":{"title":"Build 42 passed","text":"main is green","messageUrl":"https://ci.example.com/builds/42","picUrl":"https://ci.example.com/badge.png"}}"#,
//! );
//! ```
//!
//! ## `feed_card`
//!
//! A feed card is a list of links, each with a title, an address and a picture. As an action
//! card's buttons are, its links are written beside the kind, in the order they show:
//! `feed_link(title = "…", message_url = "…", pic_url = "…")`, the picture optional. (An entry is
//! `feed_link`, not `link`, since `link(…)` is the link card.) `each = "items as item"` repeats
//! one per item, and a field marked `#[dingtalk(feed_links)]` adds entries built at run time
//! ([`FeedLink`](crate::FeedLink)s). A feed card needs at least one.
//!
//! ```rust
//! use dingtalk_bot::{FeedLink, Message};
//!
//! struct Article {
//!     title: String,
//!     slug: String,
//! }
//!
//! #[derive(Message)]
//! #[dingtalk(feed_card)]
//! #[dingtalk(feed_link(
//!     title = "Release notes {version}",
//!     message_url = "https://example.com/notes/{version}",
//!     pic_url = "https://example.com/notes.png",
//! ))]
//! #[dingtalk(feed_link(
//!     each = "articles as article",
//!     title = "{article.title}",
//!     message_url = "https://blog.example.com/{article.slug}",
//! ))]
//! struct Weekly {
//!     version: String,
//!     articles: Vec<Article>,
//!     #[dingtalk(feed_links)]
//!     sponsored: Vec<FeedLink>,
//! }
//!
//! let weekly = Weekly {
//!     version: "2.4".into(),
//!     articles: vec![
//!         Article { title: "Signing, explained".into(), slug: "signing".into() },
//!         Article { title: "Rate limits".into(), slug: "limits".into() },
//!     ],
//!     sponsored: vec![FeedLink::new("Meetup", "https://meetup.example.com", "")],
//! };
//! assert_eq!(
//!     weekly.to_payload().to_json(),
//!     concat!(
//!         r#"{"msgtype":"feedCard","feedCard":{"links":["#,
//!         r#"{"title":"Release notes 2.4","messageURL":"https://example.com/notes/2.4","picURL":"https://example.com/notes.png"},"#,
//!         r#"{"title":"Signing, explained","messageURL":"https://blog.example.com/signing","picURL":""},"#,
//!         r#"{"title":"Rate limits","messageURL":"https://blog.example.com/limits","picURL":""},"#,
//!         r#"{"title":"Meetup","messageURL":"https://meetup.example.com","picURL":""}"#,
//!         r#"]}}"#,
//!     ),
//! );
//! ```
//!
//! ## Buttons and feed links from a list
//!
//! `each = "items as item"` on a `button(…)` or a `feed_link(…)` makes one entry per item of the
//! field `items`, with `item` in scope in the entry's templates, as in the templates'
//! [`{#each items as item}`](#each). `items` is any field that iterates by reference
//! (`Vec<T>`, `&[T]`, `Option<T>`, a map…), and may be a path (`each = "report.checks as
//! check"`). Entries are sent in the order written, an entry with `each` standing where it is
//! written, followed by those of `buttons` or `feed_links` fields.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! struct Choice {
//!     label: String,
//!     id: u32,
//! }
//!
//! #[derive(Message)]
//! #[dingtalk(action_card(title = "Pick a build", text = "{n} builds wait for you"))]
//! #[dingtalk(button(each = "choices as c", title = "#{c.id} {c.label}", url = "{base}/{c.id}"))]
//! #[dingtalk(button(title = "None of them", url = "{base}/none"))]
//! struct Pick {
//!     n: usize,
//!     base: String,
//!     choices: Vec<Choice>,
//! }
//!
//! let pick = Pick {
//!     n: 2,
//!     base: "https://ci.example.com/b".into(),
//!     choices: vec![
//!         Choice { label: "main".into(), id: 7 },
//!         Choice { label: "fix login".into(), id: 8 },
//!     ],
//! };
//! assert_eq!(
//!     pick.to_payload().to_json(),
//!     r##"{"msgtype":"actionCard","actionCard":{"title":"Pick a build","text":"2 builds wait for you","btns":[{"title":"#7 main","actionURL":"https://ci.example.com/b/7"},{"title":"#8 fix login","actionURL":"https://ci.example.com/b/8"},{"title":"None of them","actionURL":"https://ci.example.com/b/none"}],"btnOrientation":"0","hideAvatar":"0"}}"##,
//! );
//! ```
//!
//! An empty list gives no entry: a card whose only buttons come from an empty list is refused
//! when it is sent ([`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage)), as DingTalk
//! would refuse it.
//!
//! # Type and variant attributes
//!
//! On a struct, or on a variant of an enum:
//!
//! | attribute | takes | does |
//! |---|---|---|
//! | `markdown(…)`, `action_card(…)`, `text(…)`, `link(…)`, `feed_card` | the kind's parts ([kinds](#kinds)) | the message's kind: exactly one |
//! | `button(title = "…", url = "…")` | templates; `each = "items as item"` | a button of an `action_card`; repeat the attribute for more |
//! | `feed_link(title = "…", message_url = "…", pic_url = "…")` | templates, `pic_url` optional; `each = "items as item"` | an entry of a `feed_card`; repeat for more |
//! | `transparent` | no value | on a variant (or a struct) with one field whose type implements `Message`: sent as that message ([below](#transparent-variants)) |
//! | `at_mobiles = "…"`, `at_user_ids = "…"` | ids separated by commas (`"13800000000,13900000000"`) | mentions these people, always ([mentions](#mentions)); `text` and `markdown` only |
//! | `at_all`, `at_all = true \| false` | nothing, or a `bool` | mentions everyone; `text` and `markdown` only |
//! | `pc_slide = true \| false` | a `bool` | the message's links open inside DingTalk: in the desktop side panel with `true`, in its browser with `false` ([`pc_slide`](crate::Payload::pc_slide)); `link`, `action_card` and `feed_card` only |
//! | `prefix = "…"` | a string, not empty | put before the first text a reader sees, where DingTalk's keyword check finds it: a text's content; the title of a `markdown`, `link` or `action_card`; a `feed_card`'s first entry; not twice ([`Payload::prefixed`](crate::Payload::prefixed), [below](#a-keyword-prefix)) |
//! | `newlines = "preserve"` (or `"break"`, the default) | a string | keep single newlines in markdown as they are, instead of making them line breaks ([line breaks](#line-breaks)) |
//! | `allow_unrendered_markdown` | no value | allow markdown DingTalk does not render (tables, rules, fenced code, strikethrough) in the templates |
//! | `crate = "path::to::dingtalk_bot"` | a path | where generated code finds this crate, for crates that re-export it; on the type (the enum), not on a variant |
//!
//! On an enum, the kind, buttons, feed links and `transparent` go on each variant; the options
//! (`at_all`, `at_mobiles`, `at_user_ids`, `pc_slide`, `prefix`, `newlines`,
//! `allow_unrendered_markdown`) may go on the enum, and then apply to every variant. A variant's
//! own `at_all`, `pc_slide`, `prefix` and `newlines` take the place of the enum's; its
//! `at_mobiles` and `at_user_ids` are added to the enum's.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(link(
//!     title = "Build {n}",
//!     text = "finished",
//!     message_url = "https://ci.example.com/builds/{n}",
//! ), pc_slide = true)]
//! struct BuildDone {
//!     n: u32,
//! }
//!
//! assert_eq!(
//!     BuildDone { n: 42 }.to_payload().to_json(),
//!     r#"{"msgtype":"link","link":{"title":"Build 42","text":"finished","messageUrl":"dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fci.example.com%2Fbuilds%2F42&pc_slide=true"}}"#,
//! );
//! ```
//!
//! ## A keyword prefix
//!
//! A robot secured by keywords sends only messages that hold one. `prefix = "[ops] "` puts it
//! where DingTalk looks, once, instead of in every template: before a text's content, the title
//! of a markdown message, a link or an action card (their markdown is left as it is, so a
//! heading stays a heading), or a feed card's first entry. A text that starts with the prefix
//! already is left as it is. An enum's `prefix` applies to every variant; a variant's own takes
//! its place. [`RobotBuilder::prefix_keyword`](crate::RobotBuilder::prefix_keyword) does the same
//! to every message a robot sends; given the same prefix, the two put it there once.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(prefix = "[ops] ")]
//! enum Ops {
//!     #[dingtalk(text(content = "{host} is down"))]
//!     Down { host: String },
//!     #[dingtalk(markdown(title = "Deploy {service}", text = "**{service}** is live"))]
//!     Deployed { service: String },
//!     #[dingtalk(text(content = "deploy started"), prefix = "[deploy] ")]
//!     Started,
//! }
//!
//! assert_eq!(
//!     Ops::Down { host: "db-1".into() }.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"[ops] db-1 is down"}}"#,
//! );
//! assert_eq!(
//!     Ops::Deployed { service: "billing".into() }.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"[ops] Deploy billing","text":"**billing** is live"}}"#,
//! );
//! assert_eq!(
//!     Ops::Started.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"[deploy] deploy started"}}"#,
//! );
//! ```
//!
//! A `transparent` variant takes no `prefix`, and the enum's cannot apply to it: it is sent as
//! the message its field holds, which gets one from its own type.
//!
//! `crate = "…"` for a crate that re-exports this one:
//!
//! ```rust
//! mod reexport {
//!     pub(crate) use ::dingtalk_bot;
//! }
//!
//! #[derive(reexport::dingtalk_bot::Message)]
//! #[dingtalk(crate = "reexport::dingtalk_bot", text(content = "backup done"))]
//! struct BackupDone;
//!
//! use dingtalk_bot::Message;
//! assert_eq!(
//!     BackupDone.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"backup done"}}"#,
//! );
//! ```
//!
//! # Field attributes
//!
//! Fields need no attribute to be used in templates: any field a template names is written with
//! its [`Display`](std::fmt::Display) (or the format spec given). These mark fields that do more:
//!
//! | attribute | field type | does |
//! |---|---|---|
//! | `at_mobiles`, `at_user_ids` | anything that iterates strings by reference: `Vec<String>`, `Vec<&str>`, `&[&str]`, `Option<String>`, a set… | mentions the people it holds ([mentions](#mentions)); `text` and `markdown` only |
//! | `at_all` | `bool` | mentions everyone when `true`; `text` and `markdown` only |
//! | `buttons` | anything that iterates [`Button`](crate::Button)s by reference: `Vec<Button>`, `&[Button]`, `Option<Button>` | adds these buttons after those written on the type; `action_card` only |
//! | `feed_links` | anything that iterates [`FeedLink`](crate::FeedLink)s by reference | adds these entries after those written on the type; `feed_card` only |
//! | `raw` | any `Display` | written into markdown as it is, not escaped, and allowed inside code spans and fences: for trusted markdown |
//!
//! A value of type [`RawMarkdown`](crate::RawMarkdown) is written as it is too, wherever it is
//! used; `raw` marks a field of any type.
//!
//! ```rust
//! use dingtalk_bot::{Message, RawMarkdown};
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Report", text = "run `{command}`: {summary}\n\n{details}"))]
//! struct Report<'a> {
//!     #[dingtalk(raw)]
//!     command: &'a str,
//!     summary: &'a str,
//!     details: RawMarkdown<&'a str>,
//!     #[dingtalk(at_user_ids)]
//!     owners: &'a [&'a str],
//!     #[dingtalk(at_all)]
//!     everyone: bool,
//! }
//!
//! let report = Report {
//!     command: "cargo test --all",
//!     summary: "3 *failed*",
//!     details: RawMarkdown("**see** the [log](https://ci.example.com/7)"),
//!     owners: &["manager01"],
//!     everyone: false,
//! };
//! assert_eq!(
//!     report.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"Report","text":"run `cargo test --all`: 3 \\*failed\\*\n\n**see** the [log](https://ci.example.com/7)\n\n@manager01"},"at":{"atUserIds":["manager01"]}}"#,
//! );
//! ```
//!
//! # Enums
//!
//! An enum carries a layout per variant: each variant is a message of its own kind, with its own
//! fields. Variants have named fields or none.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(at_user_ids = "sre01")]
//! enum Alert {
//!     #[dingtalk(markdown(title = "FIRING {name}", text = "**{name}** is firing{#if value}: {value}{/if}"))]
//!     #[dingtalk(at_all)]
//!     Firing { name: String, value: Option<f64> },
//!     #[dingtalk(text(content = "resolved: {name}"))]
//!     Resolved { name: String },
//! }
//!
//! let firing = Alert::Firing { name: "cpu".into(), value: Some(0.97) };
//! assert_eq!(
//!     firing.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"FIRING cpu","text":"**cpu** is firing: 0.97\n\n@sre01"},"at":{"atUserIds":["sre01"],"isAtAll":true}}"#,
//! );
//! let resolved = Alert::Resolved { name: "cpu".into() };
//! assert_eq!(
//!     resolved.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"resolved: cpu @sre01"},"at":{"atUserIds":["sre01"]}}"#,
//! );
//! ```
//!
//! ## `transparent` variants
//!
//! `#[dingtalk(transparent)]` on a variant with exactly one field, named or not, sends the
//! message that field holds: its type implements [`Message`](crate::Message), by a derive of its
//! own or by hand ([`Payload`](crate::Payload), `Box<dyn Message>`, …). The variant takes no
//! layout and no options; the enum's `at_all`, `at_mobiles`, `at_user_ids`, `pc_slide` and
//! `prefix` cannot apply to it (they are refused), while `newlines` and `allow_unrendered_markdown` concern only
//! the enum's own templates. A struct with one field can be `transparent` too.
//!
//! ```rust
//! use dingtalk_bot::{Message, Payload};
//!
//! #[derive(Message)]
//! #[dingtalk(text(content = "disk full on {host}"))]
//! struct DiskFull {
//!     host: String,
//! }
//!
//! #[derive(Message)]
//! #[dingtalk(link(title = "Build {n}", text = "failed", message_url = "https://ci.example.com/{n}"))]
//! struct BuildFailed {
//!     n: u32,
//! }
//!
//! #[derive(Message)]
//! enum Event {
//!     #[dingtalk(transparent)]
//!     Disk(DiskFull),
//!     #[dingtalk(transparent)]
//!     Build { failed: BuildFailed },
//!     #[dingtalk(transparent)]
//!     Other(Payload),
//!     #[dingtalk(text(content = "heartbeat {n}"))]
//!     Heartbeat { n: u64 },
//! }
//!
//! let disk = Event::Disk(DiskFull { host: "db-1".into() });
//! assert_eq!(
//!     disk.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"disk full on db-1"}}"#,
//! );
//! let build = Event::Build { failed: BuildFailed { n: 7 } };
//! assert_eq!(build.to_payload(), BuildFailed { n: 7 }.to_payload());
//! let other = Event::Other(Payload::text("hand-built").into());
//! assert_eq!(other.to_payload().to_json(), r#"{"msgtype":"text","text":{"content":"hand-built"}}"#);
//! ```
//!
//! ## Generics and references
//!
//! Generic types and types that hold references derive as any other. A value a template shows must
//! be `Display`, which the compiler checks where it is used; bounds are written as usual. A
//! `transparent` field whose type names a type parameter gets its `Message` bound from the derive:
//! `Wrapped(T)` needs no `T: Message` written.
//!
//! ```rust
//! use std::fmt::Display;
//!
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(text(content = "{label}: {value}"))]
//! struct Metric<'a, T: Display> {
//!     label: &'a str,
//!     value: T,
//! }
//!
//! #[derive(Message)]
//! enum Envelope<M> {
//!     #[dingtalk(transparent)]
//!     Wrapped(M),
//!     #[dingtalk(text(content = "empty"))]
//!     Empty,
//! }
//!
//! let metric = Metric { label: "p99", value: 0.25 };
//! assert_eq!(
//!     metric.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"p99: 0.25"}}"#,
//! );
//! let wrapped = Envelope::Wrapped(metric);
//! assert_eq!(
//!     wrapped.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"p99: 0.25"}}"#,
//! );
//! assert_eq!(
//!     Envelope::<Metric<'_, f64>>::Empty.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"empty"}}"#,
//! );
//! ```
//!
//! # Templates
//!
//! A template is a string literal (or a file, with `path = "…"`) of literal text and
//! placeholders:
//!
//! ```text
//! text                         literal text; `{{` and `}}` are literal braces
//! {name}                       a field's value, as its `Display` writes it
//! {name.sub.0}                 a path into it: fields of fields, elements of tuples
//! {name:spec}                  with a format spec: {cpu:.1}, {n:>4}, {id:#x}, {v:?}
//! {#if name}…{#else}…{/if}     a `bool` or an `Option`; `{#else}…` may be left out
//! {#each items as item}…{/each}    once per item of anything that iterates by reference
//! ```
//!
//! - **Names.** A name is a field of the type (or the variant): `{type}` for a field `r#type`.
//!   Inside `{#each items as item}`, `item` is the item; inside `{#if name}`, see below. Any
//!   name that is neither is a compile error, with the field meant when one is close.
//! - **Format specs** are those [`format!`](std::fmt) takes for one value:
//!   `[[fill]align][sign][#][0][width][.precision][type]`, with the width and the precision as
//!   numbers and the type one of `?`, `x?`, `X?`, `x`, `X`, `o`, `b`, `e`, `E`.
//! - **`{#if name}`** tests a `bool` (true) or an `Option` (`Some`), or a reference to one.
//!   Inside its first branch, `{name}` is the value the `Option` holds, and `{name.sub}` a path
//!   into it; the same holds for a path, `{#if host.port}port {host.port}{/if}`.
//! - <a id="each"></a>**`{#each items as item}`** repeats its body for each item of `&items`:
//!   `Vec<T>`, `&[T]`, `Option<T>`, a map (whose items are pairs: `{item.0}`, `{item.1}`)… Items
//!   are references; `{item}` shows one, `{item.name}` a field of it.
//! - Sections nest as deep as you like. A section tag (`{#if …}`, `{#else}`, `{/if}`,
//!   `{#each …}`, `{/each}`) alone on its line, white space aside, takes the line with it, so
//!   that sections can be written on lines of their own without leaving blank lines.
//! - Templates are parsed when the program compiles; nothing is parsed when it runs.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! struct Suite {
//!     name: &'static str,
//!     runs: u32,
//! }
//!
//! struct Check {
//!     name: &'static str,
//!     ms: u32,
//!     error: Option<&'static str>,
//! }
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(
//!     title = "{suite.name}: {#if passed}passed{#else}failed{/if}",
//!     text = "### {suite.name} ({suite.runs} runs)
//! {#each checks as check}
//! - {check.name}: {check.ms:>4} ms{#if check.error} ({check.error}){/if}
//! {/each}
//! {{{checks_total} checks}}",
//! ))]
//! struct Tested {
//!     suite: Suite,
//!     passed: bool,
//!     checks: Vec<Check>,
//!     checks_total: usize,
//! }
//!
//! let tested = Tested {
//!     suite: Suite { name: "unit", runs: 3 },
//!     passed: false,
//!     checks: vec![
//!         Check { name: "parse", ms: 12, error: None },
//!         Check { name: "db", ms: 250, error: Some("timeout") },
//!     ],
//!     checks_total: 2,
//! };
//! assert_eq!(
//!     tested.to_payload().to_json(),
//!     r####"{"msgtype":"markdown","markdown":{"title":"unit: failed","text":"### unit (3 runs)  \n- parse:   12 ms  \n- db:  250 ms (timeout)  \n{2 checks}"}}"####,
//! );
//! ```
//!
//! # Escaping by placement
//!
//! A value is written by the role of the part it stands in, decided when the program compiles:
//!
//! | where the value stands | how it is written |
//! |---|---|
//! | plain text: text messages, titles, a link card's text, button and feed link titles | as it is: DingTalk shows these as plain text |
//! | markdown: a markdown message's text, an action card's text | escaped, so that it shows as written and never becomes markup |
//! | an address (`message_url`, `pic_url`, a button's `url`), or a markdown link's `(…)` | a value that starts the address goes in as it is (for a markdown link, with the characters that would end the address early encoded); a value after the start is percent-encoded |
//!
//! In markdown, `` \ * _ ` [ ] `` are backslash-escaped anywhere; `<`, `>` and `&` become
//! `&lt;`, `&gt;` and `&amp;`; a run of `~` becomes numeric references. Where a value starts a
//! line (after indentation, `> ` or a list marker only), what would start a block there is escaped
//! too: `#` before a space, `-` or `+` before a space, `-` before `-`, `=`, `1.` before a space,
//! and `|`. A value in the middle of a line keeps its `#`, `-`, `+` and `1.` as they are
//! (`issue #12`, `-5 °C`, `+86`); `!`, `.` and `:` are never touched. The rules, and the evidence
//! behind them, are in [`spec::markdown`](crate::spec::markdown); markdown built at run time gets
//! them from [`markdown::escape`](crate::markdown::escape).
//!
//! A value inside a code span or fenced code would show its escapes, so it is a compile error,
//! unless its field is `#[dingtalk(raw)]`. `#[dingtalk(raw)]` and
//! [`RawMarkdown`](crate::RawMarkdown) write trusted markdown as it is, anywhere.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(
//!     title = "{title}",
//!     text = "{line}\n- {item}\n[the run]({url}) · [job](https://ci.example.com/jobs/{job})",
//! ))]
//! struct Escaped<'a> {
//!     title: &'a str,
//!     line: &'a str,
//!     item: &'a str,
//!     url: &'a str,
//!     job: &'a str,
//! }
//!
//! let escaped = Escaped {
//!     title: "# *titles* stay as written",
//!     line: "# not a heading, <b>not bold</b> & *not emphasis*",
//!     item: "1. issue #12, -5 °C",
//!     url: "https://ci.example.com/runs/7_8",
//!     job: "build & test",
//! };
//! assert_eq!(
//!     escaped.to_payload().to_json(),
//!     r##"{"msgtype":"markdown","markdown":{"title":"# *titles* stay as written","text":"\\# not a heading, &lt;b&gt;not bold&lt;/b&gt; &amp; \\*not emphasis\\*  \n- 1\\. issue #12, -5 °C  \n[the run](https://ci.example.com/runs/7_8) · [job](https://ci.example.com/jobs/build%20%26%20test)"}}"##,
//! );
//! ```
//!
//! # Line breaks
//!
//! DingTalk shows nothing for a single `\n` in markdown. So in markdown parts (a markdown
//! message's text, an action card's text), in the template and in values alike, a `\n` with no
//! other `\n` beside it becomes `"  \n"`, a line break DingTalk shows; `\n\n` stays a paragraph.
//! `newlines = "preserve"` keeps single newlines as they are. Plain parts keep every `\n`: a text
//! message shows them.
//!
//! This is [the one rule](mod@crate::markdown#line-breaks) of all markdown:
//! [`Payload::markdown`](crate::Payload::markdown) and
//! [`Payload::action_card`](crate::Payload::action_card) apply it to markdown built by hand
//! (and [`Newlines::Preserve`](crate::markdown::Newlines::Preserve) keeps single newlines there),
//! so that the same text makes the same message either way.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Notes", text = "first\nsecond\n\n{notes}"))]
//! struct Notes<'a> {
//!     notes: &'a str,
//! }
//!
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Notes", text = "first\nsecond\n\n{notes}"), newlines = "preserve")]
//! struct Preserved<'a> {
//!     notes: &'a str,
//! }
//!
//! assert_eq!(
//!     Notes { notes: "a\nb" }.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"Notes","text":"first  \nsecond\n\na  \nb"}}"#,
//! );
//! assert_eq!(
//!     Preserved { notes: "a\nb" }.to_payload().to_json(),
//!     r#"{"msgtype":"markdown","markdown":{"title":"Notes","text":"first\nsecond\n\na\nb"}}"#,
//! );
//! ```
//!
//! # Mentions
//!
//! Text and markdown messages can mention people: by mobile number, by DingTalk user id, or
//! everyone. A mention is given on the type, `at_mobiles = "…"`, `at_user_ids = "…"` (ids
//! separated by commas) or `at_all`, for people mentioned every time; or by a field, marked
//! `at_mobiles`, `at_user_ids` or `at_all`, for people known when the message is made. Both may
//! be used together: the lists are joined, each id once.
//!
//! DingTalk renders a mention only when `@<id>` also stands in the text, so each id not already
//! there is added when the message is sent: after the text of a text message, as a last paragraph
//! of a markdown message. Write `@<id>` in the template where it should stand, and it is not added
//! again. The other kinds cannot mention (DingTalk ignores `at` there): mentions on them are
//! compile errors.
//!
//! ```rust
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(text(content = "db-1 is down"), at_mobiles = "13800000000", at_user_ids = "dba01")]
//! struct DbDown {
//!     #[dingtalk(at_user_ids)]
//!     oncall: Vec<String>,
//! }
//!
//! let down = DbDown { oncall: vec!["sre07".into()] };
//! assert_eq!(
//!     down.to_payload().to_json(),
//!     r#"{"msgtype":"text","text":{"content":"db-1 is down @13800000000 @dba01 @sre07"},"at":{"atMobiles":["13800000000"],"atUserIds":["dba01","sre07"]}}"#,
//! );
//! ```
//!
//! # Checked when the program compiles
//!
//! All the mistakes of one derive are reported together, each pointing at the attribute, template
//! or field at fault, and the type still implements `Message` so that its uses add no errors of
//! their own. The crate's `tests/ui/` holds one case per diagnostic, with its message.
//!
//! **Attributes**
//! - unknown keys (with the keys the place takes), keys given twice, values of the wrong type
//!   (`orientation`, `hide_avatar`, `newlines`, `pc_slide`, `at_all`, `prefix`, `crate`); an
//!   empty `prefix`, or one of white space alone;
//! - no layout, or two; a kind that misses a part (`markdown` needs `title` and `text` or `path`);
//!   both `text` and `path`; an empty part where DingTalk needs text;
//! - a layout, buttons, feed links or `transparent` on an enum rather than its variants; `crate`
//!   on a variant; an enum without variants; a union; tuple fields (except on a `transparent`
//!   variant);
//! - an `action_card` without buttons, `button` or a `buttons` field on another kind;
//! - a `feed_card` without links, `feed_link` or a `feed_links` field on another kind;
//! - an `each` that is not `items as item`, or iterates no field;
//! - mentions, by field or on the type, on a kind that cannot mention (`link`, `action_card`,
//!   `feed_card`); a static list with an empty id or an id with white space;
//! - `pc_slide` on a kind without links (`text`, `markdown`);
//! - a `transparent` variant with a layout, options or field flags, or without exactly one field;
//!   the enum's mentions, `pc_slide` or `prefix` beside a `transparent` variant.
//!
//! **Templates**
//! - placeholders and sections that name no field (with the field meant, when one is close);
//!   malformed braces; unclosed, stray or mismatched section tags; `{#else}` outside `{#if}`;
//!   format specs `format!` would not take alone;
//! - a static address (`message_url`, `pic_url`, a button's `url`) that does not start with
//!   `http://`, `https://` or `dingtalk://`;
//! - markdown DingTalk does not render (tables, horizontal rules, fenced code, strikethrough; one
//!   error per table or block), unless `allow_unrendered_markdown`;
//! - a placeholder inside a code span or fenced code (its escapes would show), unless its field is
//!   `raw`;
//! - literal text alone over DingTalk's 20,000-byte limit for a message;
//! - a template file that cannot be read.
//!
//! **Types**, checked by the compiler where the generated code uses them: a value shown must be
//! `Display`; `{#if}` needs a `bool` or an `Option`; `{#each}` something that iterates by
//! reference; mention fields strings; `buttons` and `feed_links` fields `Button`s and
//! `FeedLink`s; a `transparent` field a `Message`.
//!
//! A few, as they fail:
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: no field `sevice` on `Deployed`; did you mean `service`?
//! #[derive(Message)]
//! #[dingtalk(text(content = "{sevice} deployed"))]
//! struct Deployed {
//!     service: String,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: an action card needs a button: add `#[dingtalk(button(title = "…", url = "…"))]`
//! // or a field marked `#[dingtalk(buttons)]`
//! #[derive(Message)]
//! #[dingtalk(action_card(title = "Leave", text = "{who} asks for leave"))]
//! struct LeaveRequest {
//!     who: String,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: a feed card needs a link: add
//! // `#[dingtalk(feed_link(title = "…", message_url = "…", pic_url = "…"))]` or a field marked
//! // `#[dingtalk(feed_links)]`
//! #[derive(Message)]
//! #[dingtalk(feed_card)]
//! struct Weekly {
//!     articles: Vec<String>,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: `at_user_ids` is not for `link`: DingTalk mentions only from `text` and `markdown`
//! #[derive(Message)]
//! #[dingtalk(link(title = "Build", text = "done", message_url = "https://ci.example.com"))]
//! #[dingtalk(at_user_ids = "manager01")]
//! struct BuildDone;
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: DingTalk does not render tables in markdown (`| host | cpu |`); rewrite it, or add
//! // `#[dingtalk(allow_unrendered_markdown)]`
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Hosts", text = "| host | cpu |\n|---|---|\n| {host} | {cpu} |"))]
//! struct Hosts {
//!     host: String,
//!     cpu: f64,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: a value inside a code span would show its escapes: move `{command}` out of the
//! // backticks, or mark the field `#[dingtalk(raw)]`
//! #[derive(Message)]
//! #[dingtalk(markdown(title = "Run", text = "run `{command}`"))]
//! struct Run {
//!     command: String,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error: `ci.example.com/builds/{n}` is not a URL DingTalk opens: it must start with
//! // `http://`, `https://` or `dingtalk://`
//! #[derive(Message)]
//! #[dingtalk(link(title = "Build {n}", text = "done", message_url = "ci.example.com/builds/{n}"))]
//! struct BuildDone {
//!     n: u32,
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! #[derive(Message)]
//! #[dingtalk(text(content = "disk full on {host}"))]
//! struct DiskFull {
//!     host: String,
//! }
//!
//! // error: variant `Disk` is `transparent`, so it needs exactly one field, the message it is
//! // sent as; it has 2
//! #[derive(Message)]
//! enum Alert {
//!     #[dingtalk(transparent)]
//!     Disk(DiskFull, DiskFull),
//! }
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::Message;
//!
//! // error[E0277]: `{#if …}` tests a `bool` or an `Option`, not `String`
//! #[derive(Message)]
//! #[dingtalk(text(content = "{#if note}note: {note}{/if}"))]
//! struct Noted {
//!     note: String,
//! }
//! ```
//!
//! # The `markdown!` macro
//!
//! [`markdown!`](crate::markdown!) writes markdown from a template over the variables in
//! scope, for messages built by hand: a layout decided at run time in an
//! [`impl Message`](crate::Message#implementing-it-by-hand), or a text put together from parts.
//! It is a derived message's markdown text without the type: the same
//! [template language](#templates), the same [escaping by placement](#escaping-by-placement),
//! the same [line breaks](#line-breaks), and the same checks when the program compiles. It
//! makes a `String`, the markdown alone; the title is given where the message is made, with
//! [`Payload::markdown`](crate::Payload::markdown) or
//! [`Payload::action_card`](crate::Payload::action_card) (whose line-break rule, applied again,
//! changes nothing).
//!
//! - **Names** are the variables in scope where it is called, `self` among them
//!   (`{self.service}` in a method), and the loop variables of `{#each}`. A name that is no
//!   variable is the compiler's own error, which points at the template. Values are read by
//!   reference: nothing is moved.
//! - **Values** are escaped as in a markdown part; one that starts a link's address goes in as
//!   it is (what would end the address early encoded), one after the start is percent-encoded;
//!   a [`RawMarkdown`](crate::RawMarkdown) value goes in as it is.
//! - **Checked**: malformed braces and section tags, format specs, markdown DingTalk does not
//!   render, a placeholder inside a code span or fenced code, literal text alone over the size
//!   limit; each mistake points at the template.
//! - It takes no options: for single newlines kept as they are, or markdown DingTalk does not
//!   render, write the text with [`markdown::escape_into`](crate::markdown::escape_into) and
//!   give it to [`Markdown::with_newlines`](crate::Markdown::with_newlines).
//!
//! ```rust
//! use dingtalk_bot::{Message, Payload, RawMarkdown, markdown};
//!
//! struct BuildFailed {
//!     job: String,
//!     run: u32,
//!     failures: Vec<(String, u32)>, // each test, and how many times it failed
//!     summary: Option<RawMarkdown<String>>,
//! }
//!
//! impl Message for BuildFailed {
//!     fn to_payload(&self) -> Payload {
//!         let url = "https://ci.example.com";
//!         let text = markdown!(
//!             "### {self.job} #{self.run} failed{#if self.summary}: {self.summary}{/if}
//! {#each self.failures as failure}
//! - {failure.0}: {failure.1}×
//! {/each}
//! [logs]({url}/jobs/{self.job}/{self.run})"
//!         );
//!         Payload::markdown(format!("{} #{} failed", self.job, self.run), text).into()
//!     }
//! }
//!
//! let failed = BuildFailed {
//!     job: "api tests".into(),
//!     run: 7,
//!     failures: vec![("db::pool_*".into(), 3), ("# parse".into(), 1)],
//!     summary: Some(RawMarkdown("**2** of 180 failed".into())),
//! };
//! assert_eq!(
//!     failed.to_payload().content(),
//!     Some(concat!(
//!         "### api tests #7 failed: **2** of 180 failed  \n",
//!         "- db::pool\\_\\*: 3×  \n",
//!         "- \\# parse: 1×  \n",
//!         "[logs](https://ci.example.com/jobs/api%20tests/7)",
//!     )),
//! );
//! ```
//!
//! A name that is no variable, as it fails:
//!
//! ```compile_fail
//! use dingtalk_bot::markdown;
//!
//! let service = "billing";
//! // error[E0425]: cannot find value `sevice` in this scope
//! let text = markdown!("### {sevice} is live");
//! ```
//!
//! ```compile_fail
//! use dingtalk_bot::markdown;
//!
//! let (host, cpu) = ("db-1", 97);
//! // error: DingTalk does not render tables in markdown (`| host | cpu |`); rewrite it
//! let text = markdown!("| host | cpu |\n|---|---|\n| {host} | {cpu} |");
//! ```

// Documentation only: the reference of `#[derive(Message)]`, as clap keeps `clap::_derive`.
