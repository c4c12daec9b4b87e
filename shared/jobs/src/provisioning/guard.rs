//! The blast-radius guard around a run's plans: which companies' deprovisioning is held
//! (decided by the pure `bridge_core::provisioning::guard_deprovisioning`), recording
//! the holds on the mappings, dropping them once they no longer apply, and the
//! operator's release.
//!
//! A run that holds anything logs one error line, `deprovisioning held`, with the
//! counts: the template's log metric filter turns it into the alarm.

use super::gather::Gathered;
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use bridge_core::mapping::CustomerMapping;
use bridge_core::policy::Policy;
use bridge_core::provisioning::{
    DeprovisioningHold, Guarded, Plan, guard_deprovisioning, is_deprovisioning,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;

/// The audit actor and summary subject of the guard.
const SUBJECT: &str = "deprovisioning guard";

/// Takes the held actions out of `plans` and records each held company (unless a dry
/// run), as the contract poller. Returns the guard's decision; [`clear`] drops the holds it lists as cleared
/// once the run has applied the plans.
pub async fn hold(
    ctx: &Context,
    gathered: &Gathered<'_>,
    plans: &mut [Plan],
    policy: &Policy,
    now: DateTime<Utc>,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<Guarded, JobError> {
    // Only the contract poller deprovisions.
    let actor = crate::contract_poller::JOB;
    let holds: BTreeMap<i64, DeprovisioningHold> = gathered
        .companies
        .iter()
        .filter_map(|(&c, company)| Some((c, company.mapping.as_ref()?.held.clone()?)))
        .collect();
    let deprovisioning = plans
        .iter()
        .any(|p| p.actions.iter().any(is_deprovisioning));
    if !deprovisioning && holds.is_empty() {
        return Ok(Guarded::default());
    }
    // The share counts every mapped company, not only those this run read.
    let mapped = crate::stored::all_mappings(ctx).await?.len();
    let guarded = guard_deprovisioning(plans, &holds, mapped, policy.hold_above);
    if guarded.held.is_empty() {
        return Ok(guarded);
    }
    tracing::error!(
        job = actor,
        held = guarded.held.len(),
        deprovisioning = guarded.deprovisioning,
        limit = guarded.limit,
        mapped,
        "deprovisioning held"
    );
    summary.skip(
        SUBJECT,
        format!(
            "deprovisioning of {} companies held: more than {} would start or continue at once ({} mapped); release them with POST /deprovisioning/release or `bridge release`",
            guarded.held.len(),
            guarded.limit,
            mapped
        ),
    );
    for plan in &guarded.held {
        for action in &plan.actions {
            summary.plan_line(format!(
                "company {}: held: {}",
                plan.company_id,
                super::describe(action)
            ));
        }
        if dry_run {
            continue;
        }
        let Some(mapping) = gathered
            .companies
            .get(&plan.company_id)
            .and_then(|c| c.mapping.as_ref())
        else {
            continue;
        };
        record(ctx, mapping, plan, &guarded, mapped, now, actor).await?;
    }
    Ok(guarded)
}

/// Stores the hold on the company's current mapping; audited when the company is newly
/// held or its held actions changed.
async fn record(
    ctx: &Context,
    gathered: &CustomerMapping,
    plan: &Plan,
    guarded: &Guarded,
    mapped: usize,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<(), JobError> {
    let Some(current) = ctx
        .store
        .get_mapping_by_company(plan.company_id)
        .await?
        .filter(|m| m.tenant_id == gathered.tenant_id)
    else {
        return Ok(());
    };
    let previous = current.held.clone();
    // Held again with the same kinds of action (a clock start carries this run's time):
    // nothing to record.
    if let Some(p) = previous.as_ref().filter(|p| !p.is_released())
        && p.actions
            .iter()
            .map(std::mem::discriminant)
            .eq(plan.actions.iter().map(std::mem::discriminant))
    {
        return Ok(());
    }
    let held = DeprovisioningHold {
        held_at: previous.as_ref().map_or(now, |h| h.held_at),
        actions: plan.actions.clone(),
        released_at: None,
        released_by: None,
    };
    let after = CustomerMapping {
        held: Some(held.clone()),
        ..current
    };
    ctx.store.put_mapping(&after).await?;
    Audit {
        actor,
        kind: "deprovisioning.held",
        subject: format!("company:{}", plan.company_id),
        before: previous.and_then(|h| serde_json::to_value(h).ok()),
        after: Some(json!({
            "held": held,
            "deprovisioning": guarded.deprovisioning,
            "limit": guarded.limit,
            "mapped": mapped,
        })),
        reason: Some(format!(
            "{} companies would start or continue deprovisioning at once, more than {}; an operator releases them",
            guarded.deprovisioning, guarded.limit
        )),
    }
    .write(ctx)
    .await
}

/// Drops the holds the guard cleared, for companies whose actions all applied this run.
/// A company that failed keeps its released hold and the next run tries again: those
/// are returned.
pub async fn clear(
    ctx: &Context,
    guarded: &Guarded,
    dry_run: bool,
    summary: &JobSummary,
) -> Result<Vec<i64>, JobError> {
    let mut kept = Vec::new();
    for &company in &guarded.cleared {
        let subject = format!("company:{company}");
        if dry_run || summary.failed.iter().any(|n| n.subject == subject) {
            kept.push(company);
            continue;
        }
        let Some(current) = ctx.store.get_mapping_by_company(company).await? else {
            continue;
        };
        if current.held.is_none() {
            continue;
        }
        ctx.store
            .put_mapping(&CustomerMapping {
                held: None,
                ..current
            })
            .await?;
    }
    Ok(kept)
}

/// Which held companies an operator releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    All,
    Companies(Vec<i64>),
}

/// Marks the held companies chosen as released (audited `deprovisioning.released`);
/// the next poller run applies their actions. Returns the companies released; a company
/// that is not held is left out of the answer.
pub async fn release(
    ctx: &Context,
    which: &Release,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, JobError> {
    let candidates: Vec<CustomerMapping> = match which {
        Release::All => crate::stored::all_mappings(ctx)
            .await?
            .into_values()
            .collect(),
        Release::Companies(ids) => {
            let mut found = Vec::new();
            for &id in ids {
                if let Some(m) = ctx.store.get_mapping_by_company(id).await? {
                    found.push(m);
                }
            }
            found
        }
    };
    let mut released = Vec::new();
    for mapping in candidates {
        let Some(held) = mapping.held.clone().filter(|h| !h.is_released()) else {
            continue;
        };
        let after = DeprovisioningHold {
            released_at: Some(now),
            released_by: Some(actor.to_owned()),
            ..held.clone()
        };
        let company = mapping.company_id;
        ctx.store
            .put_mapping(&CustomerMapping {
                held: Some(after.clone()),
                ..mapping
            })
            .await?;
        Audit {
            actor,
            kind: "deprovisioning.released",
            subject: format!("company:{company}"),
            before: serde_json::to_value(&held).ok(),
            after: serde_json::to_value(&after).ok(),
            reason: Some(
                "an operator released the held deprovisioning; the next contract poller run applies it"
                    .into(),
            ),
        }
        .write(ctx)
        .await?;
        released.push(company);
    }
    Ok(released)
}

/// A held company as the config API shows it (`GET /plan`, `GET /accounts`, the
/// deletion forecast): `None` when nothing is held.
pub fn held_json(mapping: &CustomerMapping) -> Option<serde_json::Value> {
    let held = mapping.held.as_ref()?;
    let lines: Vec<String> = held.actions.iter().map(super::describe).collect();
    Some(json!({
        "company_id": mapping.company_id,
        "tenant_id": mapping.tenant_id,
        "held_at": held.held_at,
        "actions": held.actions,
        "lines": lines,
        "released": held.is_released(),
        "released_at": held.released_at,
        "released_by": held.released_by,
    }))
}
