//! A new tenant an operator asks for (`PUT /customer-mappings/{id}` with
//! `{"new_tenant": true}`): the same naming rule and the same crash-safe provisioning
//! as automatic provisioning, only the mapping is marked with the caller's origin.

use super::gather::{company_names, primary_contacts};
use super::provisioner::Provisioner;
use crate::{Context, JobError, JobSummary};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::MappingOrigin;
use bridge_core::policy::Policy;
use bridge_core::provisioning::{SkipReason, TenantNaming, new_tenant_for};
use std::collections::BTreeSet;

/// Why a requested tenant was not provisioned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The company has a mapping already; it has to be removed first.
    #[error(
        "company {company_id} is already mapped to tenant {tenant_id}; remove that mapping first"
    )]
    AlreadyMapped { company_id: i64, tenant_id: String },
    /// The settings' naming rule cannot name the tenant (no primary contact, …).
    #[error("company {company_id} cannot get a new tenant: {reason}")]
    Refused { company_id: i64, reason: SkipReason },
    #[error(transparent)]
    Job(#[from] JobError),
}

/// Provisions a customer tenant for `company_id` as the provisioning settings say (name,
/// admin user and activation email, 2FA, pricing, offering items from the stored
/// contract snapshot, default storage) and maps it with `origin`; the audit names
/// `actor`. An interrupted earlier provisioning of the company is finished instead, and
/// a tenant made for it earlier (same `customer_id`) is reused. Returns the tenant id.
pub async fn provision_company(
    ctx: &Context,
    company_id: i64,
    origin: MappingOrigin,
    actor: &str,
) -> Result<String, ProvisionError> {
    if let Some(mapping) = ctx
        .store
        .get_mapping_by_company(company_id)
        .await
        .map_err(JobError::from)?
    {
        return Err(ProvisionError::AlreadyMapped {
            company_id,
            tenant_id: mapping.tenant_id,
        });
    }
    let settings = ctx
        .store
        .get_settings()
        .await
        .map_err(JobError::from)?
        .map(|s| s.value)
        .unwrap_or_default();
    let policy = Policy::from_settings(&settings);
    let now = ctx.clock.now();
    // Not a job run, but the readers count what they read into a summary.
    let mut summary = JobSummary::start(actor, false, now);
    let snapshot = ctx
        .store
        .get_contract_snapshot(company_id)
        .await
        .map_err(JobError::from)?
        .map(|s| s.value)
        .unwrap_or_else(|| CompanySnapshot::empty(company_id));

    let autotask = ctx.autotask().await?;
    let wanted = BTreeSet::from([company_id]);
    let (name, contact) = match policy.provisioning.naming {
        TenantNaming::CompanyName { .. } => {
            let mut names = company_names(&autotask, &wanted, &mut summary).await?;
            (names.remove(&company_id).unwrap_or_default(), None)
        }
        TenantNaming::PrimaryContact => {
            let mut contacts = primary_contacts(&autotask, &wanted, &mut summary).await?;
            (String::new(), contacts.remove(&company_id))
        }
    };
    let new = new_tenant_for(
        company_id,
        &name,
        contact.as_ref(),
        &snapshot,
        &policy.provisioning,
    )
    .map_err(|reason| ProvisionError::Refused { company_id, reason })?;

    let acronis = ctx.acronis().await?;
    let partner = acronis.tenant_id().await.map_err(JobError::from)?;
    let mut provisioner =
        Provisioner::new(ctx, &acronis, &partner, &policy, now, actor).on_behalf_of(origin);
    if let Some(pending) = ctx
        .store
        .get_pending_provisioning(company_id)
        .await
        .map_err(JobError::from)?
        && let Some(tenant_id) = provisioner.resume(pending, &snapshot).await?
    {
        return Ok(tenant_id);
    }
    let tenant_id = provisioner.adopt_or_create(&new, &snapshot).await?;
    for note in &provisioner.notes {
        tracing::info!(company_id, "{note}");
    }
    Ok(tenant_id)
}
