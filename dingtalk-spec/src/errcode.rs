//! DingTalk's `errcode` values for custom robots.

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
/// The body is over [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES).
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
