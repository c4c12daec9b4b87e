//! Which jobs the runner runs and when: the template's functions and schedules
//! (`crate::topology`, read from `infra/template.yaml`) for the jobs this build
//! has (`bridge_jobs::JOBS`), so local mode and the deployment share one definition.
//! Pure: the clock is passed in.

use crate::topology::{ScheduleExpr, Topology};
use bridge_core::settings::{Job, Schedules};
use chrono::{DateTime, Duration as TimeDelta, NaiveTime, Utc};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The stack name local mode uses in schedule rule names (`bridge-contract-poller-poll`),
/// the default stack name of the deployment.
pub const LOCAL_STACK_NAME: &str = "bridge";

/// A job the runner schedules.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedJob {
    pub name: String,
    pub schedules: Vec<PlannedSchedule>,
    pub consumes_change_events: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSchedule {
    /// Sent to the job as `Trigger::Schedule { name }`.
    pub name: String,
    /// `<stack>-<function>-<schedule>`: the key of its rate in the bus.
    pub rule: String,
    pub expression: ScheduleExpr,
}

/// The runner's jobs, in template order, and the jobs of this build the template does
/// not schedule (run only with `run --once`).
pub fn plan(
    topology: &Topology,
    job_names: &[&str],
    stack: &str,
) -> (Vec<PlannedJob>, Vec<String>) {
    let jobs: Vec<PlannedJob> = topology
        .functions
        .iter()
        .filter(|f| job_names.contains(&f.name.as_str()))
        .map(|f| PlannedJob {
            name: f.name.clone(),
            schedules: f
                .schedules
                .iter()
                .map(|s| PlannedSchedule {
                    name: s.name.clone(),
                    rule: rule_name(stack, &f.name, &s.name),
                    expression: s.expression.clone(),
                })
                .collect(),
            consumes_change_events: f.consumes_change_events,
        })
        .collect();
    let unplanned = job_names
        .iter()
        .filter(|n| !jobs.iter().any(|j| j.name == **n))
        .map(|n| n.to_string())
        .collect();
    (jobs, unplanned)
}

/// The name the template gives a schedule's rule (and the config API re-times).
pub fn rule_name(stack: &str, function: &str, schedule: &str) -> String {
    format!("{stack}-{function}-{schedule}")
}

/// The intervals the saved settings ask for, by rule name: what the config API would
/// have set on the bus had it saved them in this process.
pub fn settings_rates(schedules: &Schedules, stack: &str) -> Vec<(String, u32)> {
    Job::ALL
        .into_iter()
        .filter_map(|job| {
            bridge_jobs::job::rule_for_interval(stack, job)
                .map(|rule| (rule, schedules.minutes(job)))
        })
        .collect()
}

impl PlannedSchedule {
    /// How long between runs: the rate set for its rule (settings), else the template's.
    /// `None` for a daily schedule.
    pub fn interval(&self, rates: &BTreeMap<String, u32>) -> Option<Duration> {
        match &self.expression {
            ScheduleExpr::Rate(template) => Some(
                rates
                    .get(&self.rule)
                    .map_or(*template, |m| Duration::from_secs(u64::from(*m) * 60)),
            ),
            ScheduleExpr::Daily { .. } => None,
        }
    }

    /// When it runs next, given when it last started (`None`: it never ran).
    pub fn next_run(
        &self,
        last_start: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        rates: &BTreeMap<String, u32>,
    ) -> DateTime<Utc> {
        match &self.expression {
            ScheduleExpr::Rate(_) => {
                let interval = self.interval(rates).unwrap_or_default();
                let step = TimeDelta::from_std(interval).unwrap_or(TimeDelta::MAX);
                match last_start {
                    Some(last) => (last + step).max(now),
                    None => now + step,
                }
            }
            ScheduleExpr::Daily { hour, minute } => next_daily(now, *hour, *minute),
        }
    }

    /// `poll every 1 min`, `sweep daily 03:00 UTC`.
    pub fn describe(&self, rates: &BTreeMap<String, u32>) -> String {
        match (&self.expression, self.interval(rates)) {
            (ScheduleExpr::Daily { hour, minute }, _) => {
                format!("{} daily {hour:02}:{minute:02} UTC", self.name)
            }
            (_, Some(i)) => format!("{} every {}", self.name, Every(i)),
            (_, None) => self.name.clone(),
        }
    }
}

/// The first `hour:minute` UTC strictly after `now`.
pub fn next_daily(now: DateTime<Utc>, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    let today = now.date_naive().and_time(time).and_utc();
    if today > now {
        today
    } else {
        today + TimeDelta::days(1)
    }
}

