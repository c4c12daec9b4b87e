//! `POST /pause` and `POST /resume`: the switch, its checks, its audit, how `GET /jobs`
//! shows it, and a run now while paused that writes nothing.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{Env, send, whole};
use serde_json::{Value, json};

async fn post(env: &Env, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    env.call(Method::POST, path, body).await
}

#[tokio::test]
async fn pause_and_resume_are_shown_by_jobs_and_audited() {
    let env = Env::sqlite().await;
    let (_, listed) = env.get("/jobs").await;
    assert_eq!(
        listed["pause"],
        json!({"paused": false, "by": null, "at": null, "reason": null})
    );

    let (status, body) = post(
        &env,
        "/pause",
        Some(json!({"reason": "  Autotask contract clean-up tonight  "})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pause"]["paused"], true);
    assert_eq!(body["pause"]["by"], "local-operator");
    assert_eq!(
        body["pause"]["reason"],
        "Autotask contract clean-up tonight"
    );
    assert!(body["pause"]["at"].is_string());

    let (_, listed) = env.get("/jobs").await;
    assert_eq!(listed["pause"], body["pause"]);

    // Pausing again keeps the first pause and says who holds it.
    let (status, again) = post(&env, "/pause", Some(json!({"reason": "me too"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(
        again["error"]
            .as_str()
            .is_some_and(|e| e.contains("already paused by local-operator")),
        "{again}"
    );
    assert_eq!(
        again["pause"]["reason"],
        "Autotask contract clean-up tonight"
    );

    // Resume takes no body at all, or a reason.
    let (status, resumed) = post(&env, "/resume", None).await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["pause"]["paused"], false);
    assert_eq!(resumed["pause"]["reason"], Value::Null);
    let (status, body) = post(&env, "/resume", Some(json!({"reason": "again"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("not paused")),
        "{body}"
    );

    let (status, _) = post(&env, "/pause", Some(json!({"reason": "second window"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(&env, "/resume", Some(json!({"reason": "done"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pause"]["reason"], "done");

    let paused = env.audit("bridge.paused").await;
    assert_eq!(paused.len(), 2);
    assert_eq!(paused[1]["actor"], "local-operator");
    assert_eq!(paused[1]["subject"], "bridge");
    assert_eq!(paused[1]["reason"], "Autotask contract clean-up tonight");
    assert_eq!(paused[1]["after"]["paused"], true);
    let resumed = env.audit("bridge.resumed").await;
    assert_eq!(resumed.len(), 2);
    assert_eq!(resumed[0]["reason"], "done");
    assert_eq!(resumed[0]["before"]["reason"], "second window");
}

#[tokio::test]
async fn a_pause_needs_a_short_reason_and_only_a_reason() {
    let env = Env::sqlite().await;
    let long = "x".repeat(501);
    for (body, field) in [
        (json!({}), "reason"),
        (json!({"reason": null}), "reason"),
        (json!({"reason": "   "}), "reason"),
        (json!({"reason": 7}), "reason"),
        (json!({"reason": long}), "reason"),
        (json!({"reason": "ok", "until": "tomorrow"}), "until"),
        (json!(["reason"]), ""),
    ] {
        let (status, answer) = post(&env, "/pause", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
    }
    // No body at all is not JSON.
    let (status, _) = post(&env, "/pause", None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Exactly 500 characters (counted as characters, not bytes) is accepted.
    let (status, body) = post(&env, "/pause", Some(json!({"reason": "é".repeat(500)}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(&env, "/resume", Some(json!({"reason": ""}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, listed) = env.get("/jobs").await;
    assert_eq!(
        listed["pause"]["paused"], true,
        "a refused resume changes nothing"
    );
    assert!(env.audit("bridge.resumed").await.is_empty());
}

#[tokio::test]
async fn a_run_now_while_paused_is_a_dry_run_that_says_so() {
    let env = Env::sqlite().await;
    env.connect().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": env.version().await, "features": {"billing": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = post(&env, "/pause", Some(json!({"reason": "maintenance"}))).await;
    assert_eq!(status, StatusCode::OK);

    let run = common::request(Method::POST, "/jobs/contract-poller/run", None);
    let (status, answer) = send(&env.app, run).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["dry_run"], true, "{answer}");
    assert_eq!(answer["summary"]["applied"], 0);
    let skipped = answer["summary"]["skipped"].to_string();
    assert!(
        skipped.contains("paused by local-operator at ") && skipped.contains(": maintenance"),
        "{skipped}"
    );
    let (_, listed) = env.get("/jobs").await;
    assert_eq!(listed["jobs"][0]["last_run"]["dry_run"], true);
}
