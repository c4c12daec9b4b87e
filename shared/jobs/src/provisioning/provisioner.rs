//! Creating a customer tenant for a company, crash-safe.
//!
//! The pending-provisioning record is written before anything exists in Acronis; the
//! tenant carries the Autotask company id as its `customer_id`. A run killed anywhere
//! leaves the record behind, and the next run finishes the same tenant — found by its
//! id when the record has it, else by a search for the `customer_id` among the
//! partner's children — instead of creating a second one. The same search comes first
//! for every new tenant, so a company whose mapping was removed gets its tenant back.
//! Every finishing step (offering items, 2FA, admin user, pricing, mapping) is safe to
//! repeat.

use crate::audit::Audit;
use crate::offering_items;
use crate::{Context, JobError};
use acronis::{
    AccessPolicy, AcronisClient, Contact, OfferingItem, TenantCreate, TenantKind, UserCreate,
};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
use bridge_core::policy::Policy;
use bridge_core::provisioning::{NewTenant, PendingProvisioning, PricingMode};
use bridge_core::quota::wanted_items;
use bridge_core::records::Versioned;
use bridge_store::store::StoreError;
use chrono::{DateTime, Utc};
use serde_json::json;

/// The audit id prefix the creation and the adoption of a tenant share.
const TENANT_PROVISIONED: &str = "tenant-provisioned";

/// Why a tenant an operator asked for through the mapping API was made.
const MANUAL_WHY: &str = "a new tenant requested through the mapping API";

/// The role the first user of a new customer gets.
const ADMIN_ROLE: &str = "company_admin";

/// Shared by the provisionings of one run: the partner and what it may grant.
pub struct Provisioner<'a> {
    ctx: &'a Context,
    acronis: &'a AcronisClient,
    partner: &'a str,
    policy: &'a Policy,
    now: DateTime<Utc>,
    available: Option<Vec<OfferingItem>>,
    /// How the mappings it writes are marked, and who the audit names.
    origin: MappingOrigin,
    actor: &'a str,
    /// Things worth telling the operator (items the partner cannot grant, …).
    pub notes: Vec<String>,
}

impl<'a> Provisioner<'a> {
    /// Automatic provisioning by the job `actor`.
    pub fn new(
        ctx: &'a Context,
        acronis: &'a AcronisClient,
        partner: &'a str,
        policy: &'a Policy,
        now: DateTime<Utc>,
        actor: &'a str,
    ) -> Self {
        Self {
            ctx,
            acronis,
            partner,
            policy,
            now,
            available: None,
            origin: MappingOrigin::Automatic,
            actor,
            notes: Vec::new(),
        }
    }

    /// For a tenant an operator asked for (the mapping API): mappings get `origin`.
    pub fn on_behalf_of(mut self, origin: MappingOrigin) -> Self {
        self.origin = origin;
        self
    }

