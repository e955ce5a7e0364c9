//! `dingtalk probe`: a markdown message and an action card that hold every escape, entity,
//! line break and piece of markup whose rendering DingTalk's clients leave uncertain, each
//! in a paragraph of its own, labelled with what it should show. No machine of the project
//! reaches DingTalk, so what its desktop and phone clients show is learnt from users who look
//! (see "Escaping values in markdown" in the specification, `shared/dingtalk-api.md`).

use dingtalk_bot::markdown::Newlines;
use dingtalk_bot::{ActionCard, ButtonOrientation, Markdown, Payload};

use crate::args::RobotArgs;
use crate::exit::Failure;
use crate::output::out;
use crate::{HAND_OVER, Resolved};

/// The project, whose issues hear what users see.
const PROJECT: &str = env!("CARGO_PKG_REPOSITORY");

/// One case: a label, what should show, and the markdown sent.
struct Case {
    label: &'static str,
    /// What should show, in plain words (no markup, so that it shows as written).
    shows: &'static str,
    /// The markdown, written after `label shows:`.
    markdown: &'static str,
    /// Where the markdown goes: on the label's line, or on a line or a paragraph of its own.
    place: Place,
    /// The value whose escaped form `markdown` is, where the escaper writes it: the probe
    /// shows what the library sends (checked by a test).
    escapes: Option<&'static str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// After the label, on its line.
    Inline,
    /// At the start of the next line (after a line break): where block markup starts.
    LineStart,
    /// In a paragraph of its own, after a blank line: a block.
    Block,
}

const fn case(label: &'static str, shows: &'static str, markdown: &'static str) -> Case {
    Case {
        label,
        shows,
        markdown,
        place: Place::Inline,
        escapes: None,
    }
}

impl Case {
    const fn at(mut self, place: Place) -> Case {
        self.place = place;
        self
    }

    const fn escaping(mut self, value: &'static str) -> Case {
        self.escapes = Some(value);
        self
    }

    /// The case's paragraph.
    fn paragraph(&self) -> String {
        let separator = match self.place {
            Place::Inline => " ",
            Place::LineStart => "  \n",
            Place::Block => "\n\n",
        };
        format!("{} {}:{separator}{}", self.label, self.shows, self.markdown)
    }
}

