//! What quota push costs on the 10,000-company generated scenario with 1 % of the
//! contracts changed: `cargo bench -p bridge-jobs --bench quota_push`.
//!
//! Both simulators run in a child process (this binary, started again), so the peak
//! memory printed is the job's alone. Every company is mapped and pushed once; then
//! 100 contracts get a unit adjustment through the Autotask API, the poller announces
//! the companies, and quota push runs as deployed on each change event and as its
//! sweep, with 30 ms of simulated latency on every Acronis request. Prints the Acronis
//! reads and writes beside their minimum (reads only for changed companies, writes only
//! for differing items), the wall time (target: under 60 s), the peak memory of this
//! process (target: under 128 MiB) and the latency from a contract change to the quota
//! in local mode (target: under 2 minutes). Exits non-zero when the requests exceed
//! their minimum.

use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::{ServiceMapping, ServiceRef};
use bridge_core::settings::{Features, Settings};
use bridge_jobs::{Clock, SystemClock, Trigger, contract_poller, run_job};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

mod support;

const COMPANIES: usize = 10_000;
const CHANGED: usize = 100;
const ACRONIS_LATENCY_MS: u64 = 30;
const CHILD: &str = "QUOTA_BENCH_SIMULATORS";
/// The contract poller's interval in local mode and by default when deployed.
const POLL_INTERVAL: Duration = Duration::from_secs(60);

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if let Ok(n) = std::env::var(CHILD) {
        return runtime.block_on(support::serve(simulators::scenario::generate(n.parse()?)));
    }
    runtime.block_on(bench())
}

/// The simulator's request counts since the last reset: `(total, GET, other)`.
async fn acronis_requests(http: &reqwest::Client, base: &str) -> anyhow::Result<(u64, u64, u64)> {
    let view: Value = http
        .get(format!("{base}/_sim/requests"))
        .send()
        .await?
        .json()
        .await?;
    let requests = view["requests"].as_array().cloned().unwrap_or_default();
    let reads = requests.iter().filter(|r| r["method"] == "GET").count() as u64;
    let total = requests.len() as u64;
    Ok((total, reads, total - reads))
}

