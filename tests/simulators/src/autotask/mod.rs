//! Simulator of the Autotask PSA REST API v1.0 (`../shared/reference/autotask-rest-api.md`).
//!
//! # URLs
//! - `GET {base}/atservicesrest/versioninformation` → `{"apiVersions":["V1.0"]}`
//! - `GET {base}/atservicesrest/v1.0/zoneInformation?user=<name>` (no auth, no budget)
//!   → `{"zoneName","url":"{base}/zone{N}/ATServicesRest/","webUrl","ci"}`; unknown user →
//!   500 `{"errors":["Zone information could not be determined"]}`.
//! - API: `{base}/zone{N}/ATServicesRest/V1.0/{Entity}…` (`ATServicesRest/V1.0` and entity
//!   names case-insensitive) with headers `ApiIntegrationCode`, `UserName`, `Secret`
//!   (optional `ImpersonationResourceId`). Other zone numbers answer an IIS HTML 404; a
//!   verb a route does not serve answers 405 `{"Message": "…does not support http
//!   method 'X'."}`.
//!   Routes: `query` (GET `?search=` / POST), `query/count`, `query/next` (GET/POST),
//!   `/{id}`, create `POST`, update `PATCH`/`PUT` with `id` in the body, `DELETE /{id}`
//!   where allowed, child collections (`/Companies/{id}/Contacts`, `/Contracts/{id}/Services`,
//!   `/ServiceUnits`, `/ServiceAdjustments`, `/ServiceBundles`, `/ServiceBundleUnits`,
//!   `/ServiceBundleAdjustments`, `/ServiceBundles/{id}/Services`, `/Tickets/{id}/Notes`,
//!   `/UserDefinedFields/{udfId}/ListItems`),
//!   `entityInformation`, `entityInformation/fields`, `entityInformation/userDefinedFields`,
//!   `ThresholdInformation`.
//!
//! # Control routes (`/_sim/autotask/…`, not logged, no auth)
//! - `POST /_sim/autotask/records/{Entity}` body = a record (any field, incl. `id`; seed-only
//!   `units`/`postedThrough` on ContractServices) → `{"id": N}`
//! - `GET /_sim/autotask/records/{Entity}` → every row as the API renders it (also
//!   ContractServiceAdjustments, which the API never returns)
//! - `PATCH /_sim/autotask/records/{Entity}/{id}` body = fields to change (modification
//!   timestamps bumped unless given; unit rows accept `units`, `approveAndPostDate`) → 204
//! - `POST /_sim/autotask/zone` `{"zone": N}` → 204: the database moves to zone N
//! - `POST /_sim/autotask/threshold` `{"limit": L, "used": U}` → 204; `GET` → `{"limit",
//!   "used","threadLimit","zone"}`
//! - `POST /_sim/autotask/users` an [`ApiUser`] (`username`, `secret`, `integrationCode`,
//!   `apiOnly`) → 204: adds it or replaces the user with that name
//! - `POST /_sim/autotask/settings` `{"processingDelayMs"?, "latencyBands"?, "threadLimit"?}` → 204
//! - [`directory`] serves one zone lookup over several simulators (one per database).
//! - shared: `/_sim/requests`, `/_sim/faults`, `/_sim/clock/advance` (see [`crate::common`])

// Tests may unwrap (house rule); production code here never does.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod access;
mod control;
mod directory;
mod error;
mod filter;
mod metadata;
mod picklists;
mod routes;
mod rules;
mod schema;
mod seed;
mod state;
mod store;
mod time;
mod units;
mod write;

pub use directory::{ZoneDirectory, directory};
pub use picklists::{PicklistValue, Picklists};
pub use seed::{
    ApiUser, CATALOGUE, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER, Database, PAYG_UDF,
    RECURRING_BILLING_CODE, Record, Seed,
};

use crate::common::{Running, SimCore, finish, lock, serve};
use serde_json::Value;
use state::Shared;
use std::sync::Arc;

/// A running Autotask simulator; the server stops when this is dropped.
pub struct AutotaskSim {
    shared: Arc<Shared>,
    running: Running,
}

