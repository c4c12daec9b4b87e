//! `GET/PUT /alert-mappings`: ticket fields per Acronis alert type.
//!
//! A GET lists the Alert Manager's alert types and the allowed values of every ticket
//! field (Autotask picklists) beside the saved rows; either list is `null`, with the
//! reason under `unavailable`, when its API cannot be reached, so the saved rows can
//! always be read. A PUT checks the rows against both lists.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::envelope::{
    IfMatch, Tagged, current_or_default, precondition, read_put, sections_document,
};
use crate::routes::picklists::TicketPicklists;
use crate::routes::save::{Part, alert_types, save};
use crate::routes::settings::answer;
use axum::extract::State;
use serde_json::Value;

const READ_ONLY: &[&str] = &["alert_types", "picklists", "unavailable", "warnings"];

pub async fn get(State(state): State<ApiState>, _caller: Caller) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let sections = Part::AlertMappings.sections().unwrap_or_default();
    let mut doc = sections_document(&current, sections);
    let mut unavailable = Vec::new();
    let types = match alert_types(&state).await {
        Ok(types) => Value::from(types.into_iter().collect::<Vec<_>>()),
        Err(e) => {
            unavailable.push(e.message);
            Value::Null
        }
    };
    let picklists = match picklists(&state).await {
        Ok(p) => p.to_json(),
        Err(e) => {
            unavailable.push(e.message);
            Value::Null
        }
    };
    doc.insert("alert_types".into(), types);
    doc.insert("picklists".into(), picklists);
    doc.insert("unavailable".into(), Value::from(unavailable));
    Ok(Tagged(current.version, Value::Object(doc)))
}

async fn picklists(state: &ApiState) -> Result<TicketPicklists, ApiError> {
    let client = state.ctx.autotask().await?;
    TicketPicklists::load(&state.picklists, &client).await
}

pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    if_match: IfMatch,
    JsonBody(body): JsonBody,
) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let sections = Part::AlertMappings.sections();
    let (expected, settings) = read_put(body, &if_match, &current.value, sections, READ_ONLY)?;
    let saved = save(
        &state,
        &caller,
        Part::AlertMappings,
        expected.version,
        settings,
    )
    .await
    .map_err(|e| precondition(e, &if_match, expected.in_body))?;
    let doc = sections_document(&saved.settings, sections.unwrap_or_default());
    Ok(answer(&saved, Value::Object(doc)))
}
