//! One customer: gather (snapshot, push record, tenant, offering items), plan with the
//! core, apply (Acronis quotas, Autotask units with two-way sync), record (audit, merge
//! bases, the version pushed). One customer's failure is recorded for that customer
//! and the run goes on with the others.

use super::scope::Target;
use super::{CONCURRENCY, units};
use crate::audit::Audit;
use crate::offering_items;
use crate::provisioning::observe;
use crate::{Context, JobError, JobRun, JobSummary};
use acronis::{AcronisClient, OfferingItem};
use autotask::AutotaskClient;
use bridge_core::contracts::{CompanySnapshot, OfferingItemRef};
use bridge_core::mapping::{MappedTenantKind, SUB_PARTNER_LEFT_ALONE};
use bridge_core::policy::Policy;
use bridge_core::provisioning::ObservedTenant;
use bridge_core::quota::QuotaValue;
use bridge_core::quota_push::{
    QuotaBase, QuotaChange, QuotaInputs, QuotaPlan, QuotaReason, plan_quotas,
};
use bridge_core::records::{
    IntendedQuota, JobErrorRecord, QuotaBaseRecord, QuotaIntent, QuotaSync, Versioned,
};
use bridge_core::text::bounded;
use bridge_store::store::StoreError;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What the next push would do for one customer (`GET /plan`, dry runs).
#[derive(Debug, Clone)]
pub struct CompanyPlan {
    pub company_id: i64,
    pub tenant_id: String,
    /// The contract snapshot it was planned from (`None`: none stored yet).
    pub snapshot_version: Option<u64>,
    pub plan: QuotaPlan,
}

/// Everything one customer's plan is made from.
struct Gathered {
    company_id: i64,
    snapshot: Option<Versioned<CompanySnapshot>>,
    pushed: Option<Versioned<QuotaSync>>,
    tenant: ObservedTenant,
    items: Vec<OfferingItem>,
}

impl Gathered {
    /// The merge bases that apply: those recorded for this very tenant.
    fn bases(&self, tenant_id: &str) -> Vec<QuotaBase> {
        self.pushed
            .as_ref()
            .filter(|p| p.value.tenant_id == tenant_id)
            .map(|p| p.value.bases.iter().map(base_from_record).collect())
            .unwrap_or_default()
    }

    fn plan(
        &self,
        tenant_id: &str,
        items: &[OfferingItem],
        policy: &Policy,
        two_way: bool,
    ) -> QuotaPlan {
        let empty;
        let snapshot = match &self.snapshot {
            Some(s) => &s.value,
            None => {
                empty = CompanySnapshot::empty(self.company_id);
                &empty
            }
        };
        let current = offering_items::states(items);
        let bases = self.bases(tenant_id);
        plan_quotas(&QuotaInputs {
            snapshot,
            policy,
            tenant: &self.tenant,
            current: &current,
            two_way_sync: two_way,
            bases: &bases,
        })
    }
}

/// Reads what one customer's plan is made from; `tenant` as observed in a batch.
async fn gather(
    ctx: &Context,
    acronis: &AcronisClient,
    target: &Target,
    tenant: ObservedTenant,
) -> Result<Gathered, JobError> {
    let (snapshot, pushed) = match &target.read {
        Some(read) => (Some(read.snapshot.clone()), read.pushed.clone()),
        None => (
            ctx.store.get_contract_snapshot(target.company_id).await?,
            ctx.store.get_quota_sync(target.company_id).await?,
        ),
    };
    let items = match tenant {
        ObservedTenant::Exists { .. } => acronis.offering_items(&target.tenant_id, None).await?,
        ObservedTenant::Deleted => Vec::new(),
    };
    Ok(Gathered {
        company_id: target.company_id,
        snapshot,
        pushed,
        tenant,
        items,
    })
}

/// The tenants of `targets` as the planner sees them, read 100 at a time; a tenant whose
/// batch could not be read is missing (its customer fails this run).
async fn observe_tenants(
    ctx: &Context,
    acronis: &AcronisClient,
    partner: &str,
    targets: &[Target],
) -> BTreeMap<String, Option<ObservedTenant>> {
    let ids: Vec<String> = targets.iter().map(|t| t.tenant_id.clone()).collect();
    // Trial and pricing notes are the poller's business, not the push's.
    let mut scratch = JobSummary::start("quota-push", true, ctx.clock.now());
    observe(acronis, partner, &ids, &mut scratch).await
}

