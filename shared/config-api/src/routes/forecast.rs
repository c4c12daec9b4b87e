//! `GET /deprovisioning/forecast?days=N`: the tenants the bridge will delete within N
//! days (or is already due to), with their disable and delete dates (the delete date
//! after the deletion notices, `docs/safety.md`), and (`disables`)
//! those it will disable within N days. Deleting destroys the customer's backups and
//! disabling stops them; this is how the MSP sees either coming. `held` lists the
//! companies whose deprovisioning the blast-radius guard holds.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::accounts::all_mappings;
use crate::routes::envelope::current_or_default;
use axum::Json;
use axum::extract::{Query, State};
use bridge_core::provisioning::{ClockedMapping, deletion_forecast, disable_forecast};
use bridge_jobs::provisioning::held_json;
use serde::Deserialize;
use serde_json::{Value, json};

const DEFAULT_DAYS: u32 = 14;
const MAX_DAYS: u32 = 3650;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastParams {
    days: Option<String>,
}

pub async fn get(
    State(state): State<ApiState>,
    _caller: Caller,
    params: Result<Query<ForecastParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(crate::routes::params::rejected)?;
    let days = match p.days.as_deref().map(str::parse::<u32>) {
        None => DEFAULT_DAYS,
        Some(Ok(n)) if n <= MAX_DAYS => n,
        Some(_) => return Err(ApiError::field("days", format!("must be 0..={MAX_DAYS}"))),
    };
    let settings = current_or_default(state.ctx.store.get_settings().await?).value;
    let all = all_mappings(&state).await?;
    // Held companies: their deprovisioning waits for an operator's release, so the
    // dates below (if their clock runs) are not reached while they stay held.
    let held: Vec<Value> = all.values().filter_map(held_json).collect();
    let mappings: Vec<ClockedMapping> = all
        .into_values()
        // A sub-partner's tenant is never deleted (a clock left from an earlier
        // customer mapping of the company does not count).
        .filter(|m| !m.is_sub_partner())
        .map(|m| ClockedMapping {
            company_id: m.company_id,
            tenant_id: m.tenant_id,
            no_services_since: m.no_services_since,
            deletion: m.deletion,
        })
        .collect();
    let policy = bridge_core::policy::deprovisioning(&settings.deprovisioning);
    let now = state.ctx.clock.now();
    let items = deletion_forecast(&mappings, &policy, now, days);
    let disables = disable_forecast(&mappings, &policy, now, days);
    Ok(Json(json!({
        "days": days,
        "delete_customer": settings.deprovisioning.delete_customer,
        "disable_customer": settings.deprovisioning.disable_customer,
        "items": items,
        "disables": disables,
        "held": held,
    })))
}
