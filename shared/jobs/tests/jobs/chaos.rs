//! The chaos suite: each job, run again and again against the simulators with seeded
//! random faults and a kill at a random await point, then left to ordinary runs, must
//! end where a fault-free run of the same world ends: the same tenants and quotas, the
//! same contract units, one ticket per alert, and a store whose mappings, snapshots,
//! ledger, alert records and audit log say the same.
//!
//! A seed decides everything: which job (seed mod 4: contract poller, quota push, usage
//! report, alert ingest), up to three faults (latency, 429 with `Retry-After`, 5xx, a
//! dropped connection, a malformed body, an Acronis version conflict) at the Nth call
//! to either simulator, and, for most seeds, one kill: a request held forever before or
//! after the simulator applied it, a store write held forever once applied (a kill
//! between two store calls), or the poller's event publish held forever (a kill
//! between storing a contract snapshot and announcing it). The test then drops the
//! job's future, as a killed Lambda. A fresh process waits out the lease and runs the
//! job cleanly (the quota scenario also runs its `sweep` schedule, the backstop for a
//! lost change event). The DynamoDB seeds (on moto) also run the clean pass twice at
//! once, so one of them loses the lease's conditional write. Two more tests leave
//! nothing to chance: each job killed after each store write of its fault-free run in
//! turn, and the kill between storing a snapshot and announcing it (no later poll
//! announces the change; the quota sweep pushes it).
//!
//! Running it:
//! - `cargo nextest run -p bridge-jobs chaos::` runs `CHAOS_RUNS` seeds on the
//!   embedded store (default 1000) and `CHAOS_DYNAMO_RUNS` on DynamoDB (default 24);
//!   `scripts/test` (and so `.ci/run`) runs it with the workspace.
//! - A failure names its seed; `CHAOS_SEED=<n>` reruns that seed alone (on both stores).
//! - `CHAOS_SHOW=1` (with `--nocapture`) prints each seed's plan, the faulted run's
//!   outcome, the audit log, the Acronis requests and the store writes, and the
//!   fault-free end states.
//! - The figures (runs, faults per kind, kills per point, failures) are printed and
//!   written to `<target dir>/chaos/summary-<store>.json`.

use crate::kill_store::KillStore;
use crate::support::*;
use async_trait::async_trait;
use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::AlertMapping;
use bridge_core::records::AuditQuery;
use bridge_core::settings::{ReportingPeriod, Settings};
use bridge_jobs::{Clock, Context, JobSummary, Trigger, run_job};
use bridge_store::events::{EventBusError, EventPublisher, InProcessBus, ScheduleControl};
use bridge_store::store::{DynamoStore, SqliteStore, Store};
use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use simulators::common::{FaultKind, FaultRule, SimCore};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, broadcast};

const ACME: i64 = 100;
const BETA: i64 = 200;
const GAMMA: i64 = 300;
const COMPANIES: [i64; 3] = [ACME, BETA, GAMMA];
const STORAGE_FREE: i64 = 7;
const GIB: u64 = 1 << 30;
const QUEUE: i64 = 29682833;
/// Seeds in flight at once: most of a run's time is the clients' retry backoff.
const IN_FLIGHT: usize = 24;
/// A seed that takes longer is stuck: reported as a failure rather than hanging CI.
const SEED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum JobKind {
    Poller,
    Quota,
    Usage,
    Alerts,
}

const KINDS: [JobKind; 4] = [
    JobKind::Poller,
    JobKind::Quota,
    JobKind::Usage,
    JobKind::Alerts,
];

impl JobKind {
    fn of(seed: u64) -> JobKind {
        KINDS[(seed % 4) as usize]
    }
    fn name(self) -> &'static str {
        match self {
            JobKind::Poller => "contract-poller",
            JobKind::Quota => "quota-push",
            JobKind::Usage => "usage-report",
            JobKind::Alerts => "alert-ingest",
        }
    }
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid time")
}

fn chaos_settings() -> Settings {
    let mut s = settings();
    s.features.ticket_creation = true;
    s.usage_reporting.period = ReportingPeriod::CurrentCalendarMonth;
    s.tickets.note_type = Some(1);
    s.tickets.note_publish = Some(1);
    s.alert_mappings = vec![AlertMapping {
        alert_type: "BackupFailed".into(),
        priority: Some(1),
        status: Some(1),
        queue: Some(QUEUE),
        ..AlertMapping::default()
    }];
    s
}

/// The event bus of the world, which can hold one publish forever (a kill between
/// storing a snapshot and announcing it).
struct KillBus {
    inner: InProcessBus,
    kill_at: Mutex<Option<usize>>,
    calls: AtomicUsize,
    killed: Notify,
}

