//! The poller's one cursor document: how far it has read, written only after the work
//! behind it is committed (a run that dies replays its window; unchanged fingerprints
//! make the replay send nothing twice).

use crate::{Context, JobError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The cursor's name in the store.
pub const NAME: &str = "contract-poller";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PollCursor {
    /// Largest `Contracts.lastModifiedDateTime` read (Autotask's clock, not ours).
    pub contracts_modified: Option<DateTime<Utc>>,
    /// Largest `ContractServiceUnits.id` read: every new contract service and every unit
    /// adjustment that splits a period adds rows with higher ids.
    pub service_units_id: i64,
    /// The same for `ContractServiceBundleUnits`.
    pub bundle_units_id: i64,
    /// When the last full sweep finished.
    pub last_sweep: Option<DateTime<Utc>>,
    /// The "Acronis PAYG" UDF is known to exist (a list: with its Yes and No items): no
    /// request is spent on it again.
    pub payg_udf_ready: bool,
    /// Values of a list "Acronis PAYG" that are not Yes/No themselves (e.g. "1"), mapped
    /// to their Yes/No label; empty for a text UDF or a list exported as Yes/No.
    pub payg_labels: BTreeMap<String, String>,
    /// Companies whose change event could not be sent; the next run sends them again.
    pub unannounced: Vec<i64>,
    /// Companies whose deprovisioning the blast-radius guard holds: every poll reads
    /// them again, so a release is applied (and services that return clear the hold)
    /// within a minute, not at the nightly sweep.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<i64>,
    /// `bridge_core::policy::fingerprint` of the settings the last run used; a
    /// different one makes the next run a sweep.
    pub settings: Option<String>,
    /// The last run stopped at its deadline before every company's provisioning was
    /// applied: the next run sweeps, and what the stopped one committed (snapshots,
    /// tenants, mappings) plans as done.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sweep_unfinished: bool,
}

impl PollCursor {
    /// Nothing was ever committed: the first run is a full sweep.
    pub fn is_new(&self) -> bool {
        self.last_sweep.is_none() && self.contracts_modified.is_none()
    }

    /// Moves forward only (a sweep never rewinds what polls have read).
    pub fn advance(&mut self, read: &ReadMarks) {
        if read.contracts_modified > self.contracts_modified {
            self.contracts_modified = read.contracts_modified;
        }
        self.service_units_id = self.service_units_id.max(read.service_units_id);
        self.bundle_units_id = self.bundle_units_id.max(read.bundle_units_id);
    }
}

/// The high-water marks of what one run read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadMarks {
    pub contracts_modified: Option<DateTime<Utc>>,
    pub service_units_id: i64,
    pub bundle_units_id: i64,
}

/// The stored cursor and its version (`None`: never written).
pub async fn load(ctx: &Context) -> Result<(PollCursor, Option<u64>), JobError> {
    let Some(stored) = ctx.store.get_cursor(NAME).await? else {
        return Ok((PollCursor::default(), None));
    };
    let cursor = serde_json::from_str(&stored.value).map_err(|e| {
        JobError::Invalid(format!(
            "cursor {NAME:?} in the store is not readable ({e}); delete it to start over with a full sweep"
        ))
    })?;
    Ok((cursor, Some(stored.version)))
}

pub async fn save(
    ctx: &Context,
    cursor: &PollCursor,
    version: Option<u64>,
) -> Result<(), JobError> {
    let text = serde_json::to_string(cursor)
        .map_err(|e| JobError::Invalid(format!("cursor {NAME:?}: {e}")))?;
    ctx.store.put_cursor(NAME, &text, version).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_never_rewinds() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        let mut cursor = PollCursor {
            contracts_modified: Some(t("2026-11-25T10:00:00Z")),
            service_units_id: 50,
            bundle_units_id: 7,
            ..PollCursor::default()
        };
        assert!(!cursor.is_new());
        cursor.advance(&ReadMarks {
            contracts_modified: Some(t("2026-11-25T09:00:00Z")),
            service_units_id: 60,
            bundle_units_id: 3,
        });
        assert_eq!(cursor.contracts_modified, Some(t("2026-11-25T10:00:00Z")));
        assert_eq!((cursor.service_units_id, cursor.bundle_units_id), (60, 7));
        assert!(PollCursor::default().is_new());
        let old: PollCursor = serde_json::from_str(r#"{"service_units_id": 3}"#).expect("old");
        assert_eq!(old.service_units_id, 3);
    }
}
