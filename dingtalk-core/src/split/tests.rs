//! The split's promises: every part passes the pre-flight check, the parts make the original
//! text again, and no cut falls inside an escape, an entity, a link or code, as a CommonMark
//! parser (pulldown-cmark) reads them.

use pulldown_cmark::{Event, Parser, Tag};

use super::*;

/// Whether `part` passes the robot's check (as `Checked::new` runs it) for `keywords`.
fn passes(part: &Markdown, keywords: &[&str]) -> bool {
    let payload = Payload::from(part.clone());
    let body = payload.to_json().len() + spec::MSG_UUID_FIELD_LEN;
    payload.check(keywords, body).is_ok()
}

/// The JSON text a part of `title`'s may hold, numbered with one digit, without mentions.
fn budget(title: &str) -> usize {
    let frame = Payload::from(Payload::markdown(format!("{title} (9/9)"), "")).to_json();
    LIMIT - frame.len()
}

/// Where each part's run of the original text starts, after the first.
fn cuts(message: &Markdown) -> Vec<usize> {
    Plan::of(message).pieces[1..]
        .iter()
        .map(|p| p.range.start)
        .collect()
}

/// What a reader sees, as pulldown-cmark reads it: the text (white space left out, since
/// markdown moves it about at line ends), each link's and image's address, each code span.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shown {
    text: String,
    links: Vec<String>,
    code: Vec<String>,
}

impl Shown {
    fn add(&mut self, markdown: &str) {
        for event in Parser::new(markdown) {
            match event {
                Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => self.text.push_str(&t),
                Event::Code(t) => {
                    self.text.push_str(&t);
                    self.code.push(t.trim().to_owned());
                }
                Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                    self.links.push(dest_url.into_string());
                }
                _ => {}
            }
        }
        self.text.retain(|c| !c.is_whitespace());
    }

    fn of(markdown: &str) -> Shown {
        let mut shown = Shown::default();
        shown.add(markdown);
        shown
    }
}

/// Random markdown of at least `len` bytes, of what a long report holds: paragraphs of
/// lines broken with `"  \n"` or `\n`, headings, lists, quotes, fenced blocks (some longer
/// than a message), lines longer than a message, escapes, entities, links (some over two
/// lines), images, code spans, emphasis, HTML, Chinese, and what JSON escapes.
fn random_markdown(rng: &mut fastrand::Rng, len: usize) -> String {
    const WORDS: &[&str] = &[
        "disk",
        "告警",
        "billing",
        "v2.4",
        "\\*not\\*",
        "\\_x\\_",
        "\\\\",
        "\\[x\\]",
        "\\`",
        "&lt;b&gt;",
        "&amp;",
        "&#126;&#126;",
        "&#124;",
        "&#61;",
        "&#x7E;",
        "\"q\"",
        "a\tb",
        "\u{1}",
        "@13800000000",
        "100%",
        "C#",
        "-5",
        "<font color=#FF0000>red</font>",
        "<https://example.com/auto>",
        "数据库连接超时",
        "é",
        "😀",
    ];
    // Inline pieces that keep to one line but for the two-line link and code span.
    let inline = |rng: &mut fastrand::Rng| -> String {
        match rng.usize(..14) {
            0 => format!(
                "[{} {}](https://example.com/{}_(x))",
                word(rng),
                word(rng),
                rng.u32(..99)
            ),
            1 => format!(
                "[two\nlines {}](https://example.com/t?a=1&b=2 \"title\")",
                word(rng)
            ),
            2 => format!(
                "![alt {}](https://example.com/p{}.png)",
                word(rng),
                rng.u32(..9)
            ),
            3 => format!("`code [x](y) &lt; \\ {}`", word(rng)),
            4 => "`code over\ntwo lines`".to_owned(),
            5 => format!("**{} {}**", word(rng), word(rng)),
            6 => format!("*{}*", word(rng)),
            _ => word(rng).to_owned(),
        }
    };
    fn word(rng: &mut fastrand::Rng) -> &'static str {
        WORDS[rng.usize(..WORDS.len())]
    }
    let line = |rng: &mut fastrand::Rng, words: usize| -> String {
        (0..words)
            .map(|_| inline(rng))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    while out.len() < len {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        match rng.usize(..12) {
            0 => out.push_str(&format!("### {}", line(rng, 3))),
            1 => {
                for _ in 0..rng.usize(1..8) {
                    let words = rng.usize(1..6);
                    out.push_str(&format!("- {}\n", line(rng, words)));
                }
            }
            2 => {
                for i in 1..rng.usize(2..6) {
                    out.push_str(&format!("{i}. {}\n", line(rng, 2)));
                }
            }
            3 => out.push_str(&format!("> {}  \n> {}", line(rng, 4), line(rng, 4))),
            4 => {
                // A fenced block, now and then longer than a message.
                let lines = if rng.u8(..4) == 0 {
                    rng.usize(900..1500)
                } else {
                    rng.usize(1..20)
                };
                out.push_str("```rust\n");
                for i in 0..lines {
                    out.push_str(&format!("let x{i} = \"*[a](b)* &lt; \\\\ 告警\";\n"));
                }
                out.push_str("```");
            }
            5 => {
                // A line longer than a message, of words and inline pieces.
                let mut long = String::new();
                while long.len() < 25_000 {
                    long.push_str(&inline(rng));
                    long.push(' ');
                }
                out.push_str(long.trim_end());
            }
            6 => {
                // A line longer than a message without a space.
                let mut long = String::new();
                while long.len() < 22_000 {
                    long.push_str(["&lt;", "\\*", "告", "x", "&#126;", "\\\\"][rng.usize(..6)]);
                }
                out.push_str(&long);
            }
            _ => {
                let breaks = ["  \n", "\n"];
                for i in 0..rng.usize(1..12) {
                    if i > 0 {
                        out.push_str(breaks[rng.usize(..2)]);
                    }
                    let words = rng.usize(1..12);
                    out.push_str(&line(rng, words));
                }
            }
        }
    }
    out
}

