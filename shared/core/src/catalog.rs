//! The offering items of the guide's service-mapping screen, grouped as the guide groups
//! them. Settings name items from here; anything else is rejected, so a typo cannot leave
//! a customer's quota silently unmanaged.
//!
//! Names follow `reference/acronis-api.md` 4.4 (per-workload edition, prefix `pw_base_`).
//! A 2022 capture of a real tenant spells some Microsoft 365 / Google Workspace items
//! differently (`pw_base_m365_*`, `pw_base_gworkspace_seats`); those spellings are
//! accepted as aliases of the same item. Items marked `confirmed: false` are names no
//! first-party source confirms (advanced packs, disaster recovery, shared seats).

use crate::mapping::PublicCloudVendor;

/// The guide's groups of the service-mapping screen ("Cyber Protection → Per workload").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Standard Protection workloads.
    StandardProtection,
    /// Microsoft 365 seats and their sub-items.
    Microsoft365,
    /// Google Workspace seats and their sub-items.
    GoogleWorkspace,
    /// Advanced packs, charged on top of Standard Protection.
    AdvancedPacks,
    /// Advanced Disaster Recovery items, bound to a disaster-recovery storage.
    AdvancedDisasterRecovery,
    /// Backup storage, one copy per storage (location).
    Storage,
}

/// How the item is counted; decides the Autotask unit conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Workloads, seats: one Autotask unit each.
    Count,
    /// Binary bytes in Acronis, GB in Autotask.
    Bytes,
    /// On/off only (Acronis item type `feature`): no quota, enabled or disabled.
    Feature,
}

/// One offering item the bridge can map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogItem {
    /// Acronis offering item name.
    pub name: &'static str,
    /// Other spellings seen for the same item.
    pub aliases: &'static [&'static str],
    /// The guide's row label.
    pub label: &'static str,
    pub group: Group,
    /// The item this one is a sub-item of (e.g. Mailboxes under Microsoft 365 seats).
    pub parent: Option<&'static str>,
    pub unit: Unit,
    /// Whether the guide offers the Free flag on the row.
    pub free_applies: bool,
    /// Whether the guide shows an "(included features)" row under it.
    pub included_features: bool,
    /// Bound to a storage: the same name exists once per infra id.
    pub per_storage: bool,
    /// Whether a first-party source confirms the name.
    pub confirmed: bool,
}

impl CatalogItem {
    /// Whether `name` is this item's name or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }
}

const fn item(name: &'static str, label: &'static str, group: Group) -> CatalogItem {
    CatalogItem {
        name,
        aliases: &[],
        label,
        group,
        parent: None,
        unit: Unit::Count,
        free_applies: true,
        included_features: false,
        per_storage: false,
        confirmed: true,
    }
}

const fn workload(name: &'static str, label: &'static str) -> CatalogItem {
    CatalogItem {
        included_features: true,
        ..item(name, label, Group::StandardProtection)
    }
}

const fn sub_feature(
    name: &'static str,
    aliases: &'static [&'static str],
    label: &'static str,
    group: Group,
    parent: &'static str,
) -> CatalogItem {
    CatalogItem {
        aliases,
        parent: Some(parent),
        unit: Unit::Feature,
        ..item(name, label, group)
    }
}

const fn pack(name: &'static str, label: &'static str) -> CatalogItem {
    CatalogItem {
        confirmed: false,
        ..item(name, label, Group::AdvancedPacks)
    }
}

const M365_SEATS: &str = "pw_base_o365_seats";
const GOOGLE_SEATS: &str = "pw_base_gsuite_seats";

