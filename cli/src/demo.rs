//! `--demo`: both API simulators with the demo scenario, and the bridge pointed at them.
//!
//! The simulators are the cargo feature `simulators` of this crate (on by default, so
//! the local binary has them); an operator-only build without it refuses `--demo`.

#[cfg(feature = "simulators")]
use anyhow::Context as _;
#[cfg(feature = "simulators")]
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
#[cfg(feature = "simulators")]
use bridge_core::secret::Secret;
use bridge_core::settings::Settings;
use bridge_core::validation::SettingsErrors;
use bridge_jobs::Context;
use bridge_jobs::audit::Audit;
use serde_json::Value;
#[cfg(feature = "simulators")]
use serde_json::json;
#[cfg(feature = "simulators")]
use simulators::acronis::AcronisSim;
#[cfg(feature = "simulators")]
use simulators::autotask::{AutotaskSim, DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
#[cfg(feature = "simulators")]
use simulators::scenario::Scenario;

/// The Acronis API client seeded in `tests/scenarios/demo/acronis.json`.
pub const DEMO_CLIENT_ID: &str = "demo-client";
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";

/// Settings that map the demo scenario's services, storage and alert types
/// (`tests/scenarios/demo/`); saved only into a store that has no settings yet.
pub const DEMO_SETTINGS: &str = include_str!("../demo-settings.json");

/// The demo MSP's existing customers: Autotask companies already mapped to the Acronis
/// tenant of the same name (as an MSP does before switching on automatic creation), so
/// the demo shows the jobs working on mapped customers, a self-service tenant skipped
/// (Northwind) and a new tenant provisioned for the one unmapped contract customer.
pub const DEMO_MAPPINGS: &[(i64, &str, &str)] = &[
    (
        174,
        "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e12",
        "Northwind Traders",
    ),
    (175, "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10", "Contoso Ltd"),
    (176, "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11", "Fabrikam Inc"),
    (177, "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e13", "Tailspin Toys"),
    (
        178,
        "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e21",
        "Adventure Works",
    ),
];

/// The running simulators; they stop when this is dropped.
#[cfg(feature = "simulators")]
pub struct Simulators {
    pub autotask: AutotaskSim,
    pub acronis: AcronisSim,
}

/// A build without the simulators has none to run.
#[cfg(not(feature = "simulators"))]
pub enum Simulators {}

#[cfg(feature = "simulators")]
impl Simulators {
    pub fn autotask_url(&self) -> String {
        self.autotask.base_url()
    }
    pub fn zone_lookup_url(&self) -> String {
        self.autotask.zone_lookup_url()
    }
    pub fn acronis_url(&self) -> String {
        self.acronis.base_url()
    }
}

#[cfg(not(feature = "simulators"))]
impl Simulators {
    pub fn autotask_url(&self) -> String {
        match *self {}
    }
    pub fn zone_lookup_url(&self) -> String {
        match *self {}
    }
    pub fn acronis_url(&self) -> String {
        match *self {}
    }
}

/// Without the simulators there is no demo.
#[cfg(not(feature = "simulators"))]
pub async fn start_simulators(_: u16, _: u16) -> anyhow::Result<Simulators> {
    anyhow::bail!(
        "this build has no simulators (cargo feature `simulators`): --demo is not available"
    )
}

#[cfg(not(feature = "simulators"))]
pub async fn save_credentials(_: &Context, sims: &Simulators) -> anyhow::Result<()> {
    match *sims {}
}

/// Starts both simulators on loopback (port 0 = any free port).
#[cfg(feature = "simulators")]
pub async fn start_simulators(autotask_port: u16, acronis_port: u16) -> anyhow::Result<Simulators> {
    let scenario = Scenario::demo()?;
    let autotask = simulators::autotask::start_on(scenario.autotask, autotask_port)
        .await
        .with_context(|| format!("Autotask simulator cannot listen on port {autotask_port} (--autotask-port 0 picks a free port)"))?;
    let acronis = simulators::acronis::start_on(scenario.acronis, acronis_port)
        .await
        .with_context(|| format!("Acronis simulator cannot listen on port {acronis_port} (--acronis-port 0 picks a free port)"))?;
    Ok(Simulators { autotask, acronis })
}

/// The one who made the demo's own changes, in the audit log.
pub const DEMO_ACTOR: &str = "demo";

#[cfg(feature = "simulators")]
/// Saves the demo API users of both simulators, on every start: the simulators may listen
/// on other ports than last time. The Autotask user's zone (where the simulator listens
/// now) is saved with it, as saving credentials through the config API does, so a
/// later `bridge run --once` without `--demo` reaches the simulator without a zone lookup
/// at Autotask's own host. Each save that changes what the credentials show is audited.
pub async fn save_credentials(ctx: &Context, sims: &Simulators) -> anyhow::Result<()> {
    let now = Some(chrono::Utc::now());
    let autotask = AutotaskCredentials {
        username: DEMO_USER.to_owned(),
        secret: Secret::new(DEMO_SECRET),
        integration_code: DEMO_INTEGRATION_CODE.to_owned(),
        zone_url: Some(sims.autotask.api_url()),
        saved_at: now,
    };
    let before = ctx.secrets.get_autotask().await?.map(|c| autotask_view(&c));
    ctx.secrets.put_autotask(&autotask).await?;
    audit_saved(ctx, "autotask", before, autotask_view(&autotask)).await?;

    let acronis = AcronisCredentials {
        datacenter_url: sims.acronis_url(),
        client_id: DEMO_CLIENT_ID.to_owned(),
        client_secret: Secret::new(DEMO_CLIENT_SECRET),
        saved_at: now,
    };
    let before = ctx.secrets.get_acronis().await?.map(|c| acronis_view(&c));
    ctx.secrets.put_acronis(&acronis).await?;
    audit_saved(ctx, "acronis", before, acronis_view(&acronis)).await?;
    Ok(())
}

#[cfg(feature = "simulators")]
/// What the audit log shows of saved credentials: the same fields as `GET /credentials`,
/// never a secret.
fn autotask_view(c: &AutotaskCredentials) -> Value {
    json!({
        "set": true,
        "username": c.username,
        "integration_code_set": !c.integration_code.is_empty(),
        "zone_url": c.zone_url,
        "saved_at": c.saved_at,
    })
}

#[cfg(feature = "simulators")]
fn acronis_view(c: &AcronisCredentials) -> Value {
    json!({
        "set": true,
        "datacenter_url": c.datacenter_url,
        "client_id": c.client_id,
        "saved_at": c.saved_at,
    })
}

#[cfg(feature = "simulators")]
/// `credentials.<api>.saved`, unless only the time of saving differs (the simulators
/// listen where they did last time).
async fn audit_saved(
    ctx: &Context,
    api: &str,
    before: Option<Value>,
    after: Value,
) -> anyhow::Result<()> {
    let unchanged = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(fields) = &mut v {
            fields.remove("saved_at");
        }
        v
    };
    if before.as_ref().map(unchanged) == Some(unchanged(&after)) {
        return Ok(());
    }
    Audit {
        actor: DEMO_ACTOR,
        kind: &format!("credentials.{api}.saved"),
        subject: format!("credentials:{api}"),
        before,
        after: Some(after),
        reason: Some("demo set-up".into()),
    }
    .write(ctx)
    .await?;
    Ok(())
}

