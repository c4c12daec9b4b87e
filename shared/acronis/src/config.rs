//! What the client needs to reach one Acronis data center.

use crate::error::Error;
use bridge_core::backoff::Backoff;
use bridge_core::secret::Secret;
use reqwest::Url;
use std::net::IpAddr;
use std::time::Duration;

/// Connection settings of one API client on one data center.
///
/// Acronis credentials only work on the data center that issued them, so the base URL
/// is the data-center URL (`https://eu2-cloud.acronis.com`), not an `/api/...` path.
#[derive(Debug, Clone)]
pub struct AcronisConfig {
    /// Data-center URL; https, or http on loopback (simulators, local mode).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Retry timing for 429, 502/503/504 and broken connections.
    pub backoff: Backoff,
    /// Per HTTP request, including reading the body.
    pub request_timeout: Duration,
    /// Acronis asks integrations to identify themselves in the audit log.
    pub user_agent: String,
    /// Refresh the token this long before it expires (Acronis samples use 15 min).
    pub token_refresh_margin: Duration,
}

impl AcronisConfig {
    /// Settings with the defaults: backoff as in `bridge_core`, 30 s timeout,
    /// 15 min token margin, the bridge's user agent.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            backoff: Backoff::default(),
            request_timeout: Duration::from_secs(30),
            user_agent: concat!("acronis-autotask-bridge/", env!("CARGO_PKG_VERSION")).into(),
            token_refresh_margin: Duration::from_secs(15 * 60),
        }
    }

    /// Checks every field and returns the base URL without a trailing slash.
    pub(crate) fn validate(&self) -> Result<String, Error> {
        let base = validate_base_url(&self.base_url)?;
        if self.client_id.trim().is_empty() {
            return Err(invalid("client_id", "must not be empty"));
        }
        if self.client_secret.is_empty() {
            return Err(invalid("client_secret", "must not be empty"));
        }
        if self.request_timeout.is_zero() {
            return Err(invalid("request_timeout", "must be greater than zero"));
        }
        if self.user_agent.trim().is_empty() {
            return Err(invalid("user_agent", "must not be empty"));
        }
        Ok(base)
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidConfig {
        field,
        reason: reason.into(),
    }
}

/// https anywhere; plain http only to loopback, so credentials never cross a network
/// in clear text.
fn validate_base_url(raw: &str) -> Result<String, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|e| invalid("base_url", format!("`{raw}` is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| invalid("base_url", format!("`{raw}` has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(invalid(
                "base_url",
                format!("`{raw}` must use https (plain http is allowed only for loopback)"),
            ));
        }
        other => {
            return Err(invalid(
                "base_url",
                format!("`{raw}` has unsupported scheme `{other}`; use https"),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "base_url",
            format!("`{raw}` must not carry a query or fragment"),
        ));
    }
    if url.path().split('/').any(|segment| segment == "api") {
        return Err(invalid(
            "base_url",
            format!("`{raw}` must be the data-center URL without an /api/... path"),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> AcronisConfig {
        AcronisConfig::new(url, "id", "secret")
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        assert_eq!(
            cfg("https://eu2-cloud.acronis.com/")
                .validate()
                .ok()
                .as_deref(),
            Some("https://eu2-cloud.acronis.com")
        );
        assert!(cfg("http://127.0.0.1:8080").validate().is_ok());
        assert!(cfg("http://localhost:1").validate().is_ok());
        assert!(cfg("http://[::1]:9").validate().is_ok());
    }

    #[test]
    fn rejects_bad_urls_naming_the_field() {
        for bad in [
            "http://eu2-cloud.acronis.com",
            "ftp://x.example",
            "not a url",
            "https://eu2-cloud.acronis.com/api/2",
            "https://x.example/?a=1",
        ] {
            match cfg(bad).validate() {
                Err(Error::InvalidConfig { field, .. }) => assert_eq!(field, "base_url", "{bad}"),
                other => panic!("{bad}: expected InvalidConfig, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_empty_credentials() {
        let mut c = cfg("https://x.example");
        c.client_secret = Secret::new("");
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "client_secret",
                ..
            })
        ));
        let c = AcronisConfig::new("https://x.example", " ", "s");
        assert!(matches!(
            c.validate(),
            Err(Error::InvalidConfig {
                field: "client_id",
                ..
            })
        ));
    }
}
