//! What a job is, and the one registry of them.
//!
//! A job declares its name (the same as its `functions/<name>` crate, its template
//! function, its lease and its audit actor), the setting that switches it on, its
//! schedules and its lease; the harness ([`crate::harness`]) does everything else that
//! every job needs. Adding a job is one module that implements [`Job`], one entry in
//! [`JOBS`], one function crate and one template entry (see `docs/adding-a-job.md`); a
//! test fails when the registry, `infra/template.yaml` and `functions/` disagree.

use crate::{JobError, JobRun};
use async_trait::async_trait;
use bridge_core::settings::{self, Settings};
use std::time::Duration;

/// The function that serves the configuration endpoint (not a job: it runs on HTTP).
pub const CONFIG_API: &str = "config-api";

/// Everything the harness, the local runner, the config API and the template check
/// need to know of a job.
#[derive(Debug)]
pub struct JobSpec {
    /// `functions/<name>`, the template's function `<stack>-<name>`, the lease, the
    /// audit actor.
    pub name: &'static str,
    /// One line for people (`GET /jobs`, `bridge jobs`).
    pub description: &'static str,
    /// The setting that switches the job on.
    pub switch: Switch,
    /// Its schedules, as the template declares them.
    pub schedules: &'static [JobSchedule],
    /// Whether "Company contracts changed" events are routed to it.
    pub consumes_change_events: bool,
    /// How long a run holds the job's lease. The function's timeout must stay below it,
    /// so a live run never loses it; a crashed one blocks the next runs this long.
    pub lease_ttl: Duration,
}

/// The setting that switches a job on.
#[derive(Debug)]
pub struct Switch {
    /// Its path in the settings document, e.g. `features.billing`.
    pub setting: &'static str,
    pub is_on: fn(&Settings) -> bool,
}

/// One schedule of a job: the template sends it as `{"schedule": "<name>"}` from the
/// rule `<stack>-<job>-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSchedule {
    pub name: &'static str,
    pub timing: Timing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Every N minutes, N from the settings (`schedules.*`); the config API re-times
    /// the rule when the setting changes.
    Every(settings::Job),
    /// Fixed in the template (an EventBridge expression such as `cron(0 3 * * ? *)`).
    Fixed(&'static str),
}

impl JobSchedule {
    /// The rule's name in a stack, e.g. `bridge-contract-poller-poll`.
    pub fn rule(&self, stack: &str, job: &str) -> String {
        format!("{stack}-{job}-{}", self.name)
    }

    /// The EventBridge expression the schedule runs on under these settings.
    pub fn expression(&self, settings: &Settings) -> String {
        match self.timing {
            Timing::Every(interval) => settings.schedules.rate_expression(interval),
            Timing::Fixed(expression) => expression.to_owned(),
        }
    }
}

/// A job's work. The harness hands it a [`JobRun`] once the lease is held, the
/// settings are loaded and the job is switched on; it records what it did in the
/// run's summary.
#[async_trait]
pub trait Job: Send + Sync {
    fn spec(&self) -> &'static JobSpec;

    /// The lease a run for `trigger` takes: the job's own by default, so its runs never
    /// overlap. A job whose runs for different customers may overlap names a narrower one.
    fn lease(&self, _trigger: &crate::Trigger) -> String {
        self.spec().name.to_owned()
    }

    async fn run(&self, run: &mut JobRun<'_>) -> Result<(), JobError>;
}

/// Every job of the bridge, in the order the local runner lists them.
pub static JOBS: &[&dyn Job] = &[
    &crate::contract_poller::ContractPoller,
    &crate::quota_push::QuotaPush,
    &crate::usage_report::UsageReport,
    &crate::alert_ingest::AlertIngest,
];

/// What [`JOBS`] declare, in the same order (a test keeps the two equal). Code that
/// only needs to know about the jobs — the config function listing them, re-timing
/// their schedules, invoking their functions — reads this, so the jobs' own code is not
/// linked into it.
pub static SPECS: &[&JobSpec] = &[
    &crate::contract_poller::SPEC,
    &crate::quota_push::SPEC,
    &crate::usage_report::SPEC,
    &crate::alert_ingest::SPEC,
];

/// The job of this name.
pub fn find(name: &str) -> Result<&'static dyn Job, JobError> {
    let spec = find_spec(name)?;
    JOBS.iter()
        .copied()
        .find(|job| job.spec().name == spec.name)
        .ok_or_else(|| JobError::Invalid(format!("{} is declared but not registered", spec.name)))
}

/// The declaration of the job of this name.
pub fn find_spec(name: &str) -> Result<&'static JobSpec, JobError> {
    SPECS
        .iter()
        .copied()
        .find(|spec| spec.name == name)
        .ok_or_else(|| {
            JobError::Invalid(format!(
                "unknown job {:?} (known: {})",
                bridge_core::text::bounded(name, 64),
                names().join(", ")
            ))
        })
}

/// The names of every job.
pub fn names() -> Vec<&'static str> {
    SPECS.iter().map(|spec| spec.name).collect()
}

/// The rule re-timed when the settings' interval `interval` changes, if a job of this
/// build runs on it.
pub fn rule_for_interval(stack: &str, interval: settings::Job) -> Option<String> {
    SPECS.iter().find_map(|spec| {
        spec.schedules
            .iter()
            .find(|s| s.timing == Timing::Every(interval))
            .map(|s| s.rule(stack, spec.name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_declared_in_order() {
        let declared: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
        let registered: Vec<&str> = JOBS.iter().map(|j| j.spec().name).collect();
        assert_eq!(declared, registered);
    }

    #[test]
    fn names_are_unique_and_look_like_crates() {
        let mut names = names();
        for name in &names {
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{name:?}"
            );
            assert_ne!(*name, CONFIG_API);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), JOBS.len());
    }

    #[test]
    fn each_interval_setting_retimes_at_most_one_rule() {
        let mut seen = Vec::new();
        for spec in SPECS {
            for schedule in spec.schedules {
                if let Timing::Every(interval) = schedule.timing {
                    assert!(!seen.contains(&interval), "{interval:?} twice");
                    seen.push(interval);
                }
            }
        }
        assert_eq!(
            rule_for_interval("bridge", settings::Job::ContractPolling).as_deref(),
            Some("bridge-contract-poller-poll")
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_known_ones() {
        let long = "x".repeat(10_000);
        let Err(e) = find(&long) else {
            panic!("found a job named x…")
        };
        let text = e.to_string();
        assert!(
            text.contains("contract-poller") && text.len() < 300,
            "{text}"
        );
        assert!(find("contract-poller").is_ok());
    }
}
