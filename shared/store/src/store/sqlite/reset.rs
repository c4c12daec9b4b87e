//! Forgetting one Autotask database: one transaction over the families that belong
//! to it.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{SqliteStore, kind};
use crate::store::{DatabaseResetStore, StoreResult};

/// Each family and the statement that deletes it.
const FAMILIES: &[(&str, &str)] = &[
    ("customer_mappings", "DELETE FROM customer_mappings"),
    ("quota_syncs", "DELETE FROM quota_syncs"),
    ("usage_ledger", "DELETE FROM usage_ledger"),
    ("usage_reports", "DELETE FROM usage_reports"),
    ("alert_tickets", "DELETE FROM alert_tickets"),
    ("skipped_alerts", "DELETE FROM skipped_alerts"),
];

/// Families kept as single documents, by their kind.
const DOCUMENTS: &[(&str, &str)] = &[
    ("contract_snapshots", kind::CONTRACT_SNAPSHOT),
    ("pending_provisionings", kind::PENDING_PROVISIONING),
    ("cursors", kind::CURSOR),
    ("alert_tickets", kind::ALERT_TICKET),
];

#[async_trait]
impl DatabaseResetStore for SqliteStore {
    async fn forget_database(&self) -> StoreResult<BTreeMap<String, u64>> {
        self.write("forget_database", |tx| {
            let mut counts = BTreeMap::new();
            let mut count = |family: &str, n: usize| {
                if n > 0 {
                    *counts.entry(family.to_owned()).or_insert(0) += n as u64;
                }
            };
            for (family, statement) in FAMILIES {
                count(family, tx.execute(statement, [])?);
            }
            for (family, kind) in DOCUMENTS {
                count(
                    family,
                    tx.execute("DELETE FROM documents WHERE kind = ?1", [kind])?,
                );
            }
            Ok(counts)
        })
        .await
    }
}
