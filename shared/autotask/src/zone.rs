//! Zone discovery: which `webservicesN` host serves this user's database.
//!
//! Looked up lazily on the first call and cached, unless the client was given a known
//! zone (saved from an earlier lookup), which then fills the cache from the start. The
//! executor drops the cached zone once per call on 401, route-404 or connection failure
//! (databases move between zones), and the next call looks it up again — a known zone
//! is dropped the same way. The lookup needs no credentials, so none are sent to it.

use crate::error::{AutotaskError, Result};
use crate::models::ZoneInfo;
use reqwest::Url;
use tokio::sync::Mutex;

/// The cached zone. Discovery happens under the lock, so parallel first calls cause
/// one lookup, not one each.
pub(crate) struct ZoneCache {
    current: Mutex<Option<ZoneInfo>>,
}

impl ZoneCache {
    /// A cache holding `known` from the start (empty for `None`).
    pub fn new(known: Option<ZoneInfo>) -> Self {
        Self {
            current: Mutex::new(known),
        }
    }

    pub async fn get_or_discover<F, Fut>(&self, discover: F) -> Result<ZoneInfo>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<ZoneInfo>>,
    {
        let mut current = self.current.lock().await;
        if let Some(zone) = current.as_ref() {
            return Ok(zone.clone());
        }
        let zone = discover().await?;
        *current = Some(zone.clone());
        Ok(zone)
    }

    /// Forgets `seen` unless another caller already replaced it.
    pub async fn invalidate(&self, seen: &ZoneInfo) {
        let mut current = self.current.lock().await;
        if current.as_ref() == Some(seen) {
            *current = None;
        }
    }

    /// Keeps `zone` whatever was cached.
    pub async fn replace(&self, zone: ZoneInfo) {
        *self.current.lock().await = Some(zone);
    }

    pub async fn cached(&self) -> Option<ZoneInfo> {
        self.current.lock().await.clone()
    }
}

/// `{lookup base}v1.0/zoneInformation?user={username}`.
pub(crate) fn lookup_url(lookup_base: &str, username: &str) -> Result<Url> {
    let base = lookup_base.trim_end_matches('/');
    let url = format!(
        "{base}/v1.0/zoneInformation?user={}",
        urlencoding::encode(username)
    );
    Url::parse(&url)
        .map_err(|e| AutotaskError::Config(format!("zone_lookup_url {lookup_base:?}: {e}")))
}

/// The zone a client starts in when it was given a known zone URL: blank means none;
/// anything else must be an http(s) URL with a host, since the credentials go there
/// on every request. Only the URL is known: `zone_name`, `web_url` and `ci` stay
/// `None` until a lookup replaces this zone.
pub(crate) fn known(zone_url: Option<&str>) -> Result<Option<ZoneInfo>> {
    let Some(text) = zone_url.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    // The value is not quoted: it comes from the secret store, whose errors carry only
    // field names and fixed texts.
    let refuse = |why: String| {
        AutotaskError::Config(format!(
            "zone_url {why}; expected the zone's REST base, e.g. \
             https://webservices15.autotask.net/ATServicesRest/ (or leave it out to look \
             the zone up)"
        ))
    };
    let url = Url::parse(text).map_err(|e| refuse(format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(refuse("is not an http(s) URL".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("names no host".into()));
    }
    Ok(Some(ZoneInfo {
        zone_name: None,
        url: url.to_string(),
        web_url: None,
        ci: None,
    }))
}

/// Reads a zoneInformation answer. A body without a usable `url` (e.g.
/// `{"errors":["Zone information could not be determined"]}`, whatever the status) means
/// the user has no zone.
pub(crate) fn parse_answer(username: &str, status: u16, body: &[u8]) -> Result<ZoneInfo> {
    let not_found = |detail: String| AutotaskError::ZoneNotFound {
        user: username.to_string(),
        detail,
    };
    let parsed = crate::classify::ErrorBody::parse(body);
    let zone = serde_json::from_slice::<ZoneInfo>(body).ok();
    match zone {
        Some(zone) if (200..300).contains(&status) => {
            let quoted = crate::classify::bounded(&zone.url, crate::classify::MAX_SNIPPET_CHARS);
            let url = Url::parse(&zone.url)
                .map_err(|e| not_found(format!("zone url {quoted:?} is not a URL: {e}")))?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(not_found(format!("zone url {quoted:?} is not http(s)")));
            }
            Ok(zone)
        }
        _ if parsed.errors.is_empty() => Err(not_found(format!("HTTP {status}"))),
        _ => Err(not_found(format!("HTTP {status}: {}", parsed.joined()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_url_encodes_the_user_and_tolerates_missing_slash() {
        let a = lookup_url(
            "https://webservices2.autotask.net/atservicesrest/",
            "api+x@msp.com",
        )
        .expect("url");
        let b = lookup_url(
            "https://webservices2.autotask.net/atservicesrest",
            "api+x@msp.com",
        )
        .expect("url");
        assert_eq!(a, b);
        assert_eq!(
            a.as_str(),
            "https://webservices2.autotask.net/atservicesrest/v1.0/zoneInformation?user=api%2Bx%40msp.com"
        );
    }

    #[test]
    fn a_known_zone_url_must_be_http_with_a_host() {
        let zone = known(Some(" https://webservices15.autotask.net/ATServicesRest/ "))
            .expect("valid")
            .expect("some");
        assert_eq!(
            zone.api_base(),
            "https://webservices15.autotask.net/ATServicesRest/V1.0/"
        );
        assert_eq!((zone.zone_name, zone.ci), (None, None));
        assert!(known(None).expect("none").is_none());
        assert!(known(Some("  ")).expect("blank is none").is_none());
        for bad in [
            "webservices29.example/rest/",
            "ftp://webservices29.example/",
            "file:///etc/passwd",
            "mailto:api@msp.example",
            "https://",
        ] {
            match known(Some(bad)) {
                Err(AutotaskError::Config(text)) => {
                    assert!(text.starts_with("zone_url "), "{text}");
                    assert!(!text.contains("webservices29"), "no value echoed: {text}");
                }
                other => panic!("{bad}: expected a config error, got {other:?}"),
            }
        }
    }

    #[test]
    fn answers_without_url_are_zone_not_found() {
        let ok = parse_answer(
            "u",
            200,
            br#"{"zoneName":"America West 2","url":"https://webservices15.autotask.net/ATServicesRest/","webUrl":"https://ww15.autotask.net/","ci":123456}"#,
        )
        .expect("zone");
        assert_eq!(
            ok.api_base(),
            "https://webservices15.autotask.net/ATServicesRest/V1.0/"
        );
        let err = parse_answer(
            "u",
            500,
            br#"{"errors":["Zone information could not be determined"]}"#,
        )
        .expect_err("no zone");
        assert!(err.to_string().contains("could not be determined"), "{err}");
        assert!(matches!(
            parse_answer("u", 200, br#"{"url":"ftp://x/"}"#),
            Err(AutotaskError::ZoneNotFound { .. })
        ));
    }
}
