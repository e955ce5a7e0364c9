//! The `errmsg` texts DingTalk answers with, in the classic English form and in the structured
//! Chinese form (`description:…;solution:…;`) used since about 2023, and how to tell which
//! security check a `310000` answer reports.
//!
//! The client recognises both wordings ([`classify_security`]); the sandbox answers the classic
//! form unless asked for the structured one ([`Wording`]).

/// Success.
pub const OK: &str = "ok";
/// 310000, keywords.
pub const KEYWORDS_NOT_IN_CONTENT: &str = "keywords not in content";
/// 310000, keywords, structured form.
pub const KEYWORDS_NOT_IN_CONTENT_ZH: &str = "错误描述:关键词不匹配;解决方案:请联系群管理员查看此机器人的关键词,并在发送的信息中包含此关键词;";
/// 310000, signature.
pub const SIGN_NOT_MATCH: &str = "sign not match";
/// 310000, signature, structured form.
pub const SIGN_NOT_MATCH_ZH: &str =
    "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都要传递;";
/// 310000, timestamp.
pub const INVALID_TIMESTAMP: &str = "invalid timestamp";
/// 310000, timestamp, structured form.
pub const INVALID_TIMESTAMP_ZH: &str =
    "description:机器人发送签名过期;solution:请确认时间戳在当前时间一小时之内;";
/// 130101 / 410100.
pub const SEND_TOO_FAST: &str = "send too fast, exceed 20 times per minute";
/// 300001 / 300005.
pub const TOKEN_NOT_EXIST: &str = "token is not exist";
/// 460101.
pub const MESSAGE_TOO_LONG: &str = "message too long, exceed 20000 bytes";
/// 460101, structured form.
pub const MESSAGE_TOO_LONG_ZH: &str =
    "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;";
/// 400105. **Chosen wording.**
pub const UNSUPPORTED_TYPE: &str = "不支持的消息类型";
/// 43004.
pub const INVALID_CONTENT_TYPE: &str = "无效的HTTP HEADER Content-Type";
/// -1.
pub const BUSY: &str = "系统繁忙";

/// 40035: a required parameter (`json` for an unreadable body) is missing.
pub fn missing_parameter(name: &str) -> String {
    format!("缺少参数 {name}")
}

/// 310000, IP allowlist.
pub fn ip_not_in_whitelist(ip: std::net::IpAddr) -> String {
    format!("ip {ip} not in whitelist")
}
/// Which of DingTalk's two wordings an answer uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Wording {
    /// The classic English texts: `sign not match`.
    #[default]
    Classic,
    /// The structured Chinese texts: `description:机器人发送签名不匹配;solution:…;`.
    Structured,
}

impl Wording {
    /// `classic` or `structured`, as this wording says.
    pub fn pick(self, classic: &'static str, structured: &'static str) -> &'static str {
        match self {
            Wording::Classic => classic,
            Wording::Structured => structured,
        }
    }
}

/// Which security check a `310000` answer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecurityFailure {
    /// No keyword of the robot's is in the message.
    Keywords,
    /// The signature is missing or wrong.
    Signature,
    /// The signature's timestamp is too far from DingTalk's clock.
    Timestamp,
    /// The sender's IP address is not on the robot's allowlist.
    IpAllowlist,
}

/// Tells which security check a `310000` answer reports, from its `errmsg` in either wording.
///
/// Returns `None` for a wording this crate does not know.
///
/// ```
/// # mod dingtalk_bot { pub use dingtalk_spec as spec; }
/// use dingtalk_bot::spec::{SecurityFailure, classify_security};
///
/// assert_eq!(classify_security("sign not match"), Some(SecurityFailure::Signature));
/// assert_eq!(
///     classify_security("description:机器人发送签名过期;solution:请确认时间戳在当前时间一小时之内;"),
///     Some(SecurityFailure::Timestamp),
/// );
/// ```
pub fn classify_security(errmsg: &str) -> Option<SecurityFailure> {
    // Only the `description` part says what failed: a `solution` may name other things (the
    // signature's advice mentions the timestamp).
    let description = errmsg.split(";solution").next().unwrap_or(errmsg);
    let lower = description.to_ascii_lowercase();
    if lower.contains("keyword") || description.contains("关键词") {
        Some(SecurityFailure::Keywords)
    } else if lower.contains("timestamp") || description.contains("签名过期") {
        Some(SecurityFailure::Timestamp)
    } else if lower.contains("sign") || description.contains("签名") {
        Some(SecurityFailure::Signature)
    } else if lower.contains("whitelist") || description.contains("白名单") {
        Some(SecurityFailure::IpAllowlist)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_failures_are_told_apart_in_both_wordings() {
        use SecurityFailure::*;
        let cases = [
            (KEYWORDS_NOT_IN_CONTENT, Keywords),
            (KEYWORDS_NOT_IN_CONTENT_ZH, Keywords),
            (SIGN_NOT_MATCH, Signature),
            (SIGN_NOT_MATCH_ZH, Signature),
            (INVALID_TIMESTAMP, Timestamp),
            (INVALID_TIMESTAMP_ZH, Timestamp),
            ("ip 1.2.3.4 not in whitelist", IpAllowlist),
            ("description:ip地址不在白名单;", IpAllowlist),
            (
                "description:签名校验失败;solution:请确认时间戳和签名;",
                Signature,
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(classify_security(msg), Some(want), "{msg}");
        }
        assert_eq!(classify_security("something new"), None);
    }
}
