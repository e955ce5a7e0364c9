//! How a message ended, written by the process that delivered it for the process that sent it:
//! the receipt, or the error with its kind, `errcode`, `errmsg` and message.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::delivery::Receipt;
use crate::error::{Error, ErrorKind};

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
    },
    Err {
        kind: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errcode: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errmsg: Option<String>,
    },
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
        },
        Err(e) => Outcome::Err {
            kind: e.kind().to_string(),
            message: e.message().to_owned(),
            errcode: e.errcode(),
            errmsg: e.errmsg().map(str::to_owned),
        },
    };
    serde_json::to_string(&outcome).expect("an outcome always serializes")
}

/// The result [`encode`] wrote: the same receipt, or an error of the same kind, `errcode`,
/// `errmsg` and message (a kind this version does not know reads as [`ErrorKind::Api`]).
/// `None` for what no process of ours wrote.
pub(crate) fn decode(json: &str) -> Option<Result<Receipt, Error>> {
    Some(match serde_json::from_str::<Outcome>(json).ok()? {
        Outcome::Ok {
            errmsg,
            elapsed_us,
            attempts,
            waited_us,
            merged,
        } => Ok(Receipt::new(
            errmsg,
            Duration::from_micros(elapsed_us),
            attempts,
            Duration::from_micros(waited_us),
            merged,
        )),
        Outcome::Err {
            kind,
            message,
            errcode,
            errmsg,
        } => Err(Error::recorded(
            ErrorKind::from_name(&kind).unwrap_or(ErrorKind::Api),
            message,
            errcode,
            errmsg,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_and_an_error_read_back_as_they_were() {
        let receipt = Receipt::new(
            "ok".into(),
            Duration::from_micros(1_234),
            2,
            Duration::from_millis(5),
            3,
        );
        let back = decode(&encode(&Ok(receipt))).unwrap().unwrap();
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
            Error::from_answer(130_101, "send too fast".into()),
            Error::from_answer(310_000, "keywords not in content".into()),
            Error::queue_full(3),
            Error::server("HTTP 502"),
        ] {
            let back = decode(&encode(&Err(error.clone()))).unwrap().unwrap_err();
            assert_eq!(back.kind(), error.kind());
            assert_eq!(back.errcode(), error.errcode());
            assert_eq!(back.errmsg(), error.errmsg());
            assert_eq!(back.to_string(), error.to_string());
        }
        let unknown = r#"{"err":{"kind":"from a newer version","message":"m"}}"#;
        assert_eq!(decode(unknown).unwrap().unwrap_err().kind(), ErrorKind::Api);
        assert!(decode("not ours").is_none());
    }
}
