//! Tenants: the partner/customer tree, read, created, changed, disabled and deleted.
//!
//! Every change sends the tenant's current `version`; a stale one is refused with
//! [`Error::VersionConflict`]. [`AcronisClient::update_tenant_with_retry`] re-reads and
//! tries again, so read-modify-write callers need not handle that themselves.

use crate::client::{AcronisClient, BATCH, CONFLICT_ATTEMPTS, api2, joined, seg, to_body};
use crate::error::Error;
use crate::transport::Call;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// Where a tenant sits in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Root,
    Partner,
    Folder,
    Customer,
    Unit,
    /// A kind this client does not know yet; kept readable rather than failing.
    #[serde(other)]
    Other,
}

impl TenantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Root => "root",
            TenantKind::Partner => "partner",
            TenantKind::Folder => "folder",
            TenantKind::Customer => "customer",
            TenantKind::Unit => "unit",
            TenantKind::Other => "other",
        }
    }
}

/// Trial or production billing of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingMode {
    Trial,
    Production,
    #[serde(other)]
    Other,
}

/// A tenant's contact (also used for users). Every field is optional on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zipcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
}

/// `update_lock`: when enabled, only users of `owner_id` may change the tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateLock {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

/// A tenant as the account server returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    /// Optimistic-concurrency revision; required on every change.
    pub version: u64,
    pub name: String,
    pub kind: TenantKind,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub internal_tag: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub has_children: Option<bool>,
    /// `false` = self-service: the partner's admins are locked out.
    #[serde(default)]
    pub ancestral_access: Option<bool>,
    #[serde(default)]
    pub update_lock: Option<UpdateLock>,
    #[serde(default)]
    pub mfa_status: Option<String>,
    #[serde(default)]
    pub pricing_mode: Option<PricingMode>,
    #[serde(default)]
    pub production_start_date: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn yes() -> bool {
    true
}

impl Tenant {
    /// Self-service tenants (no ancestral access) must not be changed by the bridge.
    pub fn is_self_service(&self) -> bool {
        self.ancestral_access == Some(false)
    }

    /// Locked by a tenant other than `caller_tenant`: changes would be refused.
    pub fn is_locked_against(&self, caller_tenant: &str) -> bool {
        self.update_lock
            .as_ref()
            .is_some_and(|l| l.enabled && l.owner_id.as_deref() != Some(caller_tenant))
    }
}

/// `POST /tenants`. New customer tenants start in trial with `version` 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantCreate {
    pub name: String,
    pub kind: TenantKind,
    pub parent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl TenantCreate {
    pub fn new(name: impl Into<String>, kind: TenantKind, parent_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            parent_id: parent_id.into(),
            contact: None,
            enabled: None,
            customer_id: None,
            internal_tag: None,
            language: None,
        }
    }
}

/// `PUT /tenants/{id}`: the current `version` plus only the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TenantUpdate {
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<TenantKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestral_access: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_lock: Option<UpdateLock>,
}

impl AcronisClient {
    /// `GET /tenants/{id}`.
    pub async fn get_tenant(&self, id: &str) -> Result<Tenant, Error> {
        self.fetch(Call::get(api2(format!("/tenants/{}", seg(id)))), "tenant")
            .await
    }

    /// `GET /tenants?uuids=`, 100 ids per request, following `after` cursors.
    /// Unknown ids are skipped by the server, so fewer tenants may come back.
    pub async fn get_tenants(&self, uuids: &[String]) -> Result<Vec<Tenant>, Error> {
        let mut tenants = Vec::with_capacity(uuids.len());
        for chunk in uuids.chunks(BATCH) {
            let call = Call::get(api2("/tenants")).query("uuids", joined(chunk));
            tenants.extend(self.all_pages::<Tenant>(call, "tenants").await?);
        }
        Ok(tenants)
    }

    /// Ids of the direct children (`GET /tenants/{id}/children`).
    pub async fn children(&self, id: &str) -> Result<Vec<String>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/children", seg(id))));
        self.all_pages(call, "tenant children").await
    }

    /// The direct children as full tenants (`include_details=true`).
    pub async fn children_details(&self, id: &str) -> Result<Vec<Tenant>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/children", seg(id))))
            .query("include_details", "true");
        self.all_pages(call, "tenant children").await
    }

    /// `POST /tenants`. Not retried after a 5xx or broken connection (it may have
    /// been created): look for it by name before creating again.
    pub async fn create_tenant(&self, tenant: &TenantCreate) -> Result<Tenant, Error> {
        if tenant.name.trim().is_empty() {
            return Err(Error::InvalidArgument {
                field: "name",
                reason: "a tenant needs a name".into(),
            });
        }
        let call = Call::new(Method::POST, api2("/tenants")).json(to_body("tenant", tenant)?);
        self.fetch(call, "created tenant").await
    }

    /// `PUT /tenants/{id}` with the version in `update`.
    pub async fn update_tenant(&self, id: &str, update: &TenantUpdate) -> Result<Tenant, Error> {
        let call = Call::new(Method::PUT, api2(format!("/tenants/{}", seg(id))))
            .json(to_body("tenant update", update)?);
        self.fetch(call, "updated tenant").await
    }

    /// Read-modify-write: `change` sees the current tenant and returns the fields to
    /// change (its `version` is filled in), or `None` when nothing needs changing.
    /// On a version conflict the tenant is re-read and `change` asked again, a few
    /// times. Returns the tenant as it is afterwards.
    pub async fn update_tenant_with_retry<F>(
        &self,
        id: &str,
        mut change: F,
    ) -> Result<Tenant, Error>
    where
        F: FnMut(&Tenant) -> Option<TenantUpdate>,
    {
        let mut attempt = 1;
        loop {
            let current = self.get_tenant(id).await?;
            let Some(mut update) = change(&current) else {
                return Ok(current);
            };
            update.version = current.version;
            match self.update_tenant(id, &update).await {
                Err(Error::VersionConflict { .. }) if attempt < CONFLICT_ATTEMPTS => {
                    tracing::debug!(tenant = id, attempt, "tenant changed meanwhile, re-reading");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Enables or disables a tenant; no request beyond the read when it already is.
    pub async fn set_tenant_enabled(&self, id: &str, enabled: bool) -> Result<Tenant, Error> {
        self.update_tenant_with_retry(id, |t| {
            (t.enabled != enabled).then(|| TenantUpdate {
                enabled: Some(enabled),
                ..TenantUpdate::default()
            })
        })
        .await
    }

    /// `DELETE /tenants/{id}?version=N`. Acronis refuses to delete an enabled tenant
    /// (code 1006); see [`AcronisClient::disable_and_delete`].
    pub async fn delete_tenant(&self, id: &str, version: u64) -> Result<(), Error> {
        let call = Call::new(Method::DELETE, api2(format!("/tenants/{}", seg(id))))
            .query("version", version.to_string());
        self.send(call).await.map(drop)
    }

    /// Disables the tenant if needed, then deletes it. Irreversible: it destroys the
    /// customer's backups. A tenant that is already gone counts as deleted, so a
    /// rerun converges.
    pub async fn disable_and_delete(&self, id: &str) -> Result<(), Error> {
        let mut attempt = 1;
        loop {
            let disabled = match self.set_tenant_enabled(id, false).await {
                Ok(tenant) => tenant,
                Err(Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e),
            };
            match self.delete_tenant(id, disabled.version).await {
                Ok(()) | Err(Error::NotFound { .. }) => return Ok(()),
                Err(Error::VersionConflict { .. }) if attempt < CONFLICT_ATTEMPTS => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
