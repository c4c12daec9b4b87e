//! The audit log: the `AUDIT` partition, newest first, and `GSI1` for one kind.

use async_trait::async_trait;
use bridge_core::records::{AuditEntry, AuditQuery, Page};
use chrono::{DateTime, Utc};

use aws_sdk_dynamodb::types::Put;

use super::item::{
    GSI1, Item, attr, backend, body, get_s, item_key, key, key_of, n, s, to_body, token_key,
};
use super::{DynamoStore, is_put_condition_failure, transaction_build};
use crate::store::page_token;
use crate::store::{AuditStore, StoreError, StoreResult, audit_time_key, validate};

#[async_trait]
impl AuditStore for DynamoStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let (item, what) = audit_item(entry)?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)");
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) if is_put_condition_failure(&err) => Err(StoreError::AlreadyExists { what }),
            Err(err) => Err(backend("append_audit", err)),
        }
    }

    async fn list_audit(
        &self,
        query: &AuditQuery,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<AuditEntry>> {
        if let Some(kind) = &query.kind {
            validate::name("kind", kind)?;
        }
        // Without a kind: the AUDIT partition of the table; with one: its GSI partition.
        let (index, pk_attr, sk_attr, partition) = match &query.kind {
            None => (None, attr::PK, attr::SK, key::AUDIT_PK.to_owned()),
            Some(kind) => (
                Some(GSI1),
                attr::GSI1PK,
                attr::GSI1SK,
                key::audit_kind(kind),
            ),
        };
        let token_fields: &[&str] = match index {
            None => &[attr::PK, attr::SK],
            Some(_) => &[attr::PK, attr::SK, attr::GSI1PK, attr::GSI1SK],
        };
        let start = query
            .page_token
            .as_deref()
            .map(|token| page_token::decode(token, token_fields, pk_attr, &partition))
            .transpose()?
            .map(item_key);
        // Sort keys are "<time>#<id>": `>= since` keeps entries at `since`, `< until`
        // drops entries at `until`, the same bounds the SQLite adapter applies.
        let since = query.since.map(audit_time_key);
        let until = query.until.map(audit_time_key);
        let range = match (&since, &until) {
            (Some(_), Some(_)) => " AND #sk BETWEEN :since AND :until",
            (Some(_), None) => " AND #sk >= :since",
            (None, Some(_)) => " AND #sk < :until",
            (None, None) => "",
        };
        let key_condition = format!("#pk = :pk{range}");
        let now_ms = now.timestamp_millis();
        let build = || {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression(&key_condition)
                .filter_expression("attribute_not_exists(#expires) OR #expires > :now")
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_names("#expires", attr::EXPIRES_MS)
                .expression_attribute_values(":pk", s(&partition))
                .expression_attribute_values(":now", n(now_ms))
                .scan_index_forward(false)
                // A GSI read is eventually consistent; the table's own can be strong.
                .consistent_read(index.is_none());
            if !range.is_empty() {
                q = q.expression_attribute_names("#sk", sk_attr);
            }
            if let Some(since) = &since {
                q = q.expression_attribute_values(":since", s(since));
            }
            if let Some(until) = &until {
                q = q.expression_attribute_values(":until", s(until));
            }
            q
        };
        let limit = query.effective_limit();
        let (items, last) = self.query_page("list_audit", build, limit, start).await?;
        let items = items
            .iter()
            .map(|item| {
                let what = get_s(item, attr::SK, "audit entry").unwrap_or("audit entry");
                body(item, what)
            })
            .collect::<StoreResult<Vec<AuditEntry>>>()?;
        let next_page_token = last
            .map(|last| token_key(&last).map(|key| page_token::encode(&key)))
            .transpose()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }
}

/// The item of an audit entry, and how errors name it.
fn audit_item(entry: &AuditEntry) -> StoreResult<(Item, String)> {
    validate::name("id", &entry.id)?;
    validate::name("kind", &entry.kind)?;
    let at_key = audit_time_key(entry.at);
    let sort_key = format!("{at_key}#{}", entry.id);
    let what = format!("audit entry {} at {at_key}", entry.id);
    let mut item = key_of(key::AUDIT_PK, &sort_key);
    item.insert(attr::GSI1PK.to_owned(), s(key::audit_kind(&entry.kind)));
    item.insert(attr::GSI1SK.to_owned(), s(&sort_key));
    item.insert(attr::BODY.to_owned(), to_body(entry, &what)?);
    if let Some(expires_at) = entry.expires_at {
        // Exact expiry for read filtering; whole seconds (rounded up) for DynamoDB
        // TTL, which deletes lazily (up to days later) — hence the read filter.
        let expires_ms = expires_at.timestamp_millis();
        item.insert(attr::EXPIRES_MS.to_owned(), n(expires_ms));
        item.insert(attr::TTL.to_owned(), n(expires_ms.div_euclid(1000) + 1));
    }
    Ok((item, what))
}

impl DynamoStore {
    /// An audit entry as a transaction's put: only if no entry has its id and instant.
    pub(super) fn audit_put(&self, entry: &AuditEntry) -> StoreResult<Put> {
        let (item, _) = audit_item(entry)?;
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(transaction_build)
    }
}
