//! Job statuses: one item per job in the `JOBS` partition, so listing them is one Query.

use async_trait::async_trait;
use bridge_core::records::JobStatus;

use super::DynamoStore;
use super::item::{attr, backend, body, get_s, key, key_of, s};
use crate::store::{JobRunStore, StoreResult, job_status_body, job_what, validate};

#[async_trait]
impl JobRunStore for DynamoStore {
    async fn get_job_status(&self, job: &str) -> StoreResult<Option<JobStatus>> {
        validate::name("job", job)?;
        let item = self
            .get(key_of(key::JOBS_PK, key::job(job)), "get_job_status")
            .await?;
        item.map(|item| body(&item, &job_what(job))).transpose()
    }

    async fn put_job_status(&self, status: &JobStatus) -> StoreResult<()> {
        let json = job_status_body(status)?;
        // Unconditional: the job writes its status while holding its lease.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_of(key::JOBS_PK, key::job(&status.job))))
            .item(attr::BODY, s(json))
            .send()
            .await
            .map_err(|e| backend("put_job_status", e))?;
        Ok(())
    }

    async fn list_job_statuses(&self) -> StoreResult<Vec<JobStatus>> {
        let build = || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(key::JOBS_PK))
                .consistent_read(true)
        };
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let (items, last) = self
                .query_page("list_job_statuses", build, 1000, start)
                .await?;
            for item in &items {
                let what = get_s(item, attr::SK, "job status").unwrap_or("job status");
                out.push(body(item, what)?);
            }
            match last {
                Some(last) => start = Some(last),
                None => return Ok(out),
            }
        }
    }
}
