//! The settings as the planners read them: which Autotask services are Acronis services,
//! the provisioning and deprovisioning policies, the default storage, the Free items and
//! the storage location behind each storage reporting row.
//! Built once per run from [`Settings`]; the contract poller and quota push decide with
//! the same translation.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{self, Unit};
use crate::contracts::{ItemKind, OfferingItemRef, ServiceMap};
use crate::hash::json_fingerprint;
use crate::mapping::{PublicCloudMappings, ServiceMapping, StorageMapping, StorageRow};
use crate::provisioning::{
    DeprovisioningPolicy, HoldThreshold, PricingMode, ProvisioningPolicy, TenantNaming,
};
use crate::settings::{self, AccountBasis, Provisioning, Settings};

/// Everything the planners decide with, read once per run.
#[derive(Debug, Clone)]
pub struct Policy {
    pub service_map: ServiceMap,
    pub provisioning: ProvisioningPolicy,
    pub deprovisioning: DeprovisioningPolicy,
    /// The blast-radius guard's threshold.
    pub hold_above: HoldThreshold,
    /// Infra id of the storage new tenants get when no contract holds storage;
    /// `None` = the partner's default (the first storage Acronis offers).
    pub default_storage: Option<String>,
    /// Items whose mapping row is marked Free: enabled without a quota at provisioning
    /// and left unlimited when quotas are zeroed.
    pub free_items: Vec<OfferingItemRef>,
    /// Reporting service of a storage-mapping row (class 1, class 2, geo-redundancy) →
    /// the storage location it belongs to. A contract that holds only such a row still
    /// enables that storage (guide: selecting any of the options enables the storage).
    pub storage_locations: BTreeMap<i64, StorageLocationRow>,
}

/// One reporting row of a storage mapping, located: which storage it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageLocationRow {
    /// The storage item, always with its infra id.
    pub item: OfferingItemRef,
    pub row: StorageRow,
}

/// The settings' deprovisioning section as the planner's policy (also what the
/// deletion forecast runs on).
pub fn deprovisioning(d: &settings::Deprovisioning) -> DeprovisioningPolicy {
    DeprovisioningPolicy {
        quotas_to_zero: d.set_quotas_to_zero,
        disable_after_days: d.disable_customer.then_some(d.disable_after_days),
        delete_after_days: d.delete_customer.then_some(d.delete_after_days),
        delete_notice_days: d.delete_notice_days,
    }
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
            deprovisioning: deprovisioning(&s.deprovisioning),
            hold_above: s.deprovisioning.hold_above,
            default_storage: s.provisioning.default_storage.clone(),
            free_items: free_items(s),
            storage_locations: storage_locations(s),
        }
    }

    /// Whether `item`'s mapping row is marked Free (a row without infra id covers the
    /// item on every storage).
    pub fn is_free(&self, item: &OfferingItemRef) -> bool {
        self.free_items.iter().any(|free| free.covers(item))
    }

    /// Whether a mapping row gives `item` a service: a quota-bearing service, or a
    /// reporting row of its storage location. Free rows without a service do not count.
    pub fn is_mapped(&self, item: &OfferingItemRef) -> bool {
        self.service_map.maps(item)
            || self
                .storage_locations
                .values()
                .any(|location| location.item.covers(item))
    }
}

/// The settings that decide snapshots and provisioning, in a fixed field order.
#[derive(Serialize)]
struct Decisive<'a> {
    billing: bool,
    service_mappings: &'a [ServiceMapping],
    storage_mappings: &'a [StorageMapping],
    public_cloud_mappings: &'a PublicCloudMappings,
    provisioning: &'a Provisioning,
    deprovisioning: DecisiveDeprovisioning,
}

/// The deprovisioning settings that change what a sweep decides per company. The
/// blast-radius threshold is left out: it decides over a run's plans, changes no
/// snapshot, and so needs no sweep when it changes.
#[derive(Serialize)]
struct DecisiveDeprovisioning {
    set_quotas_to_zero: bool,
    disable_customer: bool,
    disable_after_days: u32,
    delete_customer: bool,
    delete_after_days: u32,
}

