//! Quota push: the Acronis offering-item quotas of every mapped customer follow the
//! units of its Autotask recurring-service contracts (and, with two-way sync, a quota
//! changed by hand in Acronis flows back into the contract).
//!
//! It never reads Autotask contracts: the contract poller stores each company's
//! contract snapshot and announces a changed company with an event; quota push plans
//! that company from the snapshot, the tenant's offering items and the merge bases
//! (`bridge_core::quota_push::plan_quotas`) and writes only what differs. Its `sweep`
//! schedule catches what an event missed: every mapped company whose snapshot is ahead
//! of the version last pushed, or that was never pushed (a tenant mapped by hand). A
//! run now checks every mapped company, and the nightly sweep of the poller announces
//! every one, so a quota changed by hand in Acronis is seen within a day (at once with
//! run now). A dry run, and `GET /plan`, show the same plan without applying it. A
//! company mapped to a sub-partner is reported as skipped and never pushed: the quotas
//! of the sub-partner's customers follow their own mappings.

mod company;
mod scope;
mod units;

pub use company::{CompanyPlan, plan_company};

use crate::job::{Job, JobSchedule, JobSpec, Switch, Timing};
use crate::{JobError, JobRun, Trigger};
use bridge_core::settings;
use std::time::Duration;

/// The job's name: its function crate, lease and audit actor.
pub const JOB: &str = "quota-push";

/// How long a run holds its lease; the template's timeout for the function stays below.
pub const LEASE_TTL: Duration = Duration::from_secs(5 * 60);

/// Customers pushed at once (each is a few Acronis calls).
const CONCURRENCY: usize = 8;

/// The job's entry in the registry.
pub static SPEC: JobSpec = JobSpec {
    name: JOB,
    description: "sets each mapped customer's Acronis quotas from its prepaid contracts (two-way with the setting)",
    switch: Switch {
        setting: "features.billing",
        is_on: |s| s.features.billing,
    },
    schedules: &[JobSchedule {
        name: "sweep",
        timing: Timing::Every(settings::Job::QuotaPushSweep),
    }],
    consumes_change_events: true,
    lease_ttl: LEASE_TTL,
};

/// Quota push as a [`Job`].
pub struct QuotaPush;

#[async_trait::async_trait]
impl Job for QuotaPush {
    fn spec(&self) -> &'static JobSpec {
        &SPEC
    }

    /// One company's event takes that company's lease, so events for different
    /// customers run side by side; the sweep takes the job's. Two runs that still meet
    /// on one customer converge: Acronis refuses a stale quota version and the record of
    /// the push is written at a version.
    fn lease(&self, trigger: &Trigger) -> String {
        match trigger {
            Trigger::ChangeEvent(event) => format!("{JOB}/company/{}", event.company_id),
            _ => JOB.to_owned(),
        }
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError> {
        let companies = match &run.trigger {
            Trigger::ChangeEvent(event) => {
                run.summary.read("change events", 1);
                scope::for_event(run.ctx, event).await?
            }
            Trigger::Schedule { name } if name == "sweep" => {
                scope::behind(run.ctx, &mut run.summary).await?
            }
            Trigger::Manual => scope::all(run.ctx, &mut run.summary).await?,
            Trigger::Schedule { name } => {
                return Err(JobError::Invalid(format!(
                    "{JOB} has no schedule {:?} (sweep)",
                    bridge_core::text::bounded(name, 64)
                )));
            }
        };
        company::push_all(run, companies).await
    }
}