/// Starts the simulator on `127.0.0.1` with a free port.
pub async fn start(seed: Seed) -> std::io::Result<AutotaskSim> {
    start_on(seed, 0).await
}

/// Starts the simulator on `127.0.0.1:port` (0 = any free port).
pub async fn start_on(seed: Seed, port: u16) -> std::io::Result<AutotaskSim> {
    let core = SimCore::new("autotask", routes::classify);
    let shared = Arc::new(
        Shared::new(core.clone(), &seed)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
    );
    let routes = routes::router(shared.clone()).merge(control::router(shared.clone()));
    let running = serve(finish(routes, core), port).await?;
    *lock(&shared.base_url) = running.base_url();
    Ok(AutotaskSim { shared, running })
}

impl AutotaskSim {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.running.base_url()
    }

    /// `{base}/atservicesrest/`: what a client is configured with; it appends
    /// `v1.0/zoneInformation?user=…`.
    pub fn zone_lookup_url(&self) -> String {
        format!("{}/atservicesrest/", self.base_url())
    }

    /// `{base}/zone{N}/ATServicesRest/`: the API root the zone lookup currently reports.
    pub fn api_url(&self) -> String {
        format!(
            "{}/zone{}/ATServicesRest/",
            self.base_url(),
            self.shared.lock().db.zone
        )
    }

    /// Request log, fault injection, clock.
    pub fn core(&self) -> &Arc<SimCore> {
        &self.shared.core
    }

    /// Inserts a raw record (any field settable, no business validation) and returns its
    /// id. Panics with the reason on a bad record (a test mistake).
    pub fn insert(&self, entity: &str, record: Value) -> i64 {
        self.try_insert(entity, record)
            .unwrap_or_else(|e| panic!("AutotaskSim::insert: {e}"))
    }

    pub fn try_insert(&self, entity: &str, record: Value) -> Result<i64, String> {
        self.shared.insert(entity, record)
    }

    /// Changes fields of a stored row as a user in the Autotask UI would (modification
    /// timestamps bumped). Panics with the reason on a bad patch.
    pub fn patch(&self, entity: &str, id: i64, fields: Value) {
        self.try_patch(entity, id, fields)
            .unwrap_or_else(|e| panic!("AutotaskSim::patch: {e}"))
    }

    pub fn try_patch(&self, entity: &str, id: i64, fields: Value) -> Result<(), String> {
        self.shared.patch(entity, id, &fields)
    }

    /// Every row of an entity as the API renders it, including the write-only
    /// adjustments and the derived unit rows. Panics on an unknown entity.
    pub fn records(&self, entity: &str) -> Vec<Value> {
        self.shared
            .records(entity)
            .unwrap_or_else(|e| panic!("AutotaskSim::records: {e}"))
    }

    /// Moves the database to zone `zone`: the old zone prefix then answers 404.
    pub fn move_zone(&self, zone: u32) {
        self.shared.move_zone(zone);
    }

    /// Sets the hourly threshold and fills the rolling window with `used` requests made now.
    pub fn set_threshold(&self, limit: u32, used: u32) {
        self.shared.set_threshold(limit, used);
    }

    /// Requests counted in the current rolling hour.
    pub fn threshold_used(&self) -> u32 {
        let now = self.shared.now();
        self.shared.lock().budget.used(now)
    }

    /// Adds an API user, or replaces the one with the same user name.
    pub fn add_user(&self, user: ApiUser) {
        self.shared.add_user(user);
    }

    /// How long each API call takes while holding its thread slot.
    pub fn set_processing_delay(&self, ms: u64) {
        self.shared.set_processing_delay(ms);
    }

    /// Turns the +0.5 s / +1 s latency bands (from 50 % / 75 % of the threshold) on or off.
    pub fn set_latency_bands(&self, on: bool) {
        self.shared.set_latency_bands(on);
    }

    pub fn set_thread_limit(&self, limit: u32) {
        self.shared.set_thread_limit(limit);
    }
}
