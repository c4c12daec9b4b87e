//! The poller's view of the settings: which Autotask services are Acronis services, and
//! the provisioning and deprovisioning policies the pure planner takes.

use bridge_core::catalog::{self, Unit};
use bridge_core::contracts::{ItemKind, OfferingItemRef, ServiceMap};
use bridge_core::provisioning::{
    DeprovisioningPolicy, PricingMode, ProvisioningPolicy, TenantNaming,
};
use bridge_core::settings::{self, AccountBasis, Settings};

/// Everything the poller decides with, read once per run.
#[derive(Debug, Clone)]
pub struct Policy {
    pub service_map: ServiceMap,
    pub provisioning: ProvisioningPolicy,
    pub deprovisioning: DeprovisioningPolicy,
    /// Infra id of the storage new tenants get when no contract holds storage;
    /// `None` = the partner's default (the first storage Acronis offers).
    pub default_storage: Option<String>,
    /// Items whose mapping row is marked Free: enabled without a quota at provisioning
    /// and left unlimited when quotas are zeroed.
    pub free_items: Vec<OfferingItemRef>,
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Policy {
        Policy {
            service_map: service_map(s),
            provisioning: ProvisioningPolicy {
                auto_create: s.provisioning.automatically_create_customers,
                naming: match s.provisioning.create_accounts_based_on {
                    AccountBasis::CompanyName => TenantNaming::CompanyName {
                        // Blank makes the planner skip with "no activation email".
                        activation_email: s
                            .provisioning
                            .activation_email
                            .clone()
                            .unwrap_or_default(),
                    },
                    AccountBasis::CompanyPrimaryContact => TenantNaming::PrimaryContact,
                },
                two_factor: s.provisioning.two_factor_authentication,
                pricing: match s.provisioning.provision_as {
                    settings::PricingMode::Production => PricingMode::Production,
                    settings::PricingMode::Trial => PricingMode::Trial,
                },
            },
            deprovisioning: DeprovisioningPolicy {
                quotas_to_zero: s.deprovisioning.set_quotas_to_zero,
                disable_after_days: s
                    .deprovisioning
                    .disable_customer
                    .then_some(s.deprovisioning.disable_after_days),
                delete_after_days: s
                    .deprovisioning
                    .delete_customer
                    .then_some(s.deprovisioning.delete_after_days),
            },
            default_storage: s.provisioning.default_storage.clone(),
            free_items: free_items(s),
        }
    }

    pub fn is_free(&self, name: &str, infra_id: Option<&str>) -> bool {
        self.free_items
            .iter()
            .any(|f| f.name == name && (f.infra_id.is_none() || f.infra_id.as_deref() == infra_id))
    }
}

