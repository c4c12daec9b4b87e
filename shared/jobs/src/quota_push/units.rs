//! The Autotask side of two-way sync: a quota changed by hand in Acronis becomes a
//! ContractServiceAdjustment, as the MSP's staff would make it in the Autotask console.
//!
//! The delta is never computed from the snapshot: right before writing, the
//! ContractServiceUnits row covering today is read again, and the adjustment is
//! `unitChange = target − current` effective today. An adjustment cannot be read back,
//! so the poller's next run sees its effect in the units and stores a new snapshot.

use crate::{JobError, contract_units};
use autotask::AutotaskClient;
use bridge_core::quota_push::UnitChange;
use chrono::NaiveDate;

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
    let rows = contract_units::covering(autotask, change.contract_service_id, today).await?;
    let before = rows.iter().map(|r| r.units.unwrap_or(0)).max().unwrap_or(0);
    let delta = change.to_units - before;
    if delta == 0 {
        return Ok(Adjusted {
            before,
            after: before,
            adjustment_id: None,
        });
    }
    let id = contract_units::adjust(
        autotask,
        change.contract_id,
        change.contract_service_id,
        today,
        delta,
    )
    .await?;
    Ok(Adjusted {
        before,
        after: change.to_units,
        adjustment_id: Some(id),
    })
}
