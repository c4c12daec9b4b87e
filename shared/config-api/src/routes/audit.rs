//! `GET /audit?since=&until=&kind=&limit=&page_token=`: the audit log, newest first.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use axum::Json;
use axum::extract::{Query, State};
use bridge_core::records::AuditQuery;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    since: Option<String>,
    until: Option<String>,
    kind: Option<String>,
    limit: Option<String>,
    page_token: Option<String>,
}

pub async fn get(
    State(state): State<ApiState>,
    _caller: Caller,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(crate::routes::params::rejected)?;
    let mut errors = Vec::new();
    let mut instant = |field: &str, raw: Option<String>| {
        raw.and_then(|raw| match DateTime::parse_from_rfc3339(raw.trim()) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    "must be an RFC 3339 instant, e.g. 2026-01-31T00:00:00Z",
                ));
                None
            }
        })
    };
    let since = instant("since", p.since);
    let until = instant("until", p.until);
    let limit = match p.limit.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(n)) if (1..=AuditQuery::MAX_LIMIT).contains(&n) => Some(n),
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                format!("must be 1..={}", AuditQuery::MAX_LIMIT),
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let query = AuditQuery {
        since,
        until,
        kind: p
            .kind
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty()),
        limit,
        page_token: p.page_token.filter(|t| !t.is_empty()),
    };
    let page = state
        .ctx
        .store
        .list_audit(&query, state.ctx.clock.now())
        .await?;
    Ok(Json(
        json!({"items": page.items, "next_page_token": page.next_page_token}),
    ))
}
