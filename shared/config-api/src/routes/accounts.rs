//! `GET /accounts`: the Autotask companies with their mapping state, as the guide's
//! customer-mapping screen lists them (search, mapped/unmapped/all, company type).
//!
//! The Autotask client reads every page of a query, so one listing of the companies
//! matching the filters is kept for a minute and the API pages through it; browsing
//! page after page costs Autotask one listing, not one per page.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, upstream};
use acronis::Tenant;
use autotask::models::Company;
use autotask::{AutotaskClient, Filter, Query};
use axum::Json;
use axum::extract::{Query as QueryParams, State};
use bridge_core::mapping::CustomerMapping;
use bridge_core::text::quoted;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one listing of companies serves further pages.
const LISTING_TTL: Duration = Duration::from_secs(60);
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsQuery {
    mapped: Option<String>,
    #[serde(rename = "type")]
    company_type: Option<String>,
    search: Option<String>,
    limit: Option<String>,
    page_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    Mapped,
    Unmapped,
}

/// A listing's filters: company type and search text.
type ListingKey = (Option<i64>, Option<String>);
/// When a listing was read, and the companies, sorted by id.
type Listing = (Instant, Arc<Vec<Company>>);

/// Company listings by their filters.
#[derive(Debug, Default)]
pub struct CompanyListings {
    entries: Mutex<HashMap<ListingKey, Listing>>,
}

impl CompanyListings {
    async fn get(
        &self,
        client: &AutotaskClient,
        company_type: Option<i64>,
        search: Option<String>,
    ) -> Result<Arc<Vec<Company>>, ApiError> {
        let key = (company_type, search);
        let mut entries = self.entries.lock().await;
        entries.retain(|_, (at, _)| at.elapsed() < LISTING_TTL);
        if let Some((_, companies)) = entries.get(&key) {
            return Ok(companies.clone());
        }
        // Company 0 is the MSP itself: never a customer to map.
        let mut query = Query::new(Filter::gt("id", 0i64)).include_fields([
            "id",
            "companyName",
            "companyType",
            "isActive",
        ]);
        if let Some(t) = key.0 {
            query = query.and(Filter::eq("companyType", t));
        }
        if let Some(text) = key.1.as_deref() {
            query = query.and(Filter::contains("companyName", text));
        }
        let mut companies = client
            .query::<Company>(&query)
            .await
            .map_err(|e| upstream("Autotask", e))?;
        companies.sort_by_key(|c| c.id);
        let companies = Arc::new(companies);
        entries.insert(key, (Instant::now(), companies.clone()));
        Ok(companies)
    }
}

/// Parsed and checked query parameters.
struct Filters {
    mapped: Which,
    company_type: Option<i64>,
    search: Option<String>,
    limit: usize,
    after: i64,
}

fn filters(q: AccountsQuery) -> Result<Filters, ApiError> {
    let mut errors = Vec::new();
    let mapped = match q.mapped.as_deref() {
        None | Some("all") => Which::All,
        Some("mapped") => Which::Mapped,
        Some("unmapped") => Which::Unmapped,
        Some(other) => {
            errors.push(FieldError::new(
                "mapped",
                format!("must be all, mapped or unmapped (got {})", quoted(other)),
            ));
            Which::All
        }
    };
    let company_type = match q.company_type.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(t)) if t > 0 => Some(t),
        Some(_) => {
            errors.push(FieldError::new(
                "type",
                "must be an Autotask company type id (a positive integer)",
            ));
            None
        }
    };
    let search = q
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        errors.push(FieldError::new("search", "at most 100 characters"));
    }
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new("limit", format!("must be 1..={MAX_LIMIT}")));
            DEFAULT_LIMIT
        }
    };
    let after = match q.page_token.as_deref().map(str::parse::<i64>) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => {
            errors.push(FieldError::new(
                "page_token",
                "not a token from a previous page",
            ));
            0
        }
    };
    if errors.is_empty() {
        Ok(Filters {
            mapped,
            company_type,
            search,
            limit,
            after,
        })
    } else {
        Err(ApiError::invalid(errors))
    }
}