#[async_trait]
impl EventPublisher for KillBus {
    async fn publish(&self, events: &[CompanyContractsChanged]) -> Result<(), EventBusError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let kill = *self.kill_at.lock().unwrap_or_else(|p| p.into_inner());
        if kill == Some(n) {
            self.killed.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner.publish(events).await
    }
}

#[async_trait]
impl ScheduleControl for KillBus {
    async fn set_schedule_rate(&self, rule: &str, minutes: u32) -> Result<(), EventBusError> {
        self.inner.set_schedule_rate(rule, minutes).await
    }
}

/// One seed's world: [`World`] with the kill bus as its context's bus.
struct Chaos {
    world: World,
    bus: Arc<KillBus>,
    store: Arc<KillStore>,
    events: broadcast::Receiver<CompanyContractsChanged>,
}

impl Chaos {
    /// The three companies, and what the job under test starts from, fault-free.
    async fn build(kind: JobKind, store: Arc<dyn Store>) -> Result<Chaos, String> {
        let store = Arc::new(KillStore::new(store));
        let world = World::with(
            simulators::autotask::Seed::generate(0),
            chaos_settings(),
            store.clone(),
        )
        .await;
        let now = at(2026, 11, 12, 9);
        world.set_now(now);
        world.autotask.core().clock.set(now);
        world.acronis.core().clock.set(now);
        world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
        world.add_contract(10, ACME, None);
        world.add_service(10, SERVERS, 2);
        world.add_bundle(10, PROTECTION_BUNDLE, 5);
        world.add_company(BETA, "Beta", ("Bea", "Turing", "bea@beta.example"));
        world.add_contract(20, BETA, None);
        world.add_service(20, WORKSTATIONS, 3);
        world.add_company(GAMMA, "Gamma", ("Gus", "Hopper", "gus@gamma.example"));
        world.add_contract(30, GAMMA, Some("Yes"));
        for service in [WORKSTATIONS, STORAGE, STORAGE_FREE, STORAGE_BILLED] {
            world.add_service(30, service, 0);
        }
        let inner = InProcessBus::new();
        let events = inner.subscribe();
        let bus = Arc::new(KillBus {
            inner,
            kill_at: Mutex::new(None),
            calls: AtomicUsize::new(0),
            killed: Notify::new(),
        });
        let mut chaos = Chaos {
            world,
            bus,
            store,
            events,
        };
        chaos.fresh_process();
        if kind == JobKind::Poller {
            chaos.store.reset();
            return Ok(chaos);
        }
        expect_clean(
            "setup sweep",
            chaos.run("contract-poller", sched("sweep")).await,
        )?;
        match kind {
            JobKind::Quota => {
                let pushes = chaos.push_events().await;
                expect_clean("setup push", pushes)?;
                let w = &chaos.world;
                w.adjust_units(10, w.contract_service(10, SERVERS), 1).await;
                w.adjust_units(20, w.contract_service(20, WORKSTATIONS), 2)
                    .await;
            }
            JobKind::Usage => {
                let tenant = chaos.tenant(GAMMA)?;
                for (name, value) in [
                    ("pw_base_workstations", 3),
                    ("pw_base_storage", 60 * GIB),
                    ("pw_base_storage_class1", 10 * GIB),
                    ("pw_base_storage_class2", 50 * GIB),
                ] {
                    let mut usage = json!({"name": name, "value": value});
                    if name.contains("storage") {
                        usage["infra_id"] = json!(STORAGE_INFRA);
                    }
                    chaos.world.acronis.set_usage(&tenant, usage);
                }
            }
            JobKind::Alerts => {
                for (company, resource) in [(ACME, "SERVER01"), (ACME, "SERVER02"), (BETA, "PC7")] {
                    let tenant = chaos.tenant(company)?;
                    chaos.world.acronis.fire_alert(json!({
                        "type": "BackupFailed", "severity": "error", "tenant_id": tenant,
                        "details": {"resourceName": resource, "planName": "Nightly",
                                    "errorMessage": "Disk full"}}));
                }
            }
            JobKind::Poller => {}
        }
        // What the setup published is not the job's to consume.
        while chaos.events.try_recv().is_ok() {}
        *chaos.bus.kill_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        chaos.bus.calls.store(0, Ordering::SeqCst);
        chaos.store.reset();
        chaos.world.clear_logs();
        Ok(chaos)
    }

    /// A new context, as a new Lambda container: no cached clients.
    fn fresh_process(&mut self) {
        let w = &mut self.world;
        w.ctx = Context::new(
            w.store.clone(),
            w.secrets.clone(),
            self.bus.clone(),
            w.clock.clone(),
            w.autotask.zone_lookup_url(),
        );
    }

