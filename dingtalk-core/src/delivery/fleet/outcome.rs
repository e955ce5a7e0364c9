//! How a message ended, written by the process that delivered it for the process that sent it:
//! the receipt, or the error with its kind, `errcode`, `errmsg` and message, whether it was
//! sent and how long to wait; either with the `msgUuid` it was sent with.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checked::MsgUuid;
use crate::delivery::Receipt;
use crate::error::{Error, ErrorKind, Sent};

/// A delivery's end as JSON: `{"ok":{…receipt}}` or `{"err":{…error}}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Ok {
        errmsg: String,
        elapsed_us: u64,
        attempts: u32,
        waited_us: u64,
        merged: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg_uuid: Option<String>,
    },
    Err {
        kind: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errcode: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errmsg: Option<String>,
        /// `no`, `maybe` or `yes`; missing (an older writer): `maybe`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        msg_uuid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

fn sent_name(sent: Sent) -> &'static str {
    match sent {
        Sent::No => "no",
        Sent::Yes => "yes",
        _ => "maybe",
    }
}

fn sent_from(name: Option<&str>) -> Sent {
    match name {
        Some("no") => Sent::No,
        Some("yes") => Sent::Yes,
        _ => Sent::Maybe,
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `result` as the JSON another process reads back with [`decode`].
pub(crate) fn encode(result: &Result<Receipt, Error>) -> String {
    let outcome = match result {
        Ok(receipt) => Outcome::Ok {
            errmsg: receipt.errmsg().to_owned(),
            elapsed_us: micros(receipt.elapsed()),
            attempts: receipt.attempts(),
            waited_us: micros(receipt.waited()),
            merged: receipt.merged(),
            msg_uuid: Some(receipt.msg_uuid().to_owned()),
        },
        Err(e) => Outcome::Err {
            kind: e.kind().to_string(),
            message: e.message().to_owned(),
            errcode: e.errcode(),
            errmsg: e.errmsg().map(str::to_owned),
            sent: Some(sent_name(e.was_sent()).to_owned()),
            msg_uuid: e.msg_uuid().map(str::to_owned),
            retry_after_ms: e
                .retry_after()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        },
    };
    serde_json::to_string(&outcome).expect("an outcome always serializes")
}

/// The result [`encode`] wrote: the same receipt, or an error of the same kind, `errcode`,
/// `errmsg`, message, sending and wait (a kind this version does not know reads as
/// [`ErrorKind::Api`]). `queued_as` is the `msgUuid` the message was queued with, for an
/// outcome that names none (written by an older version). `None` for what no process of
/// ours wrote.
pub(crate) fn decode(json: &str, queued_as: &str) -> Option<Result<Receipt, Error>> {
    let msg_uuid = |written: Option<String>| {
        written
            .as_deref()
            .and_then(MsgUuid::parse)
            .or_else(|| MsgUuid::parse(queued_as))
    };
    Some(match serde_json::from_str::<Outcome>(json).ok()? {
        Outcome::Ok {
            errmsg,
            elapsed_us,
            attempts,
            waited_us,
            merged,
            msg_uuid: written,
        } => Ok(Receipt::new(
            errmsg,
            Duration::from_micros(elapsed_us),
            attempts,
            Duration::from_micros(waited_us),
            merged,
            msg_uuid(written)?,
        )),
        Outcome::Err {
            kind,
            message,
            errcode,
            errmsg,
            sent,
            msg_uuid: written,
            retry_after_ms,
        } => {
            let mut e = Error::recorded(
                ErrorKind::from_name(&kind).unwrap_or(ErrorKind::Api),
                message,
                errcode,
                errmsg,
            )
            .with_sent(sent_from(sent.as_deref()));
            if let Some(uuid) = msg_uuid(written) {
                e = e.with_msg_uuid(uuid.as_str());
            }
            if let Some(ms) = retry_after_ms {
                e = e.with_retry_after(Duration::from_millis(ms));
            }
            Err(e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_and_an_error_read_back_as_they_were() {
        let sent_with = MsgUuid::random();
        let queued_as = MsgUuid::random();
        let receipt = Receipt::new(
            "ok".into(),
            Duration::from_micros(1_234),
            2,
            Duration::from_millis(5),
            3,
            sent_with,
        );
        let back = decode(&encode(&Ok(receipt)), queued_as.as_str())
            .unwrap()
            .unwrap();
        assert_eq!(back.msg_uuid(), sent_with.as_str());
        assert_eq!(
            (
                back.errmsg(),
                back.elapsed(),
                back.attempts(),
                back.waited(),
                back.merged()
            ),
            (
                "ok",
                Duration::from_micros(1_234),
                2,
                Duration::from_millis(5),
                3
            )
        );
        for error in [
            Error::from_answer(130_101, "send too fast".into())
                .with_retry_after(Duration::from_secs(600))
                .with_msg_uuid(sent_with.as_str()),
            Error::from_answer(310_000, "keywords not in content".into()),
            Error::queue_full(3),
            Error::server("HTTP 502"),
            Error::expired(None, Sent::No).with_msg_uuid(sent_with.as_str()),
        ] {
            let back = decode(&encode(&Err(error.clone())), queued_as.as_str())
                .unwrap()
                .unwrap_err();
            assert_eq!(back.kind(), error.kind());
            assert_eq!(back.errcode(), error.errcode());
            assert_eq!(back.errmsg(), error.errmsg());
            assert_eq!(back.to_string(), error.to_string());
            assert_eq!(back.was_sent(), error.was_sent());
            assert_eq!(back.retry_after(), error.retry_after());
            let msg_uuid = error.msg_uuid().unwrap_or(queued_as.as_str());
            assert_eq!(back.msg_uuid(), Some(msg_uuid));
        }
        // Written by an older version: its msgUuid is the one queued, and it may have been
        // sent.
        let older = r#"{"err":{"kind":"timeout","message":"m"}}"#;
        let back = decode(older, queued_as.as_str()).unwrap().unwrap_err();
        assert_eq!(back.msg_uuid(), Some(queued_as.as_str()));
        assert_eq!(back.was_sent(), Sent::Maybe);
        let older =
            r#"{"ok":{"errmsg":"ok","elapsed_us":1,"attempts":1,"waited_us":0,"merged":1}}"#;
        let back = decode(older, queued_as.as_str()).unwrap().unwrap();
        assert_eq!(back.msg_uuid(), queued_as.as_str());
        let unknown = r#"{"err":{"kind":"from a newer version","message":"m"}}"#;
        assert_eq!(
            decode(unknown, queued_as.as_str())
                .unwrap()
                .unwrap_err()
                .kind(),
            ErrorKind::Api
        );
        assert!(decode("not ours", queued_as.as_str()).is_none());
    }
}
