//! Customer mappings: a company-side item in the `MAPPINGS` partition and a tenant-side
//! item, always written together in one transaction.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use bridge_core::mapping::CustomerMapping;
use bridge_core::records::Page;

use super::item::{attr, body, get_n, item_key, key, key_of, n, s, to_body, token_key};
use super::{DynamoStore, pause, transaction_build};
use crate::store::page_token;
use crate::store::{
    ExpectedMapping, MapOutcome, MappingStore, StoreError, StoreResult, tenant_taken, validate,
};

/// How often a mapping transaction is retried when a concurrent writer touched the same
/// items between our read and our write.
const MAPPING_ATTEMPTS: u32 = 5;

/// Condition on a tenant item: nobody maps it, or this company does.
const TENANT_FREE_OR_OURS: &str = "attribute_not_exists(PK) OR #company = :company";

impl DynamoStore {
    /// The company-side mapping item and its version.
    async fn company_mapping(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<(CustomerMapping, u64)>> {
        let what = format!("mapping of company {company_id}");
        let Some(item) = self
            .get(
                key_of(key::MAPPINGS_PK, key::company(company_id)),
                "get_mapping",
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            body(&item, &what)?,
            get_n(&item, attr::VERSION, &what)?,
        )))
    }

    /// The company → tenant item, written only if still at `version` (absent for `None`).
    fn put_company(&self, mapping: &CustomerMapping, version: Option<u64>) -> StoreResult<Put> {
        let mut item = key_of(key::MAPPINGS_PK, key::company(mapping.company_id));
        item.insert(attr::COMPANY_ID.to_owned(), n(mapping.company_id));
        item.insert(attr::TENANT_ID.to_owned(), s(&mapping.tenant_id));
        item.insert(attr::VERSION.to_owned(), n(version.map_or(1, |v| v + 1)));
        item.insert(attr::BODY.to_owned(), to_body(mapping, "mapping")?);
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(v) => put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(":version", n(v)),
        };
        put.build().map_err(transaction_build)
    }

    fn delete_company(&self, company_id: i64, version: u64) -> StoreResult<Delete> {
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(key::MAPPINGS_PK, key::company(company_id))))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":version", n(version))
            .build()
            .map_err(transaction_build)
    }

    /// The tenant → company item, written only if the tenant is free or already ours.
    fn put_tenant(&self, mapping: &CustomerMapping) -> StoreResult<Put> {
        let mut item = key_of(key::tenant(&mapping.tenant_id), key::TENANT_MAPPING_SK);
        item.insert(attr::COMPANY_ID.to_owned(), n(mapping.company_id));
        item.insert(attr::BODY.to_owned(), to_body(mapping, "mapping")?);
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(TENANT_FREE_OR_OURS)
            .expression_attribute_names("#company", attr::COMPANY_ID)
            .expression_attribute_values(":company", n(mapping.company_id))
            .build()
            .map_err(transaction_build)
    }

    /// Frees a tenant, only if it is (still) ours.
    fn delete_tenant(&self, tenant_id: &str, company_id: i64) -> StoreResult<Delete> {
        Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(key::tenant(tenant_id), key::TENANT_MAPPING_SK)))
            .condition_expression(TENANT_FREE_OR_OURS)
            .expression_attribute_names("#company", attr::COMPANY_ID)
            .expression_attribute_values(":company", n(company_id))
            .build()
            .map_err(transaction_build)
    }
}

