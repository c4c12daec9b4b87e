//! What every benchmark sets up the same way: an embedded store in a temp folder, the
//! simulators' demo credentials, the settings, the generated customers mapped, and the
//! context; and this process's memory figures.
#![allow(dead_code)] // each bench uses a part

use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
use bridge_core::settings::Settings;
use bridge_jobs::{Clock, Context, SystemClock};
use bridge_store::events::InProcessBus;
use bridge_store::secrets::{FileSecretSource, SecretSource};
use bridge_store::store::{SqliteStore, Store};
use simulators::acronis::generated_customer_id;
use simulators::autotask::{DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
use std::path::PathBuf;
use std::sync::Arc;

/// The bridge as a bench runs it; the temp folder goes when this is dropped.
pub struct Bridge {
    pub store: Arc<dyn Store>,
    pub bus: InProcessBus,
    pub ctx: Context,
    dir: PathBuf,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A bridge pointed at the simulators, with `settings` saved and the first `mapped`
/// generated customers mapped to their tenants.
pub async fn bridge(
    label: &str,
    zone_lookup: String,
    acronis_url: String,
    settings: &Settings,
    mapped: usize,
) -> anyhow::Result<Bridge> {
    let dir = std::env::temp_dir().join(format!("{label}-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.join("bridge.db")).await?);
    let secrets = FileSecretSource::new(dir.join("secrets.json"));
    secrets
        .put_autotask(&AutotaskCredentials {
            username: DEMO_USER.into(),
            secret: DEMO_SECRET.into(),
            integration_code: DEMO_INTEGRATION_CODE.into(),
            zone_url: None,
            saved_at: None,
        })
        .await?;
    secrets
        .put_acronis(&AcronisCredentials {
            datacenter_url: acronis_url,
            client_id: "demo-client".into(),
            client_secret: "demo-client-secret".into(),
            saved_at: None,
        })
        .await?;
    store.put_settings(settings, None).await?;
    let now = SystemClock.now();
    for i in 1..=mapped {
        store
            .put_mapping(&CustomerMapping {
                held: None,
                company_id: i as i64,
                tenant_id: generated_customer_id(i),
                origin: MappingOrigin::Manual,
                created_at: now,
                no_services_since: None,
                tenant_kind: MappedTenantKind::Customer,
            })
            .await?;
    }
    let bus = InProcessBus::new();
    let ctx = Context::new(
        store.clone(),
        Arc::new(secrets),
        Arc::new(bus.clone()),
        Arc::new(SystemClock),
        zone_lookup,
    );
    Ok(Bridge {
        store,
        bus,
        ctx,
        dir,
    })
}

/// A memory figure of this process in MiB from `/proc/self/status` (Linux), 0 when
/// unknown.
pub fn status_mib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Resets `VmHWM` to the current RSS (Linux 4.0 and later), so the next reading is the
/// peak of what follows rather than of the setup.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
