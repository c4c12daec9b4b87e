//! Simulator of the Acronis Cyber Cloud APIs: Account Management v2 (`/api/2`) and
//! Alert Manager v1 (`/api/alert_manager/v1`), per `reference/acronis-api.md`.
//!
//! The base URL plays the data-center URL. Every call except the token endpoint needs a
//! bearer token from `POST /api/2/idp/token` (client credentials of a seeded API
//! client); the client's tenant bounds what the caller sees and changes. Time (token
//! expiry, trial months, usage `range_start`, alert stamps) follows the shared sim clock.
//!
//! # Usage names (unconfirmed)
//! The reference has nothing firm on storage splits. A storage item `pw_base_storage`
//! (usage name `storage`) may be accompanied, on the same `infra_id`, by usage-only
//! records `pw_base_storage_class1` / `storage_class1` (free part),
//! `pw_base_storage_class2` / `storage_class2` (billed part) and `pw_base_geo_storage` /
//! `geo_storage` (geo-redundant copy, reported apart: total = storage + geo_storage).
//! Each usage also carries a simulator-specific `updated_at` (staleness tests).
//!
//! # Control routes (`/_sim/acronis/…`, plus the shared `/_sim/` ones)
//! - `POST /_sim/acronis/tokens/expire` — every issued token stops working (204).
//! - `POST /_sim/acronis/alerts` `{type, severity?, tenant_id, details?, id?, createdAt?,
//!   tenant_shape?}` — fire an alert, or repeat one (same `id`: updated, un-dismissed,
//!   omitted fields kept) → `{"id"}`;
//!   `tenant_shape` (`legacy`, `uuid`, `numeric`) picks how the alert names its tenant.
//! - `POST /_sim/acronis/alerts/burst` `{count, …template}` — fire `count` new alerts
//!   from one template in one go (load tests) → `{"ids": [...]}`.
//! - `DELETE /_sim/acronis/alerts/{id}` — dismiss as in the console (204).
//! - `PUT /_sim/acronis/tenants/{id}/usages` `{name, infra_id?, value, absolute_value?,
//!   updated_at?}` — upsert a usage record by `(name, infra_id)` (204).
//! - `POST /_sim/acronis/tenants/{id}/storages` `{name, backend_type, location_id?, id?}`
//!   — add a storage and its items to the tenant (201 `{"id"}`).
//! - `PATCH /_sim/acronis/tenants/{id}` `{ancestral_access: false, enabled, pricing_mode,
//!   trial_since, …}` — edit a tenant as its own admin would (no guards; version +1).
//! - `GET /_sim/acronis/activation_emails` — activation mails sent so far.
//! - `GET /_sim/acronis/tenants`, `GET /_sim/acronis/tenants/{id}/offering_items` — dumps.

mod alerts;
mod auth;
mod catalogue;
mod control;
mod error;
mod http;
mod infra;
mod offering;
mod seed;
mod state;
mod tenants;
mod usage;
mod users;

pub use alerts::{CTI_LICENSE, CTI_MALWARE, NS_FLOOR};
pub use catalogue::{BACKUP_APP, CatalogueItem, PER_WORKLOAD, PLATFORM_APP};
pub use seed::{
    ClientSeed, GENERATED_PARTNER_ID, GENERATED_STORAGE_ID, ItemSeed, LocationSeed, Seed,
    StorageSeed, TenantSeed, UserSeed, generated_alerts, generated_company_id,
    generated_customer_id, generated_sub_partner_id,
};
pub use state::ROOT_ID;
pub use usage::MAX_BATCH_TENANTS;

