//! The robot OpenAPI of app robots: its endpoints, its message keys (`msgKey`) with their
//! parameters (`msgParam`), its limits, and the rules a message must meet before it is sent.
//!
//! An app robot (a robot of an internal DingTalk app) does not post to a webhook: it calls
//! `api.dingtalk.com` with an access token, to users one to one ([`BATCH_SEND_PATH`]) or to a
//! group ([`GROUP_SEND_PATH`]). The message is a `msgKey` naming its template and a `msgParam`,
//! a JSON object sent **as a string**:
//!
//! ```text
//! {"robotCode":"dingxxxxxx","userIds":["manager1234"],"msgKey":"sampleMarkdown","msgParam":"{\"title\":\"hello title\",\"text\":\"hello text\"}"}
//! ```
//!
//! The facts come from the project's specification of app robots
//! (`shared/dingtalk-app-robots.md` §7). Where it leaves a fact open, the choice made is marked
//! **Chosen:** with its reason.
//!
//! ```
//! # mod dingtalk_bot { pub use dingtalk_spec as spec; }
//! use dingtalk_bot::spec::openapi::{self, MsgKey, Refusal};
//!
//! assert_eq!(openapi::action_card_key(3, false), Ok(MsgKey::SampleActionCard3));
//! assert_eq!(openapi::action_card_key(2, true), Ok(MsgKey::SampleActionCard6));
//! assert_eq!(openapi::action_card_key(6, false), Err(Refusal::TooManyButtons { count: 6 }));
//! assert_eq!(MsgKey::SampleActionCard6.params(), ["title", "text", "buttonTitle1", "buttonUrl1", "buttonTitle2", "buttonUrl2"]);
//! ```

use std::fmt;

use crate::MsgType;

/// The OpenAPI's host in China.
pub const HOST: &str = "https://api.dingtalk.com";

/// The OpenAPI's host outside China.
pub const HOST_INTERNATIONAL: &str = "https://api.dingtalk.io";

/// `POST`: an access token for an app's `appKey` and `appSecret` (`{"appKey","appSecret"}` →
/// `{"accessToken","expireIn"}`).
pub const ACCESS_TOKEN_PATH: &str = "/v1.0/oauth2/accessToken";

/// The header every other OpenAPI call carries its access token in. Neither a query parameter
/// nor `Authorization: Bearer` is accepted.
pub const ACCESS_TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// `POST`: sends a message to users one to one (`{"robotCode","userIds","msgKey","msgParam"}`).
/// Note the case: `oToMessages` here, `otoMessages` in the recall path.
pub const BATCH_SEND_PATH: &str = "/v1.0/robot/oToMessages/batchSend";

/// `POST`: sends a message to a group (`{"robotCode","openConversationId","msgKey","msgParam"}`,
/// the group's id being the `conversationId` of a message received from it).
pub const GROUP_SEND_PATH: &str = "/v1.0/robot/groupMessages/send";

/// The most bytes of `msgParam` (the JSON text, UTF-8) DingTalk accepts.
///
/// **Chosen:** the limit is documented for [`GROUP_SEND_PATH`] only; it is applied to
/// [`BATCH_SEND_PATH`] too, as the sandbox does, so that a message that fits one fits both.
pub const MAX_MSG_PARAM_BYTES: usize = 15_000;

/// The most users one [`BATCH_SEND_PATH`] call sends to (`userIds`).
///
/// **Chosen:** 20, the documented parameter table's figure; the text of the `overMax` error
/// says 100. The lower figure is never refused.
pub const MAX_BATCH_USERS: usize = 20;

/// The most buttons an action card has: `sampleActionCard5` has five.
pub const MAX_BUTTONS: usize = 5;

/// The most buttons side by side: `sampleActionCard6` has two.
pub const MAX_SIDE_BY_SIDE_BUTTONS: usize = 2;