/// Both messages hold these, in this order.
const CASES: &[Case] = &[
    // A: the backslash escapes the library writes (the classic Markdown set).
    case(
        "A1",
        "backslash-star, stars shown, not italic",
        r"\*not italic\*",
    )
    .escaping("*not italic*"),
    case(
        "A2",
        "backslash-underscore, underscores shown, not italic",
        r"\_not italic\_",
    )
    .escaping("_not italic_"),
    case(
        "A3",
        "backslash-backtick, backticks shown, no code",
        r"\`not code\`",
    )
    .escaping("`not code`"),
    case(
        "A4",
        "backslash-brackets, brackets and address shown, no link",
        r"\[not a link\](https://example.com)",
    )
    .escaping("[not a link](https://example.com)"),
    case("A5", "double backslash, one backslash shown", r"a\\b").escaping(r"a\b"),
    case(
        "A6",
        "backslash-hash at a line start, hash shown, no heading",
        r"\# not a heading",
    )
    .at(Place::LineStart)
    .escaping("# not a heading"),
    case(
        "A7",
        "backslash-dash at a line start, dash shown, no list",
        r"\- not a list item",
    )
    .at(Place::LineStart)
    .escaping("- not a list item"),
    case(
        "A8",
        "backslash-plus at a line start, plus shown, no list",
        r"\+ not a list item",
    )
    .at(Place::LineStart)
    .escaping("+ not a list item"),
    case(
        "A9",
        "number, backslash-dot, no numbered list",
        r"1\. not a numbered list",
    )
    .at(Place::LineStart)
    .escaping("1. not a numbered list"),
    case(
        "A10",
        "number, backslash-parenthesis, no numbered list",
        r"1\) not a numbered list",
    )
    .at(Place::LineStart)
    .escaping("1) not a numbered list"),
    case(
        "A11",
        "two dashes below a line, dashes shown, no heading above",
        r"\-- not a rule",
    )
    .at(Place::LineStart)
    .escaping("-- not a rule"),
    case(
        "A12",
        "a heading below ending in a hash, hash shown",
        r"### a heading ending in \#",
    )
    .at(Place::Block),
    // B: entities.
    case(
        "B1",
        "lt and gt entities, angle brackets shown",
        "&lt;b&gt;",
    )
    .escaping("<b>"),
    case("B2", "amp entity, an ampersand shown", "a &amp; b").escaping("a & b"),
    case(
        "B3",
        "an entity escaped, the entity's own text shown",
        "&amp;lt;",
    )
    .escaping("&lt;"),
    case(
        "B4",
        "tilde references, two tildes each side, not struck",
        "&#126;&#126;not struck&#126;&#126;",
    )
    .escaping("~~not struck~~"),
    case(
        "B5",
        "pipe references at a line start, pipes shown, no table",
        "&#124; a &#124; b &#124;",
    )
    .at(Place::LineStart)
    .escaping("| a | b |"),
    case(
        "B6",
        "equals reference below a line, equals signs shown, no heading above",
        "&#61;= not an underline",
    )
    .at(Place::LineStart)
    .escaping("== not an underline"),
    case(
        "B7",
        "decimal reference, double quotes shown",
        "&#34;quoted&#34;",
    ),
    case("B8", "hexadecimal reference, a tilde shown", "a &#x7E; b"),
    // X: backslashes the library never writes, outside the classic set: does the backslash
    // show?
    case(
        "X1",
        "backslash-colon, note whether the backslash shows",
        r"a\:b",
    ),
    case(
        "X2",
        "backslash-bang, note whether the backslash shows",
        r"a\!b",
    ),
    case(
        "X3",
        "backslash-tilde, note whether the backslash shows",
        r"a\~b",
    ),
    case(
        "X4",
        "backslash-pipe, note whether the backslash shows",
        r"a\|b",
    ),
    case(
        "X5",
        "backslash-equals, note whether the backslash shows",
        r"a\=b",
    ),
    // N: line breaks.
    case("N1", "one newline, both words on one line", "first\nsecond"),
    case(
        "N2",
        "two spaces and a newline, two lines",
        "first  \nsecond",
    ),
    case("N3", "a blank line, two paragraphs", "first\n\nsecond"),
    case("N4", "CR LF, note what shows", "first\r\nsecond"),
    case("N5", "a lone CR, note what shows", "first\rsecond"),
    case(
        "N6",
        "a backslash before the newline, note what shows",
        "first\\\nsecond",
    ),
    // M: markup DingTalk is said not to render, or to render on some clients only.
    case(
        "M1",
        "double tildes, struck through or tildes shown",
        "~~struck~~",
    ),
    case(
        "M2",
        "a table below, a table or pipes shown",
        "| a | b |\n|---|---|\n| 1 | 2 |",
    )
    .at(Place::Block),
    case(
        "M3",
        "a horizontal rule below, a rule or stars shown",
        "***",
    )
    .at(Place::Block),
    case(
        "M4",
        "fenced code below, its second line indented by four",
        "```\nfenced code\n    indented by four\n```",
    )
    .at(Place::Block),
    case(
        "M5",
        "four spaces before a line below, a code block or a line",
        "    indented by four",
    )
    .at(Place::Block),
    case("M6", "underscores, italic or underscores shown", "_italic_"),
    case("M7", "backticks, code or backticks shown", "`code`"),
    case(
        "M8",
        "an entity in backticks, the entity's own text shown",
        "`&lt;b&gt;`",
    ),
    case(
        "M9",
        "a numbered list right below a line, a list or not",
        "1. one\n2. two",
    )
    .at(Place::LineStart),
    case(
        "M10",
        "a heading below with closing hashes, hashes hidden",
        "### closing hashes ##",
    )
    .at(Place::Block),
];

