//! Usage history: one row per tenant and day in `usage_days` (purged of expired rows at
//! each write), one row per company in `usage_reports`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use bridge_core::records::{UsageDay, UsageReport};
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params, params_from_iter};

use super::SqliteStore;
use crate::store::{
    MAX_USAGE_HISTORY_KEYS, StoreResult, UsageHistoryStore, batch_ids, latest_by_key,
    usage_day_body, usage_day_key, usage_day_range, usage_day_record, usage_history_cutoff,
    usage_report_body, usage_report_record, usage_tenant_ids,
};

#[async_trait]
impl UsageHistoryStore for SqliteStore {
    async fn put_usage_days(&self, days: &[UsageDay]) -> StoreResult<()> {
        let rows: Vec<(String, String, String)> = latest_by_key(
            days,
            |d| (d.tenant_id.clone(), usage_day_key(d.day)),
            usage_day_body,
        )?
        .into_iter()
        .map(|((tenant_id, day), _, body)| (tenant_id, day, body))
        .collect();
        // The records were read just now: the newest of them tells what has expired.
        let Some(cutoff) = days
            .iter()
            .map(|d| d.seen_at)
            .max()
            .map(|now| usage_history_cutoff(now).map(usage_day_key))
        else {
            return Ok(());
        };
        self.write("put_usage_days", move |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO usage_days (tenant_id, day, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id, day) DO UPDATE SET body = excluded.body",
            )?;
            for (tenant_id, day, body) in &rows {
                upsert.execute(params![tenant_id, day, body])?;
            }
            if let Some(cutoff) = cutoff {
                tx.execute("DELETE FROM usage_days WHERE day <= ?1", params![cutoff])?;
            }
            Ok(())
        })
        .await
    }

    async fn latest_usage_days(
        &self,
        tenant_ids: &[String],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<BTreeMap<String, UsageDay>> {
        let tenants = usage_tenant_ids(tenant_ids)?;
        let (from, to) = usage_day_range(from, to)?;
        if tenants.is_empty() {
            return Ok(BTreeMap::new());
        }
        self.run("latest_usage_days", move |conn| {
            let mut latest = conn.prepare_cached(
                "SELECT day, body FROM usage_days
                 WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3
                 ORDER BY day DESC LIMIT 1",
            )?;
            let mut out = BTreeMap::new();
            for tenant_id in tenants {
                let row: Option<(String, String)> = latest
                    .query_row(params![tenant_id, from, to], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()?;
                if let Some((day, body)) = row {
                    let record = usage_day_record(&tenant_id, &day, &body)?;
                    out.insert(tenant_id, record);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn put_usage_reports(&self, reports: &[UsageReport]) -> StoreResult<()> {
        let rows: Vec<(i64, String)> = latest_by_key(reports, |r| r.company_id, usage_report_body)?
            .into_iter()
            .map(|(company_id, _, body)| (company_id, body))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        self.write("put_usage_reports", move |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO usage_reports (company_id, body) VALUES (?1, ?2)
                 ON CONFLICT (company_id) DO UPDATE SET body = excluded.body",
            )?;
            for (company_id, body) in &rows {
                upsert.execute(params![company_id, body])?;
            }
            Ok(())
        })
        .await
    }

    async fn get_usage_reports(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, UsageReport>> {
        let ids = batch_ids("company_ids", company_ids, MAX_USAGE_HISTORY_KEYS)?;
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        self.run("get_usage_reports", move |conn| {
            let placeholders = vec!["?"; ids.len()].join(", ");
            let mut stmt = conn.prepare(&format!(
                "SELECT company_id, body FROM usage_reports WHERE company_id IN ({placeholders})"
            ))?;
            let rows = stmt.query_map(params_from_iter(&ids), |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut out = BTreeMap::new();
            for row in rows {
                let (company_id, body) = row?;
                out.insert(company_id, usage_report_record(company_id, &body)?);
            }
            Ok(out)
        })
        .await
    }
}
