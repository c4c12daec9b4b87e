//! Deletion is the last step, and it is checked again right before it: a snapshot can
//! be minutes old, and a deleted tenant takes the customer's backups with it. The
//! companies a run would delete are re-read from Autotask itself (contracts, services,
//! units, in one batch), their mappings from the store, and each deletion goes ahead only
//! if the company still has no active Acronis services, still maps the tenant, and both
//! notices are served. A refusal takes the deletion out of the plan and is audited; the
//! clock keeps running, so the next sweep decides again.

use super::cursor::PollCursor;
use super::{reader, snapshots, udf};
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use autotask::AutotaskClient;
use bridge_core::contracts::company_snapshot;
use bridge_core::policy::Policy;
use bridge_core::provisioning::{Action, Plan, notice_refusal};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeSet;

/// Checks every deletion in `plans` again; a refused one leaves its plan.
#[allow(clippy::too_many_arguments)]
pub async fn recheck_deletions(
    ctx: &Context,
    autotask: &AutotaskClient,
    cursor: &mut PollCursor,
    plans: &mut [Plan],
    policy: &Policy,
    now: DateTime<Utc>,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<(), JobError> {
    let deleting: BTreeSet<i64> = plans
        .iter()
        .filter(|p| p.actions.iter().any(is_delete))
        .map(|p| p.company_id)
        .collect();
    if deleting.is_empty() {
        return Ok(());
    }
    let today = now.date_naive();
    let mut inputs = reader::read_companies(autotask, &deleting, today, summary).await?;
    udf::resolve_payg_values(autotask, cursor, false, &mut inputs.contracts).await?;
    let by_company = snapshots::split_by_company(&inputs);
    let empty = Default::default();
    for plan in plans
        .iter_mut()
        .filter(|p| deleting.contains(&p.company_id))
    {
        let company = plan.company_id;
        let Some(tenant_id) = plan.actions.iter().find_map(|a| match a {
            Action::DeleteTenant { tenant_id } => Some(tenant_id.clone()),
            _ => None,
        }) else {
            continue;
        };
        let snapshot = company_snapshot(
            company,
            by_company.get(&company).unwrap_or(&empty),
            &policy.service_map,
            today,
        );
        let mapping = ctx
            .store
            .get_mapping_by_company(company)
            .await?
            .filter(|m| m.tenant_id == tenant_id);
        let refusal = if snapshot.has_active_acronis_services() {
            Some(
                "its contracts, re-read from Autotask just now, hold active Acronis services"
                    .to_owned(),
            )
        } else {
            match &mapping {
                None => Some("the company no longer maps this tenant".to_owned()),
                Some(m) => notice_refusal(m.deletion.as_ref(), &policy.deprovisioning, today),
            }
        };
        let (kind, reason) = match &refusal {
            Some(why) => {
                plan.actions.retain(|a| !is_delete(a));
                summary.skip(
                    format!("company:{company}"),
                    format!("deletion of tenant {tenant_id} refused: {why}"),
                );
                tracing::warn!(company_id = company, tenant_id = %tenant_id, reason = %why, "deletion refused");
                ("deletion.refused", format!("deletion refused: {why}"))
            }
            None => (
                "deletion.rechecked",
                "re-read from Autotask right before the deletion: no active Acronis services; \
                 the tenant disabled, and the deletion listed, for the notice days"
                    .to_owned(),
            ),
        };
        if dry_run {
            continue;
        }
        Audit {
            actor: super::JOB,
            kind,
            subject: format!("company:{company}"),
            before: None,
            after: Some(json!({
                "tenant_id": tenant_id,
                "contracts_reread": snapshot.contracts.len(),
                "active_acronis_services": snapshot.has_active_acronis_services(),
                "deletion": mapping.as_ref().and_then(|m| m.deletion.as_ref()),
            })),
            reason: Some(reason),
        }
        .write(ctx)
        .await?;
    }
    Ok(())
}

fn is_delete(action: &Action) -> bool {
    matches!(action, Action::DeleteTenant { .. })
}