#[test]
fn random_long_markdown_splits_into_parts_that_pass_and_make_the_original_again() {
    let mut rng = fastrand::Rng::with_seed(20_000);
    let mut parts_seen = 0;
    for case in 0..24 {
        let len = rng.usize(20_000..150_000);
        let text = random_markdown(&mut rng, len);
        let mut message = Payload::markdown(format!("deploy \"report\" #{case}"), text);
        if case % 3 == 0 {
            message = message
                .at_mobiles(["13800000000", "13900000000"])
                .at_user_ids(["ops"]);
        }
        if case % 4 == 0 {
            message = message.at_all();
        }
        // The text as built (the builder makes single newlines line breaks).
        let text = message.text().to_owned();
        let parts = message.split();
        parts_seen += parts.len();
        let count = parts.len();
        assert!(count >= 2, "case {case}: {} bytes in one part", text.len());

        // Every part passes the robot's check, and numbers itself.
        for (i, part) in parts.iter().enumerate() {
            assert!(passes(part, &["deploy"]), "case {case}, part {}", i + 1);
            assert_eq!(
                part.title(),
                format!("deploy \"report\" #{case} ({}/{count})", i + 1)
            );
            let last = i + 1 == count;
            let at = if last {
                message.at().clone()
            } else {
                At::default()
            };
            assert_eq!(part.at(), &at, "mentions on the last part only");
        }

        // The runs make the original, and each part is its run with what closes or reopens
        // a code region cut in two; only fences and code spans are reopened.
        let plan = Plan::of(&message);
        assert_eq!(plan.pieces.len(), count);
        let mut next = 0;
        for (piece, part) in plan.pieces.iter().zip(&parts) {
            assert_eq!(piece.range.start, next);
            next = piece.range.end;
            assert!(
                part.text() == piece.text(&text),
                "case {case}: a part is not its run"
            );
            for added in [&piece.reopen, &piece.close] {
                let added = added.trim();
                assert!(added.is_empty() || added.starts_with("```") || added == "`");
            }
        }
        assert_eq!(next, text.len());

        // What a reader sees is the same: no escape, entity, link or code span was cut.
        let mut shown = Shown::default();
        for part in &parts {
            shown.add(part.text());
        }
        let original = Shown::of(&text);
        let first_difference = |a: &[String], b: &[String]| {
            a.iter()
                .zip(b)
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("{a:?} / {b:?}"))
        };
        assert!(
            shown.links == original.links,
            "case {case}: links {} / {}, {:?}",
            shown.links.len(),
            original.links.len(),
            first_difference(&shown.links, &original.links)
        );
        assert!(
            shown.code == original.code,
            "case {case}: code {} / {}, {:?}",
            shown.code.len(),
            original.code.len(),
            first_difference(&shown.code, &original.code)
        );
        if shown.text != original.text {
            let at = shown
                .text
                .chars()
                .zip(original.text.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let around = |s: &str| {
                s.chars()
                    .skip(at.saturating_sub(40))
                    .take(80)
                    .collect::<String>()
            };
            panic!(
                "case {case}: shown text differs at char {at}:\n parts: {}\n whole: {}",
                around(&shown.text),
                around(&original.text)
            );
        }
    }
    assert!(parts_seen > 60, "{parts_seen}");
}

#[test]
fn a_message_that_fits_comes_back_as_it_is() {
    let message = Payload::markdown("Deploy", "**done**").at_mobiles(["138"]);
    assert_eq!(message.split(), std::slice::from_ref(&message));
    let full = LIMIT - Payload::from(Payload::markdown("T", "")).to_json().len();
    let message = Payload::markdown("T", "x".repeat(full));
    assert_eq!(message.split(), std::slice::from_ref(&message));
    let over = Payload::markdown("T", "x ".repeat(full / 2 + 1));
    assert_eq!(over.split().len(), 2);
}

