//! The escaper's promises, checked with a CommonMark parser: no value becomes markup, every
//! value shows as written, and no escape stands where none is needed.

use pulldown_cmark::{Event, Options, Parser, Tag};

use super::*;

/// The markup a value must never make, counted in a parse.
fn markup(markdown: &str) -> Vec<&'static str> {
    // Strikethrough is left out: DingTalk renders none, GFM pairs even single `~`s, and runs of
    // `~` are checked apart (`no_tilde_runs`).
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM;
    let mut found = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        let what = match event {
            Event::Start(tag) => match tag {
                Tag::Heading { .. } => "heading",
                Tag::BlockQuote(_) => "quote",
                Tag::CodeBlock(_) => "code block",
                Tag::HtmlBlock => "html block",
                Tag::List(_) => "list",
                Tag::Item => "item",
                Tag::Emphasis => "emphasis",
                Tag::Strong => "strong",
                Tag::Link { .. } => "link",
                Tag::Image { .. } => "image",
                Tag::Table(_) => "table",
                Tag::FootnoteDefinition(_) => "footnote",
                _ => continue,
            },
            Event::Html(_) | Event::InlineHtml(_) => "html",
            Event::Code(_) => "code",
            Event::FootnoteReference(_) => "footnote reference",
            Event::TaskListMarker(_) => "task",
            Event::Rule => "rule",
            _ => continue,
        };
        found.push(what);
    }
    found.sort_unstable();
    found
}

/// The text a reader sees, white space left out (markdown moves it about at line ends).
fn shown(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t)
            }
            _ => {}
        }
    }
    text.retain(|c| !c.is_whitespace());
    text
}

/// Templates a value may stand in: `{}` is the value.
const CONTEXTS: &[&str] = &[
    "{}",
    "- {}",
    "> {}",
    "1. {}",
    "### {}",
    "text {} text",
    "**{}** done",
    "a\n{}\nb",
    "a\n\n{}\n\nb",
    "see [{}](https://x.example)",
    "a | b\n{}",
    "text\n\n  {}",
    "> - {}",
];

/// The template split around its value, the text before with its line breaks made.
fn split(context: &str) -> (String, String) {
    let (before, after) = context.split_once("{}").unwrap();
    (hard_line_breaks(before), hard_line_breaks(after))
}

fn in_context(context: &str, value: &str) -> String {
    let (mut out, after) = split(context);
    escape_into(&mut out, value, Newlines::Break);
    out.push_str(&after);
    out
}

/// Checks every promise for `value` in every context.
fn assert_safe(value: &str) {
    for context in CONTEXTS {
        let escaped = in_context(context, value);
        let benign = in_context(context, "x");
        // A value may undo the template's markup (an empty one empties `**…**`); it may never
        // make its own.
        let mut made = markup(&escaped);
        for kind in markup(&benign) {
            if let Some(at) = made.iter().position(|&m| m == kind) {
                made.remove(at);
            }
        }
        assert!(
            made.is_empty(),
            "{value:?} in {context:?} made {made:?}: {escaped:?}"
        );
        let mut want = context.replace("{}", value);
        want.retain(|c| !c.is_whitespace() && !"#>-*[]()|".contains(c));
        let mut got = shown(&escaped);
        got.retain(|c| !"#>-*[]()|".contains(c));
        // The context's own markup aside, the reader sees exactly the value.
        let want = want.replace("1.", "").replace("https://x.example", "");
        let got = got.replace("1.", "").replace("https://x.example", "");
        assert_eq!(got, want, "{value:?} in {context:?} shows {escaped:?}");
        assert_escapes_needed(context, value);
    }
    assert!(
        !escape(value).contains("~~"),
        "{value:?} keeps a run of `~`: {:?}",
        escape(value)
    );
}

