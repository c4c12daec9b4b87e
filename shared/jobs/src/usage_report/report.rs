//! One usage run: which customers, what they used in the period, the plan of each, the
//! writes, and the record of each customer's report.

use super::read::{self, TenantRead, UsageReads};
use super::units::{self, Line, Outcome};
use crate::{Context, JobError, JobRun, JobSummary, stored};
use acronis::AcronisClient;
use bridge_core::contracts::{Billing, CompanySnapshot, Contribution, Origin};
use bridge_core::mapping::{CustomerMapping, MappedTarget};
use bridge_core::records::{JobErrorRecord, UsageDay, UsageLedgerEntry, UsageReport, Versioned};
use bridge_core::settings::Settings;
use bridge_core::text::bounded;
use bridge_core::usage::{
    Period, TenantStorages, TenantUsage, UsageFigure, UsageInputs, UsagePlan,
    aggregate_sub_partner, plan_usage,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A figure measured longer ago than this (before the moment its period is judged at)
/// is stale. Acronis refreshes usage every few hours; a day and a bit allows for that
/// lag and for a missed refresh, not for a tenant whose usage stopped updating.
pub const STALE_AFTER_HOURS: i64 = 26;

/// Store records per batch read.
const STORE_BATCH: usize = 100;

/// Why a customer got no plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplanned {
    /// Nothing to do, with why (no snapshot yet, no usage recorded in the period).
    Skipped(String),
    /// Something could not be read; it is tried again next run.
    Failed(String),
}

/// What the next report would write for one customer.
#[derive(Debug, Clone)]
pub struct CompanyUsage {
    pub company_id: i64,
    pub tenant_id: String,
    pub sub_partner: bool,
    pub outcome: Result<UsagePlan, Unplanned>,
}

impl CompanyUsage {
    fn subject(&self) -> String {
        format!("company:{}", self.company_id)
    }
}

/// A mapped company with Acronis lines in its contracts, and the tenants whose usage
/// it is billed for.
struct Customer {
    mapping: CustomerMapping,
    snapshot: CompanySnapshot,
    /// The mapped tenant, or the customers under a mapped sub-partner.
    tenants: Result<Vec<String>, String>,
}

impl Customer {
    fn sub_partner(&self) -> bool {
        self.mapping.is_sub_partner()
    }

    fn bills_public_cloud(&self, settings: &Settings) -> bool {
        self.snapshot.reporting_lines.iter().any(|l| {
            matches!(
                settings.target_of_service(l.service_id),
                Some(MappedTarget::PublicCloud(_))
            )
        })
    }

    /// The PAYG contract services the usage could be written to.
    fn payg_contract_services(&self) -> impl Iterator<Item = i64> + '_ {
        let lines = self
            .snapshot
            .items
            .iter()
            .flat_map(|i| &i.contributions)
            .chain(&self.snapshot.reporting_lines);
        lines.filter_map(|c: &Contribution| match (c.billing, &c.origin) {
            (
                Billing::Payg,
                Origin::Service {
                    contract_service_id,
                },
            ) => Some(*contract_service_id),
            _ => None,
        })
    }
}

/// Everything a run planned from, kept for its writes.
pub struct Gathered {
    pub plans: Vec<CompanyUsage>,
    /// Ledger entries of the period, by contract service.
    pub ledger: BTreeMap<i64, Versioned<UsageLedgerEntry>>,
    /// This run's usage reads, by tenant (recorded into the daily history).
    pub reads: UsageReads,
}

