//! The bridge's jobs.
//!
//! Each job reads through the ports in [`Context`], asks the pure core for a plan,
//! applies it (unless it is a dry run) and records what it did: audit entries, cursors,
//! ledgers, and a [`JobSummary`] that the Lambda handler logs and the local runner
//! prints. A job holds its lease ([`lease`]) while it runs, so two invocations never
//! work at once.
//!
//! The Autotask and Acronis clients are used as they are (concrete types pointed at the
//! real APIs or the simulators), not behind job-side traits: they are already the
//! adapters, and tests run them against the simulators rather than against doubles.

pub mod audit;
pub mod clock;
pub mod context;
pub mod contract_poller;
pub mod error;
pub mod lease;
pub mod offering_items;
pub mod provisioning;
pub mod summary;
pub mod telemetry;
pub mod topology;
pub mod trigger;

pub use clock::{Clock, ManualClock, SystemClock};
pub use context::Context;
pub use error::JobError;
pub use summary::JobSummary;
pub use trigger::Trigger;

/// Every job this build contains, by the name of its function crate (`functions/<name>`).
pub const JOB_NAMES: &[&str] = &[contract_poller::JOB];

/// Runs one job by name: how the Lambda handlers and the local runner dispatch.
pub async fn run_job(
    name: &str,
    ctx: &Context,
    trigger: &Trigger,
    dry_run: bool,
) -> Result<JobSummary, JobError> {
    match name {
        contract_poller::JOB => contract_poller::run(ctx, trigger, dry_run).await,
        _ => Err(JobError::Invalid(format!(
            "unknown job {name:?} (known: {})",
            JOB_NAMES.join(", ")
        ))),
    }
}
