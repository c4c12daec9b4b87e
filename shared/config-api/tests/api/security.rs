//! Security properties proved over the whole surface rather than route by route: every
//! documented operation refuses callers without the right token, and no secret ever
//! leaves through an answer, an audit entry or a log line.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Env, TOKEN, acronis_creds, autotask_creds, send};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Every (method, concrete path) the OpenAPI document describes, and whether it is
/// marked open (`security: []`).
fn operations() -> Vec<(Method, String, bool)> {
    let document: Value =
        serde_json::from_str(include_str!("../../openapi.json")).expect("the document parses");
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let concrete = path
            .replace("{companyId}", "174")
            .replace("{job}", "contract-poller");
        for (verb, operation) in item.as_object().expect("path item") {
            let Ok(method) = verb.to_uppercase().parse::<Method>() else {
                continue;
            };
            let open = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
            out.push((method, concrete.clone(), open));
        }
    }
    out
}

fn with_auth(method: &Method, path: &str, auth: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let body = if matches!(*method, Method::PUT | Method::POST | Method::PATCH) {
        Body::from(json!({"all": true}).to_string())
    } else {
        Body::empty()
    };
    request.body(body).expect("request")
}

#[tokio::test]
async fn every_documented_operation_refuses_a_missing_or_wrong_token() {
    let env = Env::sqlite().await;
    let operations = operations();
    assert!(operations.len() >= 20, "the document lists the routes");
    let refusals = [
        None,
        Some("Bearer not-the-token".to_owned()),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Bearer {TOKEN}x")),
    ];
    for (method, path, open) in &operations {
        if *open {
            // Open operations serve no data and change nothing: reads only.
            assert_eq!(method, Method::GET, "{method} {path} is open");
            continue;
        }
        for auth in &refusals {
            let (status, body) = send(&env.app, with_auth(method, path, auth.as_deref())).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}: {body}"
            );
            assert_eq!(body["error"], "unauthorized", "{method} {path}");
        }
    }
    // Nothing was written by any refused request.
    assert!(env.store.get_settings().await.expect("read").is_none());
    assert!(env.audit_entries().await.is_empty());
    let open: Vec<&String> = operations.iter().filter(|o| o.2).map(|o| &o.1).collect();
    assert!(open.contains(&&"/health".to_owned()), "{open:?}");
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_leave_through_answers_audit_entries_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::sqlite().await;
    let mut seen = String::new();
    // Saved, refused (a wrong secret), saved again; then every documented read.
    let (status, body) = env.put("/credentials/autotask", autotask_creds()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    seen.push_str(&body.to_string());
    let mut wrong = autotask_creds();
    wrong["secret"] = json!("not-the-demo-secret-7f3a");
    let (status, body) = env.put("/credentials/autotask", wrong).await;
    assert_ne!(status, StatusCode::OK);
    seen.push_str(&body.to_string());
    let (status, body) = env
        .put("/credentials/acronis", acronis_creds(&env.acronis))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    seen.push_str(&body.to_string());
    for (method, path, _) in operations() {
        if method == Method::GET {
            let (_, body) = env.get(&path).await;
            seen.push_str(&body.to_string());
        }
    }
    let (_, runs) = env
        .call(Method::POST, "/jobs/contract-poller/run?dry_run=true", None)
        .await;
    seen.push_str(&runs.to_string());
    for entry in env.audit_entries().await {
        seen.push_str(&entry.to_string());
    }
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned();
    assert!(!logs.is_empty(), "the logs were captured");
    for secret in [
        "demo-secret",
        "not-the-demo-secret-7f3a",
        "demo-client-secret",
        TOKEN,
    ] {
        assert!(
            !seen.contains(secret),
            "{secret} in an answer or audit entry"
        );
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
}