    fn why(&self) -> &'static str {
        match self.origin {
            MappingOrigin::Automatic => {
                "automatic provisioning: an active contract holds mapped Acronis services"
            }
            MappingOrigin::Manual => MANUAL_WHY,
        }
    }

    /// `CreateTenant`: records the intent, then looks for a tenant made for this
    /// company earlier (by its `customer_id`) and finishes and maps that one; only when
    /// there is none creates a new tenant and finishes it. A company whose mapping was
    /// removed thus gets the same tenant back, never a second one (or, as Acronis
    /// refuses a sibling of the same name, a failure on every sweep). Returns the
    /// tenant's id.
    pub async fn adopt_or_create(
        &mut self,
        tenant: &NewTenant,
        snapshot: &CompanySnapshot,
    ) -> Result<String, JobError> {
        let (pending, version) = self.record(tenant).await?;
        match self.find(tenant).await? {
            Some(tenant_id) => {
                self.audit_adopted(&pending, &tenant_id).await?;
                self.finish(tenant, &tenant_id, snapshot).await?;
                self.map(&pending, &tenant_id).await?;
                Ok(tenant_id)
            }
            None => self.create_and_finish(pending, version, snapshot).await,
        }
    }

    async fn audit_adopted(
        &self,
        pending: &PendingProvisioning,
        tenant_id: &str,
    ) -> Result<(), JobError> {
        let new = &pending.tenant;
        Audit {
            actor: self.actor,
            kind: "tenant.adopted",
            subject: format!("tenant:{tenant_id}"),
            before: None,
            after: Some(json!({
                "company_id": new.company_id,
                "customer_id": new.customer_id,
            })),
            reason: Some(format!(
                "a tenant made for company {} earlier (customer_id {}) is mapped again instead of creating a second one",
                new.company_id, new.customer_id
            )),
        }
        .write_once(self.ctx, provisioning_audit_id(TENANT_PROVISIONED, pending), pending.started_at)
        .await
    }

    /// Writes the pending-provisioning record before anything exists in Acronis.
    async fn record(&self, tenant: &NewTenant) -> Result<(PendingProvisioning, u64), JobError> {
        let pending = PendingProvisioning {
            tenant: tenant.clone(),
            started_at: self.now,
            tenant_id: None,
        };
        let version = match self
            .ctx
            .store
            .put_pending_provisioning(&pending, None)
            .await
        {
            Ok(v) => v,
            Err(StoreError::Conflict { .. }) => {
                return Err(JobError::Invalid(format!(
                    "a provisioning of company {} is already under way; the next run finishes it",
                    tenant.company_id
                )));
            }
            Err(e) => return Err(e.into()),
        };
        Ok((pending, version))
    }

    /// `ResumePendingProvisioning`: finishes what a killed run started. Returns the
    /// tenant id when a tenant is (now) mapped.
    pub async fn resume(
        &mut self,
        pending: Versioned<PendingProvisioning>,
        snapshot: &CompanySnapshot,
    ) -> Result<Option<String>, JobError> {
        let company = pending.value.tenant.company_id;
        if let Some(mapping) = self.ctx.store.get_mapping_by_company(company).await? {
            // Finished earlier, or mapped by hand meanwhile: either way nothing to create.
            match &pending.value.tenant_id {
                // A run killed after mapping its tenant, before the audit entry: the
                // entry is written now (once, whichever run gets there first).
                Some(id) if *id == mapping.tenant_id => {
                    self.audit_mapped(&pending.value, &mapping).await?;
                }
                Some(orphan) => self.notes.push(format!(
                    "company {company}: mapped by hand to {} while tenant {orphan} was being provisioned; {orphan} is left unmapped",
                    mapping.tenant_id
                )),
                None => {}
            }
            self.drop_pending(company).await?;
            return Ok(Some(mapping.tenant_id));
        }
        let known = match &pending.value.tenant_id {
            Some(id) => match self.acronis.get_tenant(id).await {
                Ok(t) => Some(t.id),
                Err(acronis::Error::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            // The killed run's create may have reached Acronis: its tenant is adopted,
            // and audited as such, since that run could not audit the creation.
            None => {
                let found = self.find(&pending.value.tenant).await?;
                if let Some(tenant_id) = &found {
                    self.audit_adopted(&pending.value, tenant_id).await?;
                }
                found
            }
        };
        match known {
            Some(tenant_id) => {
                self.finish(&pending.value.tenant, &tenant_id, snapshot)
                    .await?;
                self.map(&pending.value, &tenant_id).await?;
                Ok(Some(tenant_id))
            }
            None if !snapshot.has_active_acronis_services() => {
                self.notes.push(format!(
                    "company {company}: its interrupted provisioning is dropped (no active Acronis services any more)"
                ));
                self.drop_pending(company).await?;
                Ok(None)
            }
            None => {
                let id = self
                    .create_and_finish(pending.value, pending.version, snapshot)
                    .await?;
                Ok(Some(id))
            }
        }
    }

    async fn create_and_finish(
        &mut self,
        mut pending: PendingProvisioning,
        version: u64,
        snapshot: &CompanySnapshot,
    ) -> Result<String, JobError> {
        let new = pending.tenant.clone();
        let mut request = TenantCreate::new(&new.name, TenantKind::Customer, self.partner);
        request.customer_id = Some(new.customer_id.clone());
        request.contact = Some(Contact {
            email: Some(new.activation_email.clone()),
            ..Contact::default()
        });
        let tenant = match self.acronis.create_tenant(&request).await {
            Ok(t) => t,
            // The answer was lost, unreadable, or the service failed: the tenant may
            // exist. The record stays, and the next run looks for it before creating.
            Err(e) if e.is_transient() || matches!(e, acronis::Error::Decode { .. }) => {
                return Err(e.into());
            }
            Err(e) => {
                // A definite refusal (e.g. the name is taken): nothing was created.
                self.drop_pending(new.company_id).await?;
                self.audit_failure(&new, &e.to_string()).await?;
                return Err(e.into());
            }
        };
        // Audited before the record learns the tenant's id: a run killed in between
        // adopts the tenant, and its adoption entry has this entry's id, so one stays.
        Audit {
            actor: self.actor,
            kind: "tenant.created",
            subject: format!("tenant:{}", tenant.id),
            before: None,
            after: Some(json!({
                "company_id": new.company_id,
                "name": new.name,
                "customer_id": new.customer_id,
                "admin_login": new.admin_login,
                "activation_email": new.activation_email,
                "mfa": new.mfa,
                "pricing": new.pricing,
            })),
            reason: Some(self.why().into()),
        }
        .write_once(
            self.ctx,
            provisioning_audit_id(TENANT_PROVISIONED, &pending),
            pending.started_at,
        )
        .await?;
        pending.tenant_id = Some(tenant.id.clone());
        self.ctx
            .store
            .put_pending_provisioning(&pending, Some(version))
            .await?;
        self.finish(&new, &tenant.id, snapshot).await?;
        self.map(&pending, &tenant.id).await?;
        Ok(tenant.id)
    }

    /// The tenant this company's `customer_id` marks among the partner's children.
    async fn find(&self, new: &NewTenant) -> Result<Option<String>, JobError> {
        let candidates: Vec<String> = if new.customer_id.chars().count() >= 3 {
            self.acronis
                .search(self.partner, &new.customer_id)
                .await?
                .into_iter()
                .filter(|h| h.obj_type == "tenant" && h.parent_id.as_deref() == Some(self.partner))
                .map(|h| h.id)
                .collect()
        } else {
            // Search needs 3 characters; short ids fall back to listing the children.
            self.acronis.children(self.partner).await?
        };
        if candidates.is_empty() {
            return Ok(None);
        }
        let tenants = self.acronis.get_tenants(&candidates).await?;
        Ok(tenants
            .into_iter()
            .find(|t| {
                t.kind == TenantKind::Customer
                    && t.customer_id.as_deref() == Some(new.customer_id.as_str())
            })
            .map(|t| t.id))
    }

    /// Offering items, 2FA, admin user with activation email, pricing: each repeatable.
    async fn finish(
        &mut self,
        new: &NewTenant,
        tenant_id: &str,
        snapshot: &CompanySnapshot,
    ) -> Result<(), JobError> {
        let available = self.available().await?;
        let wanted = wanted_items(
            &offering_items::states(&available),
            snapshot,
            new.default_storage_needed,
            self.policy,
        );
        for item in wanted.missing {
            self.notes.push(format!(
                "company {}: the partner cannot grant {item} to customers; not enabled",
                new.company_id
            ));
        }
        let updates = offering_items::updates(&available, &wanted.changes);
        self.acronis
            .update_quotas_with_retry(tenant_id, |_| updates.clone())
            .await?;
        if new.mfa {
            self.acronis.set_mfa(tenant_id, true).await?;
        }
        self.ensure_admin(new, tenant_id).await?;
        if new.pricing == PricingMode::Production {
            // New customer tenants start in trial.
            self.acronis.switch_to_production(tenant_id).await?;
        }
        Ok(())
    }

    /// The first admin user: created and sent the activation email once; a user left by
    /// an interrupted run is reused (and mailed again only if never activated).
    async fn ensure_admin(&self, new: &NewTenant, tenant_id: &str) -> Result<(), JobError> {
        let user_id = if self.acronis.check_login(&new.admin_login).await? {
            let user = self
                .acronis
                .create_user(&UserCreate {
                    tenant_id: tenant_id.to_owned(),
                    login: new.admin_login.clone(),
                    contact: Contact {
                        email: Some(new.activation_email.clone()),
                        ..Contact::default()
                    },
                    enabled: None,
                    language: None,
                    notifications: Vec::new(),
                    external_id: None,
                })
                .await?;
            user.id
        } else {
            let hit = self
                .acronis
                .search(tenant_id, &new.admin_login)
                .await?
                .into_iter()
                .find(|h| {
                    h.obj_type == "user"
                        && h.parent_id.as_deref() == Some(tenant_id)
                        && h.login
                            .as_deref()
                            .is_some_and(|l| l.eq_ignore_ascii_case(&new.admin_login))
                });
            let Some(hit) = hit else {
                return Err(JobError::Invalid(format!(
                    "the login {:?} is taken by a user outside tenant {tenant_id}",
                    new.admin_login
                )));
            };
            if self.acronis.get_user(&hit.id).await?.activated {
                return Ok(());
            }
            hit.id
        };
        let role = AccessPolicy::user_role(ADMIN_ROLE, tenant_id, &user_id);
        self.acronis.set_access_policies(&user_id, &[role]).await?;
        self.acronis.send_activation_email(&user_id).await?;
        Ok(())
    }

    /// Writes the mapping (both directions, one transaction), then drops the record.
    async fn map(&self, pending: &PendingProvisioning, tenant_id: &str) -> Result<(), JobError> {
        let new = &pending.tenant;
        let mapping = CustomerMapping {
            held: None,
            deletion: None,
            company_id: new.company_id,
            tenant_id: tenant_id.to_owned(),
            origin: self.origin,
            created_at: self.now,
            no_services_since: None,
            tenant_kind: MappedTenantKind::Customer,
        };
        self.ctx.store.put_mapping(&mapping).await?;
        self.audit_mapped(pending, &mapping).await?;
        self.drop_pending(new.company_id).await
    }

    /// The mapping a provisioning made, audited once: the pending record outlives the
    /// mapping until this entry is written, so a run killed in between is finished by
    /// the next one, which writes the same entry.
    async fn audit_mapped(
        &self,
        pending: &PendingProvisioning,
        mapping: &CustomerMapping,
    ) -> Result<(), JobError> {
        let id = provisioning_audit_id("mapping-created", pending);
        Audit {
            actor: self.actor,
            kind: "mapping.created",
            subject: format!("company:{}", mapping.company_id),
            before: None,
            after: serde_json::to_value(mapping).ok(),
            reason: Some(
                match mapping.origin {
                    MappingOrigin::Automatic => "automatic provisioning",
                    MappingOrigin::Manual => MANUAL_WHY,
                }
                .into(),
            ),
        }
        .write_once(self.ctx, id, pending.started_at)
        .await
    }

    async fn drop_pending(&self, company: i64) -> Result<(), JobError> {
        match self.ctx.store.delete_pending_provisioning(company).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn audit_failure(&self, new: &NewTenant, why: &str) -> Result<(), JobError> {
        Audit {
            actor: self.actor,
            kind: "provisioning.failed",
            subject: format!("company:{}", new.company_id),
            before: None,
            after: Some(json!({"name": new.name, "customer_id": new.customer_id})),
            reason: Some(format!(
                "{why}; map the company by hand with the mapping API, or fix the cause and wait for the next sweep"
            )),
        }
        .write(self.ctx)
        .await
    }

    /// What the partner may grant a new customer, read once per run.
    async fn available(&mut self) -> Result<Vec<OfferingItem>, JobError> {
        if let Some(items) = &self.available {
            return Ok(items.clone());
        }
        let items = self
            .acronis
            .available_for_child(self.partner, TenantKind::Customer)
            .await?;
        self.available = Some(items.clone());
        Ok(items)
    }
}

/// The id of one of a provisioning's audit entries (`what`: the tenant "created" or
/// "adopted", which share one id, or its mapping), the same in every run that finishes
/// the pending record: whichever run writes it first, a later one adds nothing.
fn provisioning_audit_id(what: &str, pending: &PendingProvisioning) -> String {
    format!(
        "{what}-{}",
        bridge_core::hash::json_fingerprint(&(pending.tenant.company_id, pending.started_at))
    )
}
