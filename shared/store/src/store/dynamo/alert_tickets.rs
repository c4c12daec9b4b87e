//! Alert → ticket: one versioned item per alert key (`ALERT#<key>` / `ALERT`), listed
//! through `GSI1` (`TICKETS`, by company then key); skipped alerts one item per key
//! (`SKIPPED#<key>` / `SKIPPED`), listed newest first through `GSI1` (`SKIPPED`).

use async_trait::async_trait;
use bridge_core::records::{AlertTicket, Page, SkippedAlert, Versioned};
use chrono::{DateTime, Utc};

use super::DynamoStore;
use super::item::{
    GSI1, Item, attr, backend, body, get_n, get_s, item_key, key, key_of, n, s, token_key,
};
use crate::store::page_token::{self, TokenKey};
use crate::store::{
    AlertTicketStore, StoreError, StoreResult, alert_ticket_body, alert_ticket_company_prefix,
    alert_ticket_sort_key, alert_ticket_what, alert_tickets_listing, alert_tickets_scope,
    audit_time_key, skipped_alert_body, validate,
};

/// A page token's extra field naming the listing it continues: both listings of alert
/// tickets query the same index partition, so its key alone cannot tell them apart.
const SCOPE: &str = "scope";

/// The index key fields of a `GSI1` page token.
const INDEX_FIELDS: [&str; 4] = [attr::PK, attr::SK, attr::GSI1PK, attr::GSI1SK];

#[async_trait]
impl AlertTicketStore for DynamoStore {
    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        let what = alert_ticket_what(alert_key);
        self.get_doc(key::alert(alert_key), key::ALERT_SK, &what)
            .await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = alert_ticket_body(ticket)?;
        let index = Item::from([
            (attr::GSI1PK.to_owned(), s(key::TICKETS_GSI_PK)),
            (
                attr::GSI1SK.to_owned(),
                s(alert_ticket_sort_key(ticket.company_id, &ticket.alert_key)),
            ),
        ]);
        self.put_versioned_with(
            key::alert(&ticket.alert_key),
            key::ALERT_SK,
            alert_ticket_what(&ticket.alert_key),
            s(body),
            index,
            expected_version,
        )
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
        let start = page_token
            .map(|token| {
                let fields = [&INDEX_FIELDS[..], &[SCOPE]].concat();
                let mut key = page_token::decode(token, &fields, SCOPE, &scope)?;
                key.remove(SCOPE);
                Ok::<_, StoreError>(item_key(key))
            })
            .transpose()?;
        let prefix = company_id.map(alert_ticket_company_prefix);
        let key_condition = match prefix {
            Some(_) => "#pk = :pk AND begins_with(#sk, :prefix)",
            None => "#pk = :pk",
        };
        let build = || {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression(key_condition)
                .expression_attribute_names("#pk", attr::GSI1PK)
                .expression_attribute_values(":pk", s(key::TICKETS_GSI_PK));
            match &prefix {
                Some(prefix) => query
                    .expression_attribute_names("#sk", attr::GSI1SK)
                    .expression_attribute_values(":prefix", s(prefix)),
                None => query,
            }
        };
        let (items, last) = self
            .query_page("list_alert_tickets", build, limit, start)
            .await?;
        let items = items
            .iter()
            .map(|item| {
                let pk = get_s(item, attr::PK, "alert ticket")?;
                let what = format!("alert ticket item {pk}");
                let value: AlertTicket = body(item, &what)?;
                if key::alert(&value.alert_key) != pk {
                    return Err(StoreError::corrupt(
                        what,
                        format!("body is of alert {}", value.alert_key),
                    ));
                }
                Ok(Versioned {
                    value,
                    version: get_n(item, attr::VERSION, &what)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            next_page_token: scoped_token(last.as_ref(), &scope)?,
        })
    }

    async fn put_skipped_alert(&self, skipped: &SkippedAlert) -> StoreResult<()> {
        let (body, expires_ms) = skipped_alert_body(skipped)?;
        let mut item = key_of(key::skipped(&skipped.alert_key), key::SKIPPED_SK);
        item.extend([
            (attr::GSI1PK.to_owned(), s(key::SKIPPED_GSI_PK)),
            (
                attr::GSI1SK.to_owned(),
                s(skipped_sort_key(skipped.at, &skipped.alert_key)),
            ),
            (attr::BODY.to_owned(), s(body)),
            (attr::EXPIRES_MS.to_owned(), n(expires_ms)),
            // Whole seconds, rounded up: DynamoDB deletes some time after this.
            (attr::TTL.to_owned(), n(expires_ms.div_euclid(1000) + 1)),
        ]);
        // Unconditional: a later skip of the same alert replaces the earlier one.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| backend("put_skipped_alert", e))?;
        Ok(())
    }

    async fn list_skipped_alerts(
        &self,
        limit: u32,
        page_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Page<SkippedAlert>> {
        let limit = validate::limit(limit)?;
        let start = page_token
            .map(|token| {
                page_token::decode(token, &INDEX_FIELDS, attr::GSI1PK, key::SKIPPED_GSI_PK)
            })
            .transpose()?
            .map(item_key);
        let now_ms = now.timestamp_millis();
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :pk")
                // DynamoDB's TTL deletes late (moto never): the read filter decides.
                .filter_expression("#expires > :now")
                .expression_attribute_names("#pk", attr::GSI1PK)
                .expression_attribute_names("#expires", attr::EXPIRES_MS)
                .expression_attribute_values(":pk", s(key::SKIPPED_GSI_PK))
                .expression_attribute_values(":now", n(now_ms))
                .scan_index_forward(false)
        };
        let (items, last) = self
            .query_page("list_skipped_alerts", build, limit, start)
            .await?;
        let items = items
            .iter()
            .map(|item| {
                let what = get_s(item, attr::PK, "skipped alert").unwrap_or("skipped alert");
                body(item, what)
            })
            .collect::<StoreResult<Vec<SkippedAlert>>>()?;
        let next_page_token = last
            .map(|last| token_key(&last).map(|key| page_token::encode(&key)))
            .transpose()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }
}

/// `GSI1SK` of a skipped alert: time order, then key, so a listing is newest first.
fn skipped_sort_key(at: DateTime<Utc>, alert_key: &str) -> String {
    format!("{}#{alert_key}", audit_time_key(at))
}

/// The page token after `last`, marked with the listing it continues.
fn scoped_token(last: Option<&Item>, scope: &str) -> StoreResult<Option<String>> {
    let Some(last) = last else {
        return Ok(None);
    };
    let mut key: TokenKey = token_key(last)?;
    key.insert(SCOPE.to_owned(), scope.to_owned());
    Ok(Some(page_token::encode(&key)))
}
