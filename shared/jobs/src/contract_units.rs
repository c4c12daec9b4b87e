//! Contract service units in Autotask, as both billing jobs write them.
//!
//! A unit count is changed by a ContractServiceAdjustment: additive, create-only, never
//! readable back. So the delta is always computed from ContractServiceUnits rows read
//! right before the write, never from a stored snapshot, and a write that may have
//! happened is never sent again without reading the rows first.

use autotask::AutotaskClient;
use autotask::models::ContractServiceUnit;
use autotask::query::{Filter, Query};
use chrono::NaiveDate;
use serde_json::json;
use std::collections::BTreeMap;

use crate::JobError;

/// Adds `unit_change` units (negative removes) to a contract service from `effective`;
/// returns the adjustment's id.
pub async fn adjust(
    autotask: &AutotaskClient,
    contract_id: i64,
    contract_service_id: i64,
    effective: NaiveDate,
    unit_change: i64,
) -> Result<i64, JobError> {
    let body = json!({
        "contractID": contract_id,
        "contractServiceID": contract_service_id,
        "effectiveDate": format!("{effective}T00:00:00Z"),
        "unitChange": unit_change,
    });
    Ok(autotask
        .create_child("Contracts", contract_id, "ServiceAdjustments", &body)
        .await?)
}

/// The units rows of one contract service that cover `day` (normally one).
pub async fn covering(
    autotask: &AutotaskClient,
    contract_service_id: i64,
    day: NaiveDate,
) -> Result<Vec<ContractServiceUnit>, JobError> {
    let query = Query::new(Filter::eq("contractServiceID", contract_service_id))
        .and(Filter::lte("startDate", day))
        .and(Filter::gte("endDate", day));
    Ok(autotask.query(&query).await?)
}

/// The units rows of many contract services that overlap `from..=until`, by contract
/// service, read with as few queries as the API's OR-condition cap allows (a contract
/// service has a row per billing period; the bounds keep the years ahead unread).
pub async fn rows_between(
    autotask: &AutotaskClient,
    contract_service_ids: &[i64],
    from: NaiveDate,
    until: NaiveDate,
) -> Result<BTreeMap<i64, Vec<ContractServiceUnit>>, JobError> {
    let mut out: BTreeMap<i64, Vec<ContractServiceUnit>> = BTreeMap::new();
    if contract_service_ids.is_empty() {
        return Ok(out);
    }
    let base = Query::new(Filter::gte("endDate", from)).and(Filter::lte("startDate", until));
    let rows: Vec<ContractServiceUnit> = autotask
        .query_in_chunks("contractServiceID", contract_service_ids, &base)
        .await?;
    for row in rows {
        if let Some(id) = row.contract_service_id {
            out.entry(id).or_default().push(row);
        }
    }
    for rows in out.values_mut() {
        rows.sort_by_key(|r| r.start_date);
    }
    Ok(out)
}
