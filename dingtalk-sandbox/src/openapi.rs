//! The app robot's OpenAPI as the sandbox plays it: the access-token endpoint and the two send
//! endpoints (`oToMessages/batchSend`, `groupMessages/send`), their checks in the order below,
//! DingTalk's answers, and the record of the messages sent.
//!
//! The paths, limits, codes and messages are DingTalk's, in `dingtalk_spec::openapi`; the
//! choices below are the sandbox's own.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use dingtalk_core::spec::openapi::{
    ApiError, GROUP_SEND_PATH, INVALID_CLIENT, INVALID_CONVERSATION, INVALID_TOKEN,
    MAX_BATCH_USERS, MAX_MSG_PARAM_BYTES, MISSING_BODY, MISSING_TOKEN, MSG_KEY_EMPTY,
    MSG_KEY_INVALID, MSG_PARAM_INVALID, MSG_PARAM_TOO_LONG, MsgKey, PARAM_INVALID, QPS_LIMIT,
    QPS_MAX, QPS_WINDOW, ROBOT_CODE_AUTH, ROBOT_CODE_EMPTY, TOKEN_LIFETIME, USER_IDS_EMPTY,
    USER_IDS_OVER_MAX,
};
use serde_json::{Value, json};
use tokio::time::Instant;

/// One app: its credentials and its robot.
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) robot_code: String,
}

/// The OpenAPI side of a sandbox's configuration.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) apps: Vec<App>,
    pub(crate) token_lifetime: Duration,
    /// Known userIds. **Chosen:** none given means every userId is known.
    pub(crate) users: HashSet<String>,
    /// Known groups (`openConversationId`s). **Chosen:** none given means every group is
    /// known.
    pub(crate) groups: HashSet<String>,
    pub(crate) qps_max: u32,
    pub(crate) qps_window: Duration,
    /// Per-user flow control: at most this many messages to one user per window.
    /// **Chosen:** off unless set.
    pub(crate) user_flow: Option<(u32, Duration)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            apps: Vec::new(),
            token_lifetime: TOKEN_LIFETIME,
            users: HashSet::new(),
            groups: HashSet::new(),
            qps_max: QPS_MAX,
            qps_window: QPS_WINDOW,
            user_flow: None,
        }
    }
}

/// A message the sandbox accepted through the OpenAPI.
#[derive(Clone, Debug)]
pub struct AppMessage {
    pub(crate) path: &'static str,
    pub(crate) robot_code: String,
    pub(crate) recipients: Vec<String>,
    pub(crate) invalid: Vec<String>,
    pub(crate) flow_controlled: Vec<String>,
    pub(crate) open_conversation_id: Option<String>,
    pub(crate) msg_key: String,
    pub(crate) msg_param: String,
    pub(crate) process_query_key: String,
    pub(crate) at: SystemTime,
}

impl AppMessage {
    /// The endpoint it came through: `/v1.0/robot/oToMessages/batchSend` or
    /// `/v1.0/robot/groupMessages/send`.
    pub fn path(&self) -> &str {
        self.path
    }

    /// The `robotCode` it was sent with.
    pub fn robot_code(&self) -> &str {
        &self.robot_code
    }

