//! The sandbox, spoken to with HTTP requests written by hand: no client of ours, and no signing
//! code of ours (signatures are vectors computed once with DingTalk's Python reference).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dingtalk_sandbox::{Fault, Sandbox};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "t0ken";
const SECRET: &str = "SEC0123456789abcdef";
/// `quote_plus(b64encode(hmac(SECRET, f"{TS}\n{SECRET}")))`, from Python.
const TS: i64 = 1_577_836_800_000;
const SIGN_RAW: &str = "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62+Mh1G0=";
const SIGN_ENCODED: &str = "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62%2BMh1G0%3D";

/// One HTTP/1.1 exchange on a fresh connection: returns the status and the body.
async fn raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[&str],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a complete HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

async fn post_json(addr: SocketAddr, query: &str, body: &str) -> Value {
    let (status, answer) = raw(
        addr,
        "POST",
        &format!("/robot/send?{query}"),
        &["Content-Type: application/json; charset=utf-8"],
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "business errors are HTTP 200 too: {answer}");
    serde_json::from_str(&answer).unwrap()
}

fn ok() -> Value {
    json!({"errcode": 0, "errmsg": "ok"})
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A sandbox with a secret whose clock reads [`TS`], so that the Python vector is current.
async fn signed_sandbox() -> Sandbox {
    Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .clock_offset_ms(TS - now_ms())
        .start()
        .await
        .unwrap()
}

fn signed_query(sign: &str) -> String {
    format!("access_token={TOKEN}&timestamp={TS}&sign={sign}")
}

const TEXT: &str = r#"{"msgtype":"text","text":{"content":"部署完成"}}"#;

#[tokio::test]
async fn accepts_a_correctly_signed_message_and_records_it_exactly() {
    let sandbox = signed_sandbox().await;
    let answer = post_json(sandbox.addr(), &signed_query(SIGN_ENCODED), TEXT).await;
    assert_eq!(answer, ok());
    let received = sandbox.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].raw(), TEXT);
    assert_eq!(received[0].payload().msgtype().as_str(), "text");
}

#[tokio::test]
async fn refuses_signs_encoded_twice_or_not_at_all_or_missing() {
    let sandbox = signed_sandbox().await;
    let twice = SIGN_ENCODED.replace('%', "%25");
    let sign_not_match = json!({"errcode": 310000, "errmsg": "sign not match"});
    for query in [
        signed_query(&twice),
        // Unencoded, the `+` reads as a space.
        signed_query(SIGN_RAW),
        format!("access_token={TOKEN}&timestamp={TS}"),
        format!("access_token={TOKEN}&sign={SIGN_ENCODED}"),
        format!(
            "access_token={TOKEN}&timestamp={}&sign={SIGN_ENCODED}",
            TS + 1
        ),
    ] {
        assert_eq!(
            post_json(sandbox.addr(), &query, TEXT).await,
            sign_not_match,
            "{query}"
        );
    }
    assert!(sandbox.received().is_empty());
}

#[tokio::test]
async fn refuses_a_sign_never_encoded_even_when_decoding_would_restore_it() {
    // This vector has `/` and `=` but no `+`: decoded unencoded, it reads back the same.
    const TS2: i64 = 1_600_000_000_001;
    const RAW: &str = "rP7kU9JjbEyR/4s7yzZBbA/FxeL/DLg/t717sbD11AY=";
    const ENCODED: &str = "rP7kU9JjbEyR%2F4s7yzZBbA%2FFxeL%2FDLg%2Ft717sbD11AY%3D";
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .clock_offset_ms(TS2 - now_ms())
        .start()
        .await
        .unwrap();
    let query = |sign: &str| format!("access_token={TOKEN}&timestamp={TS2}&sign={sign}");
    assert_eq!(
        post_json(sandbox.addr(), &query(RAW), TEXT).await,
        json!({"errcode": 310000, "errmsg": "sign not match"})
    );
    assert_eq!(post_json(sandbox.addr(), &query(ENCODED), TEXT).await, ok());
}

#[tokio::test]
async fn refuses_timestamps_outside_the_hour() {
    let two_hours = 2 * 60 * 60 * 1000;
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .clock_offset_ms(TS - now_ms() + two_hours)
        .start()
        .await
        .unwrap();
    let invalid = json!({"errcode": 310000, "errmsg": "invalid timestamp"});
    assert_eq!(
        post_json(sandbox.addr(), &signed_query(SIGN_ENCODED), TEXT).await,
        invalid
    );
    let query = format!("access_token={TOKEN}&timestamp=yesterday&sign={SIGN_ENCODED}");
    assert_eq!(post_json(sandbox.addr(), &query, TEXT).await, invalid);
}

