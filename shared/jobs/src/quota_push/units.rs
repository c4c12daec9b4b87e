//! The Autotask side of two-way sync: a quota changed by hand in Acronis becomes a
//! ContractServiceAdjustment, as the MSP's staff would make it in the Autotask console.
//!
//! The delta is never computed from the snapshot: right before writing, the
//! ContractServiceUnits row covering today is read again, and the adjustment is
//! `unitChange = target − current` effective today. An adjustment cannot be read back,
//! so the poller's next run sees its effect in the units and stores a new snapshot.

use crate::JobError;
use autotask::AutotaskClient;
use autotask::models::ContractServiceUnit;
use autotask::query::{Filter, Query};
use bridge_core::quota_push::UnitChange;
use chrono::NaiveDate;
use serde_json::json;

/// What was written: the units before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjusted {
    pub before: i64,
    pub after: i64,
    /// The adjustment's id, `None` when the units were already at the target.
    pub adjustment_id: Option<i64>,
}

/// Moves the contract service's units to `change.to_units`, effective `today`.
pub async fn apply(
    autotask: &AutotaskClient,
    change: &UnitChange,
    today: NaiveDate,
) -> Result<Adjusted, JobError> {
    let query = Query::new(Filter::eq("contractServiceID", change.contract_service_id))
        .and(Filter::lte("startDate", today))
        .and(Filter::gte("endDate", today));
    let rows: Vec<ContractServiceUnit> = autotask.query(&query).await?;
    let before = rows.iter().map(|r| r.units.unwrap_or(0)).max().unwrap_or(0);
    let delta = change.to_units - before;
    if delta == 0 {
        return Ok(Adjusted {
            before,
            after: before,
            adjustment_id: None,
        });
    }
    let body = json!({
        "contractID": change.contract_id,
        "contractServiceID": change.contract_service_id,
        "effectiveDate": format!("{today}T00:00:00Z"),
        "unitChange": delta,
    });
    let id = autotask
        .create_child("Contracts", change.contract_id, "ServiceAdjustments", &body)
        .await?;
    Ok(Adjusted {
        before,
        after: change.to_units,
        adjustment_id: Some(id),
    })
}
