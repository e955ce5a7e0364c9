//! The sandbox's app-robot OpenAPI, spoken to over HTTP with reqwest: the access token, the two
//! send endpoints, every refusal DingTalk gives, and the record of what was sent.

use std::time::Duration;

use dingtalk_core::spec::openapi::{
    ACCESS_TOKEN_HEADER as TOKEN_HEADER, ACCESS_TOKEN_PATH as TOKEN_PATH, BATCH_SEND_PATH,
    GROUP_SEND_PATH,
};
use dingtalk_sandbox::{Fault, Sandbox};
use serde_json::{Value, json};

const KEY: &str = "dingappkey";
const SECRET: &str = "app-secret";
const ROBOT: &str = "dingrobotcode";
const GROUP: &str = "cidGroup==";

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .app(KEY, SECRET, ROBOT)
        .user("alice")
        .user("bob")
        .group(GROUP)
        .start()
        .await
        .unwrap()
}

async fn post(
    sandbox: &Sandbox,
    path: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.header(TOKEN_HEADER, token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

async fn token(sandbox: &Sandbox) -> String {
    let body = json!({"appKey": KEY, "appSecret": SECRET}).to_string();
    let (status, answer) = post(sandbox, TOKEN_PATH, None, body).await;
    assert_eq!(status, 200, "{answer}");
    answer["accessToken"].as_str().unwrap().to_owned()
}

/// Asserts DingTalk's error shape: the status, `code`, a `requestid` and a `message`.
fn assert_refused((status, answer): (u16, Value), want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{answer}");
    assert_eq!(answer["code"], code, "{answer}");
    assert!(
        answer["requestid"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn text(content: &str) -> String {
    json!({"content": content}).to_string()
}

fn oto(users: &[&str], msg_key: &str, msg_param: &str) -> String {
    json!({"robotCode": ROBOT, "userIds": users, "msgKey": msg_key, "msgParam": msg_param})
        .to_string()
}

fn group(group: &str, msg_key: &str, msg_param: &str) -> String {
    json!({"robotCode": ROBOT, "openConversationId": group, "msgKey": msg_key, "msgParam": msg_param})
        .to_string()
}

#[tokio::test]
async fn token_is_issued_kept_and_expires() {
    let sandbox = Sandbox::builder()
        .app(KEY, SECRET, ROBOT)
        .token_lifetime(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let body = json!({"appKey": KEY, "appSecret": SECRET}).to_string();
    let (status, first) = post(&sandbox, TOKEN_PATH, None, body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(first["expireIn"], 1);
    let token = first["accessToken"].as_str().unwrap().to_owned();
    // The same token while it is valid.
    let (_, again) = post(&sandbox, TOKEN_PATH, None, body.clone()).await;
    assert_eq!(again["accessToken"], token.as_str());
    let send = oto(&["alice"], "sampleText", &text("hi"));
    assert_eq!(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send.clone())
            .await
            .0,
        200
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_refused(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send.clone()).await,
        400,
        "InvalidAuthentication",
    );
    let fresh = self::token(&sandbox).await;
    assert_ne!(fresh, token);
    assert_eq!(
        post(&sandbox, BATCH_SEND_PATH, Some(&fresh), send).await.0,
        200
    );
}

#[tokio::test]
async fn token_refusals() {
    let sandbox = sandbox().await;
    let (status, answer) = post(
        &sandbox,
        TOKEN_PATH,
        None,
        json!({"appKey": KEY, "appSecret": "wrong"}).to_string(),
    )
    .await;
    assert_refused((status, answer.clone()), 400, "invalidClientIdOrSecret");
    assert_eq!(answer["message"], "无效的clientId或者clientSecret");
    assert_refused(
        post(
            &sandbox,
            TOKEN_PATH,
            None,
            json!({"appKey": "other", "appSecret": SECRET}).to_string(),
        )
        .await,
        400,
        "invalidClientIdOrSecret",
    );
    assert_refused(
        post(&sandbox, TOKEN_PATH, None, "appKey=x").await,
        400,
        "MissingBody",
    );
}

#[tokio::test]
async fn send_token_refusals() {
    let sandbox = sandbox().await;
    for path in [BATCH_SEND_PATH, GROUP_SEND_PATH] {
        let body = oto(&["alice"], "sampleText", &text("hi"));
        let (status, answer) = post(&sandbox, path, None, body.clone()).await;
        assert_refused(
            (status, answer.clone()),
            400,
            "AuthenticationFailed.MissingParameter",
        );
        assert_eq!(answer["message"], "缺少参数：x-acs-dingtalk-access-token");
        let (status, answer) = post(&sandbox, path, Some("nope"), body).await;
        assert_refused((status, answer.clone()), 400, "InvalidAuthentication");
        assert_eq!(answer["message"], "不合法的access_token");
    }
    assert!(sandbox.app_messages().is_empty());
}

#[tokio::test]
async fn batch_send_request_refusals() {
    let sandbox = Sandbox::builder()
        .app(KEY, SECRET, ROBOT)
        .app("otherkey", "othersecret", "otherrobot")
        .start()
        .await
        .unwrap();
    let token = token(&sandbox).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"userIds": ["a"], "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.robotCode.empty",
        ),
        (
            json!({"robotCode": "otherrobot", "userIds": ["a"], "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.robotCode.auth",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgParam": text("x")}),
            "invalidParameter.msgKey.empty",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgKey": "sampleActionCard1", "msgParam": text("x")}),
            "invalidParameter.msgKey.invalid",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgKey": "sampleText", "msgParam": {"content": "x"}}),
            "invalidParameter.msgParam.invalid",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgKey": "sampleText", "msgParam": "{not json"}),
            "invalidParameter.msgParam.invalid",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgKey": "sampleMarkdown", "msgParam": text("x")}),
            "invalidParameter.msgParam.invalid",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": ["a"], "msgKey": "sampleText", "msgParam": text(&"x".repeat(15_001))}),
            "invalidParameter.msgParam.tooLong",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": [], "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.userIds.empty",
        ),
        (
            json!({"robotCode": ROBOT, "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.userIds.empty",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": vec!["u"; 21], "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.userIds.overMax",
        ),
        (
            json!({"robotCode": ROBOT, "userIds": "alice", "msgKey": "sampleText", "msgParam": text("x")}),
            "invalidParameter.param.invalid",
        ),
    ];
    for (body, code) in cases {
        let answer = post(&sandbox, BATCH_SEND_PATH, Some(&token), body.to_string()).await;
        assert_refused(answer, 400, code);
    }
    assert_refused(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), "x").await,
        400,
        "MissingBody",
    );
    // Twenty users is the limit, not past it.
    let twenty = oto(&["u"; 20], "sampleText", &text("x"));
    assert_eq!(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), twenty)
            .await
            .0,
        200
    );
    assert_eq!(sandbox.app_messages().len(), 1);
}

#[tokio::test]
async fn batch_send_answers_invalid_and_flow_controlled_users() {
    let sandbox = Sandbox::builder()
        .app(KEY, SECRET, ROBOT)
        .user("alice")
        .user("bob")
        .user_flow_control(1, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let token = token(&sandbox).await;
    let markdown = json!({"title": "Deploy", "text": "**done**"}).to_string();
    let (status, answer) = post(
        &sandbox,
        BATCH_SEND_PATH,
        Some(&token),
        oto(&["alice", "mallory"], "sampleMarkdown", &markdown),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let key = answer["processQueryKey"].as_str().unwrap();
    assert_eq!(key.len(), 44);
    assert_eq!(answer["invalidStaffIdList"], json!(["mallory"]));
    assert_eq!(answer["flowControlledStaffIdList"], json!([]));
    assert_eq!(answer["filteredStaffIdList"], json!([]));

    let (_, answer) = post(
        &sandbox,
        BATCH_SEND_PATH,
        Some(&token),
        oto(&["alice", "bob"], "sampleText", &text("again")),
    )
    .await;
    assert_eq!(answer["flowControlledStaffIdList"], json!(["alice"]));
    assert_eq!(answer["invalidStaffIdList"], json!([]));

    let messages = sandbox.app_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].path(), BATCH_SEND_PATH);
    assert_eq!(messages[0].robot_code(), ROBOT);
    assert_eq!(messages[0].recipients(), ["alice"]);
    assert_eq!(messages[0].invalid_user_ids(), ["mallory"]);
    assert_eq!(messages[0].msg_key(), "sampleMarkdown");
    assert_eq!(messages[0].msg_param(), markdown);
    assert_eq!(messages[0].msg_param_json()["title"], "Deploy");
    assert_eq!(messages[0].process_query_key(), key);
    assert_eq!(messages[1].recipients(), ["bob"]);
    assert_eq!(messages[1].flow_controlled_user_ids(), ["alice"]);
}

#[tokio::test]
async fn group_send() {
    let sandbox = sandbox().await;
    let token = token(&sandbox).await;
    let (status, answer) = post(
        &sandbox,
        GROUP_SEND_PATH,
        Some(&token),
        group(GROUP, "sampleText", &text("今天吃肘子")),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
    assert_eq!(answer["processQueryKey"].as_str().unwrap().len(), 44);

    assert_refused(
        post(
            &sandbox,
            GROUP_SEND_PATH,
            Some(&token),
            group("cidOther==", "sampleText", &text("x")),
        )
        .await,
        400,
        "invalid.openConversationId",
    );
    assert_refused(
        post(
            &sandbox,
            GROUP_SEND_PATH,
            Some(&token),
            group(GROUP, "sampleImage", &text("x")),
        )
        .await,
        400,
        "invalidParameter.msgKey.invalid",
    );
    let messages = sandbox.app_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].path(), GROUP_SEND_PATH);
    assert_eq!(messages[0].open_conversation_id(), Some(GROUP));
    assert!(messages[0].recipients().is_empty());
    assert_eq!(messages[0].msg_param_json()["content"], "今天吃肘子");
}

#[tokio::test]
async fn qps_limit_is_per_app_and_endpoint() {
    let sandbox = Sandbox::builder()
        .app(KEY, SECRET, ROBOT)
        .app_rate_limit(2, Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let token = token(&sandbox).await;
    let send = oto(&["alice"], "sampleText", &text("x"));
    for _ in 0..2 {
        assert_eq!(
            post(&sandbox, BATCH_SEND_PATH, Some(&token), send.clone())
                .await
                .0,
            200
        );
    }
    assert_refused(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send.clone()).await,
        403,
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
    );
    // Another endpoint has its own count.
    let to_group = group(GROUP, "sampleText", &text("x"));
    assert_eq!(
        post(&sandbox, GROUP_SEND_PATH, Some(&token), to_group)
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send).await.0,
        200
    );
}

#[tokio::test]
async fn records_are_listed_and_cleared_over_http() {
    let sandbox = sandbox().await;
    let token = token(&sandbox).await;
    post(
        &sandbox,
        BATCH_SEND_PATH,
        Some(&token),
        oto(&["bob"], "sampleText", &text("one")),
    )
    .await;
    post(
        &sandbox,
        GROUP_SEND_PATH,
        Some(&token),
        group(GROUP, "sampleText", &text("two")),
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/_sandbox/messages", sandbox.base_url());
    let listed: Value =
        serde_json::from_str(&client.get(&url).send().await.unwrap().text().await.unwrap())
            .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["api"], BATCH_SEND_PATH);
    assert_eq!(listed[0]["userIds"], json!(["bob"]));
    assert_eq!(listed[0]["msgKey"], "sampleText");
    assert_eq!(listed[0]["msgParam"], text("one"));
    assert_eq!(listed[1]["api"], GROUP_SEND_PATH);
    assert_eq!(listed[1]["openConversationId"], GROUP);
    assert_eq!(
        listed[1]["processQueryKey"],
        sandbox.app_messages()[1].process_query_key()
    );

    client.delete(&url).send().await.unwrap();
    assert!(sandbox.app_messages().is_empty());
    // The exchanges tell of OpenAPI refusals with their code.
    post(&sandbox, GROUP_SEND_PATH, None, "{}").await;
    let last = sandbox.exchanges().pop().unwrap();
    assert_eq!(
        last.code.as_deref(),
        Some("AuthenticationFailed.MissingParameter")
    );
    assert_eq!(last.status, Some(400));
}

#[tokio::test]
async fn faults_are_played_on_openapi_requests_only() {
    let sandbox = sandbox().await;
    sandbox.fail_next_app(1, Fault::refuse(500, "unknownError", "未知错误"));
    let body = json!({"appKey": KEY, "appSecret": SECRET}).to_string();
    assert_refused(
        post(&sandbox, TOKEN_PATH, None, body).await,
        500,
        "unknownError",
    );
    let token = token(&sandbox).await;

    sandbox.fail_next_app(1, Fault::Status(503));
    sandbox.fail_next_app(1, Fault::refuse(500, "systemError", "系统错误"));
    let send = oto(&["alice"], "sampleText", &text("x"));
    let response = reqwest::Client::new()
        .post(format!("{}{BATCH_SEND_PATH}", sandbox.base_url()))
        .header(TOKEN_HEADER, &token)
        .body(send.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_refused(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send.clone()).await,
        500,
        "systemError",
    );
    assert!(sandbox.app_messages().is_empty());
    assert_eq!(
        sandbox.exchanges().last().unwrap().fault,
        Some(Fault::refuse(500, "systemError", "系统错误"))
    );

    // The webhook's faults are its own: a robot message is not failed by them, nor the
    // OpenAPI by the webhook's.
    sandbox.fail_next(1, Fault::Status(500));
    assert_eq!(
        post(&sandbox, BATCH_SEND_PATH, Some(&token), send).await.0,
        200
    );
    assert_eq!(sandbox.app_messages().len(), 1);
}
