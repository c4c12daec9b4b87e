//! The job process: runs a sequence of job runs against the simulators and reports its
//! own wall time, CPU time and peak memory as one JSON line on stdout.

use crate::bridge::{self, Endpoints};
use crate::stats;
use bridge_core::events::CompanyContractsChanged;
use bridge_jobs::job::{SPECS, Timing};
use bridge_jobs::{Trigger, run_job};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// One step of a job process: a job and what starts it.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A run on one of the job's schedules (`poll`, `sweep`, `report`).
    Schedule { job: String, schedule: String },
    /// One run of the job per change event the earlier steps announced, as the event
    /// bus delivers them when deployed.
    Events { job: String },
    /// Every job on its default schedule for one hour, compressed: each minute's runs
    /// back to back.
    IdleHour,
}

impl Step {
    /// `job:schedule`, `job:events` or `idle-hour`.
    pub fn parse(text: &str) -> anyhow::Result<Step> {
        if text == "idle-hour" {
            return Ok(Step::IdleHour);
        }
        let (job, what) = text
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("step {text:?}: expected job:schedule"))?;
        bridge_jobs::job::find_spec(job)?;
        Ok(match what {
            "events" => Step::Events { job: job.into() },
            schedule => Step::Schedule {
                job: job.into(),
                schedule: schedule.into(),
            },
        })
    }
}

/// What a job process reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_rss_kib: u64,
    /// Job runs made.
    pub runs: u64,
    /// Actions applied over every run.
    pub applied: u64,
    /// Per-customer failures over every run.
    pub failed: u64,
    /// Change events the runs announced.
    pub announced: u64,
}

/// Runs `steps` in this process; the figures cover the runs only, not the start-up.
pub async fn run(dir: &Path, endpoints: &Endpoints, steps: &[Step]) -> anyhow::Result<Outcome> {
    let (ctx, bus) = bridge::open(dir, endpoints).await?;
    let mut events = bus.subscribe();
    let mut pending: Vec<CompanyContractsChanged> = Vec::new();
    let mut outcome = Outcome::default();
    let cpu_before = stats::cpu_seconds();
    let started = Instant::now();
    for step in steps {
        let mut triggers: Vec<(String, Trigger)> = Vec::new();
        match step {
            Step::Schedule { job, schedule } => triggers.push((
                job.clone(),
                Trigger::Schedule {
                    name: schedule.clone(),
                },
            )),
            Step::Events { job } => {
                drain(&mut events, &mut pending);
                triggers.extend(
                    pending
                        .drain(..)
                        .map(|e| (job.clone(), Trigger::ChangeEvent(e))),
                );
            }
            Step::IdleHour => triggers.extend(idle_hour()),
        }
        for (job, trigger) in triggers {
            let summary = run_job(&job, &ctx, &trigger, false).await?;
            outcome.runs += 1;
            outcome.applied += summary.applied;
            outcome.failed += summary.failed.len() as u64;
        }
        let before = pending.len();
        drain(&mut events, &mut pending);
        outcome.announced += (pending.len() - before) as u64;
    }
    outcome.wall_s = started.elapsed().as_secs_f64();
    outcome.cpu_s = stats::cpu_seconds() - cpu_before;
    outcome.peak_rss_kib = stats::peak_rss_kib();
    Ok(outcome)
}

/// The runs of one hour on the default schedules, in order: in minute `m` every job
/// whose interval divides `m`. Fixed schedules (the nightly sweep) are not in it.
pub fn idle_hour() -> Vec<(String, Trigger)> {
    let defaults = bridge_core::settings::Schedules::default();
    let mut runs = Vec::new();
    for minute in 0..60u32 {
        for spec in SPECS {
            for schedule in spec.schedules {
                if let Timing::Every(interval) = schedule.timing {
                    let every = defaults.minutes(interval).max(1);
                    if minute % every == 0 {
                        runs.push((
                            spec.name.to_owned(),
                            Trigger::Schedule {
                                name: schedule.name.to_owned(),
                            },
                        ));
                    }
                }
            }
        }
    }
    runs
}

/// How many runs of each job one hour on the default schedules makes.
pub fn idle_hour_runs() -> Vec<(String, usize)> {
    let runs = idle_hour();
    SPECS
        .iter()
        .map(|s| {
            (
                s.name.to_owned(),
                runs.iter().filter(|(job, _)| job == s.name).count(),
            )
        })
        .collect()
}

/// Keeps every event on the bus so far; a lagging receiver skips the oldest (the
/// bus's backlog is bounded), which only a first sweep of every company reaches.
fn drain(
    events: &mut tokio::sync::broadcast::Receiver<CompanyContractsChanged>,
    into: &mut Vec<CompanyContractsChanged>,
) {
    use tokio::sync::broadcast::error::TryRecvError;
    loop {
        match events.try_recv() {
            Ok(event) => into.push(event),
            Err(TryRecvError::Lagged(_)) => continue,
            Err(_) => return,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bridge_core::settings::Job as Interval;

    #[test]
    fn steps_parse_and_name_bad_input() {
        assert_eq!(
            Step::parse("contract-poller:poll").unwrap(),
            Step::Schedule {
                job: "contract-poller".into(),
                schedule: "poll".into()
            }
        );
        assert_eq!(
            Step::parse("quota-push:events").unwrap(),
            Step::Events {
                job: "quota-push".into()
            }
        );
        assert_eq!(Step::parse("idle-hour").unwrap(), Step::IdleHour);
        assert!(
            Step::parse("nope")
                .unwrap_err()
                .to_string()
                .contains("job:schedule")
        );
        assert!(Step::parse("no-such-job:poll").is_err());
    }

    #[test]
    fn an_idle_hour_runs_each_job_on_its_default_interval() {
        let runs: std::collections::BTreeMap<_, _> = idle_hour_runs().into_iter().collect();
        let per_hour = |job: Interval| (60 / job.default_minutes()) as usize;
        assert_eq!(runs["contract-poller"], per_hour(Interval::ContractPolling));
        assert_eq!(runs["quota-push"], per_hour(Interval::QuotaPushSweep));
        assert_eq!(runs["usage-report"], per_hour(Interval::UsageReporting));
        assert_eq!(runs["alert-ingest"], per_hour(Interval::AlertIngestion));
    }
}