/// Every escape `value` gets in `context` is one the rules of the module call for, at that
/// place: the rules are restated here from CommonMark's, char by char.
fn assert_escapes_needed(context: &str, value: &str) {
    let (before, _) = split(context);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let context_indent = block_start(&before[line_start..]);
    let heading = is_heading(&before[line_start..]);
    let mut out = before.clone();
    escape_into(&mut out, value, Newlines::Break);
    let out = &out[before.len()..];
    let value: String = value.replace("\r\n", "\n").replace('\r', "\n");
    let multiline = value.contains('\n');
    let chars: Vec<char> = value.chars().collect();
    // Whether chars[i] stands where a block could start: after indentation only, on a line of
    // the value's own, or on its first line when the value starts its line.
    let at_line_start = |i: usize| {
        let mut j = i;
        while j > 0 && matches!(chars[j - 1], ' ' | '\t') {
            j -= 1;
        }
        if j == 0 {
            context_indent.is_some()
        } else {
            chars[j - 1] == '\n'
        }
    };
    // What follows chars[i] is white space, a line's end or the value's end.
    let space_after = |i: usize| chars.get(i + 1).is_none_or(|c| c.is_whitespace());
    let mut rest = out;
    let mut i = 0; // index into chars
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("  \n") {
            // A line break the rule made (or the value's own two spaces, then a newline).
            while chars.get(i) == Some(&' ') {
                i += 1;
            }
            assert_eq!(chars.get(i), Some(&'\n'), "{value:?} → {out:?}");
            i += 1;
            rest = after;
            continue;
        }
        let (unit, len, stands_for) = if let Some(after) = rest.strip_prefix('\\') {
            let c = after.chars().next().expect("an escape escapes something");
            ("backslash", 1 + c.len_utf8(), c)
        } else if rest.starts_with('&') {
            let end = rest.find(';').expect("a reference ends") + 1;
            let c = match &rest[..end] {
                "&lt;" => '<',
                "&gt;" => '>',
                "&amp;" => '&',
                "&#126;" => '~',
                "&#124;" => '|',
                "&#61;" => '=',
                other => panic!("unknown reference {other} in {out:?}"),
            };
            ("reference", end, c)
        } else {
            let c = rest.chars().next().unwrap();
            ("as is", c.len_utf8(), c)
        };
        // Indentation past three columns at a line start is dropped, and a tab there is
        // written as a space.
        loop {
            match chars.get(i) {
                Some(&c) if c == stands_for => break,
                Some('\t') if unit == "as is" && stands_for == ' ' && at_line_start(i) => break,
                Some(' ' | '\t') if at_line_start(i) => i += 1,
                other => panic!("{value:?} → {out:?}: `{stands_for}` stands for {other:?} at {i}"),
            }
        }
        let needed = match (unit, stands_for) {
            ("as is", _) => true,
            ("backslash", '\\' | '*' | '_' | '`' | '[' | ']') => true,
            ("backslash", '#') => {
                let run = chars[i..].iter().take_while(|&&c| c == '#').count();
                let ends_line = chars[i + run..]
                    .iter()
                    .take_while(|&&c| c != '\n')
                    .all(|&c| c == ' ' || c == '\t');
                let after_space = if i == 0 {
                    before.ends_with([' ', '\t'])
                } else {
                    matches!(chars[i - 1], ' ' | '\t')
                };
                let first_line = !chars[..i].contains(&'\n');
                (at_line_start(i) && space_after(i + run - 1))
                    || (heading && first_line && ends_line && after_space)
            }
            ("backslash", '-') => {
                at_line_start(i) && (space_after(i) || chars.get(i + 1) == Some(&'-'))
            }
            ("backslash", '+') => at_line_start(i) && space_after(i),
            ("backslash", '.' | ')') => {
                let digits = chars[..i]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                digits > 0 && at_line_start(i - digits) && space_after(i)
            }
            ("reference", '<' | '>' | '&') => true,
            ("reference", '~') => chars.get(i + 1) == Some(&'~') || (i > 0 && chars[i - 1] == '~'),
            ("reference", '|') => multiline || context_indent.is_some(),
            ("reference", '=') => {
                at_line_start(i) && (space_after(i) || chars.get(i + 1) == Some(&'='))
            }
            _ => false,
        };
        assert!(
            needed,
            "{value:?} in {context:?} → {out:?}: the {unit} escape of `{stands_for}` at {i} is not needed"
        );
        i += 1;
        rest = &rest[len..];
    }
}

