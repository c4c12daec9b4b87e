//! Keeping the jobs on the Autotask database their mappings belong to.
//!
//! The identity is judged by the pure core ([`bridge_core::database`]); this module
//! looks the zone up, stores and audits what changed, and stops a run that would work
//! on another database. A config API credential save goes through [`reconcile`] too.

use crate::audit::Audit;
use crate::{Context, JobError};
use autotask::{AutotaskClient, ZoneInfo};
use bridge_core::database::{self, Lookup, Verdict};
use bridge_core::records::DatabaseIdentity;
use bridge_store::store::StoreError;
use serde_json::{Value, json};
use std::time::Duration;

/// How long a process trusts its last check of unchanged credentials. The same
/// credentials cannot reach another database; a move to another server is followed by
/// the client itself, and this re-check records it.
pub const RECHECK_AFTER: Duration = Duration::from_secs(60 * 60);

/// The log line the alarm on a changed database counts.
pub const STOPPED_LOG: &str = "Autotask database changed";

/// Judges `zone` against the recorded identity and, unless `dry_run`, stores and audits
/// what changed. Answers the verdict and the identity as it now stands.
pub async fn reconcile(
    ctx: &Context,
    zone: &ZoneInfo,
    actor: &str,
    dry_run: bool,
) -> Result<(Verdict, Option<DatabaseIdentity>), JobError> {
    // A concurrent writer (another job, a credential save) may win the versioned write;
    // judge again against what it stored.
    for _ in 0..3 {
        let recorded = ctx.store.get_database_identity().await?;
        let lookup = Lookup {
            ci: zone.ci,
            zone_url: &zone.url,
            at: ctx.clock.now(),
            by: actor,
        };
        let (verdict, changed) = database::judge(recorded.as_ref().map(|r| &r.value), &lookup);
        let Some(identity) = changed else {
            return Ok((verdict, recorded.map(|r| r.value)));
        };
        if dry_run {
            return Ok((verdict, Some(identity)));
        }
        let version = recorded.as_ref().map(|r| r.version);
        match ctx.store.put_database_identity(&identity, version).await {
            Ok(_) => {}
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
        if let Some(kind) = verdict.audit_kind() {
            Audit {
                actor,
                kind,
                subject: "autotask:database".into(),
                before: recorded.as_ref().map(|r| view(&r.value)),
                after: Some(view(&identity)),
                reason: database::stopped_message(&identity),
            }
            .write(ctx)
            .await?;
        }
        return Ok((verdict, Some(identity)));
    }
    Err(JobError::Invalid(
        "the Autotask database identity kept changing under this run; try again".into(),
    ))
}

/// Before a run uses Autotask: looks the zone up (unless this process checked the same
/// credentials within [`RECHECK_AFTER`]) and refuses to go on in another database.
pub async fn ensure(
    ctx: &Context,
    client: &AutotaskClient,
    actor: &str,
    dry_run: bool,
) -> Result<(), JobError> {
    if ctx.database_checked_within(RECHECK_AFTER).await {
        return Ok(());
    }
    let zone = client.lookup_zone().await?;
    let (verdict, identity) = reconcile(ctx, &zone, actor, dry_run).await?;
    if verdict.allows_writes() {
        ctx.database_checked_now().await;
        return Ok(());
    }
    let message = identity
        .as_ref()
        .and_then(database::stopped_message)
        .unwrap_or_else(|| "the Autotask credentials reach another database".into());
    tracing::error!(job = actor, detail = %message, "{STOPPED_LOG}");
    Err(JobError::DatabaseChanged(message))
}

/// The identity as the API and the audit log show it.
pub fn view(identity: &DatabaseIdentity) -> Value {
    json!({
        "ci": identity.ci,
        "zone_url": identity.zone_url,
        "recorded_at": identity.recorded_at,
        "recorded_by": identity.recorded_by,
        "mismatch": identity.mismatch.as_ref().map(|m| json!({
            "ci": m.ci,
            "zone_url": m.zone_url,
            "seen_at": m.seen_at,
            "seen_by": m.seen_by,
        })),
        "jobs_stopped": identity.mismatch.is_some(),
        "message": database::stopped_message(identity),
    })
}

/// Why starting over with another database was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    /// Nothing to adopt, or another database than the operator named.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Job(#[from] JobError),
}