/// The action card's own cases, after the others: its layout, and HTML (last, since HTML is
/// said to blank a whole message on phones).
const CARD_CASES: &[Case] = &[
    case("K1", "no avatar beside this card", "(hideAvatar is 1)"),
    case(
        "K2",
        "the two buttons below side by side",
        "(btnOrientation is 1)",
    ),
    case(
        "H1",
        "font tag, colour unquoted, red text",
        "<font color=#FF0000>red</font>",
    ),
    case(
        "H2",
        "font tag, colour quoted, red text",
        "<font color=\"#FF0000\">red</font>",
    ),
    case("H3", "br tag, two lines", "first<br>second"),
];

/// How to report, in a message (markdown: a link) or in `--help` (plain).
fn report(link: bool) -> String {
    let issues = format!("{PROJECT}/issues/new?title=dingtalk%20probe");
    let at = if link {
        format!("[open an issue]({issues})")
    } else {
        format!("open an issue at {issues}")
    };
    format!(
        "To report, {at} naming each client you looked on (desktop or phone, its system, \
         DingTalk's version) and the labels that show otherwise, with what they show."
    )
}

/// The probe's text: an introduction, every case, how to report, and the robot's keywords.
fn text(what: &str, cases: &[&[Case]], keywords: &[String]) -> String {
    let mut paragraphs = vec![format!(
        "dingtalk probe, {what}: each label below says what should show after it. \
         Note the labels that show otherwise."
    )];
    paragraphs.extend(
        cases
            .iter()
            .flat_map(|cases| cases.iter().map(Case::paragraph)),
    );
    paragraphs.push(report(true));
    if !keywords.is_empty() {
        // As written: a keyword escaped would no longer be found.
        paragraphs.push(format!("keywords: {}", keywords.join(" ")));
    }
    paragraphs.join("\n\n")
}

/// A title with the robot's keywords, which DingTalk may look for there.
fn title(what: &str, keywords: &[String]) -> String {
    if keywords.is_empty() {
        format!("dingtalk probe: {what}")
    } else {
        format!("dingtalk probe: {what} ({})", keywords.join(" "))
    }
}

/// The two messages, for a robot with `keywords`: the markdown message, then the card. Their
/// newlines are sent as written: each case says what its own should do.
pub fn messages(keywords: &[String]) -> [Payload; 2] {
    let markdown = Markdown::with_newlines(
        title("markdown", keywords),
        text("markdown message", &[CASES], keywords),
        Newlines::Preserve,
    );
    let card = ActionCard::with_newlines(
        title("action card", keywords),
        text("action card", &[CASES, CARD_CASES], keywords),
        Newlines::Preserve,
    )
    .button(
        "Report what you see",
        format!("{PROJECT}/issues/new?title=dingtalk%20probe"),
    )
    .button("The project", PROJECT)
    .orientation(ButtonOrientation::Horizontal)
    .hide_avatar(true);
    [markdown.into(), card.into()]
}

/// `dingtalk probe --help`, after the options: every label, and how to report.
pub fn legend() -> String {
    let mut legend = String::from(
        "The labels, in both messages but for K1 to H3, in the card only. H1 to H3 are HTML, \
         which is said to blank a whole message on phones, so they come last: if the card \
         shows blank on a client, say so.\n",
    );
    for case in CASES.iter().chain(CARD_CASES) {
        legend.push_str(&format!("  {:<4} {}\n", case.label, case.shows));
    }
    legend.push('\n');
    legend.push_str(&report(false));
    legend
}

