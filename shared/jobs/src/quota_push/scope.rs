//! Which customers a run pushes: the one an event names, or every mapped customer whose
//! contract snapshot is ahead of what was last pushed (or that was never pushed).

use crate::{Context, JobError, JobSummary};
use bridge_core::events::CompanyContractsChanged;
use bridge_core::mapping::CustomerMapping;
use std::collections::BTreeMap;

/// One mapped customer to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub company_id: i64,
    pub tenant_id: String,
    /// The snapshot version that made it due, when the sweep chose it.
    pub due_to: Option<u64>,
}

/// Mappings per store page, and push records per batch read.
const PAGE: u32 = 1000;
const BATCH: usize = 100;
/// Snapshot reads in flight at once.
const READ_CONCURRENCY: usize = 32;

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
        .map(|m| Target {
            company_id: m.company_id,
            tenant_id: m.tenant_id,
            due_to: None,
        })
        .into_iter()
        .collect())
}

/// Every mapped company (a run now: the operator asks for a full check, which also
/// brings back quotas changed by hand in Acronis under two-way sync).
pub async fn all(ctx: &Context, summary: &mut JobSummary) -> Result<Vec<Target>, JobError> {
    let mappings = all_mappings(ctx).await?;
    summary.read("mappings", mappings.len() as u64);
    Ok(mappings
        .into_values()
        .map(|m| Target {
            company_id: m.company_id,
            tenant_id: m.tenant_id,
            due_to: None,
        })
        .collect())
}

/// Every mapped company whose stored snapshot version differs from the one last pushed
/// to its current tenant: a lost event, a tenant mapped by hand, a remapped company.
pub async fn behind(ctx: &Context, summary: &mut JobSummary) -> Result<Vec<Target>, JobError> {
    let mappings = all_mappings(ctx).await?;
    summary.read("mappings", mappings.len() as u64);
    let ids: Vec<i64> = mappings.keys().copied().collect();
    let mut due = Vec::new();
    for chunk in ids.chunks(BATCH) {
        let pushed = ctx.store.get_quota_syncs(chunk).await?;
        let versions = snapshot_versions(ctx, chunk).await?;
        for company in chunk {
            let Some(mapping) = mappings.get(company) else {
                continue;
            };
            let Some(version) = versions.get(company).copied().flatten() else {
                // No snapshot yet: the poller's next run makes one and announces it.
                continue;
            };
            let up_to_date = pushed.get(company).is_some_and(|p| {
                p.value.tenant_id == mapping.tenant_id
                    && p.value.pushed_snapshot_version == Some(version)
            });
            if !up_to_date {
                due.push(Target {
                    company_id: *company,
                    tenant_id: mapping.tenant_id.clone(),
                    due_to: Some(version),
                });
            }
        }
    }
    summary.read("customers behind", due.len() as u64);
    Ok(due)
}

async fn all_mappings(ctx: &Context) -> Result<BTreeMap<i64, CustomerMapping>, JobError> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx.store.list_mappings(PAGE, token.as_deref()).await?;
        out.extend(page.items.into_iter().map(|m| (m.company_id, m)));
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(out),
        }
    }
}

/// The stored snapshot version of each company (`None` where none is stored).
async fn snapshot_versions(
    ctx: &Context,
    companies: &[i64],
) -> Result<BTreeMap<i64, Option<u64>>, JobError> {
    let mut out = BTreeMap::new();
    for chunk in companies.chunks(READ_CONCURRENCY) {
        let mut reads = tokio::task::JoinSet::new();
        for &company in chunk {
            let store = ctx.store.clone();
            reads.spawn(async move { (company, store.get_contract_snapshot(company).await) });
        }
        while let Some(joined) = reads.join_next().await {
            let (company, stored) =
                joined.map_err(|e| JobError::Invalid(format!("reading stored snapshots: {e}")))?;
            out.insert(company, stored?.map(|s| s.version));
        }
    }
    Ok(out)
}
