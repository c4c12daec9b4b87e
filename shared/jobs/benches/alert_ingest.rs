//! What alert ingestion costs: `cargo bench -p bridge-jobs --bench alert_ingest`.
//!
//! 100 mapped customers of the generated scenario; a burst of 1,000 new alerts, then a
//! repeat of each. Prints the Autotask requests per new ticket (target: at most 2) and per
//! note (target: 1), the wall time and the peak memory of the burst (VmHWM of this
//! process, the simulators running in it included), and the latency from an alert to
//! its ticket in local mode (target: under 90 s). Exits non-zero when a ticket costs
//! more than 2 requests or a note more than 1, or when a ticket is missing or doubled.

use bridge_core::mapping::AlertMapping;
use bridge_core::settings::{Features, Settings, Tickets};
use bridge_jobs::{Trigger, run_job};
use serde_json::json;
use simulators::acronis::generated_customer_id;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

mod support;

const CUSTOMERS: usize = 100;
const BURST: usize = 1_000;
/// Alert ingestion's interval in local mode and by default when deployed.
const POLL_INTERVAL: Duration = Duration::from_secs(60);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let scenario = simulators::scenario::generate(CUSTOMERS);
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    let bridge = support::bridge(
        "alert",
        autotask.zone_lookup_url(),
        acronis.base_url(),
        &settings(),
        CUSTOMERS,
    )
    .await?;
    let ctx = &bridge.ctx;
    let poll = Trigger::Schedule {
        name: "poll".into(),
    };
    let first = run_job("alert-ingest", ctx, &poll, false).await?;
    println!("first run (the scenario's active alerts): {first}");

    // The burst: 1,000 new alerts spread over the customers.
    let mut fired = Vec::new();
    for i in 0..BURST {
        let tenant = generated_customer_id(i % CUSTOMERS + 1);
        fired.extend(acronis.fire_alerts(1, &tenant));
    }
    let tickets_before = autotask.records("Tickets").len();
    autotask.core().log.clear();
    support::reset_peak();
    let started = Instant::now();
    let burst = run_job("alert-ingest", ctx, &poll, false).await?;
    let wall = started.elapsed();
    let peak = support::status_mib("VmHWM:");
    let created = autotask.records("Tickets").len() - tickets_before;
    let requests = autotask.core().log.len();
    let markers: BTreeSet<String> = autotask
        .records("Tickets")
        .iter()
        .filter_map(|t| t["externalID"].as_str().map(str::to_owned))
        .collect();
    println!(
        "burst of {BURST} alerts: {created} tickets, {requests} Autotask requests ({:.2} per new ticket, target ≤ 2), {:.1} s, peak memory {peak} MiB (VmHWM, both simulators in this process)  ({burst})",
        requests as f64 / created.max(1) as f64,
        wall.as_secs_f64()
    );

    // Each alert repeated: one note each.
    for id in &fired {
        acronis.repeat_alert(id);
    }
    autotask.core().log.clear();
    let started = Instant::now();
    let repeats = run_job("alert-ingest", ctx, &poll, false).await?;
    let note_requests = autotask.core().log.len();
    let note_count = autotask.core().log.count(Some("TicketNotes"), None);
    println!(
        "{BURST} repeats: {note_count} note requests, {note_requests} Autotask requests in all ({:.2} per note, target 1; plus one batched read of the tickets' states per page of 200 alerts), {:.1} s  ({repeats})",
        note_requests as f64 / BURST as f64,
        started.elapsed().as_secs_f64()
    );

    // Latency in local mode: at most one poll interval, plus the run.
    let tenant = generated_customer_id(1);
    let fired_at = Instant::now();
    acronis.fire_alert(json!({"type": "BackupFailed", "tenant_id": tenant}));
    run_job("alert-ingest", ctx, &poll, false).await?;
    let processing = fired_at.elapsed();
    println!(
        "alert → ticket in local mode: at most one poll interval ({} s) + {} ms (target < 90 s)",
        POLL_INTERVAL.as_secs(),
        processing.as_millis()
    );

    let mut failed = false;
    if created != BURST || markers.len() < BURST {
        eprintln!("FAIL: {created} tickets for {BURST} alerts");
        failed = true;
    }
    if requests > 2 * BURST {
        eprintln!("FAIL: {requests} Autotask requests for {BURST} new tickets (at most 2 each)");
        failed = true;
    }
    // A note each, plus per page of 200 alerts one batched read of the tickets' states.
    if note_count > BURST || note_requests > BURST + 2 * BURST.div_ceil(200) + 1 {
        eprintln!("FAIL: {note_requests} Autotask requests for {BURST} notes");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!("ok: one ticket per alert, ≤ 2 requests per new ticket, 1 per note");
    Ok(())
}

fn settings() -> Settings {
    Settings {
        features: Features {
            ticket_creation: true,
            ..Features::default()
        },
        tickets: Tickets {
            note_type: Some(1),
            note_publish: Some(1),
            auto_close: true,
            auto_close_status: Some(5),
            ..Tickets::default()
        },
        alert_mappings: vec![AlertMapping {
            alert_type: "BackupFailed".into(),
            priority: Some(1),
            status: Some(1),
            queue: Some(29682833),
            ..AlertMapping::default()
        }],
        ..Settings::default()
    }
}
