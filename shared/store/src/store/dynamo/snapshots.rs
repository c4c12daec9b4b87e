//! Contract snapshots (beside the company's other items) and pending provisionings (one
//! `PENDING` partition, listed at every poll).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use bridge_core::contracts::CompanySnapshot;
use bridge_core::provisioning::PendingProvisioning;
use bridge_core::records::Versioned;

use super::DynamoStore;
use super::item::{attr, backend, body, get_n, key, key_of, s};
use crate::store::{SnapshotStore, StoreError, StoreResult, pending_what, validate};

#[async_trait]
impl SnapshotStore for DynamoStore {
    async fn get_contract_snapshot(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<CompanySnapshot>>> {
        let what = format!("contract snapshot of company {company_id}");
        self.get_doc(key::company(company_id), key::CONTRACTS_SK, &what)
            .await
    }

    async fn put_contract_snapshot(
        &self,
        snapshot: &CompanySnapshot,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::id("company_id", snapshot.company_id)?;
        let what = format!("contract snapshot of company {}", snapshot.company_id);
        let pk = key::company(snapshot.company_id);
        self.put_doc(pk, key::CONTRACTS_SK, what, snapshot, expected_version)
            .await
    }

    async fn get_pending_provisioning(
        &self,
        company_id: i64,
    ) -> StoreResult<Option<Versioned<PendingProvisioning>>> {
        validate::id("company_id", company_id)?;
        self.get_doc(
            key::PENDING_PK.to_owned(),
            &key::company(company_id),
            &pending_what(company_id),
        )
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
            key::PENDING_PK.to_owned(),
            &key::company(company_id),
            pending_what(company_id),
            pending,
            expected_version,
        )
        .await
    }

    async fn delete_pending_provisioning(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::PENDING_PK, key::company(company_id))))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(StoreError::NotFound {
                    what: pending_what(company_id),
                })
            }
            Err(err) => Err(backend("delete_pending_provisioning", err)),
        }
    }

    async fn list_pending_provisioning(&self) -> StoreResult<Vec<Versioned<PendingProvisioning>>> {
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(key::PENDING_PK))
                .consistent_read(true)
        };
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let (items, last) = self
                .query_page("list_pending_provisioning", build, 1000, start)
                .await?;
            for item in &items {
                let what = "pending provisioning";
                out.push(Versioned {
                    value: body(item, what)?,
                    version: get_n(item, attr::VERSION, what)?,
                });
            }
            match last {
                Some(last) => start = Some(last),
                None => return Ok(out),
            }
        }
    }
}
