//! Alert → ticket: versioned rows in `alert_tickets`, listed by their sort key (company,
//! then alert key, as DynamoDB's index); skipped alerts in `skipped_alerts`, newest
//! first, purged of expired rows at each listing.

use async_trait::async_trait;
use bridge_core::records::{AlertTicket, Page, SkippedAlert, Versioned};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqlError, SqliteStore, check_version, decode, to_sql_version, to_version};
use crate::store::page_token::{self, TokenKey};
use crate::store::{
    AlertTicketStore, StoreError, StoreResult, alert_ticket_body, alert_ticket_sort_key,
    alert_ticket_what, alert_tickets_listing, alert_tickets_scope, audit_time_key,
    skipped_alert_body, validate,
};

const SKIPPED_SCOPE: &str = "skipped";

/// A stored row as the caller sees it; the body must be of the row's alert.
fn row_record(alert_key: &str, version: i64, body: &str) -> StoreResult<Versioned<AlertTicket>> {
    let what = alert_ticket_what(alert_key);
    let value: AlertTicket = decode(&what, body)?;
    if value.alert_key != alert_key {
        return Err(StoreError::corrupt(
            what,
            format!("body is of alert {}", value.alert_key),
        ));
    }
    Ok(Versioned {
        value,
        version: to_version(&what, version)?,
    })
}

fn current_version(conn: &Connection, alert_key: &str) -> Result<Option<u64>, SqlError> {
    let version: Option<i64> = conn
        .query_row(
            "SELECT version FROM alert_tickets WHERE alert_key = ?1",
            params![alert_key],
            |row| row.get(0),
        )
        .optional()?;
    Ok(version
        .map(|v| to_version(&alert_ticket_what(alert_key), v))
        .transpose()?)
}

/// One more row than the page asks for tells whether another page follows.
fn page_of<T, K>(rows: Vec<(K, T)>, limit: u32) -> (Vec<T>, Option<K>) {
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    let mut last = None;
    for (key, item) in rows.into_iter().take(limit as usize) {
        items.push(item);
        last = Some(key);
    }
    (items, last.filter(|_| more))
}

#[async_trait]
impl AlertTicketStore for SqliteStore {
    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        let alert_key = alert_key.to_owned();
        self.run("get_alert_ticket", move |conn| {
            let row: Option<(i64, String)> = conn
                .query_row(
                    "SELECT version, body FROM alert_tickets WHERE alert_key = ?1",
                    params![alert_key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(row
                .map(|(version, body)| row_record(&alert_key, version, &body))
                .transpose()?)
        })
        .await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = alert_ticket_body(ticket)?;
        let alert_key = ticket.alert_key.clone();
        let company_id = ticket.company_id;
        let sort_key = alert_ticket_sort_key(company_id, &alert_key);
        self.write("put_alert_ticket", move |tx| {
            let current = current_version(tx, &alert_key)?;
            check_version(&alert_ticket_what(&alert_key), current, expected_version)?;
            let next = current.unwrap_or(0) + 1;
            tx.execute(
                "INSERT INTO alert_tickets (alert_key, sort_key, company_id, version, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (alert_key) DO UPDATE SET sort_key = excluded.sort_key,
                     company_id = excluded.company_id, version = excluded.version,
                     body = excluded.body",
                params![alert_key, sort_key, company_id, to_sql_version(next)?, body],
            )?;
            Ok(next)
        })
        .await
    }

    async fn list_alert_tickets(
        &self,
        company_id: Option<i64>,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<Versioned<AlertTicket>>> {
        let limit = alert_tickets_listing(company_id, limit)?;
        let scope = alert_tickets_scope(company_id);
        let after = page_token
            .map(|token| page_token::decode(token, &["scope", "sort_key"], "scope", &scope))
            .transpose()?
            .map(|key| key["sort_key"].clone());
        self.run("list_alert_tickets", move |conn| {
            let mut stmt = conn.prepare(
                "SELECT sort_key, alert_key, version, body FROM alert_tickets
                 WHERE (?1 IS NULL OR company_id = ?1) AND (?2 IS NULL OR sort_key > ?2)
                 ORDER BY sort_key LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![company_id, after, i64::from(limit) + 1], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let rows = rows
                .into_iter()
                .map(|(sort_key, alert_key, version, body)| {
                    Ok((sort_key, row_record(&alert_key, version, &body)?))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let (items, last) = page_of(rows, limit);
            let next_page_token = last.map(|sort_key| {
                page_token::encode(&TokenKey::from([
                    ("scope".to_owned(), scope),
                    ("sort_key".to_owned(), sort_key),
                ]))
            });
            Ok(Page {
                items,
                next_page_token,
            })
        })
        .await
    }

    async fn put_skipped_alert(&self, skipped: &SkippedAlert) -> StoreResult<()> {
        let (body, expires_ms) = skipped_alert_body(skipped)?;
        let alert_key = skipped.alert_key.clone();
        let at_key = audit_time_key(skipped.at);
        self.write("put_skipped_alert", move |tx| {
            tx.execute(
                "INSERT INTO skipped_alerts (alert_key, at_key, expires_ms, body)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (alert_key) DO UPDATE SET at_key = excluded.at_key,
                     expires_ms = excluded.expires_ms, body = excluded.body",
                params![alert_key, at_key, expires_ms, body],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_skipped_alerts(
        &self,
        limit: u32,
        page_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<SkippedAlert>> {
        let limit = validate::limit(limit)?;
        let after = page_token
            .map(|token| {
                page_token::decode(
                    token,
                    &["scope", "at_key", "alert_key"],
                    "scope",
                    SKIPPED_SCOPE,
                )
            })
            .transpose()?;
        let (after_at, after_key) = match &after {
            Some(key) => (Some(key["at_key"].clone()), Some(key["alert_key"].clone())),
            None => (None, None),
        };
        let now_ms = now.timestamp_millis();
        self.run("list_skipped_alerts", move |conn| {
            // Retention: purge what has expired, and filter in the query anyway.
            conn.execute(
                "DELETE FROM skipped_alerts WHERE expires_ms <= ?1",
                params![now_ms],
            )?;
            let mut stmt = conn.prepare(
                "SELECT at_key, alert_key, body FROM skipped_alerts
                 WHERE expires_ms > ?1 AND (?2 IS NULL OR (at_key, alert_key) < (?2, ?3))
                 ORDER BY at_key DESC, alert_key DESC LIMIT ?4",
            )?;
            let rows = stmt
                .query_map(
                    params![now_ms, after_at, after_key, i64::from(limit) + 1],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                        ))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let rows = rows
                .into_iter()
                .map(|(at_key, alert_key, body)| {
                    let skipped: SkippedAlert =
                        decode(&format!("skipped alert {alert_key}"), &body)?;
                    Ok(((at_key, alert_key), skipped))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let (items, last) = page_of(rows, limit);
            let next_page_token = last.map(|(at_key, alert_key)| {
                page_token::encode(&TokenKey::from([
                    ("scope".to_owned(), SKIPPED_SCOPE.to_owned()),
                    ("at_key".to_owned(), at_key),
                    ("alert_key".to_owned(), alert_key),
                ]))
            });
            Ok(Page {
                items,
                next_page_token,
            })
        })
        .await
    }
}
