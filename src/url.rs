//! Values in addresses: percent-encoding, for links, buttons and feed entries built at run
//! time.
//!
//! A derived message encodes the values in its addresses by where they stand: a value that
//! starts an address (its scheme and host) goes in as it is, a value after the start (a path
//! segment, a query value) is percent-encoded, so that `a b/c` stays one segment and a space
//! does not break the link in DingTalk. These functions do the same by hand;
//! [`pc_slide_url`](crate::pc_slide_url) makes an address open inside DingTalk.
//!
//! ```
//! use dingtalk_bot::Payload;
//! use dingtalk_bot::url::encode_component;
//!
//! let (job, run) = ("build & test", "7/2");
//! let url = format!(
//!     "https://ci.example.com/jobs/{}?run={}",
//!     encode_component(job),
//!     encode_component(run),
//! );
//! let card = Payload::action_card("CI", "**build & test** failed").button("Open", url);
//! assert_eq!(
//!     card.button_list()[0].url(),
//!     "https://ci.example.com/jobs/build%20%26%20test?run=7%2F2",
//! );
//! ```

/// `value` percent-encoded as one component of an address (a path segment or a query value):
/// every byte but letters, digits, `-`, `.`, `_` and `~` (RFC 3986's unreserved ones) as `%XX`.
///
/// ```
/// use dingtalk_bot::url::encode_component;
///
/// assert_eq!(encode_component("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
/// assert_eq!(encode_component("v2.4_rc-1~x"), "v2.4_rc-1~x");
/// ```
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_component_into(&mut out, value);
    out
}

/// Writes `value` at the end of `out`, percent-encoded as one component of an address: the
/// form of [`encode_component`] that writes into an address being built.
///
/// ```
/// use dingtalk_bot::url::encode_component_into;
///
/// let mut url = String::from("https://ci.example.com/jobs/");
/// encode_component_into(&mut url, "build & test");
/// url.push_str("?branch=");
/// encode_component_into(&mut url, "fix/#12");
/// assert_eq!(url, "https://ci.example.com/jobs/build%20%26%20test?branch=fix%2F%2312");
/// ```
pub fn encode_component_into(out: &mut String, value: &str) {
    dingtalk_core::spec::url::encode_component_into(out, value);
}

/// `url` made safe as the address of a markdown link (`[label](here)`): as it is, but for what
/// would end the address early and start markdown of its own (white space, `(`, `)`, `<`, `>`
/// and `\`), which is percent-encoded. A derived message does this with a value that starts a
/// link's address in its markdown; escape the label with
/// [`markdown::escape`](crate::markdown::escape).
///
/// ```
/// use dingtalk_bot::markdown::escape;
/// use dingtalk_bot::url::encode_link_destination;
///
/// let (label, url) = ("logs [7]", "https://ci.example.com/a b) ![x](https://evil/x.png");
/// let link = format!("[{}]({})", escape(label), encode_link_destination(url));
/// assert_eq!(
///     link,
///     r"[logs \[7\]](https://ci.example.com/a%20b%29%20![x]%28https://evil/x.png)",
/// );
/// ```
pub fn encode_link_destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    encode_link_destination_into(&mut out, url);
    out
}

/// Writes `url` at the end of `out` as the address of a markdown link: the form of
/// [`encode_link_destination`] that writes into markdown being built.
///
/// ```
/// use dingtalk_bot::url::encode_link_destination_into;
///
/// let mut text = String::from("[logs](");
/// encode_link_destination_into(&mut text, "https://ci.example.com/runs/7 (retry)");
/// text.push(')');
/// assert_eq!(text, "[logs](https://ci.example.com/runs/7%20%28retry%29)");
/// ```
pub fn encode_link_destination_into(out: &mut String, url: &str) {
    dingtalk_core::spec::url::encode_link_destination_into(out, url);
}
