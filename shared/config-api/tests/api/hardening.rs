//! The config endpoint against hostile and careless input: limits on free text and
//! credentials, bounded error answers, whole-document PUT and merge-patch PATCH, no-op
//! saves, concurrent identical mapping writes, and HTTP details (ETag/If-Match, 414/431,
//! media types, the bearer token, ids, query parameters, nesting).

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use bridge_config_api::{ApiState, Auth, router};
use bridge_core::secret::Secret;
use bridge_jobs::{Context, SystemClock};
use common::{Env, STACK, TOKEN, acronis_creds, autotask_creds, request, send, whole};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const LITWARE: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e31";

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

fn size(body: &Value) -> usize {
    body.to_string().len()
}

/// Sends a request and answers the status, the headers and the JSON body.
async fn exchange(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, header::HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, value)
}

fn with_header(mut request: Request<Body>, name: header::HeaderName, value: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert(name, value.parse().expect("header value"));
    request
}

// --- Free text: limits and character rules -------------------------------------------

#[tokio::test]
async fn oversized_or_unsafe_free_text_is_refused_on_its_field_before_anything_is_saved() {
    let env = Env::sqlite().await;
    let huge = "x".repeat(1_000_000);
    let cases = [
        (
            json!({"provisioning": {"default_storage": huge}}),
            "provisioning.default_storage",
        ),
        (
            json!({"provisioning": {"activation_email": "a@b.co<script>alert(1)</script>"}}),
            "provisioning.activation_email",
        ),
        (
            json!({"storage_mappings": [{"infra_id": "019097a6", "location": "XYZ\u{0}\u{1b}[31m<b>"}]}),
            "storage_mappings[0].location",
        ),
        (
            json!({"storage_mappings": [{"infra_id": "019097a6", "location": huge}]}),
            "storage_mappings[0].location",
        ),
        (
            json!({"storage_mappings": [{"infra_id": "../../etc"}]}),
            "storage_mappings[0].infra_id",
        ),
        (
            json!({"alert_mappings": [{"alert_type": huge, "enabled": false}]}),
            "alert_mappings[0].alert_type",
        ),
    ];
    for (change, field) in cases {
        let mut change = change;
        change["version"] = json!(0);
        let (status, body) = env.put("/settings", whole(change)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert_eq!(fields(&body), vec![field.to_owned()], "{body}");
        assert!(
            size(&body) < 1_000,
            "{field}: a {} byte answer",
            size(&body)
        );
    }
    assert_eq!(env.version().await, 0, "nothing saved");
    assert!(env.audit("settings.updated").await.is_empty());

    // The same rules hold for a well-formed value: it is saved.
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "provisioning": {"activation_email": "ops+acronis@msp.example.com"},
                "storage_mappings": [{"infra_id": "019097a6-114f-4418-bd54-e01ef049f209", "location": "XYZ-1"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// --- Credentials: shapes first, no useless retries, a capped check ----------------------

#[tokio::test]
async fn oversized_credentials_are_refused_at_once_on_their_field() {
    let env = Env::sqlite().await;
    let huge = "a".repeat(1_000_000);
    let mut long_user = autotask_creds();
    long_user["username"] = json!(format!("{huge}@example.com"));
    let mut long_secret = autotask_creds();
    long_secret["secret"] = json!(huge);
    let mut long_client_secret = acronis_creds(&env.acronis);
    long_client_secret["client_secret"] = json!(huge);
    let mut control = autotask_creds();
    control["integration_code"] = json!("CODE\u{7}");
    for (path, body, field) in [
        ("/credentials/autotask", long_user, "username"),
        ("/credentials/autotask", long_secret, "secret"),
        ("/credentials/autotask", control, "integration_code"),
        ("/credentials/acronis", long_client_secret, "client_secret"),
    ] {
        let started = Instant::now();
        let (status, answer) = env.put(path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {field}: {answer}");
        assert_eq!(fields(&answer), vec![field.to_owned()], "{answer}");
        assert!(size(&answer) < 1_000, "a {} byte answer", size(&answer));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{field} took {:?}",
            started.elapsed()
        );
    }
    let (_, read) = env.get("/credentials").await;
    assert_eq!(read["autotask"]["set"], false, "nothing saved: {read}");
    assert_eq!(read["acronis"]["set"], false, "nothing saved: {read}");
}

#[tokio::test]
async fn an_unreachable_data_center_is_named_within_a_second_or_two() {
    let env = Env::sqlite().await;
    // A port nobody listens on: connection refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut creds = acronis_creds(&env.acronis);
    creds["datacenter_url"] = json!(format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    let (status, body) = env.put("/credentials/acronis", creds).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(fields(&body), vec!["datacenter_url".to_owned()]);
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains(&format!("127.0.0.1:{port}")),
        "names the host: {body}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn a_silent_data_center_is_named_when_the_check_runs_out_of_time() {
    let env = Env::sqlite().await;
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let app = router(
        ApiState::new(env.ctx.clone(), Auth::Bearer(Secret::new(TOKEN)), STACK)
            .with_check_timeout(Duration::from_secs(1)),
    );
    let mut creds = acronis_creds(&env.acronis);
    creds["datacenter_url"] = json!(format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    let (status, body) = send(
        &app,
        request(Method::PUT, "/credentials/acronis", Some(creds)),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"].as_str().expect("error");
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("did not answer"),
        "{body}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(silent);
}

#[tokio::test]
async fn a_silent_autotask_zone_lookup_is_named_when_the_check_runs_out_of_time() {
    let env = Env::sqlite().await;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let ctx = Arc::new(Context::new(
        env.store.clone(),
        env.secrets.clone(),
        Arc::new(env.bus.clone()),
        Arc::new(SystemClock),
        format!("http://127.0.0.1:{port}/atservicesrest/v1.0/zoneInformation"),
    ));
    let app = router(
        ApiState::new(ctx, Auth::Bearer(Secret::new(TOKEN)), STACK)
            .with_check_timeout(Duration::from_secs(1)),
    );
    let started = Instant::now();
    let (status, body) = send(
        &app,
        request(Method::PUT, "/credentials/autotask", Some(autotask_creds())),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    let message = body["error"].as_str().expect("error");
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("did not answer"),
        "{body}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let (_, read) = env.get("/credentials").await;
    assert_eq!(read["autotask"]["set"], false, "nothing saved: {read}");
    drop(silent);
}

// --- Bounded answers ----------------------------------------------------------------

#[tokio::test]
async fn an_answer_lists_twenty_errors_then_how_many_more() {
    let env = Env::sqlite().await;
    let rows: Vec<Value> = (0..10_000)
        .map(|_| json!({"offering_item": "no_such_item"}))
        .collect();
    let (status, body) = env
        .patch("/settings", json!({"version": 0, "service_mappings": rows}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", bounded(&body));
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 21, "{}", bounded(&body));
    assert_eq!(errors[20], json!({"field": "", "message": "and 9980 more"}));
    assert_eq!(body["error"], "10000 invalid fields");
    assert!(size(&body) < 5_000, "a {} byte answer", size(&body));
}

#[tokio::test]
async fn a_quoted_value_is_cut_at_a_hundred_characters() {
    let env = Env::sqlite().await;
    let long = "q".repeat(100_000);
    let (status, body) = env
        .patch(
            "/settings",
            json!({"version": 0, "service_mappings": [{"offering_item": long}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("\"{}…\"", "q".repeat(100))),
        "{message}"
    );
    assert!(size(&body) < 1_000, "a {} byte answer", size(&body));

    // A key the caller made up is shown bounded too.
    let key = "k".repeat(100_000);
    let mut patch = json!({"version": 0});
    patch[key.as_str()] = json!(1);
    let (status, body) = env.patch("/settings", patch).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(size(&body) < 2_000, "a {} byte answer", size(&body));
}

fn bounded(body: &Value) -> String {
    bridge_core::text::bounded(&body.to_string(), 2_000)
}

// --- PUT replaces the whole document; PATCH changes part of it ---------------------------

#[tokio::test]
async fn a_put_without_every_section_is_refused_naming_the_missing_ones() {
    let env = Env::sqlite().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "features": {"billing": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The example the docs used to give: it would have switched billing off.
    let (status, body) = env
        .put(
            "/settings",
            json!({"version": 1, "schedules": {"contract_polling_minutes": 2}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let missing = fields(&body);
    for section in [
        "features",
        "provisioning",
        "service_mappings",
        "alert_mappings",
    ] {
        assert!(
            missing.contains(&section.to_owned()),
            "{section}: {missing:?}"
        );
    }
    assert!(!missing.contains(&"schedules".to_owned()), "{missing:?}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("PATCH")),
        "{body}"
    );
    assert_eq!(env.version().await, 1, "nothing written");
}

#[tokio::test]
async fn a_patch_changes_only_what_it_names() {
    let env = Env::sqlite().await;
    env.put(
        "/settings",
        whole(json!({"version": 0, "features": {"billing": true}, "deprovisioning": {"disable_after_days": 20}})),
    )
    .await;

    let patch = json!({"version": 1, "schedules": {"contract_polling_minutes": 2}});
    let response = exchange(
        &env.app,
        with_header(
            request(Method::PATCH, "/settings", Some(patch)),
            header::CONTENT_TYPE,
            "application/merge-patch+json",
        ),
    )
    .await;
    let (status, headers, body) = response;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["schedules"]["contract_polling_minutes"], 2);
    assert_eq!(body["features"]["billing"], true, "untouched: {body}");
    assert_eq!(body["deprovisioning"]["disable_after_days"], 20);
    assert_eq!(headers[header::ETAG], "\"2\"");

    // `null` restores a member's default.
    let (status, body) = env
        .patch(
            "/settings",
            json!({"version": 2, "deprovisioning": {"disable_after_days": null}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deprovisioning"]["disable_after_days"], 10);
    assert_eq!(body["features"]["billing"], true);

    // A patch is checked like a PUT, and a stale one is refused.
    let (status, body) = env
        .patch(
            "/settings",
            json!({"version": 3, "schedules": {"contract_polling_minutes": 0}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&body), vec!["schedules.contract_polling_minutes"]);
    let (status, _) = env
        .patch(
            "/settings",
            json!({"version": 1, "features": {"billing": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(env.version().await, 3);
}

// --- No-op saves and concurrent identical mappings ----------------------------------

#[tokio::test]
async fn a_save_that_changes_nothing_bumps_no_version_and_writes_no_audit() {
    let env = Env::sqlite().await;
    let document = whole(json!({"version": 0, "features": {"billing": true}}));
    let (status, _) = env.put("/settings", document.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let mut again = document.clone();
    again["version"] = json!(1);
    let (status, body) = env.put("/settings", again).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    let (status, body) = env
        .patch(
            "/settings",
            json!({"version": 1, "features": {"billing": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 1, "alert_mappings": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(env.version().await, 1);
    assert_eq!(env.audit("settings.updated").await.len(), 1);
    assert!(env.audit("alert_mappings.updated").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_mapping_writes_audit_one_creation() {
    let env = Env::sqlite().await;
    env.connect().await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = env.app.clone();
            tokio::spawn(async move {
                send(
                    &app,
                    request(
                        Method::PUT,
                        "/customer-mappings/180",
                        Some(json!({"tenant_id": LITWARE})),
                    ),
                )
                .await
            })
        })
        .collect();
    let mut created_at = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        created_at.push(body["mapping"]["created_at"].clone());
    }
    assert_eq!(env.audit("mapping.created").await.len(), 1);
    assert!(env.audit("mapping.changed").await.is_empty());
    let stored = env
        .store
        .get_mapping_by_company(180)
        .await
        .expect("read")
        .expect("mapped");
    let first = json!(stored.created_at);
    assert!(
        created_at.iter().all(|c| *c == first),
        "created_at kept: {created_at:?} vs {first}"
    );
}

// --- HTTP details ---------------------------------------------------------------------

#[tokio::test]
async fn settings_carry_an_etag_and_honour_if_match() {
    let env = Env::sqlite().await;
    let (status, headers, _) = exchange(&env.app, request(Method::GET, "/settings", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ETAG], "\"0\"");

    // If-Match instead of the body's version.
    let body = whole(json!({"features": {"billing": true}}));
    let mut body = body;
    body.as_object_mut().expect("object").remove("version");
    let put = |version: &str, body: Value| {
        with_header(
            request(Method::PUT, "/settings", Some(body)),
            header::IF_MATCH,
            version,
        )
    };
    let (status, headers, answer) = exchange(&env.app, put("\"0\"", body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(headers[header::ETAG], "\"1\"");

    // A stale If-Match: 412, nothing written.
    let mut changed = body.clone();
    changed["features"]["billing"] = json!(false);
    let (status, _, answer) = exchange(&env.app, put("\"0\"", changed.clone())).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{answer}");
    assert_eq!(answer["current_version"], 1);
    // Malformed, or disagreeing with the body: 400.
    let (status, _, answer) = exchange(&env.app, put("1", changed.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&answer), vec!["If-Match"]);
    let mut both = changed.clone();
    both["version"] = json!(1);
    let (status, _, answer) = exchange(&env.app, put("\"0\"", both)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&answer), vec!["version"]);
    assert_eq!(env.version().await, 1);

    // The mapping routes share the settings version.
    let (_, headers, _) = exchange(&env.app, request(Method::GET, "/service-mappings", None)).await;
    assert_eq!(headers[header::ETAG], "\"1\"");
    let (status, headers, answer) = exchange(
        &env.app,
        with_header(
            request(
                Method::PUT,
                "/alert-mappings",
                Some(json!({"alert_mappings": []})),
            ),
            header::IF_MATCH,
            "\"1\"",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(headers[header::ETAG], "\"1\"", "nothing changed");
}

#[tokio::test]
async fn a_long_url_or_oversized_headers_get_the_usual_json_error() {
    let env = Env::sqlite().await;
    let path = format!("/audit?kind={}", "k".repeat(9_000));
    let (status, body) = send(&env.app, request(Method::GET, &path, None)).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("URL")),
        "{body}"
    );

    let big = with_header(
        request(Method::GET, "/settings", None),
        header::HeaderName::from_static("x-padding"),
        &"p".repeat(40_000),
    );
    let (status, body) = send(&env.app, big).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("headers")),
        "{body}"
    );
}

#[tokio::test]
async fn only_application_json_is_read_as_json() {
    let env = Env::sqlite().await;
    for (content_type, expected) in [
        ("application/evil+json", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "application/json; charset=latin-1",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("application/json; charset=utf-8", StatusCode::OK),
        ("Application/JSON", StatusCode::OK),
    ] {
        let body =
            whole(json!({"version": env.version().await, "tickets": {"reopen_window_days": 3}}));
        let (status, answer) = send(
            &env.app,
            with_header(
                request(Method::PUT, "/settings", Some(body)),
                header::CONTENT_TYPE,
                content_type,
            ),
        )
        .await;
        assert_eq!(status, expected, "{content_type}: {answer}");
    }
}

#[tokio::test]
async fn a_bearer_token_with_whitespace_around_it_is_refused() {
    let env = Env::sqlite().await;
    for (value, expected) in [
        (format!("Bearer {TOKEN} "), StatusCode::UNAUTHORIZED),
        (format!("Bearer {TOKEN}\t"), StatusCode::UNAUTHORIZED),
        (format!("Bearer  {TOKEN}"), StatusCode::UNAUTHORIZED),
        (format!("bearer {TOKEN}"), StatusCode::OK),
        (format!("BEARER {TOKEN}"), StatusCode::OK),
    ] {
        let request = Request::builder()
            .uri("/settings")
            .header(header::AUTHORIZATION, value.as_str())
            .body(Body::empty())
            .expect("request");
        let (status, _) = send(&env.app, request).await;
        assert_eq!(status, expected, "{value:?}");
    }
}

#[tokio::test]
async fn a_company_id_is_digits_only() {
    let env = Env::sqlite().await;
    env.connect().await;
    for path in [
        "/customer-mappings/+180",
        "/customer-mappings/%20180",
        "/customer-mappings/0180x",
    ] {
        let (status, body) = env.put(path, json!({"tenant_id": LITWARE})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(fields(&body), vec!["companyId"], "{path}");
    }
    let (status, body) = env
        .put(
            "/customer-mappings/180",
            json!({"tenant_id": "x".repeat(10_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&body), vec!["tenant_id"]);
    assert!(size(&body) < 1_000);
    assert!(env.audit("mapping.created").await.is_empty());
}

#[tokio::test]
async fn an_unknown_query_parameter_is_named() {
    let env = Env::sqlite().await;
    for path in [
        "/audit?colour=red",
        "/accounts?colour=red",
        "/tickets?colour=red",
    ] {
        let (status, body) = env.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(fields(&body), vec!["colour"], "{path}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("unknown query parameter")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn deeply_nested_json_is_called_nested_too_deep() {
    let env = Env::sqlite().await;
    // Arrays and objects, up to 100,000 levels (600 KB, under the body limit), on the
    // routes that read a body: a bounded 400 each time, and nothing written.
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    for deep in [arrays(10_000), arrays(100_000), objects(100_000)] {
        for (method, path, media) in [
            (Method::PUT, "/settings", "application/json"),
            (Method::PATCH, "/settings", "application/merge-patch+json"),
            (Method::PUT, "/service-mappings", "application/json"),
            (Method::PUT, "/customer-mappings/175", "application/json"),
        ] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header(header::CONTENT_TYPE, media)
                .body(Body::from(deep.clone()))
                .expect("request");
            let (status, body) = send(&env.app, request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
            assert!(
                body["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("nested too deep")),
                "{body}"
            );
            assert!(size(&body) < 1_000, "{method} {path}: {body}");
        }
    }
    assert_eq!(env.version().await, 0);
    assert!(env.audit_entries().await.is_empty());
}
