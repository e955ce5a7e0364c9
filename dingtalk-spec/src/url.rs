//! Addresses in messages: which ones DingTalk opens, and how to make one open inside DingTalk.

/// The schemes of addresses DingTalk opens from a link, a button or a feed entry.
pub const LINK_SCHEMES: [&str; 3] = ["http://", "https://", "dingtalk://"];

/// Whether `url` starts with a scheme DingTalk opens ([`LINK_SCHEMES`], any case).
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::url::opens_in_dingtalk;
///
/// assert!(opens_in_dingtalk("https://ci.example.com/runs/7"));
/// assert!(opens_in_dingtalk("dingtalk://dingtalkclient/page/link?url=…"));
/// assert!(!opens_in_dingtalk("ci.example.com/runs/7"));
/// ```
pub fn opens_in_dingtalk(url: &str) -> bool {
    LINK_SCHEMES.iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

/// Whether `url` opens inside DingTalk already (`dingtalk://…`), so that wrapping it again
/// would break it.
pub fn is_dingtalk_url(url: &str) -> bool {
    url.get(..LINK_SCHEMES[2].len())
        .is_some_and(|start| start.eq_ignore_ascii_case(LINK_SCHEMES[2]))
}

/// The start of an address that opens `url` inside DingTalk; the rest is `url`
/// percent-encoded as a query value, then [`pc_slide_suffix`].
///
/// `dingtalk://dingtalkclient/page/link?url=<url>&pc_slide=true` opens in the desktop
/// client's side panel, `…&pc_slide=false` in the browser.
pub const PC_SLIDE_PREFIX: &str = "dingtalk://dingtalkclient/page/link?url=";

/// The end of an address made with [`PC_SLIDE_PREFIX`].
pub fn pc_slide_suffix(pc_slide: bool) -> &'static str {
    if pc_slide {
        "&pc_slide=true"
    } else {
        "&pc_slide=false"
    }
}

/// The bytes RFC 3986 leaves unreserved, which a URL component keeps as they are: letters,
/// digits, `-`, `.`, `_` and `~`. Every other byte of a component is percent-encoded.
pub fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Writes `value` into `out` percent-encoded as one URL component (a path segment or a query
/// value): every byte but the [unreserved](is_unreserved) ones as `%XX`.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// let mut out = String::from("https://ci.example.com/jobs/");
/// dingtalk_bot::spec::url::encode_component_into(&mut out, "a b/c?d=é");
/// assert_eq!(out, "https://ci.example.com/jobs/a%20b%2Fc%3Fd%3D%C3%A9");
/// ```
pub fn encode_component_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(value.len());
    for byte in value.bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

/// Writes `url` into `out` as a markdown link's address (`[text](<here>)`): as it is, but for
/// the bytes that could end the address early and start markdown of their own (white space,
/// `(`, `)`, `<`, `>`, and `\`, which would escape the closing parenthesis), which are
/// percent-encoded.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// let mut out = String::from("[logs](");
/// let dest = "https://x/a b) ![i](https://evil\\";
/// dingtalk_bot::spec::url::encode_link_destination_into(&mut out, dest);
/// assert_eq!(out, "[logs](https://x/a%20b%29%20![i]%28https://evil%5C");
/// ```
pub fn encode_link_destination_into(out: &mut String, url: &str) {
    // Every byte encoded is ASCII, so the runs between them are whole characters.
    let mut start = 0;
    for (i, byte) in url.bytes().enumerate() {
        let encoded = match byte {
            b' ' => "%20",
            b'\t' => "%09",
            b'\n' => "%0A",
            b'\r' => "%0D",
            b'(' => "%28",
            b')' => "%29",
            b'<' => "%3C",
            b'>' => "%3E",
            b'\\' => "%5C",
            _ => continue,
        };
        out.push_str(&url[start..i]);
        out.push_str(encoded);
        start = i + 1;
    }
    out.push_str(&url[start..]);
}

/// `url` made to open inside DingTalk: in the desktop side panel with `pc_slide`, in the
/// browser without.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// assert_eq!(
///     dingtalk_bot::spec::url::pc_slide("https://example.com/a?b=1", true),
///     "dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1&pc_slide=true",
/// );
/// ```
pub fn pc_slide(url: &str, pc_slide: bool) -> String {
    let mut out = String::with_capacity(PC_SLIDE_PREFIX.len() + url.len() * 2 + 16);
    out.push_str(PC_SLIDE_PREFIX);
    encode_component_into(&mut out, url);
    out.push_str(pc_slide_suffix(pc_slide));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_encode_every_reserved_byte() {
        let mut out = String::new();
        encode_component_into(&mut out, "AZaz09-._~ !\"#$%&'()*+,/:;<=>?@[\\]^`{|}多");
        assert_eq!(
            out,
            "AZaz09-._~%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%E5%A4%9A"
        );
        let mut out = String::new();
        encode_component_into(&mut out, "");
        assert_eq!(out, "");
    }

    #[test]
    fn schemes_are_recognised_in_any_case() {
        assert!(opens_in_dingtalk("HTTPS://x"));
        assert!(!opens_in_dingtalk("ftp://x"));
        assert!(!opens_in_dingtalk("http"));
        assert!(is_dingtalk_url("DingTalk://x"));
        assert!(!is_dingtalk_url("https://x"));
    }
}
