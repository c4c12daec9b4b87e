//! Which customers a run pushes: the one an event names, or every mapped customer whose
//! contract snapshot is ahead of what was last pushed (or that was never pushed).

use crate::{Context, JobError, JobSummary, stored};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::{CustomerMapping, MappedTenantKind};
use bridge_core::records::{QuotaSync, Versioned};
use std::collections::BTreeMap;

/// One mapped customer to push.
#[derive(Debug, Clone)]
pub struct Target {
    pub company_id: i64,
    pub tenant_id: String,
    /// A sub-partner target is reported as skipped, never pushed.
    pub tenant_kind: MappedTenantKind,
    /// What the sweep already read to choose it (the push reads it otherwise).
    pub read: Option<AlreadyRead>,
}

/// A customer's contract snapshot and push record, as the sweep read them.
#[derive(Debug, Clone)]
pub struct AlreadyRead {
    pub snapshot: Versioned<CompanySnapshot>,
    pub pushed: Option<Versioned<QuotaSync>>,
}

/// Push records per batch read.
const BATCH: usize = 100;

/// The company an event names, if it is mapped (an unmapped company has no tenant to
/// push to; provisioning is the poller's).
pub async fn for_event(
    ctx: &Context,
    event: &CompanyContractsChanged,
) -> Result<Vec<Target>, JobError> {
    Ok(ctx
        .store
        .get_mapping_by_company(event.company_id)
        .await?
        .map(Target::unread)
        .into_iter()
        .collect())
}

impl Target {
    /// A target whose snapshot and push record the push reads itself.
    fn unread(mapping: CustomerMapping) -> Target {
        Target {
            company_id: mapping.company_id,
            tenant_id: mapping.tenant_id,
            tenant_kind: mapping.tenant_kind,
            read: None,
        }
    }
}

/// Every mapped company (a run now: the operator asks for a full check, which also
/// brings back quotas changed by hand in Acronis under two-way sync).
pub async fn all(ctx: &Context, summary: &mut JobSummary) -> Result<Vec<Target>, JobError> {
    let mappings = stored::all_mappings(ctx).await?;
    summary.read("mappings", mappings.len() as u64);
    Ok(mappings.into_values().map(Target::unread).collect())
}

/// Every mapped company whose stored snapshot version differs from the one last pushed
/// to its current tenant (a lost event, a tenant mapped by hand, a remapped company), or
/// whose last push failed: a quota write refused or lost is tried again at each sweep
/// until it goes through, not left until the contract next changes.
/// Sub-partner mappings are never pushed, so never up to date: they come back as they
/// are, for the push to report as skipped, without reading their records.
pub async fn behind(ctx: &Context, summary: &mut JobSummary) -> Result<Vec<Target>, JobError> {
    let (sub_partners, mappings): (BTreeMap<i64, CustomerMapping>, BTreeMap<_, _>) =
        stored::all_mappings(ctx)
            .await?
            .into_iter()
            .partition(|(_, m)| m.is_sub_partner());
    summary.read("mappings", (sub_partners.len() + mappings.len()) as u64);
    let mut due = Vec::new();
    let ids: Vec<i64> = mappings.keys().copied().collect();
    for chunk in ids.chunks(BATCH) {
        let mut pushed = ctx.store.get_quota_syncs(chunk).await?;
        let mut snapshots = stored::snapshots(ctx, chunk.iter().copied()).await?;
        for company in chunk {
            let Some(mapping) = mappings.get(company) else {
                continue;
            };
            let Some(snapshot) = snapshots.remove(company).flatten() else {
                // No snapshot yet: the poller's next run makes one and announces it.
                continue;
            };
            let pushed = pushed.remove(company);
            let up_to_date = pushed.as_ref().is_some_and(|p| {
                p.value.tenant_id == mapping.tenant_id
                    && p.value.pushed_snapshot_version == Some(snapshot.version)
                    && p.value.last_error.is_none()
            });
            if !up_to_date {
                due.push(Target {
                    company_id: *company,
                    tenant_id: mapping.tenant_id.clone(),
                    tenant_kind: mapping.tenant_kind,
                    read: Some(AlreadyRead { snapshot, pushed }),
                });
            }
        }
    }
    summary.read("customers behind", due.len() as u64);
    due.extend(sub_partners.into_values().map(Target::unread));
    Ok(due)
}
