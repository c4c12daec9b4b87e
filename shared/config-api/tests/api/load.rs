//! The config endpoint under load, served on loopback: concurrent readers and writers of
//! settings and mappings. Every writer does read-modify-write with the version it read,
//! so a stale write must be refused (409 for a body version, 412 for If-Match) and the
//! final document must show every successful write — none lost, none doubled.
//!
//! Run with `--nocapture` to see the latency figures.

use crate::common;

use bridge_config_api::Auth;
use bridge_core::secret::Secret;
use bridge_store::secrets::FileSecretSource;
use bridge_store::store::DynamoStore;
use common::{Env, TOKEN};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_harness::Moto;

/// Requests each task sends (a read and its write count as two) on the embedded store;
/// fewer on DynamoDB, whose test server is far slower.
const REQUESTS_PER_TASK: usize = 50;
const REQUESTS_PER_TASK_DYNAMO: usize = 20;
/// The whole run must end well inside this.
const TIME_LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
enum Role {
    /// GETs of every settings view; checks the ETag matches the body's version.
    Reader,
    /// GET then PATCH /settings with If-Match: +1 on `deprovisioning.hold_above.companies`.
    Patcher,
    /// GET then PUT /settings with the body's version: +1 on
    /// `deprovisioning.disable_after_days`.
    Putter,
    /// GET then PUT /service-mappings with the body's version: flips the first row's `free`.
    ServiceMapper,
    /// GET then PUT /alert-mappings with If-Match: toggles the first row's priority.
    AlertMapper,
}

const ROLES: [Role; 16] = [
    Role::Reader,
    Role::Reader,
    Role::Reader,
    Role::Reader,
    Role::Patcher,
    Role::Patcher,
    Role::Patcher,
    Role::Patcher,
    Role::Putter,
    Role::Putter,
    Role::Putter,
    Role::Putter,
    Role::ServiceMapper,
    Role::ServiceMapper,
    Role::AlertMapper,
    Role::AlertMapper,
];

/// What one task saw.
#[derive(Default)]
struct Tally {
    /// Latency of every request, by method and route.
    latencies: BTreeMap<String, Vec<Duration>>,
    /// Answers by status code.
    statuses: BTreeMap<u16, usize>,
    /// Successful writes, and the version each produced.
    written: Vec<u64>,
    /// Refused writes (stale version).
    stale: usize,
    /// Anything unexpected, described.
    problems: Vec<String>,
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn send(
        &self,
        tally: &mut Tally,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<u64>,
    ) -> (u16, Option<u64>, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            let content_type = if method == reqwest::Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            request = request
                .header("content-type", content_type)
                .body(body.to_string());
        }
        if let Some(version) = if_match {
            request = request.header("if-match", format!("\"{version}\""));
        }
        let started = Instant::now();
        let answer = request.send().await;
        let (status, etag, bytes) = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                let etag = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim_matches('"').parse().ok());
                (status, etag, response.bytes().await.unwrap_or_default())
            }
            Err(e) => {
                tally.problems.push(format!("{method} {path}: {e}"));
                (0, None, Default::default())
            }
        };
        tally
            .latencies
            .entry(format!("{method} {path}"))
            .or_default()
            .push(started.elapsed());
        *tally.statuses.entry(status).or_default() += 1;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, etag, value)
    }

    /// GET `path`; the document and its version, or `None` after recording a problem.
    async fn read(&self, tally: &mut Tally, path: &str) -> Option<(Value, u64)> {
        let (status, etag, body) = self
            .send(tally, reqwest::Method::GET, path, None, None)
            .await;
        let version = body["version"].as_u64();
        if status != 200 || version.is_none() || etag != version {
            tally.problems.push(format!(
                "GET {path} -> {status}, ETag {etag:?}, body version {version:?}"
            ));
            return None;
        }
        version.map(|v| (body, v))
    }

    /// Records the outcome of one write.
    fn outcome(tally: &mut Tally, what: &str, status: u16, body: &Value, stale_status: u16) {
        match status {
            200 => match body["version"].as_u64() {
                Some(v) => tally.written.push(v),
                None => tally
                    .problems
                    .push(format!("{what}: 200 without a version")),
            },
            s if s == stale_status && body["current_version"].is_u64() => tally.stale += 1,
            s => tally.problems.push(format!("{what} -> {s}: {body}")),
        }
    }
}

