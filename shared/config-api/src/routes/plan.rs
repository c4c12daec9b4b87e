//! `GET /plan`: what the next quota push and the next usage report would change, per
//! mapped customer (item, from, to, why), and why a customer or a line would be skipped
//! — computed by the very planners the jobs run, without changing anything. `held`
//! lists the deprovisioning the blast-radius guard holds until an operator releases it.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::envelope::current_or_default;
use crate::routes::params;
use axum::Json;
use axum::extract::{Query, State};
use bridge_core::mapping::SUB_PARTNER_LEFT_ALONE;
use bridge_core::policy::Policy;
use bridge_core::text::bounded;
use bridge_jobs::provisioning::held_json;
use bridge_jobs::quota_push::plan_company;
use bridge_jobs::usage_report::{self, CompanyUsage, Unplanned};
use serde::Deserialize;
use serde_json::{Value, json};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanParams {
    company: Option<String>,
    limit: Option<String>,
    page_token: Option<String>,
}

pub async fn get(
    State(state): State<ApiState>,
    _caller: Caller,
    params: Result<Query<PlanParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(params::rejected)?;
    let limit = params::limit(p.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let company = params::company(p.company.as_deref())?;
    let store = &state.ctx.store;
    let (mappings, next_page_token) = match company {
        Some(company) => {
            let mapping = store
                .get_mapping_by_company(company)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(format!("company {company} is not mapped to a tenant"))
                })?;
            (vec![mapping], None)
        }
        None => {
            let page = store
                .list_mappings(limit, p.page_token.as_deref())
                .await
                .map_err(ApiError::from)?;
            (page.items, page.next_page_token)
        }
    };
    let settings = current_or_default(store.get_settings().await?).value;
    let policy = Policy::from_settings(&settings);
    let two_way = settings.features.two_way_sync;
    let acronis = state.ctx.acronis().await?;
    // Deprovisioning the blast-radius guard holds: every held company (or the one asked
    // for), whatever page this is.
    let held: Vec<Value> = match company {
        Some(_) => mappings.iter().filter_map(held_json).collect(),
        None => crate::routes::accounts::all_mappings(&state)
            .await?
            .values()
            .filter_map(held_json)
            .collect(),
    };
    let mut items = Vec::new();
    for mapping in mappings {
        let usage = usage_json(
            usage_report::plan_company(&state.ctx, &acronis, &settings, mapping.clone()).await,
        );
        if mapping.is_sub_partner() {
            // Quota push never pushes a sub-partner: nothing to plan, only why.
            items.push(json!({
                "company_id": mapping.company_id,
                "tenant_id": mapping.tenant_id,
                "tenant_kind": mapping.tenant_kind.as_str(),
                "snapshot_version": null,
                "skipped": SUB_PARTNER_LEFT_ALONE,
                "changes": [],
                "lines": [],
                "unit_changes": [],
                "unit_lines": [],
                "skipped_lines": [],
                "conflicts": [],
                "skipped_items": [],
                "usage": usage,
            }));
            continue;
        }
        let planned = plan_company(
            &state.ctx,
            &acronis,
            &policy,
            two_way,
            mapping.company_id,
            &mapping.tenant_id,
        )
        .await;
        let mut item = match planned {
            Ok(planned) => {
                let lines: Vec<String> =
                    planned.plan.changes.iter().map(|c| c.describe()).collect();
                let unit_lines: Vec<String> = planned
                    .plan
                    .unit_changes
                    .iter()
                    .map(|c| c.describe())
                    .collect();
                let skipped_lines: Vec<String> = planned
                    .plan
                    .skipped
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                json!({
                    "company_id": planned.company_id,
                    "tenant_id": planned.tenant_id,
                    "tenant_kind": mapping.tenant_kind.as_str(),
                    "snapshot_version": planned.snapshot_version,
                    "skipped": planned.plan.tenant_skip,
                    "changes": planned.plan.changes,
                    "lines": lines,
                    "unit_changes": planned.plan.unit_changes,
                    "unit_lines": unit_lines,
                    "skipped_lines": skipped_lines,
                    "conflicts": planned.plan.conflicts,
                    "skipped_items": planned.plan.skipped,
                })
            }
            Err(e) => json!({
                "company_id": mapping.company_id,
                "tenant_id": mapping.tenant_id,
                "tenant_kind": mapping.tenant_kind.as_str(),
                "error": bounded(&e.to_string(), 500),
            }),
        };
        item["usage"] = usage;
        items.push(item);
    }
    Ok(Json(json!({
        "billing": settings.features.billing,
        "two_way_sync": two_way,
        "items": items,
        "held": held,
        "next_page_token": next_page_token,
    })))
}

/// The usage part of a customer's plan: `null` when no period is reported today.
fn usage_json(planned: Result<Option<CompanyUsage>, bridge_jobs::JobError>) -> Value {
    let planned = match planned {
        Ok(Some(planned)) => planned,
        Ok(None) => return Value::Null,
        Err(e) => return json!({"error": bounded(&e.to_string(), 500)}),
    };
    match planned.outcome {
        Ok(plan) => {
            let lines: Vec<String> = plan.updates.iter().map(|u| u.describe()).collect();
            let overuse_lines: Vec<String> = plan
                .overuse
                .iter()
                .map(|o| {
                    format!(
                        "{}: {} used of {} prepaid units (not written)",
                        o.what, o.used, o.quota
                    )
                })
                .collect();
            let skipped_lines: Vec<String> = plan
                .skipped
                .iter()
                .map(|s| format!("{}: {}", s.what, s.reason))
                .collect();
            json!({
                "period": plan.period,
                "sub_partner": planned.sub_partner,
                "updates": plan.updates,
                "lines": lines,
                "confirmed": plan.confirmed,
                "already_reported": plan.already_reported,
                "overuse": plan.overuse,
                "overuse_lines": overuse_lines,
                "skipped": plan.skipped,
                "skipped_lines": skipped_lines,
            })
        }
        Err(Unplanned::Skipped(why)) => json!({"sub_partner": planned.sub_partner, "skipped": why}),
        Err(Unplanned::Failed(why)) => json!({"sub_partner": planned.sub_partner, "error": why}),
    }
}