/// A message template of the OpenAPI (`msgKey`). There is no `sampleActionCard1`: one button
/// is [`SampleActionCard`](MsgKey::SampleActionCard).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MsgKey {
    /// `sampleText`: plain text.
    SampleText,
    /// `sampleMarkdown`: markdown, with a title for the chat list.
    SampleMarkdown,
    /// `sampleImageMsg`: a picture, by address or `mediaId`.
    SampleImageMsg,
    /// `sampleLink`: a link card.
    SampleLink,
    /// `sampleActionCard`: an action card with one button.
    SampleActionCard,
    /// `sampleActionCard2`: an action card with two stacked buttons.
    SampleActionCard2,
    /// `sampleActionCard3`: three stacked buttons.
    SampleActionCard3,
    /// `sampleActionCard4`: four stacked buttons.
    SampleActionCard4,
    /// `sampleActionCard5`: five stacked buttons.
    SampleActionCard5,
    /// `sampleActionCard6`: two buttons side by side.
    SampleActionCard6,
    /// `sampleAudio`: a voice message (`mediaId`, duration in milliseconds as a string).
    SampleAudio,
    /// `sampleFile`: a file (`mediaId`, name, extension).
    SampleFile,
    /// `sampleVideo`: a video, with a cover picture.
    SampleVideo,
}

impl MsgKey {
    /// Every key, in the order of DingTalk's catalogue.
    pub const ALL: [MsgKey; 13] = [
        MsgKey::SampleText,
        MsgKey::SampleMarkdown,
        MsgKey::SampleImageMsg,
        MsgKey::SampleLink,
        MsgKey::SampleActionCard,
        MsgKey::SampleActionCard2,
        MsgKey::SampleActionCard3,
        MsgKey::SampleActionCard4,
        MsgKey::SampleActionCard5,
        MsgKey::SampleActionCard6,
        MsgKey::SampleAudio,
        MsgKey::SampleFile,
        MsgKey::SampleVideo,
    ];

    /// The `msgKey` as DingTalk spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            MsgKey::SampleText => "sampleText",
            MsgKey::SampleMarkdown => "sampleMarkdown",
            MsgKey::SampleImageMsg => "sampleImageMsg",
            MsgKey::SampleLink => "sampleLink",
            MsgKey::SampleActionCard => "sampleActionCard",
            MsgKey::SampleActionCard2 => "sampleActionCard2",
            MsgKey::SampleActionCard3 => "sampleActionCard3",
            MsgKey::SampleActionCard4 => "sampleActionCard4",
            MsgKey::SampleActionCard5 => "sampleActionCard5",
            MsgKey::SampleActionCard6 => "sampleActionCard6",
            MsgKey::SampleAudio => "sampleAudio",
            MsgKey::SampleFile => "sampleFile",
            MsgKey::SampleVideo => "sampleVideo",
        }
    }

    /// The key a `msgKey` names, spelt exactly as DingTalk spells it.
    pub fn from_wire(msg_key: &str) -> Option<MsgKey> {
        MsgKey::ALL.into_iter().find(|k| k.as_str() == msg_key)
    }

    /// The fields of this key's `msgParam`, in the order this crate writes them. Their case
    /// differs from key to key: `photoURL`, `picUrl`/`messageUrl`, `singleURL`, `actionURL1`,
    /// `buttonUrl1`.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            MsgKey::SampleText => &["content"],
            MsgKey::SampleMarkdown => &["title", "text"],
            MsgKey::SampleImageMsg => &["photoURL"],
            MsgKey::SampleLink => &["text", "title", "picUrl", "messageUrl"],
            MsgKey::SampleActionCard => &["title", "text", "singleTitle", "singleURL"],
            MsgKey::SampleActionCard2 => &STACKED[..6],
            MsgKey::SampleActionCard3 => &STACKED[..8],
            MsgKey::SampleActionCard4 => &STACKED[..10],
            MsgKey::SampleActionCard5 => &STACKED,
            MsgKey::SampleActionCard6 => &[
                "title",
                "text",
                "buttonTitle1",
                "buttonUrl1",
                "buttonTitle2",
                "buttonUrl2",
            ],
            MsgKey::SampleAudio => &["mediaId", "duration"],
            MsgKey::SampleFile => &["mediaId", "fileName", "fileType"],
            MsgKey::SampleVideo => &["duration", "videoMediaId", "videoType", "picMediaId"],
        }
    }
}

