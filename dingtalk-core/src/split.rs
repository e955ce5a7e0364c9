//! A markdown message too long for one request, split into numbered parts that each fit.
//!
//! DingTalk refuses a body over [`MAX_BODY_BYTES`](spec::MAX_BODY_BYTES) (`460101`); a long
//! report, log or changelog is better sent as a few messages in order than not at all.
//! [`Markdown::split`] cuts the text where a reader will not notice: between paragraphs if it
//! can, else between lines, else between words, and never inside an escape (`\*`), an entity
//! (`&lt;`, `&#126;`), an HTML tag, a link or image (`[label](url)`), or a code span or block,
//! unless one of those is itself longer than a part.
//!
//! Each part is measured as the client's pre-flight check measures it: its exact JSON body,
//! numbered title and mentions included, plus the `msgUuid` delivery appends.

use std::collections::VecDeque;
use std::ops::Range;

use crate::payload::{At, Markdown, Payload};
use crate::spec;
use crate::spec::markdown::code_regions;

/// The most a body may hold before delivery appends its `msgUuid`.
const LIMIT: usize = spec::MAX_BODY_BYTES - spec::MSG_UUID_FIELD_LEN;

/// The longest title a part keeps, in bytes, before its number is added.
///
/// **Chosen:** DingTalk documents no limit of its own for a title, which counts against the
/// body's size like the text; a title past 1,000 bytes (the chat list shows a few dozen
/// characters of it) is cut there, at a character, and ends with `…`, so that it never
/// crowds the text out of every part.
pub const MAX_PART_TITLE_BYTES: usize = 1_000;

/// Links and images longer than this (their label, address and title together) are not
/// looked for: such a link cannot fit one part anyway, and the bound keeps the scan linear.
const LINK_SCAN: usize = 4_096;

/// HTML tags and autolinks (`<font color=#FF0000>`, `<https://…>`) longer than this are not
/// kept whole.
const TAG_SCAN: usize = 512;

impl Markdown {
    /// This message as messages that each fit in one request, in the order to send them.
    ///
    /// A message that fits already comes back alone, as it is. Otherwise each part holds a
    /// run of the text, cut (best first) between paragraphs, between lines, between words,
    /// or, for a line longer than a message, between characters. A cut never falls inside an
    /// escape (`\*`), an entity (`&lt;`, `&#126;`), an HTML tag, a link or image, or a code
    /// span or fenced block, unless that piece is itself too long for a part; a fenced block
    /// cut in two is closed at the end of its part and opened again, with its info string,
    /// at the start of the next, and a code span likewise with its backticks. Nothing else is
    /// added to the text: the parts' texts, less those fences and backticks, make the
    /// original text again.
    ///
    /// Each part's title is this title numbered, `Deploy notes (2/3)` (a title longer than
    /// [`MAX_PART_TITLE_BYTES`] is shortened first, ending with `…`): the number shows in the
    /// chat list and the notification. **The mentions go on the last part only**, so that
    /// whoever is mentioned is called once the whole message is there, and a `@…` the robot
    /// adds for them stays at the end of the text, where it would have been; a mention
    /// written in an earlier part's text is added again at the end of the last.
    ///
    /// Each part is measured as the robot's check measures a message: its exact JSON body,
    /// with its title, its mentions and the `msgUuid` delivery adds, within
    /// [`MAX_BODY_BYTES`](spec::MAX_BODY_BYTES). The robot's keywords are looked for in each
    /// part: a keyword in the title is in every part. The one thing that cannot be split
    /// into parts that pass is a run of blank lines longer than a message (a part with no
    /// text is refused).
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{Payload, spec};
    ///
    /// let notes = format!("## Changes\n\n{}", "- fixed a bug  \n".repeat(2_000));
    /// let message = Payload::markdown("Release notes", notes.clone()).at_mobiles(["13800000000"]);
    /// let parts = message.split();
    /// assert_eq!(parts.len(), 2);
    /// assert_eq!(parts[0].title(), "Release notes (1/2)");
    /// assert!(parts[0].at().is_empty() && parts[1].at().mobiles() == ["13800000000"]);
    /// assert_eq!(parts.iter().map(|p| p.text()).collect::<String>(), notes);
    /// for part in &parts {
    ///     let body = Payload::from(part.clone()).to_json();
    ///     assert!(body.len() + spec::MSG_UUID_FIELD_LEN <= spec::MAX_BODY_BYTES);
    /// }
    /// ```
    pub fn split(&self) -> Vec<Markdown> {
        let whole = Payload::Markdown(self.clone()).to_json().len();
        if whole <= LIMIT {
            return vec![self.clone()];
        }
        let plan = Plan::of(self);
        // Every part is a copy of this message but for its title, text and mentions, so that
        // whatever else a markdown message carries is carried by each part.
        let mut proto = self.clone();
        proto.text = String::new();
        proto.at = At::default();
        let count = plan.pieces.len();
        plan.pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let mut part = proto.clone();
                part.title = numbered(&plan.title, i + 1, count);
                part.text = piece.text(&self.text);
                if i + 1 == count {
                    part.at = self.at.clone();
                }
                part
            })
            .collect()
    }
}

