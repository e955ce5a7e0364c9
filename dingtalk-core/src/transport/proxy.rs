//! A proxy set with `RobotBuilder::proxy`: its URL checked when the robot is built, and shown
//! without its credentials.

use std::fmt;

use url::Url;

use crate::error::Error;

/// The schemes reqwest takes for a proxy (SOCKS with its `socks` feature, always enabled).
const SCHEMES: [&str; 6] = ["http", "https", "socks5", "socks5h", "socks4", "socks4a"];

/// A proxy's URL: `http://`, `https://`, `socks5://`, `socks5h://`, `socks4://` or
/// `socks4a://`, with a host, and credentials if it wants them. Neither `Debug` nor
/// `Display` shows the credentials.
#[derive(Clone)]
pub(crate) struct ProxyUrl {
    url: Url,
}

impl ProxyUrl {
    /// Checks `url`. No error repeats any part of it: a string that is not a URL may be
    /// credentials (`user:password@host` reads as a URL whose scheme is `user`).
    pub fn parse(url: &str) -> Result<ProxyUrl, Error> {
        let url = Url::parse(url.trim())
            .map_err(|e| Error::invalid_config(format!("the proxy is not a valid URL: {e}")))?;
        if !SCHEMES.contains(&url.scheme()) {
            return Err(Error::invalid_config(
                "the proxy URL must start with http://, https://, socks5://, socks5h://, \
                 socks4:// or socks4a://",
            ));
        }
        if url.host().is_none() {
            return Err(Error::invalid_config("the proxy URL has no host"));
        }
        Ok(ProxyUrl { url })
    }

    /// `url` as `Display` shows it once parsed, for a builder's `Debug`: `<malformed>` if it
    /// does not parse.
    pub fn shown(url: &str) -> String {
        ProxyUrl::parse(url).map_or_else(|_| "<malformed>".to_owned(), |p| p.to_string())
    }

    /// Whether the proxy itself is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The proxy for reqwest, which takes every request (whatever the environment says).
    pub fn to_reqwest(&self) -> Result<reqwest::Proxy, Error> {
        // Its error holds no URL, but says nothing a user could act on either.
        reqwest::Proxy::all(self.url.as_str())
            .map_err(|_| Error::invalid_config(format!("the proxy {self} cannot be used")))
    }
}

/// `scheme://host:port`, with `***@` where the URL has credentials.
impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        write!(f, "{}://", url.scheme())?;
        if !url.username().is_empty() || url.password().is_some() {
            f.write_str("***@")?;
        }
        // A host, checked by `parse`; IPv6 addresses in brackets.
        write!(f, "{}", url.host().expect("checked by parse"))?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn credentials_are_never_shown() {
        for (url, shown) in [
            ("http://proxy.internal:3128", "http://proxy.internal:3128"),
            (
                "http://ops:hunter2@proxy.internal:3128/",
                "http://***@proxy.internal:3128",
            ),
            (
                "https://:hunter2@proxy.internal",
                "https://***@proxy.internal",
            ),
            ("socks5h://hunter2@[::1]:1080", "socks5h://***@[::1]:1080"),
            (" socks5://10.0.0.1 ", "socks5://10.0.0.1"),
        ] {
            let proxy = ProxyUrl::parse(url).unwrap();
            assert_eq!(proxy.to_string(), shown);
            assert_eq!(format!("{proxy:?}"), format!("\"{shown}\""));
            proxy.to_reqwest().unwrap();
            assert_eq!(ProxyUrl::shown(url), shown);
        }
    }

    #[test]
    fn a_malformed_proxy_is_refused_without_repeating_it() {
        for url in [
            "ops:hunter2@proxy.internal:3128",
            "hunter2",
            "ftp://ops:hunter2@proxy.internal",
            "http://ops:hunter2@",
            "http://ops:hunter2@proxy internal:3128",
            "",
        ] {
            assert_eq!(ProxyUrl::shown(url), "<malformed>");
            let e = ProxyUrl::parse(url).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{url}");
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("proxy"), "{shown}");
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
            assert!(!shown.contains("ops"), "{url}: {shown}");
        }
    }
}
