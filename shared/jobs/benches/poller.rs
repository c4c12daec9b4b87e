//! What the contract poller costs on the 10,000-company generated scenario:
//! `cargo bench -p bridge-jobs --bench poller`.
//!
//! Every company is mapped (the steady state of a large MSP). Prints the Autotask
//! requests of the first full sweep against the page-count minimum of what it reads
//! (ceil(n / 500) per entity, at least one request each), the Acronis requests, the
//! requests of the first poll after it and of an idle poll, wall times and peak memory (VmHWM, which includes both
//! simulators running in this process). Exits non-zero when an idle poll spends more
//! than 3 Autotask requests or the sweep more than 110 % of the minimum.

use bridge_core::mapping::{ServiceMapping, ServiceRef, StorageMapping};
use bridge_core::settings::{Features, Settings};
use bridge_jobs::{Clock, Context, JobSummary, SystemClock, Trigger, contract_poller};
use simulators::acronis::GENERATED_STORAGE_ID;
use std::collections::BTreeMap;
use std::time::Instant;

mod support;

const COMPANIES: usize = 10_000;
const PAGE: usize = 500;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let scenario = simulators::scenario::generate(COMPANIES);
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    let bridge = support::bridge(
        "poller",
        autotask.zone_lookup_url(),
        acronis.base_url(),
        &settings(),
        COMPANIES,
    )
    .await?;
    let ctx = &bridge.ctx;
    let now = SystemClock.now();
    println!(
        "setup: {COMPANIES} companies in both simulators, all mapped, in {:.1} s; VmHWM {} MiB",
        started.elapsed().as_secs_f64(),
        support::status_mib("VmHWM:")
    );

    support::reset_peak();
    let rss_before = support::status_mib("VmRSS:");
    let sweep = measure(ctx, &autotask, &acronis, "sweep").await?;
    let sweep_peak = support::status_mib("VmHWM:");
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
    let settle = measure(ctx, &autotask, &acronis, "poll").await?;
    println!(
        "first poll after it: {} Autotask, {} Acronis requests, {:.2} s  ({})",
        settle.autotask, settle.acronis, settle.seconds, settle.summary
    );
    let idle = measure(ctx, &autotask, &acronis, "poll").await?;
    println!(
        "idle poll: {} Autotask requests {:?}, {} Acronis, {:.3} s",
        idle.autotask, idle.by_entity, idle.acronis, idle.seconds
    );
    println!(
        "memory: {rss_before} MiB resident before the sweep (both simulators loaded), \
         peak {sweep_peak} MiB during it (VmHWM; the simulators' work included)"
    );

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
