//! The world every poller test runs in: both simulators, a real store, the in-process
//! bus, a manual clock and local secrets, wired into one `Context`.

use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::{
    CustomerMapping, MappedTenantKind, MappingOrigin, PublicCloudMappings, ServiceMapping,
    ServiceRef, StorageMapping,
};
use bridge_core::records::{AuditEntry, AuditQuery};
use bridge_core::settings::{
    AccountBasis, Deprovisioning, Features, PricingMode, Provisioning, Settings,
};
use bridge_jobs::{Context, JobSummary, ManualClock, Trigger, contract_poller};
use bridge_store::events::InProcessBus;
use bridge_store::secrets::{FileSecretSource, SecretSource};
use bridge_store::store::{SqliteStore, Store};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use simulators::acronis::{self, AcronisSim, GENERATED_PARTNER_ID, GENERATED_STORAGE_ID};
use simulators::autotask::{self, AutotaskSim, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Autotask service ids of the generated catalogue (`simulators::autotask::CATALOGUE`).
pub const WORKSTATIONS: i64 = 1;
pub const SERVERS: i64 = 2;
pub const M365_SEATS: i64 = 4;
pub const STORAGE: i64 = 6;
pub const STORAGE_BILLED: i64 = 8;
/// The generated "Acronis Protection Bundle": workstations + storage.
pub const PROTECTION_BUNDLE: i64 = 1;
pub const PARTNER: &str = GENERATED_PARTNER_ID;
pub const STORAGE_INFRA: &str = GENERATED_STORAGE_ID;

/// A private folder removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("poller-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Billing on, automatic provisioning by primary contact in production, the catalogue's
/// services mapped (storage with its class rows, Azure as public cloud).
pub fn settings() -> Settings {
    Settings {
        features: Features {
            billing: true,
            ..Features::default()
        },
        provisioning: Provisioning {
            create_accounts_based_on: AccountBasis::CompanyPrimaryContact,
            activation_email: None,
            automatically_create_customers: true,
            two_factor_authentication: false,
            provision_as: PricingMode::Production,
            default_storage: None,
        },
        deprovisioning: Deprovisioning::default(),
        service_mappings: vec![
            mapped("pw_base_workstations", WORKSTATIONS),
            mapped("pw_base_servers", SERVERS),
            mapped("pw_base_o365_seats", M365_SEATS),
        ],
        storage_mappings: vec![StorageMapping {
            infra_id: STORAGE_INFRA.into(),
            quota_and_total: Some(ServiceRef::Id(STORAGE)),
            class1_free: Some(ServiceRef::Id(7)),
            class2_billed: Some(ServiceRef::Id(STORAGE_BILLED)),
            ..StorageMapping::default()
        }],
        public_cloud_mappings: PublicCloudMappings {
            microsoft_azure: Some(ServiceRef::Id(9)),
            ..PublicCloudMappings::default()
        },
        ..Settings::default()
    }
}

fn mapped(item: &str, service: i64) -> ServiceMapping {
    ServiceMapping {
        offering_item: item.into(),
        service: Some(ServiceRef::Id(service)),
        ..ServiceMapping::default()
    }
}

pub struct World {
    pub autotask: AutotaskSim,
    pub acronis: AcronisSim,
    pub store: Arc<dyn Store>,
    pub events: broadcast::Receiver<CompanyContractsChanged>,
    pub clock: Arc<ManualClock>,
    pub ctx: Context,
    pub secrets: Arc<FileSecretSource>,
    bus: InProcessBus,
    _dir: TempDir,
}

impl World {
    /// The generated catalogue with no customers yet, an embedded store, `settings`.
    pub async fn start(settings: Settings) -> World {
        let store = SqliteStore::open_in_memory().await.expect("store");
        Self::with(autotask::Seed::generate(0), settings, Arc::new(store)).await
    }

    pub async fn with(seed: autotask::Seed, settings: Settings, store: Arc<dyn Store>) -> World {
        let autotask = autotask::start(seed).await.expect("autotask sim");
        let acronis = acronis::start(acronis::Seed::generate(0))
            .await
            .expect("acronis sim");
        Self::assemble(autotask, acronis, settings, store).await
    }

    pub async fn assemble(
        autotask: AutotaskSim,
        acronis: AcronisSim,
        settings: Settings,
        store: Arc<dyn Store>,
    ) -> World {
        let dir = TempDir::new();
        let secrets = Arc::new(FileSecretSource::new(dir.0.join("secrets.json")));
        secrets
            .put_autotask(&AutotaskCredentials {
                username: DEMO_USER.into(),
                secret: DEMO_SECRET.into(),
                integration_code: DEMO_INTEGRATION_CODE.into(),
                zone_url: None,
                saved_at: None,
            })
            .await
            .expect("autotask credentials");
        secrets
            .put_acronis(&AcronisCredentials {
                datacenter_url: acronis.base_url(),
                client_id: "demo-client".into(),
                client_secret: "demo-client-secret".into(),
                saved_at: None,
            })
            .await
            .expect("acronis credentials");
        store.put_settings(&settings, None).await.expect("settings");
        let bus = InProcessBus::new();
        let events = bus.subscribe();
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let ctx = Context::new(
            store.clone(),
            secrets.clone(),
            Arc::new(bus.clone()),
            clock.clone(),
            autotask.zone_lookup_url(),
        );
        World {
            autotask,
            acronis,
            store,
            events,
            clock,
            ctx,
            secrets,
            bus,
            _dir: dir,
        }
    }

    /// The same world with zone lookups sent to `url` (a fresh process: nothing cached).
    pub fn use_zone_lookup(&mut self, url: String) {
        self.ctx = Context::new(
            self.store.clone(),
            self.secrets.clone(),
            Arc::new(self.bus.clone()),
            self.clock.clone(),
            url,
        );
    }

    pub async fn run(&self, schedule: &str) -> JobSummary {
        let trigger = Trigger::Schedule {
            name: schedule.into(),
        };
        contract_poller::run(&self.ctx, &trigger, false)
            .await
            .unwrap_or_else(|e| panic!("{schedule} failed: {e}"))
    }

    pub async fn poll(&self) -> JobSummary {
        self.run("poll").await
    }

    pub async fn sweep(&self) -> JobSummary {
        self.run("sweep").await
    }

    pub fn today(&self) -> NaiveDate {
        use bridge_jobs::Clock;
        self.clock.now().date_naive()
    }

    /// A customer company with its primary contact.
    pub fn add_company(&self, id: i64, name: &str, contact: (&str, &str, &str)) {
        self.autotask.insert(
            "Companies",
            json!({"id": id, "companyName": name, "companyType": 1, "isActive": true,
                   "ownerResourceID": 1, "phone": "+1 555 0100"}),
        );
        let (first, last, email) = contact;
        self.autotask.insert(
            "Contacts",
            json!({"companyID": id, "firstName": first, "lastName": last,
                   "emailAddress": email, "isActive": 1, "primaryContact": true}),
        );
    }

    /// An active recurring-service contract over this year and the next two; `payg` is
    /// the "Acronis PAYG" UDF value.
    pub fn add_contract(&self, id: i64, company: i64, payg: Option<&str>) {
        let year = {
            use chrono::Datelike;
            self.today().year()
        };
        let mut contract = json!({
            "id": id, "companyID": company, "contractName": format!("Acronis {id}"),
            "contractType": 7, "contractPeriodType": 1, "status": 1,
            "startDate": format!("{year}-01-01T00:00:00Z"),
            "endDate": format!("{}-12-31T00:00:00Z", year + 2),
            "timeReportingRequiresStartAndStopTimes": 0,
        });
        if let Some(value) = payg {
            contract["userDefinedFields"] = json!([{"name": "Acronis PAYG", "value": value}]);
        }
        self.autotask.insert("Contracts", contract);
    }

    /// A service on a contract with `units` in every billing period; its id.
    pub fn add_service(&self, contract: i64, service: i64, units: i64) -> i64 {
        self.autotask.insert(
            "ContractServices",
            json!({"contractID": contract, "serviceID": service, "units": units}),
        )
    }

    pub fn add_bundle(&self, contract: i64, bundle: i64, units: i64) -> i64 {
        self.autotask.insert(
            "ContractServiceBundles",
            json!({"contractID": contract, "serviceBundleID": bundle, "units": units}),
        )
    }

    /// The id of the contract service of `service` on `contract`.
    pub fn contract_service(&self, contract: i64, service: i64) -> i64 {
        self.autotask
            .records("ContractServices")
            .into_iter()
            .find(|r| r["contractID"] == contract && r["serviceID"] == service)
            .and_then(|r| r["id"].as_i64())
            .unwrap_or_else(|| panic!("no service {service} on contract {contract}"))
    }

    /// The units of a contract service on the bridge's today, as the
    /// ContractServiceUnits rows say.
    pub fn units_today(&self, contract_service: i64) -> Option<i64> {
        let today = self.today().to_string();
        self.autotask
            .records("ContractServiceUnits")
            .into_iter()
            .filter(|r| r["contractServiceID"] == contract_service)
            .find(|r| {
                let day = |f: &str| r[f].as_str().map(|d| d.get(..10).unwrap_or(d).to_owned());
                day("startDate").is_some_and(|s| s <= today)
                    && day("endDate").is_some_and(|e| e >= today)
            })
            .and_then(|r| r["units"].as_i64())
    }

    /// As the MSP's staff change units in the Autotask console: a
    /// ContractServiceAdjustment effective today, through the Autotask API.
    pub async fn adjust_units(&self, contract: i64, contract_service: i64, change: i64) {
        let autotask = self.ctx.autotask().await.expect("client");
        autotask
            .create_child(
                "Contracts",
                contract,
                "ServiceAdjustments",
                &json!({
                    "contractID": contract,
                    "contractServiceID": contract_service,
                    "effectiveDate": format!("{}T00:00:00Z", self.today()),
                    "unitChange": change,
                }),
            )
            .await
            .expect("adjustment");
    }

    /// Creates a tenant through the Acronis API (as an operator would); its id.
    pub async fn acronis_tenant(&self, name: &str, kind: &str, parent: &str) -> String {
        let kind = match kind {
            "partner" => ::acronis::TenantKind::Partner,
            _ => ::acronis::TenantKind::Customer,
        };
        let ac = self.ctx.acronis().await.expect("acronis client");
        ac.create_tenant(&::acronis::TenantCreate::new(name, kind, parent))
            .await
            .expect("create tenant")
            .id
    }

    /// Customer tenants whose `customer_id` is this company's id.
    pub fn tenants_of(&self, company: i64) -> Vec<Value> {
        self.acronis
            .tenants()
            .into_iter()
            .filter(|t| t["kind"] == "customer" && t["customer_id"] == json!(company.to_string()))
            .collect()
    }

    /// The one tenant of a company (panics unless exactly one exists).
    pub fn tenant_of(&self, company: i64) -> Value {
        let mut tenants = self.tenants_of(company);
        assert_eq!(
            tenants.len(),
            1,
            "tenants of company {company}: {tenants:?}"
        );
        tenants.remove(0)
    }

    /// Offering items of a tenant that are switched on, as `name@infra → quota value`.
    pub fn enabled_items(&self, tenant: &str) -> Vec<(String, Value)> {
        self.acronis
            .offering_items(tenant)
            .into_iter()
            .filter(|i| i["status"] == 1)
            .map(|i| {
                let key = match i["infra_id"].as_str() {
                    Some(infra) => format!("{}@{infra}", i["name"].as_str().unwrap_or("")),
                    None => i["name"].as_str().unwrap_or("").to_owned(),
                };
                (key, i["quota"]["value"].clone())
            })
            .collect()
    }

    /// Events published since the last call.
    /// The workstations quota of `tenant` as Acronis has it (`null` when unset).
    pub fn workstations_quota(&self, tenant: &str) -> Value {
        self.acronis
            .offering_items(tenant)
            .into_iter()
            .find(|i| i["name"] == "pw_base_workstations")
            .map(|i| i["quota"]["value"].clone())
            .unwrap_or(Value::Null)
    }

    pub fn drain_events(&mut self) -> Vec<CompanyContractsChanged> {
        let mut out = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            out.push(event);
        }
        out
    }

    pub async fn audit(&self, kind: &str) -> Vec<AuditEntry> {
        use bridge_jobs::Clock;
        let query = AuditQuery {
            kind: Some(kind.into()),
            limit: Some(1000),
            ..AuditQuery::default()
        };
        self.store
            .list_audit(&query, self.clock.now())
            .await
            .expect("audit")
            .items
    }

    pub async fn set_settings(&self, change: impl FnOnce(&mut Settings)) {
        let current = self.store.get_settings().await.expect("get").expect("set");
        let mut settings = current.value;
        change(&mut settings);
        self.store
            .put_settings(&settings, Some(current.version))
            .await
            .expect("put settings");
    }

    /// Moves the bridge's clock (not the simulators'): days pass for the poller only.
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(chrono::Duration::days(days));
    }

    pub fn set_now(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// Autotask API requests logged by the simulator since it was last cleared.
    pub fn autotask_requests(&self) -> usize {
        self.autotask.core().log.len()
    }

    pub fn clear_logs(&self) {
        self.autotask.core().log.clear();
        self.acronis.core().log.clear();
    }
}

