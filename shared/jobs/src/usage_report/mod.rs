//! Usage reporting: the Acronis usage of pay-as-you-go customers becomes the units of
//! their Autotask PAYG contract services, storage included.
//!
//! Each run works out the reporting period of the day from the settings
//! (`bridge_core::usage::period_for`; a custom billing month is reported once, on its
//! day). It reads the usage of every mapped customer with Acronis lines, 100 tenants a
//! request, keeps the day's figures in the usage history, and plans each customer with
//! the core (`bridge_core::usage::plan_usage`): a running period from this run's figures,
//! a past one from the last figures seen inside it. A sub-partner's customers are added
//! up into its company, less those mapped on their own. The contract services to write
//! are re-read in a few batched queries right before writing, and each write is kept in
//! the ledger for its (contract service, period), so a rerun or a duplicate trigger
//! writes nothing; a correction inside a period that is still being reported replaces
//! the value, audited. Missing or stale usage skips a line with the reason, never
//! reports zero. A dry run, and `GET /plan`, show the same plan without writing.

mod read;
mod report;
mod units;

pub use report::{CompanyUsage, STALE_AFTER_HOURS, Unplanned};
pub use units::placement;

use crate::job::{Job, JobSchedule, JobSpec, Switch, Timing};
use crate::{Context, JobError, JobRun, JobSummary, Trigger, stored};
use acronis::AcronisClient;
use bridge_core::events::ChangeReason;
use bridge_core::mapping::CustomerMapping;
use bridge_core::settings::{self, Settings};
use bridge_core::usage::period_for;
use std::collections::BTreeMap;
use std::time::Duration;

/// The job's name: its function crate, lease and audit actor.
pub const JOB: &str = "usage-report";

/// How long a run holds its lease; the template's timeout for the function stays below.
/// Every trigger takes this one lease: adjustments add up, so two runs must never
/// write the same contract service at once.
pub const LEASE_TTL: Duration = Duration::from_secs(15 * 60);

/// The job's entry in the registry.
pub static SPEC: JobSpec = JobSpec {
    name: JOB,
    description: "reports the Acronis usage of pay-as-you-go customers into their Autotask contracts",
    switch: Switch {
        setting: "features.billing",
        is_on: |s| s.features.billing,
    },
    schedules: &[JobSchedule {
        name: "report",
        timing: Timing::Every(settings::Job::UsageReporting),
    }],
    consumes_change_events: true,
    lease_ttl: LEASE_TTL,
};

/// Usage reporting as a [`Job`], as registered and deployed.
pub struct UsageReport;

#[async_trait::async_trait]
impl Job for UsageReport {
    fn spec(&self) -> &'static JobSpec {
        &SPEC
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError> {
        UsageReportWithin(units::WRITE_BUDGET).run(run).await
    }
}

/// Usage reporting that starts writes only within the given time (the registered job
/// uses [`units::WRITE_BUDGET`]; a test gives it none to see the rest deferred).
pub struct UsageReportWithin(pub Duration);

#[async_trait::async_trait]
impl Job for UsageReportWithin {
    fn spec(&self) -> &'static JobSpec {
        &SPEC
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError> {
        let today = run.ctx.clock.now().date_naive();
        let period = period_for(&run.settings.usage_reporting, today);
        if period.is_none() {
            run.summary.skip(
                "period",
                format!(
                    "usage is reported once a month, on day {} (custom billing month); today's usage is kept in the history",
                    run.settings.usage_reporting.billing_month_start_day
                ),
            );
        }
        let (scope, all) = match &run.trigger {
            Trigger::ChangeEvent(event) if event.reason == ChangeReason::Sweep => {
                // The nightly sweep announces every company for quota push; the
                // scheduled report already covers every customer.
                run.summary.skip(
                    format!("company:{}", event.company_id),
                    "a nightly-sweep announcement; the scheduled report covers every customer",
                );
                return Ok(());
            }
            Trigger::ChangeEvent(event) => {
                run.summary.read("change events", 1);
                let mapping = run
                    .ctx
                    .store
                    .get_mapping_by_company(event.company_id)
                    .await?;
                // Only a sub-partner's aggregate needs the other mappings.
                let all = if mapping
                    .as_ref()
                    .is_some_and(CustomerMapping::is_sub_partner)
                {
                    stored::all_mappings(run.ctx).await?
                } else {
                    BTreeMap::new()
                };
                (mapping.into_iter().collect(), all)
            }
            Trigger::Schedule { name } if name == "report" => everyone(run).await?,
            Trigger::Manual => everyone(run).await?,
            Trigger::Schedule { name } => {
                return Err(JobError::Invalid(format!(
                    "{JOB} has no schedule {:?} (report)",
                    bridge_core::text::bounded(name, 64)
                )));
            }
        };
        report::report(run, scope, &all, period.as_ref(), self.0).await
    }
}

/// Every mapping, as the scope and as the set sub-partner aggregates are checked against.
async fn everyone(
    run: &mut JobRun<'_>,
) -> Result<(Vec<CustomerMapping>, BTreeMap<i64, CustomerMapping>), JobError> {
    let all = stored::all_mappings(run.ctx).await?;
    run.summary.read("mappings", all.len() as u64);
    Ok((all.values().cloned().collect(), all))
}

/// What the next report would write for one customer, without writing anything (the
/// usage history is not touched either). `None` when no period is reported today.
pub async fn plan_company(
    ctx: &Context,
    acronis: &AcronisClient,
    settings: &Settings,
    mapping: CustomerMapping,
) -> Result<Option<CompanyUsage>, JobError> {
    let now = ctx.clock.now();
    let Some(period) = period_for(&settings.usage_reporting, now.date_naive()) else {
        return Ok(None);
    };
    let all = if mapping.is_sub_partner() {
        stored::all_mappings(ctx).await?
    } else {
        BTreeMap::new()
    };
    let company_id = mapping.company_id;
    let mut scratch = JobSummary::start(JOB, true, now);
    let gathered = report::gather(
        ctx,
        acronis,
        settings,
        vec![mapping],
        &all,
        Some(&period),
        now,
        &mut scratch,
    )
    .await?;
    Ok(gathered
        .plans
        .into_iter()
        .find(|p| p.company_id == company_id))
}
