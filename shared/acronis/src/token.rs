//! OAuth2 client-credentials token: fetched once, shared, refreshed before expiry.
//!
//! The cache sits behind an async mutex that is held while a new token is fetched,
//! so concurrent callers that find it stale wait for one refresh instead of each
//! asking for their own (no token stampede).

use crate::client::AcronisClient;
use crate::error::Error;
use crate::transport::{Auth, Call, decode};
use bridge_core::secret::Secret;
use reqwest::Method;
use serde::Deserialize;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Documented lifetime of a client-credentials token; assumed when the answer gives
/// none or one our clock cannot make sense of (skew).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The longest lifetime believed: an answer granting more (a far-future or garbled
/// expiry) is read as this, so the refresh time stays a real instant.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub(crate) struct Token {
    pub value: Secret,
    refresh_at: Instant,
}

impl Token {
    fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

/// `POST /api/2/idp/token` answer; Acronis sends `expires_on` (unix s), other issuers
/// of the same endpoint `expires_in` (s).
#[derive(Deserialize)]
struct TokenReply {
    access_token: Secret,
    #[serde(default)]
    expires_on: Option<u64>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// How long a token stays usable after it was issued: its lifetime minus the margin,
/// the margin capped at half the lifetime so a short-lived token is not refreshed on
/// every call.
fn usable_for(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin.min(lifetime / 2))
}

/// The lifetime the answer grants, measured from `now`.
fn lifetime(expires_on: Option<u64>, expires_in: Option<u64>, now: SystemTime) -> Duration {
    let granted = match (expires_on, expires_in) {
        (Some(on), _) => {
            let now_s = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            Some(Duration::from_secs(on.saturating_sub(now_s)))
        }
        (None, Some(secs)) => Some(Duration::from_secs(secs)),
        (None, None) => None,
    };
    // An already-past expiry means our clock and the server's disagree; a real expiry
    // still shows up as a 401, which triggers one re-authentication.
    granted
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_LIFETIME)
        .min(MAX_LIFETIME)
}

impl AcronisClient {
    /// A token that is valid for a while yet, fetching one when needed.
    pub(crate) async fn token(&self) -> Result<Secret, Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok(token.value.clone());
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// A replacement for a token the server answered 401 to. When another caller has
    /// already replaced it, that newer token is used instead of fetching again.
    pub(crate) async fn token_after_rejection(&self, rejected: &Secret) -> Result<Secret, Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| &t.value != rejected) {
            return Ok(token.value.clone());
        }
        *cached = None;
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    async fn fetch_token(&self) -> Result<Token, Error> {
        let call = Call::new(Method::POST, "/api/2/idp/token")
            .form(vec![("grant_type", "client_credentials".to_string())])
            .auth(Auth::Basic)
            // Issuing another token creates nothing lasting, so a lost answer may be
            // asked for again like a read.
            .idempotent();
        // Boxed: `execute` asks for tokens, so the future type would be recursive.
        let reply = match Box::pin(self.execute(&call)).await {
            Ok(reply) => reply,
            Err(Error::Api {
                status: 400,
                message,
                ..
            }) => return Err(Error::Unauthorized { message }),
            Err(e) => return Err(e),
        };
        let answer: TokenReply = decode("token answer", &reply.body)?;
        if answer.access_token.is_empty() {
            return Err(Error::Decode {
                resource: "token answer".into(),
                detail: "at `access_token`: empty".into(),
            });
        }
        let usable = usable_for(
            lifetime(answer.expires_on, answer.expires_in, SystemTime::now()),
            self.inner.config.token_refresh_margin,
        );
        tracing::debug!(
            usable_secs = usable.as_secs(),
            "fetched an Acronis access token"
        );
        Ok(Token {
            value: answer.access_token,
            refresh_at: Instant::now() + usable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn refreshes_fifteen_minutes_early() {
        assert_eq!(usable_for(120 * MIN, 15 * MIN), 105 * MIN);
    }

    #[test]
    fn short_tokens_keep_half_their_life() {
        assert_eq!(usable_for(10 * MIN, 15 * MIN), 5 * MIN);
    }

    #[test]
    fn reads_expires_on_or_expires_in() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(lifetime(Some(1_007_200), None, now), 120 * MIN);
        assert_eq!(lifetime(None, Some(600), now), 10 * MIN);
        assert_eq!(lifetime(Some(1_000_600), Some(9_999), now), 10 * MIN);
    }

    #[test]
    fn a_far_future_expiry_is_capped_at_a_day() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(lifetime(Some(u64::MAX), None, now), MAX_LIFETIME);
        assert_eq!(lifetime(None, Some(u64::MAX), now), MAX_LIFETIME);
        assert!(Instant::now().checked_add(MAX_LIFETIME).is_some());
    }

    #[test]
    fn missing_or_past_expiry_assumes_two_hours() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(lifetime(None, None, now), DEFAULT_LIFETIME);
        assert_eq!(lifetime(Some(5), None, now), DEFAULT_LIFETIME);
    }

    #[test]
    fn freshness_follows_refresh_time() {
        let now = Instant::now();
        let t = Token {
            value: Secret::new("t"),
            refresh_at: now + MIN,
        };
        assert!(t.is_fresh(now));
        assert!(!t.is_fresh(now + 2 * MIN));
    }
}
