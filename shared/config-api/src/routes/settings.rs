//! `GET/PUT /settings`: the whole settings document, `version` beside its sections.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::envelope::{current_or_default, read_put, settings_document};
use crate::routes::save::{Part, Saved, save};
use axum::Json;
use axum::extract::State;
use serde_json::Value;

pub async fn get(State(state): State<ApiState>, _caller: Caller) -> Result<Json<Value>, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    Ok(Json(settings_document(&current)))
}

pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let (expected, settings) = read_put(body, &current.value, None, &["warnings"])?;
    let saved = save(&state, &caller, Part::All, expected, settings).await?;
    Ok(Json(answer(&saved, settings_document(&saved.settings))))
}

/// The saved document, with `warnings` when something after the save did not work.
pub(crate) fn answer(saved: &Saved, mut document: Value) -> Value {
    if !saved.warnings.is_empty()
        && let Value::Object(map) = &mut document
    {
        map.insert("warnings".into(), Value::from(saved.warnings.clone()));
    }
    document
}