async fn bench() -> anyhow::Result<()> {
    let started = Instant::now();
    let sims = support::start_child(CHILD, COMPANIES)?;
    let http = reqwest::Client::new();
    let bridge = support::bridge(
        "quota",
        sims.zone_lookup.clone(),
        sims.acronis.clone(),
        &settings(),
        COMPANIES,
    )
    .await?;
    let ctx = &bridge.ctx;
    let mut events = bridge.bus.subscribe();
    let poll = |name: &str| Trigger::Schedule { name: name.into() };
    let swept = contract_poller::run(ctx, &poll("sweep"), false).await?;
    drain(&mut events);
    let first = run_job("quota-push", ctx, &poll("sweep"), false).await?;
    anyhow::ensure!(first.failed.is_empty(), "first push: {:?}", first.failed);
    println!(
        "setup: {COMPANIES} companies (simulators in a child process), poller sweep {} ms, first push of every customer: {} ({:.1} s in all)",
        swept
            .finished_at
            .map_or(0, |f| (f - swept.started_at).num_milliseconds()),
        first,
        started.elapsed().as_secs_f64()
    );

    // 1 % of the contracts change: one unit more on the first service line of each.
    let autotask = ctx.autotask().await?;
    let all_lines: Vec<autotask::models::ContractService> = autotask
        .query(&autotask::Query::all().max_records(500))
        .await?;
    // One line on each of CHANGED contracts.
    let mut contracts = std::collections::BTreeSet::new();
    let lines: Vec<&autotask::models::ContractService> = all_lines
        .iter()
        .filter(|l| l.contract_id.is_some_and(|c| contracts.insert(c)))
        .take(CHANGED)
        .collect();
    let changed_at = Instant::now();
    let today = SystemClock.now().date_naive();
    for line in &lines {
        let (Some(contract), id) = (line.contract_id, line.id) else {
            continue;
        };
        autotask
            .create_child(
                "Contracts",
                contract,
                "ServiceAdjustments",
                &json!({"contractID": contract, "contractServiceID": id,
                        "effectiveDate": format!("{today}T00:00:00Z"), "unitChange": 1}),
            )
            .await?;
    }
    let polled = contract_poller::run(ctx, &poll("poll"), false).await?;
    let announced = drain(&mut events);
    println!(
        "{} contracts adjusted; the next poll announced {} companies ({})",
        lines.len(),
        announced.len(),
        polled
    );

    // The push of the changed companies, as deployed: one run per event.
    http.delete(format!("{}/_sim/requests", sims.acronis))
        .send()
        .await?;
    http.post(format!("{}/_sim/faults", sims.acronis))
        .json(&json!({"route": "*", "kind": "latency", "ms": ACRONIS_LATENCY_MS}))
        .send()
        .await?;
    support::reset_peak();
    let pushing = Instant::now();
    let mut applied = 0;
    let mut differing = 0;
    let mut first_latency = None;
    for event in &announced {
        let summary = run_job(
            "quota-push",
            ctx,
            &Trigger::ChangeEvent(event.clone()),
            false,
        )
        .await?;
        anyhow::ensure!(summary.failed.is_empty(), "push: {:?}", summary.failed);
        applied += summary.applied;
        differing += u64::from(summary.applied > 0);
        first_latency.get_or_insert_with(|| changed_at.elapsed());
    }
    let wall = pushing.elapsed();
    let (total, reads, writes) = acronis_requests(&http, &sims.acronis).await?;
    let peak = support::status_mib("VmHWM:");
    let companies = announced.len() as u64;
    // Per changed company: its tenant (one read) and its offering items (one read), one
    // write; plus the token and the partner lookup of the run.
    let min_reads = companies * 2;
    let min_writes = differing;
    println!(
        "events: {companies} runs, {applied} items changed; Acronis {total} requests: {reads} reads (minimum {min_reads}: tenant + items per changed company, plus the partner lookup and token per run), {writes} writes (minimum {min_writes}: one per company with differing items)"
    );
    println!(
        "wall time at {ACRONIS_LATENCY_MS} ms Acronis latency: {:.1} s (target < 60 s); peak memory of the job: {peak} MiB (VmHWM, target < 128 MiB)",
        wall.as_secs_f64()
    );

    // The same push as one sweep (what catches lost events): after another change.
    http.delete(format!("{}/_sim/requests", sims.acronis))
        .send()
        .await?;
    let idle_sweep = Instant::now();
    let swept = run_job("quota-push", ctx, &poll("sweep"), false).await?;
    let (idle_total, _, idle_writes) = acronis_requests(&http, &sims.acronis).await?;
    println!(
        "a sweep with nobody behind: {idle_total} Acronis requests, {idle_writes} writes, {:.1} s ({swept})",
        idle_sweep.elapsed().as_secs_f64()
    );
    let processing = first_latency.unwrap_or_default();
    println!(
        "contract change → quota in local mode: at most one poll interval ({} s) + {:.1} s of processing (target < 120 s)",
        POLL_INTERVAL.as_secs(),
        processing.as_secs_f64()
    );

    let per_run_overhead = companies * 2;
    let mut failed = false;
    if reads > min_reads + per_run_overhead {
        eprintln!(
            "FAIL: {reads} Acronis reads, over the minimum {min_reads} (+{per_run_overhead} per-run lookups)"
        );
        failed = true;
    }
    if writes > min_writes {
        eprintln!("FAIL: {writes} Acronis writes, over the minimum {min_writes}");
        failed = true;
    }
    if idle_writes > 0 {
        eprintln!("FAIL: a sweep with nobody behind wrote {idle_writes} times");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!("ok: reads and writes within their minimum");
    Ok(())
}

/// Every event on the bus so far (the in-process bus keeps a bounded backlog: a lagging
/// reader skips the oldest, as the first sweep's 10,000 announcements do).
fn drain(
    events: &mut tokio::sync::broadcast::Receiver<CompanyContractsChanged>,
) -> Vec<CompanyContractsChanged> {
    use tokio::sync::broadcast::error::TryRecvError;
    let mut out = Vec::new();
    loop {
        match events.try_recv() {
            Ok(event) => out.push(event),
            Err(TryRecvError::Lagged(_)) => continue,
            Err(_) => return out,
        }
    }
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
        ..Settings::default()
    }
}
