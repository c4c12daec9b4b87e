//! The cases each scenario size goes through, in order, on one store: each case is one
//! job process, measured on its own; the requests are read from the simulators.

use crate::bridge::{self, Endpoints};
use crate::runner::Outcome;
use crate::sims::{Counts, Simulators};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Autotask records per page of a query.
const AUTOTASK_PAGE: u64 = 500;
/// Tenants per batched Acronis usage read.
const USAGE_BATCH: u64 = 100;
/// Alerts per page the alert job reads.
const ALERT_PAGE: u64 = 200;

/// The harness's knobs.
#[derive(Debug, Clone)]
pub struct Options {
    pub autotask_latency_ms: u64,
    pub acronis_latency_ms: u64,
    /// New alerts fired for the burst case.
    pub burst: usize,
    /// Share of the companies whose contract units change, in percent.
    pub changed_percent: usize,
    /// Where each size's store folder goes.
    pub work_dir: PathBuf,
    /// Keep the bridge's state in DynamoDB on moto's server instead of the embedded store.
    pub dynamo: bool,
    /// Only the two first full syncs (the poller's and quota push's), none of the
    /// later cases.
    pub first_syncs: bool,
}

/// One table row: one job's case at one scenario size.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub companies: usize,
    pub job: String,
    pub case: String,
    pub autotask: Counts,
    pub acronis: Counts,
    /// The fewest requests this work can take, per API (from the scenario and what
    /// changed).
    pub min_autotask: u64,
    pub min_acronis: u64,
    pub requests: u64,
    /// Requests against their minimum, per API; `None` where the work needs none.
    pub ratio_autotask: Option<f64>,
    pub ratio_acronis: Option<f64>,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_mib: f64,
    pub runs: u64,
    pub applied: u64,
    pub failed: u64,
}

/// What the minimums are computed from.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub contracts: u64,
    pub contract_services: u64,
    pub bundles: u64,
    pub payg_tenants: u64,
    pub payg_lines: u64,
}

impl Shape {
    pub fn of(scenario: &simulators::scenario::Scenario) -> Shape {
        let a = &scenario.autotask;
        let payg: std::collections::BTreeMap<i64, i64> = a
            .contracts
            .iter()
            .filter(|c| c["userDefinedFields"][0]["value"] == "Yes")
            .filter_map(|c| Some((c["id"].as_i64()?, c["companyID"].as_i64()?)))
            .collect();
        let payg_lines = a
            .contract_services
            .iter()
            .filter(|s| {
                s["contractID"]
                    .as_i64()
                    .is_some_and(|c| payg.contains_key(&c))
            })
            .count();
        let tenants: std::collections::BTreeSet<i64> = payg.values().copied().collect();
        Shape {
            contracts: a.contracts.len() as u64,
            contract_services: a.contract_services.len() as u64,
            bundles: a.contract_service_bundles.len() as u64,
            payg_tenants: tenants.len() as u64,
            payg_lines: payg_lines as u64,
        }
    }

    /// A first full sync reads every recurring contract and every unit row covering
    /// today (one per service line and bundle), 500 to a page.
    pub fn sync_pages(&self) -> u64 {
        [self.contracts, self.contract_services, self.bundles]
            .iter()
            .map(|n| n.div_ceil(AUTOTASK_PAGE).max(1))
            .sum()
    }
}