/// `title (n/count)`, or `(n/count)` for a title with nothing to show.
fn numbered(title: &str, n: usize, count: usize) -> String {
    if title.trim().is_empty() {
        format!("({n}/{count})")
    } else {
        format!("{title} ({n}/{count})")
    }
}

/// `title` cut to [`MAX_PART_TITLE_BYTES`] at a character, with `…`.
fn shortened(title: &str) -> String {
    if title.len() <= MAX_PART_TITLE_BYTES {
        return title.to_owned();
    }
    let mut end = MAX_PART_TITLE_BYTES - '…'.len_utf8();
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &title[..end])
}

/// How a message is cut: its parts' title (before numbering) and the runs of text.
#[derive(Debug)]
pub(crate) struct Plan {
    pub title: String,
    pub pieces: Vec<Piece>,
}

/// One part's text: a run of the original, with what reopens a code region cut before it
/// and what closes one cut after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Written before the run: a fenced block's opening line, or a code span's backticks.
    pub reopen: String,
    /// The run of the original text.
    pub range: Range<usize>,
    /// Written after the run: a fenced block's closing fence, or a code span's backticks.
    pub close: String,
}

impl Piece {
    fn text(&self, original: &str) -> String {
        let run = &original[self.range.clone()];
        let mut text = String::with_capacity(self.reopen.len() + run.len() + self.close.len());
        text.push_str(&self.reopen);
        text.push_str(run);
        text.push_str(&self.close);
        text
    }
}

impl Plan {
    /// The cuts of `message`, whose body is over the limit. Every part is numbered with
    /// digits enough for the count of parts: a count with more digits than guessed takes
    /// room from the text, so the plan is made again with it.
    pub fn of(message: &Markdown) -> Plan {
        let title = shortened(&message.title);
        let mut proto = message.clone();
        proto.text = String::new();
        proto.at = At::default();
        let size = |proto: &Markdown| Payload::Markdown(proto.clone()).to_json().len();
        // What mentions add at most: the `at` object, and every id appended to the text.
        let mut mentioned = proto.clone();
        mentioned.at = message.at.clone();
        let mentions = size(&mentioned) - size(&proto);
        let text = Text::new(&message.text);
        // A first guess at the count, from the text's size: seldom too few digits.
        let guess = json_len(&message.text) / LIMIT.saturating_sub(size(&proto)).max(1) + 1;
        let mut digits = guess.to_string().len();
        loop {
            let widest = "9".repeat(digits);
            proto.title = format!("{title} ({widest}/{widest})");
            let budget = LIMIT.saturating_sub(size(&proto));
            let pieces = text.pieces(budget, budget.saturating_sub(mentions));
            let needed = pieces.len().to_string().len();
            if needed <= digits {
                return Plan { title, pieces };
            }
            digits = needed;
        }
    }
}

