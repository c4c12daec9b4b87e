//! The simulator's in-memory world: clients, tokens, tenants, users, storages, offering
//! items, usages, alerts; plus the rules shared by several route groups (who may see or
//! change which tenant, trial expiry, timestamps).

use super::catalogue::CatalogueItem;
use super::error::{ApiError, ApiResult};
use chrono::{DateTime, Datelike, Months, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The platform root above every seeded partner; no API client is bound to it.
pub const ROOT_ID: &str = "f0000000-0000-4000-8000-000000000001";
const DEFAULT_IDP: &str = "11111111-1111-1111-1111-111111111111";
const BRAND_UUID: &str = "b0000000-0000-4000-8000-000000000001";

/// Who is calling: the API client behind the bearer token and the tenant it is bound to.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: String,
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    pub client_id: String,
    pub secret: String,
    pub tenant_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Pricing {
    pub mode: String,
    pub currency: Option<String>,
    pub production_start_date: Option<DateTime<Utc>>,
    pub version: i64,
    /// When the trial began; the automatic switch counts from here.
    pub trial_since: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub legacy_id: u64,
    pub version: i64,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub enabled: bool,
    pub customer_id: Option<String>,
    pub internal_tag: Option<String>,
    pub language: String,
    pub contact: Value,
    pub ancestral_access: bool,
    pub default_idp_id: String,
    pub update_lock: Value,
    pub mfa_status: String,
    pub pricing: Pricing,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub version: i64,
    pub tenant_id: String,
    pub login: String,
    pub contact: Value,
    pub activated: bool,
    pub enabled: bool,
    pub language: String,
    pub personal_tenant_id: String,
    pub notifications: Value,
    pub business_types: Value,
    pub external_id: Option<String>,
    pub access_policies: Vec<Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub value: Option<i64>,
    pub overage: Option<i64>,
    pub version: i64,
}

impl Quota {
    pub fn unlimited() -> Quota {
        Quota {
            value: None,
            overage: None,
            version: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferingItem {
    pub application_id: String,
    pub name: String,
    pub edition: Option<String>,
    pub usage_name: String,
    #[serde(rename = "type")]
    pub item_type: String,
    pub infra_id: Option<String>,
    pub measurement_unit: String,
    pub status: u8,
    pub locked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

impl OfferingItem {
    pub fn from_catalogue(c: &CatalogueItem, infra_id: Option<&str>, status: u8) -> OfferingItem {
        let quota = (c.item_type != "feature").then(Quota::unlimited);
        OfferingItem {
            application_id: c.application_id.clone(),
            name: c.name.clone(),
            edition: c.edition.clone(),
            usage_name: c.usage_name.clone(),
            item_type: c.item_type.clone(),
            infra_id: infra_id.map(str::to_string),
            measurement_unit: c.measurement_unit.clone(),
            status,
            locked: c.locked,
            quota,
        }
    }
    pub fn key_matches(&self, name: &str, infra_id: Option<&str>) -> bool {
        self.name == name && self.infra_id.as_deref() == infra_id
    }
}

#[derive(Debug, Clone)]
pub struct Usage {
    pub name: String,
    pub usage_name: String,
    pub edition: Option<String>,
    pub usage_type: String,
    pub application_id: String,
    pub infra_id: Option<String>,
    pub measurement_unit: String,
    pub absolute_value: i64,
    pub value: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    pub owner_tenant_id: String,
    pub platform_owned: bool,
    pub name: String,
    pub version: i64,
    pub readonly: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Storage {
    pub id: String,
    pub owner_tenant_id: String,
    pub location_id: String,
    pub platform_owned: bool,
    pub name: String,
    pub url: String,
    pub capabilities: Vec<String>,
    pub content_url: String,
    pub content_mobile_url: String,
    /// `acronis`, `azure`, `s3`, `s3_compatible`; the enum beyond `azure` is unconfirmed.
    pub backend_type: String,
    pub version: i64,
    pub readonly: bool,
}

/// How an alert names its tenant. Public captures show two shapes; the third exists so
/// tests can meet an alert whose tenant cannot be told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TenantShape {
    /// `{"id": "<legacy number>", "uuid": "<uuid>", "locator": "/1/…/<number>/"}`.
    #[default]
    Legacy,
    /// `{"id": "<uuid>", "locator": "/<root uuid>/…/<uuid>/"}`, no `uuid`.
    Uuid,
    /// `{"id": "<legacy number>", "locator": "/1/…/<number>/"}`: numbers only.
    Numeric,
}

impl TenantShape {
    pub fn parse(s: &str) -> Option<TenantShape> {
        match s {
            "legacy" => Some(TenantShape::Legacy),
            "uuid" => Some(TenantShape::Uuid),
            "numeric" => Some(TenantShape::Numeric),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub id: String,
    pub alert_type: String,
    pub category: String,
    pub severity: String,
    pub details: Value,
    pub tenant_id: String,
    pub tenant_shape: TenantShape,
    /// How often the alert fired (1 + repeats); not part of the API's JSON.
    pub occurrences: u32,
    pub source: Option<String>,
    pub created_ns: i64,
    pub updated_ns: i64,
    pub received_ns: i64,
    pub deleted_ns: Option<i64>,
}

#[derive(Default)]
pub struct World {
    pub clients: BTreeMap<String, ApiClient>,
    pub tokens: HashMap<String, Token>,
    pub tenants: HashMap<String, Tenant>,
    /// Child ids per parent, in creation order.
    pub children: HashMap<String, Vec<String>>,
    /// Every tenant id in creation order (the order of list answers and cursors).
    pub order: Vec<String>,
    pub users: HashMap<String, User>,
    /// Lower-cased login → user id.
    pub logins: HashMap<String, String>,
    pub locations: BTreeMap<String, Location>,
    pub storages: BTreeMap<String, Storage>,
    pub items: HashMap<String, Vec<OfferingItem>>,
    pub usages: HashMap<String, Vec<Usage>>,
    pub bindings: HashMap<String, BTreeSet<String>>,
    pub alerts: HashMap<String, Alert>,
    pub alert_types: Vec<Value>,
    pub emails: Vec<Value>,
    pub catalogue: Vec<CatalogueItem>,
    /// Tenants still in trial: the only ones the lazy production switch looks at.
    pub in_trial: BTreeSet<String>,
    next_legacy_id: u64,
    last_stamp_ns: i64,
    last_quota_version: i64,
}

impl World {
    pub fn new(catalogue: Vec<CatalogueItem>, now: DateTime<Utc>) -> World {
        let mut s = World {
            catalogue,
            alert_types: super::alerts::builtin_types(),
            next_legacy_id: 1,
            ..World::default()
        };
        let root = s.new_tenant(ROOT_ID, "Platform", "root", None, now);
        s.insert_tenant(root);
        s
    }

    /// A tenant with the platform's defaults; the caller fills in what the request gave.
    pub fn new_tenant(
        &mut self,
        id: &str,
        name: &str,
        kind: &str,
        parent_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Tenant {
        let legacy_id = self.next_legacy_id;
        self.next_legacy_id += 1;
        let trial = kind == "customer";
        Tenant {
            id: id.to_string(),
            legacy_id,
            version: 1,
            name: name.to_string(),
            kind: kind.to_string(),
            parent_id: parent_id.map(str::to_string),
            enabled: true,
            customer_id: None,
            internal_tag: None,
            language: "en".to_string(),
            contact: json!({}),
            ancestral_access: true,
            default_idp_id: DEFAULT_IDP.to_string(),
            update_lock: json!({"enabled": false, "owner_id": null}),
            mfa_status: "disabled".to_string(),
            pricing: Pricing {
                mode: if trial { "trial" } else { "production" }.to_string(),
                currency: None,
                production_start_date: (!trial).then_some(now),
                version: now.timestamp_millis(),
                trial_since: now,
            },
            created_at: now,
            updated_at: now,
        }
    }

    pub fn insert_tenant(&mut self, t: Tenant) {
        if let Some(parent) = &t.parent_id {
            self.children
                .entry(parent.clone())
                .or_default()
                .push(t.id.clone());
        }
        if t.pricing.mode == "trial" {
            self.in_trial.insert(t.id.clone());
        } else {
            self.in_trial.remove(&t.id);
        }
        self.order.push(t.id.clone());
        self.tenants.insert(t.id.clone(), t);
    }

    /// Removes a tenant and everything under it (users, items, usages, alerts stay
    /// orphaned like the platform's history).
    pub fn remove_subtree(&mut self, id: &str) {
        let doomed: BTreeSet<String> = self.subtree(id).into_iter().collect();
        if let Some(parent) = self.tenants.get(id).and_then(|t| t.parent_id.clone())
            && let Some(siblings) = self.children.get_mut(&parent)
        {
            siblings.retain(|c| c != id);
        }
        for t in &doomed {
            self.tenants.remove(t);
            self.children.remove(t);
            self.items.remove(t);
            self.usages.remove(t);
            self.bindings.remove(t);
            self.in_trial.remove(t);
        }
        self.order.retain(|t| !doomed.contains(t));
        let gone: Vec<String> = self
            .users
            .values()
            .filter(|u| doomed.contains(&u.tenant_id))
            .map(|u| u.id.clone())
            .collect();
        for u in gone {
            if let Some(user) = self.users.remove(&u) {
                self.logins.remove(&user.login.to_lowercase());
            }
        }
    }

    /// `id` and all its descendants, depth first in creation order.
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![id.to_string()];
        while let Some(t) = stack.pop() {
            if let Some(kids) = self.children.get(&t) {
                stack.extend(kids.iter().rev().cloned());
            }
            out.push(t);
        }
        out
    }

    /// Ancestors of `id`, nearest first (not including `id`).
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.tenants.get(id).and_then(|t| t.parent_id.clone());
        while let Some(p) = cur {
            cur = self.tenants.get(&p).and_then(|t| t.parent_id.clone());
            out.push(p);
        }
        out
    }

    /// Whether `id` is the caller's tenant or below it.
    pub fn in_scope(&self, caller: &Caller, id: &str) -> bool {
        id == caller.tenant_id || self.ancestors(id).contains(&caller.tenant_id)
    }

    /// The tenant, if it exists (404) and the caller may see it (403).
    pub fn visible(&self, caller: &Caller, id: &str) -> ApiResult<&Tenant> {
        let t = self.tenants.get(id).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                1005,
                format!("Tenant '{id}' not found."),
            )
            .with_context(json!({"id": id}))
        })?;
        if !self.in_scope(caller, id) {
            return Err(ApiError::access_denied(id));
        }
        Ok(t)
    }

    /// Like [`visible`](Self::visible), and the caller may change it: not a self-service
    /// tenant (nor under one) seen from a parent, and not update-locked by another tenant.
    pub fn changeable(&self, caller: &Caller, id: &str) -> ApiResult<&Tenant> {
        let t = self.visible(caller, id)?;
        if id != caller.tenant_id {
            let mut chain = vec![id.to_string()];
            chain.extend(
                self.ancestors(id)
                    .into_iter()
                    .take_while(|a| *a != caller.tenant_id),
            );
            // Status and code for a self-service lock-out are unconfirmed: 403 / 1002
            // ("access denied") is the closest documented pair.
            if let Some(locked) = chain
                .iter()
                .filter_map(|c| self.tenants.get(c))
                .find(|c| !c.ancestral_access)
            {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    1002,
                    format!(
                        "Access denied: tenant '{}' is in self-service mode.",
                        locked.name
                    ),
                )
                .with_context(json!({"id": id})));
            }
        }
        let lock_owner = t.update_lock.get("owner_id").and_then(Value::as_str);
        if t.update_lock.get("enabled") == Some(&Value::Bool(true))
            && lock_owner.is_some_and(|o| o != caller.tenant_id)
        {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                1012,
                "The tenant is locked.",
            )
            .with_context(json!({"id": id})));
        }
        Ok(t)
    }

    pub fn tenant_json(&self, t: &Tenant) -> Value {
        let has_children = self.children.get(&t.id).is_some_and(|c| !c.is_empty());
        json!({
            "id": t.id,
            "version": t.version,
            "name": t.name,
            "kind": t.kind,
            "parent_id": t.parent_id,
            "enabled": t.enabled,
            "customer_type": "default",
            "customer_id": t.customer_id,
            "internal_tag": t.internal_tag,
            "language": t.language,
            "contact": t.contact,
            "owner_id": null,
            "has_children": has_children,
            "ancestral_access": t.ancestral_access,
            "brand_id": 1,
            "brand_uuid": BRAND_UUID,
            "default_idp_id": t.default_idp_id,
            "update_lock": t.update_lock,
            "mfa_status": t.mfa_status,
            "pricing_mode": t.pricing.mode,
            "production_start_date": t.pricing.production_start_date.map(naive_time),
            "external_operation_status": "no_operation",
            "created_at": account_time(t.created_at),
            "updated_at": account_time(t.updated_at),
            "deleted_at": null,
        })
    }

    /// The `/1/…/<legacy id>/` path used by alert `tenant.locator`.
    pub fn locator(&self, id: &str) -> String {
        let mut ids: Vec<u64> = self
            .ancestors(id)
            .iter()
            .rev()
            .filter_map(|a| self.tenants.get(a).map(|t| t.legacy_id))
            .collect();
        if let Some(t) = self.tenants.get(id) {
            ids.push(t.legacy_id);
        }
        let mut s = String::from("/");
        for i in ids {
            s.push_str(&format!("{i}/"));
        }
        s
    }

    /// The `/<root uuid>/…/<uuid>/` path of the newer alert `tenant.locator` shape.
    pub fn uuid_locator(&self, id: &str) -> String {
        let mut s = String::from("/");
        for a in self.ancestors(id).iter().rev() {
            s.push_str(a);
            s.push('/');
        }
        s.push_str(id);
        s.push('/');
        s
    }

    /// Applies the automatic trial → production switch to every trial tenant whose
    /// month of trial is over by `now`. Evaluated lazily before each request.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        let due: Vec<String> = self
            .in_trial
            .iter()
            .filter(|id| {
                self.tenants
                    .get(*id)
                    .is_some_and(|t| production_due(t.pricing.trial_since) <= now)
            })
            .cloned()
            .collect();
        for id in due {
            let at_ms = self.next_quota_version(now);
            if let Some(t) = self.tenants.get_mut(&id) {
                let at = production_due(t.pricing.trial_since);
                t.pricing.mode = "production".to_string();
                t.pricing.production_start_date = Some(at);
                t.pricing.version = at_ms;
            }
            self.in_trial.remove(&id);
        }
    }

    /// A unique, increasing Unix-nanosecond stamp (alerts order and page by it).
    pub fn stamp_ns(&mut self, now: DateTime<Utc>) -> i64 {
        let ns = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
        self.last_stamp_ns = ns.max(self.last_stamp_ns + 1);
        self.last_stamp_ns
    }

    /// A fresh ms-epoch-like revision number, strictly increasing (quota and pricing
    /// versions after an edit).
    pub fn next_quota_version(&mut self, now: DateTime<Utc>) -> i64 {
        self.last_quota_version = now.timestamp_millis().max(self.last_quota_version + 1);
        self.last_quota_version
    }

    /// Non-zero usage attached to this item (same infra; the item's own usage name or a
    /// storage split of it).
    pub fn item_in_use(&self, tenant_id: &str, item: &OfferingItem) -> bool {
        self.usages.get(tenant_id).is_some_and(|us| {
            us.iter().any(|u| {
                u.infra_id == item.infra_id
                    && u.edition == item.edition
                    && super::catalogue::parent_usage_name(&u.usage_name) == item.usage_name
                    && u.absolute_value != 0
            })
        })
    }

    /// Storage ids a tenant has items for (status 1).
    pub fn tenant_infra(&self, tenant_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in self.items.get(tenant_id).into_iter().flatten() {
            if i.status == 1
                && let Some(infra) = &i.infra_id
                && !out.contains(infra)
            {
                out.push(infra.clone());
            }
        }
        out
    }
}

/// When a trial begun at `since` becomes production: after one full calendar month,
/// i.e. at the start of the month after the first whole month of trial.
pub fn production_due(since: DateTime<Utc>) -> DateTime<Utc> {
    let month_start = first_of_month(since);
    let first_full = if month_start == since {
        month_start
    } else {
        month_start + Months::new(1)
    };
    first_full + Months::new(1)
}

pub fn first_of_month(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(t)
}

/// Account-server timestamps: RFC3339 with microseconds and `+00:00`.
pub fn account_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Zone-less seconds, as in the pricing captures (`2020-08-04T12:47:03`).
pub fn naive_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Alert timestamps: RFC3339 with nanoseconds and `Z`.
pub fn alert_time(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    #[test]
    fn trial_ends_after_one_full_calendar_month() {
        for (since, due) in [
            ("2024-03-15T10:00:00Z", "2024-05-01T00:00:00Z"),
            ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"),
            ("2024-03-01T00:00:01Z", "2024-05-01T00:00:00Z"),
            ("2024-12-31T23:59:59Z", "2025-02-01T00:00:00Z"),
        ] {
            assert_eq!(production_due(at(since)), at(due), "trial since {since}");
        }
    }
}
