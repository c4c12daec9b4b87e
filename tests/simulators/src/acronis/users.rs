//! Users (reference 3): login check, create, read, activation mail, access policies.

use super::Shared;
use super::error::{ApiError, ApiResult};
use super::http::{json_body, lenient_bool, required_str};
use super::state::{Caller, User, account_time};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "version": u.version,
        "tenant_id": u.tenant_id,
        "login": u.login,
        "contact": u.contact,
        "activated": u.activated,
        "enabled": u.enabled,
        "terms_accepted": false,
        "created_at": account_time(u.created_at),
        "language": u.language,
        "idp_id": "11111111-1111-1111-1111-111111111111",
        "external_id": u.external_id,
        "personal_tenant_id": u.personal_tenant_id,
        "mfa_status": "disabled",
        "notifications": u.notifications,
        "business_types": u.business_types,
    })
}

fn login_taken(login: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, 409, format!("User '{login}' exists"))
        .with_context(json!({}))
}

/// `GET /users/check_login?username=` → 204 free, 409 taken.
pub async fn check_login(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let login = q
        .get("username")
        .ok_or_else(|| ApiError::bad_request("query parameter 'username' is required"))?;
    if sh.world().logins.contains_key(&login.to_lowercase()) {
        return Err(login_taken(login));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /users` → 201 (status unconfirmed). A personal `unit` tenant id is reported
/// but no such tenant is created, so it never shows in children lists.
pub async fn create_user(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let tenant_id = required_str(&body, "tenant_id")?.to_string();
    let login = required_str(&body, "login")?.trim().to_string();
    let contact = match body.get("contact") {
        None | Some(Value::Null) => json!({}),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => return Err(super::http::bad_field("contact", "an object")),
    };
    let now = sh.now();
    let mut w = sh.world();
    w.changeable(&caller, &tenant_id)?;
    if w.logins.contains_key(&login.to_lowercase()) {
        return Err(login_taken(&login));
    }
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        version: 1,
        tenant_id,
        login: login.clone(),
        contact,
        activated: false,
        enabled: match body.get("enabled") {
            Some(v) => lenient_bool(v, "enabled")?,
            None => true,
        },
        language: body["language"].as_str().unwrap_or("en").to_string(),
        personal_tenant_id: uuid::Uuid::new_v4().to_string(),
        notifications: body
            .get("notifications")
            .cloned()
            .unwrap_or_else(|| json!(["quota", "reports", "backup_daily_report"])),
        business_types: body
            .get("business_types")
            .cloned()
            .unwrap_or_else(|| json!([])),
        external_id: body["external_id"].as_str().map(str::to_string),
        access_policies: Vec::new(),
        created_at: now,
    };
    let out = user_json(&user);
    w.logins.insert(login.to_lowercase(), user.id.clone());
    w.users.insert(user.id.clone(), user);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

fn visible_user<'a>(w: &'a super::state::World, caller: &Caller, id: &str) -> ApiResult<&'a User> {
    let u = w
        .users
        .get(id)
        .ok_or_else(|| ApiError::not_found("User", id))?;
    if !w.in_scope(caller, &u.tenant_id) {
        return Err(ApiError::access_denied(id));
    }
    Ok(u)
}

pub async fn get_user(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    Ok(Json(user_json(visible_user(&w, &caller, &id)?)))
}

/// `GET /tenants/{id}/users` → user ids.
pub async fn tenant_users(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.visible(&caller, &id)?;
    let mut users: Vec<&User> = w.users.values().filter(|u| u.tenant_id == id).collect();
    users.sort_by_key(|u| u.created_at);
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    Ok(Json(json!({"items": ids})))
}

/// `POST /users/{id}/send-activation-email` with an empty JSON body → 204. Only for
/// users in sub-tenants of the caller; the mail is recorded for tests.
pub async fn send_activation_email(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let body = json_body(&headers, &body)?;
    if body.as_object().is_none_or(|o| !o.is_empty()) {
        return Err(ApiError::bad_request(
            "the body must be an empty JSON object",
        ));
    }
    let now = sh.now();
    let mut w = sh.world();
    let u = visible_user(&w, &caller, &id)?.clone();
    if u.tenant_id == caller.tenant_id {
        return Err(ApiError::access_denied(&id));
    }
    w.changeable(&caller, &u.tenant_id)?;
    let email = u
        .contact
        .get("email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("the user has no contact email").with_context(json!({"id": id}))
        })?;
    let mail = json!({
        "user_id": u.id, "login": u.login, "email": email,
        "tenant_id": u.tenant_id, "at": account_time(now),
    });
    w.emails.push(mail);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_access_policies(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let u = visible_user(&w, &caller, &id)?;
    Ok(Json(json!({"items": u.access_policies})))
}

/// `PUT /users/{id}/access_policies` `{"items":[…]}` replaces the user's roles.
pub async fn put_access_policies(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body)?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("field 'items' must be an array"))?;
    let mut w = sh.world();
    let tenant = visible_user(&w, &caller, &id)?.tenant_id.clone();
    w.changeable(&caller, &tenant)?;
    let mut policies = Vec::new();
    for (n, p) in items.iter().enumerate() {
        let role = p
            .get("role_id")
            .and_then(Value::as_str)
            .ok_or_else(|| super::http::bad_field(&format!("items[{n}].role_id"), "a role id"))?;
        let mut p = p.clone();
        p["id"] = json!(uuid::Uuid::new_v4());
        p["trustee_id"] = json!(id);
        p["trustee_type"] = json!("user");
        p["role_id"] = json!(role);
        if p.get("tenant_id").is_none_or(Value::is_null) {
            p["tenant_id"] = json!(tenant);
        }
        p["version"] = json!(1);
        policies.push(p);
    }
    if let Some(u) = w.users.get_mut(&id) {
        u.access_policies = policies.clone();
        u.version += 1;
    }
    Ok(Json(json!({"items": policies})))
}