/// Every mappable offering item, in the guide's order.
pub static CATALOG: &[CatalogItem] = &[
    // Standard Protection
    workload("pw_base_workstations", "Workstations"),
    workload("pw_base_servers", "Servers"),
    workload("pw_base_vms", "Virtual machines"),
    workload("pw_base_web_hosting_servers", "Web hosting servers"),
    item(
        "pw_base_mobiles",
        "Mobile devices",
        Group::StandardProtection,
    ),
    item("pw_base_websites", "Websites", Group::StandardProtection),
    item(
        "pw_base_hosted_exchange",
        "Microsoft Hosted Exchange",
        Group::StandardProtection,
    ),
    // Microsoft 365
    CatalogItem {
        aliases: &["pw_base_m365_seats"],
        ..item(M365_SEATS, "Microsoft 365 seats", Group::Microsoft365)
    },
    CatalogItem {
        parent: Some(M365_SEATS),
        free_applies: false,
        confirmed: false,
        ..item(
            "pw_base_o365_shared_seats",
            "Microsoft 365 shared seats",
            Group::Microsoft365,
        )
    },
    sub_feature(
        "pw_base_o365_mailboxes",
        &["pw_base_m365_mailboxes"],
        "Mailboxes",
        Group::Microsoft365,
        M365_SEATS,
    ),
    sub_feature(
        "pw_base_o365_onedrive",
        &["pw_base_m365_onedrive"],
        "OneDrive",
        Group::Microsoft365,
        M365_SEATS,
    ),
    CatalogItem {
        aliases: &["pw_base_m365_sharepoint_sites"],
        ..item(
            "pw_base_o365_sharepoint_sites",
            "Microsoft 365 SharePoint Online",
            Group::Microsoft365,
        )
    },
    CatalogItem {
        aliases: &["pw_base_m365_teams"],
        ..item(
            "pw_base_o365_teams",
            "Microsoft 365 Teams",
            Group::Microsoft365,
        )
    },
    // Google Workspace (formerly G Suite)
    CatalogItem {
        aliases: &["pw_base_gworkspace_seats"],
        ..item(
            GOOGLE_SEATS,
            "Google Workspace seats",
            Group::GoogleWorkspace,
        )
    },
    sub_feature(
        "pw_base_google_mail",
        &[],
        "Gmail (incl. Calendar, Contacts)",
        Group::GoogleWorkspace,
        GOOGLE_SEATS,
    ),
    sub_feature(
        "pw_base_google_drive",
        &[],
        "Google Drive",
        Group::GoogleWorkspace,
        GOOGLE_SEATS,
    ),
    CatalogItem {
        unit: Unit::Feature,
        ..item(
            "pw_base_google_team_drive",
            "Google Workspace Shared Drive",
            Group::GoogleWorkspace,
        )
    },
    // Advanced packs (names from a third-party capture of a real tenant; unconfirmed)
    pack(
        "pw_pack_adv_backup_workstations",
        "Advanced Backup: workstations",
    ),
    pack("pw_pack_adv_backup_servers", "Advanced Backup: servers"),
    pack(
        "pw_pack_adv_backup_vms",
        "Advanced Backup: virtual machines",
    ),
    pack(
        "pw_pack_adv_backup_web_hosting_servers",
        "Advanced Backup: web hosting servers",
    ),
    pack("pw_pack_adv_security", "Advanced Security"),
    pack("pw_pack_adv_management", "Advanced Management"),
    pack("pw_pack_adv_email_security", "Advanced Email Security"),
    pack("pw_pack_adv_dlp", "Advanced Data Loss Prevention"),
    // Advanced Disaster Recovery (same capture; unconfirmed)
    CatalogItem {
        unit: Unit::Bytes,
        per_storage: true,
        confirmed: false,
        ..item(
            "pw_base_adv_dr_storage",
            "Disaster recovery storage",
            Group::AdvancedDisasterRecovery,
        )
    },
    CatalogItem {
        per_storage: true,
        confirmed: false,
        ..item(
            "pw_base_adv_dr_cloud_servers",
            "Disaster recovery cloud servers",
            Group::AdvancedDisasterRecovery,
        )
    },
    // Storage
    CatalogItem {
        unit: Unit::Bytes,
        per_storage: true,
        ..item(
            crate::mapping::BACKUP_STORAGE_ITEM,
            "Backup storage",
            Group::Storage,
        )
    },
];

/// The public cloud vendors the guide maps to one service each (no offering items).
pub const PUBLIC_CLOUD_VENDORS: [PublicCloudVendor; 3] = PublicCloudVendor::ALL;