    fn tenant(&self, company: i64) -> Result<String, String> {
        let tenants = self.world.tenants_of(company);
        match tenants.as_slice() {
            [one] => Ok(one["id"].as_str().unwrap_or_default().to_owned()),
            other => Err(format!("company {company} has {} tenants", other.len())),
        }
    }

    async fn run(&self, job: &str, trigger: Trigger) -> Result<JobSummary, String> {
        run_job(job, &self.world.ctx, &trigger, false)
            .await
            .map_err(|e| format!("{job}: {e}"))
    }

    /// Quota push for every change event published so far; the first failure ends it.
    async fn push_events(&mut self) -> Result<JobSummary, String> {
        let mut last = None;
        while let Ok(event) = self.events.try_recv() {
            let summary = self.run("quota-push", Trigger::ChangeEvent(event)).await?;
            if !summary.failed.is_empty() {
                return Ok(summary);
            }
            last = Some(summary);
        }
        match last {
            Some(s) => Ok(s),
            None => self.run("quota-push", sched("sweep")).await,
        }
    }

    /// The job under test, once (the quota scenario: a poll and the pushes it
    /// announces).
    async fn step(&mut self, kind: JobKind) -> Result<JobSummary, String> {
        match kind {
            JobKind::Poller => self.run("contract-poller", sched("poll")).await,
            JobKind::Quota => {
                let polled = self.run("contract-poller", sched("poll")).await?;
                if !polled.failed.is_empty() {
                    return Ok(polled);
                }
                self.push_events().await
            }
            JobKind::Usage => self.run("usage-report", sched("report")).await,
            JobKind::Alerts => self.run("alert-ingest", sched("poll")).await,
        }
    }

    /// What converges after a fault or a kill: a fresh process once every lease has
    /// expired runs the job, and the quota scenario its sweep too.
    async fn clean(&mut self, kind: JobKind) -> Result<(), String> {
        self.fresh_process();
        self.world.clock.advance(chrono::Duration::minutes(16));
        expect_clean("clean run", self.step(kind).await)?;
        if kind == JobKind::Quota {
            expect_clean("quota sweep", self.run("quota-push", sched("sweep")).await)?;
        }
        Ok(())
    }

    /// Under `CHAOS_SHOW`: the audit log and the Acronis requests, to follow a seed.
    async fn show_trail(&self) {
        let w = &self.world;
        let query = AuditQuery {
            limit: Some(1000),
            ..AuditQuery::default()
        };
        if let Ok(page) = w.store.list_audit(&query, w.clock.now()).await {
            for e in page.items {
                println!("audit {} {} {:?}", e.kind, e.subject, e.after);
            }
        }
        for r in w.acronis.core().log.entries() {
            println!("acronis {} {} {}", r.method, r.path, r.status);
        }
        let writes = self.store.log.lock().unwrap_or_else(|p| p.into_inner());
        for (n, method) in writes.iter().enumerate() {
            println!("store write {n}: {method}");
        }
    }

