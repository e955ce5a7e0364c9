//! A custom robot's webhook as a destination: keywords checked before sending, every request
//! signed afresh, and DingTalk's `{errcode, errmsg}` answers read into typed errors.

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::checked::Checked;
use crate::error::Error;
use crate::payload::Payload;
use crate::sign::Secret;
use crate::spec;
use crate::transport::destination::{Accepted, Destination};
use crate::webhook::Webhook;

/// A custom robot (自定义机器人): its webhook, its secret if it signs, its keywords if it has
/// some, and the name it goes by in logs.
pub(crate) struct CustomRobot {
    webhook: Webhook,
    secret: Option<Secret>,
    keywords: Vec<String>,
    name: String,
    /// Host, port and access_token: robots built for one webhook share its limit.
    limit_key: String,
}

impl CustomRobot {
    /// The robot at `webhook`; `keywords` are checked as given (deduplicated and bounded by
    /// the builder).
    pub fn new(
        webhook: Webhook,
        secret: Option<Secret>,
        keywords: Vec<String>,
        name: String,
    ) -> CustomRobot {
        let limit_key = format!(
            "{}:{} {}",
            webhook.host(),
            webhook.expose().port_or_known_default().unwrap_or_default(),
            webhook.token()
        );
        CustomRobot {
            webhook,
            secret,
            keywords,
            name,
            limit_key,
        }
    }

    /// The webhook, whose `Display` hides the access_token.
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }

    /// The secret every request is signed with, if any.
    pub fn secret(&self) -> Option<&Secret> {
        self.secret.as_ref()
    }

    /// The keywords every message must hold one of.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }
}

/// DingTalk's answer.
#[derive(Deserialize)]
struct Answer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl Destination for CustomRobot {
    fn name(&self) -> &str {
        &self.name
    }

    fn limit_key(&self) -> &str {
        &self.limit_key
    }

    fn check(&self, payload: Payload) -> Result<Checked, Error> {
        Checked::new(payload, &self.keywords)
    }

    fn request(&self, body: &str) -> impl Future<Output = Result<reqwest::Request, Error>> + Send {
        let url = match &self.secret {
            Some(secret) => secret.sign_url(self.webhook.expose(), unix_millis()),
            None => self.webhook.expose().clone(),
        };
        let mut request = reqwest::Request::new(Method::POST, url);
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        *request.body_mut() = Some(body.to_owned().into());
        std::future::ready(Ok(request))
    }

    /// Any status but 2xx is [`Error::from_status`]; a 2xx answer must be DingTalk's JSON
    /// `{errcode, errmsg}`, and any `errcode` but 0 is [`Error::from_answer`], whatever the
    /// status.
    fn classify(&self, status: StatusCode, body: &[u8]) -> Result<Accepted, Error> {
        if !status.is_success() {
            return Err(Error::from_status(status.as_u16()));
        }
        let answer: Answer = serde_json::from_slice(body).map_err(|e| {
            Error::server(format!(
                "DingTalk's answer is not its JSON `{{errcode, errmsg}}`: {e}"
            ))
        })?;
        match answer.errcode {
            spec::errcode::OK => Ok(Accepted {
                errmsg: answer.errmsg,
            }),
            code => Err(Error::from_answer(code, answer.errmsg)),
        }
    }
}

fn unix_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn robot(secret: Option<&str>) -> CustomRobot {
        CustomRobot::new(
            Webhook::parse("https://oapi.dingtalk.com/robot/send?access_token=t0k").unwrap(),
            secret.map(|s| Secret::new(s).unwrap()),
            vec!["deploy".to_owned()],
            "ops".to_owned(),
        )
    }

    #[tokio::test]
    async fn each_request_is_signed_afresh_and_says_json() {
        let robot = robot(Some("SECtest"));
        let request = robot.request("{}").await.unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            request.headers()[CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        let pairs: Vec<(String, String)> = request
            .url()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(pairs[0], ("access_token".to_owned(), "t0k".to_owned()));
        let ts: i64 = pairs[1].1.parse().unwrap();
        assert!(crate::sign::verify("SECtest", ts, &pairs[2].1));
        assert_eq!(request.body().unwrap().as_bytes(), Some(&b"{}"[..]));
        let unsigned = self::robot(None).request("{}").await.unwrap();
        assert_eq!(unsigned.url().query(), Some("access_token=t0k"));
    }

    #[test]
    fn answers_are_classified_as_dingtalk_means_them() {
        let robot = robot(None);
        let ok = robot
            .classify(StatusCode::OK, br#"{"errcode":0,"errmsg":"ok"}"#)
            .unwrap();
        assert_eq!(ok.errmsg, "ok");
        let cases: [(StatusCode, &[u8], ErrorKind); 5] = [
            (
                StatusCode::OK,
                br#"{"errcode":130101,"errmsg":"send too fast"}"#,
                ErrorKind::RateLimited,
            ),
            (StatusCode::BAD_REQUEST, br#"{"errcode":0}"#, ErrorKind::Api),
            (StatusCode::BAD_GATEWAY, b"", ErrorKind::Server),
            (StatusCode::OK, b"<html>", ErrorKind::Server),
            (
                StatusCode::OK,
                br#"{"errcode":-1,"errmsg":"busy"}"#,
                ErrorKind::Server,
            ),
        ];
        for (status, body, kind) in cases {
            let e = robot.classify(status, body).unwrap_err();
            assert_eq!(e.kind(), kind, "{status} {e}");
        }
    }

    #[test]
    fn the_limit_key_is_the_host_port_and_token_and_the_name_is_not() {
        let robot = robot(None);
        assert_eq!(robot.limit_key(), "oapi.dingtalk.com:443 t0k");
        assert_eq!(robot.name(), "ops");
    }
}
