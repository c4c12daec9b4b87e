//! Locations and storages (reference 5). A tenant's storages are those it has storage
//! offering items switched on for.

use super::Shared;
use super::error::{ApiError, ApiResult};
use super::http::csv;
use super::state::Caller;
use axum::{
    Extension, Json,
    extract::{Path, Query, State},
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;

pub async fn tenant_infra(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    Ok(Json(json!({"infras": w.tenant_infra(&id)})))
}

/// `GET /infra?uuids=a,b` → `{"items":[storage…]}`; unknown ids are skipped.
pub async fn list_infra(State(sh): State<Arc<Shared>>, Query(q): Q) -> ApiResult<Json<Value>> {
    let uuids = q
        .get("uuids")
        .ok_or_else(|| ApiError::bad_request("query parameter 'uuids' is required"))?;
    let w = sh.world();
    let items: Vec<Value> = csv(uuids)
        .iter()
        .filter_map(|id| w.storages.get(id))
        .map(|s| serde_json::to_value(s).unwrap_or_default())
        .collect();
    Ok(Json(json!({"items": items})))
}

pub async fn get_infra(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let s = w
        .storages
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Infra", &id))?;
    Ok(Json(serde_json::to_value(s).unwrap_or_default()))
}

pub async fn tenant_locations(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    let mut locations: Vec<String> = Vec::new();
    for infra in w.tenant_infra(&id) {
        if let Some(s) = w.storages.get(&infra)
            && !locations.contains(&s.location_id)
        {
            locations.push(s.location_id.clone());
        }
    }
    Ok(Json(json!({"locations": locations})))
}

pub async fn list_locations(State(sh): State<Arc<Shared>>, Query(q): Q) -> ApiResult<Json<Value>> {
    let uuids = q
        .get("uuids")
        .ok_or_else(|| ApiError::bad_request("query parameter 'uuids' is required"))?;
    let w = sh.world();
    let items: Vec<Value> = csv(uuids)
        .iter()
        .filter_map(|id| w.locations.get(id))
        .map(|l| serde_json::to_value(l).unwrap_or_default())
        .collect();
    Ok(Json(json!({"items": items})))
}

pub async fn get_location(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let l = w
        .locations
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Location", &id))?;
    Ok(Json(serde_json::to_value(l).unwrap_or_default()))
}
