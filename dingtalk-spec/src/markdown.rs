//! DingTalk's dialect of markdown: how a line breaks, how a value is escaped so that it shows
//! as it is, and what DingTalk leaves unrendered.
//!
//! **Line breaks.** DingTalk shows nothing for a single `\n`: a line breaks at `"  \n"` (two
//! spaces, then the newline) or between paragraphs (`\n\n`). The one rule, used for template
//! text, values and hand-written markdown alike ([`hard_line_breaks`], [`Escaper`]): a `\n`
//! with no other `\n` beside it becomes `"  \n"`, unless two spaces stand before it already;
//! runs of two or more stay as they are. `\r\n` and a lone `\r` count as `\n`.
//!
//! **Escaping.** No official document describes escaping in DingTalk's markdown; the rules
//! below keep to what widely used projects have shipped for years (see the specification's
//! "Escaping values in markdown"), so that a value shows as written and never becomes a link,
//! an image, a heading, a list, a quote, emphasis or HTML:
//! - `\` `*` `_` `` ` `` `[` `]` are backslash-escaped anywhere;
//! - where a value starts a line (after indentation, `> ` or a list marker only), what would
//!   start a block there: `#` to `######` before white space (a heading), `-` or `+` before
//!   white space (a list item), `-` before `-` (a rule, a heading's underline), the `.` or `)`
//!   of `1.`/`1)` before white space (an ordered list), and `=` before `=` or white space (a
//!   heading's underline, written `&#61;`); a value in the middle of a line is escaped for none
//!   of these, since no block starts there;
//! - `<`, `>` and `&` become `&lt;`, `&gt;` and `&amp;`;
//! - where they could form markup, and only there, characters outside the classic
//!   backslash set are written as numeric references: a run of two or more `~` as `&#126;`
//!   (strikethrough, a `~~~` fence), and `|` in a value that spans lines or starts one as
//!   `&#124;` (a table);
//! - indentation past three columns at the start of a line is dropped (four would start a
//!   code block), and a tab there becomes a space;
//! - on a heading's line, a run of `#` after white space at the value's end (`### issue #`),
//!   which would close the heading and vanish;
//! - nothing else is escaped: `!` (escaping `[` already stops an image), `.`, `:`, `#`, `-` or
//!   `+` inside a line show as they are.
//!
//! Values inside code spans and fences are not escaped, since escapes show literally there;
//! the derive refuses placeholders in them instead ([`code_regions`]). Titles, text messages,
//! link cards and button labels are plain text and are never escaped.

use std::fmt;
use std::ops::Range;

/// How single newlines in markdown are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Newlines {
    /// A single `\n` becomes `"  \n"`, a line break DingTalk shows (the [rule](self)).
    #[default]
    Break,
    /// As they are (DingTalk shows none).
    Preserve,
}

/// Markdown whose single newlines show as line breaks in DingTalk, by the one rule of
/// [this module](self).
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::markdown::hard_line_breaks;
///
/// assert_eq!(hard_line_breaks("a\nb\n\nc  \nd\r\ne"), "a  \nb\n\nc  \nd  \ne");
/// ```
pub fn hard_line_breaks(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 16);
    let mut breaks = Breaks::default();
    for c in markdown.chars() {
        if !breaks.take(&mut out, c, Newlines::Break) {
            breaks.flush(&mut out);
            out.push(c);
        }
    }
    breaks.flush(&mut out);
    out
}

/// The line-break rule as text is written: line endings are held until the next character
/// says whether they stand alone.
#[derive(Clone, Copy, Debug, Default)]
struct Breaks {
    /// Line endings held, not yet written.
    pending: usize,
    /// The last character was `\r`: a `\n` now ends the same line.
    after_cr: bool,
}

impl Breaks {
    /// Takes `c` if it ends a line (writing it at once when `newlines` preserves them), and
    /// says whether it did.
    fn take(&mut self, out: &mut String, c: char, newlines: Newlines) -> bool {
        let after_cr = std::mem::replace(&mut self.after_cr, c == '\r');
        match c {
            '\n' if after_cr => true,
            '\n' | '\r' => {
                match newlines {
                    Newlines::Break => self.pending += 1,
                    Newlines::Preserve => out.push('\n'),
                }
                true
            }
            _ => false,
        }
    }

    /// Writes the line endings held: one alone as `"  \n"`, several as they are.
    fn flush(&mut self, out: &mut String) {
        match self.pending {
            0 => {}
            1 => {
                if !out.ends_with("  ") {
                    out.push_str("  ");
                }
                out.push('\n');
            }
            n => out.extend(std::iter::repeat_n('\n', n)),
        }
        self.pending = 0;
    }
}