/// Reads what the plans of `scope` are made from and plans each customer; with no
/// period due today, only reads the usage (for the history). `all` is every mapping: a
/// sub-partner's customers that are mapped on their own are reported to their own
/// company and left out of its aggregate.
#[allow(clippy::too_many_arguments)]
pub async fn gather(
    ctx: &Context,
    acronis: &AcronisClient,
    settings: &Settings,
    scope: Vec<CustomerMapping>,
    all: &BTreeMap<i64, CustomerMapping>,
    period: Option<&Period>,
    now: DateTime<Utc>,
    summary: &mut JobSummary,
) -> Result<Gathered, JobError> {
    let mut snapshots = stored::snapshots(ctx, scope.iter().map(|m| m.company_id)).await?;
    let own: BTreeSet<String> = all
        .values()
        .filter(|m| !m.is_sub_partner())
        .map(|m| m.tenant_id.clone())
        .collect();
    let mut customers = Vec::new();
    let mut without_lines = 0;
    for mapping in scope {
        // No snapshot yet (the poller stores one for a company with contracts), or no
        // Acronis line in its contracts: nothing to report.
        let Some(snapshot) = snapshots
            .remove(&mapping.company_id)
            .flatten()
            .map(|s| s.value)
            .filter(|s| !s.items.is_empty() || !s.reporting_lines.is_empty())
        else {
            without_lines += 1;
            continue;
        };
        let tenants = if mapping.is_sub_partner() {
            read::customers_under(acronis, &mapping.tenant_id, &own)
                .await
                .map_err(|e| {
                    format!(
                        "the customers under sub-partner {} could not be listed: {}",
                        mapping.tenant_id,
                        bounded(&e.to_string(), 300)
                    )
                })
        } else {
            Ok(vec![mapping.tenant_id.clone()])
        };
        customers.push(Customer {
            mapping,
            snapshot,
            tenants,
        });
    }
    summary.read("customers with Acronis lines", customers.len() as u64);
    summary.read("customers without Acronis lines or snapshot", without_lines);

    let mut ids: Vec<String> = customers
        .iter()
        .filter_map(|c| c.tenants.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    ids.sort();
    ids.dedup();
    let reads = read::usages(acronis, &ids, now).await;
    summary.read("tenants' usage", ids.len() as u64);
    summary.read("usage batches", reads.requests);
    let Some(period) = period else {
        return Ok(Gathered {
            plans: Vec::new(),
            ledger: BTreeMap::new(),
            reads,
        });
    };

    let today = now.date_naive();
    let history = if period.is_past(today) {
        Some(history_in(ctx, &ids, period).await?)
    } else {
        None
    };
    let mut contract_services: Vec<i64> = customers
        .iter()
        .flat_map(Customer::payg_contract_services)
        .collect();
    contract_services.sort_unstable();
    contract_services.dedup();
    let mut ledger = BTreeMap::new();
    for chunk in contract_services.chunks(STORE_BATCH) {
        ledger.extend(ctx.store.get_usages(&period.key, chunk).await?);
    }

    let as_of = period.as_of(now);
    let mut plans = Vec::with_capacity(customers.len());
    for customer in &customers {
        let outcome = match figures_of(customer, &reads, history.as_ref(), period) {
            Err(unplanned) => Err(unplanned),
            Ok((figures, notes)) => {
                // Storages cost two requests per tenant: only for public cloud products.
                let storages = if customer.bills_public_cloud(settings) {
                    let read = storages_of(acronis, customer).await;
                    if customer.sub_partner() {
                        aggregate_storages(&read)
                    } else {
                        read.into_values().next().flatten()
                    }
                } else {
                    None
                };
                let reported: Vec<_> = customer
                    .payg_contract_services()
                    .filter_map(|id| ledger.get(&id))
                    .map(|e| bridge_core::usage::ReportedUsage {
                        contract_service_id: e.value.contract_service_id,
                        period_key: e.value.period.clone(),
                        units: e.value.units,
                    })
                    .collect();
                let mut plan = plan_usage(&UsageInputs {
                    snapshot: &customer.snapshot,
                    settings,
                    figures: &figures,
                    storages: storages.as_ref(),
                    period,
                    reported: &reported,
                    now: as_of,
                    stale_after: Duration::hours(STALE_AFTER_HOURS),
                });
                plan.skipped.extend(notes);
                Ok(plan)
            }
        };
        plans.push(CompanyUsage {
            company_id: customer.mapping.company_id,
            tenant_id: customer.mapping.tenant_id.clone(),
            sub_partner: customer.sub_partner(),
            outcome,
        });
    }
    Ok(Gathered {
        plans,
        ledger,
        reads,
    })
}

/// The last history record inside the period of every tenant.
async fn history_in(
    ctx: &Context,
    ids: &[String],
    period: &Period,
) -> Result<BTreeMap<String, UsageDay>, JobError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(STORE_BATCH) {
        out.extend(
            ctx.store
                .latest_usage_days(chunk, period.start, period.end)
                .await?,
        );
    }
    Ok(out)
}