/// What the next push would change for `target`, without changing anything.
pub async fn plan_company(
    ctx: &Context,
    acronis: &AcronisClient,
    policy: &Policy,
    two_way: bool,
    company_id: i64,
    tenant_id: &str,
) -> Result<CompanyPlan, JobError> {
    let partner = acronis.tenant_id().await?;
    let target = Target {
        company_id,
        tenant_id: tenant_id.to_owned(),
        tenant_kind: MappedTenantKind::Customer,
        read: None,
    };
    let tenant = observe_tenants(ctx, acronis, &partner, std::slice::from_ref(&target))
        .await
        .remove(tenant_id)
        .flatten()
        .ok_or_else(|| JobError::Invalid(format!("tenant {tenant_id} could not be read")))?;
    let gathered = gather(ctx, acronis, &target, tenant).await?;
    let plan = gathered.plan(tenant_id, &gathered.items, policy, two_way);
    Ok(CompanyPlan {
        company_id,
        tenant_id: tenant_id.to_owned(),
        snapshot_version: gathered.snapshot.as_ref().map(|s| s.version),
        plan,
    })
}

/// What pushing one customer did, folded into the run's summary afterwards.
#[derive(Default)]
struct Outcome {
    planned: u64,
    applied: u64,
    plan_lines: Vec<String>,
    skipped: Vec<(String, String)>,
    failed: Vec<(String, String)>,
    items_read: u64,
}

