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
                deletion: None,
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

/// Both simulators running in a child process (this bench binary started again), so
/// the memory a bench prints is the bridge's alone. Stopped when dropped.
pub struct ChildSimulators {
    child: std::process::Child,
    pub zone_lookup: String,
    pub autotask: String,
    pub acronis: String,
}

impl Drop for ChildSimulators {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts this binary again with `env_var` set to `n`; the child calls [`serve`].
pub fn start_child(env_var: &str, n: usize) -> anyhow::Result<ChildSimulators> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe()?)
        .env(env_var, n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let parts: Vec<&str> = line.split_whitespace().collect();
    let ["ready", zone_lookup, autotask, acronis] = parts.as_slice() else {
        anyhow::bail!("the simulators did not start: {line:?}");
    };
    Ok(ChildSimulators {
        zone_lookup: (*zone_lookup).to_owned(),
        autotask: (*autotask).to_owned(),
        acronis: (*acronis).to_owned(),
        child,
    })
}

/// The child's side: both simulators with `scenario`, their URLs on stdout, until the
/// parent closes stdin.
pub async fn serve(scenario: simulators::scenario::Scenario) -> anyhow::Result<()> {
    use std::io::Read;
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    println!(
        "ready {} {} {}",
        autotask.zone_lookup_url(),
        autotask.base_url(),
        acronis.base_url()
    );
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    Ok(())
}
