//! The event buses: EventBridge against moto's server, and the in-process bus.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_eventbridge::config::{ConfigBag, Intercept};
use aws_sdk_eventbridge::error::BoxError;
use aws_sdk_eventbridge::operation::describe_rule::{DescribeRuleInput, DescribeRuleOutput};
use aws_sdk_eventbridge::operation::put_events::PutEventsInput;
use aws_sdk_eventbridge::operation::put_rule::PutRuleInput;
use aws_sdk_eventbridge::types::{RuleState, Target};
use bridge_core::events::{ChangeReason, CompanyContractsChanged, DETAIL_TYPE, SOURCE};
use bridge_store::events::{
    EventBridgeBus, EventBusError, EventPublisher, InProcessBus, ScheduleControl,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use test_harness::Moto;

const BUS: &str = "acronis-autotask-bridge";

/// Records the EventBridge operations a client sends, with the entry count of each
/// PutEvents call.
#[derive(Debug, Clone, Default)]
struct CallLog(Arc<Mutex<Vec<String>>>);

impl CallLog {
    fn calls(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let call = if let Some(put) = input.downcast_ref::<PutEventsInput>() {
            format!("PutEvents({})", put.entries().len())
        } else if input.downcast_ref::<PutRuleInput>().is_some() {
            "PutRule".to_owned()
        } else if input.downcast_ref::<DescribeRuleInput>().is_some() {
            "DescribeRule".to_owned()
        } else {
            "other".to_owned()
        };
        self.0.lock().expect("lock").push(call);
        Ok(())
    }
}

async fn client(moto: &Moto, log: &CallLog) -> Client {
    let config = aws_sdk_eventbridge::config::Builder::from(&moto.sdk_config().await)
        .interceptor(log.clone())
        .build();
    Client::from_conf(config)
}

fn events(ids: impl IntoIterator<Item = i64>) -> Vec<CompanyContractsChanged> {
    let now = "2025-06-01T12:00:00Z".parse().expect("timestamp");
    ids.into_iter()
        .map(|id| CompanyContractsChanged::new(id, id as u64 * 3, now, ChangeReason::ContractAdded))
        .collect()
}

/// Just enough of SQS's JSON protocol (moto routes by the signing scope; it does not
/// check signatures) to see what EventBridge delivered.
struct Sqs {
    http: reqwest::Client,
    endpoint: String,
}

impl Sqs {
    async fn call(&self, action: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(&self.endpoint)
            .header("X-Amz-Target", format!("AmazonSQS.{action}"))
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/sqs/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .json(&body)
            .send()
            .await
            .expect("sqs call");
        let status = resp.status();
        let text = resp.text().await.expect("sqs body");
        assert!(
            status.is_success(),
            "SQS {action} answered {status}: {text}"
        );
        serde_json::from_str(&text).expect("sqs json")
    }

    /// A new queue: its URL and ARN.
    async fn create_queue(&self, name: &str) -> (String, String) {
        let created = self.call("CreateQueue", json!({"QueueName": name})).await;
        let url = created["QueueUrl"].as_str().expect("url").to_owned();
        let attrs = self
            .call(
                "GetQueueAttributes",
                json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]}),
            )
            .await;
        let arn = attrs["Attributes"]["QueueArn"]
            .as_str()
            .expect("arn")
            .to_owned();
        (url, arn)
    }

    /// Every message body waiting in the queue.
    async fn drain(&self, url: &str) -> Vec<Value> {
        let mut bodies = Vec::new();
        loop {
            let received = self
                .call(
                    "ReceiveMessage",
                    json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300}),
                )
                .await;
            let Some(messages) = received["Messages"].as_array().filter(|m| !m.is_empty()) else {
                return bodies;
            };
            for message in messages {
                let body = message["Body"].as_str().expect("body");
                bodies.push(serde_json::from_str(body).expect("event json"));
            }
        }
    }
}

