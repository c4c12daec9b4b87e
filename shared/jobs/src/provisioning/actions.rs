//! Carrying out the planner's actions on a mapped tenant: trial switch, quotas to zero,
//! the deprovisioning clock, disable, enable, delete. Each one is audited with before
//! and after.

use crate::audit::Audit;
use crate::offering_items;
use crate::{Context, JobError};
use acronis::{AcronisClient, OfferingItem};
use bridge_core::mapping::{CustomerMapping, DeletionWatch};
use bridge_core::policy::Policy;
use bridge_core::provisioning::Action;
use bridge_core::quota::zero_quotas;
use bridge_store::store::{ExpectedMapping, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub struct TenantActions<'a> {
    pub ctx: &'a Context,
    pub acronis: &'a AcronisClient,
    pub policy: &'a Policy,
    /// Who the audit names.
    pub actor: &'a str,
}

impl TenantActions<'_> {
    /// Applies one action of `company`'s plan (not tenant creation: see `Provisioner`).
    pub async fn apply(&self, company: i64, action: &Action) -> Result<(), JobError> {
        match action {
            Action::SwitchToProduction { tenant_id } => {
                let before = self.acronis.pricing(tenant_id).await?;
                let after = self.acronis.switch_to_production(tenant_id).await?;
                self.audit(
                    "tenant.switched_to_production",
                    tenant_id,
                    json!({"mode": before.mode}),
                    json!({"mode": after.mode}),
                    "the trial has completed one full calendar month",
                )
                .await
            }
            Action::ZeroQuotas { tenant_id } => self.zero_quotas(tenant_id).await,
            Action::StartDeprovisioningClock { tenant_id, since } => {
                self.set_clock(company, tenant_id, Some(*since)).await
            }
            Action::StopDeprovisioningClock { tenant_id } => {
                self.set_clock(company, tenant_id, None).await
            }
            Action::DisableTenant { tenant_id } => self.set_enabled(tenant_id, false).await,
            Action::EnableTenant { tenant_id } => self.set_enabled(tenant_id, true).await,
            Action::DeleteTenant { tenant_id } => {
                // Disable (a no-op when already disabled), then delete with the current
                // version, as Acronis requires; a tenant already gone counts as deleted.
                self.acronis.disable_and_delete(tenant_id).await?;
                self.audit(
                    "tenant.deleted",
                    tenant_id,
                    json!({"company_id": company}),
                    Value::Null,
                    "deprovisioning: no active Acronis services for the configured days",
                )
                .await?;
                self.forget(company, tenant_id).await
            }
            Action::ForgetMapping { tenant_id } => self.forget(company, tenant_id).await,
            Action::WatchDeletion { tenant_id, watch } => {
                self.watch_deletion(company, tenant_id, watch.clone()).await
            }
            Action::CreateTenant(_) | Action::ResumePendingProvisioning { .. } => Err(
                JobError::Invalid("tenant creation is applied by the provisioner".into()),
            ),
            Action::Skip { .. } => Ok(()),
        }
    }

    /// Every quota of the tenant to 0 (hard), Free items unlimited; statuses untouched
    /// (Acronis refuses to switch off an item that has usage).
    async fn zero_quotas(&self, tenant_id: &str) -> Result<(), JobError> {
        let mut before = Vec::new();
        let changed = self
            .acronis
            .update_quotas_with_retry(tenant_id, |items| {
                before = items.iter().filter_map(quota_json).collect();
                let changes = zero_quotas(&offering_items::states(items), self.policy);
                offering_items::updates(items, &changes)
            })
            .await?;
        let after: Vec<Value> = changed.iter().filter_map(quota_json).collect();
        self.audit(
            "tenant.quotas_zeroed",
            tenant_id,
            Value::Array(before),
            Value::Array(after),
            "deprovisioning: the company has no active Acronis services",
        )
        .await
    }

    async fn set_enabled(&self, tenant_id: &str, enabled: bool) -> Result<(), JobError> {
        let tenant = self.acronis.set_tenant_enabled(tenant_id, enabled).await?;
        let (kind, reason) = if enabled {
            (
                "tenant.enabled",
                "Acronis services are back in an active contract",
            )
        } else {
            (
                "tenant.disabled",
                "deprovisioning: no active Acronis services for the configured days",
            )
        };
        self.audit(
            kind,
            tenant_id,
            json!({"enabled": !enabled}),
            json!({"enabled": tenant.enabled, "version": tenant.version}),
            reason,
        )
        .await
    }

    /// Starts (`Some`) or stops (`None`) the clock on the stored mapping, if it still
    /// maps this tenant (an operator may have remapped it meanwhile).
    async fn set_clock(
        &self,
        company: i64,
        tenant_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), JobError> {
        let Some(before) = self.current_mapping(company, tenant_id).await? else {
            return Ok(());
        };
        // A stopped clock ends the deletion watch too.
        let after = CustomerMapping {
            no_services_since: since,
            deletion: since.and(before.deletion.clone()),
            ..before.clone()
        };
        self.ctx.store.put_mapping(&after).await?;
        let (kind, reason) = match since {
            Some(_) => (
                "deprovisioning.clock_started",
                "the company has no active Acronis services",
            ),
            None => (
                "deprovisioning.clock_stopped",
                "Acronis services are back in an active contract",
            ),
        };
        Audit {
            actor: self.actor,
            kind,
            subject: format!("company:{company}"),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
            reason: Some(reason.into()),
        }
        .write(self.ctx)
        .await
    }

    /// Keeps the deletion watch on the stored mapping, if it still maps this tenant. A
    /// newly listed deletion date is audited; seeing the tenant disabled is not (its
    /// disable is).
    async fn watch_deletion(
        &self,
        company: i64,
        tenant_id: &str,
        watch: Option<DeletionWatch>,
    ) -> Result<(), JobError> {
        let Some(before) = self.current_mapping(company, tenant_id).await? else {
            return Ok(());
        };
        let newly_listed = watch
            .as_ref()
            .is_some_and(|w| before.deletion.as_ref().map(|b| b.listed_for) != Some(w.listed_for));
        let after = CustomerMapping {
            deletion: watch.clone(),
            ..before.clone()
        };
        self.ctx.store.put_mapping(&after).await?;
        if !newly_listed {
            return Ok(());
        }
        Audit {
            actor: self.actor,
            kind: "deletion.listed",
            subject: format!("company:{company}"),
            before: before
                .deletion
                .as_ref()
                .and_then(|d| serde_json::to_value(d).ok()),
            after: watch.as_ref().and_then(|d| serde_json::to_value(d).ok()),
            reason: Some(format!(
                "tenant {tenant_id} is due for deletion; the forecast lists it from now on"
            )),
        }
        .write(self.ctx)
        .await
    }

    /// Drops the mapping of a tenant that no longer exists.
    async fn forget(&self, company: i64, tenant_id: &str) -> Result<(), JobError> {
        let Some(before) = self.current_mapping(company, tenant_id).await? else {
            return Ok(());
        };
        // Only the mapping to the deleted tenant: a remap made meanwhile stays.
        let expected = ExpectedMapping::MappedTo(tenant_id.to_owned());
        match self.ctx.store.delete_mapping(company, &expected).await {
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(StoreError::NotAsRead { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        Audit {
            actor: self.actor,
            kind: "mapping.deleted",
            subject: format!("company:{company}"),
            before: serde_json::to_value(&before).ok(),
            after: None,
            reason: Some("the tenant was deleted".into()),
        }
        .write(self.ctx)
        .await
    }

    async fn current_mapping(
        &self,
        company: i64,
        tenant_id: &str,
    ) -> Result<Option<CustomerMapping>, JobError> {
        Ok(self
            .ctx
            .store
            .get_mapping_by_company(company)
            .await?
            .filter(|m| m.tenant_id == tenant_id))
    }

    async fn audit(
        &self,
        kind: &str,
        tenant_id: &str,
        before: Value,
        after: Value,
        reason: &str,
    ) -> Result<(), JobError> {
        Audit {
            actor: self.actor,
            kind,
            subject: format!("tenant:{tenant_id}"),
            before: Some(before).filter(|v| !v.is_null()),
            after: Some(after).filter(|v| !v.is_null()),
            reason: Some(reason.into()),
        }
        .write(self.ctx)
        .await
    }
}

fn quota_json(item: &OfferingItem) -> Option<Value> {
    let q = item.quota?;
    Some(json!({
        "name": item.name,
        "infra_id": item.infra_id,
        "value": q.value,
        "overage": q.overage,
    }))
}
