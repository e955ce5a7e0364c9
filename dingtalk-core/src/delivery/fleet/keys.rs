//! The names of one robot's keys and channels in Redis.
//!
//! Every name starts with `dingtalk:{<hex SHA-256 of the robot's limit key>}:`: the limit key
//! holds the access_token, so only its hash is ever written. The braces make the hash a Redis
//! Cluster hash tag, so that a robot's keys live together and one script may touch them all.

use sha2::{Digest, Sha256};

/// One robot's keys.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    /// The stream of queued messages.
    pub queue: String,
    /// The token of the process that delivers the robot's messages, while it holds it.
    pub lease: String,
    /// The places taken in the rate limit (a sorted set: member, when it comes back).
    pub places: String,
    /// Set while DingTalk throttles the robot; expires with the penalty.
    pub hold: String,
    /// A queued message is published here when the queue was empty: the lease holder wakes.
    pub wake: String,
    /// Published when the holder gives the lease up: the other processes wake and one takes
    /// it. (Not `wake`: those that do not hold the lease need not hear of every message.)
    pub free: String,
    /// Where the outcome of a message is kept for a while, by its `msgUuid`: the prefix.
    outcome: String,
    /// Where the entry a message was queued as is kept for a while, by its `msgUuid`, so
    /// that queueing it again (after an answer was lost) finds it: the prefix.
    queued: String,
}

impl Keys {
    /// The keys of the destination whose limit key is `limit_key`.
    pub fn new(limit_key: &str) -> Keys {
        let hash = Sha256::digest(limit_key.as_bytes());
        let mut prefix = String::with_capacity(hash.len() * 2 + 12);
        prefix.push_str("dingtalk:{");
        for byte in hash {
            prefix.push_str(&format!("{byte:02x}"));
        }
        prefix.push_str("}:");
        let key = |name: &str| format!("{prefix}{name}");
        Keys {
            queue: key("queue"),
            lease: key("lease"),
            places: key("places"),
            hold: key("hold"),
            wake: key("wake"),
            free: key("free"),
            outcome: key("outcome:"),
            queued: key("queued:"),
        }
    }

    /// Where the outcome of the message `msg_uuid` is kept.
    pub fn outcome(&self, msg_uuid: &str) -> String {
        format!("{}{msg_uuid}", self.outcome)
    }

    /// Where the entry the message `msg_uuid` was queued as is kept.
    pub fn queued(&self, msg_uuid: &str) -> String {
        format!("{}{msg_uuid}", self.queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hold_a_hash_of_the_key_never_the_token() {
        let keys = Keys::new("oapi.dingtalk.com:443 s3cr3t-token");
        for name in [
            &keys.queue,
            &keys.lease,
            &keys.places,
            &keys.hold,
            &keys.wake,
            &keys.free,
            &keys.outcome("0123"),
            &keys.queued("0123"),
        ] {
            assert!(!name.contains("s3cr3t"), "{name}");
            assert!(name.starts_with("dingtalk:{"), "{name}");
            let tag = &name["dingtalk:{".len()..name.find('}').unwrap()];
            assert_eq!(tag.len(), 64);
            assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert!(keys.queue.ends_with("}:queue"));
        let other = Keys::new("oapi.dingtalk.com:443 another");
        assert_ne!(keys.queue, other.queue);
        assert_eq!(
            keys.outcome("0123"),
            format!(
                "{}outcome:0123",
                &keys.queue[..keys.queue.len() - "queue".len()]
            )
        );
    }
}
