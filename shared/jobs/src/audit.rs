//! Writing the audit log: every change a job or an operator makes, with before/after.

use crate::{Context, JobError};
use bridge_core::records::AuditEntry;
use chrono::Duration;
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
        let now = ctx.clock.now();
        let entry = AuditEntry {
            id: uuid::Uuid::new_v4().to_string(),
            at: now,
            actor: self.actor.to_string(),
            kind: self.kind.to_string(),
            subject: self.subject,
            before: self.before,
            after: self.after,
            reason: self.reason,
            expires_at: Some(now + Duration::days(RETENTION_DAYS)),
        };
        ctx.store.append_audit(&entry).await?;
        Ok(())
    }
}