pub fn demo_settings() -> Result<Settings, SettingsErrors> {
    Settings::parse(DEMO_SETTINGS)
}

/// Saves the demo settings and mappings unless the store already holds settings (an
/// operator's changes survive a restart), each with its audit entry as the config API
/// would write it, in the name of [`DEMO_ACTOR`]. Returns whether they were saved.
pub async fn seed_settings(ctx: &Context) -> anyhow::Result<bool> {
    let store = &ctx.store;
    if store.get_settings().await?.is_some() {
        return Ok(false);
    }
    let settings = demo_settings().map_err(|e| anyhow::anyhow!("cli/demo-settings.json: {e}"))?;
    let now = chrono::Utc::now();
    for (company_id, tenant_id, _) in DEMO_MAPPINGS {
        if store.get_mapping_by_company(*company_id).await?.is_some() {
            continue;
        }
        let mapping = CustomerMapping {
            held: None,
            deletion: None,
            company_id: *company_id,
            tenant_id: (*tenant_id).to_owned(),
            origin: MappingOrigin::Manual,
            created_at: now,
            no_services_since: None,
            tenant_kind: MappedTenantKind::Customer,
        };
        store.put_mapping(&mapping).await?;
        let mut after = serde_json::to_value(&mapping)?;
        if let Value::Object(fields) = &mut after {
            fields.insert("tenant_kind".into(), mapping.tenant_kind.as_str().into());
        }
        Audit {
            actor: DEMO_ACTOR,
            kind: "mapping.created",
            subject: format!("company:{company_id}"),
            before: None,
            after: Some(after),
            reason: Some("demo set-up: an existing customer of the demo MSP".into()),
        }
        .write(ctx)
        .await?;
    }
    match store.put_settings(&settings, None).await {
        Ok(_) => {}
        // Saved by someone else in the meantime: theirs stay.
        Err(bridge_store::store::StoreError::Conflict { .. }) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    Audit {
        actor: DEMO_ACTOR,
        kind: "settings.updated",
        subject: "settings".into(),
        before: None,
        after: Some(serde_json::to_value(&settings)?),
        reason: Some("demo set-up: cli/demo-settings.json".into()),
    }
    .write(ctx)
    .await?;
    Ok(true)
}
