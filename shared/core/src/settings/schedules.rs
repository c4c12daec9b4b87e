//! How often each scheduled job runs.
//!
//! Each job has its own EventBridge schedule; the config API compares the old and new
//! settings (`Schedules::changed`) and rewrites only the schedules that moved.

use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The scheduled jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    ContractPolling,
    QuotaPushSweep,
    UsageReporting,
    AlertIngestion,
}

impl Job {
    pub const ALL: [Job; 4] = [
        Self::ContractPolling,
        Self::QuotaPushSweep,
        Self::UsageReporting,
        Self::AlertIngestion,
    ];

    /// The JSON field under `schedules`.
    pub fn field(self) -> &'static str {
        match self {
            Self::ContractPolling => "contract_polling_minutes",
            Self::QuotaPushSweep => "quota_push_sweep_minutes",
            Self::UsageReporting => "usage_reporting_minutes",
            Self::AlertIngestion => "alert_ingestion_minutes",
        }
    }

    /// Default interval in minutes.
    pub fn default_minutes(self) -> u32 {
        match self {
            Self::ContractPolling | Self::AlertIngestion => 1,
            Self::QuotaPushSweep => 15,
            Self::UsageReporting => 60,
        }
    }

    /// Allowed intervals in minutes. Upper bounds keep the guide's "up to 15 minutes"
    /// promise within reach (polling, alerts) or a daily minimum; lower bounds keep the
    /// shared hourly Autotask request budget and the Acronis usage refresh (hours) in mind.
    pub fn bounds(self) -> RangeInclusive<u32> {
        match self {
            Self::ContractPolling | Self::AlertIngestion => 1..=60,
            Self::QuotaPushSweep => 5..=1440,
            Self::UsageReporting => 15..=1440,
        }
    }
}

/// Job intervals in minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedules {
    pub contract_polling_minutes: u32,
    /// The sweep behind quota push; change events push single companies in between.
    pub quota_push_sweep_minutes: u32,
    pub usage_reporting_minutes: u32,
    pub alert_ingestion_minutes: u32,
}

impl Default for Schedules {
    fn default() -> Self {
        Self {
            contract_polling_minutes: Job::ContractPolling.default_minutes(),
            quota_push_sweep_minutes: Job::QuotaPushSweep.default_minutes(),
            usage_reporting_minutes: Job::UsageReporting.default_minutes(),
            alert_ingestion_minutes: Job::AlertIngestion.default_minutes(),
        }
    }
}

impl Schedules {
    pub fn minutes(&self, job: Job) -> u32 {
        match job {
            Job::ContractPolling => self.contract_polling_minutes,
            Job::QuotaPushSweep => self.quota_push_sweep_minutes,
            Job::UsageReporting => self.usage_reporting_minutes,
            Job::AlertIngestion => self.alert_ingestion_minutes,
        }
    }

    /// The EventBridge schedule expression, e.g. `rate(1 minute)`, `rate(15 minutes)`
    /// (EventBridge rejects `rate(1 minutes)`).
    pub fn rate_expression(&self, job: Job) -> String {
        match self.minutes(job) {
            1 => "rate(1 minute)".to_owned(),
            n => format!("rate({n} minutes)"),
        }
    }

    /// The jobs whose interval differs from `before`: their schedules need rewriting.
    pub fn changed(&self, before: &Schedules) -> Vec<Job> {
        Job::ALL
            .into_iter()
            .filter(|job| self.minutes(*job) != before.minutes(*job))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lie_within_bounds() {
        let schedules = Schedules::default();
        for job in Job::ALL {
            assert!(job.bounds().contains(&schedules.minutes(job)), "{job:?}");
        }
        assert_eq!(schedules.contract_polling_minutes, 1);
        assert_eq!(schedules.usage_reporting_minutes, 60);
        assert_eq!(schedules.alert_ingestion_minutes, 1);
    }

    #[test]
    fn rate_expressions_use_eventbridge_grammar() {
        let cases = [
            (1, "rate(1 minute)"),
            (2, "rate(2 minutes)"),
            (60, "rate(60 minutes)"),
        ];
        for (minutes, expected) in cases {
            let schedules = Schedules {
                usage_reporting_minutes: minutes,
                ..Schedules::default()
            };
            assert_eq!(schedules.rate_expression(Job::UsageReporting), expected);
        }
    }

    #[test]
    fn changed_lists_only_the_moved_jobs() {
        let before = Schedules::default();
        let after = Schedules {
            quota_push_sweep_minutes: 30,
            alert_ingestion_minutes: 5,
            ..before.clone()
        };
        assert_eq!(
            after.changed(&before),
            vec![Job::QuotaPushSweep, Job::AlertIngestion]
        );
        assert!(before.changed(&before).is_empty());
    }
}
