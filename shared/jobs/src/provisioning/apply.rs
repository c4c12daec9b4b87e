//! Applying the plans company by company: new tenants through the [`Provisioner`], the
//! other actions through [`TenantActions`]; skips go to the summary (and the audit when
//! the company's contracts changed). A dry run only writes plan lines.

use super::actions::TenantActions;
use super::describe::describe;
use super::gather::Gathered;
use super::provisioner::Provisioner;
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use acronis::AcronisClient;
use bridge_core::policy::Policy;
use bridge_core::provisioning::{Action, Plan, SkipReason};
use chrono::{DateTime, Utc};

/// Unmapped companies named in the manual-provisioning note.
const MANUAL_SHOWN: usize = 20;

/// What applying needs besides the plans.
pub struct Applier<'a> {
    pub ctx: &'a Context,
    pub acronis: &'a AcronisClient,
    pub policy: &'a Policy,
    pub now: DateTime<Utc>,
    /// The job that applies; the audit names it.
    pub actor: &'a str,
    pub dry_run: bool,
    /// Past it no further company's changes are started.
    pub deadline: &'a crate::Deadline,
}

impl Applier<'_> {
    /// Applies each plan's actions in order. One company's failure is recorded and
    /// stops that company only; the others go on. Returns how many companies' changes
    /// were not started because the deadline had passed.
    pub async fn apply(
        &self,
        gathered: &Gathered<'_>,
        plans: &[Plan],
        summary: &mut JobSummary,
    ) -> Result<usize, JobError> {
        let mut left = 0;
        let mut provisioner = Provisioner::new(
            self.ctx,
            self.acronis,
            &gathered.partner,
            self.policy,
            self.now,
            self.actor,
        );
        let tenant_actions = TenantActions {
            ctx: self.ctx,
            acronis: self.acronis,
            policy: self.policy,
            actor: self.actor,
        };
        let mut manual = Vec::new();
        for plan in plans {
            let company = plan.company_id;
            let Some(gathered) = gathered.companies.get(&company) else {
                continue;
            };
            for reason in plan.skips() {
                if reason == SkipReason::ManualProvisioning {
                    manual.push(company);
                } else {
                    summary.skip(format!("company:{company}"), reason.to_string());
                    if gathered.contracts.changed {
                        self.audit_skip(company, reason).await?;
                    }
                }
            }
            let snapshot = gathered.contracts.snapshot;
            if !self.dry_run && plan.changes().next().is_some() && self.deadline.passed() {
                left += 1;
                continue;
            }
            for action in plan.changes() {
                summary.planned += 1;
                summary.plan_line(format!("company {company}: {}", describe(action)));
                if self.dry_run {
                    continue;
                }
                let done = match action {
                    Action::CreateTenant(new) => {
                        provisioner.adopt_or_create(new, snapshot).await.map(drop)
                    }
                    Action::ResumePendingProvisioning { .. } => match &gathered.pending {
                        Some(pending) => provisioner
                            .resume(pending.clone(), snapshot)
                            .await
                            .map(drop),
                        None => Ok(()),
                    },
                    other => tenant_actions.apply(company, other).await,
                };
                match done {
                    Ok(()) => summary.applied += 1,
                    Err(e) => {
                        // This company's later actions build on this one: stop here.
                        tracing::warn!(company_id = company, error = %e, "action failed");
                        summary.fail(format!("company:{company}"), e);
                        break;
                    }
                }
            }
        }
        for note in provisioner.notes {
            summary.skip("provisioning", note);
        }
        if !manual.is_empty() {
            let shown: Vec<String> = manual
                .iter()
                .take(MANUAL_SHOWN)
                .map(i64::to_string)
                .collect();
            summary.skip(
                "manual provisioning",
                format!(
                    "{} unmapped companies have active Acronis services: map them with the mapping API (companies {}{})",
                    manual.len(),
                    shown.join(", "),
                    if manual.len() > shown.len() { ", …" } else { "" }
                ),
            );
        }
        Ok(left)
    }

    /// A guard or a refusal that stops a change the contracts call for.
    async fn audit_skip(&self, company: i64, reason: SkipReason) -> Result<(), JobError> {
        Audit {
            actor: self.actor,
            kind: "provisioning.skipped",
            subject: format!("company:{company}"),
            before: None,
            after: serde_json::to_value(reason).ok(),
            reason: Some(reason.to_string()),
        }
        .write(self.ctx)
        .await
    }
}
