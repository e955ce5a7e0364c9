//! `#[dingtalk(...)]` attributes, and `markdown!`'s input, read as they are written.
//!
//! Every mistake is recorded in the [`Ctxt`] and reading goes on, so that one derive reports
//! all of its mistakes at once. Templates stay text here: `ast.rs` reads and parses them as it
//! builds the IR.

use dingtalk_spec::markdown::Newlines;
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Lit, LitBool, LitStr, Token};

use crate::ctxt::{Ctxt, Reported};
use crate::kind::{Button, Each, FeedLink, Kind, KindName, Orientation, list};
use crate::template;

/// Where a template's text is, as written.
pub(crate) enum Source {
    /// `text = "…"`: in the literal.
    Inline(LitStr),
    /// `path = "…"`: in a file, relative to the crate's manifest directory.
    File(LitStr),
}

/// `markdown!("…")`: its template, and a comma after it if you like.
pub(crate) struct MacroInput {
    pub(crate) template: LitStr,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let template = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the template, a string literal: \
                 `markdown!(\"### {service} is **{status}**\")`",
            )
        })?;
        let _: Option<Token![,]> = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("`markdown!` takes one template, a string literal"));
        }
        Ok(MacroInput { template })
    }
}

/// The layout options of a type or variant, as written.
#[derive(Default)]
pub(crate) struct LayoutAttrs {
    /// Every kind written, in order, well formed or not.
    pub(crate) kinds: Vec<KindAttr>,
    /// Every `button(…)` written, in order.
    pub(crate) buttons: Vec<ButtonAttr>,
    /// Every `feed_link(…)` written, in order.
    pub(crate) feed_links: Vec<FeedLinkAttr>,
    /// `transparent`, where it is written.
    pub(crate) transparent: Option<Span>,
    pub(crate) at_all: Option<Written<bool>>,
    pub(crate) at_mobiles: Option<Written<Vec<String>>>,
    pub(crate) at_user_ids: Option<Written<Vec<String>>>,
    pub(crate) allow_unrendered_markdown: bool,
    pub(crate) krate: Option<syn::Path>,
    pub(crate) newlines: Option<Newlines>,
    pub(crate) pc_slide: Option<bool>,
    /// `prefix = "…"`: the robot's keyword, put where DingTalk looks for it.
    pub(crate) prefix: Option<Written<String>>,
    /// Every key written but the kinds, `transparent` and `crate`, with where: what a
    /// transparent variant refuses.
    pub(crate) options: Vec<(String, Span)>,
}

/// A value, with the key it was written under.
#[derive(Clone, Debug)]
pub(crate) struct Written<T> {
    /// The key as written: where mistakes about it point.
    pub(crate) span: Span,
    pub(crate) value: T,
}

/// `markdown(…)`, `action_card(…)`, `text(…)` or `link(…)`.
pub(crate) struct KindAttr {
    pub(crate) name: KindName,
    /// The kind's name as written: where mistakes of the whole layout point.
    pub(crate) span: Span,
    /// Its parts (an action card's buttons not yet among them); `Err` when a part it needs is
    /// missing.
    pub(crate) kind: Result<Kind<Source>, Reported>,
}

/// `button(title = "…", url = "…")`.
pub(crate) struct ButtonAttr {
    /// `button` as written.
    pub(crate) span: Span,
    pub(crate) button: Result<Button<Source>, Reported>,
}

/// `feed_link(title = "…", message_url = "…", pic_url = "…")`.
pub(crate) struct FeedLinkAttr {
    /// `feed_link` as written.
    pub(crate) span: Span,
    pub(crate) link: Result<FeedLink<Source>, Reported>,
}

/// The flags of a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) at_mobiles: bool,
    pub(crate) at_user_ids: bool,
    pub(crate) at_all: bool,
    pub(crate) buttons: bool,
    pub(crate) feed_links: bool,
    pub(crate) raw: bool,
}

impl FieldAttrs {
    /// Whether any flag is set.
    pub(crate) fn any(&self) -> bool {
        self.at_mobiles
            || self.at_user_ids
            || self.at_all
            || self.buttons
            || self.feed_links
            || self.raw
    }
}

