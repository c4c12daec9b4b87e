//! `GET/PUT/PATCH /settings`: the whole settings document, `version` beside its
//! sections, and the version again as the `ETag`.
//!
//! A PUT replaces the whole document, so it must carry every section; a PATCH (JSON merge
//! patch) changes only what it names. Both need the version they were read at, in the
//! body's `version` or as `If-Match`.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::{JsonBody, MergePatchBody};
use crate::error::ApiError;
use crate::routes::envelope::{
    IfMatch, Tagged, current_or_default, precondition, read_patch, read_put, settings_document,
};
use crate::routes::save::{Part, Saved, save};
use axum::extract::State;
use serde_json::Value;

/// Read-only members of an answer, ignored when a GET answer is sent back.
const READ_ONLY: &[&str] = &["warnings"];

pub async fn get(State(state): State<ApiState>, _caller: Caller) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    Ok(Tagged(current.version, settings_document(&current)))
}

pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    if_match: IfMatch,
    JsonBody(body): JsonBody,
) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let (expected, settings) = read_put(body, &if_match, &current.value, None, READ_ONLY)?;
    let saved = save(&state, &caller, Part::All, expected.version, settings)
        .await
        .map_err(|e| precondition(e, &if_match, expected.in_body))?;
    Ok(answer(&saved, settings_document(&saved.settings)))
}

pub async fn patch(
    State(state): State<ApiState>,
    caller: Caller,
    if_match: IfMatch,
    MergePatchBody(body): MergePatchBody,
) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let (expected, settings) = read_patch(body, &if_match, &current.value, READ_ONLY)?;
    let saved = save(&state, &caller, Part::All, expected.version, settings)
        .await
        .map_err(|e| precondition(e, &if_match, expected.in_body))?;
    Ok(answer(&saved, settings_document(&saved.settings)))
}

/// The saved document, with `warnings` when something after the save did not work.
pub(crate) fn answer(saved: &Saved, mut document: Value) -> Tagged {
    if !saved.warnings.is_empty()
        && let Value::Object(map) = &mut document
    {
        map.insert("warnings".into(), Value::from(saved.warnings.clone()));
    }
    Tagged(saved.settings.version, document)
}