    /// The end state, in terms that do not depend on generated ids.
    async fn state(&self) -> Result<BTreeMap<String, Value>, String> {
        let w = &self.world;
        let mut out = BTreeMap::new();
        let mut names = BTreeMap::new();
        for company in COMPANIES {
            let tenants: Vec<Value> = w
                .tenants_of(company)
                .into_iter()
                .map(|t| {
                    let id = t["id"].as_str().unwrap_or_default().to_owned();
                    names.insert(id.clone(), t["name"].clone());
                    json!({"name": t["name"], "items": w.enabled_items(&id)})
                })
                .collect();
            out.insert(format!("tenants of {company}"), json!(tenants));
        }
        for cs in w.autotask.records("ContractServices") {
            let id = cs["id"].as_i64().unwrap_or_default();
            out.insert(
                format!(
                    "units of contract {} service {}",
                    cs["contractID"], cs["serviceID"]
                ),
                json!(w.units_today(id)),
            );
        }
        let mut tickets: Vec<Value> = w
            .autotask
            .records("Tickets")
            .into_iter()
            .map(|t| json!([t["companyID"], t["title"], t["status"], t["queueID"]]))
            .collect();
        tickets.sort_by_key(|t| t.to_string());
        out.insert("tickets".into(), json!(tickets));
        let mut services: Vec<String> = w
            .autotask
            .records("Services")
            .into_iter()
            .map(|s| s["name"].to_string())
            .collect();
        services.sort();
        out.insert("autotask services".into(), json!(services));

        let store = &w.store;
        let err = |e: bridge_store::store::StoreError| e.to_string();
        for company in COMPANIES {
            let mapping = store.get_mapping_by_company(company).await.map_err(err)?;
            let tenant = mapping.map(|m| names.get(&m.tenant_id).cloned().unwrap_or(json!("?")));
            out.insert(format!("mapping of {company}"), json!(tenant));
            let snapshot = store.get_contract_snapshot(company).await.map_err(err)?;
            out.insert(
                format!("snapshot of {company}"),
                json!(snapshot.map(|s| s.value)),
            );
            let pending = store.get_pending_provisioning(company).await.map_err(err)?;
            out.insert(format!("pending of {company}"), json!(pending.is_some()));
        }
        for cs in w.autotask.records("ContractServices") {
            let id = cs["id"].as_i64().unwrap_or_default();
            let entry = store.get_usage(id, "2026-11").await.map_err(err)?;
            if let Some(entry) = entry {
                out.insert(
                    format!(
                        "ledger of contract {} service {}",
                        cs["contractID"], cs["serviceID"]
                    ),
                    json!(entry.value.units),
                );
            }
        }
        let records = store
            .list_alert_tickets(None, 1000, None)
            .await
            .map_err(err)?
            .items;
        let ticket_ids: Vec<Value> = w
            .autotask
            .records("Tickets")
            .into_iter()
            .map(|t| t["id"].clone())
            .collect();
        let mut alerts: Vec<Value> = records
            .iter()
            .map(|r| {
                let r = &r.value;
                let ticketed = r
                    .ticket_id
                    .is_some_and(|id| ticket_ids.contains(&json!(id)));
                json!([r.company_id, r.alert_type, r.state, ticketed])
            })
            .collect();
        alerts.sort_by_key(|a| a.to_string());
        out.insert("alert records".into(), json!(alerts));

        let audit = store
            .list_audit(
                &AuditQuery {
                    limit: Some(1000),
                    ..AuditQuery::default()
                },
                w.clock.now(),
            )
            .await
            .map_err(err)?
            .items;
        let mut effects: BTreeMap<&str, usize> = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut repeated = Vec::new();
        for entry in &audit {
            let effect = match entry.kind.as_str() {
                "tenant.created" | "tenant.adopted" => "tenant created or adopted",
                "ticket.created" | "ticket.adopted" => "ticket created or adopted",
                kind => match EFFECTS.iter().find(|k| **k == kind) {
                    Some(k) => k,
                    None => continue,
                },
            };
            *effects.entry(effect).or_default() += 1;
            let after = entry.after.as_ref().map(Value::to_string);
            if !seen.insert((entry.kind.clone(), entry.subject.clone(), after)) {
                repeated.push(format!("{} {}", entry.kind, entry.subject));
            }
        }
        for (effect, count) in effects {
            out.insert(format!("audited: {effect}"), json!(count));
        }
        out.insert("audit entries repeated".into(), json!(repeated));
        Ok(out)
    }
}

/// Audit kinds that each record one change made outside the bridge: a killed run may
/// add entries of other kinds (a failure, a resumed provisioning), never a second one
/// of these for the same change.
const EFFECTS: &[&str] = &[
    "mapping.created",
    "contract_units.changed",
    "udf.created",
    "udf.completed",
    "tenant.switched_to_production",
    "usage.reported",
    "usage.corrected",
    "quota.changed",
];

fn sched(name: &str) -> Trigger {
    Trigger::Schedule { name: name.into() }
}

fn expect_clean(what: &str, outcome: Result<JobSummary, String>) -> Result<(), String> {
    let summary = outcome.map_err(|e| format!("{what} failed: {e}"))?;
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{what} reported failures: {}", notes(&summary)))
    }
}

/// What a fault-free run of each job does: its end state and the calls it makes, which
/// bound where a seed's faults and kill land.
struct Oracle {
    state: BTreeMap<String, Value>,
    autotask_calls: u32,
    acronis_calls: u32,
    publishes: usize,
    writes: usize,
}