/// The catalogue entry for an item name or alias.
pub fn find(name: &str) -> Option<&'static CatalogItem> {
    CATALOG.iter().find(|item| item.is_named(name))
}

/// The catalogue name for a name or alias; an unknown name comes back unchanged.
pub fn canonical_name(name: &str) -> &str {
    find(name).map_or(name, |item| item.name)
}

/// The items of one group, in the guide's order.
pub fn group(group: Group) -> impl Iterator<Item = &'static CatalogItem> {
    CATALOG.iter().filter(move |item| item.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_alias_is_unique() {
        let mut names: Vec<&str> = CATALOG
            .iter()
            .flat_map(|item| std::iter::once(item.name).chain(item.aliases.iter().copied()))
            .collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total);
    }

    #[test]
    fn the_guides_required_items_are_present_with_their_properties() {
        // (name, group, unit, free applies, included features row)
        let cases = [
            (
                "pw_base_workstations",
                Group::StandardProtection,
                Unit::Count,
                true,
                true,
            ),
            (
                "pw_base_servers",
                Group::StandardProtection,
                Unit::Count,
                true,
                true,
            ),
            (
                "pw_base_vms",
                Group::StandardProtection,
                Unit::Count,
                true,
                true,
            ),
            (
                "pw_base_web_hosting_servers",
                Group::StandardProtection,
                Unit::Count,
                true,
                true,
            ),
            (
                "pw_base_mobiles",
                Group::StandardProtection,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_websites",
                Group::StandardProtection,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_hosted_exchange",
                Group::StandardProtection,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_o365_seats",
                Group::Microsoft365,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_o365_shared_seats",
                Group::Microsoft365,
                Unit::Count,
                false,
                false,
            ),
            (
                "pw_base_o365_mailboxes",
                Group::Microsoft365,
                Unit::Feature,
                true,
                false,
            ),
            (
                "pw_base_o365_onedrive",
                Group::Microsoft365,
                Unit::Feature,
                true,
                false,
            ),
            (
                "pw_base_o365_sharepoint_sites",
                Group::Microsoft365,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_o365_teams",
                Group::Microsoft365,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_gsuite_seats",
                Group::GoogleWorkspace,
                Unit::Count,
                true,
                false,
            ),
            (
                "pw_base_google_mail",
                Group::GoogleWorkspace,
                Unit::Feature,
                true,
                false,
            ),
            (
                "pw_base_google_drive",
                Group::GoogleWorkspace,
                Unit::Feature,
                true,
                false,
            ),
            (
                "pw_base_google_team_drive",
                Group::GoogleWorkspace,
                Unit::Feature,
                true,
                false,
            ),
            ("pw_base_storage", Group::Storage, Unit::Bytes, true, false),
        ];
        for (name, group, unit, free, included) in cases {
            let item = find(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(
                (
                    item.group,
                    item.unit,
                    item.free_applies,
                    item.included_features
                ),
                (group, unit, free, included),
                "{name}"
            );
        }
    }

    #[test]
    fn aliases_resolve_to_the_reference_name() {
        let cases = [
            ("pw_base_m365_seats", "pw_base_o365_seats"),
            ("pw_base_m365_mailboxes", "pw_base_o365_mailboxes"),
            ("pw_base_gworkspace_seats", "pw_base_gsuite_seats"),
        ];
        for (alias, name) in cases {
            assert_eq!(find(alias).map(|item| item.name), Some(name));
        }
        assert_eq!(find("pw_base_foo"), None);
    }

    #[test]
    fn sub_items_point_at_existing_seats_and_packs_are_unconfirmed() {
        for item in CATALOG {
            if let Some(parent) = item.parent {
                assert!(find(parent).is_some(), "{} has unknown parent", item.name);
            }
        }
        assert!(group(Group::AdvancedPacks).all(|item| !item.confirmed));
        assert!(group(Group::Storage).all(|item| item.per_storage && item.unit == Unit::Bytes));
    }
}
