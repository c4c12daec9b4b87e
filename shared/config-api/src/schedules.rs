//! Which EventBridge rule runs each scheduled job: the one place that knows.

use bridge_core::settings::Job;

/// The function crate and schedule name behind a job's interval setting. The deployed
/// rule is `<stack>-<function>-<schedule>` (as `infra/template.yaml` names them).
pub fn schedule_of(job: Job) -> (&'static str, &'static str) {
    match job {
        Job::ContractPolling => ("contract-poller", "poll"),
        Job::QuotaPushSweep => ("quota-push", "sweep"),
        // (unconfirmed) the schedule names of the later functions are not fixed yet;
        // these follow the `poll`/`sweep` pattern of the contract poller.
        Job::UsageReporting => ("usage-reporter", "report"),
        Job::AlertIngestion => ("alert-ingest", "poll"),
    }
}

/// The rule name of a job's schedule, e.g. `bridge-contract-poller-poll`.
pub fn schedule_rule(stack_name: &str, job: Job) -> String {
    let (function, schedule) = schedule_of(job);
    format!("{stack_name}-{function}-{schedule}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_stack_function_schedule_pattern() {
        assert_eq!(
            schedule_rule("bridge", Job::ContractPolling),
            "bridge-contract-poller-poll"
        );
        let mut rules: Vec<String> = Job::ALL.iter().map(|j| schedule_rule("s", *j)).collect();
        rules.sort();
        rules.dedup();
        assert_eq!(rules.len(), Job::ALL.len(), "one rule per job");
    }
}
