//! Offering items (reference 4.2–4.4) and applications (4.1): per-tenant items with
//! status and quota, edition filters, partial `PUT` keyed by `(name, infra_id)` with
//! quota versions (426 when stale), and service bindings.

use super::Shared;
use super::catalogue::APPLICATIONS;
use super::error::{ApiError, ApiResult};
use super::http::{csv, json_body, lenient_i64};
use super::state::{Caller, OfferingItem, Quota, ROOT_ID};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;

/// `edition=*` → all; `edition=a,b` → those plus edition-less; absent → edition-less and
/// `standard` only, as the old spec documents.
fn edition_wanted(q: &HashMap<String, String>) -> impl Fn(&OfferingItem) -> bool + use<> {
    let wanted: Option<Vec<String>> = match q.get("edition").map(String::as_str) {
        Some("*") => None,
        Some(list) => Some(csv(list)),
        None => Some(vec!["standard".to_string()]),
    };
    move |i| match (&wanted, &i.edition) {
        (None, _) | (_, None) => true,
        (Some(w), Some(e)) => w.contains(e),
    }
}

pub fn item_json(tenant_id: &str, i: &OfferingItem) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    v["tenant_id"] = json!(tenant_id);
    v
}

/// `GET /tenants/{id}/offering_items[?edition=]`.
pub async fn list_items(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    let keep = edition_wanted(&q);
    let items: Vec<Value> = w
        .items
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|i| keep(i))
        .map(|i| item_json(&id, i))
        .collect();
    Ok(Json(
        json!({"items": items, "timestamp": super::state::account_time(sh.now())}),
    ))
}

/// `GET /tenants/{id}/offering_items/available_for_child?kind=&edition=`: what this
/// tenant may grant a child, i.e. its own items that are on.
pub async fn available_for_child(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    if let Some(kind) = q.get("kind")
        && !matches!(kind.as_str(), "partner" | "folder" | "customer" | "unit")
    {
        return Err(super::http::bad_field(
            "kind",
            "one of partner, folder, customer, unit",
        ));
    }
    let w = sh.world();
    w.visible(&caller, &id)?;
    let keep = edition_wanted(&q);
    let items: Vec<Value> = w
        .items
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|i| i.status == 1 && keep(i))
        .map(|i| {
            let mut i = i.clone();
            if i.quota.is_some() {
                i.quota = Some(Quota::unlimited());
            }
            let mut v = serde_json::to_value(&i).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("tenant_id");
            }
            v
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `PUT /tenants/{id}/offering_items` `{"offering_items":[…]}` → `{"items":[updated]}`.
/// All entries are checked before any is applied, so a refusal changes nothing.
pub async fn put_items(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let entries = body
        .get("offering_items")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("field 'offering_items' must be an array"))?;
    let now = sh.now();
    let mut w = sh.world();
    let tenant = w.changeable(&caller, &id)?;
    let parent = tenant.parent_id.clone().filter(|p| p != ROOT_ID);
    let mut items = w.items.get(&id).cloned().unwrap_or_default();
    let mut touched = Vec::new();
    for (n, e) in entries.iter().enumerate() {
        let name = e.get("name").and_then(Value::as_str).ok_or_else(|| {
            super::http::bad_field(&format!("offering_items[{n}].name"), "a string")
        })?;
        let infra_id = e.get("infra_id").and_then(Value::as_str);
        let unavailable = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                1021,
                format!("Offering item '{name}' is not available for this tenant."),
            )
            .with_context(json!({"name": name, "infra_id": infra_id}))
        };
        let idx = items
            .iter()
            .position(|i| i.key_matches(name, infra_id))
            .ok_or_else(unavailable)?;
        let mut item = items[idx].clone();
        // Integrations send each item with its edition as read; another edition names
        // another item.
        if let Some(edition) = e.get("edition").filter(|v| !v.is_null())
            && edition.as_str() != item.edition.as_deref()
        {
            return Err(unavailable());
        }
        if let Some(s) = e.get("status") {
            let status = lenient_i64(s, &format!("offering_items[{n}].status"))?;
            if !(0..=1).contains(&status) {
                return Err(super::http::bad_field(
                    &format!("offering_items[{n}].status"),
                    "0 or 1",
                ));
            }
            if status == 1
                && item.status == 0
                && let Some(p) = &parent
            {
                let parent_on = w.items.get(p).is_some_and(|pi| {
                    pi.iter()
                        .any(|i| i.key_matches(name, infra_id) && i.status == 1)
                });
                if !parent_on {
                    return Err(unavailable());
                }
            }
            if status == 0 && item.status == 1 && w.item_in_use(&id, &item) {
                // Codes for this refusal are unconfirmed: 1009 ("removing storage in
                // use") for storage, 1027 ("business-rule violation") otherwise.
                let code = if item.item_type == "infra" {
                    1009
                } else {
                    1027
                };
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    code,
                    format!(
                        "Offering item '{name}' cannot be turned off: the tenant has usage for it."
                    ),
                )
                .with_context(json!({"name": name, "infra_id": infra_id})));
            }
            item.status = status as u8;
        }
        if let (Some(q), Some(current)) =
            (e.get("quota").filter(|q| !q.is_null()), item.quota.clone())
        {
            item.quota = Some(new_quota(q, &current, n, name, infra_id, &mut w, now)?);
        }
        items[idx] = item;
        if !touched.contains(&idx) {
            touched.push(idx);
        }
    }
    let apps: Vec<String> = touched
        .iter()
        .filter(|i| items[**i].status == 1)
        .map(|i| items[*i].application_id.clone())
        .collect();
    w.bindings.entry(id.clone()).or_default().extend(apps);
    let out: Vec<Value> = touched.iter().map(|i| item_json(&id, &items[*i])).collect();
    w.items.insert(id, items);
    Ok(Json(json!({"items": out})))
}