/// What a region of the text is, for cutting it.
#[derive(Clone, Debug)]
enum Kind {
    /// A fenced code block: its opening line (with its line ending), its closing fence, and
    /// where its content lines begin and end.
    Fence {
        open: Range<usize>,
        close: String,
        content: Range<usize>,
    },
    /// A code span opened and closed by this many backticks.
    Span(usize),
    /// A link or an image.
    Link,
}

/// A piece of the text not to be cut, but for one longer than a part.
#[derive(Clone, Debug)]
struct Region {
    range: Range<usize>,
    kind: Kind,
    /// What it adds to a body, as JSON.
    cost: usize,
    /// The link that holds this code span, if one does.
    parent: Option<usize>,
}

/// How good a place to cut is, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// At the start of a paragraph, after a blank line.
    Paragraph,
    /// At the start of a line.
    Line,
    /// At the start of a line of a fenced block too long for a part.
    CodeLine,
    /// After white space, before a letter.
    Word,
    /// After white space inside a region too long for a part.
    RegionWord,
    /// Before a letter.
    Char,
    /// Inside a region too long for a part.
    RegionChar,
    /// At a line's start or between words, but inside emphasis (`**a b**`): its marks
    /// would show.
    Open,
    /// Anywhere else outside a region: before a line indented as code, or a character that
    /// could start markup at a line's start.
    Loose,
    /// Inside a region that a part could hold whole, when nothing else is left: at the
    /// message's end, where the last part has less room (its mentions'), or in a part that
    /// starts with a fence opened again.
    Forced,
}

const TIERS: usize = Tier::Forced as usize + 1;

