//! Reads of the store that several jobs and the config API make the same way: every
//! mapping, page by page, and many companies' contract snapshots, a bounded number in
//! flight at once.

use crate::{Context, JobError};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::records::Versioned;
use std::collections::BTreeMap;

/// Mappings per store page.
const MAPPING_PAGE: u32 = 1000;

/// Store reads in flight at once when fetching stored snapshots: a sweep reads one per
/// company, and one at a time would take most of a Lambda timeout at 10,000 companies.
const READ_CONCURRENCY: usize = 32;

/// Every mapping, by company id.
pub async fn all_mappings(ctx: &Context) -> Result<BTreeMap<i64, CustomerMapping>, JobError> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .store
            .list_mappings(MAPPING_PAGE, token.as_deref())
            .await?;
        out.extend(page.items.into_iter().map(|m| (m.company_id, m)));
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(out),
        }
    }
}

/// The stored snapshot of every company (`None` where nothing is stored).
pub async fn snapshots(
    ctx: &Context,
    companies: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, Option<Versioned<CompanySnapshot>>>, JobError> {
    let ids: Vec<i64> = companies.into_iter().collect();
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(READ_CONCURRENCY) {
        let mut reads = tokio::task::JoinSet::new();
        for &company in chunk {
            let store = ctx.store.clone();
            reads.spawn(async move { (company, store.get_contract_snapshot(company).await) });
        }
        while let Some(joined) = reads.join_next().await {
            let (company, stored) =
                joined.map_err(|e| JobError::Invalid(format!("reading stored snapshots: {e}")))?;
            out.insert(company, stored?);
        }
    }
    Ok(out)
}