/// A fingerprint of the settings the poller decides with (billing switch, mappings,
/// provisioning, deprovisioning). When it differs from the cursor's, the next run is a
/// full sweep, so a mapping change reaches every snapshot within a minute instead of
/// waiting for the nightly sweep. Alert mappings, tickets and schedules do not count.
pub fn fingerprint(s: &Settings) -> String {
    use std::hash::{Hash, Hasher};
    let relevant = serde_json::json!({
        "billing": s.features.billing,
        "service_mappings": s.service_mappings,
        "storage_mappings": s.storage_mappings,
        "public_cloud_mappings": s.public_cloud_mappings,
        "provisioning": s.provisioning,
        "deprovisioning": s.deprovisioning,
    });
    // SipHash with fixed keys: stable within a build; a new toolchain may cost one sweep.
    let mut hasher = std::hash::DefaultHasher::new();
    relevant.to_string().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Quota-bearing services map to their offering item; the storage class rows,
/// geo-redundancy rows, "(included features)" and public cloud services are
/// reporting-only (usage goes to them, never a quota).
pub fn service_map(s: &Settings) -> ServiceMap {
    let mut map = ServiceMap::new();
    for row in &s.service_mappings {
        let name = catalog::canonical_name(&row.offering_item).to_owned();
        if let Some(id) = row.service.as_ref().and_then(|r| r.id()) {
            let kind = match catalog::find(&name).map(|item| item.unit) {
                Some(Unit::Bytes) => ItemKind::Storage,
                _ => ItemKind::Count,
            };
            let item = OfferingItemRef {
                name,
                infra_id: row.infra_id.clone(),
            };
            map.insert(id, item, kind);
        }
        if let Some(id) = row.included_features.as_ref().and_then(|r| r.id()) {
            map.insert_reporting(id);
        }
    }
    for row in &s.storage_mappings {
        let name = catalog::canonical_name(&row.offering_item);
        for (storage_row, service) in row.rows() {
            let Some(id) = service.id() else { continue };
            if storage_row == bridge_core::mapping::StorageRow::QuotaAndTotal {
                let item = OfferingItemRef::on_infra(name, row.infra_id.clone());
                map.insert(id, item, ItemKind::Storage);
            } else {
                map.insert_reporting(id);
            }
        }
    }
    for (_, service) in s.public_cloud_mappings.rows() {
        if let Some(id) = service.id() {
            map.insert_reporting(id);
        }
    }
    map
}

fn free_items(s: &Settings) -> Vec<OfferingItemRef> {
    let rows = s
        .service_mappings
        .iter()
        .filter(|r| r.free)
        .map(|r| OfferingItemRef {
            name: catalog::canonical_name(&r.offering_item).to_owned(),
            infra_id: r.infra_id.clone(),
        });
    let storages = s.storage_mappings.iter().filter(|r| r.free).map(|r| {
        OfferingItemRef::on_infra(
            catalog::canonical_name(&r.offering_item),
            r.infra_id.clone(),
        )
    });
    rows.chain(storages).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_core::mapping::{ServiceMapping, ServiceRef, StorageMapping};

    #[test]
    fn quota_services_map_to_items_and_reporting_rows_do_not() {
        let settings = Settings {
            service_mappings: vec![
                ServiceMapping {
                    offering_item: "pw_base_workstations".into(),
                    service: Some(ServiceRef::Id(501)),
                    included_features: Some(ServiceRef::Id(520)),
                    ..ServiceMapping::default()
                },
                ServiceMapping {
                    offering_item: "pw_base_o365_mailboxes".into(),
                    free: true,
                    ..ServiceMapping::default()
                },
            ],
            storage_mappings: vec![StorageMapping {
                infra_id: "infra-1".into(),
                quota_and_total: Some(ServiceRef::Id(506)),
                class2_billed: Some(ServiceRef::Id(508)),
                ..StorageMapping::default()
            }],
            public_cloud_mappings: bridge_core::mapping::PublicCloudMappings {
                microsoft_azure: Some(ServiceRef::Id(509)),
                ..Default::default()
            },
            ..Settings::default()
        };
        let policy = Policy::from_settings(&settings);
        let map = &policy.service_map;
        assert_eq!(
            map.get(501),
            Some((
                &OfferingItemRef::new("pw_base_workstations"),
                ItemKind::Count
            ))
        );
        assert_eq!(
            map.get(506),
            Some((
                &OfferingItemRef::on_infra("pw_base_storage", "infra-1"),
                ItemKind::Storage
            ))
        );
        for reporting in [520, 508, 509] {
            assert!(map.is_reporting(reporting) && map.get(reporting).is_none());
        }
        assert!(!map.contains(999));
        assert!(policy.is_free("pw_base_o365_mailboxes", None));
        assert!(!policy.is_free("pw_base_workstations", None));
        assert!(
            !policy.provisioning.auto_create,
            "manual unless switched on"
        );
        assert_eq!(policy.deprovisioning, DeprovisioningPolicy::default());

        let mut tickets_changed = settings.clone();
        tickets_changed.tickets.reopen_window_days = 9;
        assert_eq!(fingerprint(&settings), fingerprint(&tickets_changed));
        let mut remapped = settings.clone();
        remapped.service_mappings[0].service = Some(ServiceRef::Id(502));
        assert_ne!(fingerprint(&settings), fingerprint(&remapped));
    }
}
