//! Merging a backlog into markdown summaries ("digests"), each within DingTalk's size limit.
//!
//! Each message is summarized once (its heading and body as markdown) and measured once (the
//! length of that summary as a JSON string). A run of messages grows by adding those lengths,
//! with a bound for the mentions a digest may append, so a backlog of `n` messages is split in
//! time linear in its size; each digest is then built and serialized once, and its exact size
//! checked once, by the destination's check.

use std::ops::Range;

use crate::markdown::Newlines;
use crate::payload::{At, Markdown, Payload};
use crate::spec;

/// The most a digest's body may hold: DingTalk's limit less the `msgUuid` delivery appends.
const LIMIT: usize = spec::MAX_BODY_BYTES - spec::MSG_UUID_FIELD_LEN;

/// A digest's body with an empty title and text.
const FRAME: usize = r#"{"msgtype":"markdown","markdown":{"title":"","text":""}}"#.len();

/// What the title adds to the frame besides the count: `"<n> messages"`.
const TITLE: usize = " messages".len();

/// Between two summaries in a digest's text: `"\n\n"`, escaped in JSON.
const SEPARATOR: usize = r#"\n\n"#.len();

/// The most a digest's mentions add besides the ids: the `at` object with both lists and
/// `isAtAll`, and the separator before the mentions appended to the text.
const AT_FRAME: usize = r#","at":{"atMobiles":[],"atUserIds":[],"isAtAll":true}"#.len() + SEPARATOR;

/// The messages `parts[range]`: merged into `digest`, or, alone, sent as they are (`None`).
#[derive(Debug)]
pub(crate) struct Run {
    pub range: Range<usize>,
    pub digest: Option<Payload>,
}

/// Splits `parts` into runs in order, each merged into one markdown digest whose body fits
/// in a request (with room for the `msgUuid`). A part that cannot share a digest with the next
/// runs alone, and goes as it is.
pub(crate) fn runs(parts: &[&Payload]) -> Vec<Run> {
    let summaries: Vec<Summary> = parts.iter().map(|part| Summary::of(part)).collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < parts.len() {
        let mut size = Size::of(&summaries[start]);
        let mut end = start + 1;
        while end < parts.len() {
            let grown = size.with(&summaries[end]);
            if grown.bound() > LIMIT {
                break;
            }
            size = grown;
            end += 1;
        }
        let digest = (end - start > 1).then(|| digest(&parts[start..end], &summaries[start..end]));
        out.push(Run {
            range: start..end,
            digest,
        });
        start = end;
    }
    out
}

/// One part as a digest shows it, and what it adds to a digest's body.
struct Summary {
    /// Its heading (if it has a title) and its body, as markdown.
    markdown: String,
    /// The length of `markdown` as a JSON string's contents.
    json_len: usize,
    /// The most its mentions may add: each id in the `at` lists and appended to the text.
    mentions: usize,
    mentioned: bool,
}

impl Summary {
    fn of(part: &Payload) -> Summary {
        let (title, body) = summary(part);
        let markdown = match heading(title) {
            Some(heading) => format!("#### {heading}\n\n{body}"),
            None => body,
        };
        let at = part.at().filter(|at| !at.is_empty());
        let mentions = at.map_or(0, |at| {
            at.mobiles()
                .iter()
                .chain(at.user_ids())
                // `"id",` in a list, and ` @id` in the text.
                .map(|id| 2 * json_len(id) + 5)
                .sum()
        });
        Summary {
            json_len: json_len(&markdown),
            markdown,
            mentions,
            mentioned: at.is_some(),
        }
    }
}

/// The size of a digest of a run, as it grows.
#[derive(Clone, Copy)]
struct Size {
    parts: usize,
    text: usize,
    mentions: usize,
    mentioned: bool,
}

impl Size {
    fn of(first: &Summary) -> Size {
        Size {
            parts: 1,
            text: first.json_len,
            mentions: first.mentions,
            mentioned: first.mentioned,
        }
    }

    fn with(self, next: &Summary) -> Size {
        Size {
            parts: self.parts + 1,
            text: self.text + SEPARATOR + next.json_len,
            mentions: self.mentions + next.mentions,
            mentioned: self.mentioned || next.mentioned,
        }
    }

    /// At least the size of the digest's body: exact without mentions, and above it by at
    /// most the ids' length and [`AT_FRAME`] with them.
    fn bound(&self) -> usize {
        let title = self.parts.to_string().len() + TITLE;
        let at = if self.mentioned {
            AT_FRAME + self.mentions
        } else {
            0
        };
        FRAME + title + self.text + at
    }
}

