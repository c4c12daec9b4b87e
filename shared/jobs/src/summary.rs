//! What one job run did, in counts and reasons: logged as one structured line per run
//! in Lambda and printed as one readable line by the local runner.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Plan lines kept in a summary.
pub const MAX_PLAN_LINES: usize = 500;

/// Something the run passed over or could not do, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// What it concerns, e.g. `company:174 (Contoso Ltd)`.
    pub subject: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    pub job: String,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Records read, per kind (`contracts`, `companies`, `tenants`, …).
    pub read: BTreeMap<String, u64>,
    /// Actions the plan held.
    pub planned: u64,
    /// Actions carried out (0 in a dry run).
    pub applied: u64,
    pub skipped: Vec<Note>,
    /// Per-customer failures: recorded here, the run carried on with the others.
    pub failed: Vec<Note>,
    /// HTTP requests spent per API (`autotask`, `acronis`).
    pub requests: BTreeMap<String, u64>,
    /// The plan in words, one line per action (what a dry run shows).
    pub plan: Vec<String>,
}

impl JobSummary {
    pub fn start(job: &str, dry_run: bool, now: DateTime<Utc>) -> Self {
        Self {
            job: job.to_string(),
            dry_run,
            started_at: now,
            finished_at: None,
            read: BTreeMap::new(),
            planned: 0,
            applied: 0,
            skipped: Vec::new(),
            failed: Vec::new(),
            requests: BTreeMap::new(),
            plan: Vec::new(),
        }
    }

    pub fn read(&mut self, kind: &str, n: u64) {
        *self.read.entry(kind.to_string()).or_insert(0) += n;
    }

    pub fn skip(&mut self, subject: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Note {
            subject: subject.into(),
            reason: reason.into(),
        });
    }

    pub fn fail(&mut self, subject: impl Into<String>, reason: impl fmt::Display) {
        self.failed.push(Note {
            subject: subject.into(),
            reason: reason.to_string(),
        });
    }

    /// Adds one action in words, up to [`MAX_PLAN_LINES`] (a first sweep of thousands
    /// of companies would otherwise carry one line each).
    pub fn plan_line(&mut self, line: String) {
        if self.plan.len() < MAX_PLAN_LINES {
            self.plan.push(line);
        } else if self.plan.len() == MAX_PLAN_LINES {
            self.plan.push("… more plan lines left out".into());
        }
    }

    pub fn finish(&mut self, now: DateTime<Utc>) {
        self.finished_at = Some(now);
    }

    /// The summary as JSON with at most `notes` plan lines, skips and failures each (and
    /// how many there were in all): what a stored record of the run keeps.
    pub fn bounded(&self, notes: usize) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        for (field, total) in [
            ("plan", self.plan.len()),
            ("skipped", self.skipped.len()),
            ("failed", self.failed.len()),
        ] {
            if let Some(list) = value.get_mut(field).and_then(|v| v.as_array_mut()) {
                list.truncate(notes);
                for note in list.iter_mut() {
                    bound_strings(note);
                }
            }
            value[format!("{field}_total")] = total.into();
        }
        value
    }

    /// Emits the run as one structured event (JSON in Lambda).
    pub fn log(&self) {
        let read = serde_json::to_string(&self.read).unwrap_or_default();
        let requests = serde_json::to_string(&self.requests).unwrap_or_default();
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|n| format!("{}: {}", n.subject, n.reason))
            .collect();
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|n| format!("{}: {}", n.subject, n.reason))
            .collect();
        tracing::info!(
            job = %self.job,
            dry_run = self.dry_run,
            read = %read,
            planned = self.planned,
            applied = self.applied,
            skipped = self.skipped.len(),
            failed = self.failed.len(),
            requests = %requests,
            skip_reasons = ?skipped,
            failures = ?failed,
            "job finished"
        );
    }
}

/// Cuts every string in a note to a length a stored record can afford.
fn bound_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = bridge_core::text::bounded(s, 500),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(bound_strings),
        _ => {}
    }
}

impl fmt::Display for JobSummary {
    /// `contract-poller: read 12 contracts, 3 units; planned 2, applied 2, skipped 1, failed 0; autotask 3 req; 120 ms`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}: ",
            self.job,
            if self.dry_run { " (dry run)" } else { "" }
        )?;
        if self.read.is_empty() {
            write!(f, "read nothing")?;
        } else {
            let parts: Vec<String> = self.read.iter().map(|(k, v)| format!("{v} {k}")).collect();
            write!(f, "read {}", parts.join(", "))?;
        }
        write!(
            f,
            "; planned {}, applied {}, skipped {}, failed {}",
            self.planned,
            self.applied,
            self.skipped.len(),
            self.failed.len()
        )?;
        for (api, n) in &self.requests {
            write!(f, "; {api} {n} req")?;
        }
        if let Some(end) = self.finished_at {
            write!(f, "; {} ms", (end - self.started_at).num_milliseconds())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_readable_line() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("date");
        let mut s = JobSummary::start("contract-poller", false, t0);
        s.read("contracts", 12);
        s.planned = 2;
        s.applied = 2;
        s.skip("company:3", "self-service tenant");
        s.requests.insert("autotask".into(), 3);
        s.finish(t0 + chrono::Duration::milliseconds(120));
        assert_eq!(
            s.to_string(),
            "contract-poller: read 12 contracts; planned 2, applied 2, skipped 1, failed 0; autotask 3 req; 120 ms"
        );
    }

    #[test]
    fn a_stored_summary_keeps_a_bounded_number_of_notes() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("date");
        let mut s = JobSummary::start("contract-poller", true, t0);
        for n in 0..120 {
            s.plan.push(format!("company {n}: {}", "x".repeat(2_000)));
            s.skip(format!("company:{n}"), "self-service tenant");
        }
        let value = s.bounded(50);
        assert_eq!(value["plan"].as_array().map(Vec::len), Some(50));
        assert_eq!(value["plan_total"], 120);
        assert_eq!(value["skipped"].as_array().map(Vec::len), Some(50));
        assert_eq!(value["skipped_total"], 120);
        assert_eq!(value["failed_total"], 0);
        let line = value["plan"][0].as_str().expect("a line");
        assert!(line.chars().count() <= 501, "{}", line.len());
        assert!(serde_json::to_string(&value).expect("json").len() < 64 * 1024);
    }
}