async fn run(role: Role, client: Client, requests: usize) -> Tally {
    let mut tally = Tally::default();
    let mut last_seen = 0u64;
    while tally.statuses.values().sum::<usize>() + 1 < requests {
        match role {
            Role::Reader => {
                for path in ["/settings", "/service-mappings", "/health"] {
                    if path == "/health" {
                        let (status, _, _) = client
                            .send(&mut tally, reqwest::Method::GET, path, None, None)
                            .await;
                        if status != 200 {
                            tally.problems.push(format!("health -> {status}"));
                        }
                    } else if let Some((_, version)) = client.read(&mut tally, path).await {
                        if version < last_seen {
                            tally
                                .problems
                                .push(format!("{path}: version went back to {version}"));
                        }
                        last_seen = version;
                    }
                }
            }
            Role::Patcher => {
                let Some((doc, version)) = client.read(&mut tally, "/settings").await else {
                    continue;
                };
                let n = doc["deprovisioning"]["hold_above"]["companies"]
                    .as_u64()
                    .unwrap_or_default();
                let patch = json!({"deprovisioning": {"hold_above": {"companies": n + 1}}});
                let (status, _, body) = client
                    .send(
                        &mut tally,
                        reqwest::Method::PATCH,
                        "/settings",
                        Some(&patch),
                        Some(version),
                    )
                    .await;
                Client::outcome(&mut tally, "PATCH /settings", status, &body, 412);
            }
            Role::Putter => {
                let Some((mut doc, _)) = client.read(&mut tally, "/settings").await else {
                    continue;
                };
                let days = doc["deprovisioning"]["disable_after_days"]
                    .as_u64()
                    .unwrap_or_default();
                doc["deprovisioning"]["disable_after_days"] = json!(days + 1);
                let (status, _, body) = client
                    .send(
                        &mut tally,
                        reqwest::Method::PUT,
                        "/settings",
                        Some(&doc),
                        None,
                    )
                    .await;
                Client::outcome(&mut tally, "PUT /settings", status, &body, 409);
            }
            Role::ServiceMapper => {
                let Some((mut doc, _)) = client.read(&mut tally, "/service-mappings").await else {
                    continue;
                };
                let free = doc["service_mappings"][0]["free"]
                    .as_bool()
                    .unwrap_or(false);
                doc["service_mappings"][0]["free"] = json!(!free);
                let (status, _, body) = client
                    .send(
                        &mut tally,
                        reqwest::Method::PUT,
                        "/service-mappings",
                        Some(&doc),
                        None,
                    )
                    .await;
                Client::outcome(&mut tally, "PUT /service-mappings", status, &body, 409);
            }
            Role::AlertMapper => {
                let Some((doc, version)) = client.read(&mut tally, "/alert-mappings").await else {
                    continue;
                };
                let mut rows = doc["alert_mappings"].clone();
                let priority = rows[0]["priority"].as_i64().unwrap_or(1);
                rows[0]["priority"] = json!(if priority == 1 { 2 } else { 1 });
                let (status, _, body) = client
                    .send(
                        &mut tally,
                        reqwest::Method::PUT,
                        "/alert-mappings",
                        Some(&json!({"alert_mappings": rows})),
                        Some(version),
                    )
                    .await;
                Client::outcome(&mut tally, "PUT /alert-mappings", status, &body, 412);
            }
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_readers_and_writers_lose_no_update_and_get_only_conflicts() {
    let env = Env::sqlite().await;
    load("embedded store", &env, REQUESTS_PER_TASK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_dynamodb_loses_no_update() {
    let moto = Moto::start().await;
    let aws = moto.sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    DynamoStore::create_table(&dynamo, "bridge")
        .await
        .expect("table");
    let dir = common::temp_dir();
    let env = Env::with(
        Arc::new(DynamoStore::new(dynamo, "bridge")),
        Arc::new(FileSecretSource::new(dir.join("secrets.json"))),
        Auth::Bearer(Secret::new(TOKEN)),
    )
    .await;
    load("DynamoDB (moto)", &env, REQUESTS_PER_TASK_DYNAMO).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs every role against `env`'s router served on loopback, then checks and prints.
async fn load(store: &str, env: &Env, requests: usize) {
    env.connect().await;
    // The rows the mapping writers change.
    let (status, body) = env
        .put(
            "/service-mappings",
            json!({"version": 0, "service_mappings": [{"offering_item": "pw_base_workstations", "service": {"id": 501}, "free": false}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 1, "alert_mappings": [{"alert_type": "BackupFailed", "priority": 1, "status": 1}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let start_version = env.version().await;
    let before = env
        .store
        .get_settings()
        .await
        .expect("read")
        .expect("saved");
    let audited_before = env.audit_entries().await.len();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = env.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let started = Instant::now();
    let tasks: Vec<_> = ROLES
        .iter()
        .map(|&role| {
            let client = Client {
                http: http.clone(),
                base: base.clone(),
            };
            tokio::spawn(async move { (role, run(role, client, requests).await) })
        })
        .collect();
    let mut tallies = Vec::new();
    for task in tasks {
        tallies.push(task.await.expect("task"));
    }
    let elapsed = started.elapsed();

    // Still up.
    let (status, _, _) = Client {
        http: http.clone(),
        base: base.clone(),
    }
    .send(
        &mut Tally::default(),
        reqwest::Method::GET,
        "/health",
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "health after the load");
    server.abort();

    let problems: Vec<&String> = tallies.iter().flat_map(|(_, t)| &t.problems).collect();
    assert!(problems.is_empty(), "unexpected answers: {problems:#?}");
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (_, t) in &tallies {
        for (s, n) in &t.statuses {
            *statuses.entry(*s).or_default() += n;
        }
    }
    assert!(
        statuses.keys().all(|s| [200, 409, 412].contains(s)),
        "{statuses:?}"
    );
    let successes = |wanted: fn(Role) -> bool| -> usize {
        tallies
            .iter()
            .filter(|(r, _)| wanted(*r))
            .map(|(_, t)| t.written.len())
            .sum()
    };
    let patches = successes(|r| matches!(r, Role::Patcher));
    let puts = successes(|r| matches!(r, Role::Putter));
    let service = successes(|r| matches!(r, Role::ServiceMapper));
    let alert = successes(|r| matches!(r, Role::AlertMapper));
    let stale: usize = tallies.iter().map(|(_, t)| t.stale).sum();
    let writes = patches + puts + service + alert;
    assert!(writes > 0, "some writes got through");
    // With enough tries each kind of writer gets through (the short run may starve one).
    assert!(
        requests < REQUESTS_PER_TASK || (patches > 0 && puts > 0 && service > 0 && alert > 0),
        "every kind of writer got through at least once: {patches} {puts} {service} {alert}"
    );

    // No lost update: each success made exactly one new version, and the stored
    // document shows every one of them.
    let mut versions: Vec<u64> = tallies
        .iter()
        .flat_map(|(_, t)| t.written.clone())
        .collect();
    versions.sort_unstable();
    let expected: Vec<u64> = (start_version + 1..=start_version + writes as u64).collect();
    assert_eq!(
        versions, expected,
        "one distinct version per successful write"
    );
    let after = env
        .store
        .get_settings()
        .await
        .expect("read")
        .expect("saved");
    assert_eq!(after.version, start_version + writes as u64);
    let d = |s: &bridge_core::records::Versioned<bridge_core::settings::Settings>| {
        s.value.deprovisioning.clone()
    };
    assert_eq!(
        d(&after).hold_above.companies,
        d(&before).hold_above.companies + patches as u32
    );
    assert_eq!(
        d(&after).disable_after_days,
        d(&before).disable_after_days + puts as u32
    );
    assert_eq!(
        after.value.service_mappings[0].free,
        before.value.service_mappings[0].free ^ (service % 2 == 1)
    );
    let priority = |s: &bridge_core::records::Versioned<bridge_core::settings::Settings>| {
        s.value.alert_mappings[0].priority
    };
    assert_eq!(
        priority(&after) == priority(&before),
        alert % 2 == 0,
        "alert priority toggled {alert} times"
    );
    assert_eq!(
        env.audit_entries().await.len() - audited_before,
        writes,
        "one audit entry per successful write"
    );
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");

    // The figures.
    let mut all: Vec<Duration> = Vec::new();
    let mut by_route: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for (_, t) in &tallies {
        for (route, l) in &t.latencies {
            all.extend(l);
            by_route.entry(route.clone()).or_default().extend(l);
        }
    }
    all.sort_unstable();
    println!(
        "config API load on the {store}: {} tasks, {} requests in {:.2} s ({:.0}/s); statuses {statuses:?}",
        ROLES.len(),
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "writes: {writes} saved (PATCH settings {patches}, PUT settings {puts}, service mappings {service}, alert mappings {alert}), {stale} refused as stale, 0 lost"
    );
    println!(
        "latency all: p50 {} ms, p99 {} ms, max {} ms",
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        ms(all.last().copied().unwrap_or_default())
    );
    for (route, mut l) in by_route {
        l.sort_unstable();
        println!(
            "  {route:<24} n={:<4} p50 {} ms, p99 {} ms",
            l.len(),
            ms(percentile(&l, 50.0)),
            ms(percentile(&l, 99.0))
        );
    }
}