/// The fields of the stacked action cards, `sampleActionCard2` to `5` taking a prefix.
const STACKED: [&str; 12] = [
    "title",
    "text",
    "actionTitle1",
    "actionURL1",
    "actionTitle2",
    "actionURL2",
    "actionTitle3",
    "actionURL3",
    "actionTitle4",
    "actionURL4",
    "actionTitle5",
    "actionURL5",
];

impl fmt::Display for MsgKey {
    /// As [`as_str`](MsgKey::as_str).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key of an action card with `buttons` buttons, laid out side by side or stacked.
///
/// **Chosen:** side by side exists for two buttons only (`sampleActionCard6`); three to five
/// side-by-side buttons are sent stacked rather than refused, since the layout is a hint and
/// every button still reaches the reader. One button is `sampleActionCard` either way.
pub fn action_card_key(buttons: usize, side_by_side: bool) -> Result<MsgKey, Refusal> {
    Ok(match buttons {
        0 => return Err(Refusal::NoButtons),
        1 => MsgKey::SampleActionCard,
        2 if side_by_side => MsgKey::SampleActionCard6,
        2 => MsgKey::SampleActionCard2,
        3 => MsgKey::SampleActionCard3,
        4 => MsgKey::SampleActionCard4,
        5 => MsgKey::SampleActionCard5,
        count => return Err(Refusal::TooManyButtons { count }),
    })
}

/// Whether a `msgParam` of `bytes` bytes (its JSON text, UTF-8) is within
/// [`MAX_MSG_PARAM_BYTES`].
pub fn check_msg_param(bytes: usize) -> Result<(), Refusal> {
    if bytes > MAX_MSG_PARAM_BYTES {
        return Err(Refusal::MsgParamTooLong { bytes });
    }
    Ok(())
}

/// Whether one [`BATCH_SEND_PATH`] call may go to `count` users: one at least,
/// [`MAX_BATCH_USERS`] at most.
pub fn check_batch_users(count: usize) -> Result<(), Refusal> {
    match count {
        0 => Err(Refusal::NoUsers),
        1..=MAX_BATCH_USERS => Ok(()),
        count => Err(Refusal::TooManyUsers { count }),
    }
}

/// Why a message cannot be sent through the OpenAPI as it is, found before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The OpenAPI has no template for this custom-robot type (a feed card).
    UnsupportedType(MsgType),
    /// The OpenAPI cannot mention anyone ("暂不支持 @"), and the message mentions someone.
    Mentions,
    /// An action card without buttons.
    NoButtons,
    /// An action card with more than [`MAX_BUTTONS`] buttons.
    TooManyButtons {
        /// How many it has.
        count: usize,
    },
    /// A `msgParam` over [`MAX_MSG_PARAM_BYTES`].
    MsgParamTooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// A one-to-one send to nobody.
    NoUsers,
    /// A one-to-one send to more than [`MAX_BATCH_USERS`] users in one call.
    TooManyUsers {
        /// How many it names.
        count: usize,
    },
}