/// The storages of each of the customer's tenants (`None` where they could not be read).
async fn storages_of(
    acronis: &AcronisClient,
    customer: &Customer,
) -> BTreeMap<String, Option<TenantStorages>> {
    let mut out = BTreeMap::new();
    for tenant in customer.tenants.as_ref().into_iter().flatten() {
        let read = read::storages(acronis, tenant).await;
        if let Err(e) = &read {
            tracing::warn!(tenant, error = %e, "storages not read; public cloud lines are skipped");
        }
        out.insert(tenant.clone(), read.ok());
    }
    out
}

fn aggregate_storages(read: &BTreeMap<String, Option<TenantStorages>>) -> Option<TenantStorages> {
    let tenants: Vec<TenantUsage> = read
        .iter()
        .map(|(id, storages)| TenantUsage {
            tenant_id: id.clone(),
            figures: Vec::new(),
            storages: storages.clone(),
        })
        .collect();
    aggregate_sub_partner(&tenants, &BTreeSet::new()).1
}

/// The figures a customer's period is reported from, with notes for the plan.
///
/// A running period takes this run's reads (figures measured before the period began
/// belong to the one before); a past period takes the last history record inside it,
/// that is, the last usage the bridge saw before the period ended.
fn figures_of(
    customer: &Customer,
    reads: &UsageReads,
    history: Option<&BTreeMap<String, UsageDay>>,
    period: &Period,
) -> Result<(Vec<UsageFigure>, Vec<bridge_core::usage::SkippedUsage>), Unplanned> {
    let tenants = customer
        .tenants
        .as_ref()
        .map_err(|e| Unplanned::Failed(e.clone()))?;
    let begins = period
        .start
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let mut notes = Vec::new();
    let mut per_tenant = Vec::new();
    for tenant in tenants {
        let figures = match history {
            None => match reads.tenants.get(tenant) {
                Some(Ok(figures)) => figures
                    .iter()
                    .filter(|f| f.measured_at >= begins)
                    .cloned()
                    .collect(),
                Some(Err(why)) => {
                    return Err(Unplanned::Failed(tenant_failure(customer, tenant, why)));
                }
                None => {
                    return Err(Unplanned::Failed(format!(
                        "usage of tenant {tenant} was not read"
                    )));
                }
            },
            Some(history) => match history.get(tenant) {
                Some(day) => day.figures.clone(),
                None if customer.sub_partner() => {
                    notes.push(bridge_core::usage::SkippedUsage {
                        what: format!("tenant {tenant}"),
                        reason: format!(
                            "no usage recorded inside {} – {}; it adds nothing to the aggregate",
                            period.start, period.end
                        ),
                    });
                    continue;
                }
                None => {
                    return Err(Unplanned::Skipped(format!(
                        "no usage recorded inside {} – {} (the bridge keeps a daily history from its first run)",
                        period.start, period.end
                    )));
                }
            },
        };
        per_tenant.push(TenantUsage {
            tenant_id: tenant.clone(),
            figures,
            storages: None,
        });
    }
    if !customer.sub_partner() {
        return Ok((
            per_tenant.pop().map(|t| t.figures).unwrap_or_default(),
            notes,
        ));
    }
    Ok((
        aggregate_sub_partner(&per_tenant, &BTreeSet::new()).0,
        notes,
    ))
}

fn tenant_failure(customer: &Customer, tenant: &str, why: &str) -> String {
    if customer.sub_partner() {
        format!("customer {tenant} under the sub-partner: {why}")
    } else {
        why.to_owned()
    }
}

