//! Shared set-up: a seeded simulator and a client with fast retries.

use autotask::{AutotaskClient, AutotaskConfig, BudgetPolicy, Credentials};
use bridge_core::backoff::Backoff;
use simulators::autotask::{AutotaskSim, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER, Seed};
use simulators::common::{FaultKind, FaultRule};
use std::time::Duration;

pub async fn sim(companies: usize) -> AutotaskSim {
    simulators::autotask::start(Seed::generate(companies))
        .await
        .expect("simulator starts")
}

/// Demo credentials, retries in milliseconds, the default budget policy.
pub fn config(sim: &AutotaskSim) -> AutotaskConfig {
    config_as(sim, DEMO_USER, DEMO_SECRET, DEMO_INTEGRATION_CODE)
}

pub fn config_as(sim: &AutotaskSim, user: &str, secret: &str, code: &str) -> AutotaskConfig {
    let mut config = AutotaskConfig::new(Credentials {
        username: user.into(),
        secret: secret.into(),
        integration_code: code.into(),
    });
    config.zone_lookup_url = sim.zone_lookup_url();
    config.backoff = Backoff {
        base: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_retries: 5,
    };
    config.request_timeout = Duration::from_secs(20);
    config.budget = BudgetPolicy::default();
    config
}

pub fn client(sim: &AutotaskSim) -> AutotaskClient {
    AutotaskClient::new(config(sim)).expect("client")
}

pub fn client_with(config: AutotaskConfig) -> AutotaskClient {
    AutotaskClient::new(config).expect("client")
}

/// A fault on paths containing `route` for the next `times` matching requests.
pub fn fault(route: &str, method: Option<&str>, kind: FaultKind, times: u32) -> FaultRule {
    FaultRule {
        route: route.into(),
        method: method.map(str::to_string),
        query: None,
        kind,
        times: Some(times),
    }
}

pub fn status(status: u16, retry_after: Option<u64>) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after,
        body: None,
    }
}

/// Requests the simulator logged for `entity` + `verb`.
pub fn logged(sim: &AutotaskSim, entity: &str, verb: &str) -> usize {
    sim.core().log.count(Some(entity), Some(verb))
}

/// Logged requests answered with `code`.
pub fn logged_status(sim: &AutotaskSim, code: u16) -> usize {
    sim.core()
        .log
        .entries()
        .iter()
        .filter(|r| r.status == code)
        .count()
}
