//! Random JSON bodies for every PUT route and for the settings PATCH: never a 500, a
//! refusal that is short and names its fields, and a refused body leaves the store
//! exactly as it was. Values include markup, control characters and long text.

use crate::common;

use axum::http::StatusCode;
use bridge_config_api::Auth;
use bridge_store::secrets::FileSecretSource;
use bridge_store::store::SqliteStore;
use common::{Env, whole};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;

const NAMES: [&str; 29] = [
    "version",
    "features",
    "billing",
    "schedules",
    "contract_polling_minutes",
    "service_mappings",
    "offering_item",
    "service",
    "create",
    "id",
    "free",
    "storage_mappings",
    "infra_id",
    "public_cloud_mappings",
    "amazon_s3",
    "alert_mappings",
    "alert_type",
    "priority",
    "tenant_id",
    "new_tenant",
    "username",
    "secret",
    "integration_code",
    "datacenter_url",
    "client_id",
    "client_secret",
    "deprovisioning",
    "tickets",
    "x",
];

/// Arbitrary JSON, biased towards the shapes the routes read (objects with their field
/// names, small integers, the version) so bodies get past the first check often.
fn json_value() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(NAMES.to_vec());
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..2000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z_ @.:/0-9]{0,12}".prop_map(Value::from),
        Just(json!("pw_base_workstations")),
        Just(json!("<script>alert(1)</script>\u{7}\u{1b}[31m")),
        ".{0,20}".prop_map(Value::from),
        (1usize..20_000).prop_map(|n| Value::from("x".repeat(n))),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..6).prop_map(|pairs| Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

/// Every PUT route with a body it accepts; random edits of these reach the deep checks
/// (live validation, picklists, version rule), fully random bodies the shallow ones.
fn routes(acronis_url: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/settings",
            whole(
                json!({"features": {"billing": true}, "schedules": {"contract_polling_minutes": 5}}),
            ),
        ),
        (
            "/service-mappings",
            json!({"service_mappings": [{"offering_item": "pw_base_workstations", "service": {"id": 501}}]}),
        ),
        (
            "/alert-mappings",
            json!({"alert_mappings": [{"alert_type": "BackupFailed", "priority": 1, "status": 1}]}),
        ),
        (
            "/customer-mappings/175",
            json!({"tenant_id": "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10"}),
        ),
        ("/credentials/autotask", common::autotask_creds()),
        (
            "PATCH /settings",
            json!({"deprovisioning": {"hold_above": {"companies": 7}}, "tickets": {"reopen_window_days": 2}}),
        ),
        (
            "/credentials/acronis",
            json!({"datacenter_url": acronis_url, "client_id": "demo-client", "client_secret": "demo-client-secret"}),
        ),
    ]
}

/// One random edit of a body.
#[derive(Debug, Clone)]
enum Edit {
    /// Set (or add) a top-level member.
    Set(&'static str, Value),
    /// Remove the n-th top-level member.
    Remove(usize),
    /// Set a member inside the first nested object (or first object of an array).
    SetNested(&'static str, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    let names = prop::sample::select(NAMES.to_vec());
    prop_oneof![
        (names.clone(), json_value()).prop_map(|(k, v)| Edit::Set(k, v)),
        (0usize..4).prop_map(Edit::Remove),
        (names, json_value()).prop_map(|(k, v)| Edit::SetNested(k, v)),
    ]
}

fn apply(body: &mut Value, edit: &Edit) {
    let Value::Object(map) = body else { return };
    match edit {
        Edit::Set(k, v) => {
            map.insert((*k).to_owned(), v.clone());
        }
        Edit::Remove(n) => {
            if let Some(k) = map.keys().nth(*n).cloned() {
                map.remove(&k);
            }
        }
        Edit::SetNested(k, v) => {
            let nested = map.values_mut().find_map(|v| match v {
                Value::Object(o) => Some(o),
                Value::Array(items) => items.iter_mut().find_map(|i| i.as_object_mut()),
                _ => None,
            });
            if let Some(o) = nested {
                o.insert((*k).to_owned(), v.clone());
            }
        }
    }
}

/// (route, body): a valid body with a few random edits, or an entirely random one.
fn request(acronis_url: String) -> impl Strategy<Value = (&'static str, Value)> {
    let count = routes(&acronis_url).len();
    let url = acronis_url.clone();
    let edited = (0..count, prop::collection::vec(edit(), 0..3)).prop_map(move |(i, edits)| {
        let (route, mut body) = routes(&url).swap_remove(i);
        for e in &edits {
            apply(&mut body, e);
        }
        (route, body)
    });
    let random =
        (0..count, json_value()).prop_map(move |(i, body)| (routes(&acronis_url)[i].0, body));
    prop_oneof![4 => edited, 1 => random]
}

/// Everything a PUT could change.
async fn snapshot(env: &Env) -> (Value, Value, Value) {
    let settings =
        serde_json::to_value(env.store.get_settings().await.expect("settings")).expect("json");
    let mappings =
        serde_json::to_value(env.store.list_mappings(1000, None).await.expect("mappings"))
            .expect("json");
    let (_, credentials) = env.get("/credentials").await;
    (settings, mappings, credentials)
}

#[test]
fn random_bodies_never_give_500_or_a_partial_write() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let env = runtime.block_on(async {
        let env = Env::sqlite().await;
        env.connect().await;
        env
    });
    let acronis_url = env.acronis.base_url();
    let config = ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |((route, body) in request(acronis_url.clone()), versioned in any::<bool>())| {
        runtime.block_on(async {
            let mut body = body;
            // Half the settings bodies carry the right version, so they reach the deeper
            // checks.
            let settings_route = ["/settings", "PATCH /settings", "/service-mappings", "/alert-mappings"].contains(&route);
            if versioned && settings_route && let Value::Object(map) = &mut body {
                map.insert("version".into(), Value::from(env.version().await));
            }
            let before = snapshot(&env).await;
            let (status, answer) = match route.strip_prefix("PATCH ") {
                Some(path) => env.patch(path, body.clone()).await,
                None => env.put(route, body.clone()).await,
            };
            prop_assert!(status.as_u16() < 500, "{route} {body} -> {status} {answer}");
            prop_assert!(answer["error"].is_string() || status.is_success(), "{answer}");
            if status == StatusCode::BAD_REQUEST {
                // Bounded, and each problem names its field.
                let text = answer.to_string();
                prop_assert!(text.len() <= 16 * 1024, "{} bytes: {}", text.len(), &text[..500]);
                let errors = answer["errors"].as_array().cloned().unwrap_or_default();
                prop_assert!(!errors.is_empty(), "{answer}");
                prop_assert!(errors.iter().all(|e| e["field"].is_string()), "{answer}");
            }
            if !status.is_success() {
                prop_assert_eq!(snapshot(&env).await, before, "{} {} -> {}", route, body, status);
            }
            prop_assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
            Ok(())
        })?;
    });
}