/// Reports the usage of `scope` for `period`; with no period due today, only keeps the
/// day's usage in the history.
pub async fn report(
    run: &mut JobRun<'_>,
    scope: Vec<CustomerMapping>,
    all: &BTreeMap<i64, CustomerMapping>,
    period: Option<&Period>,
    write_budget: std::time::Duration,
) -> Result<(), JobError> {
    if scope.is_empty() {
        return Ok(());
    }
    let now = run.ctx.clock.now();
    let acronis = run.acronis().await?;
    let gathered = gather(
        run.ctx,
        &acronis,
        &run.settings,
        scope,
        all,
        period,
        now,
        &mut run.summary,
    )
    .await?;
    if !run.dry_run {
        record_history(run.ctx, &gathered.reads, now, &mut run.summary).await;
    }
    let Some(period) = period else {
        return Ok(());
    };
    let mut lines = Vec::new();
    let mut notices = Vec::new();
    for company in &gathered.plans {
        notices.extend(describe(company, &mut run.summary));
        let Ok(plan) = &company.outcome else { continue };
        let line = |contract_id, contract_service_id, what: &str, to_units, reason: &str| Line {
            company_id: company.company_id,
            contract_id,
            contract_service_id,
            what: what.to_owned(),
            to_units,
            reason: reason.to_owned(),
            ledger: gathered.ledger.get(&contract_service_id).cloned(),
        };
        for update in &plan.updates {
            if run.dry_run {
                run.summary.plan_line(format!(
                    "company {} usage {}: {}",
                    company.company_id,
                    plan.period.key,
                    update.describe()
                ));
            }
            lines.push(line(
                update.contract_id,
                update.contract_service_id,
                &update.what,
                update.to_units,
                &update.reason,
            ));
        }
        // A line already at its usage is re-read too: the snapshot may be a minute old.
        for confirmed in &plan.confirmed {
            lines.push(line(
                confirmed.contract_id,
                confirmed.contract_service_id,
                &confirmed.what,
                confirmed.units,
                "units already at the usage",
            ));
        }
    }
    if run.dry_run {
        notices.into_iter().for_each(|n| run.summary.plan_line(n));
        return Ok(());
    }
    let mut written: BTreeMap<i64, u32> = BTreeMap::new();
    let mut failures: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut refused: BTreeMap<i64, Vec<bridge_core::usage::SkippedUsage>> = BTreeMap::new();
    if !lines.is_empty() {
        let autotask = run.autotask().await?;
        let actor = run.actor();
        let mut deferred = 0_u64;
        let outcomes = units::write_all(
            run.ctx,
            &autotask,
            actor,
            period,
            now,
            lines,
            write_budget,
            &run.deadline,
        )
        .await;
        for (line, outcome) in outcomes {
            let subject = format!(
                "company:{} contract service {}",
                line.company_id, line.contract_service_id
            );
            match outcome {
                Outcome::Written { before, adjustment } => {
                    if adjustment.is_some() {
                        run.summary.applied += 1;
                        *written.entry(line.company_id).or_default() += 1;
                        run.summary.plan_line(format!(
                            "company {} usage {}: contract {} contract service {} ({}): {before} -> {} units; {}",
                            line.company_id,
                            period.key,
                            line.contract_id,
                            line.contract_service_id,
                            line.what,
                            line.to_units,
                            line.reason
                        ));
                    }
                }
                Outcome::Skipped(why) => {
                    run.summary.skip(subject, why.clone());
                    refused.entry(line.company_id).or_default().push(
                        bridge_core::usage::SkippedUsage {
                            what: line.what.clone(),
                            reason: why,
                        },
                    );
                }
                Outcome::Failed(why) => {
                    run.summary.fail(subject, &why);
                    failures.entry(line.company_id).or_default().push(why);
                }
                Outcome::Deferred => deferred += 1,
            }
        }
        if deferred > 0 {
            run.summary.skip(
                "usage lines",
                format!(
                    "{deferred} lines deferred to the next run: this run's write budget ({} s) or its deadline is spent",
                    write_budget.as_secs()
                ),
            );
        }
    }
    notices.into_iter().for_each(|n| run.summary.plan_line(n));
    record_reports(
        run.ctx,
        &gathered.plans,
        period,
        now,
        &written,
        &failures,
        &mut refused,
    )
    .await;
    Ok(())
}

/// Counts one customer's plan into the summary, with its skips and failures; returns
/// its overuse notices, shown after the writes.
fn describe(company: &CompanyUsage, summary: &mut JobSummary) -> Vec<String> {
    let subject = company.subject();
    let mut notices = Vec::new();
    match &company.outcome {
        Err(Unplanned::Skipped(why)) => summary.skip(subject, why.clone()),
        Err(Unplanned::Failed(why)) => summary.fail(subject, why),
        Ok(plan) => {
            summary.read("lines already reported", u64::from(plan.already_reported));
            summary.planned += plan.updates.len() as u64;
            summary.read("overuse notices", plan.overuse.len() as u64);
            for overuse in &plan.overuse {
                notices.push(format!(
                    "company {} overuse (prepaid, not written): {} uses {} of {} units",
                    company.company_id, overuse.what, overuse.used, overuse.quota
                ));
            }
            for skipped in &plan.skipped {
                summary.skip(
                    format!("{subject} {}", skipped.what),
                    skipped.reason.clone(),
                );
            }
        }
    }
    notices
}

