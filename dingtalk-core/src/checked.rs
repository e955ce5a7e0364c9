//! A message that passed the checks made before sending, with the body made for it once; and
//! the `msgUuid` that each delivery appends to that body.
//!
//! A [`Checked`] is made by the one check in `Robot::post` (and for each digest when it is
//! built), carried through the queue, and sent by the worker as its body plus one `msgUuid`
//! field: nothing after the check looks at the message's rules or serializes it again.

use std::fmt;

use crate::error::Error;
use crate::payload::Payload;
use crate::spec;

/// A payload that passed DingTalk's rules that need no network, and its JSON body, less the
/// `msgUuid` delivery appends (whose room the size check counted).
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    payload: Payload,
    body: String,
}

impl Checked {
    /// Serializes `payload` once and checks it in the spec's order ([`Payload::check`]): the
    /// body's size with its `msgUuid`, the required fields, and one of `keywords` (a custom
    /// robot's; none: no keyword check).
    pub fn new(payload: Payload, keywords: &[String]) -> Result<Checked, Error> {
        let body = payload.to_json();
        payload
            .check(keywords, body.len() + spec::MSG_UUID_FIELD_LEN)
            .map_err(|violation| Error::from_violation(&violation, keywords))?;
        Ok(Checked { payload, body })
    }

    /// The message, for failure hooks, notices and digests.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The body, less its `msgUuid`.
    pub fn into_body(self) -> String {
        self.body
    }

    /// The body sent: this body with `msg_uuid` as its last field. Its size is the one checked.
    pub fn with_msg_uuid(&self, msg_uuid: &MsgUuid) -> String {
        let open = self
            .body
            .strip_suffix('}')
            .expect("a body is a JSON object");
        let mut body = String::with_capacity(self.body.len() + spec::MSG_UUID_FIELD_LEN);
        body.push_str(open);
        body.push_str(r#","msgUuid":""#);
        body.push_str(msg_uuid.as_str());
        body.push_str(r#""}"#);
        debug_assert_eq!(body.len(), self.body.len() + spec::MSG_UUID_FIELD_LEN);
        body
    }
}

/// One delivery's `msgUuid`: 128 random bits as exactly [`spec::MSG_UUID_LEN`] lowercase hex
/// digits. Every attempt of a delivery reuses it, so that DingTalk can tell a retry from a new
/// message.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MsgUuid([u8; spec::MSG_UUID_LEN]);

impl MsgUuid {
    /// A fresh one.
    pub fn random() -> MsgUuid {
        MsgUuid::from_bits(fastrand::u128(..))
    }

    fn from_bits(bits: u128) -> MsgUuid {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0; spec::MSG_UUID_LEN];
        for (i, digit) in digits.iter_mut().enumerate() {
            let shift = 4 * (spec::MSG_UUID_LEN - 1 - i);
            *digit = HEX[((bits >> shift) & 0xf) as usize];
        }
        MsgUuid(digits)
    }

    /// The `msgUuid` written as `s`: exactly 32 lowercase hex digits, as [`as_str`] gives.
    ///
    /// [`as_str`]: MsgUuid::as_str
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub fn parse(s: &str) -> Option<MsgUuid> {
        let lowercase_hex = s.len() == spec::MSG_UUID_LEN
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        lowercase_hex
            .then(|| u128::from_str_radix(s, 16).ok())
            .flatten()
            .map(MsgUuid::from_bits)
    }

    /// The `msgUuid` of a digest of the messages `parts`, in order: the same parts give the
    /// same one, so that a digest sent again (by another process that took over a shared
    /// queue) is not posted twice.
    pub fn merged<'a>(parts: impl IntoIterator<Item = &'a MsgUuid>) -> MsgUuid {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part.0);
        }
        let digest = hash.finalize();
        let mut bits = [0; 16];
        bits.copy_from_slice(&digest[..16]);
        MsgUuid::from_bits(u128::from_be_bytes(bits))
    }

    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

impl fmt::Display for MsgUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MsgUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgUuid({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn is_msg_uuid(s: &str) -> bool {
        s.len() == spec::MSG_UUID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    #[test]
    fn a_msg_uuid_is_always_32_lowercase_hex_digits() {
        for bits in [0, 1, 0xf, u128::from(u64::MAX), u128::MAX, 1 << 127] {
            let uuid = MsgUuid::from_bits(bits);
            assert!(is_msg_uuid(uuid.as_str()), "{uuid}");
            assert_eq!(u128::from_str_radix(uuid.as_str(), 16).unwrap(), bits);
        }
        assert_eq!(MsgUuid::from_bits(0).as_str(), "0".repeat(32));
        let many: std::collections::HashSet<MsgUuid> =
            (0..10_000).map(|_| MsgUuid::random()).collect();
        assert_eq!(many.len(), 10_000);
        assert!(many.iter().all(|u| is_msg_uuid(u.as_str())));
    }

    #[test]
    fn a_msg_uuid_reads_back_from_its_digits_and_a_digest_has_one_of_its_parts() {
        let uuid = MsgUuid::random();
        assert_eq!(MsgUuid::parse(uuid.as_str()), Some(uuid));
        for bad in [
            "",
            "0",
            &"A".repeat(32),
            &"g".repeat(32),
            &"0".repeat(33),
            "+0000000000000000000000000000000",
        ] {
            assert_eq!(MsgUuid::parse(bad), None, "{bad}");
        }
        let (a, b) = (MsgUuid::random(), MsgUuid::random());
        let merged = MsgUuid::merged([&a, &b]);
        assert!(is_msg_uuid(merged.as_str()));
        assert_eq!(merged, MsgUuid::merged([&a, &b]));
        assert_ne!(merged, MsgUuid::merged([&b, &a]));
        assert_ne!(merged, MsgUuid::merged([&a]));
    }

    #[test]
    fn the_body_sent_is_the_checked_body_with_its_msg_uuid_last() {
        let checked = Checked::new(Payload::text("deploy done").into(), &[]).unwrap();
        assert_eq!(
            checked.clone().into_body(),
            r#"{"msgtype":"text","text":{"content":"deploy done"}}"#
        );
        let uuid = MsgUuid::from_bits(0xabc);
        assert_eq!(
            checked.with_msg_uuid(&uuid),
            r#"{"msgtype":"text","text":{"content":"deploy done"},"msgUuid":"00000000000000000000000000000abc"}"#
        );
    }

    #[test]
    fn the_check_counts_the_msg_uuid_and_the_keywords() {
        let e = Checked::new(Payload::text("x").into(), &["deploy".to_owned()]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::KeywordMismatch);
        let frame = Payload::from(Payload::text("")).to_json().len() + spec::MSG_UUID_FIELD_LEN;
        let fits = Payload::text("x".repeat(spec::MAX_BODY_BYTES - frame));
        let checked = Checked::new(fits.into(), &[]).unwrap();
        assert_eq!(
            checked.with_msg_uuid(&MsgUuid::random()).len(),
            spec::MAX_BODY_BYTES
        );
        let over = Payload::text("x".repeat(spec::MAX_BODY_BYTES - frame + 1));
        let e = Checked::new(over.into(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PayloadTooLarge);
    }
}
