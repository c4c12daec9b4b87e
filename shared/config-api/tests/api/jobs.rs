//! `GET /jobs` and `POST /jobs/{job}/run`: run now in this process (local mode) and
//! through the Lambda invoke API (deployed), against a loopback Lambda API that checks
//! what a real one would: the path, the asynchronous invocation type and a SigV4
//! signature for the service `lambda`.

use crate::common;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use axum::http::{HeaderMap, Method, StatusCode};
use bridge_config_api::{ApiState, Auth, router};
use bridge_core::secret::Secret;
use bridge_jobs::launch::LambdaLauncher;
use common::{Env, STACK, TOKEN, send, whole};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

async fn billing_on(env: &Env) {
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": env.version().await, "features": {"billing": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn post(path: &str) -> axum::http::Request<axum::body::Body> {
    common::request(Method::POST, path, None)
}

#[tokio::test]
async fn jobs_are_listed_with_schedules_switch_and_no_run_yet() {
    let env = Env::sqlite().await;
    let (status, body) = env.get("/jobs").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jobs = body["jobs"].as_array().expect("jobs");
    let names: Vec<&str> = jobs.iter().filter_map(|j| j["name"].as_str()).collect();
    assert_eq!(names, bridge_jobs::job::names());
    let poller = &jobs[0];
    assert_eq!(poller["name"], "contract-poller");
    assert_eq!(poller["on"], false, "billing is off by default");
    assert_eq!(poller["switch"], "features.billing");
    assert_eq!(poller["schedules"][0]["name"], "poll");
    assert_eq!(
        poller["schedules"][0]["rule"],
        "bridge-contract-poller-poll"
    );
    assert_eq!(poller["schedules"][0]["expression"], "rate(1 minute)");
    assert_eq!(
        poller["schedules"][0]["set_by"],
        "schedules.contract_polling_minutes"
    );
    assert_eq!(poller["schedules"][1]["expression"], "cron(0 3 * * ? *)");
    assert!(poller["last_run"].is_null() && poller["last_error"].is_null());

    // The listing follows the settings.
    env.put(
        "/settings",
        whole(json!({"version": 0, "features": {"billing": true}, "schedules": {"contract_polling_minutes": 5}})),
    )
    .await;
    let (_, body) = env.get("/jobs").await;
    assert_eq!(body["jobs"][0]["on"], true);
    assert_eq!(
        body["jobs"][0]["schedules"][0]["expression"],
        "rate(5 minutes)"
    );
}

#[tokio::test]
async fn run_now_runs_in_process_answers_the_summary_and_records_the_run() {
    let env = Env::sqlite().await;
    env.connect().await;
    billing_on(&env).await;

    let (status, dry) = send(&env.app, post("/jobs/contract-poller/run?dry_run=true")).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["status"], "finished");
    assert_eq!(dry["dry_run"], true);
    assert!(
        dry["summary"]["read"]["contracts"].as_u64() > Some(0),
        "{dry}"
    );
    assert!(
        dry["summary"]["requests"]["autotask"].as_u64() > Some(0),
        "{dry}"
    );
    assert_eq!(dry["summary"]["applied"], 0, "a dry run applies nothing");
    assert!(
        dry["text"]
            .as_str()
            .is_some_and(|t| t.contains("(dry run)"))
    );
    let (_, listed) = env.get("/jobs").await;
    let last = &listed["jobs"][0]["last_run"];
    assert_eq!(last["dry_run"], true);
    assert_eq!(last["ok"], true);
    assert_eq!(last["trigger"], "run now by local-operator");

    let (status, real) = send(&env.app, post("/jobs/contract-poller/run")).await;
    assert_eq!(status, StatusCode::OK, "{real}");
    assert_eq!(real["dry_run"], false);
    assert!(
        real["summary"]["read"]["contracts"].as_u64() > Some(0),
        "{real}"
    );
    assert!(real["summary"]["requests"]["autotask"].as_u64() > Some(0));
    let (_, listed) = env.get("/jobs").await;
    assert_eq!(listed["jobs"][0]["last_run"]["dry_run"], false);

    let audit = env.audit("job.run_requested").await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["subject"], "job:contract-poller");
    assert_eq!(audit[0]["actor"], "local-operator");
    assert_eq!(audit[1]["after"]["dry_run"], true);
}

#[tokio::test]
async fn a_run_that_cannot_work_is_answered_and_kept_as_the_last_error() {
    let env = Env::sqlite().await;
    billing_on(&env).await;
    // No credentials saved: the job cannot run.
    let (status, body) = send(&env.app, post("/jobs/contract-poller/run")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("credentials")),
        "{body}"
    );
    let (_, listed) = env.get("/jobs").await;
    let job = &listed["jobs"][0];
    assert_eq!(job["last_run"]["ok"], false);
    assert!(
        job["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Autotask credentials"))
    );
}