/// The length of `s` as the contents of a JSON string, escaped as `serde_json` escapes it:
/// `"`, `\\` and the control characters; UTF-8 as it is.
fn json_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// One markdown summary of `parts`: each under its own heading, mentions merged.
fn digest(parts: &[&Payload], summaries: &[Summary]) -> Payload {
    let len = summaries.iter().map(|s| s.markdown.len() + 2).sum();
    let mut text = String::with_capacity(len);
    let mut at = At::default();
    for (i, (part, summary)) in parts.iter().zip(summaries).enumerate() {
        if i > 0 {
            text.push_str("\n\n");
        }
        text.push_str(&summary.markdown);
        if let Some(part_at) = part.at() {
            At::add(&mut at.mobiles, part_at.mobiles().iter().cloned());
            At::add(&mut at.user_ids, part_at.user_ids().iter().cloned());
            at.all |= part_at.is_all();
        }
    }
    let title = format!("{} messages", parts.len());
    // Its size was counted on this text: sent as it is.
    let mut markdown = Markdown::with_newlines(title, text, Newlines::Preserve);
    markdown.at = at;
    markdown.into()
}

/// Plain text made markdown that shows it as it is.
fn escaped(text: &str) -> String {
    crate::markdown::escape(text)
}

/// Plain text on one line: each line ending (`\r\n`, `\n` or `\r`) becomes a space.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\r', '\n'], " ")
}

/// A title as the text of a `#### ` heading: on one line and escaped, so that it shows as it
/// is; `None` for a title with nothing to show.
fn heading(title: &str) -> Option<String> {
    let line = one_line(title);
    if line.trim().is_empty() {
        return None;
    }
    let mut text = escaped(&line);
    // A run of `#` after white space at the end of a heading closes it, and would not show
    // (`#### C #` shows `C`): escaped, it shows.
    let shown = text.trim_end_matches([' ', '\t']);
    let hashes = shown.trim_end_matches('#').len();
    if hashes < shown.len() && shown[..hashes].ends_with([' ', '\t']) {
        text.insert(hashes, '\\');
    }
    Some(text)
}

/// Writes a markdown link to `url` labelled with the plain text `label`: the label on one
/// line and escaped, the address encoded so that nothing in it ends the link early.
fn link_into(out: &mut String, label: &str, url: &str) {
    out.push('[');
    out.push_str(&escaped(&one_line(label)));
    out.push_str("](");
    spec::url::encode_link_destination_into(out, url);
    out.push(')');
}

