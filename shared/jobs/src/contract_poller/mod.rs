//! The contract poller: the one reader of Autotask contracts.
//!
//! Every minute (`poll`) it reads what changed since its cursor, re-reads all contracts
//! of the companies concerned, stores each company's contract snapshot when its content
//! changed, provisions and deprovisions tenants (`crate::provisioning`: gather, plan
//! with the pure core, apply), and announces each changed company on the event bus. Nightly (`sweep`) it reads everything, which also catches what no filter
//! can see (see `docs/contract-poller.md`), switches finished trials to production,
//! advances the deprovisioning clocks and announces every mapped company, so quota push
//! re-checks each one nightly. The cursor advances only after the work behind it is
//! committed; a dry run is the same code with every write replaced by a plan line. A
//! run past its deadline starts no further company's provisioning and leaves the next
//! run a sweep, which finds what this one committed already done.

mod cursor;
mod reader;
mod recheck;
mod snapshots;
mod udf;

pub use cursor::{NAME as CURSOR_NAME, PollCursor};

use crate::job::{Job, JobSchedule, JobSpec, Switch, Timing};
use crate::provisioning::{self, Applier, Companies, CompanyContracts};
use crate::{Context, JobError, JobRun, JobSummary, Trigger};
use acronis::AcronisClient;
use autotask::AutotaskClient;
use bridge_core::events::{ChangeReason, CompanyContractsChanged};
use bridge_core::policy::{self, Policy};
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::Versioned;
use bridge_core::settings::{self, Settings};
use chrono::{DateTime, Utc};
use snapshots::Refreshed;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The job's name: its function crate, lease and audit actor.
pub const JOB: &str = "contract-poller";

/// How long a run holds the lease. The function's timeout must stay below it (the
/// template gives the poller at most 5 minutes), so a live run never loses it; a crashed
/// one blocks the next runs for at most this long.
pub const LEASE_TTL: Duration = Duration::from_secs(5 * 60);

/// The poller's entry in the job registry.
pub static SPEC: JobSpec = JobSpec {
    name: JOB,
    description: "reads changed Autotask contracts, provisions and deprovisions tenants, announces changed companies",
    switch: Switch {
        setting: "features.billing",
        is_on: |s| s.features.billing,
    },
    schedules: &[
        JobSchedule {
            name: "poll",
            timing: Timing::Every(settings::Job::ContractPolling),
        },
        JobSchedule {
            name: "sweep",
            timing: Timing::Fixed("cron(0 3 * * ? *)"),
        },
    ],
    consumes_change_events: false,
    lease_ttl: LEASE_TTL,
};

/// The contract poller as a [`Job`].
pub struct ContractPoller;

#[async_trait::async_trait]
impl Job for ContractPoller {
    fn spec(&self) -> &'static JobSpec {
        &SPEC
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError> {
        let requested = Mode::from_trigger(&run.trigger)?;
        let autotask = run.autotask().await?;
        let acronis = run.acronis().await?;
        let poller = Run {
            ctx: run.ctx,
            dry_run: run.dry_run,
            deadline: &run.deadline,
        };
        poller
            .execute(
                requested,
                &run.settings,
                &autotask,
                &acronis,
                &mut run.summary,
            )
            .await
    }
}

/// Runs the poller once through the harness (lease, settings, switch, summary).
pub async fn run(ctx: &Context, trigger: &Trigger, dry_run: bool) -> Result<JobSummary, JobError> {
    crate::harness::run(
        &ContractPoller,
        ctx,
        &crate::Invocation::new(trigger.clone(), dry_run),
    )
    .await
}

/// An incremental poll or a full sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Poll,
    Sweep,
}

impl Mode {
    /// `poll` and manual runs are incremental, `sweep` reads everything.
    pub fn from_trigger(trigger: &Trigger) -> Result<Mode, JobError> {
        match trigger {
            Trigger::Schedule { name } if name == "poll" => Ok(Mode::Poll),
            Trigger::Schedule { name } if name == "sweep" => Ok(Mode::Sweep),
            Trigger::Schedule { name } => Err(JobError::Invalid(format!(
                "{JOB} has no schedule {:?} (poll, sweep)",
                bridge_core::text::bounded(name, 64)
            ))),
            Trigger::Manual => Ok(Mode::Poll),
            Trigger::ChangeEvent(_) => Err(JobError::Invalid(format!(
                "{JOB} sends change events; it does not consume them"
            ))),
        }
    }
}

struct Run<'a> {
    ctx: &'a Context,
    dry_run: bool,
    deadline: &'a crate::Deadline,
}

