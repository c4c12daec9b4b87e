//! The HTTP surface: auth in both modes (bearer token, Lambda Function URL with IAM),
//! body limits and content types, JSON errors for unknown routes, and the OpenAPI
//! document against the route table.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use bridge_config_api::{Auth, MAX_BODY_BYTES, routes};
use bridge_store::secrets::FileSecretSource;
use bridge_store::store::SqliteStore;
use common::{Env, TOKEN, send, temp_dir, whole};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

const ARN: &str = "arn:aws:iam::123456789012:user/msp-operator";

fn plain(method: Method, path: &str, auth: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(a) = auth {
        r = r.header(header::AUTHORIZATION, a);
    }
    r.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn health_is_open_and_says_nothing_more() {
    let env = Env::sqlite().await;
    let (status, body) = send(&env.app, plain(Method::GET, "/health", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn missing_and_wrong_tokens_get_the_same_401() {
    let env = Env::sqlite().await;
    let (missing, missing_body) = send(&env.app, plain(Method::GET, "/settings", None)).await;
    let (wrong, wrong_body) = send(
        &env.app,
        plain(Method::GET, "/settings", Some("Bearer not-the-token")),
    )
    .await;
    let (prefix, prefix_body) = send(
        &env.app,
        plain(Method::GET, "/settings", Some(&TOKEN[..10])),
    )
    .await;
    assert_eq!(
        (missing, wrong, prefix),
        (
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        )
    );
    assert_eq!(missing_body, wrong_body);
    assert_eq!(missing_body, prefix_body);
    assert_eq!(missing_body["error"], "unauthorized");
    // Unknown routes and the document are closed too.
    let (status, _) = send(&env.app, plain(Method::GET, "/nope", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&env.app, plain(Method::GET, "/openapi.json", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &env.app,
        plain(Method::GET, "/settings", Some(&format!("Bearer {TOKEN}"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// A Lambda Function URL event (payload 2.0); `iam` is the authorizer block AWS adds
/// when the URL uses AWS_IAM.
fn function_url_event(method: &str, path: &str, body: Option<Value>, iam: Option<Value>) -> String {
    let mut context = json!({
        "accountId": "123456789012", "apiId": "abcdefgh", "domainName": "abcdefgh.lambda-url.eu-west-1.on.aws",
        "domainPrefix": "abcdefgh", "requestId": "req-1", "routeKey": "$default", "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000i64,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"}
    });
    if let Some(iam) = iam {
        context["authorizer"] = json!({"iam": iam});
    }
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "abcdefgh.lambda-url.eu-west-1.on.aws"},
        "requestContext": context,
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
    .to_string()
}

fn iam_caller() -> Value {
    json!({"accessKey": "ASIAEXAMPLE", "accountId": "123456789012", "callerId": "AIDAEXAMPLE",
           "cognitoIdentity": null, "principalOrgId": null, "userArn": ARN, "userId": "AIDAEXAMPLE"})
}

async fn iam_env() -> (Env, std::path::PathBuf) {
    let dir = temp_dir();
    let store = Arc::new(SqliteStore::open_in_memory().await.expect("sqlite"));
    let secrets = Arc::new(FileSecretSource::new(dir.join("secrets.json")));
    (Env::with(store, secrets, Auth::Iam).await, dir)
}

#[tokio::test]
async fn under_a_function_url_only_iam_callers_pass_and_are_audited_by_arn() {
    let (env, dir) = iam_env().await;
    let event = |method, path, body, iam| {
        lambda_http::request::from_str(&function_url_event(method, path, body, iam)).expect("event")
    };
    // A URL misconfigured to no auth: no IAM block in the context.
    let (status, body) = send(&env.app, event("GET", "/settings", None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Outside Lambda entirely, and a bearer token means nothing here.
    let (status, _) = send(
        &env.app,
        plain(Method::GET, "/settings", Some(&format!("Bearer {TOKEN}"))),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&env.app, event("GET", "/health", None, None)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(
        &env.app,
        event("GET", "/settings", None, Some(iam_caller())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let put = event(
        "PUT",
        "/settings",
        Some(whole(json!({"version": 0, "features": {"billing": true}}))),
        Some(iam_caller()),
    );
    let (status, body) = send(&env.app, put).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, audit) = send(&env.app, event("GET", "/audit", None, Some(iam_caller()))).await;
    assert_eq!(audit["items"][0]["actor"], ARN);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_answer_413_in_json() {
    let env = Env::sqlite().await;
    let padding = "x".repeat(MAX_BODY_BYTES);
    let body = json!({"version": 0, "pad": padding}).to_string();
    let request = Request::builder()
        .method(Method::PUT)
        .uri("/settings")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let (status, body) = send(&env.app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("bytes")),
        "{body}"
    );
    assert_eq!(env.version().await, 0);
}

#[tokio::test]
async fn bad_bodies_and_routes_get_json_errors_never_500() {
    let env = Env::sqlite().await;
    let with = |content_type: &str, body: &str| {
        Request::builder()
            .method(Method::PUT)
            .uri("/settings")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let (status, body) = send(&env.app, with("text/plain", "{}")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = send(&env.app, with("application/json", "{\"version\": 0,")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["errors"].is_array());
    let (status, body) = send(&env.app, with("application/json", "[1, 2]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, body) = env.get("/no-such-route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
    let (status, body) = env.call(Method::POST, "/settings", Some(json!({}))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["error"].is_string());
    let (status, body) = env.get("/audit?since=yesterday&limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(2), "{body}");
    let (status, _) = env.get("/audit?page_token=garbage").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = env.get("/audit?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let env = Env::sqlite().await;
    let (status, doc) = env.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let served: BTreeSet<(String, String)> = routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_owned(), path.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let absent: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes missing from openapi.json: {missing:?}"
    );
    assert!(absent.is_empty(), "documented but not served: {absent:?}");

    // Every operation answers something and every $ref resolves.
    let text = doc.to_string();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            assert!(
                item[*m]["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{m} {path}"
            );
        }
    }
    for piece in text.split("\"$ref\":\"#/").skip(1) {
        let target = piece.split('"').next().expect("ref");
        let pointer = format!("/{target}");
        assert!(doc.pointer(&pointer).is_some(), "unresolved $ref {target}");
    }
}
