//! Rules across attributes and templates: what makes a layout DingTalk can send and render.
//!
//! This stage only checks. Every mistake goes to the [`Ctxt`]; nothing is built here. What
//! DingTalk allows is `dingtalk-spec`'s: which message types take mentions, buttons and
//! `pc_slide`, the size limit, the schemes it opens and the markdown it leaves unrendered.
//! `markdown!`'s template is checked by the same rules as a derived markdown part
//! ([`markdown_macro`]).

use std::ops::Range;

use dingtalk_spec::markdown::{code_regions, unrendered};
use dingtalk_spec::url::{LINK_SCHEMES, opens_in_dingtalk};
use dingtalk_spec::{MAX_BODY_BYTES, MsgType};

use crate::ast::{Draft, Header, Input, Layout, Parsed, Shape, Static, Template, Variant};
use crate::ctxt::Ctxt;
use crate::kind::{Each, KindName, Part, Role, list};
use crate::template::{self, Name, Node, Placed, Skeleton};

/// Checks every variant of a derive input.
pub(crate) fn check(cx: &Ctxt, input: &Input<'_, Draft>) {
    for v in &input.variants {
        variant(cx, &input.header, v);
    }
}

fn variant(cx: &Ctxt, header: &Header<'_>, v: &Variant<'_, Draft>) {
    // A transparent variant has no template; `ast.rs` checked its shape.
    let Shape::Layout(draft) = &v.shape else {
        return;
    };
    let owner = match v.ident {
        Some(variant) => format!("variant `{}::{variant}`", header.ident),
        None => format!("`{}`", header.ident),
    };
    if let Ok(layout) = &draft.layout {
        rules(cx, v, layout);
        // Every template is checked, so that a mistake in one hides none in another.
        let mut literal = v.options.prefix.as_ref().map_or(0, String::len);
        for part in layout.kind.parts() {
            if let Ok(tpl) = part.template {
                literal += template::literal_len(&tpl.nodes);
            }
            checked_part(cx, &owner, v, &part);
        }
        if literal > MAX_BODY_BYTES {
            cx.error_at(
                v.span,
                format!(
                    "the literal text of this layout alone is {literal} bytes, over DingTalk's \
                     limit of {MAX_BODY_BYTES} bytes for a whole message"
                ),
            );
        }
        let loops = layout.kind.buttons().iter().map(|b| b.each.as_ref());
        let loops = loops.chain(layout.kind.feed_links().iter().map(|l| l.each.as_ref()));
        for each in loops.flatten() {
            each_loop(cx, &owner, v, each);
        }
    }
    // Entries no kind took are reported already; their templates can still hold mistakes.
    let stray = draft.stray_buttons.iter().flat_map(|(b, _)| b.parts());
    let stray = stray.chain(draft.stray_feed_links.iter().flat_map(|(l, _)| l.parts()));
    for part in stray {
        checked_part(cx, &owner, v, &part);
    }
}

/// A part whose template could be read, checked.
fn checked_part(cx: &Ctxt, owner: &str, v: &Variant<'_, Draft>, part: &Part<'_, Parsed>) {
    if let Ok(tpl) = part.template {
        template(cx, owner, v, tpl, part.role, part.each.as_ref());
    }
}

/// What an entry's `each = "items as item"` iterates is a field.
fn each_loop(cx: &Ctxt, owner: &str, v: &Variant<'_, Draft>, each: &Each) {
    if each.broken.is_some() {
        return;
    }
    let root = each.iter.root.as_str();
    if !v.fields.iter().any(|f| f.name == root) {
        let hint = field_hint(v, root, &[]);
        cx.error_at(
            each.span,
            format!("`each` iterates no field `{root}` on {owner}{hint}"),
        );
    }
}