/// The text to split, with its regions found once.
struct Text<'a> {
    text: &'a str,
    /// The code regions, as `code_regions` finds them: sorted, apart.
    code: Vec<Range<usize>>,
    /// Code regions and links, sorted by start; a link may hold code spans, nothing else
    /// overlaps.
    regions: Vec<Region>,
    /// Where the last character that is not white space ends: no part may be left with
    /// white space alone after it.
    content_end: usize,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Text<'a> {
        let code = code_regions(text);
        let mut regions: Vec<Region> = code
            .iter()
            .map(|range| Region {
                kind: code_kind(text, range.clone()),
                cost: json_len(&text[range.clone()]),
                range: range.clone(),
                parent: None,
            })
            .chain(links(text, &code).into_iter().map(|range| Region {
                cost: json_len(&text[range.clone()]),
                range,
                kind: Kind::Link,
                parent: None,
            }))
            .collect();
        regions.sort_by_key(|r| r.range.start);
        let mut link = None;
        for index in 0..regions.len() {
            let range = regions[index].range.clone();
            if matches!(regions[index].kind, Kind::Link) {
                link = Some(index);
            } else {
                regions[index].parent = link.filter(|&l: &usize| regions[l].range.end >= range.end);
            }
        }
        let content_end = text.trim_end().len();
        Text {
            text,
            code,
            regions,
            content_end,
        }
    }

    /// The parts: each within `budget` bytes of JSON text, the last within `last_budget`.
    fn pieces(&self, budget: usize, last_budget: usize) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut reopen = String::new();
        loop {
            let room = last_budget.saturating_sub(json_len(&reopen));
            if self.cost_within(start..self.text.len(), room).is_some() {
                break;
            }
            let Some((at, region)) = self.cut(start, &reopen, budget) else {
                break;
            };
            let close = region.map_or_else(String::new, |r| self.close(r, at));
            let next = region.map_or_else(String::new, |r| self.reopen(r));
            pieces.push(Piece {
                reopen: std::mem::replace(&mut reopen, next),
                range: start..at,
                close,
            });
            start = at;
        }
        pieces.push(Piece {
            reopen,
            range: start..self.text.len(),
            close: String::new(),
        });
        pieces
    }

    /// The JSON length of `text[range]` if it is at most `most`.
    fn cost_within(&self, range: Range<usize>, most: usize) -> Option<usize> {
        let mut cost = 0;
        for &b in &self.text.as_bytes()[range] {
            cost += byte_cost(b);
            if cost > most {
                return None;
            }
        }
        Some(cost)
    }

    /// What closes `region` cut at `at`.
    fn close(&self, region: &Region, at: usize) -> String {
        match &region.kind {
            Kind::Fence { close, .. } if self.text[..at].ends_with('\n') => close.clone(),
            Kind::Fence { close, .. } => format!("\n{close}"),
            Kind::Span(ticks) => "`".repeat(*ticks),
            Kind::Link => String::new(),
        }
    }

    /// What opens `region` again after a cut.
    fn reopen(&self, region: &Region) -> String {
        match &region.kind {
            Kind::Fence { open, .. } => self.text[open.clone()].to_owned(),
            Kind::Span(ticks) => "`".repeat(*ticks),
            Kind::Link => String::new(),
        }
    }

    /// The best place to end a part that starts at `start` after `reopen` and holds at most
    /// `budget` bytes of JSON text, and the region it cuts, if any; `None` if there is none
    /// before the end of the text.
    fn cut(&self, start: usize, reopen: &str, budget: usize) -> Option<(usize, Option<&Region>)> {
        let text = self.text;
        let room = budget.checked_sub(json_len(reopen))?;
        // The window: every place the part could end (`ends`), and the cost of the text
        // before each (`costs`).
        let mut ends = Vec::new();
        let mut costs = Vec::new();
        let mut cost = 0;
        for (i, c) in text[start..].char_indices() {
            cost += char_cost(c);
            if cost > room {
                break;
            }
            ends.push(start + i + c.len_utf8());
            costs.push(cost);
        }
        let window_end = *ends.last()?;
        let len = window_end - start;
        let marks = self.marks(start, window_end);
        let inner = self.innermost(start, window_end);
        // A part needs something to show.
        let first_content = if reopen.trim().is_empty() {
            start + text[start..].len() - text[start..].trim_start().len()
        } else {
            start
        };
        let middle = start + len / 2;
        let mut latest: [Option<usize>; TIERS] = [None; TIERS];
        let mut regions: [Option<usize>; TIERS] = [None; TIERS];
        for (k, &at) in ends.iter().enumerate() {
            if at <= first_content || at > self.content_end || at >= text.len() {
                continue;
            }
            let offset = at - start;
            if marks.atom[offset] {
                continue;
            }
            let region = inner[offset];
            let tier = match region {
                None => match self.tier_outside(at) {
                    Tier::Line | Tier::Word | Tier::Char if marks.emphasis[offset] => Tier::Open,
                    tier => tier,
                },
                Some(index) => match self.tier_inside(&self.regions[index], at, budget) {
                    Some(tier) => tier,
                    None => continue,
                },
            };
            // A cut inside a code region adds what closes it.
            if let Some(index) = region {
                let close = self.close(&self.regions[index], at);
                if costs[k] + json_len(&close) > room {
                    continue;
                }
            }
            latest[tier as usize] = Some(at);
            regions[tier as usize] = region;
        }
        let pick =
            |tier: usize| latest[tier].map(|at| (at, regions[tier].map(|i| &self.regions[i])));
        // The best cut in the window's second half; else the best anywhere, so that no part
        // is left small for a paragraph break near its start.
        (0..TIERS)
            .find(|&t| latest[t].is_some_and(|at| at >= middle))
            .or_else(|| (0..TIERS).find(|&t| latest[t].is_some()))
            .and_then(pick)
            .or_else(|| {
                // Nothing at all: any character boundary (an atom is never this long).
                let at = ends.iter().copied().rfind(|&at| at < text.len())?;
                Some((at, None))
            })
    }

    /// How good a cut at `at`, outside every region, is.
    fn tier_outside(&self, at: usize) -> Tier {
        let text = self.text;
        let before = text[..at].chars().next_back();
        let next = text[at..].chars().next();
        if before == Some('\n') {
            // Only the white space at the line's start is read, however long the line.
            let blank = |mut chars: std::str::Chars<'_>| {
                chars
                    .find(|c| !matches!(c, ' ' | '\t' | '\r'))
                    .is_none_or(|c| c == '\n')
            };
            if blank(text[at..].chars()) || indent_columns(&text[at..]) >= 4 {
                return Tier::Loose;
            }
            let previous_blank = text[..at - 1]
                .bytes()
                .rev()
                .find(|b| !matches!(b, b' ' | b'\t' | b'\r'))
                .is_none_or(|b| b == b'\n');
            return if previous_blank {
                Tier::Paragraph
            } else {
                Tier::Line
            };
        }
        match (before, next) {
            (Some(' ' | '\t'), Some(c)) if safe_start(c) => Tier::Word,
            (_, Some(c)) if safe_start(c) => Tier::Char,
            _ => Tier::Loose,
        }
    }

    /// How good a cut at `at`, inside `region` (the innermost region holding it), is; `None`
    /// where no cut may fall (on a delimiter). A region that costs more than `budget` cannot
    /// be kept whole in any part.
    fn tier_inside(&self, region: &Region, at: usize, budget: usize) -> Option<Tier> {
        let text = self.text;
        let large = region.cost > budget;
        let before = text[..at].chars().next_back();
        let next = text[at..].chars().next();
        let tier = match &region.kind {
            Kind::Fence { content, .. } => {
                if at < content.start || at > content.end {
                    return None;
                }
                if before == Some('\n') {
                    Tier::CodeLine
                } else if matches!(before, Some(' ' | '\t')) {
                    Tier::RegionWord
                } else {
                    Tier::RegionChar
                }
            }
            Kind::Span(ticks) => {
                if at < region.range.start + ticks + 1 || at + ticks + 1 > region.range.end {
                    return None;
                }
                if matches!(before, Some(' ' | '\t')) {
                    Tier::RegionWord
                } else {
                    Tier::RegionChar
                }
            }
            Kind::Link => match (before, next) {
                (Some(' ' | '\t' | '\n'), Some(c)) if safe_start(c) => Tier::RegionWord,
                _ => Tier::RegionChar,
            },
        };
        Some(if large { tier } else { Tier::Forced })
    }

    /// For each place in `start..=end`: whether it is inside an escape, an entity or a tag,
    /// and whether emphasis is open there (outside code, where neither is anything).
    fn marks(&self, start: usize, end: usize) -> Marks {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut marks = Marks {
            atom: vec![false; end - start + 1],
            emphasis: vec![false; end - start + 1],
        };
        let mut forbid = |range: Range<usize>| {
            for at in range {
                if at > start && at <= end {
                    marks.atom[at - start] = true;
                }
            }
        };
        // Whether a run of `*`, and one of `_`, opened emphasis not closed yet in this block.
        let mut open = [false; 2];
        let mut emphasis = Vec::with_capacity(end - start + 1);
        let first = self.code.partition_point(|r| r.end <= start);
        let mut code = self.code[first..].iter().peekable();
        let mut i = start;
        while i <= end && i < bytes.len() {
            while code.peek().is_some_and(|r| r.end <= i) {
                code.next();
            }
            if let Some(r) = code.peek().filter(|r| r.start <= i) {
                emphasis.push((r.end, open[0] || open[1]));
                i = r.end;
                continue;
            }
            let step = match bytes[i] {
                b'\\' => {
                    let next = text[i + 1..].chars().next().map_or(0, char::len_utf8);
                    forbid(i + 1..i + 1 + next);
                    1 + next
                }
                b'&' => entity_len(&bytes[i..])
                    .inspect(|&n| forbid(i + 1..i + n))
                    .unwrap_or(1),
                b'<' => tag_len(&bytes[i..])
                    .inspect(|&n| forbid(i + 1..i + n))
                    .unwrap_or(1),
                mark @ (b'*' | b'_') => {
                    let run = bytes[i..].iter().take_while(|&&b| b == mark).count();
                    let (can_open, can_close) = flanking(
                        mark,
                        text[..i].chars().next_back(),
                        text[i + run..].chars().next(),
                    );
                    let open = &mut open[usize::from(mark == b'_')];
                    if *open && can_close {
                        *open = false;
                    } else if can_open {
                        *open = true;
                    }
                    run
                }
                b'\n' => {
                    if starts_block(&bytes[i + 1..]) {
                        open = [false; 2];
                    }
                    1
                }
                _ => 1,
            };
            emphasis.push((i + step, open[0] || open[1]));
            i += step;
        }
        // Each change of state holds from its place to the next.
        let mut state = false;
        let mut changes = emphasis.into_iter().peekable();
        for at in start..=end {
            while let Some(&(from, open)) = changes.peek() {
                if from > at {
                    break;
                }
                state = open;
                changes.next();
            }
            marks.emphasis[at - start] = state;
        }
        marks
    }

    /// For each place in `start..=end`, the innermost region it is strictly inside.
    fn innermost(&self, start: usize, end: usize) -> Vec<Option<usize>> {
        let mut inner = vec![None; end - start + 1];
        // The regions that begin after `start`, and those that hold it: the one before them,
        // or the link that holds that one.
        let next = self.regions.partition_point(|r| r.range.start <= start);
        let from = next
            .checked_sub(1)
            .map_or(next, |before| self.regions[before].parent.unwrap_or(before));
        // In order of start, so that a code span overwrites the link that holds it.
        for (index, region) in self.regions.iter().enumerate().skip(from) {
            if region.range.start >= end {
                break;
            }
            let lo = (region.range.start + 1).max(start);
            let hi = region.range.end.min(end + 1);
            for at in lo..hi {
                inner[at - start] = Some(index);
            }
        }
        inner
    }
}

