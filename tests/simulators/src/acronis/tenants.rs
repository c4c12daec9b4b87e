//! Tenants (reference 2): create, read, list with cursors, update with versions,
//! disable-then-delete, children, pricing (trial → production) and MFA.

use super::Shared;
use super::error::{ApiError, ApiResult};
use super::http::{csv, json_body, lenient_bool, lenient_i64, required_str};
use super::state::{Caller, Tenant, World, account_time, naive_time};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Q = Query<HashMap<String, String>>;

pub async fn get_tenant(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let t = w.visible(&caller, &id)?;
    let mut body = w.tenant_json(t);
    if q.get("embed_path").is_some_and(|v| v == "true") {
        let mut path: Vec<String> = w.ancestors(&id).into_iter().rev().collect();
        path.push(id.clone());
        body["path"] = json!(path);
    }
    Ok(Json(body))
}

/// `GET /tenants?uuids=|parent_id=|subtree_root_id=|after=` with `limit` paging. The
/// cursor encodes the selector and the last tenant's position, so `after` alone suffices.
pub async fn list_tenants(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    let (selector, after) = match q.get("after") {
        Some(cursor) => decode_cursor(cursor)?,
        None => (selector_of(&q)?, 0),
    };
    let limit = match q.get("limit") {
        Some(l) => Some(
            l.parse::<usize>()
                .ok()
                .filter(|l| *l > 0)
                .ok_or_else(|| ApiError::bad_request("'limit' must be a positive integer"))?,
        ),
        // Default page size is unconfirmed; without `limit` everything is returned.
        None => None,
    };
    let w = sh.world();
    let mut found: Vec<&Tenant> = match (
        &selector["uuids"],
        &selector["parent_id"],
        &selector["subtree_root_id"],
    ) {
        (Value::String(uuids), _, _) => csv(uuids)
            .iter()
            .filter(|id| w.in_scope(&caller, id))
            .filter_map(|id| w.tenants.get(id))
            .collect(),
        (_, Value::String(parent), _) => {
            w.visible(&caller, parent)?;
            w.children
                .get(parent)
                .into_iter()
                .flatten()
                .filter_map(|c| w.tenants.get(c))
                .collect()
        }
        (_, _, Value::String(root)) => {
            w.visible(&caller, root)?;
            w.subtree(root)
                .iter()
                .filter_map(|c| w.tenants.get(c))
                .collect()
        }
        _ => return Err(ApiError::bad_request("the cursor is invalid")),
    };
    found.sort_by_key(|t| t.legacy_id);
    found.dedup_by_key(|t| t.legacy_id);
    found.retain(|t| t.legacy_id > after);
    let more = limit.is_some_and(|l| found.len() > l);
    if let Some(l) = limit {
        found.truncate(l);
    }
    let mut cursors = json!({});
    if more && let Some(last) = found.last() {
        cursors["after"] = json!(encode_cursor(&selector, last.legacy_id));
    }
    let items: Vec<Value> = found.iter().map(|t| w.tenant_json(t)).collect();
    Ok(Json(json!({
        "items": items,
        "paging": {"cursors": cursors},
        "timestamp": account_time(sh.now()),
    })))
}

fn selector_of(q: &HashMap<String, String>) -> ApiResult<Value> {
    for key in ["uuids", "parent_id", "subtree_root_id"] {
        if let Some(v) = q.get(key) {
            return Ok(json!({ key: v }));
        }
    }
    Err(ApiError::bad_request(
        "One of 'uuids', 'parent_id', 'subtree_root_id' or 'after' is required.",
    ))
}

fn encode_cursor(selector: &Value, after: u64) -> String {
    URL_SAFE_NO_PAD.encode(json!({"q": selector, "after": after}).to_string())
}

