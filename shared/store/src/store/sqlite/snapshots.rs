//! Contract snapshots and pending provisionings: documents of their own kinds.

use async_trait::async_trait;
use bridge_core::contracts::CompanySnapshot;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::Versioned;
use rusqlite::params;

use super::{SqlError, SqliteStore, decode, kind, pending_key, to_version};
use crate::store::{SnapshotStore, StoreError, StoreResult, pending_what, validate};

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn get_contract_snapshot(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<CompanySnapshot>>> {
        self.get_doc(kind::CONTRACT_SNAPSHOT, company_id.to_string())
            .await
    }

    async fn put_contract_snapshot(
        &self,
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::id("company_id", snapshot.company_id)?;
        let key = snapshot.company_id.to_string();
        self.put_doc(kind::CONTRACT_SNAPSHOT, key, snapshot, expected_version)
            .await
    }

    async fn get_pending_provisioning(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<PendingProvisioning>>> {
        validate::id("company_id", company_id)?;
        self.get_doc(kind::PENDING_PROVISIONING, pending_key(company_id))
            .await
    }

    async fn put_pending_provisioning(
        &self,
        pending: &PendingProvisioning,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let company_id = pending.tenant.company_id;
        validate::id("tenant.company_id", company_id)?;
        self.put_doc(
            kind::PENDING_PROVISIONING,
            pending_key(company_id),
            pending,
            expected_version,
        )
        .await
    }

    async fn delete_pending_provisioning(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        self.write("delete_pending_provisioning", move |tx| {
            let deleted = tx.execute(
                "DELETE FROM documents WHERE kind = ?1 AND key = ?2",
                params![kind::PENDING_PROVISIONING, pending_key(company_id)],
            )?;
            if deleted == 0 {
                return Err(SqlError::Store(StoreError::NotFound {
                    what: pending_what(company_id),
                }));
            }
            Ok(())
        })
        .await
    }

    async fn list_pending_provisioning(&self) -> StoreResult<Vec<Versioned<PendingProvisioning>>> {
        self.run("list_pending_provisioning", |conn| {
            let mut stmt = conn
                .prepare("SELECT key, version, body FROM documents WHERE kind = ?1 ORDER BY key")?;
            let rows = stmt.query_map(params![kind::PENDING_PROVISIONING], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (key, version, body) = row?;
                let what = format!("{} {key}", kind::PENDING_PROVISIONING);
                out.push(Versioned {
                    value: decode(&what, &body)?,
                    version: to_version(&what, version)?,
                });
            }
            Ok(out)
        })
        .await
    }
}