#[test]
fn no_value_can_inject_markdown() {
    for value in [
        "# title",
        "## x\n### y",
        "> quote",
        "- item\n+ item\n* item",
        "12. item",
        "1) item",
        "  # indented",
        "**b** _i_ __u__ [l](u) ![i](u) `c` <font color=red>x</font>",
        "<https://evil.example>",
        "[ref]: https://evil.example",
        "[^1]\n\n[^1]: note",
        "- [ ] task",
        "a\n===",
        "a\n---",
        "***",
        "_ _ _",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "a | b\n- | -",
        "~~~\ncode\n~~~",
        "```\ncode\n```",
        "~~gone~~",
        "a\\\nb",
        "x\r\n# y",
        "x\r# y",
        "text\n\n    indented code",
        "\tcode",
        "<div>\nblock\n</div>",
        "&lt;b&gt; &amp; &#42;",
        "1.",
        "1.\n2)",
        "end with 3.",
        "#",
        "a\n-",
        "a\n--",
        "a\n=",
        "x|y",
        ":-|:-",
        "|-|-|",
        "  code",
        "issue #",
        "C# ##  ",
        "a #\nb #",
    ] {
        assert_safe(value);
    }
    let mut out = String::from("### ");
    escape_into(&mut out, "issue #", Newlines::Break);
    assert_eq!(out, "### issue \\#");
    let mut out = String::from("### ");
    escape_into(&mut out, "C#", Newlines::Break);
    assert_eq!(out, "### C#");
}

#[test]
fn no_escape_where_none_is_needed() {
    for value in [
        "v1.2 - ok! C# 100% a~b 1+1=2",
        "e-mail: a.b (c) {d} 'e' \"f\" ~ 3.5 / ; : ?",
        "多字节文本，没有标记。",
        "price: $5 #1 issue",
        "3.5 and v1.2",
        "#123 -5 +86 =x 1.5",
    ] {
        assert_eq!(escape(value), value);
    }
    // In the middle of a line no block can start: nothing at a line start is escaped there.
    let mut out = String::from("temp: ");
    escape_into(
        &mut out,
        "-5 on +86 db-1, issue #123, 1. done, x|y",
        Newlines::Break,
    );
    assert_eq!(out, "temp: -5 on +86 db-1, issue #123, 1. done, x|y");
}

#[test]
fn escapes_exactly() {
    let cases = [
        ("# title", r"\# title"),
        ("- item\n+ item", "\\- item  \n\\+ item"),
        ("12. item", r"12\. item"),
        ("  # indented", r"  \# indented"),
        (
            "**b** _i_ [l](u) ![i](u) `c` <font color=red>",
            r"\*\*b\*\* \_i\_ \[l\](u) !\[i\](u) \`c\` &lt;font color=red&gt;",
        ),
        ("a\\b & c", r"a\\b &amp; c"),
        ("1.\n2)", "1\\.  \n2\\)"),
        (
            "~a~ ~~b~~ ~~~",
            "~a~ &#126;&#126;b&#126;&#126; &#126;&#126;&#126;",
        ),
        ("a | b", "a &#124; b"),
        ("a | b\nc", "a &#124; b  \nc"),
        ("a\n= b", "a  \n&#61; b"),
        ("x = 1", "x = 1"),
        ("a\nb\r\n\nc", "a  \nb\n\nc"),
        ("    four", "   four"),
        ("\tcode", " code"),
    ];
    for (value, want) in cases {
        assert_eq!(escape(value), want, "{value:?}");
    }
    for (value, _) in cases {
        assert_safe(value);
    }
    let mut out = String::new();
    escape_into(&mut out, "a\nb", Newlines::Preserve);
    assert_eq!(out, "a\nb");
}

