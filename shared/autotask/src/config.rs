//! How a client is set up: where to find the zone, who to be, how patient to be.

use bridge_core::backoff::Backoff;
use bridge_core::secret::Secret;
use std::time::Duration;

/// The public zone-lookup service; any zone host answers for every user.
pub const DEFAULT_ZONE_LOOKUP_URL: &str = "https://webservices2.autotask.net/atservicesrest/";

/// The three values an MSP copies from its Autotask API user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// The API user's username (e-mail form); also the key of the zone lookup.
    pub username: String,
    /// The API user's secret; sent only in the `Secret` header, never logged.
    pub secret: Secret,
    /// The tracking identifier (`ApiIntegrationCode` header).
    pub integration_code: String,
}

/// Everything an [`AutotaskClient`](crate::AutotaskClient) needs.
#[derive(Debug, Clone)]
pub struct AutotaskConfig {
    /// Zone-lookup base, e.g. `https://webservices2.autotask.net/atservicesrest/`.
    pub zone_lookup_url: String,
    /// The zone's REST base (e.g. `https://webservices15.autotask.net/ATServicesRest/`)
    /// found by an earlier lookup, such as the one saved with the credentials. A new
    /// client starts in that zone and sends no lookup, which saves a round trip on
    /// every cold start. The lookup stays the authority: a 401, a route 404 or a
    /// connection failure re-discovers the zone as it would for a looked-up zone, so a
    /// database that moved since keeps working. `None` or a blank text means "look it
    /// up"; anything else that is not an http(s) URL with a host makes
    /// [`AutotaskClient::new`](crate::AutotaskClient::new) fail.
    pub zone_url: Option<String>,
    pub credentials: Credentials,
    /// Retry policy for 429s, thread-limit rejections and transient faults.
    pub backoff: Backoff,
    /// Requests in flight per entity; Autotask allows 3 per integration code and entity.
    pub max_concurrent_per_entity: usize,
    /// Whole-request timeout (connect + response).
    pub request_timeout: Duration,
    /// When to read ThresholdInformation and how much to slow down.
    pub budget: BudgetPolicy,
}

impl AutotaskConfig {
    /// A config with the documented defaults for everything but the credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            zone_lookup_url: DEFAULT_ZONE_LOOKUP_URL.to_string(),
            zone_url: None,
            credentials,
            backoff: Backoff::default(),
            max_concurrent_per_entity: 3,
            request_timeout: Duration::from_secs(60),
            budget: BudgetPolicy::default(),
        }
    }

    /// The same config, starting in the known zone `zone_url` (see
    /// [`AutotaskConfig::zone_url`]).
    pub fn with_zone_url(mut self, zone_url: impl Into<String>) -> Self {
        self.zone_url = Some(zone_url.into());
        self
    }
}

/// Defaults with empty credentials, for `AutotaskConfig { credentials, ..Default::default() }`.
impl Default for AutotaskConfig {
    fn default() -> Self {
        Self::new(Credentials::default())
    }
}

/// Budget awareness: the hourly request threshold is shared by every integration of the
/// MSP, so the client looks at it now and then (never per call) and slows down as it
/// fills, instead of running into the tenant-wide lock-out at 100 %.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetPolicy {
    /// Read ThresholdInformation after this many requests (0 = never by count).
    pub check_every_requests: u64,
    /// ... or when the last reading is older than this.
    pub check_every: Duration,
    /// After a 429, no extra reading while the last one is younger than this.
    pub after_throttle_gap: Duration,
    /// Above this used fraction, wait `slow_delay` before each call.
    pub slow_above: f64,
    pub slow_delay: Duration,
    /// Above this used fraction, wait `slower_delay` before each call.
    pub slower_above: f64,
    pub slower_delay: Duration,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        Self {
            check_every_requests: 250,
            check_every: Duration::from_secs(10 * 60),
            after_throttle_gap: Duration::from_secs(30),
            slow_above: 0.5,
            slow_delay: Duration::from_millis(200),
            slower_above: 0.8,
            slower_delay: Duration::from_secs(1),
        }
    }
}

impl BudgetPolicy {
    /// The pause before a call, given the used fraction of the hourly threshold.
    pub fn delay_for(&self, used: f64) -> Duration {
        if used > self.slower_above {
            self.slower_delay
        } else if used > self.slow_above {
            self.slow_delay
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_with_usage_bands() {
        let p = BudgetPolicy::default();
        assert_eq!(p.delay_for(0.1), Duration::ZERO);
        assert_eq!(p.delay_for(0.5), Duration::ZERO);
        assert_eq!(p.delay_for(0.6), p.slow_delay);
        assert_eq!(p.delay_for(0.81), p.slower_delay);
    }
}
