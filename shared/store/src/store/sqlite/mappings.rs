//! Customer mappings: one row per company holds both directions (`tenant_id UNIQUE`).

use async_trait::async_trait;
use bridge_core::mapping::CustomerMapping;
use bridge_core::records::Page;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqlError, SqliteStore, decode, encode};
use crate::store::page_token::{self, TokenKey};
use crate::store::{
    ExpectedMapping, MapOutcome, MappingStore, StoreError, StoreResult, tenant_taken, validate,
};

#[async_trait]
impl MappingStore for SqliteStore {
    async fn get_mapping_by_company(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<CustomerMapping>> {
        self.run("get_mapping_by_company", move |conn| {
            mapping_where(conn, "company_id = ?1", company_id)
        })
        .await
    }

    async fn get_mapping_by_tenant(&self, tenant_id: &str) -> StoreResult<Option<CustomerMapping>> {
        validate::name("tenant_id", tenant_id)?;
        let tenant_id = tenant_id.to_owned();
        self.run("get_mapping_by_tenant", move |conn| {
            mapping_where(conn, "tenant_id = ?1", tenant_id)
        })
        .await
    }

    async fn list_mappings(
        &self,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<CustomerMapping>> {
        let limit = validate::limit(limit)?;
        let after: i64 = match page_token {
            None => -1,
            Some(token) => {
                let key = page_token::decode(token, &["scope", "company_id"], "scope", "mappings")?;
                key["company_id"]
                    .parse()
                    .map_err(|_| StoreError::invalid("page_token", "not a page token"))?
            }
        };
        self.run("list_mappings", move |conn| {
            let mut stmt = conn.prepare(
                "SELECT company_id, body FROM customer_mappings WHERE company_id > ?1
                 ORDER BY company_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, i64::from(limit) + 1], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut items = Vec::new();
            let mut more = false;
            for row in rows {
                let (company_id, body) = row?;
                if items.len() == limit as usize {
                    more = true;
                    break;
                }
                items.push(decode::<CustomerMapping>(
                    &format!("mapping {company_id}"),
                    &body,
                )?);
            }
            let next_page_token = match (more, items.last()) {
                (true, Some(last)) => Some(page_token::encode(&TokenKey::from([
                    ("scope".to_owned(), "mappings".to_owned()),
                    ("company_id".to_owned(), last.company_id.to_string()),
                ]))),
                _ => None,
            };
            Ok(Page {
                items,
                next_page_token,
            })
        })
        .await
    }

    async fn put_mapping(&self, mapping: &CustomerMapping) -> StoreResult<Option<CustomerMapping>> {
        match self
            .write_mapping(mapping, false, ExpectedMapping::Any)
            .await?
        {
            MapOutcome::Written(previous) => Ok(previous),
            MapOutcome::Unchanged(current) => Ok(Some(current)),
        }
    }

    async fn map_company(
        &self,
        mapping: &CustomerMapping,
        expected: &ExpectedMapping,
    ) -> StoreResult<MapOutcome> {
        self.write_mapping(mapping, true, expected.clone()).await
    }

    async fn delete_mapping(
        &self,
        company_id: i64,
        expected: &ExpectedMapping,
    ) -> StoreResult<CustomerMapping> {
        let expected = expected.clone();
        self.write("delete_mapping", move |tx| {
            let previous = mapping_where(tx, "company_id = ?1", company_id)?.ok_or_else(|| {
                SqlError::Store(StoreError::NotFound {
                    what: format!("mapping of company {company_id}"),
                })
            })?;
            expected
                .check(company_id, Some(&previous))
                .map_err(SqlError::Store)?;
            tx.execute(
                "DELETE FROM customer_mappings WHERE company_id = ?1",
                params![company_id],
            )?;
            Ok(previous)
        })
        .await
    }
}

impl SqliteStore {
    /// Writes the mapping in one transaction, if the company's mapping is as `expected`;
    /// with `keep_same_tenant`, a company mapped to this tenant already is left as it is.
    async fn write_mapping(
        &self,
        mapping: &CustomerMapping,
        keep_same_tenant: bool,
        expected: ExpectedMapping,
    ) -> StoreResult<MapOutcome> {
        validate::id("company_id", mapping.company_id)?;
        validate::name("tenant_id", &mapping.tenant_id)?;
        let body = encode("mapping", mapping)?;
        let (company_id, tenant_id) = (mapping.company_id, mapping.tenant_id.clone());
        self.write("put_mapping", move |tx| {
            let owner: Option<i64> = tx
                .query_row(
                    "SELECT company_id FROM customer_mappings WHERE tenant_id = ?1",
                    params![tenant_id],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(owner) = owner.filter(|owner| *owner != company_id) {
                return Err(SqlError::Store(tenant_taken(&tenant_id, owner)));
            }
            let previous = mapping_where(tx, "company_id = ?1", company_id)?;
            expected
                .check(company_id, previous.as_ref())
                .map_err(SqlError::Store)?;
            if let Some(current) = previous.as_ref()
                && keep_same_tenant
                && current.tenant_id == tenant_id
            {
                return Ok(MapOutcome::Unchanged(current.clone()));
            }
            // One row holds both directions (tenant_id is UNIQUE), so replacing it frees
            // the old tenant in the same statement.
            tx.execute(
                "INSERT INTO customer_mappings (company_id, tenant_id, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (company_id) DO UPDATE SET tenant_id = excluded.tenant_id, body = excluded.body",
                params![company_id, tenant_id, body],
            )?;
            Ok(MapOutcome::Written(previous))
        })
        .await
    }
}

fn mapping_where(
    conn: &Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<CustomerMapping>, SqlError> {
    let sql = format!("SELECT company_id, body FROM customer_mappings WHERE {condition}");
    let row: Option<(i64, String)> = conn
        .query_row(&sql, params![value], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row
        .map(|(company_id, body)| decode(&format!("mapping {company_id}"), &body))
        .transpose()?)
}