/// Checks the sent quota `version` (426 when stale) and computes the new quota.
fn new_quota(
    q: &Value,
    current: &Quota,
    n: usize,
    name: &str,
    infra_id: Option<&str>,
    w: &mut super::state::World,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Quota> {
    let field = |f: &str| format!("offering_items[{n}].quota.{f}");
    let sent = lenient_i64(
        q.get("version").ok_or_else(|| {
            ApiError::bad_request(format!("field '{}' is required", field("version")))
        })?,
        &field("version"),
    )?;
    if sent != current.version {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            426,
            format!(
                "Quota version mismatch for '{name}': sent {sent}, current {}.",
                current.version
            ),
        )
        .with_context(json!({"name": name, "infra_id": infra_id, "version": current.version})));
    }
    let number = |key: &str| -> ApiResult<Option<i64>> {
        match q.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let n = lenient_i64(v, &field(key))?;
                if n < 0 {
                    return Err(super::http::bad_field(&field(key), "zero or more"));
                }
                Ok(Some(n))
            }
        }
    };
    let value = number("value")?;
    if value.is_none() {
        return Ok(Quota::unlimited());
    }
    let overage = number("overage")?;
    if value == current.value && overage == current.overage {
        return Ok(current.clone());
    }
    Ok(Quota {
        value,
        overage,
        version: w.next_quota_version(now),
    })
}

fn application_json(a: &(&str, &str, &str, &str)) -> Value {
    json!({"id": a.0, "name": a.1, "type": a.2, "usages": [], "api_base_url": a.3})
}

pub async fn list_applications() -> Json<Value> {
    let items: Vec<Value> = APPLICATIONS.iter().map(application_json).collect();
    Json(json!({"items": items}))
}

pub async fn get_application(Path(id): Path<String>) -> ApiResult<Json<Value>> {
    APPLICATIONS
        .iter()
        .find(|a| a.0 == id)
        .map(|a| Json(application_json(a)))
        .ok_or_else(|| ApiError::not_found("Application", &id))
}

/// `GET /tenants/{id}/applications` → ids of bound services (explicit bindings plus
/// those of items that are on: enabling an item enables its service).
pub async fn tenant_applications(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    let mut apps: Vec<String> = w.bindings.get(&id).into_iter().flatten().cloned().collect();
    for i in w
        .items
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|i| i.status == 1)
    {
        if !apps.contains(&i.application_id) {
            apps.push(i.application_id.clone());
        }
    }
    Ok(Json(json!({"items": apps})))
}

/// `POST /applications/{app}/bindings/tenants/{tenant}` → 204 (status unconfirmed).
pub async fn bind(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path((app, tenant)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    if !APPLICATIONS.iter().any(|a| a.0 == app) {
        return Err(ApiError::not_found("Application", &app));
    }
    let mut w = sh.world();
    w.changeable(&caller, &tenant)?;
    w.bindings.entry(tenant).or_default().insert(app);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE …/bindings/tenants/{tenant}`: unbinds and switches the service's items off.
pub async fn unbind(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path((app, tenant)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut w = sh.world();
    w.changeable(&caller, &tenant)?;
    if let Some(b) = w.bindings.get_mut(&tenant) {
        b.remove(&app);
    }
    for i in w.items.entry(tenant).or_default().iter_mut() {
        if i.application_id == app {
            i.status = 0;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