/// Keeps each tenant's figures of today in the daily history, writing only tenants
/// whose figures changed since the last record of today.
async fn record_history(
    ctx: &Context,
    reads: &UsageReads,
    now: DateTime<Utc>,
    summary: &mut JobSummary,
) {
    let today: NaiveDate = now.date_naive();
    let read: Vec<(&String, Vec<UsageFigure>)> = reads
        .tenants
        .iter()
        .filter_map(|(id, r): (&String, &TenantRead)| {
            r.as_ref().ok().map(|f| {
                let mut f = f.clone();
                f.sort_by(|a, b| a.item.cmp(&b.item));
                (id, f)
            })
        })
        .collect();
    let mut changed = Vec::new();
    for chunk in read.chunks(STORE_BATCH) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| (*id).clone()).collect();
        let stored = match ctx.store.latest_usage_days(&ids, today, today).await {
            Ok(stored) => stored,
            Err(e) => {
                summary.fail("usage history", format!("could not be read: {e}"));
                return;
            }
        };
        for (id, figures) in chunk {
            if stored.get(*id).is_some_and(|d| &d.figures == figures) {
                continue;
            }
            changed.push(UsageDay {
                tenant_id: (*id).clone(),
                day: today,
                figures: figures.clone(),
                seen_at: now,
            });
        }
    }
    summary.read("usage history records written", changed.len() as u64);
    if let Err(e) = ctx.store.put_usage_days(&changed).await {
        summary.fail("usage history", format!("could not be written: {e}"));
    }
}

/// Keeps each customer's outcome for the accounts route; a record whose content did
/// not change keeps its date, so it says since when the outcome holds.
async fn record_reports(
    ctx: &Context,
    plans: &[CompanyUsage],
    period: &Period,
    now: DateTime<Utc>,
    written: &BTreeMap<i64, u32>,
    failures: &BTreeMap<i64, Vec<String>>,
    refused: &mut BTreeMap<i64, Vec<bridge_core::usage::SkippedUsage>>,
) {
    let reports: Vec<UsageReport> = plans
        .iter()
        .map(|company| {
            let mut failed: Vec<String> = failures
                .get(&company.company_id)
                .cloned()
                .unwrap_or_default();
            let (skipped, overuse) = match &company.outcome {
                Ok(plan) => (plan.skipped.clone(), plan.overuse.clone()),
                Err(Unplanned::Skipped(why)) => (
                    vec![bridge_core::usage::SkippedUsage {
                        what: "customer".into(),
                        reason: why.clone(),
                    }],
                    Vec::new(),
                ),
                Err(Unplanned::Failed(why)) => {
                    failed.push(why.clone());
                    (Vec::new(), Vec::new())
                }
            };
            let mut skipped = skipped;
            skipped.extend(refused.remove(&company.company_id).unwrap_or_default());
            UsageReport {
                company_id: company.company_id,
                tenant_id: company.tenant_id.clone(),
                period: Some(period.key.clone()),
                reported_at: now,
                written: written.get(&company.company_id).copied().unwrap_or(0),
                skipped,
                overuse,
                last_error: (!failed.is_empty()).then(|| JobErrorRecord {
                    at: now,
                    message: bounded(&failed.join("; "), 2_000),
                }),
            }
        })
        .collect();
    let mut changed = Vec::new();
    for chunk in reports.chunks(STORE_BATCH) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.company_id).collect();
        let stored = ctx.store.get_usage_reports(&ids).await.unwrap_or_default();
        for report in chunk {
            let same = stored.get(&report.company_id).is_some_and(|s| {
                s.period == report.period
                    && s.skipped == report.skipped
                    && s.overuse == report.overuse
                    && report.written == 0
                    && s.last_error.as_ref().map(|e| &e.message)
                        == report.last_error.as_ref().map(|e| &e.message)
            });
            if !same {
                changed.push(report.clone());
            }
        }
    }
    if let Err(e) = ctx.store.put_usage_reports(&changed).await {
        tracing::warn!(error = %e, "usage reports not recorded");
    }
}