#[tokio::test]
async fn publish_batches_by_ten_and_every_event_arrives() {
    let moto = Moto::start().await;
    let log = CallLog::default();
    let client = client(&moto, &log).await;
    let sqs = Sqs {
        http: reqwest::Client::new(),
        endpoint: moto.endpoint().to_owned(),
    };

    // As deployed: the bridge's own bus with a rule to the consumer, and a schedule
    // rule on the default bus (which must not get in the way).
    client
        .create_event_bus()
        .name(BUS)
        .send()
        .await
        .expect("bus");
    client
        .put_rule()
        .name("bridge-contract-poll")
        .schedule_expression("rate(1 minute)")
        .send()
        .await
        .expect("schedule rule");
    let (queue_url, queue_arn) = sqs.create_queue("quota-push").await;
    let pattern = json!({"source": [SOURCE], "detail-type": [DETAIL_TYPE]});
    client
        .put_rule()
        .name("to-quota-push")
        .event_bus_name(BUS)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("rule");
    client
        .put_targets()
        .rule("to-quota-push")
        .event_bus_name(BUS)
        .targets(
            Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");

    let sent = events(1001..=1023);
    let bus = EventBridgeBus::new(client.clone(), BUS);
    let before = log.calls().len();
    bus.publish(&sent).await.expect("publish");
    assert_eq!(
        log.calls()[before..],
        ["PutEvents(10)", "PutEvents(10)", "PutEvents(3)"]
    );

    let delivered = sqs.drain(&queue_url).await;
    assert_eq!(delivered.len(), 23, "{delivered:#?}");
    let mut received: Vec<CompanyContractsChanged> = delivered
        .iter()
        .map(|event| {
            assert_eq!(event["source"], SOURCE);
            assert_eq!(event["detail-type"], DETAIL_TYPE);
            CompanyContractsChanged::from_detail(&event["detail"]).expect("detail")
        })
        .collect();
    received.sort_by_key(|e| e.company_id);
    assert_eq!(received, sent);
}

#[tokio::test]
async fn publish_to_a_missing_bus_names_every_company_not_sent() {
    let moto = Moto::start().await;
    let log = CallLog::default();
    let bus = EventBridgeBus::new(client(&moto, &log).await, "no-such-bus");
    let err = bus.publish(&events(1..=12)).await.expect_err("no bus");
    match err {
        EventBusError::NotSent { company_ids, cause } => {
            assert_eq!(company_ids, (1..=12).collect::<Vec<_>>());
            assert!(cause.contains("no-such-bus"), "{cause}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        log.calls(),
        ["PutEvents(10)"],
        "stops at the first failed call"
    );
}

async fn describe(client: &Client, rule: &str) -> DescribeRuleOutput {
    client
        .describe_rule()
        .name(rule)
        .send()
        .await
        .expect("describe")
}

#[tokio::test]
async fn set_schedule_rate_changes_only_the_expression() {
    let moto = Moto::start().await;
    let log = CallLog::default();
    let client = client(&moto, &log).await;
    let rule = "bridge-usage-report";
    client
        .put_rule()
        .name(rule)
        .schedule_expression("rate(60 minutes)")
        .description("Usage reporting")
        .role_arn("arn:aws:iam::123456789012:role/bridge-scheduler")
        .state(RuleState::Disabled)
        .send()
        .await
        .expect("rule");
    client
        .put_targets()
        .rule(rule)
        .targets(
            Target::builder()
                .id("usage")
                .arn("arn:aws:lambda:us-east-1:123456789012:function:bridge-usage")
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");
    let bus = EventBridgeBus::new(client.clone(), BUS);

    bus.set_schedule_rate(rule, 1).await.expect("1 minute");
    let after = describe(&client, rule).await;
    assert_eq!(after.schedule_expression(), Some("rate(1 minute)"));
    assert_eq!(after.description(), Some("Usage reporting"));
    assert_eq!(after.state(), Some(&RuleState::Disabled));
    assert_eq!(
        after.role_arn(),
        Some("arn:aws:iam::123456789012:role/bridge-scheduler")
    );
    let targets = client
        .list_targets_by_rule()
        .rule(rule)
        .send()
        .await
        .expect("targets");
    assert_eq!(targets.targets().len(), 1);

    bus.set_schedule_rate(rule, 15).await.expect("15 minutes");
    let after = describe(&client, rule).await;
    assert_eq!(after.schedule_expression(), Some("rate(15 minutes)"));

    // Setting the rate it already has writes nothing.
    let before = log.calls().len();
    bus.set_schedule_rate(rule, 15).await.expect("same");
    assert_eq!(log.calls()[before..], ["DescribeRule"]);

    let err = bus
        .set_schedule_rate("bridge-nope", 5)
        .await
        .expect_err("missing");
    assert!(
        matches!(err, EventBusError::RuleNotFound { ref rule } if rule == "bridge-nope"),
        "{err}"
    );
    let err = bus.set_schedule_rate(rule, 0).await.expect_err("zero");
    assert!(matches!(err, EventBusError::InvalidRate { .. }), "{err}");
    assert_eq!(
        describe(&client, rule).await.schedule_expression(),
        Some("rate(15 minutes)")
    );
}

#[tokio::test]
async fn in_process_bus_delivers_to_every_subscriber_in_order() {
    let bus = InProcessBus::new();
    bus.publish(&events([1]))
        .await
        .expect("no subscriber is fine");

    let mut first = bus.subscribe();
    let mut second = bus.clone().subscribe();
    let sent = events([7, 3, 9]);
    bus.publish(&sent).await.expect("publish");
    for receiver in [&mut first, &mut second] {
        for expected in &sent {
            assert_eq!(&receiver.recv().await.expect("event"), expected);
        }
        assert!(receiver.try_recv().is_err(), "nothing else was sent");
    }
}

#[tokio::test]
async fn in_process_bus_keeps_rates_for_the_local_runner() {
    let bus = InProcessBus::with_rates([("contract-poll".to_owned(), 1)]);
    let mut watch = bus.watch_rates();

    bus.set_schedule_rate("usage-report", 60)
        .await
        .expect("set");
    assert!(watch.has_changed().expect("open"));
    assert_eq!(
        *watch.borrow_and_update(),
        [
            ("contract-poll".to_owned(), 1),
            ("usage-report".to_owned(), 60)
        ]
        .into()
    );

    bus.set_schedule_rate("usage-report", 60)
        .await
        .expect("same");
    assert!(!watch.has_changed().expect("open"), "no change, no wake-up");

    bus.set_schedule_rate("contract-poll", 5)
        .await
        .expect("set");
    watch.changed().await.expect("notified");
    assert_eq!(bus.rates()["contract-poll"], 5);

    let err = bus
        .set_schedule_rate("contract-poll", 0)
        .await
        .expect_err("zero");
    assert!(matches!(err, EventBusError::InvalidRate { .. }), "{err}");
    assert_eq!(bus.rates()["contract-poll"], 5);
}
