//! `GET /credentials`, `PUT /credentials/autotask`, `PUT /credentials/acronis`.
//!
//! New credentials are proven by a live call before they are saved, so a typo is
//! answered at once instead of failing every job later: for Autotask the zone lookup
//! and one cheap query (which tells an API-only user from an ordinary one), for Acronis
//! a token and the API client's own record. Secrets are never answered, logged or
//! audited: `GET /credentials` shows which are set, the username, when and the zone.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{ApiError, FieldError, upstream};
use acronis::{AcronisClient, AcronisConfig};
use autotask::{AutotaskClient, AutotaskConfig, AutotaskError, Credentials, Filter, Query};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bridge_core::backoff::Backoff;
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials, CredentialsError};
use bridge_core::text::bounded;
use bridge_jobs::audit::Audit;
use bridge_jobs::database;
use bridge_store::secrets::SecretError;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// What the guide tells an MSP whose Autotask user is not an API user, adapted to the
/// custom integration this bridge uses.
pub const NOT_API_USER: &str = "Please create an API user with the \"API User (system)\" \
security level and a \"Custom (Internal Integration)\" API tracking identifier, then save \
its username, secret and integration code.";

pub async fn get(State(state): State<ApiState>, _caller: Caller) -> Result<Json<Value>, ApiError> {
    let secrets = &state.ctx.secrets;
    let autotask = secrets.get_autotask().await.map_err(secret_error)?;
    let acronis = secrets.get_acronis().await.map_err(secret_error)?;
    let mut autotask = autotask_view(autotask.as_ref());
    if let Some(identity) = state.ctx.store.get_database_identity().await?
        && let Value::Object(view) = &mut autotask
    {
        view.insert("database".into(), database::view(&identity.value));
    }
    Ok(Json(json!({
        "autotask": autotask,
        "acronis": acronis_view(acronis.as_ref()),
    })))
}

fn autotask_view(c: Option<&AutotaskCredentials>) -> Value {
    match c {
        None => json!({"set": false}),
        Some(c) => json!({
            "set": true,
            "username": c.username,
            "integration_code_set": !c.integration_code.is_empty(),
            "zone_url": c.zone_url,
            "saved_at": c.saved_at,
        }),
    }
}

fn acronis_view(c: Option<&AcronisCredentials>) -> Value {
    match c {
        None => json!({"set": false}),
        Some(c) => json!({
            "set": true,
            "datacenter_url": c.datacenter_url,
            "client_id": c.client_id,
            "saved_at": c.saved_at,
        }),
    }
}

pub async fn put_autotask(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let body = only_fields(body, &["username", "secret", "integration_code"])?;
    let mut creds = AutotaskCredentials::try_from(body).map_err(credentials_error)?;
    creds.validate().map_err(credentials_error)?;

    let mut config = AutotaskConfig::new(Credentials {
        username: creds.username.clone(),
        secret: creds.secret.clone(),
        integration_code: creds.integration_code.clone(),
    });
    config.zone_lookup_url = state.ctx.autotask_zone_lookup_url.clone();
    config.backoff = CHECK_BACKOFF;
    config.request_timeout = state.check_timeout;
    let client = AutotaskClient::new(config).map_err(autotask_refusal)?;
    let check = async {
        let zone = client.zone().await?;
        // The cheapest authenticated query: it proves the user, the secret and the
        // integration code, and Autotask refuses it to users that are not API-only.
        client
            .count("Companies", &Query::new(Filter::eq("id", 0i64)))
            .await?;
        Ok(zone)
    };
    let zone = match tokio::time::timeout(state.check_timeout, check).await {
        Ok(result) => result.map_err(autotask_refusal)?,
        Err(_) => {
            // The zone when the lookup answered, else the lookup service.
            let url = match client.cached_zone().await {
                Some(zone) => zone.url,
                None => state.ctx.autotask_zone_lookup_url.clone(),
            };
            return Err(no_answer("Autotask", &url, state.check_timeout));
        }
    };

    creds.zone_url = Some(zone.url.clone());
    creds.saved_at = Some(state.ctx.clock.now());
    let before = state.ctx.secrets.get_autotask().await.ok().flatten();
    state
        .ctx
        .secrets
        .put_autotask(&creds)
        .await
        .map_err(secret_error)?;
    state.picklists.clear().await;
    // Credentials of another database are saved (they work), but every job that writes
    // stops until the operator goes back or starts over; the answer says so.
    let (_, identity) = database::reconcile(&state.ctx, &zone, &caller.0, false).await?;
    let mut view = autotask_view(Some(&creds));
    audit(
        &state,
        &caller,
        "credentials.autotask.saved",
        "credentials:autotask",
        before.as_ref().map(|c| autotask_view(Some(c))),
        view.clone(),
    )
    .await?;
    if let (Some(identity), Value::Object(fields)) = (&identity, &mut view) {
        fields.insert("database".into(), database::view(identity));
    }
    Ok(Json(view))
}