pub async fn get(
    State(state): State<ApiState>,
    _caller: Caller,
    query: Result<QueryParams<AccountsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let QueryParams(query) = query.map_err(crate::routes::params::rejected)?;
    let f = filters(query)?;
    let mappings = all_mappings(&state).await?;
    let client = state.ctx.autotask().await?;
    let companies = state
        .accounts
        .get(&client, f.company_type, f.search.clone())
        .await?;

    let mut page: Vec<(&Company, Option<&CustomerMapping>)> = companies
        .iter()
        .filter(|c| c.id > f.after)
        .map(|c| (c, mappings.get(&c.id)))
        .filter(|(_, m)| match f.mapped {
            Which::All => true,
            Which::Mapped => m.is_some(),
            Which::Unmapped => m.is_none(),
        })
        .take(f.limit + 1)
        .collect();
    let next_page_token = (page.len() > f.limit).then(|| {
        page.truncate(f.limit);
        page.last().map(|(c, _)| c.id.to_string())
    });

    let mut unavailable = Vec::new();
    let tenants = match tenant_states(&state, page.iter().filter_map(|(_, m)| *m)).await {
        Ok(t) => t,
        Err(e) => {
            unavailable.push(e.message);
            BTreeMap::new()
        }
    };
    // What quota push last did for the mapped companies of this page (≤ 500: 5 batches).
    let mapped: Vec<i64> = page
        .iter()
        .filter(|(_, m)| m.is_some())
        .map(|(c, _)| c.id)
        .collect();
    // Conflicts in every listed company's contracts (mapped or not), from the snapshots
    // the contract poller stored.
    let snapshots = bridge_jobs::stored::snapshots(&state.ctx, page.iter().map(|(c, _)| c.id))
        .await
        .map_err(ApiError::from)?;
    let mut pushes = BTreeMap::new();
    let mut reports = BTreeMap::new();
    for chunk in mapped.chunks(100) {
        pushes.extend(state.ctx.store.get_quota_syncs(chunk).await?);
        reports.extend(state.ctx.store.get_usage_reports(chunk).await?);
    }
    let items: Vec<Value> = page
        .iter()
        .map(|(c, m)| {
            let push = pushes.get(&c.id).map(|p| &p.value);
            let report = reports.get(&c.id);
            let conflicts: Vec<String> = snapshots
                .get(&c.id)
                .and_then(Option::as_ref)
                .map(|s| s.value.conflict_notes())
                .unwrap_or_default();
            json!({
                "company_id": c.id,
                "contract_conflicts": conflicts,
                "company_name": c.company_name,
                "company_type": c.company_type,
                "active": c.is_active,
                "mapping": m.map(|m| json!({
                    "tenant_id": m.tenant_id,
                    "tenant_kind": m.tenant_kind.as_str(),
                    "origin": m.origin,
                    "created_at": m.created_at,
                    "no_services_since": m.no_services_since,
                    "held": bridge_jobs::provisioning::held_json(m),
                    "tenant": tenants.get(&m.tenant_id),
                    "quota_push": push.filter(|p| p.tenant_id == m.tenant_id).map(|p| json!({
                        "pushed_at": p.pushed_at,
                        "pushed_snapshot_version": p.pushed_snapshot_version,
                        "last_error": p.last_error,
                    })),
                    "usage_report": report.filter(|r| r.tenant_id == m.tenant_id).map(|r| json!({
                        "period": r.period,
                        "reported_at": r.reported_at,
                        "written": r.written,
                        "overuse": r.overuse,
                        "skipped": r.skipped,
                        "last_error": r.last_error,
                    })),
                })),
            })
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "next_page_token": next_page_token.flatten(),
        "unavailable": unavailable,
    })))
}

/// Every mapping, by company id.
pub(crate) async fn all_mappings(
    state: &ApiState,
) -> Result<BTreeMap<i64, CustomerMapping>, ApiError> {
    Ok(bridge_jobs::stored::all_mappings(&state.ctx).await?)
}

/// Name and guard state of the mapped tenants of a page (one batched Acronis read).
async fn tenant_states<'a>(
    state: &ApiState,
    mappings: impl Iterator<Item = &'a CustomerMapping>,
) -> Result<BTreeMap<String, Value>, ApiError> {
    let ids: Vec<String> = mappings.map(|m| m.tenant_id.clone()).collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let client = state.ctx.acronis().await?;
    let ours = client
        .tenant_id()
        .await
        .map_err(|e| upstream("Acronis", e))?;
    let tenants = client
        .get_tenants(&ids)
        .await
        .map_err(|e| upstream("Acronis", e))?;
    Ok(tenants
        .iter()
        .map(|t| (t.id.clone(), tenant_json(t, &ours)))
        .collect())
}

/// A tenant as the mapping screens show it, with why the bridge may not manage it.
pub(crate) fn tenant_json(t: &Tenant, ours: &str) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "enabled": t.enabled,
        "self_service": t.is_self_service(),
        // (unconfirmed) the guide's "Support Access disabled" is taken to be an update
        // lock held by someone other than the bridge's partner tenant.
        "support_access_disabled": t.is_locked_against(ours),
    })
}
