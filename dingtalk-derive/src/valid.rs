//! Rules across attributes and templates: what makes a layout DingTalk can send and render.

use syn::LitStr;
use syn::ext::IdentExt;

use crate::Ctxt;
use crate::ast::{self, Input, Kind, Orientation, Tpl, Variant};
use crate::template::{self, Node};

/// DingTalk's limit on a request body, in bytes (`dingtalk_core::spec::MAX_BODY_BYTES`).
const MAX_BODY_BYTES: usize = 20_000;

/// A variant's layout, checked, its templates parsed.
pub enum Body {
    Markdown {
        title: Tpl,
        text: Tpl,
    },
    ActionCard {
        title: Tpl,
        text: Tpl,
        orientation: Orientation,
        hide_avatar: bool,
        buttons: Vec<(Tpl, Tpl)>,
    },
    Text {
        content: Tpl,
    },
    Link {
        title: Tpl,
        text: Tpl,
        message_url: Tpl,
        pic_url: Option<Tpl>,
    },
}

/// Checks every variant; `None` where a variant has a mistake (reported in `cx`).
pub fn check(cx: &Ctxt, input: &Input<'_>) -> Vec<Option<Body>> {
    input
        .variants
        .iter()
        .map(|v| variant(cx, input, v))
        .collect()
}