/// What the kind's message type allows: mentions, buttons, feed links, `pc_slide`.
fn rules(cx: &Ctxt, v: &Variant<'_, Draft>, layout: &Layout<Parsed>) {
    let name = layout.kind.name();
    let msgtype = name.msgtype();
    let kind = name.as_str();
    if v.options.pc_slide.is_some() && !msgtype.has_links() {
        cx.error_at(
            layout.span,
            format!(
                "`pc_slide` applies to the links of {}, not `{kind}`",
                KindName::names_where(MsgType::has_links)
            ),
        );
    }
    let mentions = || {
        format!(
            "DingTalk mentions only from {}",
            KindName::names_where(MsgType::takes_mentions)
        )
    };
    let is_feed_card = msgtype == MsgType::FeedCard;
    for field in &v.fields {
        if field.attrs.buttons && !msgtype.takes_buttons() {
            cx.error(
                field.ident,
                format!(
                    "`#[dingtalk(buttons)]` is only for {}, not `{kind}`",
                    KindName::names_where(MsgType::takes_buttons)
                ),
            );
        }
        if field.attrs.feed_links && !is_feed_card {
            cx.error(
                field.ident,
                format!("`#[dingtalk(feed_links)]` is only for `feed_card`, not `{kind}`"),
            );
        }
        if !msgtype.takes_mentions() {
            for (on, attr) in [
                (field.attrs.at_mobiles, "at_mobiles"),
                (field.attrs.at_user_ids, "at_user_ids"),
                (field.attrs.at_all, "at_all"),
            ] {
                if on {
                    cx.error(
                        field.ident,
                        format!("`{attr}` is not for `{kind}`: {}", mentions()),
                    );
                }
            }
        }
    }
    if !msgtype.takes_mentions() {
        let lists = |key, list: &[Static<Vec<String>>]| {
            list.iter()
                .map(|m| (key, m.span, m.from_enum))
                .collect::<Vec<_>>()
        };
        let at_all = v.options.at_all.iter().filter(|a| a.value);
        let written = lists("at_mobiles", &v.options.at_mobiles)
            .into_iter()
            .chain(lists("at_user_ids", &v.options.at_user_ids))
            .chain(at_all.map(|a| ("at_all", a.span, a.from_enum)));
        for (key, span, from_enum) in written {
            let of = match (from_enum, v.ident) {
                (true, Some(variant)) => format!(" (the kind of variant `{variant}`)"),
                _ => String::new(),
            };
            cx.error_at(
                span,
                format!("`{key}` is not for `{kind}`{of}: {}", mentions()),
            );
        }
    }
    let buttons_field = v.fields.iter().any(|f| f.attrs.buttons);
    if msgtype.takes_buttons() && layout.kind.buttons().is_empty() && !buttons_field {
        cx.error_at(
            layout.span,
            "an action card needs a button: add `#[dingtalk(button(title = \"…\", url = \"…\"))]` \
             or a field marked `#[dingtalk(buttons)]`",
        );
    }
    let links_field = v.fields.iter().any(|f| f.attrs.feed_links);
    if is_feed_card && layout.kind.feed_links().is_empty() && !links_field {
        cx.error_at(
            layout.span,
            "a feed card needs a link: add \
             `#[dingtalk(feed_link(title = \"…\", message_url = \"…\", pic_url = \"…\"))]` \
             or a field marked `#[dingtalk(feed_links)]`",
        );
    }
}

/// One template, by what its part needs; `each` is the loop it stands in.
fn template(
    cx: &Ctxt,
    owner: &str,
    v: &Variant<'_, Draft>,
    tpl: &Template,
    role: Role,
    each: Option<&Each>,
) {
    names(cx, owner, v, tpl, each);
    specs(cx, tpl);
    if tpl.nodes.is_empty() && role != Role::Url {
        cx.error(&tpl.lit, "this part is empty, and DingTalk requires it");
    }
    match role {
        Role::Url => static_url(cx, tpl),
        Role::Markdown => {
            let skeleton = template::skeleton(&tpl.nodes);
            if !v.options.allow_unrendered_markdown {
                renderable(
                    cx,
                    tpl,
                    &skeleton,
                    ", or add `#[dingtalk(allow_unrendered_markdown)]`",
                );
            }
            let raw = |placed: &Placed<'_>| is_raw(v, &placed.value.name.root, &placed.loops);
            let opt_out = ", or mark the field `#[dingtalk(raw)]`";
            values_outside_code(cx, tpl, &skeleton, raw, opt_out);
        }
        Role::Plain => {}
    }
}

/// Every name in the template is a field, or a loop variable where it stands (the entry's
/// `each` among them).
fn names(cx: &Ctxt, owner: &str, v: &Variant<'_, Draft>, tpl: &Template, each: Option<&Each>) {
    // A loop that could not be read leaves what is in scope unknown.
    if each.is_some_and(|e| e.broken.is_some()) {
        return;
    }
    let fields: Vec<&str> = v.fields.iter().map(|f| f.name.as_str()).collect();
    let mut scope: Vec<&str> = each.iter().map(|e| e.binding.root.as_str()).collect();
    template::visit_names(&tpl.nodes, &mut scope, &mut |name, scope| {
        let root = name.root.as_str();
        if scope.contains(&root) || fields.contains(&root) {
            return;
        }
        let hint = field_hint(v, root, scope);
        cx.error(&tpl.lit, format!("no field `{root}` on {owner}{hint}"));
    });
}