/// Runs every case at `companies`; rows in the order of the table.
pub async fn run_size(companies: usize, options: &Options) -> anyhow::Result<Vec<Row>> {
    let shape = Shape::of(&simulators::scenario::generate_msp(companies));
    let sims = Simulators::start(companies)?;
    sims.lift_budget().await?;
    let moto = if options.dynamo {
        Some(test_harness::Moto::start().await)
    } else {
        None
    };
    let endpoints = Endpoints {
        zone_lookup: sims.zone_lookup.clone(),
        acronis: sims.acronis.clone(),
        dynamo: moto.as_ref().map(|m| bridge::Dynamo {
            endpoint: m.endpoint().to_owned(),
            table: format!("bridge-bench-{companies}"),
        }),
    };
    let dir = options
        .work_dir
        .join(format!("store-{companies}-{}", uuid::Uuid::new_v4()));
    bridge::set_up(&dir, &endpoints, companies).await?;
    sims.set_latency(options.autotask_latency_ms, options.acronis_latency_ms)
        .await?;
    let n = companies as u64;
    let mut rows = Vec::new();
    let case = Case {
        sims: &sims,
        dir: &dir,
        endpoints: &endpoints,
        companies,
    };

    rows.push(
        case.measure(
            "contract-poller",
            "first full sync",
            &["contract-poller:sweep"],
            |_, _| (shape.sync_pages(), 0),
        )
        .await?,
    );
    rows.push(
        case.measure(
            "quota-push",
            "first full sync",
            &["quota-push:sweep"],
            // One read of each tenant's offering items; the writes as made (one per
            // tenant with a differing item: the idle hour's sweeps show none otherwise).
            |_, acronis| (0, n + writes(acronis)),
        )
        .await?,
    );
    if options.first_syncs {
        drop(sims);
        drop(moto);
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(rows);
    }
    // The first poll after a sweep reads the unit rows of later periods once.
    case.unmeasured(&["contract-poller:poll"]).await?;
    rows.push(
        case.measure(
            "contract-poller",
            "idle poll",
            &["contract-poller:poll"],
            |_, _| (1, 0),
        )
        .await?,
    );
    let changed = change_units(&sims, companies, options.changed_percent).await?;
    rows.push(
        case.measure(
            "contract-poller + quota-push",
            &format!("{}% changed", options.changed_percent),
            &["contract-poller:poll", "quota-push:events"],
            // The poll: the changed unit rows (a page); the push: each changed
            // company's items read once, the writes as made.
            |_, acronis| {
                (
                    1 + changed.div_ceil(AUTOTASK_PAGE),
                    changed + writes(acronis),
                )
            },
        )
        .await?,
    );

    rows.push(
        case.measure(
            "usage-report",
            "usage run",
            &["usage-report:report"],
            |o, _| {
                (
                    shape.payg_lines.div_ceil(AUTOTASK_PAGE).max(1) + o.applied,
                    shape.payg_tenants.div_ceil(USAGE_BATCH).max(1),
                )
            },
        )
        .await?,
    );

    // Its unit changes reach the snapshots before the next cases.
    case.unmeasured(&["contract-poller:poll"]).await?;

    // The scenario's own alerts first, then the burst.
    case.unmeasured(&["alert-ingest:poll"]).await?;
    for i in 0..options.burst {
        let tenant = simulators::acronis::generated_customer_id(i % companies + 1);
        sims.fire_alert(&json!({"type": "BackupFailed", "severity": "error",
                                "tenant_id": tenant,
                                "details": {"resourceName": format!("BURST-{i:05}")}}))
            .await?;
    }
    let burst = options.burst as u64;
    rows.push(
        case.measure(
            "alert-ingest",
            &format!("alert burst of {}", options.burst),
            &["alert-ingest:poll"],
            // One ticket created per alert; the alerts read 200 to a page.
            |_, _| (burst, burst.div_ceil(ALERT_PAGE).max(1)),
        )
        .await?,
    );

    rows.push(
        case.measure("every job", "idle hour", &["idle-hour"], |_, _| {
            // One modified-since query per contract poll.
            let polls = crate::runner::idle_hour_runs()
                .into_iter()
                .find(|(job, _)| job == "contract-poller")
                .map_or(0, |(_, n)| n as u64);
            (polls, 0)
        })
        .await?,
    );
    drop(sims);
    drop(moto);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

fn ratio(counts: &Counts, minimum: u64) -> Option<f64> {
    (minimum > 0).then(|| counts.values().sum::<u64>() as f64 / minimum as f64)
}

/// Requests that change something (`create`, `update`, `delete`), token requests aside.
fn writes(counts: &Counts) -> u64 {
    counts
        .iter()
        .filter(|(key, _)| !key.starts_with("token "))
        .filter(|(key, _)| matches!(key.rsplit(' ').next(), Some("create" | "update" | "delete")))
        .map(|(_, n)| n)
        .sum()
}

struct Case<'a> {
    sims: &'a Simulators,
    dir: &'a Path,
    endpoints: &'a Endpoints,
    companies: usize,
}