fn variant(cx: &Ctxt, input: &Input<'_>, v: &Variant<'_>) -> Option<Body> {
    let Some(kind) = &v.kind else {
        // The kind has a mistake, reported already: check what else can be, so that all
        // mistakes are reported at once.
        for b in &v.buttons {
            for (lit, role) in [(&b.title, Role::Plain), (&b.url, Role::Url)] {
                if let Some(tpl) = ast::tpl(cx, lit) {
                    names(cx, input, v, &tpl);
                    if role == Role::Url {
                        static_url(cx, &tpl);
                    }
                }
            }
        }
        return None;
    };
    let kind_name = kind.kind.name();
    let is_card = matches!(kind.kind, Kind::ActionCard { .. });
    if v.pc_slide.is_some() && kind.kind.mentions() {
        cx.error(
            &kind.span,
            format!(
                "`pc_slide` applies to the links of `link` and `action_card`, not `{kind_name}`"
            ),
        );
    }

    if !is_card {
        for button in &v.buttons {
            cx.error(
                &button.span,
                format!("`button` is only for `action_card`, not `{kind_name}`"),
            );
        }
    }
    for field in &v.fields {
        let name = field.ident;
        if field.attrs.buttons && !is_card {
            cx.error(
                name,
                format!("`#[dingtalk(buttons)]` is only for `action_card`, not `{kind_name}`"),
            );
        }
        if !kind.kind.mentions() {
            for (on, attr) in [
                (field.attrs.at_mobiles, "at_mobiles"),
                (field.attrs.at_user_ids, "at_user_ids"),
                (field.attrs.at_all, "at_all"),
            ] {
                if on {
                    cx.error(
                        name,
                        format!(
                            "`{attr}` is not for `{kind_name}`: DingTalk mentions only from `text` and `markdown`"
                        ),
                    );
                }
            }
        }
    }
    if v.at_all && !kind.kind.mentions() {
        cx.error(
            &kind.span,
            format!(
                "`at_all` is not for `{kind_name}`: DingTalk mentions only from `text` and `markdown`"
            ),
        );
    }
    if is_card && v.buttons.is_empty() && !v.fields.iter().any(|f| f.attrs.buttons) {
        cx.error(
            &kind.span,
            "an action card needs a button: add `#[dingtalk(button(title = \"…\", url = \"…\"))]` \
             or a field marked `#[dingtalk(buttons)]`",
        );
    }

    // Every template is parsed and checked, so that a mistake in one hides none in another.
    let mut parsed = parse(cx, &kind.kind, &v.buttons);
    let mut ok = parsed.iter().all(Option::is_some);
    let mut literal = 0;
    for (tpl, role) in parsed.iter().flatten() {
        ok &= names(cx, input, v, tpl);
        ok &= specs(cx, tpl);
        if tpl.nodes.is_empty() && *role != Role::Url {
            cx.error(&tpl.lit, "this part is empty, and DingTalk requires it");
            ok = false;
        }
        literal += template::literal_len(&tpl.nodes);
        match role {
            Role::Url => ok &= static_url(cx, tpl),
            Role::Markdown if !v.allow_unrendered_markdown => ok &= renderable(cx, tpl),
            _ => {}
        }
    }
    if literal > MAX_BODY_BYTES {
        cx.error_at(
            v.span,
            format!(
                "the literal text of this layout alone is {literal} bytes, over DingTalk's limit of \
                 {MAX_BODY_BYTES} bytes for a whole message"
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let mut next = || parsed.remove(0).map(|(tpl, _)| tpl).expect("all parsed");
    Some(match &kind.kind {
        Kind::Markdown { .. } => Body::Markdown {
            title: next(),
            text: next(),
        },
        Kind::ActionCard {
            orientation,
            hide_avatar,
            ..
        } => {
            let title = next();
            let text = next();
            let buttons = v.buttons.iter().map(|_| (next(), next())).collect();
            Body::ActionCard {
                title,
                text,
                orientation: *orientation,
                hide_avatar: *hide_avatar,
                buttons,
            }
        }
        Kind::Text { .. } => Body::Text { content: next() },
        Kind::Link { pic_url, .. } => Body::Link {
            title: next(),
            text: next(),
            message_url: next(),
            pic_url: pic_url.as_ref().map(|_| next()),
        },
    })
}

/// Every template of a layout, parsed (`None` where a template has a mistake), in the order
/// [`templates`] lists them.
fn parse(cx: &Ctxt, kind: &Kind, buttons: &[ast::ButtonAttr]) -> Vec<Option<(Tpl, Role)>> {
    let with = |tpl: Option<Tpl>, role| tpl.map(|t| (t, role));
    let mut all = Vec::new();
    match kind {
        Kind::Markdown { title, text } => {
            all.push(with(ast::tpl(cx, title), Role::Plain));
            all.push(with(ast::source_tpl(cx, text), Role::Markdown));
        }
        Kind::ActionCard { title, text, .. } => {
            all.push(with(ast::tpl(cx, title), Role::Plain));
            all.push(with(ast::source_tpl(cx, text), Role::Markdown));
            for b in buttons {
                all.push(with(ast::tpl(cx, &b.title), Role::Plain));
                all.push(with(ast::tpl(cx, &b.url), Role::Url));
            }
        }
        Kind::Text { content } => all.push(with(ast::source_tpl(cx, content), Role::Plain)),
        Kind::Link {
            title,
            text,
            message_url,
            pic_url,
        } => {
            all.push(with(ast::tpl(cx, title), Role::Plain));
            all.push(with(ast::tpl(cx, text), Role::Plain));
            all.push(with(ast::tpl(cx, message_url), Role::Url));
            if let Some(pic) = pic_url {
                all.push(with(ast::tpl(cx, pic), Role::Url));
            }
        }
    }
    all
}

/// How a template's values are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Plain text: text messages, titles, link text.
    Plain,
    /// Markdown: escaped.
    Markdown,
    /// A URL.
    Url,
}

/// Every template of a layout, with its role.
pub fn templates(body: &Body) -> Vec<(&Tpl, Role)> {
    match body {
        Body::Markdown { title, text } => vec![(title, Role::Plain), (text, Role::Markdown)],
        Body::ActionCard {
            title,
            text,
            buttons,
            ..
        } => {
            let mut all = vec![(title, Role::Plain), (text, Role::Markdown)];
            for (t, u) in buttons {
                all.push((t, Role::Plain));
                all.push((u, Role::Url));
            }
            all
        }
        Body::Text { content } => vec![(content, Role::Plain)],
        Body::Link {
            title,
            text,
            message_url,
            pic_url,
        } => {
            let mut all = vec![
                (title, Role::Plain),
                (text, Role::Plain),
                (message_url, Role::Url),
            ];
            all.extend(pic_url.iter().map(|p| (p, Role::Url)));
            all
        }
    }
}

/// Every name in the template is a field, or a loop variable where it stands.
fn names(cx: &Ctxt, input: &Input<'_>, v: &Variant<'_>, tpl: &Tpl) -> bool {
    let fields: Vec<String> = v
        .fields
        .iter()
        .map(|f| f.ident.unraw().to_string())
        .collect();
    let owner = match v.ident {
        Some(variant) => format!("variant `{}::{variant}`", input.ident),
        None => format!("`{}`", input.ident),
    };
    let mut ok = true;
    template::visit_names(&tpl.nodes, &mut Vec::new(), &mut |name, scope| {
        let root = name.root.as_str();
        if scope.contains(&root) || fields.iter().any(|f| f == root) {
            return;
        }
        ok = false;
        let candidates = fields
            .iter()
            .map(String::as_str)
            .chain(scope.iter().copied());
        let hint = match did_you_mean(root, candidates) {
            Some(best) => format!("; did you mean `{best}`?"),
            None if fields.is_empty() => "; it has no fields".to_owned(),
            None => format!("; its fields are {}", list(&fields)),
        };
        cx.error(&tpl.lit, format!("no field `{root}` on {owner}{hint}"));
    });
    ok
}

fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every format spec is one `format!` takes with no argument of its own:
/// `[[fill]align][sign][#][0][width][.precision][type]`, numbers only.
fn specs(cx: &Ctxt, tpl: &Tpl) -> bool {
    let mut ok = true;
    let mut check = |spec: &str, name: &template::Name| {
        if !spec.is_empty() && !valid_spec(spec) {
            ok = false;
            let name = name.rest.iter().fold(name.root.clone(), |a, b| a + "." + b);
            cx.error(
                &tpl.lit,
                format!(
                    "`{{{name}:{spec}}}` has a format spec this derive cannot use: write fill, \
                     alignment, sign, `#`, `0`, a width and a precision as numbers, and a type \
                     (`?`, `x`, `X`, `o`, `b`, `e`, `E`)"
                ),
            );
        }
    };
    fn walk(nodes: &[Node], check: &mut impl FnMut(&str, &template::Name)) {
        for node in nodes {
            match node {
                Node::Value(v) => check(&v.spec, &v.name),
                Node::If {
                    then, otherwise, ..
                } => {
                    walk(then, check);
                    walk(otherwise, check);
                }
                Node::Each { body, .. } => walk(body, check),
                Node::Lit(_) => {}
            }
        }
    }
    walk(&tpl.nodes, &mut check);
    ok
}

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

/// A URL that starts with literal text must start with a scheme DingTalk opens.
fn static_url(cx: &Ctxt, tpl: &Tpl) -> bool {
    let start = match tpl.nodes.first() {
        Some(Node::Lit(lit)) => lit.as_str(),
        // Starts with a value: known only at run time.
        Some(_) => return true,
        None => "",
    };
    let whole = tpl.nodes.len() <= 1;
    let ok = ["http://", "https://", "dingtalk://"].iter().any(|scheme| {
        start
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    });
    // A literal prefix too short to hold a scheme may be completed by a value (`{scheme}://`),
    // but not one that is already a host or a path.
    if ok || (!whole && !start.contains([':', '/', '.'])) {
        return true;
    }
    cx.error(
        &tpl.lit,
        format!(
            "`{}` is not a URL DingTalk opens: it must start with `http://`, `https://` or `dingtalk://`",
            tpl.lit.value()
        ),
    );
    false
}

/// The literal parts of a markdown template hold nothing DingTalk leaves unrendered.
fn renderable(cx: &Ctxt, tpl: &Tpl) -> bool {
    let skeleton = template::skeleton(&tpl.nodes);
    let mut ok = true;
    let mut report = |lit: &LitStr, what: &str, line: &str| {
        ok = false;
        let line = line.trim();
        let quoted = if line.contains('`') {
            format!("`` {line} ``")
        } else {
            format!("`{line}`")
        };
        cx.error(
            lit,
            format!(
                "DingTalk does not render {what} in markdown ({quoted}); rewrite it, or add \
                 `#[dingtalk(allow_unrendered_markdown)]`"
            ),
        );
    };
    for line in skeleton.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            report(&tpl.lit, "fenced code", line);
        } else if is_rule(t) {
            report(&tpl.lit, "horizontal rules", line);
        } else if is_table_row(t) {
            report(&tpl.lit, "tables", line);
        } else if has_strikethrough(t) {
            report(&tpl.lit, "strikethrough", line);
        }
    }
    ok
}

