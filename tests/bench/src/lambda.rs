//! The functions as Lambda runs them: each binary under a loopback Lambda Runtime API
//! (`/2018-06-01/runtime/…`), its AWS services on moto's server and both API
//! simulators (demo scenario), fed the event shapes it gets when deployed. Measures the
//! cold start: process start to its first `next` call (init) and to its first event
//! handled; and each package's size.

use anyhow::Context as _;
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::events::{ChangeReason, CompanyContractsChanged, DETAIL_TYPE, SOURCE};
use bridge_core::settings::Settings;
use bridge_store::secrets::{SecretSource, SecretsManagerSource};
use bridge_store::store::DynamoStore;
use bridge_store::store::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_harness::runtime::{Function, Outcome, RuntimeApi};

const TABLE: &str = "bridge";
const AUTOTASK_SECRET: &str = "bridge/autotask";
const ACRONIS_SECRET: &str = "bridge/acronis";
const BUS: &str = "bridge-events";
const STACK: &str = "bridge";
/// How long a function may take to answer its first event.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// The functions and the event each gets first when deployed.
pub fn functions() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "contract-poller",
            "EventBridge schedule (poll)",
            json!({"schedule": "poll"}),
        ),
        (
            "quota-push",
            "bus event: company contracts changed",
            change_event(),
        ),
        (
            "usage-report",
            "EventBridge schedule (report)",
            json!({"schedule": "report"}),
        ),
        (
            "alert-ingest",
            "EventBridge schedule (poll)",
            json!({"schedule": "poll"}),
        ),
        (
            "config-api",
            "Function URL: GET /jobs",
            function_url_get("/jobs"),
        ),
    ]
}

/// The "company contracts changed" event as EventBridge delivers it from the bridge's bus.
fn change_event() -> Value {
    let detail =
        CompanyContractsChanged::new(175, 1, chrono::Utc::now(), ChangeReason::ContractChanged);
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": DETAIL_TYPE, "source": SOURCE, "account": "123456789012",
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1", "resources": [],
        "detail": serde_json::to_value(&detail).unwrap_or_default(),
    })
}

/// A Function URL request (payload format 2.0) signed by an IAM user.
fn function_url_get(path: &str) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "abc.lambda-url.us-east-1.on.aws", "accept": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc", "requestId": "req", "routeKey": "$default", "stage": "$default",
            "time": "07/Dec/2026:02:00:00 +0000", "timeEpoch": 1_796_608_800_000u64,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "authorizer": {"iam": {"accessKey": "AKIA", "accountId": "123456789012",
                                   "callerId": "AIDA", "userArn": "arn:aws:iam::123456789012:user/ops",
                                   "userId": "AIDA"}}
        },
        "isBase64Encoded": false
    })
}

/// One function's measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub function: String,
    pub event: String,
    /// Process start to its first `GET …/invocation/next`.
    pub init_ms: f64,
    /// Process start to the first event's response.
    pub first_event_ms: f64,
    /// `response` or `error`, and what the function sent.
    pub outcome: String,
    pub body: Value,
    pub binary_bytes: u64,
    pub zip_bytes: Option<u64>,
}

/// Where the function binaries come from.
pub enum Binaries {
    /// Plain binaries named after each function (`cargo build -p <function>`).
    Dir(PathBuf),
    /// `cargo lambda build --release --output-format zip`: `<dir>/<function>/bootstrap.zip`.
    Packages(PathBuf),
}