#[test]
fn paragraphs_are_preferred_to_lines() {
    let line = "alpha beta gamma  \n";
    let paragraph = line.repeat(12_000 / line.len()).trim_end().to_owned();
    let text = format!("{paragraph}\n\n{paragraph}");
    let message = Payload::markdown("Notes", text.clone());
    let parts = message.split();
    let texts: Vec<&str> = parts.iter().map(|p| p.text()).collect();
    assert_eq!(texts, [format!("{paragraph}\n\n"), paragraph]);
    let titles: Vec<&str> = parts.iter().map(|p| p.title()).collect();
    assert_eq!(titles, ["Notes (1/2)", "Notes (2/2)"]);
}

#[test]
fn a_line_longer_than_a_part_is_cut_between_words() {
    let text = "alpha beta ".repeat(3_000);
    let parts = Payload::markdown("T", text.trim_end()).split();
    assert_eq!(parts.len(), 2);
    assert!(
        parts[0].text().ends_with(' '),
        "{:?}",
        &parts[0].text()[19_800..]
    );
    assert!(parts[1].text().starts_with("alpha") || parts[1].text().starts_with("beta"));
    // As full as a cut between words allows.
    assert!(parts[0].text().len() > budget("T") - 12);
}

#[test]
fn no_cut_falls_inside_an_escape_or_an_entity() {
    let room = budget("T");
    for atom in [
        "\\*",
        "&lt;",
        "&#126;",
        "&#x7E;",
        "\\\\",
        "<font color=#FF0000>",
    ] {
        // The atom straddles the end of the first part, in a line without spaces.
        for shift in 0..json_len(atom) - 1 {
            let head = room - shift - 1;
            let text = format!("{}{atom}{}", "a".repeat(head), "b".repeat(5_000));
            let message = Payload::markdown("T", text.clone());
            // Before the atom; or, before a tag (which may start a block at a line's
            // start), before the letter before it.
            let cut = if atom.starts_with('<') {
                head - 1
            } else {
                head
            };
            assert_eq!(cuts(&message), [cut], "{atom} shifted {shift}");
            let parts = message.split();
            assert!(parts[1].text().contains(atom));
            assert!(parts.iter().all(|p| passes(p, &[])));
        }
    }
}

#[test]
fn a_link_is_kept_whole_and_a_code_span_too() {
    let room = budget("T");
    for piece in [
        "[a link](https://example.com/a_(b))",
        "![image](https://example.com/p.png)",
        "[over\ntwo lines](https://example.com)",
        "`code with [x](y) and spaces`",
    ] {
        let head = "ab ".repeat((room - 10) / 3);
        let message = Payload::markdown("T", format!("{head}{piece} cd{}", " ef".repeat(3_000)));
        let parts = message.split();
        assert!(parts.len() >= 2);
        // As built: the builder may make the newline a line break.
        let piece = crate::markdown::hard_line_breaks(piece);
        assert!(
            parts.iter().any(|p| p.text().contains(&piece)),
            "{piece} was cut: {:?}",
            cuts(&message)
        );
    }
}

#[test]
fn a_fenced_block_longer_than_a_part_is_closed_and_opened_again() {
    let code: String = (0..3_000).map(|i| format!("let x{i} = {i};\n")).collect();
    let message = Payload::markdown(
        "Build log",
        format!("intro\n\n~~~~rust\n{code}~~~~\n\noutro"),
    );
    let text = message.text();
    // The opening line as built (with the line break the builder makes, if it does).
    let open = &text["intro\n\n".len()..=text.find("rust").unwrap() + "rust".len() + 2];
    let open = &open[..=open.find('\n').unwrap()];
    let parts = message.split();
    assert_eq!(parts.len(), 4 - usize::from(open == "~~~~rust\n"));
    // Each part's text is a run of the original, a fence that closes the block, and the
    // opening line that opens it again in the next part.
    let last = parts.len() - 1;
    assert!(
        parts[0]
            .text()
            .starts_with(&format!("intro\n\n{open}let x0 = 0;"))
    );
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            assert!(part.text().starts_with(&format!("{open}let x")), "{i}");
        }
        if i < last {
            assert!(part.text().ends_with("\n~~~~"), "{i}");
        }
    }
    assert!(parts[last].text().ends_with("~~~~\n\noutro"));
    let rejoined: String = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = p.text();
            let t = if i > 0 {
                t.strip_prefix(open).unwrap()
            } else {
                t
            };
            if i < last {
                t.strip_suffix("~~~~").unwrap()
            } else {
                t
            }
        })
        .collect();
    assert_eq!(rejoined, text);
    assert!(parts.iter().all(|p| passes(p, &[])));

    // A block that fits a part of its own starts one, rather than be cut.
    let short: String = (0..600).map(|i| format!("let y{i} = {i};\n")).collect();
    let prose = "word ".repeat(2_500);
    let message = Payload::markdown("T", format!("{prose}\n\n```\n{short}```\n\n{prose}"));
    let text = message.text();
    let block = &text[text.find("```").unwrap()..text.rfind("```").unwrap() + 3];
    let parts = message.split();
    assert!(parts.iter().any(|p| p.text().starts_with(block)));
    assert!(
        parts
            .iter()
            .all(|p| p.text().matches("```").count() % 2 == 0)
    );
}