async fn oracle(kind: JobKind) -> Oracle {
    let store = Arc::new(SqliteStore::open_in_memory().await.expect("store"));
    let mut chaos = Chaos::build(kind, store)
        .await
        .unwrap_or_else(|e| panic!("{kind:?} setup: {e}"));
    expect_clean("fault-free run", chaos.step(kind).await)
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    let autotask_calls = chaos.world.autotask.core().log.len() as u32;
    let acronis_calls = chaos.world.acronis.core().log.len() as u32;
    let publishes = chaos.bus.calls.load(Ordering::SeqCst);
    let writes = chaos.store.writes();
    chaos
        .clean(kind)
        .await
        .unwrap_or_else(|e| panic!("{kind:?} fault-free clean: {e}"));
    let state = chaos.state().await.expect("state");
    Oracle {
        state,
        autotask_calls,
        acronis_calls,
        publishes,
        writes,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Api {
    Autotask,
    Acronis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KillPoint {
    BeforeApplied(Api),
    AfterApplied(Api),
    Publish,
    /// After the Nth store write is applied, before the job hears back.
    AfterStored,
}

/// The faults and the kill one seed injects.
struct Plan {
    faults: Vec<(Api, u32, &'static str, FaultRule)>,
    kill: Option<(KillPoint, u32)>,
}

fn rule(route: &str, method: Option<&str>, kind: FaultKind) -> FaultRule {
    FaultRule {
        route: route.into(),
        method: method.map(str::to_owned),
        query: None,
        kind,
        times: Some(1),
    }
}

fn plan(seed: u64, oracle: &Oracle) -> Plan {
    let mut rng = fastrand::Rng::with_seed(seed);
    let total = oracle.autotask_calls + oracle.acronis_calls;
    let pick_api = |rng: &mut fastrand::Rng| {
        if rng.u32(0..total.max(1)) < oracle.autotask_calls {
            (Api::Autotask, rng.u32(0..oracle.autotask_calls.max(1)))
        } else {
            (Api::Acronis, rng.u32(0..oracle.acronis_calls.max(1)))
        }
    };
    let mut faults = Vec::new();
    for _ in 0..rng.usize(0..=3) {
        let (api, nth) = pick_api(&mut rng);
        let (name, fault) = match rng.usize(0..6) {
            0 => (
                "latency",
                rule(
                    "*",
                    None,
                    FaultKind::Latency {
                        ms: rng.u64(5..150),
                    },
                ),
            ),
            1 => (
                "429",
                rule(
                    "*",
                    None,
                    FaultKind::Status {
                        status: 429,
                        retry_after: Some(rng.u64(0..=1)),
                        body: None,
                    },
                ),
            ),
            2 => (
                "5xx",
                rule(
                    "*",
                    None,
                    FaultKind::Status {
                        status: [500, 502, 503][rng.usize(0..3)],
                        retry_after: None,
                        body: None,
                    },
                ),
            ),
            3 => ("drop", rule("*", None, FaultKind::Drop)),
            4 => ("malformed", rule("*", None, FaultKind::MalformedJson)),
            _ => {
                // A concurrent change in Acronis: the write's version is stale.
                let (route, status) = if rng.bool() {
                    ("offering_items", 426)
                } else {
                    ("/tenants/", 409)
                };
                faults.push((
                    Api::Acronis,
                    rng.u32(0..2),
                    "version conflict",
                    rule(
                        route,
                        Some("PUT"),
                        FaultKind::Status {
                            status,
                            retry_after: None,
                            body: None,
                        },
                    ),
                ));
                continue;
            }
        };
        faults.push((api, nth, name, fault));
    }
    let kill = if rng.f64() < 0.75 {
        let (api, nth) = pick_api(&mut rng);
        match rng.usize(0..4) {
            0 if oracle.publishes > 0 => {
                Some((KillPoint::Publish, rng.u32(0..oracle.publishes as u32)))
            }
            1 => Some((KillPoint::AfterApplied(api), nth)),
            2 if oracle.writes > 0 => {
                Some((KillPoint::AfterStored, rng.u32(0..oracle.writes as u32)))
            }
            _ => Some((KillPoint::BeforeApplied(api), nth)),
        }
    } else {
        None
    };
    Plan { faults, kill }
}

/// What one seed did, for the figures.
#[derive(Default)]
struct Figures {
    runs: BTreeMap<String, u64>,
    faults_planned: BTreeMap<String, u64>,
    faults_fired: BTreeMap<String, u64>,
    kills_planned: BTreeMap<String, u64>,
    kills: BTreeMap<String, u64>,
    faulted_runs_failed: u64,
    lease_conflicts: u64,
    failures: Vec<String>,
}

fn core_of(world: &World, api: Api) -> &Arc<SimCore> {
    match api {
        Api::Autotask => world.autotask.core(),
        Api::Acronis => world.acronis.core(),
    }
}

/// One seed: the world, the faulted run (maybe killed), the clean pass, the comparison.
async fn one_seed(
    seed: u64,
    oracles: &BTreeMap<JobKind, Oracle>,
    store: Arc<dyn Store>,
    twice: bool,
    figures: &Mutex<Figures>,
) -> Result<(), String> {
    let kind = JobKind::of(seed);
    let oracle = &oracles[&kind];
    let plan = plan(seed, oracle);
    run_plan(
        &format!("seed {seed}"),
        kind,
        oracle,
        plan,
        store,
        twice,
        figures,
    )
    .await
}

/// One plan of faults and kill on a fresh world of `kind`: the faulted run (maybe
/// killed), the clean pass, the comparison with the fault-free end state.
async fn run_plan(
    label: &str,
    kind: JobKind,
    oracle: &Oracle,
    plan: Plan,
    store: Arc<dyn Store>,
    twice: bool,
    figures: &Mutex<Figures>,
) -> Result<(), String> {
    if show() {
        println!(
            "{label}: faults {:?} kill {:?}",
            plan.faults
                .iter()
                .map(|(a, n, k, _)| format!("{k} at {a:?} call {n}"))
                .collect::<Vec<_>>(),
            plan.kill
        );
    }
    let mut chaos = Chaos::build(kind, store).await?;
    for (api, nth, _, rule) in &plan.faults {
        core_of(&chaos.world, *api)
            .faults
            .add_after(*nth, rule.clone());
    }
    if let Some((point, nth)) = plan.kill {
        match point {
            KillPoint::Publish => {
                *chaos.bus.kill_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(nth as usize)
            }
            KillPoint::AfterStored => chaos.store.arm(Some(nth as usize)),
            KillPoint::BeforeApplied(api) | KillPoint::AfterApplied(api) => {
                let applied = matches!(point, KillPoint::AfterApplied(_));
                core_of(&chaos.world, api)
                    .faults
                    .add_after(nth, rule("*", None, FaultKind::Hang { applied }));
            }
        }
    }
    let at = chaos.world.autotask.core().clone();
    let ac = chaos.world.acronis.core().clone();
    let bus = chaos.bus.clone();
    let store = chaos.store.clone();
    let outcome = tokio::select! {
        outcome = chaos.step(kind) => Some(outcome),
        () = at.hung.notified() => None,
        () = ac.hung.notified() => None,
        () = bus.killed.notified() => None,
        () = store.killed.notified() => None,
    };
    *bus.kill_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
    store.arm(None);
    let mut left: BTreeMap<Api, Vec<FaultRule>> = BTreeMap::from([
        (Api::Autotask, at.faults.rules()),
        (Api::Acronis, ac.faults.rules()),
    ]);
    at.faults.clear();
    ac.faults.clear();
    {
        let mut f = figures.lock().unwrap_or_else(|p| p.into_inner());
        *f.runs.entry(kind.name().into()).or_default() += 1;
        for (api, _, name, rule) in &plan.faults {
            let left = left.entry(*api).or_default();
            *f.faults_planned.entry((*name).into()).or_default() += 1;
            // A rule still there never met its Nth call (the run ended or was killed
            // first); each planned rule is taken out once.
            match left.iter().position(|r| r == rule) {
                Some(i) => {
                    left.remove(i);
                }
                None => *f.faults_fired.entry((*name).into()).or_default() += 1,
            }
        }
        let hung = outcome.is_none();
        if let Some((point, _)) = plan.kill {
            *f.kills_planned.entry(format!("{point:?}")).or_default() += 1;
            if hung {
                *f.kills.entry(format!("{point:?}")).or_default() += 1;
            }
        }
        if matches!(&outcome, Some(Err(_)))
            || matches!(&outcome, Some(Ok(s)) if !s.failed.is_empty())
        {
            f.faulted_runs_failed += 1;
        }
    }
    if twice {
        // Still inside the killed run's lease: a second run must not start.
        chaos.fresh_process();
        let early = chaos.step(kind).await;
        let skipped = early.as_ref().is_ok_and(|s| {
            s.skipped
                .iter()
                .any(|n| n.reason.contains("holds the lease"))
        });
        // A run killed after releasing its lease (on the way out) holds nothing.
        let released = chaos
            .store
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&"release_lease");
        if outcome.is_none() && !released && !skipped && kind != JobKind::Quota {
            return Err(format!(
                "a run inside a killed run's lease was not refused: {early:?}"
            ));
        }
        if skipped {
            figures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .lease_conflicts += 1;
        }
    }
    if show() {
        println!("{label}: faulted run {outcome:?}");
    }
    chaos.clean(kind).await?;
    if show() {
        chaos.show_trail().await;
    }
    if twice {
        // Two clean runs at once, past every lease: one holds the lease, the other
        // loses the conditional write and does nothing; the state stays the same.
        chaos.world.clock.advance(chrono::Duration::minutes(16));
        let trigger = main_trigger(kind);
        let (a, b) = tokio::join!(
            run_job(kind.name(), &chaos.world.ctx, &trigger, false),
            run_job(kind.name(), &chaos.world.ctx, &trigger, false)
        );
        let a = a.map_err(|e| e.to_string())?;
        let b = b.map_err(|e| e.to_string())?;
        let lost = [&a, &b]
            .iter()
            .filter(|s| {
                s.skipped
                    .iter()
                    .any(|n| n.reason.contains("holds the lease"))
            })
            .count();
        figures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .lease_conflicts += lost as u64;
    }
    let state = chaos.state().await?;
    let diff: Vec<String> = oracle
        .state
        .iter()
        .filter(|(k, v)| state.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "  {k}: expected {v}, found {}",
                state.get(k).unwrap_or(&Value::Null)
            )
        })
        .chain(
            state
                .iter()
                .filter(|(k, _)| !oracle.state.contains_key(*k))
                .map(|(k, v)| format!("  {k}: unexpected {v}")),
        )
        .collect();
    if !diff.is_empty() {
        return Err(format!(
            "the end state differs from the fault-free one (faults {:?}, kill {:?}):\n{}",
            plan.faults
                .iter()
                .map(|(a, n, k, _)| format!("{k} at {a:?} call {n}"))
                .collect::<Vec<_>>(),
            plan.kill,
            diff.join("\n")
        ));
    }
    Ok(())
}

fn main_trigger(kind: JobKind) -> Trigger {
    match kind {
        JobKind::Poller => sched("poll"),
        JobKind::Quota => sched("sweep"),
        JobKind::Usage => sched("report"),
        JobKind::Alerts => sched("poll"),
    }
}

/// `CHAOS_SHOW` prints each seed's plan and trail and the fault-free end states.
fn show() -> bool {
    std::env::var_os("CHAOS_SHOW").is_some()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The seeds of this run: `CHAOS_SEED` alone, or `count` from `first`.
fn seeds(first: u64, count: u64) -> Vec<u64> {
    match env_u64("CHAOS_SEED") {
        Some(seed) => vec![seed],
        None => (first..first + count).collect(),
    }
}

async fn oracles() -> BTreeMap<JobKind, Oracle> {
    let mut out = BTreeMap::new();
    for kind in KINDS {
        let o = oracle(kind).await;
        if show() {
            println!(
                "{kind:?} {} {} {}: {}",
                o.autotask_calls,
                o.acronis_calls,
                o.publishes,
                serde_json::to_string_pretty(&o.state).unwrap_or_default()
            );
        }
        out.insert(kind, o);
    }
    out
}

/// Runs the seeds, `in_flight` at a time, each on its own task so that they share the
/// cores; a seed that panics or takes too long is a failure like any other.
async fn run_seeds<F, Fut>(
    seeds: Vec<u64>,
    in_flight: usize,
    oracles: &Arc<BTreeMap<JobKind, Oracle>>,
    figures: &Arc<Mutex<Figures>>,
    twice: bool,
    store_for: F,
) where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>> + Send + 'static,
{
    let outcomes: Vec<(u64, Result<(), String>)> = futures_util::stream::iter(seeds)
        .map(|seed| {
            let (oracles, figures, store) = (oracles.clone(), figures.clone(), store_for(seed));
            async move {
                let task = tokio::spawn(async move {
                    let store = store.await;
                    tokio::time::timeout(
                        SEED_TIMEOUT,
                        one_seed(seed, &oracles, store, twice, &figures),
                    )
                    .await
                    .unwrap_or_else(|_| Err(format!("did not finish within {SEED_TIMEOUT:?}")))
                });
                let outcome = task.await.unwrap_or_else(|e| Err(format!("panicked: {e}")));
                (seed, outcome)
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let mut f = figures.lock().unwrap_or_else(|p| p.into_inner());
    for (seed, outcome) in outcomes {
        if let Err(e) = outcome {
            f.failures
                .push(format!("seed {seed} ({}): {e}", JobKind::of(seed).name()));
        }
    }
}

fn report(name: &str, figures: &Figures, seconds: f64) {
    let summary = json!({
        "store": name,
        "runs": figures.runs,
        "seconds": (seconds * 10.0).round() / 10.0,
        "faults_planned": figures.faults_planned,
        "faults_fired": figures.faults_fired,
        "kills_planned": figures.kills_planned,
        "kills": figures.kills,
        "faulted_runs_that_failed": figures.faulted_runs_failed,
        "lease_conflicts": figures.lease_conflicts,
        "seeds_failed": figures.failures.len(),
    });
    println!("chaos summary: {summary}");
    // `<target dir>/tmp` is Cargo's scratch folder for integration tests.
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = target.parent().unwrap_or(target).join("chaos");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(
            dir.join(format!("summary-{name}.json")),
            serde_json::to_string_pretty(&summary).unwrap_or_default(),
        );
    }
}

fn fail_with_seeds(figures: &Figures) {
    assert!(
        figures.failures.is_empty(),
        "{} seed(s) failed; rerun one with CHAOS_SEED=<seed>:\n{}",
        figures.failures.len(),
        figures.failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_converges_after_seeded_faults_and_kills_on_the_embedded_store() {
    let started = Instant::now();
    let oracles = oracles().await;
    let figures = Mutex::new(Figures::default());
    let count = env_u64("CHAOS_RUNS").unwrap_or(1000);
    let (oracles, figures) = (Arc::new(oracles), Arc::new(figures));
    run_seeds(
        seeds(0, count),
        IN_FLIGHT,
        &oracles,
        &figures,
        false,
        |_| async {
            let store: Arc<dyn Store> =
                Arc::new(SqliteStore::open_in_memory().await.expect("store"));
            store
        },
    )
    .await;
    let figures = std::mem::take(&mut *figures.lock().unwrap_or_else(|p| p.into_inner()));
    report("embedded", &figures, started.elapsed().as_secs_f64());
    fail_with_seeds(&figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_converges_after_seeded_faults_kills_and_lost_conditional_writes_on_dynamodb() {
    let started = Instant::now();
    let moto = test_harness::Moto::start().await;
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let oracles = oracles().await;
    let figures = Mutex::new(Figures::default());
    let count = env_u64("CHAOS_DYNAMO_RUNS").unwrap_or(24);
    // Other seeds than the embedded suite's, so the two cover different plans.
    let (oracles, figures) = (Arc::new(oracles), Arc::new(figures));
    run_seeds(
        seeds(1_000_000, count),
        4,
        &oracles,
        &figures,
        true,
        move |seed| {
            let client = client.clone();
            async move {
                let table = format!("chaos-{seed}");
                DynamoStore::create_table(&client, &table)
                    .await
                    .expect("table");
                let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client, table));
                store
            }
        },
    )
    .await;
    let figures = std::mem::take(&mut *figures.lock().unwrap_or_else(|p| p.into_inner()));
    report("dynamodb", &figures, started.elapsed().as_secs_f64());
    fail_with_seeds(&figures);
}

/// Not left to chance: each job dies after each store write of its fault-free run in
/// turn (between two store calls, or between a store call and the next outbound one),
/// and every one of those runs converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_converges_after_a_kill_after_each_store_write() {
    let oracles = oracles().await;
    let figures = Mutex::new(Figures::default());
    let mut failures = Vec::new();
    let mut kills = 0;
    for kind in KINDS {
        let oracle = &oracles[&kind];
        assert!(oracle.writes > 0, "{kind:?} writes nothing to the store");
        for nth in 0..oracle.writes as u32 {
            let plan = Plan {
                faults: Vec::new(),
                kill: Some((KillPoint::AfterStored, nth)),
            };
            let store: Arc<dyn Store> =
                Arc::new(SqliteStore::open_in_memory().await.expect("store"));
            let label = format!("{} after store write {nth}", kind.name());
            if let Err(e) = run_plan(&label, kind, oracle, plan, store, false, &figures).await {
                failures.push(format!("{label}: {e}"));
            }
            kills += 1;
        }
    }
    let figures = figures.into_inner().unwrap_or_else(|p| p.into_inner());
    println!(
        "kills after a store write: {kills}, of which held: {:?}",
        figures.kills
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(
        figures.kills.get("AfterStored").copied(),
        Some(kills),
        "every planned kill must have been held"
    );
}

#[tokio::test]
async fn a_kill_between_storing_a_snapshot_and_announcing_it_is_healed_by_the_quota_sweep() {
    let oracle = oracle(JobKind::Quota).await;
    let store = Arc::new(SqliteStore::open_in_memory().await.expect("store"));
    let mut chaos = Chaos::build(JobKind::Quota, store).await.expect("setup");
    *chaos.bus.kill_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(0);
    let bus = chaos.bus.clone();
    tokio::select! {
        _ = chaos.step(JobKind::Quota) => panic!("the publish was not held"),
        () = bus.killed.notified() => {}
    }
    *bus.kill_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
    // The snapshots are stored with the new units; no event announced them, so the
    // quotas are still the old ones.
    let acme = chaos.tenant(ACME).expect("tenant");
    let servers = |chaos: &Chaos| {
        chaos
            .world
            .enabled_items(&acme)
            .into_iter()
            .find(|(name, _)| name == "pw_base_servers")
            .map(|(_, quota)| quota)
    };
    assert_eq!(servers(&chaos), Some(json!(2)), "not pushed yet");
    let snapshot = chaos
        .world
        .store
        .get_contract_snapshot(ACME)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(snapshot.value.items.len(), 3);

    // The next poll re-reads the same contracts and finds the stored snapshots equal,
    // so it announces nothing; the sweep finds them ahead of what was pushed.
    chaos.fresh_process();
    chaos.world.clock.advance(chrono::Duration::minutes(16));
    expect_clean("poll", chaos.run("contract-poller", sched("poll")).await).expect("poll");
    assert!(chaos.events.try_recv().is_err(), "nothing announced");
    expect_clean("sweep", chaos.run("quota-push", sched("sweep")).await).expect("sweep");
    assert_eq!(servers(&chaos), Some(json!(3)), "pushed by the sweep");
    assert_eq!(chaos.state().await.expect("state"), oracle.state);
}
