//! Markdown as DingTalk renders it, for messages built at run time: the escaper that derived
//! messages use for their values, the one line-break rule, and [`RawMarkdown`] for values that
//! are markdown already.
//!
//! The rules are [`dingtalk_spec::markdown`]'s, where they are described in full.
//!
//! ```
//! use dingtalk_core::Payload;
//! use dingtalk_core::markdown::{escape, hard_line_breaks};
//!
//! let branch = "fix/*all*_the_things";
//! let text = hard_line_breaks(&format!("### Deploy\nbranch: {}", escape(branch)));
//! let message = Payload::markdown("Deploy", text);
//! assert_eq!(message.text(), "### Deploy  \nbranch: fix/\\*all\\*\\_the\\_things");
//! ```

use std::fmt;

pub use dingtalk_spec::markdown::{Escaper, Newlines, escape, escape_into, hard_line_breaks};

/// A value that is markdown already: interpolated into a derived message's markdown as it is,
/// not escaped.
///
/// ```
/// use dingtalk_core::RawMarkdown;
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