impl From<StoreError> for AdoptError {
    fn from(e: StoreError) -> Self {
        Self::Job(e.into())
    }
}

impl From<autotask::AutotaskError> for AdoptError {
    fn from(e: autotask::AutotaskError) -> Self {
        Self::Job(e.into())
    }
}

/// What starting over did.
#[derive(Debug, Clone, PartialEq)]
pub struct Adopted {
    pub identity: DatabaseIdentity,
    /// Records forgotten, per family.
    pub forgotten: std::collections::BTreeMap<String, u64>,
    /// The settings sections emptied (their ids belong to the old database).
    pub cleared: Vec<&'static str>,
}

/// The settings sections that name Autotask ids of one database.
const DATABASE_SECTIONS: [&str; 4] = [
    "service_mappings",
    "storage_mappings",
    "public_cloud_mappings",
    "alert_mappings",
];

/// Starts over with database `ci`, which the saved credentials must reach now: forgets
/// what belongs to the old database, empties the settings sections that name its ids,
/// and records `ci` as the bridge's database. The audit log is kept. The jobs stay
/// stopped until the new identity is stored, which is the last step, so a failure
/// part-way leaves them stopped and a second call finishes the work.
pub async fn adopt(ctx: &Context, ci: i64, actor: &str) -> Result<Adopted, AdoptError> {
    let recorded = ctx.store.get_database_identity().await?;
    let Some(recorded) = recorded else {
        return Err(AdoptError::Refused(
            "no Autotask database is recorded yet; save the credentials (PUT /credentials/autotask)"
                .into(),
        ));
    };
    let Some(mismatch) = recorded.value.mismatch.clone() else {
        return Err(AdoptError::Refused(format!(
            "the saved credentials reach the recorded database {}; there is no other \
             database to start over with",
            recorded.value.ci
        )));
    };
    if mismatch.ci != ci {
        return Err(AdoptError::Refused(format!(
            "the saved credentials reach database {}, not {ci}",
            mismatch.ci
        )));
    }
    // The credentials may have changed since the mismatch was seen: ask again.
    let zone = ctx.autotask().await?.lookup_zone().await?;
    if zone.ci != Some(ci) {
        return Err(AdoptError::Refused(format!(
            "the saved credentials now reach database {}, not {ci}; save them again first",
            zone.ci
                .map_or_else(|| "(unknown)".to_owned(), |c| c.to_string())
        )));
    }

    let forgotten = ctx.store.forget_database().await?;
    let cleared = clear_database_sections(ctx).await?;
    let identity = DatabaseIdentity {
        ci,
        zone_url: zone.url.clone(),
        recorded_at: ctx.clock.now(),
        recorded_by: actor.to_owned(),
        mismatch: None,
    };
    ctx.store
        .put_database_identity(&identity, Some(recorded.version))
        .await?;
    Audit {
        actor,
        kind: "autotask.database.adopted",
        subject: "autotask:database".into(),
        before: Some(view(&recorded.value)),
        after: Some(json!({
            "database": view(&identity),
            "forgotten": forgotten,
            "settings_cleared": cleared,
        })),
        reason: Some(format!(
            "started over with Autotask database {ci}; the mappings, snapshots, cursors and \
             clocks of database {} are forgotten",
            recorded.value.ci
        )),
    }
    .write(ctx)
    .await?;
    Ok(Adopted {
        identity,
        forgotten,
        cleared,
    })
}

/// Empties the settings sections that name the old database's ids; the others (the
/// guide's options) stay.
async fn clear_database_sections(ctx: &Context) -> Result<Vec<&'static str>, JobError> {
    let Some(saved) = ctx.store.get_settings().await? else {
        return Ok(Vec::new());
    };
    let mut settings = saved.value.clone();
    settings.service_mappings.clear();
    settings.storage_mappings.clear();
    settings.public_cloud_mappings = Default::default();
    settings.alert_mappings.clear();
    if settings == saved.value {
        return Ok(Vec::new());
    }
    ctx.store
        .put_settings(&settings, Some(saved.version))
        .await?;
    Ok(DATABASE_SECTIONS.to_vec())
}
