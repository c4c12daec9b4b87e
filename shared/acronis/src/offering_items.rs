//! Offering items: what a tenant may use, and its quotas.
//!
//! Quotas carry their own `version`; a `PUT` with a stale one is refused with HTTP 426
//! ([`Error::QuotaVersionConflict`]). [`AcronisClient::update_quotas_with_retry`] reads
//! the items, lets the caller decide, stamps the current versions, and on a 426 reads
//! again and repeats.

use crate::client::{AcronisClient, CONFLICT_ATTEMPTS, api2, seg, to_body};
use crate::error::Error;
use crate::tenants::TenantKind;
use crate::transport::Call;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A quota: `value` is the soft limit, `overage` the extra allowed above it (hard
/// limit = value + overage). `value: None` means unlimited; storage is in binary bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    #[serde(default)]
    pub value: Option<u64>,
    #[serde(default)]
    pub overage: Option<u64>,
    /// Revision of this quota; 0 for one never set.
    #[serde(default)]
    pub version: u64,
}

/// An offering item of a tenant. Partners with several storages have several items
/// of the same name: identify an item by [`OfferingItem::key`], not by name alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferingItem {
    pub application_id: String,
    pub name: String,
    #[serde(default)]
    pub edition: Option<String>,
    #[serde(default)]
    pub usage_name: Option<String>,
    /// `count`, `feature` or `infra`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub infra_id: Option<String>,
    /// `bytes`, `quantity`, `seconds` or `n/a`.
    #[serde(default)]
    pub measurement_unit: Option<String>,
    /// 1 = on, 0 = off.
    #[serde(default)]
    pub status: u8,
    /// Cannot be switched on its own (e.g. File Sync & Share storage).
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// `(name, infra_id)`: unique among one tenant's items.
pub type ItemKey = (String, Option<String>);

impl OfferingItem {
    pub fn key(&self) -> ItemKey {
        (self.name.clone(), self.infra_id.clone())
    }

    pub fn is_enabled(&self) -> bool {
        self.status == 1
    }

    /// The item as an update that changes nothing yet (sent with its edition as read).
    pub fn to_update(&self) -> OfferingItemUpdate {
        OfferingItemUpdate {
            application_id: self.application_id.clone(),
            name: self.name.clone(),
            edition: self.edition.clone(),
            status: self.status,
            infra_id: self.infra_id.clone(),
            quota: self.quota,
        }
    }
}

/// One entry of `PUT /tenants/{id}/offering_items`; only listed items change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferingItemUpdate {
    pub application_id: String,
    pub name: String,
    /// The item's edition as read (`?edition=*`); Acronis matches the item by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    pub status: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infra_id: Option<String>,
    /// Serialized with `value: null` for unlimited; its `version` must be current. An
    /// item switched off (`status: 0`) is sent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

impl OfferingItemUpdate {
    pub fn key(&self) -> ItemKey {
        (self.name.clone(), self.infra_id.clone())
    }
}

/// `?edition=`: one edition, or every edition (`*`) when `None`.
fn edition_param(edition: Option<&str>) -> String {
    edition.unwrap_or("*").to_string()
}

impl AcronisClient {
    /// `GET /tenants/{id}/offering_items`; `edition: None` = every edition.
    pub async fn offering_items(
        &self,
        tenant: &str,
        edition: Option<&str>,
    ) -> Result<Vec<OfferingItem>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/offering_items", seg(tenant))))
            .query("edition", edition_param(edition));
        self.all_pages(call, "offering items").await
    }

    /// What `parent` may grant a new child of `kind` (every edition); provisioning
    /// puts these on the new tenant.
    pub async fn available_for_child(
        &self,
        parent: &str,
        kind: TenantKind,
    ) -> Result<Vec<OfferingItem>, Error> {
        let call = Call::get(api2(format!(
            "/tenants/{}/offering_items/available_for_child",
            seg(parent)
        )))
        .query("kind", kind.as_str())
        .query("edition", edition_param(None));
        self.all_pages(call, "offering items available for child")
            .await
    }

    /// `PUT /tenants/{id}/offering_items`; returns the items as changed.
    pub async fn put_offering_items(
        &self,
        tenant: &str,
        items: &[OfferingItemUpdate],
    ) -> Result<Vec<OfferingItem>, Error> {
        let call = Call::new(
            Method::PUT,
            api2(format!("/tenants/{}/offering_items", seg(tenant))),
        )
        .json(json!({ "offering_items": to_body("offering items", &items)? }));
        let page: crate::client::Page<OfferingItem> =
            self.fetch(call, "updated offering items").await?;
        Ok(page.items)
    }

    /// Read-modify-write of quotas: `plan` sees the tenant's current items (every
    /// edition) and returns the updates; an empty plan sends nothing. Each update's
    /// quota `version` is set to the current one before sending, and on a 426 the
    /// items are read again and `plan` asked again, a few times.
    pub async fn update_quotas_with_retry<F>(
        &self,
        tenant: &str,
        mut plan: F,
    ) -> Result<Vec<OfferingItem>, Error>
    where
        F: FnMut(&[OfferingItem]) -> Vec<OfferingItemUpdate>,
    {
        let mut attempt = 1;
        loop {
            let current = self.offering_items(tenant, None).await?;
            let mut updates = plan(&current);
            if updates.is_empty() {
                return Ok(Vec::new());
            }
            stamp_quota_versions(&mut updates, &current);
            match self.put_offering_items(tenant, &updates).await {
                Err(Error::QuotaVersionConflict { .. }) if attempt < CONFLICT_ATTEMPTS => {
                    tracing::debug!(tenant, attempt, "quota changed meanwhile, re-reading");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

/// Copies each item's current quota version onto its update.
fn stamp_quota_versions(updates: &mut [OfferingItemUpdate], current: &[OfferingItem]) {
    for update in updates.iter_mut() {
        let key = update.key();
        let version = current
            .iter()
            .find(|item| item.key() == key)
            .and_then(|item| item.quota)
            .map_or(0, |q| q.version);
        if let Some(quota) = update.quota.as_mut() {
            quota.version = version;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, infra: Option<&str>, version: u64) -> OfferingItem {
        OfferingItem {
            application_id: "app".into(),
            name: name.into(),
            edition: None,
            usage_name: None,
            kind: Some("infra".into()),
            infra_id: infra.map(str::to_string),
            measurement_unit: None,
            status: 1,
            locked: false,
            quota: Some(Quota {
                value: None,
                overage: None,
                version,
            }),
        }
    }

    #[test]
    fn stamps_versions_by_name_and_infra() {
        let current = [
            item("pw_base_storage", Some("a"), 11),
            item("pw_base_storage", Some("b"), 22),
        ];
        let mut updates = vec![current[1].to_update(), current[0].to_update()];
        for u in &mut updates {
            u.quota = Some(Quota {
                value: Some(5),
                overage: Some(0),
                version: 999,
            });
        }
        stamp_quota_versions(&mut updates, &current);
        assert_eq!(updates[0].quota.map(|q| q.version), Some(22));
        assert_eq!(updates[1].quota.map(|q| q.version), Some(11));
    }

    #[test]
    fn unlimited_quota_is_sent_as_null() {
        let update = item("pw_base_workstations", None, 3).to_update();
        let json = serde_json::to_value(&update).expect("serialize");
        assert_eq!(
            json,
            json!({"application_id": "app", "name": "pw_base_workstations", "status": 1,
                   "quota": {"value": null, "overage": null, "version": 3}})
        );
    }
}