/// Reads every `#[dingtalk(...)]` on a struct, enum or variant.
pub(crate) fn layout(cx: &Ctxt, attrs: &[Attribute]) -> LayoutAttrs {
    let mut out = LayoutAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dingtalk")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key(&meta);
            if let Some(name) = KindName::from_key(&key) {
                // #[dingtalk(markdown(title = "…", text = "…" | path = "…"))]
                // #[dingtalk(action_card(title, text | path, orientation, hide_avatar))]
                // #[dingtalk(text(content = "…" | path = "…"))]
                // #[dingtalk(link(title, text, message_url, pic_url))]
                out.kinds.push(KindAttr {
                    name,
                    span: meta.path.span(),
                    kind: kind(cx, &meta, name),
                });
                return Ok(());
            }
            if !matches!(key.as_str(), "transparent" | "crate") {
                out.options.push((key.clone(), meta.path.span()));
            }
            match key.as_str() {
                // #[dingtalk(button(title = "…", url = "…", each = "items as item"))]
                "button" => out.buttons.push(ButtonAttr {
                    span: meta.path.span(),
                    button: button(cx, &meta),
                }),
                // #[dingtalk(feed_link(title = "…", message_url = "…", pic_url = "…",
                //                      each = "items as item"))]
                "feed_link" => out.feed_links.push(FeedLinkAttr {
                    span: meta.path.span(),
                    link: feed_link(cx, &meta),
                }),
                // #[dingtalk(transparent)]
                "transparent" => {
                    let mut flag = out.transparent.is_some();
                    set_flag(cx, &meta, &mut flag);
                    if flag {
                        out.transparent.get_or_insert(meta.path.span());
                    }
                }
                // #[dingtalk(at_all)], #[dingtalk(at_all = true | false)]
                "at_all" => {
                    let value = if meta.input.peek(Token![=]) {
                        boolean(cx, &meta).map(|b| b.value)
                    } else {
                        let mut flag = false;
                        set_flag(cx, &meta, &mut flag);
                        flag.then_some(true)
                    };
                    if let Some(value) = value {
                        let span = meta.path.span();
                        set_once(cx, &meta, &mut out.at_all, Written { span, value });
                    }
                }
                // #[dingtalk(at_mobiles = "13800000000,13900000000")]
                // #[dingtalk(at_user_ids = "manager01,manager02")]
                "at_mobiles" | "at_user_ids" => {
                    if let Some(ids) = ids(cx, &meta) {
                        let slot = if key == "at_mobiles" {
                            &mut out.at_mobiles
                        } else {
                            &mut out.at_user_ids
                        };
                        let span = meta.path.span();
                        set_once(cx, &meta, slot, Written { span, value: ids });
                    }
                }
                // #[dingtalk(allow_unrendered_markdown)]
                "allow_unrendered_markdown" => {
                    set_flag(cx, &meta, &mut out.allow_unrendered_markdown);
                }
                // #[dingtalk(crate = "path::to::dingtalk_bot")]
                "crate" => {
                    if let Some(lit) = string(cx, &meta) {
                        match lit.parse::<syn::Path>() {
                            Ok(path) => set_once(cx, &meta, &mut out.krate, path),
                            Err(_) => {
                                cx.error(
                                    &lit,
                                    "expected a path, as in `crate = \"my_crate::dingtalk_bot\"`",
                                );
                            }
                        }
                    }
                }
                // #[dingtalk(newlines = "preserve" | "break")]
                "newlines" => {
                    if let Some(lit) = string(cx, &meta) {
                        let newlines = match lit.value().as_str() {
                            "preserve" => Newlines::Preserve,
                            "break" => Newlines::Break,
                            other => {
                                cx.error(
                                    &lit,
                                    format!(
                                        "unknown `newlines = \"{other}\"`; expected `\"preserve\"` or `\"break\"`"
                                    ),
                                );
                                return Ok(());
                            }
                        };
                        set_once(cx, &meta, &mut out.newlines, newlines);
                    }
                }
                // #[dingtalk(pc_slide = true | false)]
                "pc_slide" => {
                    if let Some(b) = boolean(cx, &meta) {
                        set_once(cx, &meta, &mut out.pc_slide, b.value);
                    }
                }
                // #[dingtalk(prefix = "[ops] ")]
                "prefix" => {
                    if let Some(lit) = string(cx, &meta) {
                        let value = lit.value();
                        if value.trim().is_empty() {
                            cx.error(
                                &meta.path,
                                format!(
                                    "`prefix = \"{}\"` holds no keyword: give the text DingTalk \
                                     looks for, as in `prefix = \"[ops] \"`, or leave `prefix` out",
                                    value.escape_default()
                                ),
                            );
                        } else {
                            let span = meta.path.span();
                            set_once(cx, &meta, &mut out.prefix, Written { span, value });
                        }
                    }
                }
                _ => {
                    let kinds = KindName::ALL.map(|k| k.as_str());
                    let keys = kinds.iter().chain(&[
                        "button",
                        "feed_link",
                        "transparent",
                        "at_all",
                        "at_mobiles",
                        "at_user_ids",
                        "newlines",
                        "pc_slide",
                        "prefix",
                        "allow_unrendered_markdown",
                        "crate",
                    ]);
                    let keys: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
                    unknown(cx, &meta, &format!("expected {}", list(&keys, "or")));
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Reads every `#[dingtalk(...)]` on a field.
pub(crate) fn field(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dingtalk")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key(&meta);
            let flag = match key.as_str() {
                // #[dingtalk(at_mobiles)]
                "at_mobiles" => &mut out.at_mobiles,
                // #[dingtalk(at_user_ids)]
                "at_user_ids" => &mut out.at_user_ids,
                // #[dingtalk(at_all)]
                "at_all" => &mut out.at_all,
                // #[dingtalk(buttons)]
                "buttons" => &mut out.buttons,
                // #[dingtalk(feed_links)]
                "feed_links" => &mut out.feed_links,
                // #[dingtalk(raw)]
                "raw" => &mut out.raw,
                _ => {
                    unknown(
                        cx,
                        &meta,
                        "expected `at_mobiles`, `at_user_ids`, `at_all`, `buttons`, `feed_links` or `raw`",
                    );
                    return Ok(());
                }
            };
            set_flag(cx, &meta, flag);
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// The keys each kind takes, as written.
fn keys(name: KindName) -> &'static [&'static str] {
    match name {
        KindName::Markdown => &["title", "text", "path"],
        KindName::ActionCard => &["title", "text", "path", "orientation", "hide_avatar"],
        KindName::Text => &["content", "path"],
        KindName::Link => &["title", "text", "message_url", "pic_url"],
        KindName::FeedCard => &[],
    }
}

/// The kind's parts, `key = value` inside its parentheses. A value written wrong is reported
/// and left at its default, so that the rest of the layout is still checked.
fn kind(cx: &Ctxt, meta: &ParseNestedMeta<'_>, name: KindName) -> Result<Kind<Source>, Reported> {
    let example = match name {
        KindName::Markdown => "markdown(title = \"…\", text = \"…\")",
        KindName::ActionCard => "action_card(title = \"…\", text = \"…\")",
        KindName::Text => "text(content = \"…\")",
        KindName::Link => "link(title = \"…\", text = \"…\", message_url = \"…\")",
        // #[dingtalk(feed_card)]: its entries are written beside it, as an action card's
        // buttons are.
        KindName::FeedCard => return feed_card(cx, meta),
    };
    parenthesized(cx, meta, example)?;
    let mut title = None;
    let mut text = None;
    let mut content = None;
    let mut path = None;
    let mut message_url = None;
    let mut pic_url = None;
    let mut orientation = None;
    let mut hide_avatar = None;
    let allowed = keys(name);
    meta.parse_nested_meta(|inner| {
        let key = key(&inner);
        if !allowed.contains(&key.as_str()) {
            let expected = allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            unknown(cx, &inner, &format!("`{}` takes {expected}", name.as_str()));
            return Ok(());
        }
        match key.as_str() {
            // orientation = "horizontal" | "vertical"
            "orientation" => {
                if let Some(lit) = string(cx, &inner) {
                    let value = match lit.value().as_str() {
                        "horizontal" => Orientation::Horizontal,
                        "vertical" => Orientation::Vertical,
                        other => {
                            cx.error(
                                &lit,
                                format!(
                                    "unknown orientation `{other}`; expected `\"horizontal\"` or `\"vertical\"`"
                                ),
                            );
                            return Ok(());
                        }
                    };
                    set_once(cx, &inner, &mut orientation, value);
                }
            }
            // hide_avatar = true | false
            "hide_avatar" => {
                if let Some(b) = boolean(cx, &inner) {
                    set_once(cx, &inner, &mut hide_avatar, b.value);
                }
            }
            // title = "…", text = "…", content = "…", path = "…", message_url = "…",
            // pic_url = "…"
            _ => {
                if let Some(lit) = string(cx, &inner) {
                    let slot = match key.as_str() {
                        "title" => &mut title,
                        "text" => &mut text,
                        "content" => &mut content,
                        "path" => &mut path,
                        "message_url" => &mut message_url,
                        _ => &mut pic_url,
                    };
                    set_once(cx, &inner, slot, lit);
                }
            }
        }
        Ok(())
    })
    .map_err(|e| cx.push(e))?;

    let inline = |lit: Option<LitStr>| lit.map(Source::Inline);
    // `text = "…"` or `path = "…"`; both is a mistake, and the inline text is kept.
    let body = |text: Option<LitStr>, path: Option<LitStr>, text_key: &str| match (text, path) {
        (Some(text), Some(path)) => {
            cx.error(&path, format!("give `{text_key}` or `path`, not both"));
            Some(Source::Inline(text))
        }
        (text, path) => inline(text).or(path.map(Source::File)),
    };
    // Reports the parts not written, of those listed with whether they were.
    let missing = |parts: &[(bool, &str)]| {
        let missing: Vec<&str> = parts
            .iter()
            .filter(|(present, _)| !present)
            .map(|(_, key)| *key)
            .collect();
        cx.error(
            &meta.path,
            format!("`{}` needs {}", name.as_str(), missing.join(" and ")),
        )
    };
    match name {
        KindName::Markdown => match (inline(title), body(text, path, "text")) {
            (Some(title), Some(text)) => Ok(Kind::Markdown { title, text }),
            (title, text) => Err(missing(&[
                (title.is_some(), "`title`"),
                (text.is_some(), "`text` or `path`"),
            ])),
        },
        KindName::ActionCard => match (inline(title), body(text, path, "text")) {
            (Some(title), Some(text)) => Ok(Kind::ActionCard {
                title,
                text,
                orientation: orientation.unwrap_or(Orientation::Vertical),
                hide_avatar: hide_avatar.unwrap_or(false),
                buttons: Vec::new(),
            }),
            (title, text) => Err(missing(&[
                (title.is_some(), "`title`"),
                (text.is_some(), "`text` or `path`"),
            ])),
        },
        KindName::Text => match body(content, path, "content") {
            Some(content) => Ok(Kind::Text { content }),
            None => Err(missing(&[(false, "`content` or `path`")])),
        },
        KindName::FeedCard => unreachable!("read by `feed_card`"),
        KindName::Link => match (inline(title), inline(text), inline(message_url)) {
            (Some(title), Some(text), Some(message_url)) => Ok(Kind::Link {
                title,
                text,
                message_url,
                pic_url: inline(pic_url),
            }),
            (title, text, message_url) => Err(missing(&[
                (title.is_some(), "`title`"),
                (text.is_some(), "`text`"),
                (message_url.is_some(), "`message_url`"),
            ])),
        },
    }
}

/// `feed_card`, or `feed_card()`: the kind takes no parts of its own.
fn feed_card(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Result<Kind<Source>, Reported> {
    let empty = Ok(Kind::FeedCard { links: Vec::new() });
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        return empty;
    }
    if !meta.input.peek(syn::token::Paren) {
        skip_value(meta);
        return Err(cx.error(
            &meta.path,
            "expected `feed_card`, with its entries beside it as \
             `#[dingtalk(feed_link(title = \"…\", message_url = \"…\"))]`",
        ));
    }
    let inside = |input: ParseStream<'_>| -> syn::Result<TokenStream> {
        let content;
        syn::parenthesized!(content in input);
        content.parse()
    };
    let parts = inside(meta.input).map_err(|e| cx.push(e))?;
    match parts.into_iter().next() {
        None => empty,
        Some(first) => Err(cx.error(
            first,
            "`feed_card` takes no parts: write its entries beside it, as \
             `#[dingtalk(feed_link(title = \"…\", message_url = \"…\"))]`",
        )),
    }
}

/// `button(title = "…", url = "…", each = "…")`: both parts or the reported mistake.
fn button(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Result<Button<Source>, Reported> {
    let example = "button(title = \"…\", url = \"…\")";
    let ([title, url], each) = entry(cx, meta, "button", ["title", "url"], 2, example)?;
    Ok(Button {
        each,
        title: Source::Inline(title.expect("required")),
        url: Source::Inline(url.expect("required")),
    })
}

/// `feed_link(title = "…", message_url = "…", pic_url = "…", each = "…")`: the parts, the
/// picture optional, or the reported mistake.
fn feed_link(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Result<FeedLink<Source>, Reported> {
    let example = "feed_link(title = \"…\", message_url = \"…\")";
    let keys = ["title", "message_url", "pic_url"];
    let ([title, message_url, pic_url], each) = entry(cx, meta, "feed_link", keys, 2, example)?;
    Ok(FeedLink {
        each,
        title: Source::Inline(title.expect("required")),
        message_url: Source::Inline(message_url.expect("required")),
        pic_url: pic_url.map(Source::Inline),
    })
}

/// The parts of one entry of a list, `button(…)` or `feed_link(…)`: `keys` (the first
/// `required` of them reported when missing, so that they are `Some`) and the entry's loop,
/// `each = "items as item"`.
fn entry<const N: usize>(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    what: &str,
    keys: [&str; N],
    required: usize,
    example: &str,
) -> Result<([Option<LitStr>; N], Option<Each>), Reported> {
    parenthesized(cx, meta, example)?;
    let mut parts: [Option<LitStr>; N] = std::array::from_fn(|_| None);
    let mut each = None;
    meta.parse_nested_meta(|inner| {
        let key = key(&inner);
        // each = "items as item"
        if key == "each" {
            if let Some(lit) = string(cx, &inner)
                && let Some(read) = read_each(cx, lit)
            {
                set_once(cx, &inner, &mut each, read);
            }
            return Ok(());
        }
        // title = "…", url = "…", message_url = "…", pic_url = "…"
        let Some(i) = keys.iter().position(|k| *k == key) else {
            let mut expected: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            expected.push("`each`".to_owned());
            unknown(
                cx,
                &inner,
                &format!("`{what}` takes {}", expected.join(", ")),
            );
            return Ok(());
        };
        if let Some(lit) = string(cx, &inner) {
            set_once(cx, &inner, &mut parts[i], lit);
        }
        Ok(())
    })
    .map_err(|e| cx.push(e))?;
    let missing: Vec<String> = keys[..required]
        .iter()
        .zip(&parts)
        .filter(|(_, part)| part.is_none())
        .map(|(key, _)| format!("`{key}`"))
        .collect();
    if !missing.is_empty() {
        return Err(cx.error(
            &meta.path,
            format!("`{what}` needs {}", list(&missing, "and")),
        ));
    }
    Ok((parts, each))
}

/// `each = "items as item"`, read; a mistake reported at the literal, and the loop marked
/// broken.
fn read_each(cx: &Ctxt, lit: LitStr) -> Option<Each> {
    let (iter, binding, broken) = match template::parse_each(&lit.value()) {
        Ok((iter, binding)) => (iter, binding, None),
        Err(message) => {
            let message = if message.starts_with("expected") {
                format!(
                    "expected `each = \"items as item\"`, with a field that holds the items \
                     and a name for each one, not `{}`",
                    lit.value()
                )
            } else {
                format!("in `each`: {message}")
            };
            let reported = cx.error(&lit, message);
            let unread = || template::Name {
                root: "_".to_owned(),
                rest: Vec::new(),
                range: 0..0,
            };
            (unread(), unread(), Some(reported))
        }
    };
    Some(Each {
        span: lit.span(),
        iter,
        binding,
        broken,
    })
}

/// `key = "a,b"`: the ids of a static mention list, or a reported mistake.
fn ids(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<Vec<String>> {
    let key = key(meta);
    if !meta.input.peek(Token![=]) {
        skip_value(meta);
        cx.error(
            &meta.path,
            format!(
                "expected `{key} = \"…\"`, the ids separated by commas; for ids known at run \
                 time, mark a field `#[dingtalk({key})]`"
            ),
        );
        return None;
    }
    let lit = string(cx, meta)?;
    let text = lit.value();
    let ids: Vec<String> = text.split(',').map(|id| id.trim().to_owned()).collect();
    let problem = if text.trim().is_empty() {
        Some(format!("`{key} = \"\"` mentions nobody; leave it out"))
    } else if ids.iter().any(String::is_empty) {
        Some(format!(
            "`{key}` has an empty id in `\"{text}\"`: separate ids with single commas"
        ))
    } else {
        let spaced = ids.iter().find(|id| id.contains(char::is_whitespace));
        spaced.map(|id| format!("`{id}` in `{key}` holds white space: separate ids with commas"))
    };
    match problem {
        Some(message) => {
            cx.error(&lit, message);
            None
        }
        None => Some(ids),
    }
}

/// The key a meta item starts with, as written.
fn key(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The literal after `key =`, if `extract` takes it; else an error that shows `expected`.
fn literal<T>(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    extract: impl FnOnce(Lit) -> Option<T>,
    expected: &str,
) -> Option<T> {
    let found = value(meta).and_then(extract);
    if found.is_none() {
        cx.error(&meta.path, format!("expected {expected}"));
    }
    found
}

/// `key = "…"`, or a reported mistake.
fn string(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<LitStr> {
    let key = key(meta);
    let extract = |lit| match lit {
        Lit::Str(s) => Some(s),
        _ => None,
    };
    literal(cx, meta, extract, &format!("`{key} = \"…\"`"))
}

/// `key = true` or `key = false`, or a reported mistake.
fn boolean(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<LitBool> {
    let key = key(meta);
    let extract = |lit| match lit {
        Lit::Bool(b) => Some(b),
        _ => None,
    };
    literal(
        cx,
        meta,
        extract,
        &format!("`{key} = true` or `{key} = false`"),
    )
}

/// The literal after `key =`, alone up to the next `,`; `None` (with whatever stands there
/// skipped) for anything else.
fn value(meta: &ParseNestedMeta<'_>) -> Option<Lit> {
    if !meta.input.peek(Token![=]) {
        skip_value(meta);
        return None;
    }
    let _ = meta.input.parse::<Token![=]>();
    let lit = meta.input.parse::<Lit>().ok();
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        lit
    } else {
        skip_to_comma(meta.input);
        None
    }
}

/// Whether a kind or `button` is followed by its parenthesized parts; reports it if not.
fn parenthesized(cx: &Ctxt, meta: &ParseNestedMeta<'_>, example: &str) -> Result<(), Reported> {
    if meta.input.peek(syn::token::Paren) {
        Ok(())
    } else {
        skip_value(meta);
        Err(cx.error(&meta.path, format!("expected `{example}`")))
    }
}

/// A flag such as `at_all`: no value.
fn set_flag(cx: &Ctxt, meta: &ParseNestedMeta<'_>, flag: &mut bool) {
    let key = key(meta);
    if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        skip_value(meta);
        cx.error(&meta.path, format!("`{key}` takes no value"));
    } else if *flag {
        cx.error(&meta.path, format!("duplicate `{key}`"));
    } else {
        *flag = true;
    }
}

/// Fills a key's slot, reporting a key written twice (the first stays).
fn set_once<T>(cx: &Ctxt, meta: &ParseNestedMeta<'_>, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        let key = key(meta);
        cx.error(&meta.path, format!("duplicate `{key}`"));
    } else {
        *slot = Some(value);
    }
}

/// Reports a key this place does not take, with what it takes, and skips its value.
fn unknown(cx: &Ctxt, meta: &ParseNestedMeta<'_>, expected: &str) {
    let key = meta
        .path
        .get_ident()
        .map_or_else(|| "this".to_owned(), ToString::to_string);
    skip_value(meta);
    cx.error(&meta.path, format!("unknown key `{key}`: {expected}"));
}

/// Consumes `= value` or `(…)` after a key that is being rejected, so reading can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(Token![=]) {
        let _ = meta.input.parse::<Token![=]>();
        skip_to_comma(meta.input);
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.input.step(|cursor| match cursor.token_tree() {
            Some((_, rest)) => Ok(((), rest)),
            None => Ok(((), *cursor)),
        });
    }
}

/// Consumes everything up to the next `,` outside any group.
fn skip_to_comma(input: ParseStream<'_>) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}
