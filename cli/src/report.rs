//! What the runner prints per job run: one readable line, not raw JSON.

use bridge_jobs::summary::Note;
use bridge_jobs::{JobSummary, Trigger};
use chrono::{DateTime, Utc};

/// Changes, skips and failures printed under a run's line, each; the rest are counted.
const MAX_NOTES: usize = 5;

/// One finished run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub job: String,
    /// `poll`, `sweep`, `change: company 174`, `manual`.
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    /// The summary, or why the job could not run at all.
    pub outcome: Result<JobSummary, String>,
}

impl RunReport {
    pub fn new(
        job: &str,
        trigger: &Trigger,
        started_at: DateTime<Utc>,
        outcome: Result<JobSummary, String>,
    ) -> Self {
        Self {
            job: job.to_owned(),
            trigger: trigger_label(trigger),
            started_at,
            outcome,
        }
    }

    /// `12:00:01  contract-poller: read 12 contracts; planned 2, … [poll]`, or
    /// `12:00:01  contract-poller: could not run: not configured: … [poll]`.
    pub fn line(&self) -> String {
        let time = self.started_at.format("%H:%M:%S");
        match &self.outcome {
            Ok(summary) => format!("{time}  {summary}  [{}]", self.trigger),
            Err(error) => format!(
                "{time}  {}: could not run: {error}  [{}]",
                self.job, self.trigger
            ),
        }
    }

    /// The line, then what a run that changed something changed, what it skipped and
    /// why, and each per-customer failure, indented (at most a few of each).
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.line()];
        if let Ok(summary) = &self.outcome {
            if !summary.dry_run && summary.applied > 0 {
                lines.extend(
                    summary
                        .plan
                        .iter()
                        .take(MAX_NOTES)
                        .map(|step| format!("          - {step}")),
                );
                if summary.plan.len() > MAX_NOTES {
                    lines.push(format!(
                        "          … and {} more changes",
                        summary.plan.len() - MAX_NOTES
                    ));
                }
            }
            notes(&mut lines, "skipped", &summary.skipped, Some(MAX_NOTES));
            notes(&mut lines, "failed", &summary.failed, Some(MAX_NOTES));
        }
        lines
    }

    /// What `run --once` prints: the line, skips and failures, then the whole plan (what
    /// a dry run shows).
    pub fn lines_with_plan(&self) -> Vec<String> {
        let mut lines = vec![self.line()];
        if let Ok(summary) = &self.outcome {
            notes(&mut lines, "skipped", &summary.skipped, None);
            notes(&mut lines, "failed", &summary.failed, None);
            lines.extend(
                summary
                    .plan
                    .iter()
                    .map(|step| format!("          - {step}")),
            );
        }
        lines
    }
}

/// `          skipped company:174: why`, one line per note (up to `max`), then how many
/// how many more there were.
fn notes(lines: &mut Vec<String>, label: &str, notes: &[Note], max: Option<usize>) {
    let shown = max.unwrap_or(notes.len());
    lines.extend(
        notes
            .iter()
            .take(shown)
            .map(|n| format!("          {label} {}: {}", n.subject, n.reason)),
    );
    if notes.len() > shown {
        lines.push(format!(
            "          … and {} more {label}",
            notes.len() - shown
        ));
    }
}

/// Everything the runner tells its operator after the banner.
#[derive(Debug, Clone)]
pub enum RunnerEvent {
    Run(RunReport),
    /// A schedule follows a new rate (settings saved through the config routes);
    /// `schedule` reads like `poll every 5 min`.
    Retimed {
        job: String,
        schedule: String,
        at: DateTime<Utc>,
    },
    /// Change events dropped because the job fell behind; the nightly sweep covers them.
    MissedEvents {
        job: String,
        missed: u64,
        at: DateTime<Utc>,
    },
}

impl RunnerEvent {
    pub fn lines(&self) -> Vec<String> {
        match self {
            RunnerEvent::Run(report) => report.lines(),
            RunnerEvent::Retimed { job, schedule, at } => {
                vec![format!(
                    "{}  {job}: {schedule} from now on",
                    at.format("%H:%M:%S")
                )]
            }
            RunnerEvent::MissedEvents { job, missed, at } => vec![format!(
                "{}  {job}: missed {missed} change events (too many at once); the next sweep covers them",
                at.format("%H:%M:%S")
            )],
        }
    }
}

pub fn trigger_label(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Schedule { name } => name.clone(),
        Trigger::ChangeEvent(event) => format!("change: company {}", event.company_id),
        Trigger::Manual => "manual".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_line_per_run_with_time_and_trigger() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 1)
            .single()
            .expect("valid");
        let mut summary = JobSummary::start("contract-poller", false, t0);
        summary.read("contracts", 3);
        for i in 0..7 {
            summary.fail(format!("company:{i}"), "Acronis refused");
        }
        summary.skip("company:174", "tenant is in self-service mode");
        summary.plan.push("create tenant for company:174".into());
        summary.finish(t0);
        let poll = Trigger::Schedule {
            name: "poll".into(),
        };
        let report = RunReport::new("contract-poller", &poll, t0, Ok(summary));
        assert!(
            report
                .line()
                .starts_with("12:00:01  contract-poller: read 3 contracts;")
        );
        assert!(report.line().ends_with("  [poll]"));
        let lines = report.lines();
        assert_eq!(lines.len(), 1 + 1 + MAX_NOTES + 1, "{lines:#?}");
        assert_eq!(
            lines[1],
            "          skipped company:174: tenant is in self-service mode"
        );
        assert!(lines[2].contains("failed company:0: Acronis refused"));
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains("and 2 more failed"))
        );
        assert!(
            report
                .lines_with_plan()
                .contains(&"          failed company:6: Acronis refused".to_owned())
        );
        assert!(
            report
                .lines_with_plan()
                .last()
                .is_some_and(|l| l.ends_with("- create tenant for company:174"))
        );

        let failed = RunReport::new(
            "contract-poller",
            &Trigger::Manual,
            t0,
            Err("not configured: x".into()),
        );
        assert_eq!(
            failed.line(),
            "12:00:01  contract-poller: could not run: not configured: x  [manual]"
        );
    }
}