#[test]
fn an_escaper_dropped_unfinished_still_writes_its_end() {
    use std::fmt::Write as _;
    let mut out = String::from("v ");
    {
        let mut escaper = Escaper::new(&mut out, Newlines::Break);
        write!(escaper, "1. x~").unwrap();
    }
    assert_eq!(out, "v 1. x~");
    let mut out = String::new();
    {
        let mut escaper = Escaper::new(&mut out, Newlines::Break);
        write!(escaper, "1.").unwrap();
    }
    assert_eq!(out, "1\\.");
}

#[test]
fn where_a_value_stands_is_read_from_the_text_before_it() {
    for (line, want) in [
        ("", Some(0)),
        ("  ", Some(2)),
        ("- ", Some(0)),
        ("> - ", Some(0)),
        (">", Some(0)),
        ("1.  ", Some(1)),
        ("12) ", Some(0)),
        ("text ", None),
        ("**", None),
        ("-x", None),
        ("1.x", None),
        ("### ", None),
    ] {
        assert_eq!(block_start(line), want, "{line:?}");
    }
}

#[test]
fn random_values_are_safe() {
    // A small xorshift: the cases follow from the seed, so a failure can be replayed.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> = "ab1 9.)#-+=*_`[]()!<>&|~\\\n\t:/多".chars().collect();
    for _ in 0..3_000 {
        let len = (next() % 12) as usize;
        let value: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        assert_safe(&value);
    }
}

#[test]
fn line_breaks_follow_one_rule() {
    assert_eq!(hard_line_breaks("a\nb\n\nc"), "a  \nb\n\nc");
    assert_eq!(hard_line_breaks("### t\n- x\n"), "### t  \n- x  \n");
    assert_eq!(hard_line_breaks("a  \nb"), "a  \nb");
    assert_eq!(hard_line_breaks("a\r\nb\rc"), "a  \nb  \nc");
    // Values and hand-written markdown break alike.
    for text in ["a\nb", "a\n\nb", "a\n\n\nb", "a  \nb", "a\r\n\r\nb"] {
        let mut escaped = String::new();
        escape_into(&mut escaped, text, Newlines::Break);
        assert_eq!(escaped, hard_line_breaks(text), "{text:?}");
    }
}

#[test]
fn unrendered_markdown_is_found_once_per_piece() {
    let found = unrendered("| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n```\n| in code |\n```\n~~x~~");
    let what: Vec<(Unrendered, usize)> = found.iter().map(|f| (f.what, f.line_number)).collect();
    assert_eq!(
        what,
        [
            (Unrendered::Table, 0),
            (Unrendered::HorizontalRule, 4),
            (Unrendered::FencedCode, 5),
            (Unrendered::Strikethrough, 8),
        ]
    );
    for rule in ["---", "***", "_ _ _", "-----"] {
        assert!(is_rule(rule), "{rule}");
    }
    for not in ["--", "- item", "-*-", "x---"] {
        assert!(!is_rule(not), "{not}");
    }
    for row in [
        "| a | b |",
        "|---|---|",
        "--- | ---",
        "|:--:|",
        "-|-",
        ":-|:-",
        "- | :-:",
    ] {
        assert!(is_table_row(row), "{row}");
    }
    for not in ["a | b", "|", "x", "- a | b", "-- x"] {
        assert!(!is_table_row(not), "{not}");
    }
    assert!(!has_strikethrough("a ~~ b"));
    assert!(unrendered("### fine\n- list\n> quote\n**bold**").is_empty());
}

#[test]
fn code_regions_cover_spans_and_fences() {
    let text = "a `b` c ``d ` e`` \\`f` g\n\n```\nh\n```\n`unclosed\n\nnext` x";
    let regions: Vec<&str> = code_regions(text).into_iter().map(|r| &text[r]).collect();
    assert_eq!(regions, ["`b`", "``d ` e``", "```\nh\n```"]);
    let fenced = "~~~~\nx\n~~~\nstill code";
    assert_eq!(code_regions(fenced), vec![0..fenced.len()]);
}
