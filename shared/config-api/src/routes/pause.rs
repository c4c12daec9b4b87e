//! `POST /pause` and `POST /resume`: the switch that stops every write of every job.
//! While paused, each run is a dry run (reads and plans go on, nothing is written) and
//! its summary says who paused it. Both are audited; pausing while paused and resuming
//! while not paused answer 409 with the current state, so a second operator's reason is
//! never silently dropped.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use bridge_core::records::{PauseState, Versioned};
use bridge_jobs::audit::Audit;
use serde_json::{Value, json};

/// Longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

pub async fn pause(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let reason = read_reason(&body)?
        .ok_or_else(|| ApiError::field("reason", "required: say why the bridge is paused"))?;
    let current = state.ctx.store.get_pause().await?;
    if let Some(Versioned { value, .. }) = &current
        && value.paused
    {
        return Err(ApiError::conflict(format!(
            "already {}; POST /resume first to pause again with another reason",
            value.note()
        ))
        .with("pause", pause_document(Some(value))));
    }
    change(&state, &caller, current, true, Some(reason)).await
}

pub async fn resume(
    State(state): State<ApiState>,
    caller: Caller,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    // The body is optional: none at all, or a JSON object with a reason.
    let reason = if has_body(&request) {
        let JsonBody(body) = JsonBody::from_request(request, &state).await?;
        read_reason(&body)?
    } else {
        None
    };
    let current = state.ctx.store.get_pause().await?;
    if !current.as_ref().is_some_and(|p| p.value.paused) {
        let last = current.as_ref().map(|p| &p.value);
        return Err(
            ApiError::conflict("not paused; nothing to resume").with("pause", pause_document(last))
        );
    }
    change(&state, &caller, current, false, reason).await
}

/// Writes the new state (versioned, so two operators racing get one winner and one
/// 409) and audits it.
async fn change(
    state: &ApiState,
    caller: &Caller,
    current: Option<Versioned<PauseState>>,
    paused: bool,
    reason: Option<String>,
) -> Result<Json<Value>, ApiError> {
    let next = PauseState {
        paused,
        by: caller.0.clone(),
        at: state.ctx.clock.now(),
        reason,
    };
    let before = current.as_ref().map(|p| pause_document(Some(&p.value)));
    state
        .ctx
        .store
        .put_pause(&next, current.map(|p| p.version))
        .await?;
    Audit {
        actor: &caller.0,
        kind: if paused {
            "bridge.paused"
        } else {
            "bridge.resumed"
        },
        subject: "bridge".into(),
        before,
        after: Some(pause_document(Some(&next))),
        reason: next.reason.clone(),
    }
    .write(&state.ctx)
    .await?;
    Ok(Json(json!({ "pause": pause_document(Some(&next)) })))
}

fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    headers.contains_key(header::CONTENT_TYPE)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || length.is_some_and(|n| n > 0)
}

/// The optional `reason` field: trimmed, non-empty, at most [`MAX_REASON_CHARS`].
fn read_reason(body: &Value) -> Result<Option<String>, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::field("", "send a JSON object"));
    };
    if let Some(unknown) = fields.keys().find(|k| k.as_str() != "reason") {
        return Err(ApiError::field(unknown.clone(), "unknown field"));
    }
    match fields.get("reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let reason = s.trim();
            if reason.is_empty() {
                Err(ApiError::field("reason", "must not be empty"))
            } else if reason.chars().count() > MAX_REASON_CHARS {
                Err(ApiError::field(
                    "reason",
                    format!("at most {MAX_REASON_CHARS} characters"),
                ))
            } else {
                Ok(Some(reason.to_owned()))
            }
        }
        Some(_) => Err(ApiError::field("reason", "must be a string")),
    }
}

/// How the API shows the switch: `paused`, and who changed it last, when and why
/// (`null` fields when it was never used).
pub fn pause_document(pause: Option<&PauseState>) -> Value {
    match pause {
        Some(p) => json!({
            "paused": p.paused,
            "by": p.by,
            "at": p.at,
            "reason": p.reason,
        }),
        None => json!({ "paused": false, "by": null, "at": null, "reason": null }),
    }
}
