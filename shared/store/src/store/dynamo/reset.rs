//! Forgetting one Autotask database: a Scan of the key attributes, keeping only the
//! families that belong to the database, and batched deletes. The table has no index of
//! every company's items, so a Scan is the one way to find them all; it runs once, when
//! an operator starts over with another database.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{Item, attr, backend, get_s, key, s};
use crate::store::{DatabaseResetStore, StoreResult};

/// Scan segments read at once.
const SEGMENTS: i32 = 4;

/// Which family an item belongs to, by its keys; `None` for what is kept.
fn family(pk: &str, sk: &str) -> Option<&'static str> {
    if pk == key::MAPPINGS_PK {
        return Some("customer_mappings");
    }
    if pk == key::PENDING_PK {
        return Some("pending_provisionings");
    }
    let (prefix, _) = pk.split_once('#')?;
    match (prefix, sk) {
        // The tenant side of a mapping goes with it; counted once, on the company side.
        ("TENANT", key::TENANT_MAPPING_SK) => Some(""),
        ("COMPANY", key::CONTRACTS_SK) => Some("contract_snapshots"),
        ("COMPANY", key::QUOTA_SYNC_SK) => Some("quota_syncs"),
        ("COMPANY", key::USAGE_REPORT_SK) => Some("usage_reports"),
        ("CURSOR", _) => Some("cursors"),
        ("USAGE", _) => Some("usage_ledger"),
        ("ALERT", _) => Some("alert_tickets"),
        ("SKIPPED", _) => Some("skipped_alerts"),
        _ => None,
    }
}

#[async_trait]
impl DatabaseResetStore for DynamoStore {
    async fn forget_database(&self) -> StoreResult<BTreeMap<String, u64>> {
        let segments = (0..SEGMENTS).map(|segment| self.forget_segment(segment));
        let mut counts = BTreeMap::new();
        for done in futures_util::future::join_all(segments).await {
            for (family, n) in done? {
                *counts.entry(family).or_insert(0) += n;
            }
        }
        Ok(counts)
    }
}

impl DynamoStore {
    /// One segment of the Scan: each page's matching keys are deleted before the next
    /// page is read, so memory stays at one page.
    async fn forget_segment(&self, segment: i32) -> StoreResult<BTreeMap<String, u64>> {
        let mut counts = BTreeMap::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .segment(segment)
                .total_segments(SEGMENTS)
                .projection_expression("PK, SK")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| backend("scan", e))?;
            let mut doomed = Vec::new();
            for item in out.items.unwrap_or_default() {
                let pk = get_s(&item, attr::PK, "scanned key").unwrap_or_default();
                let sk = get_s(&item, attr::SK, "scanned key").unwrap_or_default();
                if let Some(family) = family(pk, sk) {
                    if !family.is_empty() {
                        *counts.entry(family.to_owned()).or_insert(0) += 1;
                    }
                    let key: Item = [(attr::PK.to_owned(), s(pk)), (attr::SK.to_owned(), s(sk))]
                        .into_iter()
                        .collect();
                    doomed.push(key);
                }
            }
            self.batch_delete(doomed).await?;
            match out.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(counts),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn only_the_database_families_are_forgotten() {
        for (pk, sk, want) in [
            (
                "MAPPINGS",
                "COMPANY#00000000000000000180",
                Some("customer_mappings"),
            ),
            ("TENANT#abc", "MAPPING", Some("")),
            (
                "COMPANY#00000000000000000180",
                "CONTRACTS",
                Some("contract_snapshots"),
            ),
            (
                "COMPANY#00000000000000000180",
                "QUOTA_SYNC",
                Some("quota_syncs"),
            ),
            (
                "COMPANY#00000000000000000180",
                "USAGE_REPORT",
                Some("usage_reports"),
            ),
            (
                "PENDING",
                "COMPANY#00000000000000000180",
                Some("pending_provisionings"),
            ),
            ("CURSOR#contract-poller", "CURSOR", Some("cursors")),
            (
                "USAGE#00000000000000000007",
                "PERIOD#2026-11",
                Some("usage_ledger"),
            ),
            ("ALERT#t/a", "ALERT", Some("alert_tickets")),
            ("SKIPPED#t/a", "SKIPPED", Some("skipped_alerts")),
            ("USAGEDAY#abc", "DAY#2026-11-01", None),
            ("SETTINGS", "SETTINGS", None),
            ("SETTINGS", "DATABASE", None),
            ("AUDIT", "2026#x", None),
            ("JOBS", "JOB#quota-push", None),
            ("LEASE#quota-push", "LEASE", None),
        ] {
            assert_eq!(family(pk, sk), want, "{pk} {sk}");
        }
    }
}
