//! The offering-item catalogue: which items exist, with their edition, unit and type
//! (reference 4.2/4.4), and how usage names relate to items.

use serde::{Deserialize, Serialize};

/// Cyber Protection (Backup) application.
pub const BACKUP_APP: &str = "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb";
/// Management Portal application.
pub const PLATFORM_APP: &str = "7459244f-68f3-3bf4-9f53-5f63ecc1d91f";
/// File Sync & Share application.
pub const FILES_APP: &str = "dfd85a5f-a464-32ab-81fd-99bcc66a070f";

/// The stable application list of reference 4.1: (id, name, type, api_base_url).
pub const APPLICATIONS: &[(&str, &str, &str, &str)] = &[
    (BACKUP_APP, "Cyber Protection", "backup", "/bc/"),
    (FILES_APP, "File Sync & Share", "files_cloud", "/fc/"),
    (
        "b71b2c18-590a-303c-9d5a-8444fbe713ac",
        "Physical Data Shipping",
        "physical_data_shipping",
        "/pds/",
    ),
    (
        "cc29685d-a9ca-3e87-a83d-069f18b588f0",
        "Cyber Infrastructure",
        "hci",
        "/hci/",
    ),
    (PLATFORM_APP, "Management Portal", "platform", "/mc/"),
    // Type and id from third-party code (unconfirmed).
    (
        "f9c5744e-bd1a-36b6-b0f0-ecd7483e1796",
        "Notary",
        "notary",
        "",
    ),
];

/// The per-workload edition the bridge works with.
pub const PER_WORKLOAD: &str = "pck_per_workload";

/// One kind of offering item. Items of type `infra` exist once per storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItem {
    pub name: String,
    #[serde(default = "backup_app")]
    pub application_id: String,
    #[serde(default)]
    pub edition: Option<String>,
    pub usage_name: String,
    /// `count`, `feature` or `infra`.
    #[serde(rename = "type")]
    pub item_type: String,
    /// `bytes`, `quantity`, `seconds` or `n/a`.
    pub measurement_unit: String,
    /// Status (1 on, 0 off) the item gets in seeded tenants.
    #[serde(default = "on")]
    pub default_status: u8,
    #[serde(default)]
    pub locked: bool,
}

fn backup_app() -> String {
    BACKUP_APP.to_string()
}
fn on() -> u8 {
    1
}

fn item(
    name: &str,
    edition: Option<&str>,
    usage: &str,
    ty: &str,
    unit: &str,
    status: u8,
) -> CatalogueItem {
    CatalogueItem {
        name: name.to_string(),
        application_id: BACKUP_APP.to_string(),
        edition: edition.map(str::to_string),
        usage_name: usage.to_string(),
        item_type: ty.to_string(),
        measurement_unit: unit.to_string(),
        default_status: status,
        locked: false,
    }
}

/// The built-in catalogue: the per-workload base items the bridge maps, the edition-less
/// `local_storage`, and two legacy `standard` items (off) so the default edition filter
/// of `GET /offering_items` has something to show.
pub fn default_catalogue() -> Vec<CatalogueItem> {
    let pw = Some(PER_WORKLOAD);
    let mut out = Vec::new();
    for usage in [
        "workstations",
        "servers",
        "vms",
        "mobiles",
        "web_hosting_servers",
        "o365_seats",
        "o365_sharepoint_sites",
        "o365_teams",
        "gsuite_seats",
    ] {
        out.push(item(
            &format!("pw_base_{usage}"),
            pw,
            usage,
            "count",
            "quantity",
            1,
        ));
    }
    for usage in [
        "o365_mailboxes",
        "o365_onedrive",
        "google_mail",
        "google_drive",
    ] {
        out.push(item(
            &format!("pw_base_{usage}"),
            pw,
            usage,
            "feature",
            "n/a",
            1,
        ));
    }
    out.push(item("pw_base_storage", pw, "storage", "infra", "bytes", 1));
    out.push(item(
        "local_storage",
        None,
        "local_storage",
        "count",
        "bytes",
        1,
    ));
    out.push(item(
        "workstations",
        Some("standard"),
        "workstations",
        "count",
        "quantity",
        0,
    ));
    out.push(item(
        "servers",
        Some("standard"),
        "servers",
        "count",
        "quantity",
        0,
    ));
    out
}

/// Usage-only names reported beside a storage item (reference: nothing firm, all
/// **unconfirmed**): `<usage_name suffix> → parent usage_name`.
pub const STORAGE_SPLITS: &[(&str, &str)] = &[
    ("storage_class1", "storage"),
    ("storage_class2", "storage"),
    ("geo_storage", "storage"),
];

/// The usage name an item with this usage name is billed under (itself, or the storage
/// item a split belongs to).
pub fn parent_usage_name(usage_name: &str) -> &str {
    STORAGE_SPLITS
        .iter()
        .find(|(split, _)| *split == usage_name)
        .map_or(usage_name, |(_, parent)| parent)
}

/// Item-name prefixes per edition (reference 4.4).
const PREFIXES: &[(&str, &str)] = &[
    ("pw_base_", "pck_per_workload"),
    ("pg_base_", "pck_per_gigabyte"),
    ("pu_base_", "fss_per_user"),
];

/// What a usage record of this name looks like when the catalogue does not list it:
/// (edition, usage_name, type, unit), derived from the edition prefix.
pub fn infer(name: &str, has_infra: bool) -> (Option<String>, String, String, String) {
    let (edition, usage) = PREFIXES
        .iter()
        .find_map(|(p, e)| name.strip_prefix(p).map(|rest| (Some(e.to_string()), rest)))
        .unwrap_or((None, name));
    let storage = usage.contains("storage");
    let ty = if has_infra { "infra" } else { "count" };
    let unit = if storage { "bytes" } else { "quantity" };
    (edition, usage.to_string(), ty.to_string(), unit.to_string())
}
