//! `GET /tickets`: the alert → ticket records (alert, tenant, company, ticket, state,
//! last action), optionally of one company, and the alerts the bridge could not turn
//! into tickets, with why.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::params;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
/// Skipped alerts shown with the first page.
const SKIPPED_SHOWN: u32 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketParams {
    company: Option<String>,
    limit: Option<String>,
    page_token: Option<String>,
}

pub async fn get(
    State(state): State<ApiState>,
    _caller: Caller,
    params: Result<Query<TicketParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(params::rejected)?;
    let limit = params::limit(p.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let company = params::company(p.company.as_deref())?;
    let store = &state.ctx.store;
    let page = store
        .list_alert_tickets(company, limit, p.page_token.as_deref())
        .await?;
    let items: Vec<Value> = page
        .items
        .into_iter()
        .map(|r| {
            let t = r.value;
            json!({
                "alert_key": t.alert_key,
                "alert_id": t.alert_id,
                "tenant_id": t.tenant_id,
                "alert_type": t.alert_type,
                "company_id": t.company_id,
                "ticket_id": t.ticket_id,
                "ticket_number": t.ticket_number,
                "state": t.state,
                "last_action": t.last_action,
                "opened_at": t.opened_at,
                "last_seen_at": t.last_seen_at,
                "closed_at": t.closed_at,
            })
        })
        .collect();
    let skipped = if p.page_token.is_none() {
        store
            .list_skipped_alerts(SKIPPED_SHOWN, None, state.ctx.clock.now())
            .await?
            .items
            .into_iter()
            .map(|s| {
                json!({
                    "alert_key": s.alert_key,
                    "alert_id": s.alert_id,
                    "tenant_id": s.tenant,
                    "reason": s.reason,
                    "at": s.at,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Json(json!({
        "items": items,
        "next_page_token": page.next_page_token,
        "skipped": skipped,
    })))
}