/// What to say after "no field `name`": the name meant, or the fields there are.
fn field_hint(v: &Variant<'_, Draft>, name: &str, scope: &[&str]) -> String {
    let fields: Vec<&str> = v.fields.iter().map(|f| f.name.as_str()).collect();
    let candidates = fields.iter().chain(scope).copied();
    let in_scope = match scope {
        [] => String::new(),
        [one] => format!(", and `{one}` is in scope here"),
        names => {
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!(", and {} are in scope here", list(&names, "and"))
        }
    };
    match did_you_mean(name, candidates) {
        Some(best) => format!("; did you mean `{best}`?"),
        None if fields.is_empty() => format!("; it has no fields{in_scope}"),
        None => {
            let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            format!("; its fields are {}{in_scope}", fields.join(", "))
        }
    }
}

/// The candidate closest to a misspelt name, if one is close enough to be meant.
fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Every format spec is one `format!` takes with no argument of its own:
/// `[[fill]align][sign][#][0][width][.precision][type]`, numbers only.
fn specs(cx: &Ctxt, tpl: &Template) {
    fn walk(cx: &Ctxt, tpl: &Template, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Value(v) if !v.spec.is_empty() && !valid_spec(&v.spec) => {
                    cx.error(
                        &tpl.lit,
                        format!(
                            "`{{{}:{}}}` has a format spec a template cannot use: write fill, \
                             alignment, sign, `#`, `0`, a width and a precision as numbers, and a \
                             type (`?`, `x`, `X`, `o`, `b`, `e`, `E`)",
                            v.name.dotted(),
                            v.spec
                        ),
                    );
                }
                Node::If {
                    then, otherwise, ..
                } => {
                    walk(cx, tpl, then);
                    walk(cx, tpl, otherwise);
                }
                Node::Each { body, .. } => walk(cx, tpl, body),
                Node::Value(_) | Node::Lit(_) => {}
            }
        }
    }
    walk(cx, tpl, &tpl.nodes);
}

/// Whether `format!` takes `spec` for a value with no other argument.
fn valid_spec(spec: &str) -> bool {
    let mut s = spec;
    let mut chars = s.chars();
    // [[fill]align]
    let first = chars.next();
    let second = chars.next();
    let is_align = |c: Option<char>| matches!(c, Some('<' | '^' | '>'));
    if is_align(second) {
        s = &s[first.map_or(0, char::len_utf8) + 1..];
    } else if is_align(first) {
        s = &s[1..];
    }
    s = s.strip_prefix(['+', '-']).unwrap_or(s);
    s = s.strip_prefix('#').unwrap_or(s);
    s = s.strip_prefix('0').unwrap_or(s);
    s = s.trim_start_matches(|c: char| c.is_ascii_digit());
    if let Some(rest) = s.strip_prefix('.') {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        s = &rest[digits..];
    }
    matches!(
        s,
        "" | "?" | "x?" | "X?" | "#?" | "x" | "X" | "o" | "b" | "e" | "E"
    )
}

/// An address that starts with literal text must start with a scheme DingTalk opens.
fn static_url(cx: &Ctxt, tpl: &Template) {
    let start = match tpl.nodes.first() {
        Some(Node::Lit(lit)) => lit.as_str(),
        // Starts with a value: known only at run time.
        Some(_) => return,
        None => "",
    };
    let whole = tpl.nodes.len() <= 1;
    // A literal prefix too short to hold a scheme may be completed by a value (`{scheme}://`),
    // but not one that is already a host or a path.
    if opens_in_dingtalk(start) || (!whole && !start.contains([':', '/', '.'])) {
        return;
    }
    let schemes = LINK_SCHEMES.map(|s| format!("`{s}`"));
    cx.error(
        &tpl.lit,
        format!(
            "`{}` is not a URL DingTalk opens: it must start with {}",
            tpl.lit.value(),
            list(&schemes, "or")
        ),
    );
}