/// What the places of a window are: `atom[k]` (place `start + k`) is inside an escape, an
/// entity or a tag; `emphasis[k]` is inside emphasis.
struct Marks {
    atom: Vec<bool>,
    emphasis: Vec<bool>,
}

/// Whether a run of `mark` (`*` or `_`) between `before` and `after` can open emphasis, and
/// whether it can close it, by CommonMark's rules of flanking runs.
fn flanking(mark: u8, before: Option<char>, after: Option<char>) -> (bool, bool) {
    let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let punctuation =
        |c: Option<char>| c.is_some_and(|c| !c.is_alphanumeric() && !c.is_whitespace());
    let left = !space(after) && (!punctuation(after) || space(before) || punctuation(before));
    let right = !space(before) && (!punctuation(before) || space(after) || punctuation(after));
    if mark == b'_' {
        (
            left && (!right || punctuation(before)),
            right && (!left || punctuation(after)),
        )
    } else {
        (left, right)
    }
}

/// Whether the line that starts `rest` ends the block before it, so that no emphasis goes
/// on across it: a blank line, a heading, a quote, a list item, a fence.
fn starts_block(rest: &[u8]) -> bool {
    let line = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())];
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    let line = &line[indent.min(3)..];
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    let spaced = |at: usize| {
        line.get(at)
            .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'\r'))
    };
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
        || matches!(line.first(), Some(b'#' | b'>'))
        || (matches!(line.first(), Some(b'-' | b'+' | b'*')) && spaced(1))
        || ((1..=9).contains(&digits)
            && matches!(line.get(digits), Some(b'.' | b')'))
            && spaced(digits + 1))
        || line.starts_with(b"```")
        || line.starts_with(b"~~~")
}

