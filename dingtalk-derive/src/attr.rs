//! `#[dingtalk(...)]` attributes, read into the IR of `ast.rs`.
//!
//! Every mistake is recorded in the [`Ctxt`] and parsing goes on, so that one derive reports
//! all of its mistakes at once.

use std::path::PathBuf;

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitBool, LitStr, Token};

use crate::Ctxt;
use crate::ast::{ButtonAttr, FieldAttrs, Kind, KindAttr, LayoutAttrs, Orientation, Source};

/// Reads every `#[dingtalk(...)]` on a struct, enum or variant.
pub fn layout(cx: &Ctxt, attrs: &[Attribute]) -> LayoutAttrs {
    let mut out = LayoutAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("dingtalk")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key(&meta);
            match key.as_str() {
                // #[dingtalk(markdown(title = "…", text = "…" | path = "…"))]
                // #[dingtalk(action_card(title, text | path, orientation, hide_avatar))]
                // #[dingtalk(text(content = "…" | path = "…"))]
                // #[dingtalk(link(title, text, message_url, pic_url))]
                "markdown" | "action_card" | "text" | "link" => {
                    out.kind_written = true;
                    if let Some(kind) = kind(cx, &meta, &key) {
                        out.kinds.push(kind);
                    }
                }
                // #[dingtalk(button(title = "…", url = "…"))]
                "button" => {
                    if let Some(button) = button(cx, &meta) {
                        out.buttons.push(button);
                    }
                }
                // #[dingtalk(at_all)]
                "at_all" => set_flag(cx, &meta, &mut out.at_all),
                // #[dingtalk(allow_unrendered_markdown)]
                "allow_unrendered_markdown" => {
                    set_flag(cx, &meta, &mut out.allow_unrendered_markdown)
                }
                // #[dingtalk(crate = "path::to::dingtalk_bot")]
                "crate" => {
                    if let Some(lit) = string(cx, &meta) {
                        match lit.parse::<syn::Path>() {
                            Ok(path) => set_once(cx, &meta, &mut out.krate, path),
                            Err(_) => cx.error(&lit, "expected a path, as in `crate = \"my_crate::dingtalk_bot\"`"),
                        }
                    }
                }
                // #[dingtalk(newlines = "preserve" | "break")]
                "newlines" => {
                    if let Some(lit) = string(cx, &meta) {
                        match lit.value().as_str() {
                            "preserve" => set_once(cx, &meta, &mut out.preserve_newlines, true),
                            "break" => set_once(cx, &meta, &mut out.preserve_newlines, false),
                            other => cx.error(
                                &lit,
                                format!("unknown `newlines = \"{other}\"`; expected `\"preserve\"` or `\"break\"`"),
                            ),
                        }
                    }
                }
                // #[dingtalk(pc_slide = true | false)]
                "pc_slide" => {
                    if let Some(b) = boolean(cx, &meta) {
                        set_once(cx, &meta, &mut out.pc_slide, b.value);
                    }
                }
                _ => unknown(
                    cx,
                    &meta,
                    "expected `markdown`, `action_card`, `text`, `link`, `button`, `at_all`, \
                     `newlines`, `pc_slide`, `allow_unrendered_markdown` or `crate`",
                ),
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
pub fn field(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
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
                // #[dingtalk(raw)]
                "raw" => &mut out.raw,
                _ => {
                    unknown(
                        cx,
                        &meta,
                        "expected `at_mobiles`, `at_user_ids`, `at_all`, `buttons` or `raw`",
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

fn kind(cx: &Ctxt, meta: &ParseNestedMeta<'_>, name: &str) -> Option<KindAttr> {
    let example = match name {
        "text" => "text(content = \"…\")",
        "link" => "link(title = \"…\", text = \"…\", message_url = \"…\")",
        "markdown" => "markdown(title = \"…\", text = \"…\")",
        _ => "action_card(title = \"…\", text = \"…\")",
    };
    if !parenthesized(cx, meta, example) {
        return None;
    }
    let span = meta.path.clone();
    let mut title = None;
    let mut text = None;
    let mut content = None;
    let mut path = None;
    let mut message_url = None;
    let mut pic_url = None;
    let mut orientation = None;
    let mut hide_avatar = None;
    let allowed: &[&str] = match name {
        "markdown" => &["title", "text", "path"],
        "action_card" => &["title", "text", "path", "orientation", "hide_avatar"],
        "text" => &["content", "path"],
        _ => &["title", "text", "message_url", "pic_url"],
    };
    let parsed = meta.parse_nested_meta(|inner| {
        let key = key(&inner);
        if !allowed.contains(&key.as_str()) {
            let expected = allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            unknown(cx, &inner, &format!("`{name}` takes {expected}"));
            return Ok(());
        }
        match key.as_str() {
            "orientation" => {
                if let Some(lit) = string(cx, &inner) {
                    let value = match lit.value().as_str() {
                        "horizontal" => Orientation::Horizontal,
                        "vertical" => Orientation::Vertical,
                        other => {
                            cx.error(
                                &lit,
                                format!("unknown orientation `{other}`; expected `\"horizontal\"` or `\"vertical\"`"),
                            );
                            return Ok(());
                        }
                    };
                    set_once(cx, &inner, &mut orientation, value);
                }
            }
            "hide_avatar" => {
                if let Some(b) = boolean(cx, &inner) {
                    set_once(cx, &inner, &mut hide_avatar, b.value);
                }
            }
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
    });
    if let Err(e) = parsed {
        cx.push(e);
        return None;
    }

    let mut missing = Vec::new();
    let mut require = |value: Option<LitStr>, key: &str| {
        if value.is_none() {
            missing.push(format!("`{key}`"));
        }
        value
    };
    // `text = "…"` or `path = "…"`, not both.
    let body = |text: Option<LitStr>, path: Option<LitStr>, text_key: &str| match (text, path) {
        (Some(_), Some(path)) => {
            cx.error(&path, format!("give `{text_key}` or `path`, not both"));
            None
        }
        (Some(text), None) => Some(Source::Inline(text)),
        (None, Some(path)) => file(cx, path),
        (None, None) => None,
    };
    let kind = match name {
        "markdown" | "action_card" => {
            let body_missing = text.is_none() && path.is_none();
            let title = require(title, "title");
            if body_missing {
                missing.push("`text` or `path`".into());
            }
            let body = body(text, path, "text");
            if !missing.is_empty() {
                None
            } else if name == "markdown" {
                Some(Kind::Markdown {
                    title: title?,
                    text: body?,
                })
            } else {
                Some(Kind::ActionCard {
                    title: title?,
                    text: body?,
                    orientation: orientation.unwrap_or(Orientation::Vertical),
                    hide_avatar: hide_avatar.unwrap_or(false),
                })
            }
        }
        "text" => {
            if content.is_none() && path.is_none() {
                missing.push("`content` or `path`".into());
            }
            body(content, path, "content").map(|content| Kind::Text { content })
        }
        _ => {
            let title = require(title, "title");
            let text = require(text, "text");
            let message_url = require(message_url, "message_url");
            match (title, text, message_url) {
                (Some(title), Some(text), Some(message_url)) => Some(Kind::Link {
                    title,
                    text,
                    message_url,
                    pic_url,
                }),
                _ => None,
            }
        }
    };
    if !missing.is_empty() {
        cx.error(&span, format!("`{name}` needs {}", missing.join(" and ")));
    }
    kind.map(|kind| KindAttr { kind, span })
}

fn button(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<ButtonAttr> {
    if !parenthesized(cx, meta, "button(title = \"…\", url = \"…\")") {
        return None;
    }
    let mut title = None;
    let mut url = None;
    let parsed = meta.parse_nested_meta(|inner| {
        let slot = if inner.path.is_ident("title") {
            &mut title
        } else if inner.path.is_ident("url") {
            &mut url
        } else {
            unknown(cx, &inner, "`button` takes `title` and `url`");
            return Ok(());
        };
        if let Some(lit) = string(cx, &inner) {
            set_once(cx, &inner, slot, lit);
        }
        Ok(())
    });
    if let Err(e) = parsed {
        cx.push(e);
        return None;
    }
    match (title, url) {
        (Some(title), Some(url)) => Some(ButtonAttr {
            title,
            url,
            span: meta.path.clone(),
        }),
        (title, _) => {
            let missing = if title.is_none() { "`title`" } else { "`url`" };
            cx.error(&meta.path, format!("`button` needs {missing}"));
            None
        }
    }
}

/// A `path = "…"` template: read now, relative to the crate's manifest directory.
fn file(cx: &Ctxt, lit: LitStr) -> Option<Source> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    let resolved = dir.join(lit.value());
    match std::fs::read_to_string(&resolved) {
        Ok(text) => Some(Source::File {
            lit,
            path: resolved,
            text,
        }),
        Err(e) => {
            cx.error(
                &lit,
                format!("cannot read template `{}`: {e}", resolved.display()),
            );
            None
        }
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
    extract: impl FnOnce(syn::Lit) -> Option<T>,
    expected: &str,
) -> Option<T> {
    let found = match value(meta) {
        Some(syn::Expr::Lit(syn::ExprLit { lit, .. })) => extract(lit),
        _ => None,
    };
    if found.is_none() {
        cx.error(&meta.path, format!("expected {expected}"));
    }
    found
}

fn string(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<LitStr> {
    let key = key(meta);
    let extract = |lit| match lit {
        syn::Lit::Str(s) => Some(s),
        _ => None,
    };
    literal(cx, meta, extract, &format!("`{key} = \"…\"`"))
}

fn boolean(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> Option<LitBool> {
    let key = key(meta);
    let extract = |lit| match lit {
        syn::Lit::Bool(b) => Some(b),
        _ => None,
    };
    literal(
        cx,
        meta,
        extract,
        &format!("`{key} = true` or `{key} = false`"),
    )
}

/// The expression after `key =`, or `None` (with anything else after the key skipped).
fn value(meta: &ParseNestedMeta<'_>) -> Option<syn::Expr> {
    if meta.input.peek(Token![=]) {
        let _ = meta.input.parse::<Token![=]>();
        meta.input.parse::<syn::Expr>().ok()
    } else {
        skip_value(meta);
        None
    }
}

/// Whether a kind or `button` is followed by its parenthesized parts; reports it if not.
fn parenthesized(cx: &Ctxt, meta: &ParseNestedMeta<'_>, example: &str) -> bool {
    if meta.input.peek(syn::token::Paren) {
        true
    } else {
        skip_value(meta);
        cx.error(&meta.path, format!("expected `{example}`"));
        false
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

fn set_once<T>(cx: &Ctxt, meta: &ParseNestedMeta<'_>, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        let key = key(meta);
        cx.error(&meta.path, format!("duplicate `{key}`"));
    } else {
        *slot = Some(value);
    }
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta<'_>, expected: &str) {
    let key = meta
        .path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| "this".into());
    skip_value(meta);
    cx.error(&meta.path, format!("unknown key `{key}`: {expected}"));
}

/// Consumes `= value` or `(…)` after a key that is being rejected, so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(Token![=]) {
        let _ = meta.input.parse::<Token![=]>();
        let _ = meta.input.parse::<syn::Expr>();
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.input.step(|cursor| match cursor.token_tree() {
            Some((_, rest)) => Ok(((), rest)),
            None => Ok(((), *cursor)),
        });
    }
}
