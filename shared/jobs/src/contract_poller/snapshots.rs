//! Each company's contract snapshot: computed by the pure core, compared with the stored
//! one by fingerprint, stored with a new version only when the content changed.

use super::JOB;
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use bridge_core::contracts::{
    CompanySnapshot, ContractInputs, ItemBilling, ServiceMap, company_snapshot,
};
use bridge_core::events::ChangeReason;
use bridge_store::store::StoreError;
use chrono::NaiveDate;
use futures_util::StreamExt as _;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Snapshot writes in flight at once.
const WRITES_AT_ONCE: usize = 16;

/// One company's snapshot after this run.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub snapshot: CompanySnapshot,
    /// The stored version now (`None`: nothing stored, the company never had Acronis
    /// content); in a dry run, the version the write would have made.
    pub version: Option<u64>,
    /// Why the content differs from what was stored; `None` when it does not.
    pub change: Option<ChangeReason>,
}

impl Refreshed {
    pub fn changed(&self) -> bool {
        self.change.is_some()
    }
}

/// Computes, compares and (unless a dry run) stores the snapshot of every company.
/// A company whose write loses a race is recorded as failed; the run goes on.
pub async fn refresh(
    ctx: &Context,
    companies: &BTreeSet<i64>,
    inputs: &ContractInputs,
    map: &ServiceMap,
    today: NaiveDate,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<BTreeMap<i64, Refreshed>, JobError> {
    let by_company = split_by_company(inputs);
    let empty = ContractInputs::default();
    let mut stored_all = crate::stored::snapshots(ctx, companies.iter().copied()).await?;
    let mut out = BTreeMap::new();
    let mut writes = Vec::new();
    for &company in companies {
        let own = by_company.get(&company).unwrap_or(&empty);
        let snapshot = company_snapshot(company, own, map, today);
        let stored = stored_all.remove(&company).flatten();
        let change = match &stored {
            None if is_empty(&snapshot) => None,
            None => Some(ChangeReason::ContractAdded),
            Some(s) if s.value.fingerprint() == snapshot.fingerprint() => None,
            Some(s) => Some(reason(&s.value, &snapshot)),
        };
        let mut version = stored.as_ref().map(|s| s.version);
        if change.is_some() {
            summary.planned += 1;
            summary.plan_line(format!(
                "company {company}: store contract snapshot v{} ({})",
                version.map_or(1, |v| v + 1),
                describe(&snapshot)
            ));
            if dry_run {
                // What the write would make it, so the dry run can announce it too.
                version = Some(version.map_or(1, |v| v + 1));
            } else {
                writes.push((snapshot, version, change));
                continue;
            }
        }
        out.insert(
            company,
            Refreshed {
                snapshot,
                version,
                change,
            },
        );
    }
    // Each company's snapshot is its own item, written at its version, so the writes
    // go side by side: one after another they would take most of the function's
    // timeout for a first sweep of 10,000 companies on DynamoDB.
    let written: Vec<_> = futures_util::stream::iter(writes.into_iter().map(
        |(snapshot, expected, change)| async move {
            let result = match ctx.store.put_contract_snapshot(&snapshot, expected).await {
                Ok(v) => audit_contract_problems(ctx, &snapshot)
                    .await
                    .map(|()| Ok(v)),
                Err(e @ StoreError::Conflict { .. }) => Ok(Err(e)),
                Err(e) => Err(JobError::from(e)),
            };
            (snapshot, change, result)
        },
    ))
    .buffer_unordered(WRITES_AT_ONCE)
    .collect()
    .await;
    for (snapshot, change, result) in written {
        let company = snapshot.company_id;
        match result? {
            Ok(version) => {
                summary.applied += 1;
                out.insert(
                    company,
                    Refreshed {
                        snapshot,
                        version: Some(version),
                        change,
                    },
                );
            }
            Err(conflict) => summary.fail(format!("company:{company}"), conflict),
        }
    }
    Ok(out)
}

/// Rows per company, so each snapshot is computed from its own rows only.
pub(super) fn split_by_company(inputs: &ContractInputs) -> BTreeMap<i64, ContractInputs> {
    let mut out: BTreeMap<i64, ContractInputs> = BTreeMap::new();
    let mut company_of = BTreeMap::new();
    for c in &inputs.contracts {
        company_of.insert(c.id, c.company_id);
        out.entry(c.company_id)
            .or_default()
            .contracts
            .push(c.clone());
    }
    let mut company_of_service = BTreeMap::new();
    for s in &inputs.services {
        if let Some(&company) = company_of.get(&s.contract_id) {
            company_of_service.insert(s.id, company);
            out.entry(company).or_default().services.push(s.clone());
        }
    }
    for u in &inputs.service_units {
        if let Some(&company) = company_of_service.get(&u.contract_service_id) {
            out.entry(company)
                .or_default()
                .service_units
                .push(u.clone());
        }
    }
    let mut company_of_bundle = BTreeMap::new();
    for b in &inputs.bundles {
        if let Some(&company) = company_of.get(&b.contract_id) {
            company_of_bundle.insert(b.id, company);
            out.entry(company).or_default().bundles.push(b.clone());
        }
    }
    for u in &inputs.bundle_units {
        if let Some(&company) = company_of_bundle.get(&u.contract_service_bundle_id) {
            out.entry(company).or_default().bundle_units.push(u.clone());
        }
    }
    // Bundle contents are catalogue rows every company shares.
    for company in out.values_mut() {
        if !company.bundles.is_empty() {
            company.bundle_contents = inputs.bundle_contents.clone();
        }
    }
    out
}

fn is_empty(s: &CompanySnapshot) -> bool {
    !s.has_active_acronis_services() && s.contracts.is_empty() && s.notes.is_empty()
}

/// What kind of change it was (informational for the consumers).
fn reason(before: &CompanySnapshot, after: &CompanySnapshot) -> ChangeReason {
    if before.has_active_acronis_services() && !after.has_active_acronis_services() {
        ChangeReason::ContractEnded
    } else if before.items != after.items
        || before.reporting_lines != after.reporting_lines
        || before.invalid_contracts != after.invalid_contracts
    {
        ChangeReason::ServicesChanged
    } else {
        ChangeReason::ContractChanged
    }
}

/// `pw_base_workstations prepaid 25, pw_base_o365_seats PAYG`.
pub fn describe(s: &CompanySnapshot) -> String {
    if !s.has_active_acronis_services() {
        return "no active Acronis services".into();
    }
    let mut parts: Vec<String> = s
        .items
        .iter()
        .map(|e| match &e.billing {
            ItemBilling::Prepaid { units } => format!("{} prepaid {units}", e.item),
            ItemBilling::Payg => format!("{} PAYG", e.item),
            ItemBilling::Conflict { .. } => format!("{} in conflict", e.item),
        })
        .collect();
    if !s.reporting_lines.is_empty() {
        parts.push(format!("{} reporting lines", s.reporting_lines.len()));
    }
    if !s.invalid_contracts.is_empty() {
        parts.push(format!(
            "{} contracts with a bad PAYG value",
            s.invalid_contracts.len()
        ));
    }
    parts.join(", ")
}

/// Conflicts and bad PAYG values of a changed snapshot: one audit entry and one log
/// line each, naming the contracts.
async fn audit_contract_problems(ctx: &Context, s: &CompanySnapshot) -> Result<(), JobError> {
    for e in s.items.iter() {
        let ItemBilling::Conflict {
            payg_contract_ids,
            prepaid_contract_ids,
        } = &e.billing
        else {
            continue;
        };
        let reason = format!(
            "{} is held under PAYG contract(s) {payg_contract_ids:?} and prepaid contract(s) {prepaid_contract_ids:?}; not applied until one side changes",
            e.item
        );
        tracing::warn!(company_id = s.company_id, item = %e.item, ?payg_contract_ids, ?prepaid_contract_ids, "PAYG/prepaid conflict");
        Audit {
            actor: JOB,
            kind: "contracts.conflict",
            subject: format!("company:{}", s.company_id),
            before: None,
            after: Some(json!({
                "item": e.item,
                "payg_contract_ids": payg_contract_ids,
                "prepaid_contract_ids": prepaid_contract_ids,
            })),
            reason: Some(reason),
        }
        .write(ctx)
        .await?;
    }
    for bad in &s.invalid_contracts {
        tracing::warn!(company_id = s.company_id, contract_id = bad.contract_id, reason = %bad.reason, "contract skipped");
        Audit {
            actor: JOB,
            kind: "contracts.invalid",
            subject: format!("contract:{}", bad.contract_id),
            before: None,
            after: Some(json!({"company_id": s.company_id})),
            reason: Some(bad.reason.clone()),
        }
        .write(ctx)
        .await?;
    }
    Ok(())
}
