//! `/_sim/autotask/…` control routes: the HTTP twins of the [`super::AutotaskSim`] helpers,
//! for the local demo and tests driving the simulator from outside.

use super::seed::ApiUser;
use super::state::Shared;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

type Sim = State<Arc<Shared>>;

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Zone {
    zone: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Threshold {
    limit: u32,
    used: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Settings {
    processing_delay_ms: Option<u64>,
    latency_bands: Option<bool>,
    thread_limit: Option<u32>,
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/_sim/autotask/records/{entity}",
            post(
                |State(s): Sim, Path(entity): Path<String>, Json(record): Json<Value>| async move {
                    match s.insert(&entity, record) {
                        Ok(id) => Json(json!({ "id": id })).into_response(),
                        Err(e) => bad(e),
                    }
                },
            )
            .get(|State(s): Sim, Path(entity): Path<String>| async move {
                match s.records(&entity) {
                    Ok(rows) => Json(Value::Array(rows)).into_response(),
                    Err(e) => bad(e),
                }
            }),
        )
        .route(
            "/_sim/autotask/records/{entity}/{id}",
            patch(
                |State(s): Sim,
                 Path((entity, id)): Path<(String, i64)>,
                 Json(fields): Json<Value>| async move {
                    match s.patch(&entity, id, &fields) {
                        Ok(()) => StatusCode::NO_CONTENT.into_response(),
                        Err(e) => bad(e),
                    }
                },
            ),
        )
        .route(
            "/_sim/autotask/zone",
            post(|State(s): Sim, Json(z): Json<Zone>| async move {
                s.move_zone(z.zone);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/autotask/threshold",
            post(|State(s): Sim, Json(t): Json<Threshold>| async move {
                s.set_threshold(t.limit, t.used);
                StatusCode::NO_CONTENT
            })
            .get(|State(s): Sim| async move {
                let now = s.now();
                let mut state = s.lock();
                let used = state.budget.used(now);
                Json(json!({
                    "limit": state.db.request_threshold,
                    "used": used,
                    "threadLimit": state.db.thread_limit,
                    "zone": state.db.zone,
                }))
            }),
        )
        .route(
            "/_sim/autotask/users",
            post(|State(s): Sim, Json(user): Json<ApiUser>| async move {
                s.add_user(user);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/autotask/settings",
            post(|State(s): Sim, Json(set): Json<Settings>| async move {
                if let Some(ms) = set.processing_delay_ms {
                    s.set_processing_delay(ms);
                }
                if let Some(on) = set.latency_bands {
                    s.set_latency_bands(on);
                }
                if let Some(n) = set.thread_limit {
                    s.set_thread_limit(n);
                }
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/autotask",
            get(|| async { Json(json!({"simulator": "autotask"})) }),
        )
        .with_state(shared)
}
