//! The scenario file shape (`tests/scenarios/<name>/acronis.json`), loading it into the
//! world, and the generated large scenario. Also the state edits the control routes and
//! test helpers share (usage, storages, tenant fields), so both behave the same.

use super::catalogue::{CatalogueItem, default_catalogue, infer, parent_usage_name};
use super::http::{lenient_bool, lenient_i64};
use super::state::{
    ApiClient, Location, OfferingItem, Quota, ROOT_ID, Storage, Usage, User, World,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Everything the simulator starts from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// API clients (client credentials), each bound to a tenant.
    #[serde(default)]
    pub clients: Vec<ClientSeed>,
    #[serde(default)]
    pub locations: Vec<LocationSeed>,
    /// Storages (infra components); the first one is the default storage of customers.
    #[serde(default)]
    pub storages: Vec<StorageSeed>,
    /// Offering-item kinds; absent = the built-in per-workload catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<Vec<CatalogueItem>>,
    /// Tenants, parents before children; no `parent_id` = directly under the platform root.
    #[serde(default)]
    pub tenants: Vec<TenantSeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Alerts in the shape `fire_alert` takes: `type`, `severity`, `tenant_id`,
    /// `details`, optional `id`, `createdAt` (RFC3339), `dismissed`, `tenant_shape`.
    #[serde(default)]
    pub alerts: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    pub client_id: String,
    pub client_secret: String,
    pub tenant_id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationSeed {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner_tenant_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSeed {
    pub id: String,
    pub name: String,
    /// Default: the first location.
    #[serde(default)]
    pub location_id: Option<String>,
    /// `acronis` (default), `azure`, `s3`, `s3_compatible`.
    #[serde(default)]
    pub backend_type: Option<String>,
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub owner_tenant_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSeed {
    pub id: String,
    pub name: String,
    /// `partner`, `folder`, `customer`, `unit`.
    pub kind: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub internal_tag: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `false` = self-service (the partner is locked out of changes).
    #[serde(default)]
    pub ancestral_access: Option<bool>,
    /// `trial` or `production` (default: seeded tenants are in production).
    #[serde(default)]
    pub pricing_mode: Option<String>,
    /// Creation (and trial start) time; default: the simulator's start.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub mfa_status: Option<String>,
    #[serde(default)]
    pub contact: Option<Value>,
    /// Storage ids the tenant has items for; default: all for partners and folders,
    /// the first storage for customers.
    #[serde(default)]
    pub storages: Option<Vec<String>>,
    /// Changes to the catalogue defaults, matched by `name` (and `infra_id` if given).
    #[serde(default)]
    pub offering_items: Vec<ItemSeed>,
    /// Usage records in the shape `set_usage` takes.
    #[serde(default)]
    pub usages: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSeed {
    pub name: String,
    #[serde(default)]
    pub infra_id: Option<String>,
    #[serde(default)]
    pub status: Option<u8>,
    /// `{"value", "overage"}`; a non-null value gets an ms-epoch-like version.
    #[serde(default)]
    pub quota: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    #[serde(default)]
    pub id: Option<String>,
    pub tenant_id: String,
    pub login: String,
    #[serde(default)]
    pub contact: Option<Value>,
    #[serde(default)]
    pub activated: bool,
}

/// Fixed ids of the generated scenario.
pub const GENERATED_PARTNER_ID: &str = "c0000000-0000-4000-8000-000000000001";
pub const GENERATED_STORAGE_ID: &str = "5d000000-0000-4000-8000-000000000001";
const GENERATED_LOCATION_ID: &str = "10c00000-0000-4000-8000-000000000001";

/// The Autotask company id the `i`-th generated customer (1-based) is mapped to; it is
/// the tenant's `customer_id`. The Autotask generator numbers its companies `1..=n`.
pub fn generated_company_id(i: usize) -> String {
    i.to_string()
}

/// Tenant id of the `i`-th generated customer (1-based).
pub fn generated_customer_id(i: usize) -> String {
    format!("c1000000-0000-4000-8000-{i:012}")
}

impl Seed {
    /// The partner (client `demo-client` / `demo-client-secret`) with one Acronis storage
    /// and `companies` customers "Company 00001"…, each with the default items and a
    /// few usages, and alerts of both tenant shapes (see [`generated_alerts`]).
    /// Deterministic.
    pub fn generate(companies: usize) -> Seed {
        let tenants = std::iter::once(TenantSeed {
            id: GENERATED_PARTNER_ID.to_string(),
            name: "MSP Partner".to_string(),
            kind: "partner".to_string(),
            ..TenantSeed::default()
        })
        .chain((1..=companies).map(|i| TenantSeed {
            id: generated_customer_id(i),
            name: format!("Company {i:05}"),
            kind: "customer".to_string(),
            parent_id: Some(GENERATED_PARTNER_ID.to_string()),
            customer_id: Some(generated_company_id(i)),
            usages: vec![
                json!({"name": "pw_base_workstations", "value": i % 7}),
                json!({"name": "pw_base_servers", "value": i % 3}),
                json!({"name": "pw_base_storage", "value": (i as i64 % 50) * 1_610_612_736}),
            ],
            ..TenantSeed::default()
        }))
        .collect();
        Seed {
            clients: vec![ClientSeed {
                client_id: "demo-client".to_string(),
                client_secret: "demo-client-secret".to_string(),
                tenant_id: GENERATED_PARTNER_ID.to_string(),
                name: Some("Bridge".to_string()),
            }],
            locations: vec![LocationSeed {
                id: GENERATED_LOCATION_ID.to_string(),
                name: "Default location".to_string(),
                owner_tenant_id: None,
            }],
            storages: vec![StorageSeed {
                id: GENERATED_STORAGE_ID.to_string(),
                name: "Acronis Cloud Storage".to_string(),
                ..StorageSeed::default()
            }],
            tenants,
            alerts: generated_alerts(companies),
            ..Seed::default()
        }
    }
}

/// Tenant id of the `k`-th sub-partner (1-based) of [`Seed::generate_msp`].
pub fn generated_sub_partner_id(k: usize) -> String {
    format!("c2000000-0000-4000-8000-{k:012}")
}

impl Seed {
    /// The MSP-shaped variant of [`Seed::generate`] for benchmarks: one sub-partner per
    /// hundred customers (at least one) holding every tenth customer, and alerts on 0.5 %
    /// of the customers (of [`generated_alerts`], those of customers 1, 102, 401, 502…).
    pub fn generate_msp(companies: usize) -> Seed {
        let mut seed = Seed::generate(companies);
        let subs = (companies / 100).max(1);
        for k in 1..=subs {
            seed.tenants.push(TenantSeed {
                id: generated_sub_partner_id(k),
                name: format!("Sub-partner {k:03}"),
                kind: "partner".to_string(),
                parent_id: Some(GENERATED_PARTNER_ID.to_string()),
                ..TenantSeed::default()
            });
        }
        for (i, tenant) in seed.tenants.iter_mut().enumerate() {
            // Index 0 is the partner; customers are 1..=n.
            if i > 0 && i <= companies && i % 10 == 0 {
                tenant.parent_id = Some(generated_sub_partner_id(i / 10 % subs + 1));
            }
        }
        // Sub-partners must exist before their customers are seeded.
        let (partners, customers): (Vec<_>, Vec<_>) =
            seed.tenants.drain(..).partition(|t| t.kind == "partner");
        seed.tenants = partners.into_iter().chain(customers).collect();
        seed.alerts = generated_alerts(companies)
            .into_iter()
            .filter(|a| {
                a["id"]
                    .as_str()
                    .and_then(|id| id.rsplit('-').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|i| matches!(i % 400, 1 | 102))
            })
            .collect();
        seed
    }
}

/// The alerts of the generated scenario: in every hundred customers, the first gets a
/// `BackupFailed` whose tenant comes as id + uuid + locator, the second a CTI malware
/// alert whose tenant comes as a uuid id + uuid locator (no `uuid`). Ids are
/// `A0000000-0000-4000-8000-<customer number>`; they were created on 2024-01-15, one
/// second apart, so they are older than anything a test fires.
pub fn generated_alerts(companies: usize) -> Vec<Value> {
    (1..=companies)
        .filter(|i| matches!(i % 100, 1 | 2))
        .map(|i| {
            let created = format!("2024-01-15T{:02}:{:02}:{:02}Z", i / 3600 % 24, i / 60 % 60, i % 60);
            let id = format!("A0000000-0000-4000-8000-{i:012}");
            let tenant = generated_customer_id(i);
            if i % 100 == 1 {
                json!({"id": id, "type": "BackupFailed", "severity": "error", "tenant_id": tenant,
                       "createdAt": created, "tenant_shape": "legacy",
                       "details": {"planName": "Nightly", "resourceName": format!("SRV-{i:05}"),
                                   "errorMessage": {"reason": "The storage is not reachable."}}})
            } else {
                json!({"id": id, "type": super::alerts::CTI_MALWARE, "severity": "critical",
                       "tenant_id": tenant, "createdAt": created, "tenant_shape": "uuid",
                       "details": {"title": "Malware detected",
                                   "description": format!("A threat was quarantined on PC-{i:05}."),
                                   "fields": {"Threat": "Trojan.Generic", "Path": "C:\\Users\\Public\\x.exe"}}})
            }
        })
        .collect()
}

impl World {
    /// Builds the world a seed describes; errors name the offending entry.
    pub fn from_seed(seed: &Seed, now: DateTime<Utc>) -> Result<World, String> {
        let mut w = World::new(
            seed.catalogue.clone().unwrap_or_else(default_catalogue),
            now,
        );
        for l in &seed.locations {
            w.locations.insert(
                l.id.clone(),
                Location {
                    id: l.id.clone(),
                    owner_tenant_id: l
                        .owner_tenant_id
                        .clone()
                        .unwrap_or_else(|| ROOT_ID.to_string()),
                    platform_owned: l.owner_tenant_id.is_none(),
                    name: l.name.clone(),
                    version: 1,
                    readonly: false,
                },
            );
        }
        for s in &seed.storages {
            w.insert_storage(&json!({
                "id": s.id, "name": s.name, "location_id": s.location_id,
                "backend_type": s.backend_type, "capabilities": s.capabilities,
                "owner_tenant_id": s.owner_tenant_id,
            }))?;
        }
        let all_storages: Vec<String> = seed.storages.iter().map(|s| s.id.clone()).collect();
        for t in &seed.tenants {
            w.seed_tenant(t, &all_storages, now)
                .map_err(|e| format!("tenant '{}': {e}", t.id))?;
        }
        for c in &seed.clients {
            if !w.tenants.contains_key(&c.tenant_id) {
                return Err(format!(
                    "client '{}': unknown tenant '{}'",
                    c.client_id, c.tenant_id
                ));
            }
            w.clients.insert(
                c.client_id.clone(),
                ApiClient {
                    client_id: c.client_id.clone(),
                    secret: c.client_secret.clone(),
                    tenant_id: c.tenant_id.clone(),
                    name: c.name.clone().unwrap_or_else(|| c.client_id.clone()),
                    created_at: now,
                },
            );
        }
        for (n, u) in seed.users.iter().enumerate() {
            if !w.tenants.contains_key(&u.tenant_id) {
                return Err(format!("users[{n}]: unknown tenant '{}'", u.tenant_id));
            }
            if w.logins.contains_key(&u.login.to_lowercase()) {
                return Err(format!("users[{n}]: login '{}' is used twice", u.login));
            }
            let id =
                u.id.clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            w.logins.insert(u.login.to_lowercase(), id.clone());
            w.users.insert(
                id.clone(),
                User {
                    id,
                    version: 1,
                    tenant_id: u.tenant_id.clone(),
                    login: u.login.clone(),
                    contact: u.contact.clone().unwrap_or_else(|| json!({})),
                    activated: u.activated,
                    enabled: true,
                    language: "en".to_string(),
                    personal_tenant_id: uuid::Uuid::new_v4().to_string(),
                    notifications: json!(["quota", "reports", "backup_daily_report"]),
                    business_types: json!([]),
                    external_id: None,
                    access_policies: Vec::new(),
                    created_at: now,
                },
            );
        }
        let default_tenant = seed
            .clients
            .first()
            .map_or(ROOT_ID.to_string(), |c| c.tenant_id.clone());
        for (n, a) in seed.alerts.iter().enumerate() {
            w.upsert_alert(a, &default_tenant, now)
                .map_err(|e| format!("alerts[{n}]: {}", e.message))?;
        }
        Ok(w)
    }

    fn seed_tenant(
        &mut self,
        s: &TenantSeed,
        all_storages: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        if self.tenants.contains_key(&s.id) {
            return Err("id is used twice".into());
        }
        let parent = s.parent_id.clone().unwrap_or_else(|| ROOT_ID.to_string());
        if !self.tenants.contains_key(&parent) {
            return Err(format!("parent '{parent}' must be listed before it"));
        }
        let created = s.created_at.unwrap_or(now);
        let mut t = self.new_tenant(&s.id, &s.name, &s.kind, Some(&parent), created);
        t.customer_id = s.customer_id.clone();
        t.internal_tag = s.internal_tag.clone();
        t.enabled = s.enabled.unwrap_or(true);
        t.ancestral_access = s.ancestral_access.unwrap_or(true);
        if let Some(m) = &s.mfa_status {
            t.mfa_status = m.clone();
        }
        if let Some(c) = &s.contact {
            t.contact = c.clone();
        }
        match s.pricing_mode.as_deref() {
            Some("trial") => {
                t.pricing.mode = "trial".into();
                t.pricing.production_start_date = None;
            }
            None | Some("production") => {
                t.pricing.mode = "production".into();
                t.pricing.production_start_date = Some(created);
            }
            Some(other) => {
                return Err(format!("pricing_mode '{other}' is not trial or production"));
            }
        }
        let storages = match &s.storages {
            Some(list) => {
                if let Some(bad) = list.iter().find(|id| !self.storages.contains_key(*id)) {
                    return Err(format!("unknown storage '{bad}'"));
                }
                list.clone()
            }
            None if s.kind == "customer" => all_storages.iter().take(1).cloned().collect(),
            None => all_storages.to_vec(),
        };
        let mut items = Vec::with_capacity(self.catalogue.len() + storages.len());
        for c in &self.catalogue {
            if c.item_type == "infra" {
                for st in &storages {
                    items.push(OfferingItem::from_catalogue(c, Some(st), c.default_status));
                }
            } else {
                items.push(OfferingItem::from_catalogue(c, None, c.default_status));
            }
        }
        for o in &s.offering_items {
            let mut hit = false;
            for i in items
                .iter_mut()
                .filter(|i| i.name == o.name && (o.infra_id.is_none() || i.infra_id == o.infra_id))
            {
                hit = true;
                if let Some(st) = o.status {
                    i.status = st;
                }
                if let (Some(q), Some(_)) = (&o.quota, &i.quota) {
                    let value = q
                        .get("value")
                        .filter(|v| !v.is_null())
                        .map(|v| lenient_i64(v, "quota.value"))
                        .transpose()
                        .map_err(|e| e.message)?;
                    let overage = q
                        .get("overage")
                        .filter(|v| !v.is_null())
                        .map(|v| lenient_i64(v, "quota.overage"))
                        .transpose()
                        .map_err(|e| e.message)?;
                    i.quota = Some(match value {
                        None => Quota::unlimited(),
                        Some(v) => Quota {
                            value: Some(v),
                            overage,
                            version: self.next_quota_version(now),
                        },
                    });
                }
            }
            if !hit {
                return Err(format!(
                    "offering item '{}' is not in the catalogue for this tenant",
                    o.name
                ));
            }
        }
        let id = s.id.clone();
        self.items.insert(id.clone(), items);
        self.bindings.insert(
            id.clone(),
            [super::catalogue::PLATFORM_APP.to_string()].into(),
        );
        self.insert_tenant(t);
        for (n, u) in s.usages.iter().enumerate() {
            self.set_usage(&id, u, now)
                .map_err(|e| format!("usages[{n}]: {e}"))?;
        }
        Ok(())
    }

    fn catalogue_entry(&self, name: &str) -> Option<&CatalogueItem> {
        self.catalogue.iter().find(|c| c.name == name)
    }

    /// Upserts one usage record of a tenant, keyed by `(name, infra_id)`. `value` and
    /// `absolute_value` default to each other; storage-like names without `infra_id`
    /// go to the tenant's first storage; `updated_at` defaults to now.
    pub fn set_usage(
        &mut self,
        tenant_id: &str,
        v: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        if !self.tenants.contains_key(tenant_id) {
            return Err(format!("unknown tenant '{tenant_id}'"));
        }
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or("field 'name' is required")?
            .to_string();
        let num = |k: &str| {
            v.get(k)
                .filter(|x| !x.is_null())
                .map(|x| lenient_i64(x, k))
                .transpose()
                .map_err(|e| e.message)
        };
        let (value, absolute) = match (num("value")?, num("absolute_value")?) {
            (None, None) => return Err("field 'value' or 'absolute_value' is required".into()),
            (a, b) => (a.or(b).unwrap_or(0), b.or(a).unwrap_or(0)),
        };
        let (edition, usage_name, mut usage_type, unit, app) = match self.catalogue_entry(&name) {
            Some(c) => (
                c.edition.clone(),
                c.usage_name.clone(),
                c.item_type.clone(),
                c.measurement_unit.clone(),
                c.application_id.clone(),
            ),
            None => {
                let (e, u, t, m) = infer(&name, v.get("infra_id").is_some_and(|i| !i.is_null()));
                (e, u, t, m, super::catalogue::BACKUP_APP.to_string())
            }
        };
        let parent = parent_usage_name(&usage_name);
        let infra_like = self
            .catalogue
            .iter()
            .any(|c| c.item_type == "infra" && c.usage_name == parent && c.edition == edition);
        let infra_id = match v.get("infra_id").and_then(Value::as_str) {
            Some(i) => Some(i.to_string()),
            None if infra_like => self.storages_of(tenant_id).into_iter().next(),
            None => None,
        };
        if infra_like && infra_id.is_some() {
            usage_type = "infra".into();
        }
        let updated_at = match v.get("updated_at").and_then(Value::as_str) {
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map_err(|_| "field 'updated_at' must be RFC3339".to_string())?
                .with_timezone(&Utc),
            None => now,
        };
        let record = Usage {
            name: name.clone(),
            usage_name,
            edition,
            usage_type,
            application_id: app,
            infra_id,
            measurement_unit: unit,
            absolute_value: absolute,
            value,
            updated_at,
        };
        let list = self.usages.entry(tenant_id.to_string()).or_default();
        match list
            .iter_mut()
            .find(|u| u.name == record.name && u.infra_id == record.infra_id)
        {
            Some(existing) => *existing = record,
            None => list.push(record),
        }
        Ok(())
    }

    /// Storage ids a tenant has items for, whatever their status.
    fn storages_of(&self, tenant_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in self.items.get(tenant_id).into_iter().flatten() {
            if let Some(s) = &i.infra_id
                && !out.contains(s)
            {
                out.push(s.clone());
            }
        }
        out
    }

    fn insert_storage(&mut self, v: &Value) -> Result<String, String> {
        let id = v["id"]
            .as_str()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        if self.storages.contains_key(&id) {
            return Err(format!("storage '{id}' exists already"));
        }
        let backend = v["backend_type"].as_str().unwrap_or("acronis").to_string();
        if !["acronis", "azure", "s3", "s3_compatible"].contains(&backend.as_str()) {
            return Err(format!(
                "storage '{id}': backend_type '{backend}' is not acronis, azure, s3 or s3_compatible"
            ));
        }
        let location_id = match v["location_id"].as_str() {
            Some(l) if self.locations.contains_key(l) => l.to_string(),
            Some(l) => return Err(format!("storage '{id}': unknown location '{l}'")),
            None => match self.locations.keys().next() {
                Some(l) => l.clone(),
                None => {
                    let l = uuid::Uuid::new_v4().to_string();
                    self.locations.insert(
                        l.clone(),
                        Location {
                            id: l.clone(),
                            owner_tenant_id: ROOT_ID.into(),
                            platform_owned: true,
                            name: "Default location".into(),
                            version: 1,
                            readonly: false,
                        },
                    );
                    l
                }
            },
        };
        let name = v["name"].as_str().map_or_else(
            || format!("Storage {}", self.storages.len() + 1),
            str::to_string,
        );
        let host = format!("{}.storage.example", &id[..id.len().min(8)]);
        let capabilities = match v.get("capabilities").and_then(Value::as_array) {
            Some(c) => c
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            None => vec!["backup".to_string()],
        };
        let owner = v["owner_tenant_id"].as_str().map(str::to_string);
        self.storages.insert(
            id.clone(),
            Storage {
                id: id.clone(),
                owner_tenant_id: owner.clone().unwrap_or_else(|| ROOT_ID.to_string()),
                location_id,
                platform_owned: owner.is_none(),
                name,
                url: format!("acronis+fes://{host}:44445"),
                capabilities,
                content_url: format!("https://browse.{host}"),
                content_mobile_url: format!("https://browse.{host}/mobile/"),
                backend_type: backend,
                version: 1,
                readonly: false,
            },
        );
        Ok(id)
    }

    /// Adds a storage and gives the tenant (and its ancestors, so it stays available
    /// from the parent) the storage items for it, switched on.
    pub fn add_storage(&mut self, tenant_id: &str, v: &Value) -> Result<String, String> {
        if !self.tenants.contains_key(tenant_id) {
            return Err(format!("unknown tenant '{tenant_id}'"));
        }
        let id = self.insert_storage(v)?;
        let infra_kinds: Vec<CatalogueItem> = self
            .catalogue
            .iter()
            .filter(|c| c.item_type == "infra")
            .cloned()
            .collect();
        let mut chain = vec![tenant_id.to_string()];
        chain.extend(
            self.ancestors(tenant_id)
                .into_iter()
                .filter(|a| a != ROOT_ID),
        );
        for t in chain {
            let items = self.items.entry(t).or_default();
            for c in &infra_kinds {
                items.push(OfferingItem::from_catalogue(c, Some(&id), 1));
            }
        }
        Ok(id)
    }

    /// Changes tenant fields as an administrator in the console would: no version check,
    /// no self-service guard; the version still moves on.
    pub fn set_tenant_fields(
        &mut self,
        id: &str,
        fields: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let Value::Object(map) = fields else {
            return Err("fields must be a JSON object".into());
        };
        let mut t = self
            .tenants
            .get(id)
            .cloned()
            .ok_or(format!("unknown tenant '{id}'"))?;
        for (k, v) in map {
            let s = || v.as_str().map(str::to_string);
            match k.as_str() {
                "enabled" => t.enabled = lenient_bool(v, k).map_err(|e| e.message)?,
                "ancestral_access" => {
                    t.ancestral_access = lenient_bool(v, k).map_err(|e| e.message)?
                }
                "name" => t.name = s().ok_or("field 'name' must be a string")?,
                "customer_id" => t.customer_id = s(),
                "internal_tag" => t.internal_tag = s(),
                "language" => t.language = s().unwrap_or_else(|| "en".into()),
                "mfa_status" => t.mfa_status = s().ok_or("field 'mfa_status' must be a string")?,
                "contact" => t.contact = v.clone(),
                "update_lock" => t.update_lock = v.clone(),
                "pricing_mode" => match v.as_str() {
                    Some("trial") => {
                        t.pricing.mode = "trial".into();
                        t.pricing.production_start_date = None;
                        t.pricing.trial_since = now;
                        self.in_trial.insert(id.to_string());
                    }
                    Some("production") => {
                        t.pricing.mode = "production".into();
                        t.pricing.production_start_date = Some(now);
                        self.in_trial.remove(id);
                    }
                    _ => return Err("field 'pricing_mode' must be trial or production".into()),
                },
                "trial_since" | "created_at" => {
                    let at = s()
                        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                        .ok_or(format!("field '{k}' must be RFC3339"))?
                        .with_timezone(&Utc);
                    if k == "created_at" {
                        t.created_at = at;
                    }
                    t.pricing.trial_since = at;
                }
                other => return Err(format!("field '{other}' cannot be set")),
            }
        }
        t.version += 1;
        t.updated_at = now;
        self.tenants.insert(id.to_string(), t);
        Ok(())
    }
}