/// Pushes every target, [`CONCURRENCY`] at a time. Sub-partner targets are only
/// reported as skipped: their tenant is not a customer's, and its customers' quotas
/// follow their own mappings.
pub async fn push_all(run: &mut JobRun<'_>, targets: Vec<Target>) -> Result<(), JobError> {
    let (sub_partners, targets): (Vec<Target>, Vec<Target>) = targets
        .into_iter()
        .partition(|t| t.tenant_kind == MappedTenantKind::SubPartner);
    for target in &sub_partners {
        run.summary.skip(
            format!("company:{}", target.company_id),
            SUB_PARTNER_LEFT_ALONE,
        );
    }
    if targets.is_empty() {
        return Ok(());
    }
    let acronis = run.acronis().await?;
    let two_way = run.settings.features.two_way_sync;
    let autotask = if two_way && !run.dry_run {
        Some(run.autotask().await?)
    } else {
        None
    };
    let partner = acronis.tenant_id().await?;
    let tenants = observe_tenants(run.ctx, &acronis, &partner, &targets).await;
    let policy = Policy::from_settings(&run.settings);
    let push = Push {
        ctx: run.ctx,
        acronis: &acronis,
        autotask: autotask.as_ref(),
        tenants: &tenants,
        policy: &policy,
        two_way,
        dry_run: run.dry_run,
        actor: run.actor(),
        now: run.ctx.clock.now(),
    };
    let push = &push;
    let deadline = &run.deadline;
    // Past the deadline no customer is started; the ones left have no push record at
    // their snapshot's version, so the next sweep picks them up.
    let outcomes: Vec<Option<Outcome>> = futures_util::stream::iter(targets)
        .map(|target| async move {
            if deadline.passed() {
                return None;
            }
            Some(push.one(&target).await)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let left = outcomes.iter().filter(|o| o.is_none()).count();
    let summary = &mut run.summary;
    summary.read("customers", (outcomes.len() - left) as u64);
    if left > 0 {
        summary.skip(
            "deadline",
            format!("stopped at the run's deadline with {left} customers left; the next sweep continues with them"),
        );
    }
    for outcome in outcomes.into_iter().flatten() {
        summary.read("offering items", outcome.items_read);
        summary.planned += outcome.planned;
        summary.applied += outcome.applied;
        summary.plan.extend(outcome.plan_lines);
        for (subject, reason) in outcome.skipped {
            summary.skip(subject, reason);
        }
        for (subject, reason) in outcome.failed {
            summary.fail(subject, reason);
        }
    }
    Ok(())
}

struct Push<'a> {
    ctx: &'a Context,
    acronis: &'a AcronisClient,
    autotask: Option<&'a AutotaskClient>,
    tenants: &'a BTreeMap<String, Option<ObservedTenant>>,
    policy: &'a Policy,
    two_way: bool,
    dry_run: bool,
    actor: &'a str,
    now: DateTime<Utc>,
}

impl Push<'_> {
    async fn one(&self, target: &Target) -> Outcome {
        let mut outcome = Outcome::default();
        let subject = format!("company:{}", target.company_id);
        let Some(tenant) = self.tenants.get(&target.tenant_id).cloned().flatten() else {
            let why = format!("tenant {} could not be read this run", target.tenant_id);
            outcome.failed.push((subject, why.clone()));
            self.record_failure(target, &why).await;
            return outcome;
        };
        let gathered = match gather(self.ctx, self.acronis, target, tenant).await {
            Ok(g) => g,
            Err(e) => {
                outcome.failed.push((subject, e.to_string()));
                self.record_failure(target, &e.to_string()).await;
                return outcome;
            }
        };
        outcome.items_read = gathered.items.len() as u64;
        let plan = gathered.plan(
            &target.tenant_id,
            &gathered.items,
            self.policy,
            self.two_way,
        );
        if let Some(reason) = &plan.tenant_skip {
            outcome.skipped.push((subject, reason.clone()));
            if !self.dry_run {
                let read = gathered.pushed.as_ref().map(|p| p.version);
                self.record(target, &gathered, &plan.bases, &[], read).await;
            }
            return outcome;
        }
        for skipped in &plan.skipped {
            outcome.skipped.push((
                format!("{subject} {}", skipped.item),
                skipped.reason.clone(),
            ));
        }
        let tenant = &target.tenant_id;
        // What the contracts call for first, then Free items, then zeroing: the lines a
        // terminal shows the first few of.
        let mut shown: Vec<&QuotaChange> = plan.changes.iter().collect();
        shown.sort_by_key(|c| match c.reason {
            QuotaReason::Free => 1,
            QuotaReason::NotInContract | QuotaReason::Unmapped => 2,
            _ => 0,
        });
        for change in shown {
            outcome.planned += 1;
            outcome.plan_lines.push(format!(
                "company {} (tenant {tenant}): {}",
                target.company_id,
                change.describe()
            ));
        }
        for change in &plan.unit_changes {
            outcome.planned += 1;
            outcome.plan_lines.push(format!(
                "company {} (Autotask): {}",
                target.company_id,
                change.describe()
            ));
        }
        if self.dry_run {
            return outcome;
        }
        if let Some(intent) = gathered
            .pushed
            .as_ref()
            .and_then(|p| p.value.intent.as_ref())
        {
            self.audit_applied_intent(target, &gathered, &plan, intent)
                .await;
        }
        let intent = QuotaIntent {
            at: self.now,
            snapshot_version: gathered.snapshot.as_ref().map(|s| s.version),
            changes: plan
                .changes
                .iter()
                .map(|c| {
                    let (before, after) = quota_audit(c, target.company_id);
                    IntendedQuota {
                        item: c.change.item.to_string(),
                        before,
                        after,
                        reason: c.reason.to_string(),
                    }
                })
                .collect(),
        };
        let version = self.record_intent(target, &gathered, &intent).await;
        let mut failures: Vec<String> = Vec::new();
        let mut failed_items: Vec<OfferingItemRef> = Vec::new();
        let applied = self
            .apply_quotas(
                target,
                &gathered,
                &plan,
                intent.at,
                &mut failures,
                &mut failed_items,
            )
            .await;
        outcome.applied += applied;
        for change in &plan.unit_changes {
            match self.apply_units(target, change).await {
                Ok(true) => outcome.applied += 1,
                Ok(false) => {}
                Err(e) => {
                    failed_items.push(change.item.clone());
                    failures.push(format!("{}: {e}", change.item));
                }
            }
        }
        for conflict in &plan.conflicts {
            self.audit(
                "quota.sync_conflict",
                format!("tenant:{tenant}"),
                Some(json!({"item": conflict.item.to_string(), "base": quota_json(&conflict.base)})),
                Some(json!({"acronis": quota_json(&conflict.acronis), "autotask": quota_json(&conflict.autotask)})),
                "two-way sync: both Acronis and Autotask changed since the last sync; Autotask wins",
            )
            .await;
        }
        // A failed item keeps its old base, so the next push tries it again.
        let old = gathered.bases(&target.tenant_id);
        let bases: Vec<QuotaBase> = plan
            .bases
            .iter()
            .filter(|b| !failed_items.contains(&b.item))
            .cloned()
            .chain(old.into_iter().filter(|b| failed_items.contains(&b.item)))
            .collect();
        for failure in &failures {
            outcome.failed.push((subject.clone(), failure.clone()));
        }
        self.record(target, &gathered, &bases, &failures, version)
            .await;
        outcome
    }

    /// Audits the changes of a killed push's intent that the tenant has now: planned
    /// from the same snapshot and wanted no more, Acronis applied them. Each entry has
    /// the id and instant the killed run would have given it, so one it wrote stays
    /// alone.
    async fn audit_applied_intent(
        &self,
        target: &Target,
        gathered: &Gathered,
        plan: &QuotaPlan,
        intent: &QuotaIntent,
    ) {
        if intent.snapshot_version != gathered.snapshot.as_ref().map(|s| s.version) {
            return;
        }
        for intended in &intent.changes {
            let still_wanted = plan
                .changes
                .iter()
                .any(|c| c.change.item.to_string() == intended.item);
            if still_wanted {
                continue;
            }
            self.audit_quota_change(
                target,
                &intended.item,
                intended.before.clone(),
                intended.after.clone(),
                &intended.reason,
                intent.at,
            )
            .await;
        }
    }

    /// Stores the intent before the quotas are written, on the push record as read;
    /// returns the record's version from here on. With nothing to write, or lost to a
    /// concurrent push, the version read stands (that push records its own).
    async fn record_intent(
        &self,
        target: &Target,
        gathered: &Gathered,
        intent: &QuotaIntent,
    ) -> Option<u64> {
        let read = gathered.pushed.as_ref().map(|p| p.version);
        if intent.changes.is_empty() {
            return read;
        }
        let mut record = gathered
            .pushed
            .as_ref()
            .map(|p| p.value.clone())
            .filter(|r| r.tenant_id == target.tenant_id)
            .unwrap_or_else(|| never_pushed(target));
        record.intent = Some(intent.clone());
        match self.ctx.store.put_quota_sync(&record, read).await {
            Ok(version) => Some(version),
            Err(e) => {
                tracing::warn!(company_id = target.company_id, error = %e, "quota intent not recorded");
                read
            }
        }
    }

    /// The audit entry of one quota change, under the id and instant of its intent.
    async fn audit_quota_change(
        &self,
        target: &Target,
        item: &str,
        before: Value,
        after: Value,
        reason: &str,
        intent_at: DateTime<Utc>,
    ) {
        let id = format!(
            "quota-{}",
            bridge_core::hash::json_fingerprint(&(target.company_id, &target.tenant_id, item))
        );
        let entry = Audit {
            actor: self.actor,
            kind: "quota.changed",
            subject: format!("tenant:{}", target.tenant_id),
            before: Some(before),
            after: Some(after),
            reason: Some(reason.to_owned()),
        };
        if let Err(e) = entry.write_once(self.ctx, id, intent_at).await {
            tracing::warn!(error = %e, "audit entry not written");
        }
    }

    /// Sends the quota changes in one request, planned again on the items as read right
    /// before it (and again after a 426). When Acronis refuses the request, each change
    /// is sent on its own, so one refused item (e.g. switching off an item that has
    /// usage) does not hold back the others. Returns the number of items changed.
    async fn apply_quotas(
        &self,
        target: &Target,
        gathered: &Gathered,
        plan: &QuotaPlan,
        intent_at: DateTime<Utc>,
        failures: &mut Vec<String>,
        failed_items: &mut Vec<OfferingItemRef>,
    ) -> u64 {
        if plan.changes.is_empty() {
            return 0;
        }
        let tenant = &target.tenant_id;
        let all: Vec<OfferingItemRef> =
            plan.changes.iter().map(|c| c.change.item.clone()).collect();
        match self.send(target, gathered, &all, intent_at).await {
            Ok(n) => return n,
            Err(e) if e.is_transient() => {
                failures.push(format!("quotas of tenant {tenant}: {e}"));
                failed_items.extend(all);
                return 0;
            }
            Err(_) => {}
        }
        let mut applied = 0;
        for item in all {
            match self
                .send(target, gathered, std::slice::from_ref(&item), intent_at)
                .await
            {
                Ok(n) => applied += n,
                Err(e) => {
                    failures.push(format!("{item}: {}", bounded(&e.to_string(), 500)));
                    failed_items.push(item);
                }
            }
        }
        applied
    }

    /// One read-plan-write of the quotas of `only` these items; audits each change made.
    async fn send(
        &self,
        target: &Target,
        gathered: &Gathered,
        only: &[OfferingItemRef],
        intent_at: DateTime<Utc>,
    ) -> Result<u64, acronis::Error> {
        let mut decided = Vec::new();
        let changed = self
            .acronis
            .update_quotas_with_retry(&target.tenant_id, |items| {
                let plan = gathered.plan(&target.tenant_id, items, self.policy, self.two_way);
                decided = plan
                    .changes
                    .into_iter()
                    .filter(|c| only.contains(&c.change.item))
                    .collect::<Vec<_>>();
                let changes: Vec<_> = decided.iter().map(|c| c.change.clone()).collect();
                offering_items::updates(items, &changes)
            })
            .await?;
        for change in &decided {
            let (before, after) = quota_audit(change, target.company_id);
            self.audit_quota_change(
                target,
                &change.change.item.to_string(),
                before,
                after,
                &change.reason.to_string(),
                intent_at,
            )
            .await;
        }
        Ok(changed.len().min(decided.len()) as u64)
    }

    async fn apply_units(
        &self,
        target: &Target,
        change: &bridge_core::quota_push::UnitChange,
    ) -> Result<bool, JobError> {
        let Some(autotask) = self.autotask else {
            return Ok(false);
        };
        let adjusted = units::apply(autotask, change, self.now.date_naive()).await?;
        if adjusted.adjustment_id.is_none() {
            return Ok(false);
        }
        self.audit(
            "contract_units.changed",
            format!("company:{}", target.company_id),
            Some(json!({"contract_id": change.contract_id, "contract_service_id": change.contract_service_id, "units": adjusted.before})),
            Some(json!({"contract_id": change.contract_id, "contract_service_id": change.contract_service_id, "units": adjusted.after, "adjustment_id": adjusted.adjustment_id})),
            &change.reason,
        )
        .await;
        Ok(true)
    }

    /// Records the push: the snapshot version pushed, the merge bases, the failures.
    /// Lost to a concurrent push of the same customer, theirs stands.
    async fn record(
        &self,
        target: &Target,
        gathered: &Gathered,
        bases: &[QuotaBase],
        failures: &[String],
        expected: Option<u64>,
    ) {
        let record = QuotaSync {
            company_id: target.company_id,
            tenant_id: target.tenant_id.clone(),
            pushed_snapshot_version: gathered.snapshot.as_ref().map(|s| s.version),
            pushed_at: Some(self.now),
            bases: bases.iter().map(base_to_record).collect(),
            last_error: (!failures.is_empty()).then(|| JobErrorRecord {
                at: self.now,
                message: bounded(&failures.join("; "), 2_000),
            }),
            intent: None,
        };
        match self.ctx.store.put_quota_sync(&record, expected).await {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => {
                tracing::warn!(company_id = target.company_id, error = %e, "push not recorded")
            }
        }
    }

    /// A customer that could not even be read: keep the error for the accounts route.
    async fn record_failure(&self, target: &Target, message: &str) {
        let existing = self
            .ctx
            .store
            .get_quota_sync(target.company_id)
            .await
            .ok()
            .flatten();
        let mut record = existing
            .as_ref()
            .map(|e| e.value.clone())
            .unwrap_or_else(|| never_pushed(target));
        record.last_error = Some(JobErrorRecord {
            at: self.now,
            message: bounded(message, 2_000),
        });
        let _ = self
            .ctx
            .store
            .put_quota_sync(&record, existing.map(|e| e.version))
            .await;
    }

    async fn audit(
        &self,
        kind: &str,
        subject: String,
        before: Option<Value>,
        after: Option<Value>,
        reason: &str,
    ) {
        let entry = Audit {
            actor: self.actor,
            kind,
            subject,
            before,
            after,
            reason: Some(reason.to_owned()),
        };
        if let Err(e) = entry.write(self.ctx).await {
            tracing::warn!(error = %e, kind, "audit entry not written");
        }
    }
}