/// `value` escaped for DingTalk's markdown, single newlines made line breaks, as if it started
/// a line (so that it is safe wherever it goes; [`escape_into`] reads where it stands).
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::markdown::escape;
///
/// assert_eq!(escape("# not a heading"), r"\# not a heading");
/// assert_eq!(escape("#42 and -5 °C"), "#42 and -5 °C");
/// assert_eq!(escape("[x](https://evil) *y* <b>"), r"\[x\](https://evil) \*y\* &lt;b&gt;");
/// assert_eq!(escape("v1.2 - ok! C# 100%"), "v1.2 - ok! C# 100%");
/// ```
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    escape_into(&mut out, value, Newlines::Break);
    out
}

/// Writes `value` at the end of the markdown `out`, escaped for where it stands: at the start
/// of a line (after indentation, `> ` or a list marker only), or in the middle of one.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::markdown::{Newlines, escape_into};
///
/// let mut out = String::from("- ");
/// escape_into(&mut out, "1. first", Newlines::Break);
/// out.push_str("\n- issue ");
/// escape_into(&mut out, "#12 - 1. first", Newlines::Break);
/// assert_eq!(out, "- 1\\. first\n- issue #12 - 1. first");
/// ```
pub fn escape_into(out: &mut String, value: &str, newlines: Newlines) {
    let mut escaper = Escaper::new(out, newlines);
    // Writing into a `String` cannot fail.
    let _ = fmt::Write::write_str(&mut escaper, value);
    escaper.finish();
}

/// Where a character stands on its line, as far as block markup is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// Only indentation (and container markers, `> ` or `- `) so far on this line: block
    /// markup could start here.
    Start,
    /// `#`s at a line start, not yet written: a heading if white space or the end follows.
    Hashes(usize),
    /// `-`, `+` or `=` at a line start, not yet written: what follows says whether it makes a
    /// list item, a rule or a heading's underline.
    Mark(char),
    /// Only digits after the indentation: a `.` or `)` now may start an ordered list.
    Digits,
    /// Digits then this `.` or `)`, not yet written: a list marker if white space follows.
    Marker(char),
    /// Anything else: no block markup can start on this line any more.
    Middle,
}

/// What comes after a character held at a line start.
#[derive(Clone, Copy)]
enum Next {
    Char(char),
    /// A line ending, or the end of the value (what the template writes next is not known,
    /// so the held character is escaped as if white space followed).
    End,
}

impl Next {
    fn is_space(self) -> bool {
        match self {
            Next::Char(c) => matches!(c, ' ' | '\t'),
            Next::End => true,
        }
    }
}

/// How many columns of indentation a line may have before it starts a code block.
const MAX_INDENT: usize = 3;

/// Whether a value written after `line` (the text of its line so far) stands where block
/// markup starts, and if so how much indentation the line has: only indentation and
/// container markers (`>`, `- `, `+ `, `* `, `1. `, `1) `) come before it.
fn block_start(line: &str) -> Option<usize> {
    let mut rest = line;
    let mut indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    rest = &rest[indent..];
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let quote_or_bullet = rest.starts_with('>')
            || (rest.starts_with(['-', '+', '*']) && rest[1..].starts_with([' ', '\t']));
        let marker = if quote_or_bullet {
            1
        } else if (1..=9).contains(&digits)
            && rest[digits..].starts_with(['.', ')'])
            && rest[digits + 1..].starts_with([' ', '\t'])
        {
            digits + 1
        } else {
            return None;
        };
        rest = &rest[marker..];
        let space = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        // One space belongs to the marker; more is the content's indentation.
        indent = space.saturating_sub(1);
        rest = &rest[space..];
    }
    Some(indent)
}

/// Whether `line` (the text of a line so far) is an ATX heading's: `#` to `######`, then white
/// space, after at most three spaces.
fn is_heading(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    line.len() - rest.len() <= MAX_INDENT
        && (1..=6).contains(&hashes)
        && rest[hashes..].starts_with([' ', '\t'])
}

