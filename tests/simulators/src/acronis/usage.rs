//! Usages (reference 6): per tenant and batched. Values are whatever the seed or the
//! control routes set; nothing is invented, so a missing figure stays missing.

use super::Shared;
use super::error::{ApiError, ApiResult};
use super::http::csv;
use super::state::{Caller, Usage, World, first_of_month};
use axum::{
    Extension, Json,
    extract::{Path, Query, State},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Most tenants one batched call accepts. The real limit is unconfirmed; integrations
/// chunk by 100, so the simulator refuses more.
pub const MAX_BATCH_TENANTS: usize = 100;

pub fn usage_json(w: &World, tenant_id: &str, u: &Usage, now: DateTime<Utc>) -> Value {
    let legacy = w.tenants.get(tenant_id).map_or(0, |t| t.legacy_id);
    let mut v = json!({
        "tenant_uuid": tenant_id,
        "tenant_id": legacy,
        "type": u.usage_type,
        "application_id": u.application_id,
        "name": u.name,
        "edition": u.edition,
        "usage_name": u.usage_name,
        "range_start": first_of_month(now).to_rfc3339_opts(SecondsFormat::Secs, true),
        "absolute_value": u.absolute_value,
        "value": u.value,
        "measurement_unit": u.measurement_unit,
        "infra_id": u.infra_id,
        "updated_at": u.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    let item = w.items.get(tenant_id).and_then(|items| {
        items
            .iter()
            .find(|i| i.key_matches(&u.name, u.infra_id.as_deref()))
    });
    if let Some(i) = item {
        v["offering_item"] = if i.status == 1 {
            json!({"status": 1, "quota": i.quota})
        } else {
            json!({"status": 0})
        };
    }
    v
}

pub async fn tenant_usages(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = sh.now();
    let w = sh.world();
    w.visible(&caller, &id)?;
    let items: Vec<Value> = w
        .usages
        .get(&id)
        .into_iter()
        .flatten()
        .map(|u| usage_json(&w, &id, u, now))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `GET /tenants/usages?tenants=a,b[&usage_names=][&editions=]`. Unknown tenants are
/// skipped; edition-less usages pass any `editions` filter, as for offering items.
pub async fn batch_usages(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let tenants = csv(q
        .get("tenants")
        .ok_or_else(|| ApiError::bad_request("query parameter 'tenants' is required"))?);
    if tenants.len() > MAX_BATCH_TENANTS {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BATCH_TENANTS} tenants per call, got {}",
            tenants.len()
        )));
    }
    let names = q.get("usage_names").map(|s| csv(s));
    let editions = q.get("editions").map(|s| csv(s));
    let now = sh.now();
    let w = sh.world();
    let mut out = Vec::new();
    for id in tenants {
        if !w.tenants.contains_key(&id) {
            continue;
        }
        w.visible(&caller, &id)?;
        let usages: Vec<Value> = w
            .usages
            .get(&id)
            .into_iter()
            .flatten()
            .filter(|u| names.as_ref().is_none_or(|n| n.contains(&u.usage_name)))
            .filter(|u| {
                editions
                    .as_ref()
                    .is_none_or(|e| u.edition.as_ref().is_none_or(|ed| e.contains(ed)))
            })
            .map(|u| usage_json(&w, &id, u, now))
            .collect();
        out.push(json!({"tenant": id, "usages": usages}));
    }
    Ok(Json(json!({"items": out})))
}