use crate::common::{Running, SimCore, finish, lock, serve};
use axum::{
    Router,
    http::Method,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use state::World;
use std::sync::{Arc, Mutex, MutexGuard};

/// State shared by the handlers.
pub(crate) struct Shared {
    core: Arc<SimCore>,
    world: Mutex<World>,
}

impl Shared {
    fn now(&self) -> DateTime<Utc> {
        self.core.clock.now()
    }
    /// The world, with time-based changes (trial expiry) applied up to now, so every
    /// reader sees them whether it comes through the API or a test helper.
    fn world(&self) -> MutexGuard<'_, World> {
        let now = self.now();
        let mut w = lock(&self.world);
        w.settle(now);
        w
    }
    fn expire_tokens(&self) {
        self.world().tokens.clear();
    }
    fn fire_alert(&self, alert: &Value) -> Result<String, String> {
        let now = self.now();
        let mut w = self.world();
        let default_tenant = default_tenant(&w);
        w.upsert_alert(alert, &default_tenant, now)
            .map_err(|e| e.message)
    }
    fn fire_burst(&self, count: usize, template: &Value) -> Result<Vec<String>, String> {
        let now = self.now();
        let mut w = self.world();
        let default_tenant = default_tenant(&w);
        w.fire_burst(count, template, &default_tenant, now)
            .map_err(|e| e.message)
    }
    fn tenants(&self) -> Vec<Value> {
        let w = self.world();
        w.order
            .iter()
            .filter(|id| *id != ROOT_ID)
            .filter_map(|id| w.tenants.get(id))
            .map(|t| w.tenant_json(t))
            .collect()
    }
    fn offering_items(&self, tenant_id: &str) -> Vec<Value> {
        let w = self.world();
        w.items
            .get(tenant_id)
            .into_iter()
            .flatten()
            .map(|i| offering::item_json(tenant_id, i))
            .collect()
    }
}

/// The tenant of the first API client: where an alert fired without a tenant lands.
fn default_tenant(w: &World) -> String {
    w.clients
        .values()
        .next()
        .map_or(ROOT_ID.to_string(), |c| c.tenant_id.clone())
}

/// A running Acronis simulator; stops when dropped.
pub struct AcronisSim {
    shared: Arc<Shared>,
    running: Running,
}

/// Starts the simulator on a free loopback port.
pub async fn start(seed: Seed) -> std::io::Result<AcronisSim> {
    start_on(seed, 0).await
}

/// Starts the simulator on `127.0.0.1:port`. A seed that does not hold together (unknown
/// parent, storage, tenant) is an `InvalidData` error naming the entry.
pub async fn start_on(seed: Seed, port: u16) -> std::io::Result<AcronisSim> {
    let core = SimCore::new("acronis", classify);
    let world = World::from_seed(&seed, core.clock.now()).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("acronis seed: {}", crate::scenario::bounded(&e.to_string())),
        )
    })?;
    let shared = Arc::new(Shared {
        core: core.clone(),
        world: Mutex::new(world),
    });
    let router = finish(
        api_routes(shared.clone()).merge(control::routes(shared.clone())),
        core,
    );
    let running = serve(router, port).await?;
    Ok(AcronisSim { shared, running })
}

fn api_routes(sh: Arc<Shared>) -> Router {
    let v2 = "/api/2";
    let am = "/api/alert_manager/v1";
    let protected = Router::new()
        .route(&format!("{v2}/clients/{{id}}"), get(auth::get_client))
        .route(
            &format!("{v2}/tenants"),
            get(tenants::list_tenants).post(tenants::create_tenant),
        )
        .route(&format!("{v2}/tenants/usages"), get(usage::batch_usages))
        .route(
            &format!("{v2}/tenants/{{id}}"),
            get(tenants::get_tenant)
                .put(tenants::update_tenant)
                .delete(tenants::delete_tenant),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/children"),
            get(tenants::children),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/pricing"),
            get(tenants::get_pricing).put(tenants::put_pricing),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/mfa/status"),
            get(tenants::get_mfa).put(tenants::put_mfa),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/users"),
            get(users::tenant_users),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/applications"),
            get(offering::tenant_applications),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/offering_items"),
            get(offering::list_items).put(offering::put_items),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/offering_items/available_for_child"),
            get(offering::available_for_child),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/usages"),
            get(usage::tenant_usages),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/infra"),
            get(infra::tenant_infra),
        )
        .route(
            &format!("{v2}/tenants/{{id}}/locations"),
            get(infra::tenant_locations),
        )
        .route(&format!("{v2}/search"), get(tenants::search))
        .route(&format!("{v2}/users"), post(users::create_user))
        .route(&format!("{v2}/users/check_login"), get(users::check_login))
        .route(&format!("{v2}/users/{{id}}"), get(users::get_user))
        .route(
            &format!("{v2}/users/{{id}}/send-activation-email"),
            post(users::send_activation_email),
        )
        .route(
            &format!("{v2}/users/{{id}}/access_policies"),
            get(users::get_access_policies).put(users::put_access_policies),
        )
        .route(
            &format!("{v2}/applications"),
            get(offering::list_applications),
        )
        .route(
            &format!("{v2}/applications/{{id}}"),
            get(offering::get_application),
        )
        .route(
            &format!("{v2}/applications/{{app}}/bindings/tenants/{{tenant}}"),
            post(offering::bind).delete(offering::unbind),
        )
        .route(&format!("{v2}/infra"), get(infra::list_infra))
        .route(&format!("{v2}/infra/{{id}}"), get(infra::get_infra))
        .route(&format!("{v2}/locations"), get(infra::list_locations))
        .route(&format!("{v2}/locations/{{id}}"), get(infra::get_location))
        .route(
            &format!("{am}/alerts"),
            get(alerts::list_alerts)
                .post(alerts::create_alert)
                .delete(alerts::dismiss_matching),
        )
        .route(
            &format!("{am}/alerts/{{id}}"),
            get(alerts::get_alert).delete(alerts::dismiss_alert),
        )
        .route(&format!("{am}/types"), get(alerts::list_types))
        .route(&format!("{am}/types/{{id}}"), get(alerts::get_type))
        .route_layer(axum::middleware::from_fn_with_state(
            sh.clone(),
            auth::require_token,
        ));
    Router::new()
        .route(&format!("{v2}/idp/token"), post(auth::issue_token))
        .merge(protected)
        .with_state(sh)
}