fn decode_cursor(cursor: &str) -> ApiResult<(Value, u64)> {
    let bad = || ApiError::bad_request("'after' is not a valid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok((v["q"].clone(), v["after"].as_u64().ok_or_else(bad)?))
}

/// `POST /tenants` → 201.
pub async fn create_tenant(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let name = required_str(&body, "name")?.trim().to_string();
    let kind = required_str(&body, "kind")?.to_string();
    let parent_id = required_str(&body, "parent_id")?.to_string();
    if !matches!(kind.as_str(), "partner" | "folder" | "customer" | "unit") {
        return Err(super::http::bad_field(
            "kind",
            "one of partner, folder, customer, unit",
        ));
    }
    let now = sh.now();
    let mut w = sh.world();
    let parent = w.changeable(&caller, &parent_id)?.clone();
    check_hierarchy(&parent.kind, &kind)?;
    if !parent.enabled {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            1003,
            "The parent tenant is disabled.",
        )
        .with_context(json!({"id": parent_id})));
    }
    check_name_free(&w, &parent_id, &name, None)?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut t = w.new_tenant(&id, &name, &kind, Some(&parent_id), now);
    if let Some(v) = body.get("enabled") {
        t.enabled = lenient_bool(v, "enabled")?;
    }
    if let Some(v) = body.get("ancestral_access") {
        t.ancestral_access = lenient_bool(v, "ancestral_access")?;
    }
    t.customer_id = opt_string(&body, "customer_id")?;
    t.internal_tag = internal_tag(&body)?;
    if let Some(lang) = opt_string(&body, "language")? {
        t.language = lang;
    }
    if let Some(idp) = opt_string(&body, "default_idp_id")? {
        t.default_idp_id = idp;
    }
    if let Some(c) = body.get("contact") {
        t.contact = merge_contact(&json!({}), c, now)?;
    }
    if let Some(lock) = body.get("update_lock") {
        t.update_lock = update_lock(lock, &caller)?;
    }
    // A new tenant sees what its parent has switched on, each item off until granted.
    let inherited: Vec<_> = w
        .items
        .get(&parent_id)
        .into_iter()
        .flatten()
        .filter(|i| i.status == 1)
        .map(|i| {
            let mut i = i.clone();
            i.status = 0;
            if i.quota.is_some() {
                i.quota = Some(super::state::Quota::unlimited());
            }
            i
        })
        .collect();
    w.items.insert(id.clone(), inherited);
    w.bindings.insert(
        id.clone(),
        [super::catalogue::PLATFORM_APP.to_string()].into(),
    );
    w.insert_tenant(t);
    let out = w.tenant_json(&w.tenants[&id]);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Which kinds may sit under which (reference 2.1: no unit directly in a partner; a
/// customer holds only units).
fn check_hierarchy(parent: &str, child: &str) -> ApiResult<()> {
    let ok = match parent {
        "root" | "partner" | "folder" => child != "unit",
        "customer" | "unit" => child == "unit",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            1027,
            format!("A {child} tenant cannot be created in a {parent} tenant."),
        ))
    }
}

/// Code 1004 on a sibling with the same name (case-insensitive). The HTTP status is
/// unconfirmed; 409 matches the platform's "already exists" meaning.
fn check_name_free(w: &World, parent_id: &str, name: &str, except: Option<&str>) -> ApiResult<()> {
    let taken = w.children.get(parent_id).into_iter().flatten().any(|c| {
        Some(c.as_str()) != except
            && w.tenants
                .get(c)
                .is_some_and(|t| t.name.eq_ignore_ascii_case(name))
    });
    if taken {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            1004,
            format!("A tenant named '{name}' already exists here."),
        )
        .with_context(json!({"name": name, "parent_id": parent_id})));
    }
    Ok(())
}

fn opt_string(body: &Value, field: &str) -> ApiResult<Option<String>> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(super::http::bad_field(field, "a string")),
    }
}

fn internal_tag(body: &Value) -> ApiResult<Option<String>> {
    let tag = opt_string(body, "internal_tag")?;
    if tag.as_ref().is_some_and(|t| t.chars().count() > 256) {
        return Err(super::http::bad_field(
            "internal_tag",
            "at most 256 characters",
        ));
    }
    Ok(tag)
}