#[tokio::test]
async fn answers_in_the_structured_chinese_wording_when_asked() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .structured_errmsgs(true)
        .start()
        .await
        .unwrap();
    let answer = post_json(sandbox.addr(), &signed_query(SIGN_ENCODED), TEXT).await;
    assert_eq!(answer["errcode"], 310000);
    assert!(
        answer["errmsg"].as_str().unwrap().contains("签名过期"),
        "{answer}"
    );
}

#[tokio::test]
async fn refuses_an_unknown_token() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    let expected = json!({"errcode": 300001, "errmsg": "token is not exist"});
    assert_eq!(
        post_json(sandbox.addr(), "access_token=other", TEXT).await,
        expected
    );
    assert_eq!(post_json(sandbox.addr(), "", TEXT).await, expected);
}

#[tokio::test]
async fn refuses_senders_outside_the_ip_allowlist() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .ip_allowlist(["192.0.2.7".parse::<std::net::IpAddr>().unwrap()])
        .start()
        .await
        .unwrap();
    let answer = post_json(sandbox.addr(), "access_token=t0ken", TEXT).await;
    assert_eq!(
        answer,
        json!({"errcode": 310000, "errmsg": "ip 127.0.0.1 not in whitelist"})
    );
}

#[tokio::test]
async fn the_ip_allowlist_takes_ranges() {
    let allowed = Sandbox::builder()
        .access_token(TOKEN)
        .ip_allowlist(["127.0.0.0/8".parse::<ipnet::IpNet>().unwrap()])
        .start()
        .await
        .unwrap();
    assert_eq!(
        post_json(allowed.addr(), "access_token=t0ken", TEXT).await,
        ok()
    );
    let refused = Sandbox::builder()
        .access_token(TOKEN)
        .ip_allowlist(["192.0.2.0/24".parse::<ipnet::IpNet>().unwrap()])
        .start()
        .await
        .unwrap();
    assert_eq!(
        post_json(refused.addr(), "access_token=t0ken", TEXT).await["errcode"],
        310000
    );
}

#[tokio::test]
async fn a_penalty_without_end_holds_without_panicking() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .rate_limit(1, Duration::from_secs(60))
        .penalty(Duration::MAX)
        .start()
        .await
        .unwrap();
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        ok()
    );
    for _ in 0..2 {
        assert_eq!(
            post_json(sandbox.addr(), "access_token=t0ken", TEXT).await["errcode"],
            130101
        );
    }
}

#[tokio::test]
async fn shows_no_secret_and_gives_a_loopback_webhook_on_every_interface() {
    let builder = Sandbox::builder()
        .access_token(TOKEN)
        .secret(SECRET)
        .addr("0.0.0.0:0".parse().unwrap());
    let shown = format!("{builder:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(SECRET), "{shown}");
    let sandbox = builder.start().await.unwrap();
    assert!(
        sandbox.webhook_url().starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.webhook_url()
    );
}

#[tokio::test]
async fn accepts_every_msgtype_as_the_official_table_writes_it() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    let bodies = [
        r#"{"msgtype":"text","text":{"content":"@150XXXXXXXX hi"},"at":{"atMobiles":["150XXXXXXXX"],"atUserIds":["user123"],"isAtAll":false}}"#,
        r#"{"msgtype":"link","link":{"text":"t","title":"T","picUrl":"","messageUrl":"https://example.com"}}"#,
        r#####"{"msgtype":"markdown","markdown":{"title":"杭州天气","text":"#### 杭州天气\n> 9度"},"at":{"isAtAll":true}}"#####,
        r#"{"msgtype":"actionCard","actionCard":{"title":"T","text":"x","singleTitle":"阅读全文","singleURL":"https://example.com","btnOrientation":"0","hideAvatar":"0"}}"#,
        r#"{"msgtype":"actionCard","actionCard":{"title":"T","text":"x","btns":[{"title":"a","actionURL":"https://a"},{"title":"b","actionURL":"https://b"}],"btnOrientation":1}}"#,
        r#"{"msgtype":"feedCard","feedCard":{"links":[{"title":"a","messageURL":"https://a","picURL":"https://a.png"}]}}"#,
    ];
    for body in bodies {
        assert_eq!(
            post_json(sandbox.addr(), "access_token=t0ken", body).await,
            ok(),
            "{body}"
        );
    }
    let received = sandbox.received();
    assert_eq!(received.len(), bodies.len());
    for (r, body) in received.iter().zip(bodies) {
        assert_eq!(r.raw(), body);
    }
    // A number for btnOrientation is read as real clients mean it.
    let dingtalk_core::Payload::ActionCard(card) = received[4].payload() else {
        panic!("not a card");
    };
    assert_eq!(
        card.button_orientation(),
        dingtalk_core::ButtonOrientation::Horizontal
    );
}