/// Maps a request to (resource, verb) for the request log.
fn classify(method: &Method, path: &str) -> (String, String) {
    let (resource, verb) = classify_str(method, path);
    (resource.to_string(), verb.to_string())
}

fn classify_str(method: &Method, path: &str) -> (&'static str, &'static str) {
    let rest = path
        .strip_prefix("/api/2/")
        .or_else(|| path.strip_prefix("/api/alert_manager/v1/"))
        .unwrap_or(path);
    let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let write = |create: &'static str| match *method {
        Method::GET => "get",
        Method::POST => create,
        Method::PUT | Method::PATCH => "update",
        Method::DELETE => "delete",
        _ => "other",
    };
    match seg.as_slice() {
        ["idp", "token"] => ("token", "create"),
        ["clients", ..] => ("clients", "get"),
        ["tenants", "usages"] => ("usages", "get"),
        ["tenants"] if *method == Method::GET => ("tenants", "list"),
        ["tenants"] => ("tenants", "create"),
        ["tenants", _] => ("tenants", write("create")),
        ["tenants", _, "children"] => ("tenants", "children"),
        ["tenants", _, "offering_items", "available_for_child"] => ("offering_items", "available"),
        ["tenants", _, "offering_items"] => ("offering_items", write("create")),
        ["tenants", _, "usages"] => ("usages", "get"),
        ["tenants", _, "pricing"] => ("pricing", write("create")),
        ["tenants", _, "mfa", ..] => ("mfa", write("create")),
        ["tenants", _, "users"] => ("users", "list"),
        ["tenants", _, "applications"] => ("applications", "list"),
        ["tenants", _, "infra"] => ("infra", "list"),
        ["tenants", _, "locations"] => ("locations", "list"),
        ["search"] => ("search", "get"),
        ["users", "check_login"] => ("users", "check_login"),
        ["users"] => ("users", "create"),
        ["users", _, "send-activation-email"] => ("activation_email", "create"),
        ["users", _, "access_policies"] => ("access_policies", write("create")),
        ["users", ..] => ("users", write("create")),
        ["applications", _, "bindings", ..] => ("bindings", write("create")),
        ["applications", ..] => ("applications", "get"),
        ["infra", ..] => ("infra", "get"),
        ["locations", ..] => ("locations", "get"),
        ["alerts"] if *method == Method::GET => ("alerts", "list"),
        ["alerts", ..] => ("alerts", write("create")),
        ["types", ..] => ("alert_types", "list"),
        _ => ("unknown", "other"),
    }
}