impl fmt::Display for Refusal {
    /// What is wrong, in words: `the action card has 6 buttons, over the OpenAPI's limit of 5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnsupportedType(msgtype) => {
                write!(f, "the robot OpenAPI has no message type like `{msgtype}`")
            }
            Refusal::Mentions => {
                f.write_str("the robot OpenAPI cannot mention anyone, and the message mentions")
            }
            Refusal::NoButtons => f.write_str("the action card has no button"),
            Refusal::TooManyButtons { count } => write!(
                f,
                "the action card has {count} buttons, over the robot OpenAPI's limit of {MAX_BUTTONS}"
            ),
            Refusal::MsgParamTooLong { bytes } => write!(
                f,
                "the message's msgParam is {bytes} bytes, over the robot OpenAPI's limit of {MAX_MSG_PARAM_BYTES} bytes"
            ),
            Refusal::NoUsers => f.write_str("the message is sent to no user"),
            Refusal::TooManyUsers { count } => write!(
                f,
                "the message is sent to {count} users, over the robot OpenAPI's limit of {MAX_BATCH_USERS} a call"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// How long an access token from [`ACCESS_TOKEN_PATH`] lives: `expireIn` is 7,200 seconds.
///
/// **Chosen:** whether asking again while a token is valid gives the same token, and whether
/// that extends it, is not on record; the sandbox answers the same token, its expiry unchanged,
/// with `expireIn` the whole seconds it has left.
pub const TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7_200);

/// How many calls an app may make to one send endpoint per [`QPS_WINDOW`] before it is
/// refused with [`QPS_LIMIT`].
///
/// **Chosen:** DingTalk publishes no figure for the robot send APIs; DingTalk's own connector
/// assumes about 40 a second (for cards) and keeps to 20. The sandbox allows 20.
pub const QPS_MAX: u32 = 20;

/// The window of [`QPS_MAX`].
pub const QPS_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

/// An OpenAPI refusal as DingTalk answers it: an HTTP status and a JSON body
/// `{"code","requestid","message"}` (clients branch on `code`, not on the status).
///
/// **Chosen:** only [`INVALID_CLIENT`], [`MISSING_TOKEN`] and [`INVALID_TOKEN`] have their
/// `message` on record; the others' messages are worded after DingTalk's English error tables,
/// and [`MISSING_BODY`] is a code of the sandbox's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status: 400 unless stated.
    pub status: u16,
    /// The `code`.
    pub code: &'static str,
    /// The `message`.
    pub message: &'static str,
}

const fn bad_request(code: &'static str, message: &'static str) -> ApiError {
    ApiError {
        status: 400,
        code,
        message,
    }
}

/// [`ACCESS_TOKEN_PATH`] with an unknown `appKey` or a wrong `appSecret`.
pub const INVALID_CLIENT: ApiError =
    bad_request("invalidClientIdOrSecret", "无效的clientId或者clientSecret");
/// A call without the [`ACCESS_TOKEN_HEADER`] (a token in the query or in `Authorization`
/// included).
pub const MISSING_TOKEN: ApiError = bad_request(
    "AuthenticationFailed.MissingParameter",
    "缺少参数：x-acs-dingtalk-access-token",
);
/// An unknown or expired access token: refresh it once and retry.
pub const INVALID_TOKEN: ApiError = bad_request("InvalidAuthentication", "不合法的access_token");
/// A body that is not a JSON object ("body is mandatory" was seen for a form-encoded body).
pub const MISSING_BODY: ApiError = bad_request("MissingBody", "body is mandatory");
/// A field of the wrong JSON type (`userIds` not an array of strings, say).
pub const PARAM_INVALID: ApiError = bad_request("invalidParameter.param.invalid", "参数不合法");
/// No `robotCode`.
pub const ROBOT_CODE_EMPTY: ApiError =
    bad_request("invalidParameter.robotCode.empty", "robotCode不能为空");