    /// The users it reached (`batchSend`): the `userIds` less the unknown and the
    /// flow-controlled. Empty for a group message.
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }

    /// The `userIds` answered in `invalidStaffIdList`.
    pub fn invalid_user_ids(&self) -> &[String] {
        &self.invalid
    }

    /// The `userIds` answered in `flowControlledStaffIdList`.
    pub fn flow_controlled_user_ids(&self) -> &[String] {
        &self.flow_controlled
    }

    /// The group it was sent to (`groupMessages/send`).
    pub fn open_conversation_id(&self) -> Option<&str> {
        self.open_conversation_id.as_deref()
    }

    /// Its `msgKey`.
    pub fn msg_key(&self) -> &str {
        &self.msg_key
    }

    /// Its `msgParam`, the JSON text as sent.
    pub fn msg_param(&self) -> &str {
        &self.msg_param
    }

    /// Its `msgParam`, parsed.
    pub fn msg_param_json(&self) -> Value {
        serde_json::from_str(&self.msg_param).unwrap_or_default()
    }

    /// The `processQueryKey` the sandbox answered.
    pub fn process_query_key(&self) -> &str {
        &self.process_query_key
    }

    /// When it arrived.
    pub fn received_at(&self) -> SystemTime {
        self.at
    }

    /// As listed by `GET /_sandbox/messages`.
    pub fn json(&self) -> Value {
        let mut value = json!({
            "api": self.path,
            "robotCode": self.robot_code,
            "msgKey": self.msg_key,
            "msgParam": self.msg_param,
            "processQueryKey": self.process_query_key,
        });
        match &self.open_conversation_id {
            Some(group) => value["openConversationId"] = json!(group),
            None => {
                value["userIds"] = json!(self.recipients);
                value["invalidStaffIdList"] = json!(self.invalid);
                value["flowControlledStaffIdList"] = json!(self.flow_controlled);
            }
        }
        value
    }
}

/// What the OpenAPI side remembers.
#[derive(Default)]
pub(crate) struct State {
    /// Token → (the app's index, when it expires).
    tokens: HashMap<String, (usize, Instant)>,
    /// (app, path) → the times of its latest calls.
    calls: HashMap<(usize, &'static str), VecDeque<Instant>>,
    /// userId → the times of its latest messages.
    deliveries: HashMap<String, VecDeque<Instant>>,
}

/// Forgets the times before `now - window`; how many remain.
fn recent(times: &mut VecDeque<Instant>, now: Instant, window: Duration) -> usize {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        times.pop_front();
    }
    times.len()
}

/// The answer to `POST /v1.0/oauth2/accessToken`.
///
/// **Chosen:** while a token is valid the same token is answered, its expiry unchanged, with
/// `expireIn` the whole seconds it has left (rounded up).
pub(crate) fn issue_token(
    settings: &Settings,
    state: &mut State,
    body: &[u8],
) -> Result<Value, ApiError> {
    let body: Value = serde_json::from_slice(body).map_err(|_| MISSING_BODY)?;
    if !body.is_object() {
        return Err(MISSING_BODY);
    }
    let key = body.get("appKey").and_then(Value::as_str);
    let secret = body.get("appSecret").and_then(Value::as_str);
    let app = settings
        .apps
        .iter()
        .position(|app| {
            Some(app.client_id.as_str()) == key && Some(app.client_secret.as_str()) == secret
        })
        .ok_or(INVALID_CLIENT)?;
    let now = Instant::now();
    state.tokens.retain(|_, (_, expiry)| *expiry > now);
    let (token, expiry) = match state.tokens.iter().find(|(_, (a, _))| *a == app) {
        Some((token, (_, expiry))) => (token.clone(), *expiry),
        None => {
            let token = random_string(32, ALPHANUMERIC);
            let expiry = now + settings.token_lifetime;
            state.tokens.insert(token.clone(), (app, expiry));
            (token, expiry)
        }
    };
    let left = expiry.saturating_duration_since(now);
    let expire_in = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    Ok(json!({"accessToken": token, "expireIn": expire_in}))
}

