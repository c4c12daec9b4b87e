//! The bridge's jobs, and the harness they run on.
//!
//! A job ([`job::Job`]) reads through the ports in [`Context`], asks the pure core for a
//! plan, applies it (unless it is a dry run) and records what it did: audit entries,
//! cursors, ledgers, and a [`JobSummary`] that the Lambda handler logs and the local
//! runner prints. The harness ([`harness::run`]) does what every run needs once: the
//! lease, the settings and the job's switch, request counts, and the record of the run.
//! [`job::JOBS`] is the one list of jobs that the Lambda entry point, the local runner,
//! the config API and the template check all read.
//!
//! The Autotask and Acronis clients are used as they are (concrete types pointed at the
//! real APIs or the simulators), not behind job-side traits: they are already the
//! adapters, and tests run them against the simulators rather than against doubles.

pub mod alert_ingest;
pub mod audit;
pub mod clock;
pub mod context;
pub mod contract_poller;
pub mod contract_units;
pub mod database;
pub mod deadline;
pub mod error;
pub mod harness;
pub mod job;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod launch;
pub mod lease;
pub mod offering_items;
pub mod provisioning;
pub mod quota_push;
pub mod sigv4;
pub mod stored;
pub mod summary;
pub mod telemetry;
pub mod trigger;
pub mod usage_report;

pub use clock::{Clock, ManualClock, SystemClock};
pub use context::Context;
pub use deadline::Deadline;
pub use error::JobError;
pub use harness::{Invocation, JobRun, run_job};
pub use job::{JOBS, Job, JobSpec};
pub use summary::JobSummary;
pub use trigger::Trigger;