/// A fingerprint of the settings the poller decides with (billing switch, mappings,
/// provisioning, deprovisioning). When it differs from the cursor's, the next run is a
/// full sweep, so a mapping change reaches every snapshot within a minute instead of
/// waiting for the nightly sweep. Alert mappings, tickets and schedules do not count.
/// The stable hash keeps it equal across builds, so an upgrade costs no extra sweep.
pub fn fingerprint(s: &Settings) -> String {
    json_fingerprint(&Decisive {
        billing: s.features.billing,
        service_mappings: &s.service_mappings,
        storage_mappings: &s.storage_mappings,
        public_cloud_mappings: &s.public_cloud_mappings,
        provisioning: &s.provisioning,
        deprovisioning: DecisiveDeprovisioning {
            set_quotas_to_zero: s.deprovisioning.set_quotas_to_zero,
            disable_customer: s.deprovisioning.disable_customer,
            disable_after_days: s.deprovisioning.disable_after_days,
            delete_customer: s.deprovisioning.delete_customer,
            delete_after_days: s.deprovisioning.delete_after_days,
        },
    })
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
            if storage_row == StorageRow::QuotaAndTotal {
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

/// The reporting rows of every storage mapping by service id. The "Quota and Total
/// usage" row is not among them: it is the storage's quota-bearing service.
fn storage_locations(s: &Settings) -> BTreeMap<i64, StorageLocationRow> {
    let mut locations = BTreeMap::new();
    for mapping in &s.storage_mappings {
        let item = OfferingItemRef::on_infra(
            catalog::canonical_name(&mapping.offering_item),
            mapping.infra_id.clone(),
        );
        for (row, service) in mapping.rows() {
            let Some(id) = service.id() else { continue };
            if row != StorageRow::QuotaAndTotal {
                let item = item.clone();
                locations.insert(id, StorageLocationRow { item, row });
            }
        }
    }
    locations
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
    use crate::mapping::{ServiceMapping, ServiceRef, StorageMapping};

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
            public_cloud_mappings: crate::mapping::PublicCloudMappings {
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
        assert!(policy.is_free(&OfferingItemRef::new("pw_base_o365_mailboxes")));
        assert!(!policy.is_free(&OfferingItemRef::new("pw_base_workstations")));
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

    #[test]
    fn free_rows_without_infra_cover_every_storage() {
        let settings = Settings {
            service_mappings: vec![ServiceMapping {
                offering_item: "pw_base_o365_mailboxes".into(),
                free: true,
                ..ServiceMapping::default()
            }],
            storage_mappings: vec![StorageMapping {
                infra_id: "infra-1".into(),
                free: true,
                ..StorageMapping::default()
            }],
            ..Settings::default()
        };
        let policy = Policy::from_settings(&settings);
        assert!(policy.is_free(&OfferingItemRef::on_infra("pw_base_o365_mailboxes", "any")));
        assert!(policy.is_free(&OfferingItemRef::on_infra("pw_base_storage", "infra-1")));
        assert!(!policy.is_free(&OfferingItemRef::on_infra("pw_base_storage", "infra-2")));
        assert!(!policy.is_free(&OfferingItemRef::new("pw_base_storage")));
    }

    #[test]
    fn storage_reporting_rows_know_their_location() {
        let settings = Settings {
            service_mappings: vec![ServiceMapping {
                offering_item: "pw_base_workstations".into(),
                service: Some(ServiceRef::Id(501)),
                ..ServiceMapping::default()
            }],
            storage_mappings: vec![
                StorageMapping {
                    infra_id: "infra-1".into(),
                    quota_and_total: Some(ServiceRef::Id(506)),
                    class1_free: Some(ServiceRef::Id(507)),
                    geo_redundancy: Some(ServiceRef::Id(510)),
                    ..StorageMapping::default()
                },
                StorageMapping {
                    infra_id: "infra-2".into(),
                    class2_billed: Some(ServiceRef::Id(508)),
                    geo_redundancy_billed: Some(ServiceRef::Create("gr billed".into())),
                    ..StorageMapping::default()
                },
            ],
            ..Settings::default()
        };
        let policy = Policy::from_settings(&settings);
        let located = |infra: &str, row| StorageLocationRow {
            item: OfferingItemRef::on_infra("pw_base_storage", infra),
            row,
        };
        assert_eq!(
            policy.storage_locations,
            BTreeMap::from([
                (507, located("infra-1", StorageRow::Class1Free)),
                (508, located("infra-2", StorageRow::Class2Billed)),
                (510, located("infra-1", StorageRow::GeoRedundancy)),
            ]),
            "the quota row and services still to be created are not reporting rows"
        );
        for mapped in [
            OfferingItemRef::new("pw_base_workstations"),
            OfferingItemRef::on_infra("pw_base_workstations", "any"),
            OfferingItemRef::on_infra("pw_base_storage", "infra-1"),
            OfferingItemRef::on_infra("pw_base_storage", "infra-2"),
        ] {
            assert!(policy.is_mapped(&mapped), "{mapped}");
        }
        for unmapped in [
            OfferingItemRef::new("pw_base_servers"),
            OfferingItemRef::on_infra("pw_base_storage", "infra-3"),
        ] {
            assert!(!policy.is_mapped(&unmapped), "{unmapped}");
        }
    }

    #[test]
    fn settings_fingerprint_is_pinned() {
        // The cursor keeps this value across deployments: a different algorithm or
        // field order would make every installation sweep once after an upgrade.
        assert_eq!(fingerprint(&Settings::default()), "84882bbdb3900476");
    }
}