fn merge_contact(current: &Value, patch: &Value, now: DateTime<Utc>) -> ApiResult<Value> {
    let Value::Object(fields) = patch else {
        return Err(super::http::bad_field("contact", "an object"));
    };
    let mut out = match current {
        Value::Object(m) if !m.is_empty() => current.clone(),
        _ => json!({
            "id": uuid::Uuid::new_v4(),
            "created_at": account_time(now),
            "email_confirmed": false,
            "types": ["primary"],
        }),
    };
    for (k, v) in fields {
        if k != "id" && k != "created_at" {
            out[k] = v.clone();
        }
    }
    out["updated_at"] = json!(account_time(now));
    Ok(out)
}

fn update_lock(v: &Value, caller: &Caller) -> ApiResult<Value> {
    let enabled = lenient_bool(
        v.get("enabled").unwrap_or(&Value::Bool(false)),
        "update_lock.enabled",
    )?;
    let owner = v
        .get("owner_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| caller.tenant_id.clone());
    Ok(json!({"enabled": enabled, "owner_id": if enabled { Some(owner) } else { None }}))
}

/// Read-only fields a client may echo back from a GET; ignored on PUT.
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "customer_type",
    "owner_id",
    "has_children",
    "brand_id",
    "brand_uuid",
    "mfa_status",
    "pricing_mode",
    "production_start_date",
    "external_operation_status",
    "created_at",
    "updated_at",
    "deleted_at",
    "contacts",
    "path",
];

/// `PUT /tenants/{id}`: current `version` plus the fields to change.
pub async fn update_tenant(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let Value::Object(fields) = &body else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    let sent = lenient_i64(
        body.get("version")
            .ok_or_else(|| ApiError::bad_request("field 'version' is required"))?,
        "version",
    )?;
    let now = sh.now();
    let mut w = sh.world();
    let mut t = w.changeable(&caller, &id)?.clone();
    if sent != t.version {
        return Err(ApiError::version_mismatch(&id, sent, t.version));
    }
    let old_parent = t.parent_id.clone();
    for (key, v) in fields {
        match key.as_str() {
            "name" => {
                let name = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| super::http::bad_field("name", "a non-empty string"))?;
                if let Some(p) = &t.parent_id {
                    check_name_free(&w, p, name, Some(&id))?;
                }
                t.name = name.trim().to_string();
            }
            "kind" => {
                let kind = v.as_str().unwrap_or_default();
                let swap = matches!(
                    (t.kind.as_str(), kind),
                    ("partner" | "folder", "partner" | "folder")
                );
                if kind != t.kind && !swap {
                    return Err(super::http::bad_field(
                        "kind",
                        "changed only between partner and folder",
                    ));
                }
                t.kind = kind.to_string();
            }
            "enabled" => t.enabled = lenient_bool(v, "enabled")?,
            "ancestral_access" => t.ancestral_access = lenient_bool(v, "ancestral_access")?,
            "customer_id" => t.customer_id = opt_string(&body, "customer_id")?,
            "internal_tag" => t.internal_tag = internal_tag(&body)?,
            "language" => {
                t.language = opt_string(&body, "language")?.unwrap_or_else(|| "en".into())
            }
            "default_idp_id" => {
                if let Some(idp) = opt_string(&body, "default_idp_id")? {
                    t.default_idp_id = idp;
                }
            }
            "contact" => t.contact = merge_contact(&t.contact, v, now)?,
            "update_lock" => t.update_lock = update_lock(v, &caller)?,
            "parent_id" => {
                let target = v
                    .as_str()
                    .ok_or_else(|| super::http::bad_field("parent_id", "a tenant id"))?;
                if Some(target) != t.parent_id.as_deref() {
                    let parent = w.changeable(&caller, target)?;
                    if w.subtree(&id).iter().any(|s| s == target) {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            1007,
                            "A tenant cannot move under its own child.",
                        ));
                    }
                    check_hierarchy(&parent.kind, &t.kind)?;
                    check_name_free(&w, target, &t.name, Some(&id))?;
                    t.parent_id = Some(target.to_string());
                }
            }
            k if READ_ONLY.contains(&k) => {}
            other => {
                return Err(
                    ApiError::bad_request(format!("field '{other}' cannot be changed"))
                        .with_context(json!({"field": other})),
                );
            }
        }
    }
    t.version += 1;
    t.updated_at = now;
    if old_parent != t.parent_id {
        if let Some(old) = &old_parent
            && let Some(kids) = w.children.get_mut(old)
        {
            kids.retain(|c| *c != id);
        }
        if let Some(new) = &t.parent_id {
            w.children.entry(new.clone()).or_default().push(id.clone());
        }
    }
    let out = w.tenant_json(&t);
    w.tenants.insert(id, t);
    Ok(Json(out))
}