/// `---`, `***`, `___`, `- - -`: three or more of one mark and nothing else.
fn is_rule(line: &str) -> bool {
    let marks: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3 && ['-', '*', '_'].iter().any(|m| marks.iter().all(|c| c == m))
}

/// `| a | b |`, or a delimiter row such as `|---|:--:|` or `--- | ---`.
fn is_table_row(line: &str) -> bool {
    let delimiter = line.contains('|')
        && line.contains("---")
        && line
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'));
    let piped = line.len() > 1 && line.starts_with('|') && line.ends_with('|');
    delimiter || piped
}

fn has_strikethrough(line: &str) -> bool {
    line.split("~~").count() >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_unrendered_markdown() {
        for rule in ["---", "***", "_ _ _", "-----"] {
            assert!(is_rule(rule), "{rule}");
        }
        for not in ["--", "- item", "-*-", "x---"] {
            assert!(!is_rule(not), "{not}");
        }
        for row in ["| a | b |", "|---|---|", "--- | ---", "|:--:|"] {
            assert!(is_table_row(row), "{row}");
        }
        for not in ["a | b", "|", "x"] {
            assert!(!is_table_row(not), "{not}");
        }
        assert!(has_strikethrough("a ~~gone~~ b"));
        assert!(!has_strikethrough("a ~~ b"));
    }

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
}
