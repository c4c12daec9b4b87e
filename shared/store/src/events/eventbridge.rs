//! The deployed bus: EventBridge.
//!
//! Change events go to the bridge's OWN custom bus (a rule there routes them to quota
//! push); schedules are rules on the default bus, because EventBridge only runs
//! `ScheduleExpression` rules there.

use super::{EventBusError, EventPublisher, ScheduleControl, check_rate};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleError;
use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use bridge_core::backoff::Backoff;
use bridge_core::events::{CompanyContractsChanged, DETAIL_TYPE, SOURCE};
use std::time::Duration;

/// PutEvents takes at most 10 entries per call.
const MAX_ENTRIES_PER_CALL: usize = 10;

/// Retries of failed entries: short, because a Lambda invocation is waiting.
const DEFAULT_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(200),
    max_delay: Duration::from_secs(5),
    max_retries: 4,
};

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
    backoff: Backoff,
}

impl EventBridgeBus {
    /// `bus_name` is the bridge's custom bus (name or ARN).
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
            backoff: DEFAULT_BACKOFF,
        }
    }

    /// How entries that come back failed are retried.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

/// `rate(1 minute)`, `rate(5 minutes)`: EventBridge rejects `rate(1 minutes)`.
fn rate_expression(minutes: u32) -> String {
    if minutes == 1 {
        "rate(1 minute)".to_owned()
    } else {
        format!("rate({minutes} minutes)")
    }
}

/// The one call whose answers drive the retry loop; a seam so the loop is unit-tested
/// with scripted partial failures, which moto never produces.
#[async_trait]
trait PutEventsCall: Sync {
    async fn put_events(
        &self,
        entries: Vec<PutEventsRequestEntry>,
    ) -> Result<PutEventsOutput, String>;
}

#[async_trait]
impl PutEventsCall for Client {
    async fn put_events(
        &self,
        entries: Vec<PutEventsRequestEntry>,
    ) -> Result<PutEventsOutput, String> {
        self.put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())
    }
}

fn entry(bus_name: &str, event: &CompanyContractsChanged) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .event_bus_name(bus_name)
        .source(SOURCE)
        .detail_type(DETAIL_TYPE)
        .detail(event.to_detail())
        .build()
}

/// Sends `events` in calls of at most 10, retrying the entries that come back failed
/// with backoff. Stops at the first batch that cannot be completed: its failed events
/// and every later one are reported as not sent (earlier batches were delivered).
async fn publish_batched(
    api: &dyn PutEventsCall,
    bus_name: &str,
    backoff: Backoff,
    events: &[CompanyContractsChanged],
) -> Result<(), EventBusError> {
    for (index, batch) in events.chunks(MAX_ENTRIES_PER_CALL).enumerate() {
        let rest = &events[(index * MAX_ENTRIES_PER_CALL + batch.len())..];
        let not_sent = |pending: &[&CompanyContractsChanged], cause: String| {
            let company_ids = pending
                .iter()
                .map(|e| e.company_id)
                .chain(rest.iter().map(|e| e.company_id))
                .collect();
            EventBusError::NotSent { company_ids, cause }
        };
        let mut pending: Vec<&CompanyContractsChanged> = batch.iter().collect();
        let mut retries = 0;
        loop {
            let entries = pending.iter().map(|e| entry(bus_name, e)).collect();
            let output = api
                .put_events(entries)
                .await
                .map_err(|cause| not_sent(&pending, cause))?;
            let (failed, codes) = failed_entries(&pending, &output);
            if failed.is_empty() {
                break;
            }
            if !backoff.should_retry(retries) {
                let cause = format!("entries still failing after {retries} retries: {codes}");
                return Err(not_sent(&failed, cause));
            }
            tracing::warn!(failed = failed.len(), retry = retries + 1, %codes, "PutEvents entries failed; retrying");
            tokio::time::sleep(backoff.delay(retries, fastrand::f64(), None)).await;
            retries += 1;
            pending = failed;
        }
    }
    tracing::debug!(
        count = events.len(),
        bus = bus_name,
        "change events published"
    );
    Ok(())
}

