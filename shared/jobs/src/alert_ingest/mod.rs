//! Alert ingestion: Acronis alerts of mapped customers become Autotask tickets — one
//! ticket per alert, notes for repeats, re-opening within the window, auto-closing when
//! the alert is dismissed.
//!
//! Every minute it pages the alerts updated since its cursor (the first run takes every
//! alert still active), plans each with the core's ticket planner
//! (`bridge_core::tickets::plan_ticket`) and applies the one action it gives. A ticket is
//! never created twice: the intent is recorded first (a conditional write only one run
//! wins), and a run that finds an intent without its ticket looks the ticket up by its
//! marker (`externalID`) before creating one. The cursor advances only past alerts whose
//! ticket work is committed; a malformed alert is recorded as skipped, with why, and
//! does not hold back the rest.

mod alert;
mod cursor;

pub use alert::alert_view;

use crate::job::{Job, JobSchedule, JobSpec, Switch, Timing};
use crate::{JobError, JobRun, Trigger};
use bridge_core::settings;
use std::time::Duration;

/// The job's name: its function crate, lease and audit actor.
pub const JOB: &str = "alert-ingest";

/// How long a run holds its lease; the template's timeout for the function stays below.
pub const LEASE_TTL: Duration = Duration::from_secs(5 * 60);

/// Alerts per page of the Alert Manager.
const PAGE: u32 = 200;

/// The job's entry in the registry.
pub static SPEC: JobSpec = JobSpec {
    name: JOB,
    description: "turns Acronis alerts of mapped customers into Autotask tickets and notes",
    switch: Switch {
        setting: "features.ticket_creation",
        is_on: |s| s.features.ticket_creation,
    },
    schedules: &[JobSchedule {
        name: "poll",
        timing: Timing::Every(settings::Job::AlertIngestion),
    }],
    consumes_change_events: false,
    lease_ttl: LEASE_TTL,
};

/// Alert ingestion as a [`Job`].
pub struct AlertIngest;

#[async_trait::async_trait]
impl Job for AlertIngest {
    fn spec(&self) -> &'static JobSpec {
        &SPEC
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError> {
        match &run.trigger {
            Trigger::Schedule { name } if name == "poll" => {}
            Trigger::Manual => {}
            Trigger::Schedule { name } => {
                return Err(JobError::Invalid(format!(
                    "{JOB} has no schedule {:?} (poll)",
                    bridge_core::text::bounded(name, 64)
                )));
            }
            Trigger::ChangeEvent(_) => {
                return Err(JobError::Invalid(format!(
                    "{JOB} does not consume change events"
                )));
            }
        }
        alert::ingest(run, PAGE).await
    }
}