/// A `robotCode` that is not the token's app's robot.
pub const ROBOT_CODE_AUTH: ApiError = bad_request(
    "invalidParameter.robotCode.auth",
    "应用的appkey和机器人的robotCode不匹配",
);
/// No `msgKey`.
pub const MSG_KEY_EMPTY: ApiError = bad_request("invalidParameter.msgKey.empty", "msgKey不能为空");
/// A `msgKey` not among [`MsgKey::ALL`].
pub const MSG_KEY_INVALID: ApiError = bad_request("invalidParameter.msgKey.invalid", "msgKey无效");
/// A `msgParam` that is not a string holding a JSON object.
///
/// **Chosen:** also the answer to a `msgParam` without every field of its
/// [`MsgKey::params`].
pub const MSG_PARAM_INVALID: ApiError = bad_request(
    "invalidParameter.msgParam.invalid",
    "msgParam必须是JSON格式",
);
/// A `msgParam` over [`MAX_MSG_PARAM_BYTES`] (the code is from a third-party list).
pub const MSG_PARAM_TOO_LONG: ApiError =
    bad_request("invalidParameter.msgParam.tooLong", "msgParam超过长度限制");
/// A [`BATCH_SEND_PATH`] call with no `userIds`.
pub const USER_IDS_EMPTY: ApiError =
    bad_request("invalidParameter.userIds.empty", "userIds不能为空");
/// A [`BATCH_SEND_PATH`] call with more than [`MAX_BATCH_USERS`] `userIds`.
pub const USER_IDS_OVER_MAX: ApiError =
    bad_request("invalidParameter.userIds.overMax", "userIds超过最大限制");
/// A [`GROUP_SEND_PATH`] call to a group the robot is not in, or that does not exist.
pub const INVALID_CONVERSATION: ApiError =
    bad_request("invalid.openConversationId", "openConversationId无效");
/// An app over [`QPS_MAX`] on one endpoint: back off and retry.
pub const QPS_LIMIT: ApiError = ApiError {
    status: 403,
    code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    message: "应用调用该接口的频率超过限制",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_thirteen() {
        for key in MsgKey::ALL {
            assert_eq!(MsgKey::from_wire(key.as_str()), Some(key));
        }
        assert_eq!(MsgKey::from_wire("sampleActionCard1"), None);
        assert_eq!(MsgKey::from_wire("SampleText"), None);
    }

    #[test]
    fn stacked_keys_name_every_button() {
        assert_eq!(
            MsgKey::SampleActionCard2.params(),
            [
                "title",
                "text",
                "actionTitle1",
                "actionURL1",
                "actionTitle2",
                "actionURL2"
            ]
        );
        assert_eq!(
            MsgKey::SampleActionCard5.params().len(),
            2 + 2 * MAX_BUTTONS
        );
        assert_eq!(MsgKey::SampleActionCard5.params()[11], "actionURL5");
    }

    #[test]
    fn action_card_keys() {
        let keys: Vec<_> = (1..=5)
            .map(|n| action_card_key(n, false).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                MsgKey::SampleActionCard,
                MsgKey::SampleActionCard2,
                MsgKey::SampleActionCard3,
                MsgKey::SampleActionCard4,
                MsgKey::SampleActionCard5
            ]
        );
        assert_eq!(action_card_key(1, true), Ok(MsgKey::SampleActionCard));
        assert_eq!(action_card_key(2, true), Ok(MsgKey::SampleActionCard6));
        assert_eq!(action_card_key(3, true), Ok(MsgKey::SampleActionCard3));
        assert_eq!(action_card_key(0, false), Err(Refusal::NoButtons));
        assert_eq!(
            action_card_key(6, true),
            Err(Refusal::TooManyButtons { count: 6 })
        );
    }

    #[test]
    fn limits() {
        assert_eq!(check_msg_param(MAX_MSG_PARAM_BYTES), Ok(()));
        assert_eq!(
            check_msg_param(MAX_MSG_PARAM_BYTES + 1),
            Err(Refusal::MsgParamTooLong { bytes: 15_001 })
        );
        assert_eq!(check_batch_users(0), Err(Refusal::NoUsers));
        assert_eq!(check_batch_users(20), Ok(()));
        assert_eq!(
            check_batch_users(21),
            Err(Refusal::TooManyUsers { count: 21 })
        );
        assert_eq!(
            Refusal::TooManyButtons { count: 6 }.to_string(),
            "the action card has 6 buttons, over the robot OpenAPI's limit of 5"
        );
    }
}