/// A code region of `code_regions` as a fence or a span.
fn code_kind(text: &str, range: Range<usize>) -> Kind {
    let at_line_start = range.start == 0 || text.as_bytes()[range.start - 1] == b'\n';
    let first_line_end = text[range.start..range.end]
        .find('\n')
        .map_or(range.end, |n| range.start + n + 1);
    let first_line = text[range.start..first_line_end].trim_end_matches(['\n', '\r']);
    match fence_of(first_line).filter(|_| at_line_start) {
        Some((mark, len)) => {
            let open = range.start..first_line_end;
            // Closed if its last line (not its first) is a fence like the opening one.
            let last_start = text[open.end..range.end]
                .rfind('\n')
                .map_or(open.end, |n| open.end + n + 1);
            let closed = last_start < range.end
                && fence_of(text[last_start..range.end].trim_end_matches('\r'))
                    .is_some_and(|(m, l)| m == mark && l >= len);
            let content = open.end..if closed { last_start } else { range.end };
            Kind::Fence {
                open,
                close: mark.to_string().repeat(len),
                content,
            }
        }
        None => Kind::Span(
            text[range.start..]
                .bytes()
                .take_while(|&b| b == b'`')
                .count(),
        ),
    }
}

/// The fence a line opens or closes, as `code_regions` reads it: its character and length.
fn fence_of(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let mark = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = rest.len() - rest.trim_start_matches(mark).len();
    (len >= 3).then_some((mark, len))
}