/// A Lambda Function URL event (payload 2.0) as AWS sends it with `AWS_IAM` auth.
fn function_url_event(method: &str, path: &str, body: Option<String>, arn: Value) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "abcdefgh.lambda-url.eu-west-1.on.aws"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abcdefgh", "domainName": "abcdefgh.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abcdefgh", "requestId": "req-1", "routeKey": "$default", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
            "authorizer": {"iam": {"accessKey": "ASIAEXAMPLE", "accountId": "123456789012", "callerId": "AIDAEXAMPLE",
                                   "cognitoIdentity": null, "principalOrgId": null, "userArn": arn, "userId": "AIDAEXAMPLE"}}
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// Hostile text for the event's strings.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("arn:aws:iam::123456789012:user/msp-operator".to_owned()),
        Just("<script>alert(1)</script>\u{7}\u{1b}[31m".to_owned()),
        Just("arn:\u{1b}[31m<b>".to_owned()),
        ".{0,20}",
        (1usize..20_000).prop_map(|n| "x".repeat(n)),
    ]
}

#[test]
fn hostile_function_url_events_never_give_500() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let env = runtime.block_on(async {
        let dir = common::temp_dir();
        let store = Arc::new(SqliteStore::open_in_memory().await.expect("sqlite"));
        let secrets = Arc::new(FileSecretSource::new(dir.join("secrets.json")));
        Env::with(store, secrets, Auth::Iam).await
    });
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let method = prop::sample::select(vec!["GET", "PUT", "PATCH", "DELETE", "POST", "BREW"]);
    let path = prop_oneof![
        prop::sample::select(vec![
            "/settings",
            "/customer-mappings/175",
            "/audit",
            "/nope",
            "/health"
        ])
        .prop_map(str::to_owned),
        hostile_text().prop_map(|t| format!("/{t}")),
    ];
    let body = prop::option::of(prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        hostile_text(),
    ]);
    let arn = prop_oneof![
        3 => hostile_text().prop_map(Value::from),
        1 => json_value(),
    ];
    let drop = prop::option::of(prop::sample::select(vec![
        "requestContext",
        "headers",
        "rawPath",
        "body",
        "version",
        "isBase64Encoded",
    ]));
    proptest!(config, |(method in method, path in path, body in body, arn in arn, drop in drop)| {
        let mut event = function_url_event(method, &path, body, arn.clone());
        if let (Some(member), Value::Object(map)) = (drop, &mut event) {
            map.remove(member);
        }
        // The runtime's own parser: an event it cannot read never reaches the router.
        let Ok(request) = lambda_http::request::from_str(&event.to_string()) else {
            return Ok(());
        };
        let before = runtime.block_on(snapshot(&env));
        let (status, answer) = runtime.block_on(common::send(&env.app, request));
        prop_assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{}", answer);
        prop_assert!(answer.to_string().len() <= 64 * 1024);
        let is_arn = arn.as_str().is_some_and(|a| a.trim().starts_with("arn:"));
        // Without a caller's ARN only the health check answers (or a limit refuses).
        if !is_arn && answer != json!({"status": "ok"}) {
            prop_assert!(status.is_client_error(), "{} {}", status, answer);
        }
        if !status.is_success() {
            prop_assert_eq!(runtime.block_on(snapshot(&env)), before);
        }
    });
}