#[async_trait]
impl MappingStore for DynamoStore {
    async fn get_mapping_by_company(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<CustomerMapping>> {
        Ok(self.company_mapping(company_id).await?.map(|(m, _)| m))
    }

    async fn get_mapping_by_tenant(&self, tenant_id: &str) -> StoreResult<Option<CustomerMapping>> {
        validate::name("tenant_id", tenant_id)?;
        let item = self
            .get(
                key_of(key::tenant(tenant_id), key::TENANT_MAPPING_SK),
                "get_mapping",
            )
            .await?;
        item.map(|item| body(&item, &format!("mapping of tenant {tenant_id}")))
            .transpose()
    }

    async fn list_mappings(
        &self,
        limit: u32,
        page_token: Option<&str>,
    ) -> StoreResult<Page<CustomerMapping>> {
        let limit = validate::limit(limit)?;
        let start = page_token
            .map(|token| {
                page_token::decode(token, &[attr::PK, attr::SK], attr::PK, key::MAPPINGS_PK)
            })
            .transpose()?
            .map(item_key);
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(key::MAPPINGS_PK))
                .consistent_read(true)
        };
        let (items, last) = self
            .query_page("list_mappings", build, limit, start)
            .await?;
        let items = items
            .iter()
            .map(|item| body(item, "mapping"))
            .collect::<StoreResult<Vec<CustomerMapping>>>()?;
        let next_page_token = last
            .map(|last| token_key(&last).map(|key| page_token::encode(&key)))
            .transpose()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }

    async fn put_mapping(&self, mapping: &CustomerMapping) -> StoreResult<Option<CustomerMapping>> {
        match self
            .write_mapping(mapping, false, &ExpectedMapping::Any)
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
        self.write_mapping(mapping, true, expected).await
    }

    async fn delete_mapping(
        &self,
        company_id: i64,
        expected: &ExpectedMapping,
    ) -> StoreResult<CustomerMapping> {
        for attempt in 0..MAPPING_ATTEMPTS {
            let Some((mapping, version)) = self.company_mapping(company_id).await? else {
                return Err(StoreError::NotFound {
                    what: format!("mapping of company {company_id}"),
                });
            };
            expected.check(company_id, Some(&mapping))?;
            let writes = vec![
                TransactWriteItem::builder()
                    .delete(self.delete_company(company_id, version)?)
                    .build(),
                TransactWriteItem::builder()
                    .delete(self.delete_tenant(&mapping.tenant_id, company_id)?)
                    .build(),
            ];
            if self.transact(writes).await? {
                return Ok(mapping);
            }
            pause(attempt).await;
        }
        Err(StoreError::Conflict {
            what: format!("mapping of company {company_id}: changed concurrently"),
            current_version: None,
        })
    }
}

impl DynamoStore {
    /// Writes the mapping, both directions in one transaction conditional on the
    /// company's mapping version read just before (which must be as `expected`); with
    /// `keep_same_tenant`, a company mapped to this tenant already is left as it is.
    async fn write_mapping(
        &self,
        mapping: &CustomerMapping,
        keep_same_tenant: bool,
        expected: &ExpectedMapping,
    ) -> StoreResult<MapOutcome> {
        validate::id("company_id", mapping.company_id)?;
        validate::name("tenant_id", &mapping.tenant_id)?;
        let company_id = mapping.company_id;
        for attempt in 0..MAPPING_ATTEMPTS {
            let owner = self
                .get(
                    key_of(key::tenant(&mapping.tenant_id), key::TENANT_MAPPING_SK),
                    "put_mapping",
                )
                .await?;
            if let Some(owner) = owner {
                let owner: i64 = get_n(&owner, attr::COMPANY_ID, "tenant mapping")?;
                if owner != company_id {
                    return Err(tenant_taken(&mapping.tenant_id, owner));
                }
            }
            let previous = self.company_mapping(company_id).await?;
            expected.check(company_id, previous.as_ref().map(|(m, _)| m))?;
            if let Some((current, _)) = previous.as_ref()
                && keep_same_tenant
                && current.tenant_id == mapping.tenant_id
            {
                return Ok(MapOutcome::Unchanged(current.clone()));
            }
            let version = previous.as_ref().map(|(_, v)| *v);
            // Both directions in one transaction; on a remap the old tenant is freed in
            // the same one, so no direction is ever left without the other.
            let mut writes = vec![
                TransactWriteItem::builder()
                    .put(self.put_company(mapping, version)?)
                    .build(),
                TransactWriteItem::builder()
                    .put(self.put_tenant(mapping)?)
                    .build(),
            ];
            if let Some((old, _)) = &previous
                && old.tenant_id != mapping.tenant_id
            {
                let release = self.delete_tenant(&old.tenant_id, company_id)?;
                writes.push(TransactWriteItem::builder().delete(release).build());
            }
            if self.transact(writes).await? {
                return Ok(MapOutcome::Written(previous.map(|(m, _)| m)));
            }
            pause(attempt).await;
        }
        Err(StoreError::Conflict {
            what: format!("mapping of company {company_id}: changed concurrently"),
            current_version: None,
        })
    }
}
