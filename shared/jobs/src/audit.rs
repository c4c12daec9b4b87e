//! Writing the audit log: every change a job or an operator makes, with before/after.

use crate::{Context, JobError};
use bridge_core::records::AuditEntry;
use bridge_store::store::StoreError;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// How long audit entries are kept (the table's TTL removes them afterwards).
pub const RETENTION_DAYS: i64 = 400;

/// One audit entry to append; `actor` is the job name or the operator's identity.
pub struct Audit<'a> {
    pub actor: &'a str,
    pub kind: &'a str,
    pub subject: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

impl Audit<'_> {
    pub async fn write(self, ctx: &Context) -> Result<(), JobError> {
        ctx.store.append_audit(&self.entry_now(ctx)).await?;
        Ok(())
    }

    /// The entry as of now, for a store call that writes it with other records in one
    /// transaction.
    pub fn entry_now(self, ctx: &Context) -> AuditEntry {
        self.entry(uuid::Uuid::new_v4().to_string(), ctx.clock.now())
    }

    /// Writes the entry under an id and instant every run derives alike, so that of two
    /// runs recording the same event (one killed after writing it, one picking up after
    /// it), one entry stays: the store refuses the same id and instant twice.
    pub async fn write_once(
        self,
        ctx: &Context,
        id: String,
        at: DateTime<Utc>,
    ) -> Result<(), JobError> {
        match ctx.store.append_audit(&self.entry(id, at)).await {
            Ok(()) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn entry(self, id: String, at: DateTime<Utc>) -> AuditEntry {
        AuditEntry {
            id,
            at,
            actor: self.actor.to_string(),
            kind: self.kind.to_string(),
            subject: self.subject,
            before: self.before,
            after: self.after,
            reason: self.reason,
            expires_at: Some(at + Duration::days(RETENTION_DAYS)),
        }
    }
}
