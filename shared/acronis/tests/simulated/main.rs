//! The Acronis client against the Acronis simulator: real HTTP on loopback, request
//! counts read from the simulator's log.

mod alerts;
mod auth;
mod demo;
mod hostile;
mod infra_usage;
mod offering;
mod resilience;
mod tenants;
mod users;

use acronis::{AcronisClient, AcronisConfig, Backoff};
use simulators::acronis::{AcronisSim, GENERATED_PARTNER_ID, Seed};
use std::time::Duration;

pub const PARTNER: &str = GENERATED_PARTNER_ID;

/// Id of generated customer `i` (1-based), as `Seed::generate` makes them.
pub fn customer(i: usize) -> String {
    format!("c1000000-0000-4000-8000-{i:012}")
}

/// A simulator with the partner and `companies` customers.
pub async fn sim(companies: usize) -> AcronisSim {
    simulators::acronis::start(Seed::generate(companies))
        .await
        .expect("start the Acronis simulator")
}

/// Settings for the generated partner's client, with retries fast enough for tests.
pub fn config(sim: &AcronisSim) -> AcronisConfig {
    let mut config = AcronisConfig::new(sim.base_url(), "demo-client", "demo-client-secret");
    config.backoff = Backoff {
        base: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_retries: 4,
    };
    config.request_timeout = Duration::from_secs(5);
    config
}

pub fn client(sim: &AcronisSim) -> AcronisClient {
    AcronisClient::new(config(sim)).expect("valid config")
}

/// Requests the simulator logged for `entity` / `verb`.
pub fn count(sim: &AcronisSim, entity: &str, verb: &str) -> usize {
    sim.core().log.count(Some(entity), Some(verb))
}
