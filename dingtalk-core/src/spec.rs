//! DingTalk's rules for custom robots, in one place.
//!
//! Every limit, error code and error message that the client checks and that the sandbox
//! enforces is written here once, so that the two cannot drift apart. The facts come from the
//! project's specification of DingTalk's behaviour (`shared/dingtalk-api.md`). Where the public
//! record leaves a fact open, the choice made is marked **Chosen:** with the reason; change it
//! here and both sides follow.

use std::time::Duration;

/// The largest request body DingTalk accepts, in bytes, measured on the exact bytes sent.
pub const MAX_BODY_BYTES: usize = 20_000;

/// How many messages one robot may send per [`RATE_LIMIT_WINDOW`].
pub const RATE_LIMIT_MAX: u32 = 20;

/// The window of [`RATE_LIMIT_MAX`].
pub const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(60);

/// How long a robot that broke the rate limit stays throttled.
pub const THROTTLE_PENALTY: Duration = Duration::from_secs(10 * 60);

/// How far a signature's timestamp may be from DingTalk's clock, either way.
pub const SIGNATURE_WINDOW: Duration = Duration::from_secs(60 * 60);

/// The most keywords one robot can have.
pub const MAX_KEYWORDS: usize = 10;

/// The path of the custom-robot endpoint.
pub const SEND_PATH: &str = "/robot/send";

/// DingTalk's `errcode` values for custom robots.
pub mod errcode {
    /// Delivered.
    pub const OK: i64 = 0;
    /// 系统繁忙: the system is busy; retry with back-off.
    pub const BUSY: i64 = -1;
    /// The security check failed: keywords, signature, timestamp or IP allowlist, told apart by
    /// the `errmsg`.
    pub const SECURITY: i64 = 310_000;
    /// Throttled, in the wording seen in real logs.
    pub const SEND_TOO_FAST: i64 = 130_101;
    /// Throttled, in the wording of the official error table.
    pub const THROTTLED: i64 = 410_100;
    /// `token is not exist`, or `session 不存在` on an expired session webhook.
    pub const TOKEN_NOT_EXIST: i64 = 300_001;
    /// `token is not exist` (also for robots of external groups).
    pub const TOKEN_UNKNOWN: i64 = 300_005;
    /// 群已被解散: the group was dissolved.
    pub const GROUP_DISSOLVED: i64 = 400_013;
    /// 机器人已停用: the robot was disabled.
    pub const ROBOT_DISABLED: i64 = 400_102;
    /// 机器人不存在: the robot does not exist.
    pub const ROBOT_NOT_FOUND: i64 = 400_106;
    /// The message type is not supported. **(uncertain code)**
    pub const UNSUPPORTED_TYPE: i64 = 400_105;
    /// The body is over [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES).
    pub const MESSAGE_TOO_LONG: i64 = 460_101;
    /// The body is too long, in an older form.
    pub const MESSAGE_TOO_LONG_OLD: i64 = 101_002;
    /// `webhook over limit`: a quota. **(uncertain)**
    pub const WEBHOOK_OVER_LIMIT: i64 = 90_030;
    /// Unsafe link, text, image or content. **(uncertain codes)**
    pub const UNSAFE_CONTENT: std::ops::RangeInclusive<i64> = 430_101..=430_104;
    /// A required parameter is missing or the body is not JSON (`缺少参数 json`).
    ///
    /// **Chosen:** DingTalk's open platform answers `40035 缺少参数 …` for a body it cannot read;
    /// the sandbox answers it for every missing or malformed required field too, since the
    /// public record names no other code for that case.
    pub const MISSING_PARAMETER: i64 = 40_035;
    /// The `Content-Type` header is not JSON (`无效的HTTP HEADER Content-Type`).
    ///
    /// **Chosen:** the open platform's general error code for it; the robot endpoint's own
    /// answer is not documented.
    pub const INVALID_CONTENT_TYPE: i64 = 43_004;
}

/// The `errmsg` texts DingTalk answers with, in the classic English form and in the structured
/// Chinese form (`description:…;solution:…;`) used since about 2023.
///
/// The client recognises both (see [`classify_security`]); the sandbox answers the classic form
/// unless asked for the structured one.
pub mod errmsg {
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
}

/// Which security check a `310000` answer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
            (errmsg::KEYWORDS_NOT_IN_CONTENT, Keywords),
            (errmsg::KEYWORDS_NOT_IN_CONTENT_ZH, Keywords),
            (errmsg::SIGN_NOT_MATCH, Signature),
            (errmsg::SIGN_NOT_MATCH_ZH, Signature),
            (errmsg::INVALID_TIMESTAMP, Timestamp),
            (errmsg::INVALID_TIMESTAMP_ZH, Timestamp),
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