impl AcronisSim {
    /// The "data-center URL": `{base}/api/2/…`, `{base}/api/alert_manager/v1/…`.
    pub fn base_url(&self) -> String {
        self.running.base_url()
    }
    pub fn core(&self) -> &Arc<SimCore> {
        &self.shared.core
    }
    /// Every issued token stops working (as after a secret reset).
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }
    pub fn tenant(&self, id: &str) -> Option<Value> {
        let w = self.shared.world();
        w.tenants.get(id).map(|t| w.tenant_json(t))
    }
    /// All tenants except the platform root, in creation order.
    pub fn tenants(&self) -> Vec<Value> {
        self.shared.tenants()
    }
    /// Edits a tenant as its own admin would (e.g. `{"ancestral_access": false}`).
    /// Panics on an unknown tenant or field: a test bug.
    pub fn set_tenant_fields(&self, id: &str, fields: Value) {
        let now = self.shared.now();
        if let Err(e) = self.shared.world().set_tenant_fields(id, &fields, now) {
            panic!("set_tenant_fields: {e}");
        }
    }
    /// Upserts a usage record by `(name, infra_id)`. Panics on bad input (a test bug).
    pub fn set_usage(&self, tenant_id: &str, usage: Value) {
        let now = self.shared.now();
        if let Err(e) = self.shared.world().set_usage(tenant_id, &usage, now) {
            panic!("set_usage: {e}");
        }
    }
    /// Adds a storage usable by the tenant; returns its id. Panics on bad input.
    pub fn add_storage(&self, tenant_id: &str, storage: Value) -> String {
        match self.shared.world().add_storage(tenant_id, &storage) {
            Ok(id) => id,
            Err(e) => panic!("add_storage: {e}"),
        }
    }
    /// Fires (or repeats, same `id`) an alert; returns its id. Panics on bad input.
    /// Keys: `type`, `severity`, `category`, `details`, `id`, `createdAt`, `dismissed`,
    /// the tenant (`tenant_id`, default: the first client's), and `tenant_shape`
    /// (`legacy` — id, uuid and locator; `uuid` — the uuid as id, no `uuid`; `numeric` —
    /// numbers only, so the tenant cannot be told).
    pub fn fire_alert(&self, alert: Value) -> String {
        match self.shared.fire_alert(&alert) {
            Ok(id) => id,
            Err(e) => panic!("fire_alert: {e}"),
        }
    }
    /// Fires the alert with this id again: `updatedAt` moves, a dismissal is cleared,
    /// the content stays. Panics if there is no such alert.
    pub fn repeat_alert(&self, id: &str) -> String {
        self.fire_alert(serde_json::json!({"id": id}))
    }
    /// Fires `n` `BackupFailed` alerts for `tenant`, each on its own resource
    /// (`BURST-00001`…), in one go; returns their ids in firing order.
    pub fn fire_alerts(&self, n: usize, tenant: &str) -> Vec<String> {
        self.fire_alerts_like(n, serde_json::json!({"tenant_id": tenant}))
    }
    /// Fires `n` new alerts from one template (the keys of [`fire_alert`](Self::fire_alert);
    /// `id` ignored). Panics on bad input.
    pub fn fire_alerts_like(&self, n: usize, template: Value) -> Vec<String> {
        match self.shared.fire_burst(n, &template) {
            Ok(ids) => ids,
            Err(e) => panic!("fire_alerts: {e}"),
        }
    }
    /// An alert as `GET /alerts/{id}` shows it (dismissed ones included).
    pub fn alert(&self, id: &str) -> Option<Value> {
        let w = self.shared.world();
        w.alerts.get(id).map(|a| alerts::alert_json(&w, a))
    }
    /// How often the alert fired: 1, plus one per repeat.
    pub fn alert_occurrences(&self, id: &str) -> Option<u32> {
        self.shared.world().alerts.get(id).map(|a| a.occurrences)
    }
    /// Dismisses an alert as in the console; false if it does not exist.
    pub fn dismiss_alert(&self, id: &str) -> bool {
        let now = self.shared.now();
        self.shared.world().dismiss_alert(id, now)
    }
    /// Activation mails sent so far: `{user_id, login, email, tenant_id, at}`.
    pub fn activation_emails(&self) -> Vec<Value> {
        self.shared.world().emails.clone()
    }
    pub fn offering_items(&self, tenant_id: &str) -> Vec<Value> {
        self.shared.offering_items(tenant_id)
    }
    /// Usage records of a tenant as `GET /tenants/{id}/usages` shows them.
    pub fn usages(&self, tenant_id: &str) -> Vec<Value> {
        let now = self.shared.now();
        let w = self.shared.world();
        w.usages
            .get(tenant_id)
            .into_iter()
            .flatten()
            .map(|u| usage::usage_json(&w, tenant_id, u, now))
            .collect()
    }
}