/// Runs each function once on its first event; `work` holds unpacked bootstraps.
pub async fn measure_all(binaries: &Binaries, work: &Path) -> anyhow::Result<Vec<Measured>> {
    let moto = test_harness::Moto::start().await;
    let aws = moto.sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    DynamoStore::create_table(&dynamo, TABLE).await?;
    let sm = aws_sdk_secretsmanager::Client::new(&aws);
    for name in [AUTOTASK_SECRET, ACRONIS_SECRET] {
        sm.create_secret()
            .name(name)
            .secret_string("{}")
            .send()
            .await?;
    }
    aws_sdk_eventbridge::Client::new(&aws)
        .create_event_bus()
        .name(BUS)
        .send()
        .await?;
    let scenario = simulators::scenario::Scenario::demo()?;
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    let secrets = SecretsManagerSource::new(sm, AUTOTASK_SECRET, ACRONIS_SECRET);
    secrets
        .put_autotask(&AutotaskCredentials {
            username: simulators::autotask::DEMO_USER.into(),
            secret: simulators::autotask::DEMO_SECRET.into(),
            integration_code: simulators::autotask::DEMO_INTEGRATION_CODE.into(),
            zone_url: None,
            saved_at: None,
        })
        .await?;
    secrets
        .put_acronis(&AcronisCredentials {
            datacenter_url: acronis.base_url(),
            client_id: "demo-client".into(),
            client_secret: "demo-client-secret".into(),
            saved_at: None,
        })
        .await?;
    let store = DynamoStore::new(dynamo, TABLE);
    // Every job switched on, as an MSP runs the bridge.
    let mut settings = Settings::default();
    settings.features.billing = true;
    settings.features.ticket_creation = true;
    settings.tickets.note_type = Some(1);
    settings.tickets.note_publish = Some(1);
    store.put_settings(&settings, None).await?;

    let env = [
        ("AWS_REGION", test_harness::REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", test_harness::ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", test_harness::SECRET_KEY.to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
        ("BRIDGE_TABLE", TABLE.to_owned()),
        ("BRIDGE_AUTOTASK_SECRET_ID", AUTOTASK_SECRET.to_owned()),
        ("BRIDGE_ACRONIS_SECRET_ID", ACRONIS_SECRET.to_owned()),
        ("BRIDGE_EVENT_BUS", BUS.to_owned()),
        ("BRIDGE_STACK_NAME", STACK.to_owned()),
        (
            "BRIDGE_AUTOTASK_ZONE_LOOKUP_URL",
            autotask.zone_lookup_url(),
        ),
    ];
    let mut out = Vec::new();
    for (name, event_name, event) in functions() {
        let (binary, zip_bytes) = locate(binaries, name, work)?;
        let mut measured = run_one(&binary, name, &env, event).await?;
        measured.event = event_name.to_owned();
        measured.zip_bytes = zip_bytes;
        out.push(measured);
    }
    Ok(out)
}

/// The function's binary, unpacked from its zip when given packages.
fn locate(binaries: &Binaries, name: &str, work: &Path) -> anyhow::Result<(PathBuf, Option<u64>)> {
    match binaries {
        Binaries::Dir(dir) => {
            let binary = dir.join(name);
            anyhow::ensure!(binary.exists(), "no binary {}", binary.display());
            Ok((binary, None))
        }
        Binaries::Packages(dir) => {
            let zip = dir.join(name).join("bootstrap.zip");
            let size = std::fs::metadata(&zip)
                .with_context(|| format!("no package {}", zip.display()))?
                .len();
            let into = work.join(name);
            std::fs::create_dir_all(&into)?;
            let status = Command::new("unzip")
                .args(["-o", "-q"])
                .arg(&zip)
                .arg("-d")
                .arg(&into)
                .status()
                .context("running unzip")?;
            anyhow::ensure!(status.success(), "unzip {} failed", zip.display());
            Ok((into.join("bootstrap"), Some(size)))
        }
    }
}

async fn run_one(
    binary: &Path,
    name: &str,
    env: &[(&str, String)],
    event: Value,
) -> anyhow::Result<Measured> {
    let mut api =
        RuntimeApi::start("arn:aws:lambda:us-east-1:123456789012:function:bridge").await?;
    let runtime_api = api.address.clone();
    api.queue("req-1", event).await;

    let started = Instant::now();
    let _function = Function(
        Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", format!("{STACK}-{name}"))
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{STACK}-{name}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?,
    );
    let (id, outcome) = api
        .outcome(ANSWER_WITHIN)
        .await
        .ok_or_else(|| anyhow::anyhow!("{name} did not answer within {ANSWER_WITHIN:?}"))?;
    let first_event_ms = started.elapsed().as_secs_f64() * 1000.0;
    let init_ms = api
        .first_next()
        .await
        .map_or(first_event_ms, |at| (at - started).as_secs_f64() * 1000.0);
    let (outcome, body) = match outcome {
        Outcome::Response(body) => ("response", body),
        Outcome::Error(body) => ("error", body),
    };
    anyhow::ensure!(
        id == "req-1" || outcome == "error",
        "{name} answered {id}, not the event"
    );
    Ok(Measured {
        function: name.to_owned(),
        event: String::new(),
        init_ms,
        first_event_ms,
        outcome: outcome.to_owned(),
        body,
        binary_bytes: std::fs::metadata(binary)?.len(),
        zip_bytes: None,
    })
}

pub fn markdown(rows: &[Measured]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| function | first event | outcome | init ms | first event handled ms | binary MiB | zip MiB |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: |\n",
    );
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.1} | {:.2} | {} |",
            r.function,
            r.event,
            r.outcome,
            r.init_ms,
            r.first_event_ms,
            mib(r.binary_bytes),
            r.zip_bytes
                .map_or("–".to_owned(), |z| format!("{:.2}", mib(z)))
        );
    }
    out
}