#[tokio::test]
async fn refuses_malformed_messages_with_dingtalks_codes() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    let cases = [
        (
            "not json",
            json!({"errcode": 40035, "errmsg": "缺少参数 json"}),
        ),
        (
            "[1,2]",
            json!({"errcode": 40035, "errmsg": "缺少参数 json"}),
        ),
        (
            r#"{"text":{"content":"x"}}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 msgtype"}),
        ),
        (
            r#"{"msgtype":"image","image":{"picURL":"x"}}"#,
            json!({"errcode": 400105, "errmsg": "不支持的消息类型"}),
        ),
        (
            r#"{"msgtype":"text"}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 text"}),
        ),
        (
            r#"{"msgtype":"text","text":{"content":""}}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 text.content"}),
        ),
        (
            r#"{"msgtype":"link","link":{"title":"t","text":"x"}}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 link.messageUrl"}),
        ),
        (
            r#"{"msgtype":"actionCard","actionCard":{"title":"t","text":"x"}}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 actionCard.btns"}),
        ),
        (
            r#"{"msgtype":"feedCard","feedCard":{"links":[]}}"#,
            json!({"errcode": 40035, "errmsg": "缺少参数 feedCard.links"}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            post_json(sandbox.addr(), "access_token=t0ken", body).await,
            expected,
            "{body}"
        );
    }
    // Not JSON by its header.
    let (status, answer) = raw(
        sandbox.addr(),
        "POST",
        "/robot/send?access_token=t0ken",
        &["Content-Type: text/plain"],
        TEXT.as_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["errcode"],
        43004
    );
    assert!(sandbox.received().is_empty());
}

#[tokio::test]
async fn the_size_limit_is_on_the_bytes_sent() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    let frame = r#"{"msgtype":"text","text":{"content":""}}"#;
    let exactly = |len: usize| {
        // Three-byte characters and one-byte padding to reach `len` bytes exactly.
        let room = len - frame.len();
        let content = format!("{}{}", "告".repeat(room / 3), "x".repeat(room % 3));
        let body = format!(r#"{{"msgtype":"text","text":{{"content":"{content}"}}}}"#);
        assert_eq!(body.len(), len);
        body
    };
    let at_limit = post_json(sandbox.addr(), "access_token=t0ken", &exactly(20_000)).await;
    assert_eq!(at_limit, ok());
    let over = post_json(sandbox.addr(), "access_token=t0ken", &exactly(20_001)).await;
    assert_eq!(
        over,
        json!({"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"})
    );
    // A body far over the limit is refused the same way.
    let huge = post_json(sandbox.addr(), "access_token=t0ken", &exactly(2_000_000)).await;
    assert_eq!(huge["errcode"], 460101);
}

#[tokio::test]
async fn keywords_are_looked_for_in_what_a_reader_sees() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .keywords(["告警", "deploy"])
        .start()
        .await
        .unwrap();
    let refused = json!({"errcode": 310000, "errmsg": "keywords not in content"});
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        refused
    );
    let in_button = r#"{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","singleTitle":"deploy","singleURL":"https://a"}}"#;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", in_button).await,
        ok()
    );
    // A keyword only in a URL is not seen by a reader.
    let in_url =
        r#"{"msgtype":"link","link":{"title":"t","text":"x","messageUrl":"https://deploy"}}"#;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", in_url).await,
        refused
    );
}

/// DingTalk's own limits, lived through on tokio's paused clock: it moves only when the test
/// sleeps, since nothing else here waits on a timer.
#[tokio::test(start_paused = true)]
async fn the_twenty_first_message_in_a_minute_throttles_the_robot_for_ten_minutes() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    for i in 0..20 {
        assert_eq!(
            post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
            ok(),
            "message {i}"
        );
    }
    let throttled =
        json!({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"});
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        throttled
    );
    assert!(sandbox.is_throttled());
    // The minute passes; the throttle holds for its ten.
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        throttled
    );
    tokio::time::sleep(Duration::from_secs(9 * 60 - 2)).await;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        throttled
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        ok()
    );
    assert_eq!(sandbox.received().len(), 21);
}