/// Escapes markdown as it is written into a `String`, for values written with `write!`: the
/// streaming form of [`escape_into`]. Call [`finish`](Escaper::finish) (or drop it) when the
/// value is written: the end of a value decides how its last characters are written.
///
/// Where the value stands is read from what `out` holds already: a value that starts its line
/// (after indentation, `> ` or a list marker only) is escaped for what could start a block
/// there; a value in the middle of a line is not, since no block starts mid-line.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use std::fmt::Write as _;
/// use dingtalk_bot::spec::markdown::{Escaper, Newlines};
///
/// let mut out = String::from("**CPU** ");
/// let mut escaper = Escaper::new(&mut out, Newlines::Break);
/// write!(escaper, "{}% on {} at -5 °C", 97, "db_1").unwrap();
/// escaper.finish();
/// assert_eq!(out, r"**CPU** 97% on db\_1 at -5 °C");
///
/// let mut out = String::from("- ");
/// let mut escaper = Escaper::new(&mut out, Newlines::Break);
/// write!(escaper, "# not a heading").unwrap();
/// escaper.finish();
/// assert_eq!(out, r"- \# not a heading");
/// ```
#[derive(Debug)]
pub struct Escaper<'a> {
    out: &'a mut String,
    newlines: Newlines,
    /// Where this value starts in `out`.
    start: usize,
    /// Whether the value starts its line (see [`block_start`]).
    at_block_start: bool,
    /// Whether the value stands on the line of a heading (`### …`), which a run of `#` at its
    /// end would close.
    in_heading: bool,
    line: Line,
    /// Columns of indentation the current line may still take.
    indent_left: usize,
    breaks: Breaks,
    /// A single `~`, not yet written: a second one makes a run.
    tilde: bool,
    /// Inside a run of `~`.
    tilde_run: bool,
    /// The value spans lines.
    multiline: bool,
    /// The value holds a `|`.
    pipe: bool,
    finished: bool,
}

impl<'a> Escaper<'a> {
    /// An escaper that writes at the end of `out`.
    pub fn new(out: &'a mut String, newlines: Newlines) -> Self {
        let line_start = out.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let indent = block_start(&out[line_start..]);
        let in_heading = is_heading(&out[line_start..]);
        Escaper {
            start: out.len(),
            out,
            newlines,
            at_block_start: indent.is_some(),
            in_heading,
            line: if indent.is_some() {
                Line::Start
            } else {
                Line::Middle
            },
            indent_left: MAX_INDENT.saturating_sub(indent.unwrap_or(MAX_INDENT)),
            breaks: Breaks::default(),
            tilde: false,
            tilde_run: false,
            multiline: false,
            pipe: false,
            finished: false,
        }
    }

    /// Writes what the end of the value decides: a character held at a line start, a held `~`
    /// or line ending, and `|` as references where it could make a table.
    pub fn finish(self) {
        // Dropping does it.
    }

    fn complete(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.resolve(Next::End);
        self.end_tildes();
        self.keep_closing_hashes();
        self.breaks.flush(self.out);
        // A table needs a `|` at a line start and a row of `-|-` below it: a value that spans
        // lines, or starts one, could make both.
        if (self.multiline || self.at_block_start) && self.pipe {
            let escaped = self.out[self.start..].replace('|', "&#124;");
            self.out.truncate(self.start);
            self.out.push_str(&escaped);
        }
    }

    /// On a heading's line, a run of `#` after white space at the end would close the heading
    /// and vanish (`### issue #`): one `\` keeps it. The value's end may not be the line's, so
    /// this is written where the template could end the line there.
    fn keep_closing_hashes(&mut self) {
        if !self.in_heading {
            return;
        }
        let line = self.out[self.start..].trim_end_matches([' ', '\t']);
        let run = line.len() - line.trim_end_matches('#').len();
        let run_start = self.start + line.len() - run;
        if run > 0 && self.out[..run_start].ends_with([' ', '\t']) {
            self.out.insert(run_start, '\\');
        }
    }

    /// Writes the character held at a line start, escaped if what comes `next` makes it markup.
    fn resolve(&mut self, next: Next) {
        let out = &mut *self.out;
        match self.line {
            Line::Hashes(n) => {
                // `#` to `######` then white space: a heading. One `\` stops the whole run.
                if next.is_space() {
                    out.push('\\');
                }
                out.extend(std::iter::repeat_n('#', n));
            }
            Line::Mark(mark) => {
                let markup = next.is_space()
                    // `--` may underline a heading, `---` make a rule; `==` underline one.
                    || (matches!(mark, '-' | '=') && matches!(next, Next::Char(c) if c == mark));
                match (mark, markup) {
                    ('=', true) => out.push_str("&#61;"),
                    (_, true) => {
                        out.push('\\');
                        out.push(mark);
                    }
                    (_, false) => out.push(mark),
                }
            }
            Line::Marker(marker) => {
                if next.is_space() {
                    out.push('\\');
                }
                out.push(marker);
            }
            Line::Start | Line::Digits | Line::Middle => return,
        }
        self.line = Line::Middle;
    }

