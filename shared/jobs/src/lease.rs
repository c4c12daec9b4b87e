//! One runner per job: a run takes the job's lease in the store first.
//!
//! A crashed holder never releases its lease; it expires after its TTL and the next run
//! takes it. Choose a TTL longer than the job's longest run (the Lambda timeout).

use crate::{Context, JobError};
use std::time::Duration;

/// A held lease; call [`LeaseGuard::release`] when the run is over.
pub struct LeaseGuard {
    job: String,
    holder: String,
}

impl LeaseGuard {
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Frees the lease so the next scheduled run need not wait for the TTL.
    pub async fn release(self, ctx: &Context) -> Result<(), JobError> {
        ctx.store.release_lease(&self.job, &self.holder).await?;
        Ok(())
    }
}

/// Takes `job`'s lease for `ttl`, or `None` when another run holds it.
pub async fn acquire(
    ctx: &Context,
    job: &str,
    ttl: Duration,
) -> Result<Option<LeaseGuard>, JobError> {
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = ctx
        .store
        .acquire_lease(job, &holder, ttl, ctx.clock.now())
        .await?;
    Ok(lease.map(|_| LeaseGuard {
        job: job.to_string(),
        holder,
    }))
}