/// The record of a customer no push has recorded yet.
fn never_pushed(target: &Target) -> QuotaSync {
    QuotaSync {
        company_id: target.company_id,
        tenant_id: target.tenant_id.clone(),
        pushed_snapshot_version: None,
        pushed_at: None,
        bases: Vec::new(),
        last_error: None,
        intent: None,
    }
}

/// A quota change's audit `before` and `after`.
fn quota_audit(change: &QuotaChange, company_id: i64) -> (Value, Value) {
    (
        json!({
            "item": change.change.item.to_string(),
            "enabled": change.was_enabled,
            "quota": change.from.as_ref().map(quota_json),
        }),
        json!({
            "item": change.change.item.to_string(),
            "enabled": change.change.enabled.unwrap_or(change.was_enabled),
            "quota": change.change.quota.as_ref().map(quota_json),
            "company_id": company_id,
        }),
    )
}

fn quota_json(q: &QuotaValue) -> Value {
    json!({"value": q.value, "overage": q.overage})
}

fn base_from_record(r: &QuotaBaseRecord) -> QuotaBase {
    QuotaBase {
        item: OfferingItemRef {
            name: r.name.clone(),
            infra_id: r.infra_id.clone(),
        },
        quota: QuotaValue {
            value: r.value,
            overage: r.overage,
        },
    }
}

fn base_to_record(b: &QuotaBase) -> QuotaBaseRecord {
    QuotaBaseRecord {
        name: b.item.name.clone(),
        infra_id: b.item.infra_id.clone(),
        value: b.quota.value,
        overage: b.quota.overage,
    }
}