    fn end_tildes(&mut self) {
        if self.tilde {
            self.out.push('~');
        }
        self.tilde = false;
        self.tilde_run = false;
    }

    fn push(&mut self, c: char) {
        if matches!(c, '\n' | '\r') {
            // What the line ending ends is written before it.
            self.resolve(Next::End);
            self.end_tildes();
            self.keep_closing_hashes();
            self.in_heading = false;
        }
        if self.breaks.take(self.out, c, self.newlines) {
            self.multiline = true;
            self.line = Line::Start;
            self.indent_left = MAX_INDENT;
            return;
        }
        self.breaks.flush(self.out);
        if c != '~' {
            self.end_tildes();
        }
        // A run held at a line start goes on.
        match (self.line, c) {
            (Line::Hashes(n), '#') => {
                self.line = Line::Hashes(n + 1);
                return;
            }
            (Line::Digits, '0'..='9') => {
                self.out.push(c);
                return;
            }
            (Line::Digits, '.' | ')') => {
                self.line = Line::Marker(c);
                return;
            }
            (Line::Digits, _) => self.line = Line::Middle,
            _ => self.resolve(Next::Char(c)),
        }
        if self.line == Line::Start {
            match c {
                // Four columns of indentation would start a code block: the rest is dropped,
                // which shows the same, as a paragraph shows no indentation.
                ' ' | '\t' => {
                    if self.indent_left > 0 {
                        self.out.push(' ');
                        self.indent_left -= 1;
                    }
                    return;
                }
                '#' => {
                    self.line = Line::Hashes(1);
                    return;
                }
                '-' | '+' | '=' => {
                    self.line = Line::Mark(c);
                    return;
                }
                '0'..='9' => {
                    self.out.push(c);
                    self.line = Line::Digits;
                    return;
                }
                _ => self.line = Line::Middle,
            }
        }
        let out = &mut *self.out;
        match c {
            '\\' | '*' | '_' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '~' if self.tilde_run => out.push_str("&#126;"),
            '~' if self.tilde => {
                out.push_str("&#126;&#126;");
                self.tilde = false;
                self.tilde_run = true;
            }
            '~' => self.tilde = true,
            '|' => {
                out.push('|');
                self.pipe = true;
            }
            c => out.push(c),
        }
    }
}

impl Drop for Escaper<'_> {
    fn drop(&mut self) {
        self.complete();
    }
}

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.chars().for_each(|c| self.push(c));
        Ok(())
    }
}

/// Markdown that DingTalk does not render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unrendered {
    /// A fenced code block (```` ``` ```` or `~~~`): desktop only, its indentation lost.
    FencedCode,
    /// A horizontal rule (`---`, `***`, `___`).
    HorizontalRule,
    /// A table (`| a | b |`, `|---|---|`).
    Table,
    /// Strikethrough (`~~gone~~`).
    Strikethrough,
}

impl Unrendered {
    /// What it is, in the plural of an error message: `tables`.
    pub fn describe(self) -> &'static str {
        match self {
            Unrendered::FencedCode => "fenced code",
            Unrendered::HorizontalRule => "horizontal rules",
            Unrendered::Table => "tables",
            Unrendered::Strikethrough => "strikethrough",
        }
    }
}

/// One piece of markdown DingTalk does not render: a table or a fenced block is one piece,
/// however many lines it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding<'a> {
    /// What it is.
    pub what: Unrendered,
    /// Its first line, as written.
    pub line: &'a str,
    /// The index of its first line (0 for the first).
    pub line_number: usize,
}

/// Every piece of `markdown` DingTalk does not render, in order.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::markdown::{Unrendered, unrendered};
///
/// let found = unrendered("| a | b |\n|---|---|\n| 1 | 2 |\n\ntext ~~gone~~");
/// let what: Vec<Unrendered> = found.iter().map(|f| f.what).collect();
/// assert_eq!(what, [Unrendered::Table, Unrendered::Strikethrough]);
/// ```
pub fn unrendered(markdown: &str) -> Vec<Finding<'_>> {
    let mut found = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut in_table = false;
    for (line_number, line) in markdown.lines().enumerate() {
        if let Some((mark, len)) = fence {
            if fence_of(line).is_some_and(|(m, l)| m == mark && l >= len) {
                fence = None;
            }
            continue;
        }
        let t = line.trim();
        let what = if let Some(opened) = fence_of(line) {
            fence = Some(opened);
            Some(Unrendered::FencedCode)
        } else if is_rule(t) {
            Some(Unrendered::HorizontalRule)
        } else if is_table_row(t) {
            Some(Unrendered::Table)
        } else if has_strikethrough(t) {
            Some(Unrendered::Strikethrough)
        } else {
            None
        };
        let table_goes_on = in_table && what == Some(Unrendered::Table);
        in_table = what == Some(Unrendered::Table);
        if let Some(what) = what.filter(|_| !table_goes_on) {
            found.push(Finding {
                what,
                line,
                line_number,
            });
        }
    }
    found
}

