//! Leases (the `leases` table) and cursors (`cursor` documents).

use std::time::Duration;

use async_trait::async_trait;
use bridge_core::records::{Lease, Versioned};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqlError, SqliteStore, kind};
use crate::store::{LeaseStore, StoreResult, lease_from_millis, lease_span, validate};

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn get_cursor(&self, name: &str) -> StoreResult<Option<Versioned<String>>> {
        validate::name("cursor name", name)?;
        self.get_doc(kind::CURSOR, name.to_owned()).await
    }

    async fn put_cursor(
        &self,
        name: &str,
        value: &str,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("cursor name", name)?;
        self.put_doc(kind::CURSOR, name.to_owned(), &value, expected_version)
            .await
    }

    async fn acquire_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>> {
        let (now_ms, expires_ms) = lease_span(job, holder, ttl, now)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("acquire_lease", move |tx| {
            // Taken when free, expired, or already ours — the DynamoDB condition, verbatim.
            let taken = tx.execute(
                "INSERT INTO leases (job, holder, acquired_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (job) DO UPDATE SET holder = excluded.holder,
                     acquired_ms = excluded.acquired_ms, expires_ms = excluded.expires_ms
                 WHERE leases.expires_ms <= ?3 OR leases.holder = ?2",
                params![job, holder, now_ms, expires_ms],
            )?;
            if taken == 0 {
                return Ok(None);
            }
            Ok(Some(lease_from_millis(&job, &holder, now_ms, expires_ms)?))
        })
        .await
    }

    async fn renew_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Lease>> {
        let (_, expires_ms) = lease_span(job, holder, ttl, now)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("renew_lease", move |tx| {
            let acquired_ms: Option<i64> = tx
                .query_row(
                    "UPDATE leases SET expires_ms = ?3 WHERE job = ?1 AND holder = ?2
                     RETURNING acquired_ms",
                    params![job, holder, expires_ms],
                    |row| row.get(0),
                )
                .optional()?;
            acquired_ms
                .map(|acquired_ms| lease_from_millis(&job, &holder, acquired_ms, expires_ms))
                .transpose()
                .map_err(SqlError::Store)
        })
        .await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<bool> {
        validate::name("job", job)?;
        validate::name("holder", holder)?;
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write("release_lease", move |tx| {
            let deleted = tx.execute(
                "DELETE FROM leases WHERE job = ?1 AND holder = ?2",
                params![job, holder],
            )?;
            Ok(deleted == 1)
        })
        .await
    }
}
