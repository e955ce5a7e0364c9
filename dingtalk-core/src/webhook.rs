//! The webhook address of a robot, checked once and never shown with its access_token.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::Error;

/// A robot's webhook: `https://oapi.dingtalk.com/robot/send?access_token=…`.
///
/// Its `Debug` and `Display` show the address with the access_token replaced by `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    url: Url,
}

impl Webhook {
    /// Checks and parses a webhook address.
    ///
    /// It must be `https`, except for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`: the
    /// sandbox), must hold a non-empty `access_token`, and must not hold a `timestamp` or `sign`
    /// already (give the secret instead; every request is signed afresh).
    pub fn parse(webhook: &str) -> Result<Webhook, Error> {
        let url = Url::parse(webhook.trim())
            .map_err(|e| Error::invalid_config(format!("the webhook is not a valid URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::invalid_config(
                    "the webhook must use https (plain http is allowed only for loopback hosts)",
                ));
            }
            other => {
                return Err(Error::invalid_config(format!(
                    "the webhook must be an https URL, not `{other}:`"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid_config(
                "the webhook must not hold a user name or password",
            ));
        }
        let mut token = None;
        for (name, value) in url.query_pairs() {
            match &*name {
                "access_token" if token.is_some() => {
                    return Err(Error::invalid_config(
                        "the webhook holds `access_token` twice",
                    ));
                }
                "access_token" => token = Some(!value.trim().is_empty()),
                "timestamp" | "sign" => {
                    return Err(Error::invalid_config(format!(
                        "the webhook already holds a `{name}`: give the robot's secret instead, \
                         and every request is signed afresh"
                    )));
                }
                _ => {}
            }
        }
        match token {
            Some(true) => Ok(Webhook { url }),
            Some(false) => Err(Error::invalid_config("the webhook's access_token is empty")),
            None => Err(Error::invalid_config(
                "the webhook has no access_token (copy the whole URL from the robot's settings)",
            )),
        }
    }

    /// The full address, access_token included. Keep it out of logs.
    pub fn expose(&self) -> &Url {
        &self.url
    }

    /// Whether the host is a loopback address: the sandbox, or a test.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }

    /// The access_token. Keep it out of logs.
    pub(crate) fn token(&self) -> String {
        self.url
            .query_pairs()
            .find(|(name, _)| name == "access_token")
            .map(|(_, token)| token.into_owned())
            .unwrap_or_default()
    }

    /// The host, for labels in logs.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl fmt::Display for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "access_token" {
                    "<redacted>".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
        // `<` and `>` would be percent-encoded in a real query; shown as they are, they read
        // as what they are.
        f.write_str(&shown.as_str().replace("%3Credacted%3E", "<redacted>"))
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Webhook({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn accepts_dingtalk_and_loopback_webhooks() {
        for ok in [
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "https://oapi.dingtalk.io/robot/send?access_token=abc&x=1",
            "http://127.0.0.1:8080/robot/send?access_token=abc",
            "http://localhost/robot/send?access_token=abc",
            "http://[::1]:9/robot/send?access_token=abc",
        ] {
            assert!(Webhook::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_webhooks_with_a_reason() {
        for (bad, reason) in [
            ("not a url", "not a valid URL"),
            (
                "http://oapi.dingtalk.com/robot/send?access_token=abc",
                "https",
            ),
            ("ftp://127.0.0.1/robot/send?access_token=abc", "`ftp:`"),
            ("https://oapi.dingtalk.com/robot/send", "no access_token"),
            (
                "https://oapi.dingtalk.com/robot/send?access_token=",
                "empty",
            ),
            (
                "https://oapi.dingtalk.com/robot/send?access_token=a&access_token=b",
                "twice",
            ),
            (
                "https://oapi.dingtalk.com/robot/send?access_token=abc&sign=x",
                "`sign`",
            ),
            (
                "https://u:p@oapi.dingtalk.com/robot/send?access_token=abc",
                "password",
            ),
        ] {
            let e = Webhook::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.to_string().contains(reason), "{bad}: {e}");
            assert!(!e.to_string().contains("abc"), "{e}");
        }
    }

    #[test]
    fn never_shows_the_token() {
        let hook =
            Webhook::parse("https://oapi.dingtalk.com/robot/send?access_token=s3cr3t&x=1").unwrap();
        assert_eq!(
            hook.to_string(),
            "https://oapi.dingtalk.com/robot/send?access_token=<redacted>&x=1"
        );
        assert!(!format!("{hook:?}").contains("s3cr3t"));
        assert_eq!(hook.host(), "oapi.dingtalk.com");
    }
}
