//! `GET/PUT /settings` through HTTP on the SQLite store and the in-process bus.

use crate::common;

use axum::http::Method;
use axum::http::StatusCode;
use bridge_core::settings::Job;
use bridge_jobs::job::rule_for_interval;
use common::{Env, STACK, request, send, whole};
use serde_json::json;

#[tokio::test]
async fn unsaved_settings_read_as_defaults_at_version_zero() {
    let env = Env::sqlite().await;
    let (status, body) = env.get("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 0);
    assert_eq!(body["schedules"]["contract_polling_minutes"], 1);
    assert_eq!(body["deprovisioning"]["delete_after_days"], 30);
}

#[tokio::test]
async fn a_save_bumps_the_version_audits_who_and_what() {
    let env = Env::sqlite().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "features": {"billing": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["features"]["billing"], true);
    let (_, read) = env.get("/settings").await;
    assert_eq!(read, body);

    let audit = env.audit("settings.updated").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["actor"], "local-operator");
    assert_eq!(audit[0]["before"]["features"]["billing"], false);
    assert_eq!(audit[0]["after"]["features"]["billing"], true);
}

#[tokio::test]
async fn a_stale_version_answers_409_with_the_current_one() {
    let env = Env::sqlite().await;
    env.put("/settings", whole(json!({"version": 0}))).await;
    env.put(
        "/settings",
        whole(json!({"version": 1, "features": {"billing": true}})),
    )
    .await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 1, "features": {"billing": false}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["current_version"], 2);
    assert_eq!(body["current"]["version"], 2);
    assert_eq!(body["current"]["features"]["billing"], true);
    assert_eq!(env.version().await, 2, "nothing written");
    // Creating over existing settings is stale too.
    let (status, _) = env.put("/settings", whole(json!({"version": 0}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn validation_lists_every_bad_field_and_writes_nothing() {
    let env = Env::sqlite().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({
                "deprovisioning": {"disable_after_days": 0},
                "schedules": {"contract_polling_minutes": 600},
                "colour": "red",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    for expected in [
        "version",
        "colour",
        "deprovisioning.disable_after_days",
        "schedules.contract_polling_minutes",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    assert_eq!(env.version().await, 0);
    assert!(env.audit("settings.updated").await.is_empty());
}

#[tokio::test]
async fn changing_an_interval_retimes_only_that_schedule() {
    let env = Env::sqlite().await;
    let mut rates = env.bus.watch_rates();
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "schedules": {"contract_polling_minutes": 5}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(rates.has_changed().expect("bus alive"));
    let now = env.bus.rates();
    let rule = rule_for_interval(STACK, Job::ContractPolling).expect("the poller's rule");
    assert_eq!(rule, "bridge-contract-poller-poll");
    assert_eq!(now.get(&rule), Some(&5));
    assert_eq!(now.len(), 1, "untouched schedules are left alone: {now:?}");
    rates.borrow_and_update();

    // Same interval again: no schedule call.
    env.put(
        "/settings",
        whole(json!({"version": 1, "schedules": {"contract_polling_minutes": 5}})),
    )
    .await;
    assert!(!rates.has_changed().expect("bus alive"));
}

/// An interval no job of this build runs on is saved, but no rule is touched: the
/// config API re-times only the rules the job registry names.
#[tokio::test]
async fn an_interval_without_a_job_is_saved_and_retimes_nothing() {
    let env = Env::sqlite().await;
    let unbuilt: Vec<Job> = Job::ALL
        .into_iter()
        .filter(|job| rule_for_interval(STACK, *job).is_none())
        .collect();
    let Some(job) = unbuilt.first() else {
        return; // every interval has its job: nothing to check
    };
    let mut body = whole(json!({"version": 0}));
    body["schedules"][job.field()] = json!(job.bounds().end());
    let (status, saved) = env.put("/settings", body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(env.bus.rates().is_empty(), "{:?}", env.bus.rates());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_saves_of_one_version_let_exactly_one_win() {
    let env = Env::sqlite().await;
    env.put("/settings", whole(json!({"version": 0}))).await;
    // Each a real change (the stored window is the default, 1): a save that changes
    // nothing is answered 200 without a write, whatever the version race.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let app = env.app.clone();
            let body = whole(json!({"version": 1, "tickets": {"reopen_window_days": i + 10}}));
            tokio::spawn(
                async move { send(&app, request(Method::PUT, "/settings", Some(body))).await },
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task").0);
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 7), "{statuses:?}");
    assert_eq!(env.version().await, 2);
    assert_eq!(env.audit("settings.updated").await.len(), 2);
}