/// The events whose result entry carries an error code (or is missing), with a summary
/// of the codes for the error message.
fn failed_entries<'a>(
    sent: &[&'a CompanyContractsChanged],
    output: &PutEventsOutput,
) -> (Vec<&'a CompanyContractsChanged>, String) {
    let results = output.entries();
    let mut failed = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    for (i, event) in sent.iter().enumerate() {
        let code = match results.get(i) {
            Some(result) => result.error_code().map(|code| {
                let message = result.error_message().unwrap_or_default();
                format!("{code} {message}").trim_end().to_owned()
            }),
            None => Some("no result entry".to_owned()),
        };
        if let Some(code) = code {
            failed.push(*event);
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    (failed, codes.join("; "))
}

#[async_trait]
impl EventPublisher for EventBridgeBus {
    async fn publish(&self, events: &[CompanyContractsChanged]) -> Result<(), EventBusError> {
        publish_batched(&self.client, &self.bus_name, self.backoff, events).await
    }
}

#[async_trait]
impl ScheduleControl for EventBridgeBus {
    /// Keeps the rule's other properties: PutRule replaces a rule with exactly what it is
    /// given, so the current description, state, role and pattern are read first.
    async fn set_schedule_rate(&self, rule: &str, minutes: u32) -> Result<(), EventBusError> {
        check_rate(rule, minutes)?;
        let described = self
            .client
            .describe_rule()
            .name(rule)
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(DescribeRuleError::ResourceNotFoundException(_)) => {
                    EventBusError::RuleNotFound {
                        rule: rule.to_owned(),
                    }
                }
                _ => EventBusError::Schedule {
                    rule: rule.to_owned(),
                    detail: DisplayErrorContext(err).to_string(),
                },
            })?;
        let expression = rate_expression(minutes);
        if described.schedule_expression() == Some(expression.as_str()) {
            return Ok(());
        }
        self.client
            .put_rule()
            .name(rule)
            .schedule_expression(&expression)
            .set_event_pattern(described.event_pattern().map(str::to_owned))
            .set_state(described.state().cloned())
            .set_description(described.description().map(str::to_owned))
            .set_role_arn(described.role_arn().map(str::to_owned))
            .send()
            .await
            .map_err(|err| EventBusError::Schedule {
                rule: rule.to_owned(),
                detail: DisplayErrorContext(err).to_string(),
            })?;
        tracing::info!(rule, %expression, "schedule rate set");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use bridge_core::events::ChangeReason;
    use std::sync::Mutex;

    /// Answers each call from a script: for call n, the companies whose entries fail.
    struct Scripted {
        fail: Vec<Vec<i64>>,
        calls: Mutex<Vec<Vec<i64>>>,
    }

    impl Scripted {
        fn new(fail: Vec<Vec<i64>>) -> Self {
            Self {
                fail,
                calls: Mutex::new(Vec::new()),
            }
        }

        fn calls(&self) -> Vec<Vec<i64>> {
            self.calls.lock().expect("lock").clone()
        }
    }

    #[async_trait]
    impl PutEventsCall for Scripted {
        async fn put_events(
            &self,
            entries: Vec<PutEventsRequestEntry>,
        ) -> Result<PutEventsOutput, String> {
            let ids: Vec<i64> = entries
                .iter()
                .map(|e| {
                    let detail: serde_json::Value =
                        serde_json::from_str(e.detail().expect("detail")).expect("json");
                    detail["company_id"].as_i64().expect("company id")
                })
                .collect();
            let mut calls = self.calls.lock().expect("lock");
            let failing = self.fail.get(calls.len()).cloned().unwrap_or_default();
            calls.push(ids.clone());
            let results = ids.iter().map(|id| {
                if failing.contains(id) {
                    PutEventsResultEntry::builder()
                        .error_code("ThrottlingException")
                        .error_message("Rate exceeded")
                        .build()
                } else {
                    PutEventsResultEntry::builder()
                        .event_id(format!("ev-{id}"))
                        .build()
                }
            });
            Ok(PutEventsOutput::builder()
                .failed_entry_count(failing.len() as i32)
                .set_entries(Some(results.collect()))
                .build())
        }
    }

    fn events(ids: impl IntoIterator<Item = i64>) -> Vec<CompanyContractsChanged> {
        let now = "2025-03-01T10:00:00Z".parse().expect("timestamp");
        ids.into_iter()
            .map(|id| CompanyContractsChanged::new(id, 1, now, ChangeReason::ContractChanged))
            .collect()
    }

    fn fast(max_retries: u32) -> Backoff {
        Backoff {
            base: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retries,
        }
    }

    #[tokio::test]
    async fn failed_entries_are_retried_alone_until_sent() {
        let api = Scripted::new(vec![vec![3, 7], vec![7]]);
        publish_batched(&api, "bus", fast(3), &events(1..=12))
            .await
            .expect("all sent in the end");
        assert_eq!(
            api.calls(),
            vec![
                (1..=10).collect::<Vec<_>>(),
                vec![3, 7],
                vec![7],
                vec![11, 12]
            ]
        );
    }

    #[tokio::test]
    async fn retries_are_bounded_and_the_error_names_every_unsent_company() {
        let api = Scripted::new(vec![vec![4], vec![4], vec![4], vec![4]]);
        let err = publish_batched(&api, "bus", fast(2), &events(1..=13))
            .await
            .expect_err("gives up");
        assert_eq!(
            api.calls().len(),
            3,
            "first try + 2 retries, later batch untouched"
        );
        match err {
            EventBusError::NotSent { company_ids, cause } => {
                assert_eq!(company_ids, vec![4, 11, 12, 13]);
                assert!(
                    cause.contains("ThrottlingException Rate exceeded"),
                    "{cause}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_result_entries_count_as_failed() {
        struct Empty;
        #[async_trait]
        impl PutEventsCall for Empty {
            async fn put_events(
                &self,
                _: Vec<PutEventsRequestEntry>,
            ) -> Result<PutEventsOutput, String> {
                Ok(PutEventsOutput::builder().build())
            }
        }
        let err = publish_batched(&Empty, "bus", fast(0), &events([5, 6]))
            .await
            .expect_err("no results");
        assert!(
            matches!(err, EventBusError::NotSent { ref company_ids, .. } if *company_ids == [5, 6])
        );
    }

    #[tokio::test]
    async fn nothing_to_send_makes_no_call() {
        let api = Scripted::new(vec![]);
        publish_batched(&api, "bus", fast(0), &[])
            .await
            .expect("ok");
        assert!(api.calls().is_empty());
    }

    #[test]
    fn rate_expressions_use_the_singular_for_one_minute() {
        assert_eq!(rate_expression(1), "rate(1 minute)");
        assert_eq!(rate_expression(5), "rate(5 minutes)");
        assert_eq!(rate_expression(60), "rate(60 minutes)");
    }
}
