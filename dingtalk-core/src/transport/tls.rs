//! The TLS backend, chosen by the crate's features: `rustls` (aws-lc-rs, the default),
//! `rustls-ring` or `native-tls`. Features add up across a dependency graph, so several may be
//! enabled at once: then the one a user named beside the default wins, `native-tls` before
//! `rustls-ring` before `rustls`. With none, only plain http (loopback webhooks) can be sent.

use crate::error::Error;

/// The backend in use, as `Debug` shows it; `None` without TLS.
pub(super) const BACKEND: Option<&str> = if cfg!(feature = "native-tls") {
    Some("native-tls")
} else if cfg!(feature = "rustls-ring") {
    Some("rustls (ring)")
} else if cfg!(feature = "rustls") {
    Some("rustls (aws-lc-rs)")
} else {
    None
};

/// `http` set up with the backend the features chose.
pub(super) fn configure(http: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    #[cfg(feature = "native-tls")]
    return Ok(http.tls_backend_native());

    #[cfg(all(feature = "rustls-ring", not(feature = "native-tls")))]
    return Ok(http.tls_backend_preconfigured(ring_config()?));

    #[cfg(all(
        feature = "rustls",
        not(any(feature = "rustls-ring", feature = "native-tls"))
    ))]
    return Ok(http.tls_backend_rustls());

    #[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
    return Ok(http);
}

/// An error for an https URL (`what`: "the webhook", "the proxy") in a build without TLS.
pub(super) fn missing(what: &str) -> Error {
    Error::invalid_config(format!(
        "{what} uses https, and this build has no TLS: enable a feature of dingtalk-bot's \
         that gives it (`rustls`, the default; `rustls-ring`; `native-tls`)"
    ))
}

/// rustls as reqwest sets it up with its own provider (the platform's certificate verifier,
/// TLS 1.2 and 1.3), but with ring, or the process's default provider if one was installed:
/// reqwest without a provider of its own would panic unless one was, and installing one
/// for the whole process is the program's choice, not a library's.
#[cfg(feature = "rustls-ring")]
#[cfg_attr(
    feature = "native-tls",
    allow(dead_code, reason = "native-tls wins; tested")
)]
pub(super) fn ring_config() -> Result<rustls::ClientConfig, Error> {
    use std::sync::Arc;

    use rustls::crypto::CryptoProvider;
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| Error::invalid_config(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth();
    Ok(config)
}