/// Sends the probe to the robot the flags describe, or prints it (`dry_run`).
pub async fn run(args: &RobotArgs, dry_run: bool) -> Result<(), Failure> {
    let resolved = crate::robot(args, dry_run)?;
    let url = request_url(&resolved);
    // The one handle: `close` hands the robot over only when no other is left.
    let robot = resolved.robot;
    let messages = messages(robot.keywords());
    // Both are checked before either is sent.
    let bodies = messages
        .iter()
        .map(|message| robot.check(message))
        .collect::<Result<Vec<String>, _>>()?;
    if dry_run {
        let requests: Vec<String> = bodies
            .iter()
            .map(|body| {
                format!("POST {url}\nContent-Type: application/json; charset=utf-8\n\n{body}\n")
            })
            .collect();
        return out(&requests.join("\n"));
    }
    let mut sent = Ok(());
    for message in &messages {
        sent = robot.send(message).await.map(drop);
        if sent.is_err() {
            break;
        }
    }
    // As `send` does: hand a robot kept in Redis over before ending.
    let _ = robot.close(HAND_OVER).await;
    sent?;
    if !args.quiet {
        eprintln!(
            "delivered the probe: a markdown message and an action card. Look at both on each \
             client you use; `dingtalk probe --help` lists the labels and how to report."
        );
    }
    Ok(())
}

/// The URL a dry run shows: the access_token, and the signature if any, redacted.
fn request_url(resolved: &Resolved) -> String {
    if !resolved.has_webhook {
        return "(no webhook configured)".to_owned();
    }
    let mut url = resolved.robot.webhook().to_string();
    if resolved.signed {
        url.push_str("&timestamp=<timestamp>&sign=<redacted>");
    }
    url
}

#[cfg(test)]
mod tests {
    use dingtalk_bot::markdown::{Newlines, escape, escape_into};

    use super::*;

    #[test]
    fn the_escape_cases_are_what_the_library_writes() {
        for case in CASES.iter().filter(|c| c.escapes.is_some()) {
            let value = case.escapes.unwrap();
            let mut out = String::from("label:");
            out.push_str(match case.place {
                Place::Inline => " ",
                _ => "  \n",
            });
            let start = out.len();
            escape_into(&mut out, value, Newlines::Break);
            assert_eq!(&out[start..], case.markdown, "{}", case.label);
        }
        // The heading's closing hash, as the escaper writes it on a heading's line.
        let mut heading = String::from("### ");
        escape_into(&mut heading, "a heading ending in #", Newlines::Break);
        assert_eq!(heading, CASES[11].markdown);
        assert_eq!(escape("<b>"), "&lt;b&gt;");
    }

    #[test]
    fn labels_are_unique_and_plain() {
        let all: Vec<&Case> = CASES.iter().chain(CARD_CASES).collect();
        for (i, case) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|c| c.label != case.label),
                "{}",
                case.label
            );
            // What should show is read as written: nothing in it is markup.
            let label = format!("{} {}", case.label, case.shows);
            assert_eq!(escape(&label), label, "{label}");
        }
    }

    #[test]
    fn both_messages_pass_the_checks_with_and_without_keywords() {
        for keywords in [vec![], vec!["deploy".to_owned(), "告警".to_owned()]] {
            let robot = dingtalk_bot::Robot::builder(
                "https://oapi.dingtalk.com/robot/send?access_token=probe",
            )
            .keywords(keywords.clone())
            .build()
            .unwrap();
            let [markdown, card] = messages(&keywords);
            for message in [&markdown, &card] {
                robot.check(message).unwrap();
            }
            let text = markdown.content().unwrap();
            assert!(
                text.contains(
                    "\n\nA1 backslash-star, stars shown, not italic: \\*not italic\\*\n\n"
                )
            );
            assert!(text.contains("\n\nN1 one newline, both words on one line: first\nsecond\n\n"));
            assert!(!text.contains("<font"), "no HTML in the markdown message");
            let card = card.as_action_card().unwrap();
            assert!(card.text().ends_with(&format!(
                "H3 br tag, two lines: first<br>second\n\n{}{}",
                report(true),
                if keywords.is_empty() {
                    ""
                } else {
                    "\n\nkeywords: deploy 告警"
                }
            )));
            assert!(card.is_avatar_hidden());
            assert_eq!(card.button_orientation(), ButtonOrientation::Horizontal);
        }
    }
}