impl Run<'_> {
    async fn execute(
        &self,
        requested: Mode,
        settings: &Settings,
        autotask: &AutotaskClient,
        acronis: &AcronisClient,
        summary: &mut JobSummary,
    ) -> Result<(), JobError> {
        let policy = Policy::from_settings(settings);
        let settings_fingerprint = policy::fingerprint(settings);
        let (mut cursor, version) = cursor::load(self.ctx).await?;
        // A first run, or mappings changed since the last one: every snapshot may change.
        let mode = if cursor.is_new()
            || cursor.sweep_unfinished
            || cursor.settings.as_ref() != Some(&settings_fingerprint)
        {
            Mode::Sweep
        } else {
            requested
        };
        cursor.settings = Some(settings_fingerprint);
        self.work(mode, &policy, &mut cursor, autotask, acronis, summary)
            .await?;
        if !self.dry_run {
            cursor::save(self.ctx, &cursor, version).await?;
        }
        Ok(())
    }

    async fn work(
        &self,
        mode: Mode,
        policy: &Policy,
        cursor: &mut PollCursor,
        autotask: &AutotaskClient,
        acronis: &AcronisClient,
        summary: &mut JobSummary,
    ) -> Result<(), JobError> {
        let now = self.ctx.clock.now();
        let today = now.date_naive();
        summary.read(if mode == Mode::Sweep { "sweep" } else { "poll" }, 1);
        // Whether this run has read the UDF's field info (at most once per run).
        let mut payg_read = false;
        if mode == Mode::Sweep && (!cursor.payg_udf_ready || !cursor.payg_labels.is_empty()) {
            match udf::ensure_payg_udf(self.ctx, autotask, self.dry_run, summary).await {
                Ok(found) => {
                    cursor.payg_udf_ready = found.ready;
                    cursor.payg_labels = found.labels;
                    payg_read = true;
                }
                // Without the UDF every contract reads as prepaid; the run goes on and
                // the next sweep tries again.
                Err(e) => summary.fail("udf:Acronis PAYG", e),
            }
        }
        let pending: BTreeMap<i64, Versioned<PendingProvisioning>> = self
            .ctx
            .store
            .list_pending_provisioning()
            .await?
            .into_iter()
            .map(|p| (p.value.tenant.company_id, p))
            .collect();

        // 1. What to look at, and its contracts.
        let (mut inputs, mut companies, marks, mut mappings) = match mode {
            Mode::Poll => {
                let changes = reader::detect_changes(autotask, cursor, summary).await?;
                let mut companies = changes.companies;
                companies.extend(pending.keys());
                companies.extend(&cursor.held);
                let inputs = reader::read_companies(autotask, &companies, today, summary).await?;
                let mut mappings = BTreeMap::new();
                for &company in &companies {
                    if let Some(m) = self.ctx.store.get_mapping_by_company(company).await? {
                        mappings.insert(company, m);
                    }
                }
                (inputs, companies, changes.marks, mappings)
            }
            Mode::Sweep => {
                let (inputs, marks) = reader::read_everything(autotask, today, summary).await?;
                let mappings = crate::stored::all_mappings(self.ctx).await?;
                let companies: BTreeSet<i64> = inputs
                    .contracts
                    .iter()
                    .map(|c| c.company_id)
                    .chain(mappings.keys().copied())
                    .chain(pending.keys().copied())
                    .collect();
                (inputs, companies, marks, mappings)
            }
        };
        companies.remove(&0);
        udf::resolve_payg_values(autotask, cursor, payg_read, &mut inputs.contracts).await?;

        // 2. Snapshots.
        let refreshed = snapshots::refresh(
            self.ctx,
            &companies,
            &inputs,
            &policy.service_map,
            today,
            self.dry_run,
            summary,
        )
        .await?;
        drop(inputs);
        mappings.retain(|company, _| refreshed.contains_key(company));
        let mapped: BTreeSet<i64> = mappings.keys().copied().collect();

        // 3. Provisioning and deprovisioning, company by company.
        let companies = Companies {
            contracts: refreshed
                .iter()
                .map(|(&company, refreshed)| {
                    let contracts = CompanyContracts {
                        snapshot: &refreshed.snapshot,
                        changed: refreshed.changed(),
                    };
                    (company, contracts)
                })
                .collect(),
            mappings,
            pending,
        };
        let held = self
            .provision(companies, policy, cursor, autotask, acronis, now, summary)
            .await?;
        cursor.sweep_unfinished = false;
        if let Some((held, left)) = held {
            cursor.held = held;
            if left > 0 {
                cursor.sweep_unfinished = true;
                summary.skip(
                    "deadline",
                    format!("stopped at the run's deadline with {left} companies' provisioning left; the next run sweeps again"),
                );
            }
        }

        // 4. Change events, then the cursor.
        let nightly = match mode {
            Mode::Sweep => mapped,
            Mode::Poll => BTreeSet::new(),
        };
        let unannounced = self
            .announce(&refreshed, &nightly, cursor, now, summary)
            .await?;
        cursor.unannounced = unannounced;
        cursor.advance(&marks);
        if mode == Mode::Sweep && !cursor.sweep_unfinished {
            cursor.last_sweep = Some(now);
        }
        Ok(())
    }

    /// Gathers what the planner needs, plans every company, guards and applies the
    /// plans, checking every deletion again right before it. Returns the companies still
    /// held afterwards and how many companies the deadline left unapplied (`None`:
    /// nothing was planned, the held ones stay as they were).
    #[allow(clippy::too_many_arguments)]
    async fn provision(
        &self,
        companies: Companies<'_>,
        policy: &Policy,
        cursor: &mut PollCursor,
        autotask: &AutotaskClient,
        acronis: &AcronisClient,
        now: DateTime<Utc>,
        summary: &mut JobSummary,
    ) -> Result<Option<(Vec<i64>, usize)>, JobError> {
        if companies.contracts.is_empty() {
            return Ok(None);
        }
        let gathered = provisioning::gather(autotask, acronis, companies, policy, summary).await?;
        let mut plans = provisioning::plan(&gathered, policy, now);
        let guarded = provisioning::hold(
            self.ctx,
            &gathered,
            &mut plans,
            policy,
            now,
            self.dry_run,
            summary,
        )
        .await?;
        recheck::recheck_deletions(
            self.ctx,
            autotask,
            cursor,
            &mut plans,
            policy,
            now,
            self.dry_run,
            summary,
        )
        .await?;
        let left = Applier {
            ctx: self.ctx,
            acronis,
            policy,
            now,
            actor: JOB,
            dry_run: self.dry_run,
            deadline: self.deadline,
        }
        .apply(&gathered, &plans, summary)
        .await?;
        let kept = provisioning::clear_holds(self.ctx, &guarded, self.dry_run, summary).await?;
        let mut held: Vec<i64> = guarded.held.iter().map(|p| p.company_id).collect();
        held.extend(kept);
        held.extend(&guarded.untouched);
        held.sort_unstable();
        Ok(Some((held, left)))
    }

    /// One event per company whose snapshot changed, one per mapped company of a sweep
    /// (`nightly`) whose snapshot is stored, plus any left unsent last time. Returns the
    /// companies whose events could not be sent.
    async fn announce(
        &self,
        refreshed: &BTreeMap<i64, Refreshed>,
        nightly: &BTreeSet<i64>,
        cursor: &PollCursor,
        now: DateTime<Utc>,
        summary: &mut JobSummary,
    ) -> Result<Vec<i64>, JobError> {
        let mut events = Vec::new();
        for (&company, refreshed) in refreshed {
            let reason = match refreshed.change {
                Some(reason) => reason,
                // Quota push re-checks every mapped customer nightly, changed or not
                // (a quota changed by hand in Acronis is caught this way).
                None if nightly.contains(&company) => ChangeReason::Sweep,
                None => continue,
            };
            if let Some(version) = refreshed.version {
                events.push(CompanyContractsChanged::new(company, version, now, reason));
            }
        }
        for &company in &cursor.unannounced {
            if events.iter().any(|e| e.company_id == company) {
                continue;
            }
            if let Some(stored) = self.ctx.store.get_contract_snapshot(company).await? {
                let reason = ChangeReason::ContractChanged;
                events.push(CompanyContractsChanged::new(
                    company,
                    stored.version,
                    now,
                    reason,
                ));
            }
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        summary.plan_line(format!("publish {} change event(s)", events.len()));
        if self.dry_run {
            return Ok(cursor.unannounced.clone());
        }
        match self.ctx.bus.publish(&events).await {
            Ok(()) => Ok(Vec::new()),
            Err(e) => {
                let unsent = match &e {
                    bridge_store::events::EventBusError::NotSent { company_ids, .. } => {
                        company_ids.clone()
                    }
                    _ => events.iter().map(|e| e.company_id).collect(),
                };
                summary.fail("events", &e);
                Ok(unsent)
            }
        }
    }
}
