//! What the contract poller costs on the 10,000-company generated scenario:
//! `cargo bench -p bridge-jobs --bench poller`.
//!
//! Every company is mapped (the steady state of a large MSP). Prints the Autotask
//! requests of the first full sweep against the page-count minimum of what it reads
//! (ceil(n / 500) per entity, at least one request each), the Acronis requests, the
//! requests of the first poll after it (it reads the unit rows of future periods once)
//! and of an idle poll, wall times and peak memory (VmHWM, which includes both
//! simulators running in this process). Exits non-zero when an idle poll spends more
//! than 3 Autotask requests or the sweep more than 110 % of the minimum.

use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::mapping::{
    CustomerMapping, MappingOrigin, ServiceMapping, ServiceRef, StorageMapping,
};
use bridge_core::settings::{Features, Settings};
use bridge_jobs::{Clock, Context, JobSummary, SystemClock, Trigger, contract_poller};
use bridge_store::events::InProcessBus;
use bridge_store::secrets::{FileSecretSource, SecretSource};
use bridge_store::store::{SqliteStore, Store};
use simulators::acronis::{GENERATED_STORAGE_ID, generated_customer_id};
use simulators::autotask::{DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

const COMPANIES: usize = 10_000;
const PAGE: usize = 500;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let scenario = simulators::scenario::generate(COMPANIES);
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    let dir = std::env::temp_dir().join(format!("poller-bench-{}", uuid::Uuid::new_v4()));
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
            datacenter_url: acronis.base_url(),
            client_id: "demo-client".into(),
            client_secret: "demo-client-secret".into(),
            saved_at: None,
        })
        .await?;
    store.put_settings(&settings(), None).await?;
    let now = SystemClock.now();
    for i in 1..=COMPANIES {
        store
            .put_mapping(&CustomerMapping {
                company_id: i as i64,
                tenant_id: generated_customer_id(i),
                origin: MappingOrigin::Manual,
                created_at: now,
                no_services_since: None,
            })
            .await?;
    }
    let ctx = Context::new(
        store.clone(),
        Arc::new(secrets),
        Arc::new(InProcessBus::new()),
        Arc::new(SystemClock),
        autotask.zone_lookup_url(),
    );
    println!(
        "setup: {COMPANIES} companies in both simulators, all mapped, in {:.1} s; VmHWM {} MiB",
        started.elapsed().as_secs_f64(),
        status_mib("VmHWM:")
    );

    reset_peak();
    let rss_before = status_mib("VmRSS:");
    let sweep = measure(&ctx, &autotask, &acronis, "sweep").await?;
    let sweep_peak = status_mib("VmHWM:");
    // The page-count minimum of what a sweep reads: every recurring contract, every
    // unit row covering today (service and bundle).
    let today = now.date_naive();
    let covering = |entity: &str| {
        autotask
            .records(entity)
            .iter()
            .filter(|r| {
                let day = |f: &str| {
                    r[f].as_str()
                        .and_then(autotask::datetime::parse)
                        .map(|d| d.date_naive())
                };
                day("startDate").is_some_and(|d| d <= today)
                    && day("endDate").is_some_and(|d| d >= today)
            })
            .count()
    };
    let reads = [
        (
            "Contracts",
            autotask
                .records("Contracts")
                .iter()
                .filter(|c| c["contractType"] == 7)
                .count(),
        ),
        ("ContractServiceUnits", covering("ContractServiceUnits")),
        (
            "ContractServiceBundleUnits",
            covering("ContractServiceBundleUnits"),
        ),
    ];
    let minimum: usize = reads.iter().map(|(_, n)| n.div_ceil(PAGE).max(1)).sum();

    let sweep_requests = sweep.autotask;
    println!(
        "first full sweep: {} Autotask requests (page-count minimum {minimum}: {}), {} Acronis requests, {:.1} s",
        sweep_requests,
        reads
            .iter()
            .map(|(e, n)| format!("{e} {n} rows"))
            .collect::<Vec<_>>()
            .join(", "),
        sweep.acronis,
        sweep.seconds
    );
    println!("  by entity: {:?}", sweep.by_entity);
    println!("  {}", sweep.summary);
    let settle = measure(&ctx, &autotask, &acronis, "poll").await?;
    println!(
        "first poll after it: {} Autotask, {} Acronis requests, {:.2} s  ({})",
        settle.autotask, settle.acronis, settle.seconds, settle.summary
    );
    let idle = measure(&ctx, &autotask, &acronis, "poll").await?;
    println!(
        "idle poll: {} Autotask requests {:?}, {} Acronis, {:.3} s",
        idle.autotask, idle.by_entity, idle.acronis, idle.seconds
    );
    println!(
        "memory: {rss_before} MiB resident before the sweep (both simulators loaded), \
         peak {sweep_peak} MiB during it (VmHWM; the simulators' work included)"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let limit = minimum as f64 * 1.10;
    let mut failed = false;
    if idle.autotask > 3 {
        eprintln!(
            "FAIL: an idle poll spent {} Autotask requests (target: at most 3)",
            idle.autotask
        );
        failed = true;
    }
    if sweep_requests as f64 > limit {
        eprintln!(
            "FAIL: the sweep spent {sweep_requests} Autotask requests, over 110 % of the minimum {minimum}"
        );
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!(
        "ok: idle {} ≤ 3; sweep {sweep_requests} ≤ {limit:.0} (110 % of {minimum})",
        idle.autotask
    );
    Ok(())
}

struct Measured {
    autotask: usize,
    acronis: usize,
    by_entity: BTreeMap<String, usize>,
    seconds: f64,
    summary: JobSummary,
}

async fn measure(
    ctx: &Context,
    autotask: &simulators::autotask::AutotaskSim,
    acronis: &simulators::acronis::AcronisSim,
    schedule: &str,
) -> anyhow::Result<Measured> {
    autotask.core().log.clear();
    acronis.core().log.clear();
    let started = Instant::now();
    let trigger = Trigger::Schedule {
        name: schedule.into(),
    };
    let summary = contract_poller::run(ctx, &trigger, false).await?;
    anyhow::ensure!(
        summary.failed.is_empty(),
        "{schedule} failed: {:?}",
        summary.failed
    );
    Ok(Measured {
        autotask: autotask.core().log.len(),
        acronis: acronis.core().log.len(),
        by_entity: autotask.core().log.counts(),
        seconds: started.elapsed().as_secs_f64(),
        summary,
    })
}

/// Billing on, the generated catalogue's quota services mapped; provisioning manual.
fn settings() -> Settings {
    let row = |item: &str, id: i64| ServiceMapping {
        offering_item: item.into(),
        service: Some(ServiceRef::Id(id)),
        ..ServiceMapping::default()
    };
    Settings {
        features: Features {
            billing: true,
            ..Features::default()
        },
        service_mappings: vec![
            row("pw_base_workstations", 1),
            row("pw_base_servers", 2),
            row("pw_base_o365_seats", 4),
        ],
        storage_mappings: vec![StorageMapping {
            infra_id: GENERATED_STORAGE_ID.into(),
            quota_and_total: Some(ServiceRef::Id(6)),
            ..StorageMapping::default()
        }],
        ..Settings::default()
    }
}

/// A memory figure of this process in MiB from `/proc/self/status` (Linux), 0 when
/// unknown.
fn status_mib(field: &str) -> u64 {
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
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