#[tokio::test]
async fn unknown_jobs_and_bad_parameters_are_refused_briefly() {
    let env = Env::sqlite().await;
    let long = "x".repeat(5_000);
    let (status, body) = send(&env.app, post(&format!("/jobs/{long}/run"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("contract-poller") && text.len() < 500,
        "{text}"
    );
    let (status, body) = send(&env.app, post("/jobs/contract-poller/run?dry_run=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "dry_run", "{body}");
    let (status, _) = send(&env.app, post("/jobs/contract-poller/run?other=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = env.get("/jobs/contract-poller/run").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(env.audit("job.run_requested").await.is_empty());
}

/// What the loopback Lambda API received.
#[derive(Default)]
struct Received {
    calls: Vec<(String, HeaderMap, Value)>,
}

/// A loopback stand-in for the Lambda invoke API: answers 202 like Lambda does for an
/// `Event` invocation, or `refuse` with a Lambda-shaped error body.
async fn lambda_api(
    refuse: Option<StatusCode>,
) -> (String, Arc<Mutex<Received>>, tokio::task::JoinHandle<()>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let seen = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/2015-03-31/functions/{name}/invocations",
        axum::routing::post(
            move |axum::extract::Path(name): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: axum::body::Bytes| {
                let seen = Arc::clone(&seen);
                async move {
                    let payload = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.lock()
                        .expect("lock")
                        .calls
                        .push((name, headers, payload));
                    match refuse {
                        Some(status) => (
                            status,
                            axum::Json(json!({"Type": "User", "message": "User is not authorized to perform: lambda:InvokeFunction"})),
                        ),
                        None => (StatusCode::ACCEPTED, axum::Json(Value::Null)),
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received, server)
}

/// The router as deployed: run now goes through the Lambda invoke API at `endpoint`.
fn deployed(env: &Env, region: &str, endpoint: &str) -> axum::Router {
    let launcher = LambdaLauncher::new(aws(region), STACK)
        .expect("launcher")
        .with_endpoint(endpoint);
    router(
        ApiState::new(
            Arc::clone(&env.ctx),
            Auth::Bearer(Secret::new(TOKEN)),
            STACK,
        )
        .with_launcher(Arc::new(launcher)),
    )
}

fn aws(region: &str) -> aws_config::SdkConfig {
    let credentials = Credentials::new("AKIDTEST", "secret", Some("token".into()), None, "test");
    aws_config::SdkConfig::builder()
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

#[tokio::test]
async fn deployed_run_now_invokes_the_job_function_asynchronously() {
    let env = Env::sqlite().await;
    env.connect().await;
    billing_on(&env).await;
    let (endpoint, received, _server) = lambda_api(None).await;
    let app = deployed(&env, "eu-west-1", &endpoint);

    let (status, body) = send(&app, post("/jobs/contract-poller/run?dry_run=true")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "started");
    assert_eq!(body["function"], "bridge-contract-poller");
    assert_eq!(body["logs"], "/aws/lambda/bridge-contract-poller");

    let (name, headers, payload) = received
        .lock()
        .expect("lock")
        .calls
        .pop()
        .expect("one invocation");
    assert_eq!(name, "bridge-contract-poller");
    assert_eq!(headers["x-amz-invocation-type"], "Event");
    let auth = headers["authorization"].to_str().expect("ascii");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
            && auth.contains("/eu-west-1/lambda/aws4_request"),
        "{auth}"
    );
    assert_eq!(headers["x-amz-security-token"], "token");
    assert_eq!(payload["run_now"]["dry_run"], true);
    assert_eq!(payload["run_now"]["requested_by"], "local-operator");

    // The job's function, given that payload, runs the job and records it for GET /jobs.
    let job = bridge_jobs::job::find("contract-poller").expect("job");
    let summary = bridge_jobs::lambda::handle(job, &env.ctx, &payload, Default::default())
        .await
        .expect("the function runs the job");
    assert_eq!(summary["dry_run"], true);
    let (_, listed) = send(&app, common::request(Method::GET, "/jobs", None)).await;
    assert_eq!(
        listed["jobs"][0]["last_run"]["trigger"],
        "run now by local-operator"
    );
}

#[tokio::test]
async fn a_refused_invocation_is_a_bad_gateway_with_lambdas_words() {
    let env = Env::sqlite().await;
    let (endpoint, received, _server) = lambda_api(Some(StatusCode::FORBIDDEN)).await;
    let app = deployed(&env, "us-east-1", &endpoint);
    let (status, body) = send(&app, post("/jobs/contract-poller/run")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("403") && error.contains("not authorized"),
        "{body}"
    );
    assert_eq!(received.lock().expect("lock").calls.len(), 1);

    // Nothing listens: the answer names the function instead of hanging.
    let app = deployed(&env, "us-east-1", "http://127.0.0.1:9");
    let (status, body) = send(&app, post("/jobs/contract-poller/run")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body.to_string().contains("bridge-contract-poller"),
        "{body}"
    );
}
