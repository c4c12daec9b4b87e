//! Lists the 10,000 customer companies of a generated scenario through the client and
//! reports what it cost: requests (client and simulator views), wall time, peak memory.
//!
//! `cargo bench -p autotask --bench list_companies`. Exits non-zero unless the listing is
//! complete and took the minimum of requests: 20 pages of 500 + 1 zone lookup = 21.

use autotask::models::Company;
use autotask::{AutotaskClient, AutotaskConfig, Credentials, Filter, Query};
use simulators::autotask::{DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER, Seed};
use std::process::ExitCode;
use std::time::Instant;

const COMPANIES: usize = 10_000;
const MIN_REQUESTS: u64 = 20 + 1;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("list_companies failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let sim = simulators::autotask::start(Seed::generate(COMPANIES)).await?;
    let mut config = AutotaskConfig::new(Credentials {
        username: DEMO_USER.into(),
        secret: DEMO_SECRET.into(),
        integration_code: DEMO_INTEGRATION_CODE.into(),
    });
    config.zone_lookup_url = sim.zone_lookup_url();
    let client = AutotaskClient::new(config)?;

    let started = Instant::now();
    let companies: Vec<Company> = client.query(&Query::new(Filter::gt("id", 0))).await?;
    let wall = started.elapsed();

    let requests = client.requests_made();
    println!("companies listed:        {}", companies.len());
    println!("requests by the client:  {requests} (minimum {MIN_REQUESTS})");
    println!("requests the sim logged: {}", sim.core().log.len());
    for (what, n) in sim.core().log.counts() {
        println!("  {what:<28} {n}");
    }
    println!(
        "wall time:               {:.1} ms",
        wall.as_secs_f64() * 1000.0
    );
    match peak_memory_kib() {
        Some(kib) => println!("peak memory (VmHWM):     {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak memory (VmHWM):     unavailable"),
    }

    let complete =
        companies.len() == COMPANIES && companies.iter().zip(1..).all(|(c, id)| c.id == id);
    if !complete {
        eprintln!("FAIL: expected companies 1..={COMPANIES} once each, in order");
    }
    if requests != MIN_REQUESTS {
        eprintln!("FAIL: {requests} requests, expected exactly {MIN_REQUESTS}");
    }
    Ok(complete && requests == MIN_REQUESTS)
}

/// Peak resident set size of this process (simulator included), from /proc.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