#[test]
fn a_code_span_longer_than_a_part_is_closed_and_opened_again() {
    let text = format!("see `{}` here", "tok ".repeat(6_000).trim_end());
    let parts = Payload::markdown("T", text.clone()).split();
    assert_eq!(parts.len(), 2);
    assert!(parts[0].text().ends_with('`'));
    assert!(parts[1].text().starts_with('`'));
    let rejoined = format!(
        "{}{}",
        parts[0].text().strip_suffix('`').unwrap(),
        parts[1].text().strip_prefix('`').unwrap()
    );
    assert_eq!(rejoined, text);
}

#[test]
fn mentions_go_on_the_last_part_and_count_there() {
    let text = "line of the report  \n".repeat(2_000);
    let message = Payload::markdown("Report", text.trim_end())
        .at_mobiles(["13800000000"])
        .at_user_ids(["ops-lead"])
        .at_all();
    let parts = message.split();
    assert_eq!(parts.len(), 3);
    assert!(parts[..2].iter().all(|p| p.at().is_empty()));
    let last = &parts[2];
    assert_eq!(last.at(), message.at());
    assert!(
        last.rendered_text()
            .ends_with("report\n\n@13800000000 @ops-lead")
    );
    assert!(parts.iter().all(|p| passes(p, &["Report"])));

    // Room is kept for the mentions: a text that would just fit without them is cut.
    let room = budget("T");
    let text = "x ".repeat(room / 2 + 100);
    let with = Payload::markdown("T", text.trim_end()).at_user_ids(["u".repeat(200)]);
    let parts = with.split();
    assert!(parts.iter().all(|p| passes(p, &[])));
}

#[test]
fn titles_are_numbered_with_the_digits_the_count_needs_and_shortened_when_long() {
    let text = "a few words on a line  \n".repeat(12_000);
    let parts = Payload::markdown("Log", text.clone()).split();
    assert!(parts.len() >= 10 && parts.len() < 100, "{}", parts.len());
    assert_eq!(parts[0].title(), format!("Log (1/{})", parts.len()));
    assert_eq!(parts[9].title(), format!("Log (10/{})", parts.len()));
    assert!(parts.iter().all(|p| passes(p, &["Log"])));
    assert_eq!(parts.iter().map(|p| p.text()).collect::<String>(), text);

    let long_title = "标题".repeat(400);
    let parts = Payload::markdown(long_title.clone(), text).split();
    let shown = parts[0]
        .title()
        .strip_suffix(&format!(" (1/{})", parts.len()))
        .unwrap();
    assert!(
        shown.len() <= MAX_PART_TITLE_BYTES && shown.ends_with('…'),
        "{shown}"
    );
    assert!(long_title.starts_with(shown.strip_suffix('…').unwrap()));
    assert!(parts.iter().all(|p| passes(p, &[])));
    assert_eq!(
        Payload::markdown(" ", "x\n\n".repeat(5_000)).split()[0].title(),
        "(1/2)"
    );
}

#[test]
fn entities_and_escapes_are_found_as_markdown_reads_them() {
    assert_eq!(entity_len(b"&lt;x"), Some(4));
    assert_eq!(entity_len(b"&#126;"), Some(6));
    assert_eq!(entity_len(b"&#x7E;"), Some(6));
    assert_eq!(entity_len(b"&#;"), None);
    assert_eq!(entity_len(b"& lt;"), None);
    assert_eq!(entity_len(b"&#12345678;"), None);
    assert_eq!(tag_len(b"<font color=#FF0000>red"), Some(20));
    assert_eq!(tag_len(b"</font>"), Some(7));
    assert_eq!(tag_len(b"< 3"), None);
    assert_eq!(tag_len(b"<b\n>"), None);
    let text = "a [x](y) `[no](link)` [two\nlines](z \"t\") [a]\n\n(b) ![i](p.png) \\[not](q)";
    let code = code_regions(text);
    let found: Vec<&str> = links(text, &code).into_iter().map(|r| &text[r]).collect();
    assert_eq!(found, ["[x](y)", "[two\nlines](z \"t\")", "![i](p.png)"]);
}