/// The answer to a send endpoint, and the message to record.
pub(crate) fn send(
    settings: &Settings,
    state: &mut State,
    path: &'static str,
    token: Option<&str>,
    body: &[u8],
) -> Result<(Value, AppMessage), ApiError> {
    let token = token.ok_or(MISSING_TOKEN)?;
    let now = Instant::now();
    let app = match state.tokens.get(token) {
        Some((app, expiry)) if *expiry > now => *app,
        _ => return Err(INVALID_TOKEN),
    };
    let calls = state.calls.entry((app, path)).or_default();
    if recent(calls, now, settings.qps_window) >= settings.qps_max as usize {
        return Err(QPS_LIMIT);
    }
    calls.push_back(now);

    let body: Value = serde_json::from_slice(body).map_err(|_| MISSING_BODY)?;
    let body = body.as_object().ok_or(MISSING_BODY)?;
    let string = |name: &str| -> Result<&str, ApiError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(""),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(PARAM_INVALID),
        }
    };
    let robot_code = string("robotCode")?;
    if robot_code.is_empty() {
        return Err(ROBOT_CODE_EMPTY);
    }
    if robot_code != settings.apps[app].robot_code {
        return Err(ROBOT_CODE_AUTH);
    }
    let msg_key = string("msgKey")?;
    if msg_key.is_empty() {
        return Err(MSG_KEY_EMPTY);
    }
    let fields = MsgKey::from_wire(msg_key).ok_or(MSG_KEY_INVALID)?.params();
    let msg_param = match body.get("msgParam") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(MSG_PARAM_INVALID),
    };
    let param: Value = serde_json::from_str(msg_param).map_err(|_| MSG_PARAM_INVALID)?;
    let param = param.as_object().ok_or(MSG_PARAM_INVALID)?;
    if fields
        .iter()
        .any(|field| param.get(*field).is_none_or(Value::is_null))
    {
        return Err(MSG_PARAM_INVALID);
    }
    if msg_param.len() > MAX_MSG_PARAM_BYTES {
        return Err(MSG_PARAM_TOO_LONG);
    }

    let process_query_key = process_query_key();
    let mut message = AppMessage {
        path,
        robot_code: robot_code.to_owned(),
        recipients: Vec::new(),
        invalid: Vec::new(),
        flow_controlled: Vec::new(),
        open_conversation_id: None,
        msg_key: msg_key.to_owned(),
        msg_param: msg_param.to_owned(),
        process_query_key: process_query_key.clone(),
        at: SystemTime::now(),
    };
    if path == GROUP_SEND_PATH {
        let group = string("openConversationId")?;
        if group.is_empty() || !(settings.groups.is_empty() || settings.groups.contains(group)) {
            return Err(INVALID_CONVERSATION);
        }
        message.open_conversation_id = Some(group.to_owned());
        return Ok((json!({"processQueryKey": process_query_key}), message));
    }

    let user_ids = match body.get("userIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(str::to_owned).ok_or(PARAM_INVALID))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(PARAM_INVALID),
    };
    if user_ids.is_empty() {
        return Err(USER_IDS_EMPTY);
    }
    if user_ids.len() > MAX_BATCH_USERS {
        return Err(USER_IDS_OVER_MAX);
    }
    for id in user_ids {
        if !(settings.users.is_empty() || settings.users.contains(&id)) {
            message.invalid.push(id);
            continue;
        }
        if let Some((max, window)) = settings.user_flow {
            let times = state.deliveries.entry(id.clone()).or_default();
            if recent(times, now, window) >= max as usize {
                message.flow_controlled.push(id);
                continue;
            }
            times.push_back(now);
        }
        message.recipients.push(id);
    }
    let answer = json!({
        "processQueryKey": process_query_key,
        "invalidStaffIdList": message.invalid,
        "flowControlledStaffIdList": message.flow_controlled,
        "filteredStaffIdList": [],
    });
    Ok((answer, message))
}

const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_string(len: usize, alphabet: &[u8]) -> String {
    (0..len)
        .map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())]))
        .collect()
}

/// 32 random bytes in base64, 44 characters, as DingTalk's look.
fn process_query_key() -> String {
    let mut key = random_string(42, BASE64);
    // The 43rd character holds the last 4 bits, its low 2 bits zero.
    key.push(char::from(BASE64[fastrand::usize(..16) * 4]));
    key.push('=');
    key
}

/// A `requestid` in DingTalk's shape: an uppercase UUID.
pub(crate) fn request_id() -> String {
    let hex = random_string(32, b"0123456789ABCDEF");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
