//! The `dingtalk-sandbox` program, as a client in another language would use it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_once("\r\n\r\n").unwrap().1.to_owned()
}

#[test]
fn prints_its_webhook_then_a_line_per_request_and_lists_messages() {
    let child = Command::new(env!("CARGO_BIN_EXE_dingtalk-sandbox"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--token",
            "T",
            "--keyword",
            "deploy",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();

    let webhook = lines.next().unwrap().unwrap();
    let rest = webhook.strip_prefix("http://").expect("an http URL");
    let (addr, target) = rest.split_once('/').unwrap();
    assert_eq!(format!("/{target}"), "/robot/send?access_token=T");

    let body = r#"{"msgtype":"text","text":{"content":"deploy done"}}"#;
    let request = format!(
        "POST /{target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(http(addr, &request), r#"{"errcode":0,"errmsg":"ok"}"#);
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "POST /robot/send 200 errcode=0 ok msgtype=text"
    );

    let listed = http(
        addr,
        &format!("GET /_sandbox/messages HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(listed, format!("[{body}]"));
    assert_eq!(lines.next().unwrap().unwrap(), "GET /_sandbox/messages 200");
}

#[test]
fn enforces_a_secret_and_an_allowlist_given_as_flags() {
    let child = Command::new(env!("CARGO_BIN_EXE_dingtalk-sandbox"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--secret",
            "SECflag",
            "--allow-ip",
            "192.0.2.0/24",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let webhook = lines.next().unwrap().unwrap();
    let (addr, target) = webhook
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let body = r#"{"msgtype":"text","text":{"content":"x"}}"#;
    let request = format!(
        "POST /{target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Loopback is not in 192.0.2.0/24: the allowlist answers before the missing signature.
    assert_eq!(
        http(addr, &request),
        r#"{"errcode":310000,"errmsg":"ip 127.0.0.1 not in whitelist"}"#
    );
}

#[test]
fn plays_the_openapi_for_an_app_given_as_flags() {
    let child = Command::new(env!("CARGO_BIN_EXE_dingtalk-sandbox"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--app-key",
            "K",
            "--app-secret",
            "S",
            "--robot-code",
            "C",
            "--user",
            "alice",
            "--group",
            "cidG",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let webhook = lines.next().unwrap().unwrap();
    let addr = webhook
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap()
        .0
        .to_owned();
    let post = |path: &str, token: Option<&str>, body: &str| {
        let token = token
            .map(|t| format!("x-acs-dingtalk-access-token: {t}\r\n"))
            .unwrap_or_default();
        http(
            &addr,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{token}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };

    let answer = post(
        "/v1.0/oauth2/accessToken",
        None,
        r#"{"appKey":"K","appSecret":"S"}"#,
    );
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["expireIn"], 7200);
    let token = answer["accessToken"].as_str().unwrap();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "POST /v1.0/oauth2/accessToken 200"
    );

    let body = r#"{"robotCode":"C","userIds":["alice","bob"],"msgKey":"sampleText","msgParam":"{\"content\":\"hi\"}"}"#;
    let answer = post("/v1.0/robot/oToMessages/batchSend", Some(token), body);
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["invalidStaffIdList"], serde_json::json!(["bob"]));

    let body = r#"{"robotCode":"C","openConversationId":"cidX","msgKey":"sampleText","msgParam":"{\"content\":\"hi\"}"}"#;
    let answer = post("/v1.0/robot/groupMessages/send", Some(token), body);
    assert!(
        answer.contains(r#""code":"invalid.openConversationId""#),
        "{answer}"
    );
}