/// The schedule that runs when the runner starts: the first rate schedule (the job's
/// regular one), else its first schedule, so every job shows a result right away.
pub fn first_run(job: &PlannedJob) -> Option<&PlannedSchedule> {
    job.schedules
        .iter()
        .find(|s| matches!(s.expression, ScheduleExpr::Rate(_)))
        .or_else(|| job.schedules.first())
}

struct Every(Duration);

impl fmt::Display for Every {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        if secs.is_multiple_of(60) {
            write!(f, "{} min", secs / 60)
        } else {
            write!(f, "{secs} s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{FunctionSpec, ScheduleSpec};
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, s)
            .single()
            .expect("valid")
    }

    fn topology() -> Topology {
        let schedule = |name: &str, expression| ScheduleSpec {
            name: name.into(),
            expression,
        };
        Topology {
            functions: vec![
                FunctionSpec {
                    name: "contract-poller".into(),
                    schedules: vec![
                        schedule("sweep", ScheduleExpr::Daily { hour: 3, minute: 0 }),
                        schedule("poll", ScheduleExpr::Rate(Duration::from_secs(60))),
                    ],
                    consumes_change_events: false,
                },
                FunctionSpec {
                    name: "config-api".into(),
                    schedules: vec![],
                    consumes_change_events: false,
                },
                FunctionSpec {
                    name: "quota-push".into(),
                    schedules: vec![schedule(
                        "sweep",
                        ScheduleExpr::Rate(Duration::from_secs(900)),
                    )],
                    consumes_change_events: true,
                },
            ],
        }
    }

    #[test]
    fn plans_only_the_jobs_this_build_has() {
        let (jobs, unplanned) = plan(
            &topology(),
            &["contract-poller", "usage-reporter"],
            "bridge",
        );
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].name, "contract-poller");
        assert_eq!(jobs[0].schedules[1].rule, "bridge-contract-poller-poll");
        assert_eq!(unplanned, vec!["usage-reporter".to_string()]);
        let first = first_run(&jobs[0]).expect("has schedules");
        assert_eq!(
            first.name, "poll",
            "the rate schedule runs first, not the nightly sweep"
        );
    }

    #[test]
    fn settings_override_the_template_rate() {
        let (jobs, _) = plan(&topology(), &["contract-poller"], "bridge");
        let poll = &jobs[0].schedules[1];
        let mut rates = BTreeMap::new();
        assert_eq!(poll.interval(&rates), Some(Duration::from_secs(60)));
        let schedules = Schedules {
            contract_polling_minutes: 5,
            ..Schedules::default()
        };
        rates.extend(settings_rates(&schedules, "bridge"));
        assert_eq!(rates.get("bridge-contract-poller-poll"), Some(&5));
        assert_eq!(poll.interval(&rates), Some(Duration::from_secs(300)));
        assert_eq!(poll.describe(&rates), "poll every 5 min");
        // Every interval the config API can re-time (one per job's rate schedule) has a
        // rule here, and no other.
        let retimable = Job::ALL
            .into_iter()
            .filter(|job| bridge_jobs::job::rule_for_interval("bridge", *job).is_some())
            .count();
        assert!(retimable >= 1);
        assert_eq!(settings_rates(&schedules, "bridge").len(), retimable);
    }

    #[test]
    fn rate_schedules_count_from_the_last_start() {
        let (jobs, _) = plan(&topology(), &["contract-poller"], "bridge");
        let poll = &jobs[0].schedules[1];
        let rates = BTreeMap::new();
        let now = at(12, 0, 30);
        assert_eq!(poll.next_run(Some(at(12, 0, 0)), now, &rates), at(12, 1, 0));
        // Overdue (a long run, or a shortened rate): right away.
        assert_eq!(poll.next_run(Some(at(11, 0, 0)), now, &rates), now);
        assert_eq!(poll.next_run(None, now, &rates), at(12, 1, 30));
    }

    #[test]
    fn daily_schedules_run_at_the_next_occurrence() {
        assert_eq!(next_daily(at(2, 59, 59), 3, 0), at(3, 0, 0));
        assert_eq!(
            next_daily(at(3, 0, 0), 3, 0),
            at(3, 0, 0) + TimeDelta::days(1)
        );
        assert_eq!(
            next_daily(at(23, 0, 0), 3, 0),
            at(3, 0, 0) + TimeDelta::days(1)
        );
        let (jobs, _) = plan(&topology(), &["contract-poller"], "bridge");
        assert_eq!(
            jobs[0].schedules[0].describe(&BTreeMap::new()),
            "sweep daily 03:00 UTC"
        );
    }
}
