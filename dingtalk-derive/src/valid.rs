//! Rules across attributes and templates: what makes a layout DingTalk can send and render.
//!
//! This stage only checks. Every mistake goes to the [`Ctxt`]; nothing is built here. What
//! DingTalk allows is `dingtalk-spec`'s: which message types take mentions, buttons and
//! `pc_slide`, the size limit, the schemes it opens and the markdown it leaves unrendered.

use std::ops::Range;

use dingtalk_spec::markdown::{code_regions, unrendered};
use dingtalk_spec::url::{LINK_SCHEMES, opens_in_dingtalk};
use dingtalk_spec::{MAX_BODY_BYTES, MsgType};

use crate::ast::{Draft, Header, Input, Layout, Parsed, Template, Variant};
use crate::ctxt::Ctxt;
use crate::kind::{KindName, Role, list};
use crate::template::{self, Name, Node, Skeleton};

/// Checks every variant of a derive input.
pub(crate) fn check(cx: &Ctxt, input: &Input<'_, Draft>) {
    for v in &input.variants {
        variant(cx, &input.header, v);
    }
}

fn variant(cx: &Ctxt, header: &Header<'_>, v: &Variant<'_, Draft>) {
    let owner = match v.ident {
        Some(variant) => format!("variant `{}::{variant}`", header.ident),
        None => format!("`{}`", header.ident),
    };
    if let Ok(layout) = &v.layout.layout {
        rules(cx, v, layout);
        // Every template is checked, so that a mistake in one hides none in another.
        let mut literal = 0;
        for (part, role) in layout.kind.parts() {
            if let Ok(tpl) = part {
                template(cx, &owner, v, tpl, role);
                literal += template::literal_len(&tpl.nodes);
            }
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
    }
    // Buttons no kind took are reported already; their templates can still hold mistakes.
    for (button, _) in &v.layout.stray_buttons {
        for (part, role) in button.parts() {
            if let Ok(tpl) = part {
                template(cx, &owner, v, tpl, role);
            }
        }
    }
}

/// What the kind's message type allows: mentions, buttons, `pc_slide`.
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
    if v.options.at_all && !msgtype.takes_mentions() {
        cx.error_at(
            layout.span,
            format!("`at_all` is not for `{kind}`: {}", mentions()),
        );
    }
    let buttons_field = v.fields.iter().any(|f| f.attrs.buttons);
    if msgtype.takes_buttons() && layout.kind.buttons().is_empty() && !buttons_field {
        cx.error_at(
            layout.span,
            "an action card needs a button: add `#[dingtalk(button(title = \"…\", url = \"…\"))]` \
             or a field marked `#[dingtalk(buttons)]`",
        );
    }
}

/// One template, by what its part needs.
fn template(cx: &Ctxt, owner: &str, v: &Variant<'_, Draft>, tpl: &Template, role: Role) {
    names(cx, owner, v, tpl);
    specs(cx, tpl);
    if tpl.nodes.is_empty() && role != Role::Url {
        cx.error(&tpl.lit, "this part is empty, and DingTalk requires it");
    }
    match role {
        Role::Url => static_url(cx, tpl),
        Role::Markdown => {
            let skeleton = template::skeleton(&tpl.nodes);
            if !v.options.allow_unrendered_markdown {
                renderable(cx, tpl, &skeleton);
            }
            values_outside_code(cx, v, tpl, &skeleton);
        }
        Role::Plain => {}
    }
}

/// Every name in the template is a field, or a loop variable where it stands.
fn names(cx: &Ctxt, owner: &str, v: &Variant<'_, Draft>, tpl: &Template) {
    let fields: Vec<&str> = v.fields.iter().map(|f| f.name.as_str()).collect();
    template::visit_names(&tpl.nodes, &mut Vec::new(), &mut |name, scope| {
        let root = name.root.as_str();
        if scope.contains(&root) || fields.contains(&root) {
            return;
        }
        let candidates = fields.iter().chain(scope).copied();
        let hint = match did_you_mean(root, candidates) {
            Some(best) => format!("; did you mean `{best}`?"),
            None if fields.is_empty() => "; it has no fields".to_owned(),
            None => {
                let fields: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                format!("; its fields are {}", fields.join(", "))
            }
        };
        cx.error(&tpl.lit, format!("no field `{root}` on {owner}{hint}"));
    });
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
                            "`{{{}:{}}}` has a format spec this derive cannot use: write fill, \
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

/// The literal text of a markdown template holds nothing DingTalk leaves unrendered.
fn renderable(cx: &Ctxt, tpl: &Template, skeleton: &Skeleton<'_>) {
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
                "DingTalk does not render {} in markdown ({quoted}); rewrite it, or add \
                 `#[dingtalk(allow_unrendered_markdown)]`",
                finding.what.describe()
            ),
        );
    }
}

/// No escaped value stands in a code span or fenced code, where its escapes would show.
fn values_outside_code(cx: &Ctxt, v: &Variant<'_, Draft>, tpl: &Template, skeleton: &Skeleton<'_>) {
    let regions = code_regions(&skeleton.text);
    for placed in &skeleton.values {
        let Some(region) = regions.iter().find(|r| r.contains(&placed.offset)) else {
            continue;
        };
        if is_raw(v, &placed.value.name.root, &placed.loops) {
            continue;
        }
        let written = match placed.value.spec.as_str() {
            "" => format!("{{{}}}", placed.value.name.dotted()),
            spec => format!("{{{}:{spec}}}", placed.value.name.dotted()),
        };
        let message = if is_fence(&skeleton.text, region) {
            format!(
                "a value inside fenced code would show its escapes: move `{written}` out of \
                 the fence, or mark the field `#[dingtalk(raw)]`"
            )
        } else {
            format!(
                "a value inside a code span would show its escapes: move `{written}` out of \
                 the backticks, or mark the field `#[dingtalk(raw)]`"
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
