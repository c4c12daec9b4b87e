//! `/_sim/acronis/…` control routes: what tests and the demo do "in the console" or
//! "on the machine" (expire tokens, fire/dismiss alerts, set usage, add storages, edit
//! tenants) and read-outs (activation mails, tenants, offering items). Not logged,
//! not authenticated.

use super::Shared;
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post, put},
};
use serde_json::{Value, json};
use std::sync::Arc;

fn refused(message: String) -> Response {
    let status = if message.starts_with("unknown tenant") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Json(json!({"error": message}))).into_response()
}

pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/acronis/tokens/expire", post(expire))
        .route("/_sim/acronis/alerts", post(fire))
        .route("/_sim/acronis/alerts/burst", post(burst))
        .route("/_sim/acronis/alerts/{id}", delete(dismiss))
        .route("/_sim/acronis/tenants", get(tenants))
        .route("/_sim/acronis/tenants/{id}", patch(set_fields))
        .route("/_sim/acronis/tenants/{id}/usages", put(set_usage))
        .route("/_sim/acronis/tenants/{id}/storages", post(add_storage))
        .route("/_sim/acronis/tenants/{id}/offering_items", get(items))
        .route("/_sim/acronis/activation_emails", get(emails))
        .with_state(shared)
}

async fn expire(State(sh): State<Arc<Shared>>) -> StatusCode {
    sh.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn fire(State(sh): State<Arc<Shared>>, Json(alert): Json<Value>) -> Response {
    match sh.fire_alert(&alert) {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(e) => refused(e),
    }
}

/// `{count, …template}` → `{"ids": [...]}`.
async fn burst(State(sh): State<Arc<Shared>>, Json(template): Json<Value>) -> Response {
    let Some(count) = template.get("count").and_then(Value::as_u64) else {
        return refused("field 'count' must be a non-negative integer".into());
    };
    if count > 100_000 {
        return refused("field 'count': at most 100000 alerts per burst".into());
    }
    match sh.fire_burst(count as usize, &template) {
        Ok(ids) => Json(json!({"ids": ids})).into_response(),
        Err(e) => refused(e),
    }
}

async fn dismiss(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> StatusCode {
    let now = sh.now();
    if sh.world().dismiss_alert(&id, now) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn tenants(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"items": sh.tenants()}))
}

async fn set_fields(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(fields): Json<Value>,
) -> Response {
    let now = sh.now();
    let mut w = sh.world();
    match w.set_tenant_fields(&id, &fields, now) {
        Ok(()) => Json(w.tenant_json(&w.tenants[&id])).into_response(),
        Err(e) => refused(e),
    }
}

async fn set_usage(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(usage): Json<Value>,
) -> Response {
    let now = sh.now();
    match sh.world().set_usage(&id, &usage, now) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refused(e),
    }
}

async fn add_storage(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(storage): Json<Value>,
) -> Response {
    match sh.world().add_storage(&id, &storage) {
        Ok(sid) => (StatusCode::CREATED, Json(json!({"id": sid}))).into_response(),
        Err(e) => refused(e),
    }
}

async fn items(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if !sh.world().tenants.contains_key(&id) {
        return refused(format!("unknown tenant '{id}'"));
    }
    Json(json!({"items": sh.offering_items(&id)})).into_response()
}

async fn emails(State(sh): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"items": sh.world().emails.clone()}))
}