/// The links and images of `text`, outside its `code` regions: `[label](address "title")`
/// and `![alt](address)`, from their first bracket to their closing parenthesis.
fn links(text: &str, code: &[Range<usize>]) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut openers: VecDeque<usize> = VecDeque::new();
    let mut code = code.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(r) = code.peek().filter(|r| r.start <= i) {
            i = i.max(r.end);
            code.next();
            continue;
        }
        match bytes[i] {
            b'\\' => i += 1,
            b'\n' if blank_line_follows(&bytes[i + 1..]) => openers.clear(),
            b'[' => {
                let image = i > 0 && bytes[i - 1] == b'!' && !escaped(bytes, i - 1);
                openers.push_back(if image { i - 1 } else { i });
                // No link is looked for past `LINK_SCAN`: the scan stays linear.
                while openers.front().is_some_and(|&o| i - o > LINK_SCAN) {
                    openers.pop_front();
                }
            }
            b']' => {
                if let Some(open) = openers.pop_back()
                    && bytes.get(i + 1) == Some(&b'(')
                    && let Some(end) = destination_end(bytes, i + 2, open + LINK_SCAN)
                {
                    found.push(open..end);
                    // A link holds no other link.
                    openers.clear();
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Whether the byte at `at` is escaped by a backslash.
fn escaped(bytes: &[u8], at: usize) -> bool {
    let run = bytes[..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    run % 2 == 1
}

/// Whether the line that starts `rest` is blank (a paragraph ends before it).
fn blank_line_follows(rest: &[u8]) -> bool {
    rest.iter()
        .take_while(|&&b| b != b'\n')
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Where a link's `(address "title")` that starts at `i`, after its `(`, ends (after its
/// `)`), if it does before `limit` and the paragraph's end.
fn destination_end(bytes: &[u8], mut i: usize, limit: usize) -> Option<usize> {
    let limit = limit.min(bytes.len());
    let skip_space = |mut i: usize| {
        let mut newlines = 0;
        while i < limit && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
            newlines += usize::from(bytes[i] == b'\n');
            if newlines > 1 {
                return None;
            }
            i += 1;
        }
        Some(i)
    };
    i = skip_space(i)?;
    if bytes.get(i) == Some(&b'<') {
        i += 1;
        while i < limit && !matches!(bytes[i], b'>' | b'\n' | b'<') {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        if bytes.get(i) != Some(&b'>') {
            return None;
        }
        i += 1;
    } else {
        let mut depth = 0usize;
        while i < limit {
            match bytes[i] {
                b'\\' => i += 1,
                b' ' | b'\t' | b'\n' | b'\r' | 0..=0x1f => break,
                // A backtick may open a code span, which a link cannot cross.
                b'`' => return None,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                _ => {}
            }
            i += 1;
        }
    }
    i = skip_space(i.min(limit))?;
    if let Some(&quote @ (b'"' | b'\'' | b'(')) = bytes.get(i) {
        let closer = if quote == b'(' { b')' } else { quote };
        i += 1;
        while i < limit && bytes[i] != closer {
            if bytes[i] == b'`' {
                return None;
            }
            if bytes[i] == b'\\' {
                i += 1;
            } else if bytes[i] == b'\n' && blank_line_follows(&bytes[i + 1..]) {
                return None;
            }
            i += 1;
        }
        if i >= limit {
            return None;
        }
        i = skip_space(i + 1)?;
    }
    (i < limit && bytes[i] == b')').then_some(i + 1)
}

/// The length of the entity `bytes` starts with: `&lt;`, `&#126;`, `&#x7E;`.
fn entity_len(bytes: &[u8]) -> Option<usize> {
    let body = &bytes[1..];
    let (digits, most, skip): (fn(&u8) -> bool, usize, usize) = match body {
        [b'#', b'x' | b'X', ..] => (u8::is_ascii_hexdigit, 6, 2),
        [b'#', ..] => (u8::is_ascii_digit, 7, 1),
        [first, ..] if first.is_ascii_alphabetic() => (u8::is_ascii_alphanumeric, 32, 0),
        _ => return None,
    };
    let n = body[skip..]
        .iter()
        .take(most + 1)
        .take_while(|b| digits(b))
        .count();
    (n >= 1 && n <= most && body.get(skip + n) == Some(&b';')).then_some(1 + skip + n + 1)
}

/// The length of the HTML tag or autolink `bytes` starts with: `<font color=#FF0000>`,
/// `</font>`, `<https://example.com>`, on one line.
fn tag_len(bytes: &[u8]) -> Option<usize> {
    if !bytes
        .get(1)
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
    {
        return None;
    }
    let end = bytes
        .iter()
        .take(TAG_SCAN)
        .skip(1)
        .position(|&b| matches!(b, b'>' | b'<' | b'\n'))?;
    (bytes[1 + end] == b'>').then_some(end + 2)
}

/// How many columns of indentation `line` has.
fn indent_columns(line: &str) -> usize {
    let mut columns = 0;
    for c in line.chars() {
        match c {
            ' ' => columns += 1,
            '\t' => columns += 4 - columns % 4,
            _ => break,
        }
    }
    columns
}

/// Whether a line may start with `c` and show as it did in the middle of one: a letter, a
/// character of a script written without spaces, an escape or an entity, some punctuation;
/// never what may start a block (`#`, `-`, `+`, `*`, `>`, `=`, `|`, `<`, `[`, digits, `~`,
/// backticks, white space).
fn safe_start(c: char) -> bool {
    c.is_alphabetic()
        || (!c.is_ascii() && !c.is_whitespace())
        // Never markup at a line's start: an escape, an entity, punctuation.
        || matches!(c, '\\' | '&' | '(' | '"' | '\'' | '@' | ',' | ';' | ':' | '?' | '/' | '%' | '$')
}

/// What a byte of UTF-8 adds to a JSON string, as `serde_json` writes it: `"`, `\` and the
/// control characters escaped, everything else as it is.
fn byte_cost(b: u8) -> usize {
    match b {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
        0..=0x1f => 6,
        _ => 1,
    }
}

fn char_cost(c: char) -> usize {
    if c.is_ascii() {
        byte_cost(c as u8)
    } else {
        c.len_utf8()
    }
}

/// The length of `s` as the contents of a JSON string.
fn json_len(s: &str) -> usize {
    s.bytes().map(byte_cost).sum()
}

#[cfg(test)]
mod tests;