/// Notes of a summary as `subject: reason` lines.
pub fn notes(summary: &JobSummary) -> String {
    summary
        .skipped
        .iter()
        .chain(&summary.failed)
        .map(|n| format!("{}: {}", n.subject, n.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

impl World {
    /// A second Lambda container of the same deployment: its own clients and caches,
    /// the same store, secrets, bus and clock.
    pub fn another_container(&self) -> Context {
        Context::new(
            self.store.clone(),
            self.secrets.clone(),
            Arc::new(self.bus.clone()),
            self.clock.clone(),
            self.ctx.autotask_zone_lookup_url.clone(),
        )
    }
}

impl World {
    /// Maps `company` to an existing tenant by hand, as an operator does through the
    /// config API.
    pub async fn map_by_hand(
        &self,
        company: i64,
        tenant: &str,
        kind: MappedTenantKind,
        at: DateTime<Utc>,
    ) {
        self.store
            .put_mapping(&CustomerMapping {
                held: None,
                deletion: None,
                company_id: company,
                tenant_id: tenant.to_owned(),
                origin: MappingOrigin::Manual,
                created_at: at,
                no_services_since: None,
                tenant_kind: kind,
            })
            .await
            .unwrap_or_else(|e| panic!("mapping company {company}: {e}"));
    }
}