pub async fn put_acronis(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let body = only_fields(body, &["datacenter_url", "client_id", "client_secret"])?;
    let mut creds = AcronisCredentials::try_from(body).map_err(credentials_error)?;
    creds.validate().map_err(credentials_error)?;

    let mut config = AcronisConfig::new(
        creds.datacenter_url.clone(),
        creds.client_id.clone(),
        creds.client_secret.clone(),
    );
    config.backoff = CHECK_BACKOFF;
    config.request_timeout = state.check_timeout;
    let client =
        AcronisClient::new(config).map_err(|e| ApiError::field("datacenter_url", e.to_string()))?;
    // A token, then the API client's own record: proves the data center, the id and
    // the secret, and finds the partner tenant every job works under.
    match tokio::time::timeout(state.check_timeout, client.tenant_id()).await {
        Ok(result) => result.map_err(|e| acronis_refusal(e, &creds.datacenter_url))?,
        Err(_) => {
            return Err(ApiError::field(
                "datacenter_url",
                format!(
                    "{} did not answer within {} s; check the data-center URL",
                    host(&creds.datacenter_url),
                    state.check_timeout.as_secs_f64()
                ),
            ));
        }
    };

    creds.saved_at = Some(state.ctx.clock.now());
    let before = state.ctx.secrets.get_acronis().await.ok().flatten();
    state
        .ctx
        .secrets
        .put_acronis(&creds)
        .await
        .map_err(secret_error)?;
    let view = acronis_view(Some(&creds));
    audit(
        &state,
        &caller,
        "credentials.acronis.saved",
        "credentials:acronis",
        before.as_ref().map(|c| acronis_view(Some(c))),
        view.clone(),
    )
    .await?;
    Ok(Json(view))
}

async fn audit(
    state: &ApiState,
    caller: &Caller,
    kind: &str,
    subject: &str,
    before: Option<Value>,
    after: Value,
) -> Result<(), ApiError> {
    Audit {
        actor: &caller.0,
        kind,
        subject: subject.into(),
        before,
        after: Some(after),
        reason: None,
    }
    .write(&state.ctx)
    .await
    .map_err(ApiError::from)
}

/// The body as an object of exactly these fields (others are refused, by name only).
fn only_fields(body: Value, allowed: &[&str]) -> Result<Value, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::field("", "the body must be a JSON object"));
    };
    let unknown: Vec<FieldError> = map
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                k.clone(),
                format!("unknown field; expected {}", allowed.join(", ")),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(Value::Object(map.into_iter().collect::<Map<_, _>>()))
    } else {
        Err(ApiError::invalid(unknown))
    }
}

fn credentials_error(e: CredentialsError) -> ApiError {
    let problems = e.problems();
    if problems.is_empty() {
        return ApiError::field("", e.to_string());
    }
    ApiError::invalid(
        problems
            .iter()
            .map(|p| FieldError::new(p.field, p.problem))
            .collect(),
    )
}

/// Autotask's answer to the new credentials, as the field the MSP has to fix.
fn autotask_refusal(e: AutotaskError) -> ApiError {
    match e {
        AutotaskError::NotApiUser => ApiError::field("username", NOT_API_USER),
        AutotaskError::BadCredentials => ApiError::field(
            "secret",
            "Autotask refused the secret of this API user (HTTP 401); re-enter it, or generate a new one",
        ),
        AutotaskError::UnknownUserOrIntegrationCode { message } => ApiError::invalid(vec![
            FieldError::new(
                "username",
                format!(
                    "Autotask does not recognise the username or the integration code: {message}"
                ),
            ),
            FieldError::new(
                "integration_code",
                "check the API tracking identifier's integration code",
            ),
        ]),
        AutotaskError::ZoneNotFound { detail, .. } => ApiError::field(
            "username",
            format!("Autotask's zone lookup does not know this user: {detail}"),
        ),
        AutotaskError::Config(detail) => ApiError::field("", detail),
        other => upstream("Autotask", other),
    }
}

fn acronis_refusal(e: acronis::Error, datacenter_url: &str) -> ApiError {
    match e {
        acronis::Error::Unauthorized { .. } => ApiError::invalid(vec![
            FieldError::new("client_id", "Acronis refused the API client id or secret"),
            FieldError::new(
                "client_secret",
                "Acronis refused the API client id or secret",
            ),
        ]),
        acronis::Error::NotFound { endpoint, .. } if endpoint.ends_with("/idp/token") => {
            ApiError::field(
                "datacenter_url",
                "this server has no Acronis token endpoint: is it the data-center URL?",
            )
        }
        acronis::Error::NotFound { .. } | acronis::Error::Forbidden { .. } => ApiError::field(
            "client_id",
            "Acronis issued a token but does not show this API client; check the client id",
        ),
        acronis::Error::Transport { detail, .. } => ApiError::field(
            "datacenter_url",
            format!(
                "cannot reach the Acronis data center {}: {}",
                host(datacenter_url),
                bounded(&detail, 200)
            ),
        ),
        acronis::Error::InvalidConfig { field, reason } => ApiError::field(
            if field == "base_url" {
                "datacenter_url"
            } else {
                field
            },
            reason,
        ),
        other => upstream("Acronis", other),
    }
}

/// Retries of a credential check: one, soon. A person is waiting, and a wrong value
/// does not become right on a later attempt.
const CHECK_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(200),
    max_delay: Duration::from_secs(1),
    max_retries: 1,
};

/// The host (and port) of a URL, for naming the server that did not answer.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    bounded(authority, 100)
}

/// 504: the API the bridge checks the credentials with did not answer in time.
fn no_answer(api: &str, url: &str, timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "{api} at {} did not answer within {} s; try again later",
            host(url),
            timeout.as_secs_f64()
        ),
    )
}

fn secret_error(e: SecretError) -> ApiError {
    match e {
        SecretError::Invalid { problem, .. } => credentials_error(problem),
        other => ApiError::internal(other),
    }
}
