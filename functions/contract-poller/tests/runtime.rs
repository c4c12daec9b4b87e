//! The real `contract-poller` binary under a Lambda Runtime API emulator on loopback,
//! with its AWS services on moto's server and both API simulators: what Lambda does to
//! it when deployed. A schedule, a run now and garbage go in through the Runtime API;
//! the summaries and the error come out the same way.

use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::secret::Secret;
use bridge_core::settings::Settings;
use bridge_store::secrets::{SecretSource, SecretsManagerSource};
use bridge_store::store::DynamoStore;
use bridge_store::store::prelude::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;
use test_harness::Moto;
use test_harness::runtime::{Function, Outcome, RuntimeApi};

const TABLE: &str = "bridge";
const AUTOTASK_SECRET: &str = "bridge/autotask";
const ACRONIS_SECRET: &str = "bridge/acronis";
const BUS: &str = "bridge-events";

async fn invoke(api: &mut RuntimeApi, id: &str, payload: Value) -> Outcome {
    api.queue(id, payload).await;
    let (got, outcome) = api
        .outcome(Duration::from_secs(60))
        .await
        .expect("the function answers within a minute");
    assert_eq!(got, id, "{outcome:?}");
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn the_function_serves_schedules_and_run_now_through_the_runtime_api() {
    // AWS on moto, as the template creates it: table, empty secrets, the bridge's bus.
    let moto = Moto::start().await;
    let aws = moto.sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    DynamoStore::create_table(&dynamo, TABLE)
        .await
        .expect("table");
    let sm = aws_sdk_secretsmanager::Client::new(&aws);
    for name in [AUTOTASK_SECRET, ACRONIS_SECRET] {
        sm.create_secret()
            .name(name)
            .secret_string("{}")
            .send()
            .await
            .expect("secret");
    }
    aws_sdk_eventbridge::Client::new(&aws)
        .create_event_bus()
        .name(BUS)
        .send()
        .await
        .expect("bus");

    // The demo APIs, with credentials and settings saved as the config API would.
    let scenario = simulators::scenario::Scenario::demo().expect("demo");
    let autotask = simulators::autotask::start(scenario.autotask)
        .await
        .expect("autotask sim");
    let acronis = simulators::acronis::start(scenario.acronis)
        .await
        .expect("acronis sim");
    let secrets = SecretsManagerSource::new(sm, AUTOTASK_SECRET, ACRONIS_SECRET);
    secrets
        .put_autotask(&AutotaskCredentials {
            username: simulators::autotask::DEMO_USER.into(),
            secret: Secret::new(simulators::autotask::DEMO_SECRET),
            integration_code: simulators::autotask::DEMO_INTEGRATION_CODE.into(),
            zone_url: None,
            saved_at: None,
        })
        .await
        .expect("autotask credentials");
    secrets
        .put_acronis(&AcronisCredentials {
            datacenter_url: acronis.base_url(),
            client_id: "demo-client".into(),
            client_secret: Secret::new("demo-client-secret"),
            saved_at: None,
        })
        .await
        .expect("acronis credentials");
    let store = DynamoStore::new(dynamo, TABLE);
    let mut settings = Settings::default();
    settings.features.billing = true;
    store.put_settings(&settings, None).await.expect("settings");

    // The Runtime API.
    let mut api =
        RuntimeApi::start("arn:aws:lambda:us-east-1:123456789012:function:bridge-contract-poller")
            .await
            .expect("loopback");
    let runtime_api = api.address.clone();

    let _function = Function(
        Command::new(env!("CARGO_BIN_EXE_contract-poller"))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bridge-contract-poller")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/bridge-contract-poller",
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_REGION", test_harness::REGION)
            .env("AWS_ACCESS_KEY_ID", test_harness::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", test_harness::SECRET_KEY)
            .env("AWS_ENDPOINT_URL", moto.endpoint())
            .env("BRIDGE_TABLE", TABLE)
            .env("BRIDGE_AUTOTASK_SECRET_ID", AUTOTASK_SECRET)
            .env("BRIDGE_ACRONIS_SECRET_ID", ACRONIS_SECRET)
            .env("BRIDGE_EVENT_BUS", BUS)
            .env(
                "BRIDGE_AUTOTASK_ZONE_LOOKUP_URL",
                autotask.zone_lookup_url(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the function starts"),
    );

    // The minute schedule: the first run reads every contract.
    let Outcome::Response(poll) = invoke(&mut api, "req-1", json!({"schedule": "poll"})).await
    else {
        panic!("the poll failed")
    };
    assert_eq!(poll["job"], "contract-poller");
    assert_eq!(poll["dry_run"], false);
    assert!(poll["read"]["contracts"].as_u64() > Some(0), "{poll}");
    assert!(poll["requests"]["autotask"].as_u64() > Some(0), "{poll}");
    assert_eq!(poll["failed"], json!([]), "{poll}");

    // Run now, as the config function sends it.
    let payload = json!({"run_now": {"dry_run": true, "requested_by": "arn:aws:iam::1:user/ops"}});
    let Outcome::Response(dry) = invoke(&mut api, "req-2", payload).await else {
        panic!("the run now failed")
    };
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["applied"], 0);

    // Garbage is refused with what was wrong; the function carries on.
    let Outcome::Error(refused) = invoke(&mut api, "req-3", json!({"foo": 1})).await else {
        panic!("garbage was accepted")
    };
    assert!(
        refused.to_string().contains("unexpected input"),
        "{refused}"
    );

    // The runs are recorded for GET /jobs in the deployed store.
    let status = store
        .get_job_status("contract-poller")
        .await
        .expect("read")
        .expect("recorded");
    let last = status.last_run.expect("a last run");
    assert_eq!(last.trigger, "run now by arn:aws:iam::1:user/ops");
    assert!(last.dry_run && last.ok);
}
