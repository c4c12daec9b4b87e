//! OAuth2 client credentials: `POST /api/2/idp/token`, the bearer check in front of every
//! other route, and `GET /api/2/clients/{id}`.

use super::Shared;
use super::error::{ApiError, ApiResult, oauth_error};
use super::state::{Caller, Token, account_time};
use axum::{
    Extension, Form, Json,
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Tokens live two hours (reference 1.2).
pub const TOKEN_LIFETIME_SECS: i64 = 2 * 60 * 60;

pub async fn issue_token(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is simulated",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let Some((id, secret)) = basic_credentials(&headers).or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    }) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client credentials are missing",
        );
    };
    let now = sh.now();
    let mut w = sh.world();
    let known = w.clients.get(&id).is_some_and(|c| c.secret == secret);
    if !known {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "invalid client credentials",
        );
    }
    let expires_at = now + chrono::Duration::seconds(TOKEN_LIFETIME_SECS);
    let access_token = jwt_like(&id, expires_at.timestamp(), "access");
    let id_token = jwt_like(&id, expires_at.timestamp(), "id");
    w.tokens.insert(
        access_token.clone(),
        Token {
            client_id: id,
            expires_at,
        },
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_on": expires_at.timestamp(),
        "id_token": id_token,
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// An opaque token shaped like a JWT (header.payload.signature), unique per issue.
fn jwt_like(client_id: &str, exp: i64, kind: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"sub": client_id, "exp": exp, "jti": uuid::Uuid::new_v4(), "typ": kind}).to_string(),
    );
    let sig: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Middleware: resolves the bearer token (header, or `access_token` query parameter on
/// `/api/2`) to a [`Caller`], or answers 401.
pub async fn require_token(
    State(sh): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let alerts = req.uri().path().starts_with("/api/alert_manager");
    let token = bearer(req.headers()).or_else(|| {
        if alerts {
            return None;
        }
        let query = req.uri().query()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "access_token").then(|| urlencoding::decode(v).map(|s| s.into_owned()).ok())?
        })
    });
    let domain = if alerts {
        "AlertManager"
    } else {
        "PlatformAccountServer"
    };
    let Some(token) = token else {
        return ApiError::unauthorized("Access token is missing.")
            .in_domain(domain)
            .into_response();
    };
    let now = sh.now();
    let caller = {
        let w = sh.world();
        match w.tokens.get(&token) {
            Some(t) if t.expires_at > now => w.clients.get(&t.client_id).map(|c| Caller {
                tenant_id: c.tenant_id.clone(),
            }),
            _ => None,
        }
    };
    let Some(caller) = caller else {
        return ApiError::unauthorized("Access token is invalid or expired.")
            .in_domain(domain)
            .into_response();
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// `GET /api/2/clients/{id}`: the client without its secret.
pub async fn get_client(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    let c = w
        .clients
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Client", &id))?;
    if !w.in_scope(&caller, &c.tenant_id) {
        return Err(ApiError::access_denied(&id));
    }
    Ok(Json(json!({
        "client_id": c.client_id,
        "tenant_id": c.tenant_id,
        "type": "api_client",
        "status": "enabled",
        "created_at": account_time(c.created_at),
        "created_by": null,
        "redirect_uris": [],
        "data": {"client_name": c.name},
        "token_endpoint_auth_method": "client_secret_basic",
        "client_secret_expires_at": 0,
    })))
}