impl Case<'_> {
    async fn measure(
        &self,
        job: &str,
        case: &str,
        steps: &[&str],
        minimum: impl Fn(&Outcome, &Counts) -> (u64, u64),
    ) -> anyhow::Result<Row> {
        self.sims.take_requests().await?;
        let outcome = self.spawn(steps)?;
        let (autotask, acronis) = self.sims.take_requests().await?;
        let (work_autotask, work_acronis) = minimum(&outcome, &acronis);
        // Each job process is a fresh container: one zone lookup and one token each.
        let min_autotask = work_autotask + u64::from(work_autotask > 0);
        let min_acronis = work_acronis + u64::from(work_acronis > 0);
        let requests = autotask.values().sum::<u64>() + acronis.values().sum::<u64>();
        let (ratio_autotask, ratio_acronis) =
            (ratio(&autotask, min_autotask), ratio(&acronis, min_acronis));
        let row = Row {
            companies: self.companies,
            job: job.into(),
            case: case.into(),
            autotask,
            acronis,
            min_autotask,
            min_acronis,
            requests,
            ratio_autotask,
            ratio_acronis,
            wall_s: outcome.wall_s,
            cpu_s: outcome.cpu_s,
            peak_rss_mib: outcome.peak_rss_kib as f64 / 1024.0,
            runs: outcome.runs,
            applied: outcome.applied,
            failed: outcome.failed,
        };
        eprintln!(
            "  {:>6} {job} / {case}: {requests} requests (minimum {}), {:.1} s",
            self.companies,
            min_autotask + min_acronis,
            row.wall_s
        );
        Ok(row)
    }

    async fn unmeasured(&self, steps: &[&str]) -> anyhow::Result<()> {
        self.spawn(steps)?;
        Ok(())
    }

    /// One job process for `steps`; its last stdout line is its [`Outcome`].
    fn spawn(&self, steps: &[&str]) -> anyhow::Result<Outcome> {
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("job")
            .arg("--dir")
            .arg(self.dir)
            .args(["--zone-lookup", &self.endpoints.zone_lookup])
            .args(["--acronis", &self.endpoints.acronis]);
        if let Some(dynamo) = &self.endpoints.dynamo {
            command
                .args(["--dynamo-endpoint", &dynamo.endpoint])
                .args(["--dynamo-table", &dynamo.table]);
        }
        for step in steps {
            command.args(["--step", step]);
        }
        let output = command.output()?;
        anyhow::ensure!(
            output.status.success(),
            "job process {steps:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last)
            .map_err(|e| anyhow::anyhow!("job process {steps:?} answered {last:?}: {e}"))
    }
}

/// Adds one unit to the first service line of `percent` % of the companies' prepaid
/// first contracts, through the Autotask API; returns how many changed. The requests
/// this takes are cleared before the next case.
async fn change_units(sims: &Simulators, companies: usize, percent: usize) -> anyhow::Result<u64> {
    let wanted = (companies * percent).div_ceil(100).max(1);
    let lines = sims.autotask_records("ContractServices").await?;
    let api = sims.autotask_api().await?;
    let today = chrono::Utc::now().date_naive();
    let mut seen = std::collections::BTreeSet::new();
    let mut changed = 0u64;
    for line in &lines {
        if changed as usize >= wanted {
            break;
        }
        let (Some(contract), Some(id)) = (line["contractID"].as_i64(), line["id"].as_i64()) else {
            continue;
        };
        // The first contract of company i has id i and is PAYG for every fourth.
        if contract > companies as i64 || contract % 4 == 0 || !seen.insert(contract) {
            continue;
        }
        let body: Value = json!({"contractID": contract, "contractServiceID": id,
                                 "effectiveDate": format!("{today}T00:00:00Z"), "unitChange": 1});
        api.post(&format!("Contracts/{contract}/ServiceAdjustments"), &body)
            .await?;
        changed += 1;
    }
    Ok(changed)
}
