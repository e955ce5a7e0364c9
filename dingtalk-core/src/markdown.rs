//! Markdown as DingTalk renders it, for messages built at run time: the escaper that derived
//! messages use for their values, the one line-break rule, and [`RawMarkdown`] for values that
//! are markdown already.
//!
//! `dingtalk_bot::markdown!` writes a whole text from a template over the variables in scope,
//! checked when the program compiles, each value escaped for where it stands and the line-break
//! rule applied: `markdown!("### {service} is **{status}**")`. The functions here do the same
//! piece by piece, for text put together at run time.
//!
//! # Line breaks
//!
//! DingTalk shows nothing for a single `\n` in markdown: a line breaks at `"  \n"` (two spaces,
//! then the newline) or between paragraphs (`\n\n`). So markdown follows **one rule**, wherever
//! it comes from:
//!
//! - a `\n` with no other `\n` beside it becomes `"  \n"`, a line break DingTalk shows (one
//!   that has two spaces before it already is left as it is);
//! - two or more `\n` in a row stay as they are: a paragraph;
//! - `\r\n` and a lone `\r` count as `\n`.
//!
//! It applies to the markdown of every message, however it is made: the text of
//! [`Payload::markdown`](crate::Payload::markdown) and
//! [`Payload::action_card`](crate::Payload::action_card), a derived message's markdown
//! templates and the values in them, the text `dingtalk_bot::markdown!` writes, and the values
//! [`escape`] writes. [`hard_line_breaks`]
//! applies it to any string. Plain text (text messages, titles, link cards, button labels)
//! keeps every `\n`: DingTalk shows those.
//!
//! [`Newlines::Preserve`] keeps single newlines as they are instead, for markdown whose line
//! breaks are made already or whose single newlines are meant to show nothing: given to
//! [`Markdown::with_newlines`](crate::Markdown::with_newlines) or
//! [`ActionCard::with_newlines`](crate::ActionCard::with_newlines), or written
//! `newlines = "preserve"` on a derived type.
//!
//! The rule is applied when a message is built, never when it is sent or read: the text a
//! message holds is the text sent ([`Payload::to_json`](crate::Payload::to_json) is the exact
//! body), and a payload read with [`Payload::from_json`](crate::Payload::from_json), as the
//! sandbox reads what it receives, keeps its text exactly as it arrived.
//!
//! # Escaping
//!
//! [`escape`] and [`escape_into`] write a value so that it shows as written and never becomes
//! markup: `` \ * _ ` [ ] `` are backslash-escaped, `<`, `>` and `&` become entities, and what
//! would start a block where a value starts a line (a heading's `#`, a list's `-` or `1.`) is
//! escaped there, while `#`, `-` and `1.` in the middle of a line show as they are. The rules,
//! and the evidence behind them, are [`dingtalk_spec::markdown`]'s. Values that go into an
//! address are percent-encoded instead: see `dingtalk_bot::url`.
//!
//! ```
//! # use dingtalk_core as dingtalk_bot;
//! use dingtalk_bot::Payload;
//! use dingtalk_bot::markdown::{Newlines, escape_into};
//!
//! let (service, branch) = ("billing", "fix/*all*_the_things");
//! let mut text = String::from("### Deploy ");
//! escape_into(&mut text, service, Newlines::Break);
//! text.push_str("\n- branch: "); // a line break: see above
//! escape_into(&mut text, branch, Newlines::Break);
//! let message = Payload::markdown("Deploy", text);
//! assert_eq!(message.text(), "### Deploy billing  \n- branch: fix/\\*all\\*\\_the\\_things");
//! ```

use std::fmt;

pub use dingtalk_spec::markdown::{Escaper, Newlines};

/// `value` escaped for DingTalk's markdown, so that it shows as written: safe wherever it goes,
/// since it is escaped as if it started a line. Its single newlines become line breaks, by the
/// [one rule](self#line-breaks).
///
/// Written in the middle of a line, a value escaped this way may carry an escape it did not
/// need there (`a \- b` for `- b` after `a `): [`escape_into`] reads where the value stands,
/// and escapes only what could be markup there.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::markdown::escape;
///
/// assert_eq!(escape("# not a heading"), r"\# not a heading");
/// assert_eq!(escape("[x](https://evil) *y* <b>"), r"\[x\](https://evil) \*y\* &lt;b&gt;");
/// assert_eq!(escape("v1.2 - ok! C# 100%, issue #12"), "v1.2 - ok! C# 100%, issue #12");
/// assert_eq!(escape("first\nsecond"), "first  \nsecond");
/// ```
pub fn escape(value: &str) -> String {
    dingtalk_spec::markdown::escape(value)
}

/// Writes `value` at the end of the markdown `out`, escaped for where it stands: at the start
/// of a line (after indentation, `> ` or a list marker only), what could start a block there
/// is escaped too; in the middle of one, only what is markup anywhere. Its single newlines
/// become line breaks with [`Newlines::Break`] (the [one rule](self#line-breaks)), or stay as
/// they are with [`Newlines::Preserve`].
///
/// This is what a derived message does with each value in its markdown.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::markdown::{Newlines, escape_into};
///
/// let mut text = String::from("- ");
/// escape_into(&mut text, "1. first", Newlines::Break); // would be an ordered list
/// text.push_str("\n- issue ");
/// escape_into(&mut text, "#12 - 1. first", Newlines::Break); // mid-line: nothing to escape
/// assert_eq!(text, "- 1\\. first\n- issue #12 - 1. first");
///
/// let mut quote = String::from("> ");
/// escape_into(&mut quote, "*a*\nb", Newlines::Preserve);
/// assert_eq!(quote, "> \\*a\\*\nb");
/// ```
pub fn escape_into(out: &mut String, value: &str, newlines: Newlines) {
    dingtalk_spec::markdown::escape_into(out, value, newlines);
}

/// `markdown` with the [one rule](self#line-breaks) applied: each single `\n` made `"  \n"`, a
/// line break DingTalk shows; `\n\n` left a paragraph. Applying it twice changes nothing.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::markdown::hard_line_breaks;
///
/// assert_eq!(hard_line_breaks("a\nb\n\nc  \nd\r\ne"), "a  \nb\n\nc  \nd  \ne");
/// assert_eq!(hard_line_breaks(&hard_line_breaks("a\nb")), "a  \nb");
/// ```
pub fn hard_line_breaks(markdown: &str) -> String {
    dingtalk_spec::markdown::hard_line_breaks(markdown)
}

/// A value that is markdown already: interpolated into a derived message's markdown (or
/// `dingtalk_bot::markdown!`'s text) as it is, not escaped.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// use dingtalk_bot::RawMarkdown;
///
/// let summary = RawMarkdown("**3** checks failed".to_owned());
/// assert_eq!(summary.to_string(), "**3** checks failed");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RawMarkdown<T>(pub T);

impl<T: fmt::Display> fmt::Display for RawMarkdown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