/// A part's title (plain text) and its body as markdown.
fn summary(part: &Payload) -> (&str, String) {
    let links = |links: &mut dyn Iterator<Item = (&str, &str)>| {
        let mut out = String::new();
        for (i, (title, url)) in links.enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("- ");
            link_into(&mut out, title, url);
        }
        out
    };
    match part {
        // Text messages are plain: escaped, so that they show in markdown as they did.
        Payload::Text(t) => ("", escaped(&t.rendered_content())),
        Payload::Markdown(m) => (&m.title, m.rendered_text().into_owned()),
        Payload::Link(l) => {
            let mut body = escaped(&l.text);
            body.push_str("\n\n");
            link_into(&mut body, &l.message_url, &l.message_url);
            (&l.title, body)
        }
        Payload::ActionCard(c) => {
            let buttons = links(&mut c.buttons.iter().map(|b| (b.title(), b.url())));
            (&c.title, format!("{}\n\n{buttons}", c.text))
        }
        Payload::FeedCard(f) => (
            "",
            links(&mut f.links.iter().map(|l| (l.title(), l.message_url()))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each run as the payload sent for it (a lone part as it is) and its range.
    fn digests(parts: &[&Payload]) -> Vec<(Payload, Range<usize>)> {
        runs(parts)
            .into_iter()
            .map(|run| {
                let payload = run.digest.unwrap_or_else(|| parts[run.range.start].clone());
                (payload, run.range)
            })
            .collect()
    }

    /// `n` parts of every type, of 1 to `most` bytes of text each, holding what JSON and
    /// markdown escape; with mentions if `mentions`.
    fn backlog(n: usize, most: usize, mentions: bool) -> Vec<Payload> {
        const PIECES: &[&str] = &[
            "disk ",
            "告警",
            "\"",
            "\\",
            "\n",
            "\t",
            "\u{1}",
            "*",
            "# ",
            "[x](y)",
            "_",
            "<b>",
            "`",
            "1. ",
            "> ",
            "@13800000000",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let text = |rng: &mut fastrand::Rng| {
            let len = rng.usize(1..=most);
            let mut s = String::with_capacity(len + 16);
            while s.len() < len {
                s.push_str(PIECES[rng.usize(..PIECES.len())]);
            }
            s
        };
        (0..n)
            .map(|i| {
                let body = text(&mut rng);
                let mobile = format!("138{:08}", rng.u32(..100));
                match i % 5 {
                    0 if mentions => Payload::text(body).at_mobiles([mobile]).into(),
                    0 => Payload::text(body).into(),
                    1 if mentions => Payload::markdown(format!("*t{i}*\n# x #"), body)
                        .at_user_ids([format!("user\"{i}")])
                        .at_all()
                        .into(),
                    1 => Payload::markdown(format!("*t{i}*\n# x #"), body).into(),
                    2 => Payload::link(
                        format!("[l{i}](https://evil)"),
                        body,
                        "https://example.com/a?b=\"c\" d)e\\",
                    )
                    .into(),
                    3 => Payload::action_card(format!("c{i}\r\n<b>"), body)
                        .button("ok\n", "https://example.com/ok (1)")
                        .button("no", "https://example.com/no")
                        .into(),
                    _ => Payload::feed_card()
                        .link(
                            body,
                            "https://example.com/f <x>",
                            "https://example.com/f.png",
                        )
                        .into(),
                }
            })
            .collect()
    }

    /// Checks that `runs` cover `parts` in order, that every body fits, and that every
    /// summary is in its digest, in order. Returns the runs as sent.
    fn assert_every_part_delivered_within_the_limit(parts: &[&Payload]) -> Vec<Run> {
        let runs = runs(parts);
        let mut next = 0;
        for run in &runs {
            assert_eq!(run.range.start, next, "runs are contiguous and in order");
            assert!(!run.range.is_empty());
            next = run.range.end;
            let Some(digest) = &run.digest else {
                assert_eq!(run.range.len(), 1, "only a lone part goes as it is");
                continue;
            };
            let json = digest.to_json();
            assert!(json.len() <= LIMIT, "{} > {LIMIT}", json.len());
            let Payload::Markdown(m) = digest else {
                panic!("{digest:?}")
            };
            let mut at = 0;
            for part in &parts[run.range.clone()] {
                let summary = Summary::of(part).markdown;
                let found = m.text()[at..]
                    .find(&summary)
                    .expect("every part is in its digest");
                at += found + summary.len();
            }
        }
        assert_eq!(next, parts.len(), "every part is in a run");
        runs
    }

    #[test]
    fn json_len_is_the_length_serde_json_writes() {
        let mut all: String = (0..=0x7f_u8).map(char::from).collect();
        all.push_str("告警 é 😀");
        for s in [
            all.as_str(),
            "",
            "plain",
            "\"quoted\"\n",
            "\u{7f}\u{1f}\u{0}",
        ] {
            assert_eq!(
                json_len(s),
                serde_json::to_string(s).unwrap().len() - 2,
                "{s:?}"
            );
        }
    }

    #[test]
    fn thousands_of_parts_are_split_where_the_next_would_not_fit() {
        // Without mentions the size is exact: each digest holds as many parts as fit, as a
        // split that serialized every candidate would find.
        let backlog = backlog(3_000, 1_500, false);
        let parts: Vec<&Payload> = backlog.iter().collect();
        let runs = assert_every_part_delivered_within_the_limit(&parts);
        assert!(runs.len() > 100, "{}", runs.len());
        for pair in runs.windows(2) {
            let (run, next) = (&pair[0], &pair[1]);
            let grown = run.range.start..next.range.start + 1;
            let summaries: Vec<Summary> = parts[grown.clone()]
                .iter()
                .map(|p| Summary::of(p))
                .collect();
            let bigger = digest(&parts[grown], &summaries).to_json().len();
            assert!(bigger > LIMIT, "{bigger} would have fit");
            if let Some(digest) = &run.digest {
                let bound = summaries[..summaries.len() - 1]
                    .iter()
                    .skip(1)
                    .fold(Size::of(&summaries[0]), |size, s| size.with(s))
                    .bound();
                assert_eq!(bound, digest.to_json().len(), "exact without mentions");
            }
        }
    }

    #[test]
    fn with_mentions_the_bound_stays_above_the_size_by_at_most_the_mentions() {
        let backlog = backlog(2_000, 1_500, true);
        let parts: Vec<&Payload> = backlog.iter().collect();
        let runs = assert_every_part_delivered_within_the_limit(&parts);
        for run in &runs {
            let Some(digest) = &run.digest else { continue };
            let summaries: Vec<Summary> = parts[run.range.clone()]
                .iter()
                .map(|p| Summary::of(p))
                .collect();
            let size = summaries[1..]
                .iter()
                .fold(Size::of(&summaries[0]), |size, s| size.with(s));
            let exact = digest.to_json().len();
            assert!(size.bound() >= exact, "{} < {exact}", size.bound());
            assert!(size.bound() - exact <= AT_FRAME + size.mentions);
        }
    }

    #[test]
    fn merges_parts_under_headings_with_their_mentions() {
        let a: Payload = Payload::text("disk 91%").at_mobiles(["138"]).into();
        let b: Payload = Payload::markdown("CPU", "**97%**")
            .at_user_ids(["u1"])
            .into();
        let c: Payload = Payload::action_card("Leave", "Alice")
            .button("Approve", "https://a")
            .into();
        let merged = digests(&[&a, &b, &c]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].1, 0..3);
        let Payload::Markdown(m) = &merged[0].0 else {
            panic!("{:?}", merged[0].0)
        };
        assert_eq!(m.title(), "3 messages");
        assert_eq!(
            m.text(),
            "disk 91% @138\n\n#### CPU\n\n**97%**\n\n@u1\n\n#### Leave\n\nAlice\n\n- [Approve](https://a)"
        );
        assert_eq!(m.at().mobiles(), ["138"]);
        assert_eq!(m.at().user_ids(), ["u1"]);
        let plain: Payload = Payload::text("*not* bold\nline").into();
        let merged = digests(&[&plain, &plain]);
        let Payload::Markdown(m) = &merged[0].0 else {
            panic!()
        };
        assert!(
            m.text().starts_with("\\*not\\* bold  \nline\n\n"),
            "{}",
            m.text()
        );
    }

    #[test]
    fn titles_are_plain_text_on_one_line_and_addresses_stay_inside_their_links() {
        let markdown: Payload = Payload::markdown("*x* [a](https://evil)\n# y #", "body").into();
        let card: Payload = Payload::action_card("<b>C#\r\n1. one", "text")
            .button("ok [1]", "https://a/b c)d")
            .button("no\nway", "https://a/(e)\\")
            .into();
        let link: Payload = Payload::link("_l_", "see *this*", "https://x/a b)").into();
        let feed: Payload = Payload::feed_card()
            .link("[f]", "https://f/<g>", "https://f/p.png")
            .into();
        let merged = digests(&[&markdown, &card, &link, &feed]);
        assert_eq!(merged.len(), 1);
        let Payload::Markdown(m) = &merged[0].0 else {
            panic!("{:?}", merged[0].0)
        };
        assert_eq!(
            m.text(),
            [
                r"#### \*x\* \[a\](https://evil) # y \#",
                "body",
                "#### &lt;b&gt;C# 1. one",
                "text",
                "- [ok \\[1\\]](https://a/b%20c%29d)\n- [no way](https://a/%28e%29%5C)",
                r"#### \_l\_",
                "see \\*this\\*",
                "[https://x/a b)](https://x/a%20b%29)",
                r"- [\[f\]](https://f/%3Cg%3E)",
            ]
            .join("\n\n")
        );
        // Nothing but the digest's own headings starts a line with `#`.
        let headings = m.text().lines().filter(|l| l.starts_with('#')).count();
        assert_eq!(headings, 3);
    }

    #[test]
    fn splits_what_does_not_fit_and_keeps_every_part() {
        let big: Payload = Payload::text("x".repeat(7_000)).into();
        let parts = vec![&big; 7];
        let merged = digests(&parts);
        // Two parts of 7,000 bytes fit in 20,000, three do not.
        let ranges: Vec<_> = merged.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(ranges, [0..2, 2..4, 4..6, 6..7]);
        for (payload, _) in &merged {
            assert!(payload.to_json().len() <= spec::MAX_BODY_BYTES);
        }
        // The last, alone, goes as it is.
        assert_eq!(merged[3].0, big);
    }
}