/// The fence a line opens or closes: its character and length (```` ``` ```` or `~~~`, at
/// least three, indented by at most three spaces).
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

/// `---`, `***`, `___`, `- - -`: three or more of one mark and nothing else.
fn is_rule(line: &str) -> bool {
    let mut marks = line.chars().filter(|c| !c.is_whitespace());
    let Some(first) = marks.next().filter(|c| matches!(c, '-' | '*' | '_')) else {
        return false;
    };
    let mut count = 1;
    for c in marks {
        if c != first {
            return false;
        }
        count += 1;
    }
    count >= 3
}

/// `| a | b |`, or a delimiter row such as `|---|:--:|`, `--- | ---` or `-|-` (GFM's
/// delimiter row: cells of `-` with an optional `:` either side, between `|`s).
fn is_table_row(line: &str) -> bool {
    let cells: Vec<&str> = line
        .trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(str::trim)
        .collect();
    let delimiter = line.contains('|')
        && cells.iter().all(|cell| {
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            !dashes.is_empty() && dashes.bytes().all(|b| b == b'-')
        });
    let piped = line.len() > 1 && line.starts_with('|') && line.ends_with('|');
    delimiter || piped
}

fn has_strikethrough(line: &str) -> bool {
    line.split("~~").count() >= 3
}

/// The byte ranges of `markdown` that are code: fenced blocks (from their opening fence to
/// their closing one, or the end) and code spans (from their opening backticks to their
/// closing ones). A value there would show its escapes, so the derive refuses placeholders
/// in them.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::markdown::code_regions;
///
/// let text = "run `cargo test` then\n```\nlog\n```\n";
/// let regions: Vec<&str> = code_regions(text).into_iter().map(|r| &text[r]).collect();
/// assert_eq!(regions, ["`cargo test`", "```\nlog\n```"]);
/// ```
pub fn code_regions(markdown: &str) -> Vec<Range<usize>> {
    let mut regions = Vec::new();
    let mut offset = 0;
    let mut fence: Option<(char, usize, usize)> = None;
    // Inline text between fences, scanned for code spans when a fence opens or the text ends.
    let mut inline_start = 0;
    for line in markdown.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        match fence {
            Some((mark, len, open)) => {
                if fence_of(bare).is_some_and(|(m, l)| m == mark && l >= len) {
                    regions.push(open..start + bare.len());
                    fence = None;
                    inline_start = offset;
                }
            }
            None => {
                if let Some((mark, len)) = fence_of(bare) {
                    code_spans(markdown, inline_start..start, &mut regions);
                    fence = Some((mark, len, start));
                }
            }
        }
    }
    match fence {
        Some((_, _, open)) => regions.push(open..markdown.len()),
        None => code_spans(markdown, inline_start..markdown.len(), &mut regions),
    }
    regions.sort_by_key(|r| r.start);
    regions
}

/// The code spans of `text[within]`: a run of backticks not escaped, up to the next run of the
/// same length in the same paragraph.
fn code_spans(text: &str, within: Range<usize>, regions: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut i = within.start;
    while i < within.end {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let open = i;
        let len = bytes[i..within.end]
            .iter()
            .take_while(|&&b| b == b'`')
            .count();
        i += len;
        // The closing run: the same length, before the paragraph ends.
        let paragraph_end = text[i..within.end]
            .find("\n\n")
            .map_or(within.end, |n| i + n);
        let mut j = i;
        let mut close = None;
        while j < paragraph_end {
            if bytes[j] == b'`' {
                let run = bytes[j..paragraph_end]
                    .iter()
                    .take_while(|&&b| b == b'`')
                    .count();
                if run == len {
                    close = Some(j + run);
                    break;
                }
                j += run;
            } else {
                j += 1;
            }
        }
        if let Some(end) = close {
            regions.push(open..end);
            i = end;
        }
    }
}

#[cfg(test)]
mod tests;
