//! The change event the contract poller sends to quota push.
//!
//! The poller is the only reader of Autotask contracts (DESIGN.md); when it stores a new
//! contract snapshot for a company it announces it with this event, and quota push
//! recomputes that one company from the snapshot. On EventBridge the struct is the
//! `detail` of an event with [`SOURCE`] and [`DETAIL_TYPE`]; in local mode it travels
//! through an in-process channel unchanged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The EventBridge `source` of every event the bridge sends.
pub const SOURCE: &str = "acronis-autotask-bridge";

/// The EventBridge `detail-type` of [`CompanyContractsChanged`].
pub const DETAIL_TYPE: &str = "Company contracts changed";

/// The detail schema version this build writes and understands. Bumped when a field is
/// removed or changes meaning; adding an optional field does not bump it (consumers
/// ignore fields they do not know).
pub const DETAIL_VERSION: u32 = 1;

/// What the poller saw change. Informational: quota push recomputes the whole company
/// whatever the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    ContractAdded,
    ContractChanged,
    ServicesChanged,
    ContractEnded,
    /// Sent by the nightly full sweep for every mapped company.
    Sweep,
    /// A reason added by a newer writer; treated like any other.
    #[serde(other)]
    Other,
}

/// A company's contract snapshot changed: recompute its quotas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyContractsChanged {
    /// Always [`DETAIL_VERSION`] when written by this build.
    pub version: u32,
    /// Autotask `Companies.id`.
    pub company_id: i64,
    /// Version of the stored contract snapshot this event announces; a consumer that
    /// finds an older snapshot in the store knows the event is ahead and may retry.
    pub snapshot_version: u64,
    pub changed_at: DateTime<Utc>,
    pub reason: ChangeReason,
}

/// Why an event detail was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error(
        "event detail version {found} is not supported (this build reads version {DETAIL_VERSION})"
    )]
    UnsupportedVersion { found: u64 },
    #[error("event detail has no numeric `version` field")]
    MissingVersion,
    /// Event details carry no secrets, so serde's message is kept, cut to a bounded
    /// length (it may quote a field's whole value).
    #[error("malformed event detail: {0}")]
    Malformed(String),
}

impl CompanyContractsChanged {
    pub fn new(
        company_id: i64,
        snapshot_version: u64,
        changed_at: DateTime<Utc>,
        reason: ChangeReason,
    ) -> Self {
        Self {
            version: DETAIL_VERSION,
            company_id,
            snapshot_version,
            changed_at,
            reason,
        }
    }

    /// The `detail` JSON text to send.
    pub fn to_detail(&self) -> String {
        // A struct of plain numbers, strings and an enum cannot fail to serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a received `detail`, refusing versions this build does not know before
    /// looking at anything else.
    pub fn from_detail(detail: &Value) -> Result<Self, EventError> {
        let version = detail
            .get("version")
            .and_then(Value::as_u64)
            .ok_or(EventError::MissingVersion)?;
        if version != u64::from(DETAIL_VERSION) {
            return Err(EventError::UnsupportedVersion { found: version });
        }
        serde_path_to_error::deserialize(detail).map_err(|e| {
            let message = format!("at `{}`: {}", e.path(), e.inner());
            EventError::Malformed(crate::text::bounded(&message, 300))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> CompanyContractsChanged {
        CompanyContractsChanged::new(
            29684512,
            7,
            "2025-03-01T10:00:00Z".parse().expect("timestamp"),
            ChangeReason::ServicesChanged,
        )
    }

    #[test]
    fn detail_has_the_documented_shape() {
        let detail: Value = serde_json::from_str(&event().to_detail()).expect("json");
        assert_eq!(
            detail,
            json!({
                "version": 1,
                "company_id": 29684512,
                "snapshot_version": 7,
                "changed_at": "2025-03-01T10:00:00Z",
                "reason": "services_changed"
            })
        );
        assert_eq!(CompanyContractsChanged::from_detail(&detail), Ok(event()));
    }

    #[test]
    fn unknown_versions_are_refused() {
        let mut detail: Value = serde_json::to_value(event()).expect("json");
        detail["version"] = json!(2);
        assert_eq!(
            CompanyContractsChanged::from_detail(&detail),
            Err(EventError::UnsupportedVersion { found: 2 })
        );
        detail["version"] = json!("1");
        assert_eq!(
            CompanyContractsChanged::from_detail(&detail),
            Err(EventError::MissingVersion)
        );
    }

    #[test]
    fn newer_optional_fields_and_reasons_are_tolerated() {
        let mut detail: Value = serde_json::to_value(event()).expect("json");
        detail["reason"] = json!("tenant_moved");
        detail["added_later"] = json!(true);
        let read = CompanyContractsChanged::from_detail(&detail).expect("tolerated");
        assert_eq!(read.reason, ChangeReason::Other);
        assert_eq!(read.company_id, 29684512);
    }

    #[test]
    fn malformed_detail_names_the_field() {
        let detail = json!({"version": 1, "company_id": "x"});
        let err = CompanyContractsChanged::from_detail(&detail).expect_err("malformed");
        assert!(
            matches!(err, EventError::Malformed(ref m) if m.contains("invalid type")),
            "{err}"
        );
        let detail = json!({"version": 1, "snapshot_version": 1});
        let err = CompanyContractsChanged::from_detail(&detail).expect_err("missing");
        assert!(err.to_string().contains("company_id"), "{err}");
    }
}