/// The template of `markdown!`, checked as a derived markdown part is: its format specs,
/// nothing DingTalk leaves unrendered, no value in code, and literal text that fits a message.
/// Its names are the caller's variables, which the compiler checks.
pub(crate) fn markdown_macro(cx: &Ctxt, tpl: &Template) {
    specs(cx, tpl);
    let skeleton = template::skeleton(&tpl.nodes);
    renderable(cx, tpl, &skeleton, "");
    let opt_out = ", or give the code as a `RawMarkdown` value, backticks and all";
    values_outside_code(cx, tpl, &skeleton, |_| false, opt_out);
    let literal = template::literal_len(&tpl.nodes);
    if literal > MAX_BODY_BYTES {
        cx.error(
            &tpl.lit,
            format!(
                "the literal text of this template alone is {literal} bytes, over DingTalk's \
                 limit of {MAX_BODY_BYTES} bytes for a whole message"
            ),
        );
    }
}

/// The literal text of a markdown template holds nothing DingTalk leaves unrendered; `opt_out`
/// ends the message with the way to allow it.
fn renderable(cx: &Ctxt, tpl: &Template, skeleton: &Skeleton<'_>, opt_out: &str) {
    for finding in unrendered(&skeleton.text) {
        let line = finding.line.trim();
        let quoted = if line.contains('`') {
            format!("`` {line} ``")
        } else {
            format!("`{line}`")
        };
        cx.error(
            &tpl.lit,
            format!(
                "DingTalk does not render {} in markdown ({quoted}); rewrite it{opt_out}",
                finding.what.describe()
            ),
        );
    }
}

/// No escaped value stands in a code span or fenced code, where its escapes would show: none
/// but those `raw` says are written as they are. `opt_out` ends the message with the way to
/// write code.
fn values_outside_code(
    cx: &Ctxt,
    tpl: &Template,
    skeleton: &Skeleton<'_>,
    raw: impl Fn(&Placed<'_>) -> bool,
    opt_out: &str,
) {
    let regions = code_regions(&skeleton.text);
    for placed in &skeleton.values {
        let Some(region) = regions.iter().find(|r| r.contains(&placed.offset)) else {
            continue;
        };
        if raw(placed) {
            continue;
        }
        let written = match placed.value.spec.as_str() {
            "" => format!("{{{}}}", placed.value.name.dotted()),
            spec => format!("{{{}:{spec}}}", placed.value.name.dotted()),
        };
        let message = if is_fence(&skeleton.text, region) {
            format!(
                "a value inside fenced code would show its escapes: move `{written}` out of \
                 the fence{opt_out}"
            )
        } else {
            format!(
                "a value inside a code span would show its escapes: move `{written}` out of \
                 the backticks{opt_out}"
            )
        };
        cx.error(&tpl.lit, message);
    }
}

/// Whether a code region is a fenced block (it starts a line with its fence), not a span.
fn is_fence(text: &str, region: &Range<usize>) -> bool {
    let at_line_start = text[..region.start].ends_with('\n') || region.start == 0;
    let code = text[region.clone()].trim_start_matches(' ');
    at_line_start && (code.starts_with("```") || code.starts_with("~~~"))
}

/// Whether a name is written into markdown as it is: it is, or it loops over, a field marked
/// `#[dingtalk(raw)]`. `loops` are the loops around it, outermost first.
fn is_raw(v: &Variant<'_, Draft>, root: &str, loops: &[(&str, &Name)]) -> bool {
    for (i, (binding, iter)) in loops.iter().enumerate().rev() {
        if *binding == root {
            return is_raw(v, &iter.root, &loops[..i]);
        }
    }
    v.fields.iter().any(|f| f.name == root && f.attrs.raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_format_specs_format_takes_alone() {
        for ok in [
            ".1", ">4", "*^10", "+.3e", "#x", "08.2", "?", "#?", "<5", "é>3",
        ] {
            assert!(valid_spec(ok), "{ok}");
        }
        for bad in ["width$", ".*", "abc", ".", "1$", "x.1"] {
            assert!(!valid_spec(bad), "{bad}");
        }
    }

    #[test]
    fn suggests_close_names() {
        let fields = ["service", "status", "version"];
        assert_eq!(did_you_mean("sevice", fields.into_iter()), Some("service"));
        assert_eq!(did_you_mean("zzz", fields.into_iter()), None);
    }

    #[test]
    fn fences_are_told_from_spans() {
        let text = "run `x` then\n```\nx\n```\n";
        let regions = code_regions(text);
        let fences: Vec<bool> = regions.iter().map(|r| is_fence(text, r)).collect();
        assert_eq!(fences, [false, true]);
        assert!(!is_fence("a ```x``` b", &(2..9)));
    }
}