/// `DELETE /tenants/{id}?version=N` → 204; the tenant must be disabled first (1006).
pub async fn delete_tenant(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<StatusCode> {
    let sent = q
        .get("version")
        .ok_or_else(|| ApiError::bad_request("query parameter 'version' is required"))?;
    let sent = lenient_i64(&json!(sent), "version")?;
    let mut w = sh.world();
    let t = w.changeable(&caller, &id)?;
    if id == caller.tenant_id {
        return Err(ApiError::access_denied(&id));
    }
    if sent != t.version {
        return Err(ApiError::version_mismatch(&id, sent, t.version));
    }
    if t.enabled {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            1006,
            "It is prohibited to delete a non-disabled tenant.",
        )
        .with_context(json!({"id": id})));
    }
    w.remove_subtree(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /tenants/{id}/children[?include_details=true][&order=name|-name|as_is]`.
pub async fn children(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    let mut kids: Vec<&Tenant> = w
        .children
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|c| w.tenants.get(c))
        .collect();
    match q.get("order").map(String::as_str) {
        Some("name") => kids.sort_by_key(|t| t.name.to_lowercase()),
        Some("-name") => kids.sort_by_key(|t| std::cmp::Reverse(t.name.to_lowercase())),
        _ => {}
    }
    let details = q
        .get("include_details")
        .is_some_and(|v| v == "true" || v == "1");
    let items: Vec<Value> = kids
        .iter()
        .map(|t| {
            if details {
                w.tenant_json(t)
            } else {
                json!(t.id)
            }
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

fn pricing_json(t: &Tenant) -> Value {
    json!({
        "mode": t.pricing.mode,
        "currency": t.pricing.currency,
        "production_start_date": t.pricing.production_start_date.map(naive_time),
        "version": t.pricing.version,
    })
}

pub async fn get_pricing(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    Ok(Json(pricing_json(w.visible(&caller, &id)?)))
}

/// `PUT /tenants/{id}/pricing` `{"mode":"production","version":N}`: one way, once.
pub async fn put_pricing(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let mode = required_str(&body, "mode")?.to_string();
    let sent = lenient_i64(
        body.get("version")
            .ok_or_else(|| ApiError::bad_request("field 'version' is required"))?,
        "version",
    )?;
    let now = sh.now();
    let mut w = sh.world();
    let mut t = w.changeable(&caller, &id)?.clone();
    if sent != t.pricing.version {
        return Err(ApiError::version_mismatch(&id, sent, t.pricing.version));
    }
    match (t.pricing.mode.as_str(), mode.as_str()) {
        ("trial", "production") => {
            t.pricing.mode = mode;
            t.pricing.production_start_date = Some(now);
            t.pricing.version = w.next_quota_version(now);
            w.in_trial.remove(&id);
        }
        // Re-sending the current mode changes nothing (unconfirmed; kept idempotent).
        (current, wanted) if current == wanted => {}
        ("production", "trial") => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                1027,
                "Switching from production back to trial is not allowed.",
            ));
        }
        _ => return Err(super::http::bad_field("mode", "'trial' or 'production'")),
    }
    if let Some(c) = opt_string(&body, "currency")? {
        t.pricing.currency = Some(c);
    }
    let out = pricing_json(&t);
    w.tenants.insert(id, t);
    Ok(Json(out))
}

fn mfa_json(w: &World, t: &Tenant) -> Value {
    let users = w.users.values().filter(|u| u.tenant_id == t.id).count();
    json!({
        "mfa_status": t.mfa_status,
        "users": users,
        "users_with_totp_enabled": 0,
        "update_allowed": t.kind != "unit",
    })
}

pub async fn get_mfa(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let t = w.visible(&caller, &id)?;
    Ok(Json(mfa_json(&w, t)))
}

/// `PUT /tenants/{id}/mfa/status` `{"enabled": bool}`.
pub async fn put_mfa(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let enabled = lenient_bool(
        body.get("enabled")
            .ok_or_else(|| ApiError::bad_request("field 'enabled' is required"))?,
        "enabled",
    )?;
    let now = sh.now();
    let mut w = sh.world();
    let mut t = w.changeable(&caller, &id)?.clone();
    let status = if enabled { "enabled" } else { "disabled" };
    if t.mfa_status != status {
        t.mfa_status = status.to_string();
        t.version += 1;
        t.updated_at = now;
    }
    let out = mfa_json(&w, &t);
    w.tenants.insert(id, t);
    Ok(Json(out))
}

/// `GET /search?tenant=&text=[&limit=]`: prefix-per-token match on tenant name,
/// customer id, contact names and email, and on user login, names and email.
pub async fn search(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Q,
) -> ApiResult<Json<Value>> {
    let root = q
        .get("tenant")
        .ok_or_else(|| ApiError::bad_request("query parameter 'tenant' is required"))?;
    let text = q.get("text").map(|t| t.trim()).unwrap_or_default();
    if text.chars().count() < 3 {
        return Err(ApiError::bad_request(
            "'text' must have at least 3 characters",
        ));
    }
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=300).contains(l))
            .ok_or_else(|| ApiError::bad_request("'limit' must be between 1 and 300"))?,
        None => 10,
    };
    let tokens: Vec<String> = words(text);
    let w = sh.world();
    w.visible(&caller, root)?;
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(id) = stack.pop() {
        let Some(t) = w.tenants.get(&id) else {
            continue;
        };
        let locked = id != *root && !t.ancestral_access;
        let contact = |k: &str| {
            t.contact
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let fields = [
            t.name.clone(),
            t.customer_id.clone().unwrap_or_default(),
            contact("firstname"),
            contact("lastname"),
            contact("email"),
        ];
        if id != *root && matches(&tokens, &fields) {
            out.push(json!({
                "obj_type": "tenant", "id": t.id, "parent_id": t.parent_id,
                "path": path_names(&w, root, &id), "kind": t.kind, "name": t.name,
            }));
        }
        if locked {
            continue;
        }
        let mut users: Vec<_> = w.users.values().filter(|u| u.tenant_id == id).collect();
        users.sort_by_key(|u| u.login.clone());
        for u in users {
            let c = |k: &str| {
                u.contact
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            if matches(
                &tokens,
                &[u.login.clone(), c("firstname"), c("lastname"), c("email")],
            ) {
                out.push(json!({
                    "obj_type": "user", "id": u.id, "parent_id": u.tenant_id,
                    "path": path_names(&w, root, &id), "login": u.login,
                    "first_name": c("firstname"), "last_name": c("lastname"),
                }));
            }
        }
        if let Some(kids) = w.children.get(&id) {
            stack.extend(kids.iter().rev().cloned());
        }
    }
    out.truncate(limit);
    Ok(Json(json!({"items": out})))
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every query token is a prefix of some word of some field.
fn matches(tokens: &[String], fields: &[String]) -> bool {
    let field_words: Vec<String> = fields.iter().flat_map(|f| words(f)).collect();
    tokens
        .iter()
        .all(|t| field_words.iter().any(|w| w.starts_with(t.as_str())))
}

/// Names from the search root down to `id`.
fn path_names(w: &World, root: &str, id: &str) -> Vec<String> {
    let mut chain = vec![id.to_string()];
    chain.extend(w.ancestors(id));
    let mut names: Vec<String> = chain
        .iter()
        .take_while(|c| *c != root)
        .filter_map(|c| w.tenants.get(c).map(|t| t.name.clone()))
        .collect();
    names.reverse();
    names
}
