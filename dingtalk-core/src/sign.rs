//! Signing (加签): the robot secret, the signature, and the signed URL.
//!
//! `sign = base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))`, appended to
//! the webhook as `&timestamp=<ms>&sign=<sign percent-encoded exactly once>`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::Url;

use crate::error::Error;

/// Computes the signature DingTalk expects for `secret` at `timestamp_ms` (Unix time in
/// milliseconds): standard base64 with padding, **not** yet percent-encoded.
///
/// ```
/// # use dingtalk_core as dingtalk_bot;
/// assert_eq!(
///     dingtalk_bot::sign("SECtest", 1_700_000_000_000),
///     "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=",
/// );
/// ```
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    STANDARD.encode(mac(secret, timestamp_ms).finalize().into_bytes())
}

fn mac(secret: &str, timestamp_ms: i64) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(secret.as_bytes());
    mac
}

/// Whether `signature` is the signature of `secret` at `timestamp_ms`, compared in constant
/// time.
pub fn verify(secret: &str, timestamp_ms: i64, signature: &str) -> bool {
    let Ok(given) = STANDARD.decode(signature) else {
        return false;
    };
    mac(secret, timestamp_ms).verify_slice(&given).is_ok()
}

/// A robot's signing secret (the `SEC…` string). Its `Debug` output never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Checks that `secret` looks like a DingTalk robot secret: `SEC` followed by visible ASCII
    /// characters, without spaces.
    pub fn new(secret: impl Into<String>) -> Result<Secret, Error> {
        let secret = secret.into();
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(Error::invalid_config("the secret is empty"));
        }
        if !secret.starts_with("SEC") {
            return Err(Error::invalid_config(
                "the secret must start with `SEC` (copy it from the robot's security settings)",
            ));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_config(
                "the secret holds spaces or characters outside visible ASCII",
            ));
        }
        Ok(Secret(secret.to_owned()))
    }

    /// The secret itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Signs `webhook` for `timestamp_ms`: a copy with `timestamp` and `sign` appended, the sign
    /// percent-encoded exactly once.
    pub fn sign_url(&self, webhook: &Url, timestamp_ms: i64) -> Url {
        let mut url = webhook.clone();
        url.query_pairs_mut()
            .append_pair("timestamp", &timestamp_ms.to_string())
            .append_pair("sign", &sign(&self.0, timestamp_ms));
        url
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed once with the reference algorithm in Python:
    /// `quote_plus(b64encode(hmac.new(secret, f"{ts}\n{secret}", sha256).digest()))`.
    const VECTORS: &[(&str, i64, &str, &str)] = &[
        (
            "SECtest",
            1_700_000_000_000,
            "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=",
            "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D",
        ),
        (
            "SECtest",
            1_734_567_890_123,
            "acmr89ncVYItTenl0eknk8P/q/bQyX+4gp7pEjEq9OE=",
            "acmr89ncVYItTenl0eknk8P%2Fq%2FbQyX%2B4gp7pEjEq9OE%3D",
        ),
        (
            "SEC0123456789abcdef",
            1_577_836_800_000,
            "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62+Mh1G0=",
            "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62%2BMh1G0%3D",
        ),
        (
            "SEC0123456789abcdef",
            1_600_000_000_001,
            "rP7kU9JjbEyR/4s7yzZBbA/FxeL/DLg/t717sbD11AY=",
            "rP7kU9JjbEyR%2F4s7yzZBbA%2FFxeL%2FDLg%2Ft717sbD11AY%3D",
        ),
        (
            "SECd2a9f5c6b1e84e3f9a0c7b6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f",
            1_577_836_800_000,
            "ZKx3breydYT43Fs+/dkXhsKVzNxtVOqsEQlU/geKO5M=",
            "ZKx3breydYT43Fs%2B%2FdkXhsKVzNxtVOqsEQlU%2FgeKO5M%3D",
        ),
    ];

    #[test]
    fn signs_match_the_reference_algorithm() {
        for &(secret, ts, want, _) in VECTORS {
            assert_eq!(sign(secret, ts), want, "{secret} {ts}");
            assert!(verify(secret, ts, want));
            assert!(!verify(secret, ts + 1, want));
        }
    }

    #[test]
    fn the_signed_url_encodes_the_sign_exactly_once() {
        let webhook = Url::parse("https://oapi.dingtalk.com/robot/send?access_token=abc").unwrap();
        for &(secret, ts, raw, encoded) in VECTORS {
            let url = Secret::new(secret).unwrap().sign_url(&webhook, ts);
            let query = url.query().unwrap();
            assert_eq!(
                query,
                format!("access_token=abc&timestamp={ts}&sign={encoded}")
            );
            // Decoding the query once gives back the raw base64 sign.
            let decoded: Vec<_> = url.query_pairs().collect();
            assert_eq!(decoded[2].0, "sign");
            assert_eq!(decoded[2].1, raw);
        }
    }

    #[test]
    fn secrets_are_checked_and_never_shown() {
        assert!(Secret::new("").is_err());
        assert!(Secret::new("abc").is_err());
        assert!(Secret::new("SEC ab").is_err());
        let secret = Secret::new(" SECabc\n").unwrap();
        assert_eq!(secret.expose(), "SECabc");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }
}