/// Scaled down, on the real clock: 3 per 2 s, throttled for 500 ms.
#[tokio::test]
async fn limits_scale_down_for_tests() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .rate_limit(3, Duration::from_secs(2))
        .penalty(Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers
            .push(post_json(sandbox.addr(), "access_token=t0ken", TEXT).await["errcode"].clone());
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "4 loopback requests took {:?}: the machine is too slow for this test",
        started.elapsed()
    );
    assert_eq!(answers, [0, 0, 0, 130101]);
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        ok()
    );
}

#[tokio::test]
async fn faults_play_for_the_next_requests_then_stop() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    sandbox.fail_next(2, Fault::Status(503));
    sandbox.fail_next(1, Fault::answer(400102, "机器人已停用"));
    for _ in 0..2 {
        let (status, _) = raw(
            sandbox.addr(),
            "POST",
            "/robot/send?access_token=t0ken",
            &["Content-Type: application/json"],
            TEXT.as_bytes(),
        )
        .await;
        assert_eq!(status, 503);
    }
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        json!({"errcode": 400102, "errmsg": "机器人已停用"})
    );
    assert_eq!(
        post_json(sandbox.addr(), "access_token=t0ken", TEXT).await,
        ok()
    );
    assert_eq!(sandbox.received().len(), 1);

    sandbox.fail_next(1, Fault::Drop);
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let request = format!(
        "POST /robot/send?access_token=t0ken HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{TEXT}",
        TEXT.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert!(answer.is_empty(), "a dropped connection answers nothing");

    let exchanges = sandbox.exchanges();
    assert_eq!(exchanges.len(), 5);
    assert_eq!(exchanges[4].status, None);
    assert_eq!(exchanges[4].fault, Some(Fault::Drop));
}

#[tokio::test]
async fn lists_and_clears_messages_over_http() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    post_json(sandbox.addr(), "access_token=t0ken", TEXT).await;
    let (status, body) = raw(sandbox.addr(), "GET", "/_sandbox/messages", &[], b"").await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        listed,
        json!([{"msgtype": "text", "text": {"content": "部署完成"}}])
    );
    let (status, _) = raw(sandbox.addr(), "DELETE", "/_sandbox/messages", &[], b"").await;
    assert_eq!(status, 200);
    assert!(sandbox.received().is_empty());
    assert_eq!(
        raw(sandbox.addr(), "GET", "/robot/send", &[], b"").await.0,
        405
    );
    assert_eq!(
        raw(sandbox.addr(), "GET", "/nowhere", &[], b"").await.0,
        404
    );
}

#[tokio::test]
async fn remembers_a_bounded_history_oldest_forgotten_first() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .history(2)
        .start()
        .await
        .unwrap();
    let body = |n: u32| {
        format!(r#"{{"msgtype":"text","text":{{"content":"m{n}"}},"msgUuid":"{n:032x}"}}"#)
    };
    for n in 1..=3 {
        assert_eq!(
            post_json(sandbox.addr(), "access_token=t0ken", &body(n)).await,
            ok()
        );
    }
    let contents = |sandbox: &Sandbox| -> Vec<String> {
        sandbox
            .received()
            .iter()
            .map(|r| r.json()["text"]["content"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(contents(&sandbox), ["m2", "m3"]);
    assert_eq!(sandbox.exchanges().len(), 2);
    // The latest msgUuid is still known: acknowledged, not posted again.
    post_json(sandbox.addr(), "access_token=t0ken", &body(3)).await;
    assert_eq!(contents(&sandbox), ["m2", "m3"]);
    assert!(sandbox.exchanges()[1].duplicate);
    // The first was forgotten with the history: posted again.
    post_json(sandbox.addr(), "access_token=t0ken", &body(1)).await;
    assert_eq!(contents(&sandbox), ["m3", "m1"]);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_refused_not_a_panic() {
    let sandbox = Sandbox::builder()
        .access_token(TOKEN)
        .start()
        .await
        .unwrap();
    let (status, answer) = raw(
        sandbox.addr(),
        "POST",
        "/robot/send?access_token=t0ken",
        &["Content-Type: application/json"],
        b"{\"msgtype\":\"text\",\"text\":{\"content\":\"\xff\xfe\"}}",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        json!({"errcode": 40035, "errmsg": "缺少参数 json"})
    );
    assert!(sandbox.received().is_empty());
}
