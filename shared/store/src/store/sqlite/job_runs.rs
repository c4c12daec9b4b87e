//! Job statuses: one row per job in `job_statuses`, replaced by each write.

use async_trait::async_trait;
use bridge_core::records::JobStatus;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, decode};
use crate::store::{JobRunStore, StoreResult, job_status_body, job_what, validate};

#[async_trait]
impl JobRunStore for SqliteStore {
    async fn get_job_status(&self, job: &str) -> StoreResult<Option<JobStatus>> {
        validate::name("job", job)?;
        let job = job.to_owned();
        self.run("get_job_status", move |conn| {
            let body: Option<String> = conn
                .query_row(
                    "SELECT body FROM job_statuses WHERE job = ?1",
                    params![job],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(body
                .map(|body| decode(&job_what(&job), &body))
                .transpose()?)
        })
        .await
    }

    async fn put_job_status(&self, status: &JobStatus) -> StoreResult<()> {
        let body = job_status_body(status)?;
        let job = status.job.clone();
        self.write("put_job_status", move |tx| {
            tx.execute(
                "INSERT INTO job_statuses (job, body) VALUES (?1, ?2)
                 ON CONFLICT (job) DO UPDATE SET body = excluded.body",
                params![job, body],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_job_statuses(&self) -> StoreResult<Vec<JobStatus>> {
        self.run("list_job_statuses", |conn| {
            // BINARY collation: byte order of the UTF-8 names, as DynamoDB sorts keys.
            let mut stmt = conn.prepare("SELECT job, body FROM job_statuses ORDER BY job")?;
            let rows = stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (job, body) = row?;
                out.push(decode(&job_what(&job), &body)?);
            }
            Ok(out)
        })
        .await
    }
}
