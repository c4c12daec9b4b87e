//! Mappings between Autotask and Acronis objects.
//!
//! `CustomerMapping` (company ↔ tenant) is persisted by the store one item per company.
//! The other types are rows of the settings document: which Autotask service stands for
//! which Acronis offering item, storage reporting row or public cloud vendor, and which
//! ticket fields an Acronis alert type gets. They are validated with the rest of the
//! settings (`crate::validation`).

use crate::provisioning::DeprovisioningHold;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How a company came to be mapped to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingOrigin {
    /// Created by an operator through the mapping API.
    Manual,
    /// Created by automatic provisioning.
    Automatic,
}

/// What kind of Acronis tenant a company is mapped to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappedTenantKind {
    /// A customer tenant: provisioned, deprovisioned and quota-pushed for the company.
    #[default]
    Customer,
    /// A partner tenant under the MSP's own partner tenant (directly or not). Its usage
    /// is reported in aggregate; the jobs that change tenants leave it alone
    /// ([`SUB_PARTNER_LEFT_ALONE`]).
    SubPartner,
}

impl MappedTenantKind {
    pub fn is_customer(&self) -> bool {
        *self == Self::Customer
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::SubPartner => "sub_partner",
        }
    }
}

/// Why provisioning, deprovisioning and quota push skip a sub-partner mapping.
pub const SUB_PARTNER_LEFT_ALONE: &str = "sub-partner tenant: usage is aggregated; quotas, provisioning and deprovisioning apply to its customers' own mappings";

/// One Autotask company mapped to one Acronis tenant: a customer tenant, or a
/// sub-partner whose customers' usage is reported to the company in aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerMapping {
    /// Autotask `Companies.id`.
    pub company_id: i64,
    /// Acronis tenant uuid.
    pub tenant_id: String,
    pub origin: MappingOrigin,
    pub created_at: DateTime<Utc>,
    /// When the deprovisioning clock started (first sweep that saw no active Acronis
    /// services); `None` while the company has services.
    #[serde(default)]
    pub no_services_since: Option<DateTime<Utc>>,
    /// Records without the field are customer mappings. A customer mapping is stored
    /// without it too, so a build that does not know the field still reads it; the API
    /// answers show it always.
    #[serde(default, skip_serializing_if = "MappedTenantKind::is_customer")]
    pub tenant_kind: MappedTenantKind,
    /// Deprovisioning held by the blast-radius guard; stored only while held, so records
    /// without it read as not held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<DeprovisioningHold>,
    /// What the checks right before a deletion look at; stored only while the
    /// deprovisioning clock runs with deleting on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<DeletionWatch>,
}

/// The deletion of a tenant is the last step, and it is checked again: the tenant must
/// have been disabled, and its deletion date listed in the forecast, for the settings'
/// `delete_notice_days` before it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionWatch {
    /// The deletion date the forecast lists (the clock's start plus `delete_after_days`),
    /// and since when it has listed that date; a new date starts a new notice.
    pub listed_for: NaiveDate,
    pub listed_since: DateTime<Utc>,
    /// Since when the tenant has been seen disabled; `None` while it is enabled.
    #[serde(default)]
    pub disabled_since: Option<DateTime<Utc>>,
}

impl CustomerMapping {
    pub fn is_sub_partner(&self) -> bool {
        self.tenant_kind == MappedTenantKind::SubPartner
    }
}

/// The Autotask service a mapping row points at.
///
/// `Create` exists for the config API, like the guide's "create a new service" choice: it
/// creates the service (with the two-way-sync allocation code and period type) and stores
/// the row with the new `Id`. Jobs only act on `Id` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRef {
    /// An existing Autotask `Services.id`.
    Id(i64),
    /// A service still to be created under this name.
    Create(String),
}

impl ServiceRef {
    /// The Autotask service id, once the service exists.
    pub fn id(&self) -> Option<i64> {
        match self {
            Self::Id(id) => Some(*id),
            Self::Create(_) => None,
        }
    }
}

/// One row of the guide's service-mapping screen: an offering item → an Autotask service.
///
/// A row may carry no service and only `free`: the guide's "service not selected" case,
/// where the Free flag alone decides the quota (unlimited instead of zero).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceMapping {
    /// Acronis offering item name from `crate::catalog`, e.g. `pw_base_workstations`.
    pub offering_item: String,
    /// Only for items bound to a storage (`CatalogItem::per_storage`): the storage's
    /// infra id. Without it the row applies to the item on every storage not mapped by a
    /// row of its own.
    pub infra_id: Option<String>,
    pub service: Option<ServiceRef>,
    /// The guide's "(included features)" row under Workstations, Servers, Virtual machines
    /// and Web hosting servers. (unconfirmed) The guide does not explain it; we take it to
    /// be a second, billing-only service carrying the same unit count as its workload.
    /// Quotas follow `service` alone.
    pub included_features: Option<ServiceRef>,
    /// The guide's Free flag: mapped but free of charge, so the quota is unlimited when the
    /// service is absent from the customer's contracts.
    pub free: bool,
}

/// One storage (location) of the guide's storage-mapping rows.
///
/// Selecting any reporting row enables the backup storage for the customer; selecting
/// none leaves it disabled (guide, "Reporting storage usage").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageMapping {
    /// The storage offering item, `pw_base_storage` unless set.
    pub offering_item: String,
    /// Acronis infra id of the storage; items of the same name differ only by it.
    pub infra_id: String,
    /// The location name as shown in the guide ("Location: XYZ"); a label only.
    pub location: Option<String>,
    /// The Free flag of the "Backup storage" row.
    pub free: bool,
    /// "Quota and Total usage": the quota (prepaid) and the total usage (PAYG).
    pub quota_and_total: Option<ServiceRef>,
    /// "Class 1 (free) usage reporting".
    pub class1_free: Option<ServiceRef>,
    /// "Class 2 (billed) usage reporting".
    pub class2_billed: Option<ServiceRef>,
    /// "Geo-redundancy": geo-redundant usage, reported separately; it adds to the total.
    pub geo_redundancy: Option<ServiceRef>,
    /// The second "Geo-redundancy" row, under class 2: the billed geo-redundant usage.
    pub geo_redundancy_billed: Option<ServiceRef>,
}

/// The storage offering item the guide's storage rows are about.
pub const BACKUP_STORAGE_ITEM: &str = "pw_base_storage";

impl Default for StorageMapping {
    fn default() -> Self {
        Self {
            offering_item: BACKUP_STORAGE_ITEM.to_owned(),
            infra_id: String::new(),
            location: None,
            free: false,
            quota_and_total: None,
            class1_free: None,
            class2_billed: None,
            geo_redundancy: None,
            geo_redundancy_billed: None,
        }
    }
}

/// The reporting rows of one storage mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageRow {
    QuotaAndTotal,
    Class1Free,
    Class2Billed,
    GeoRedundancy,
    GeoRedundancyBilled,
}

impl StorageRow {
    pub const ALL: [StorageRow; 5] = [
        Self::QuotaAndTotal,
        Self::Class1Free,
        Self::Class2Billed,
        Self::GeoRedundancy,
        Self::GeoRedundancyBilled,
    ];

    /// The JSON field of the row in a `StorageMapping`.
    pub fn field(self) -> &'static str {
        match self {
            Self::QuotaAndTotal => "quota_and_total",
            Self::Class1Free => "class1_free",
            Self::Class2Billed => "class2_billed",
            Self::GeoRedundancy => "geo_redundancy",
            Self::GeoRedundancyBilled => "geo_redundancy_billed",
        }
    }
}

impl StorageMapping {
    /// The service of one reporting row.
    pub fn service(&self, row: StorageRow) -> Option<&ServiceRef> {
        match row {
            StorageRow::QuotaAndTotal => self.quota_and_total.as_ref(),
            StorageRow::Class1Free => self.class1_free.as_ref(),
            StorageRow::Class2Billed => self.class2_billed.as_ref(),
            StorageRow::GeoRedundancy => self.geo_redundancy.as_ref(),
            StorageRow::GeoRedundancyBilled => self.geo_redundancy_billed.as_ref(),
        }
    }

    /// The selected reporting rows with their services.
    pub fn rows(&self) -> impl Iterator<Item = (StorageRow, &ServiceRef)> {
        StorageRow::ALL
            .into_iter()
            .filter_map(|row| self.service(row).map(|service| (row, service)))
    }

    /// Whether the storage is enabled for mapped customers: any row selected.
    pub fn is_enabled(&self) -> bool {
        self.rows().next().is_some()
    }
}

/// External public cloud storage vendors; each maps to one Autotask service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicCloudVendor {
    MicrosoftAzure,
    AmazonS3,
    S3Compatible,
}

impl PublicCloudVendor {
    pub const ALL: [PublicCloudVendor; 3] =
        [Self::MicrosoftAzure, Self::AmazonS3, Self::S3Compatible];

    /// The JSON field in `PublicCloudMappings`.
    pub fn field(self) -> &'static str {
        match self {
            Self::MicrosoftAzure => "microsoft_azure",
            Self::AmazonS3 => "amazon_s3",
            Self::S3Compatible => "s3_compatible",
        }
    }

    /// The guide's name of the vendor.
    pub fn label(self) -> &'static str {
        match self {
            Self::MicrosoftAzure => "Microsoft Azure",
            Self::AmazonS3 => "Amazon S3",
            Self::S3Compatible => "S3 compatible",
        }
    }
}

/// One service per public cloud vendor, enabled in the contract while the customer has a
/// storage of that vendor. No Free flag: nothing is provisioned in Acronis for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicCloudMappings {
    pub microsoft_azure: Option<ServiceRef>,
    pub amazon_s3: Option<ServiceRef>,
    pub s3_compatible: Option<ServiceRef>,
}

impl PublicCloudMappings {
    pub fn service(&self, vendor: PublicCloudVendor) -> Option<&ServiceRef> {
        match vendor {
            PublicCloudVendor::MicrosoftAzure => self.microsoft_azure.as_ref(),
            PublicCloudVendor::AmazonS3 => self.amazon_s3.as_ref(),
            PublicCloudVendor::S3Compatible => self.s3_compatible.as_ref(),
        }
    }

    /// The mapped vendors with their services.
    pub fn rows(&self) -> impl Iterator<Item = (PublicCloudVendor, &ServiceRef)> {
        PublicCloudVendor::ALL
            .into_iter()
            .filter_map(|vendor| self.service(vendor).map(|service| (vendor, service)))
    }
}

/// The ticket fields for one Acronis alert type (guide, "Configuring the alert mapping").
/// The numbers are ids of the MSP's own Autotask picklists, read at configuration time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertMapping {
    /// Acronis alert `type`, e.g. `BackupFailed`, `NoBackupForXDays`, a CTI id, or the
    /// short name of CTI ids ([`cti_short_name`]).
    pub alert_type: String,
    /// The guide's check box; a listed row is on unless switched off.
    pub enabled: bool,
    /// Ticket `priority`; required when enabled (Autotask requires it on create).
    pub priority: Option<i64>,
    /// Ticket `status` for new tickets; required when enabled (required on create).
    pub status: Option<i64>,
    /// Ticket `queueID`; whether Autotask needs it depends on the ticket category.
    pub queue: Option<i64>,
    pub issue_type: Option<i64>,
    /// Needs `issue_type`: Autotask sub-issue types belong to an issue type.
    pub sub_issue_type: Option<i64>,
    pub ticket_type: Option<i64>,
}

impl Default for AlertMapping {
    fn default() -> Self {
        Self {
            alert_type: String::new(),
            enabled: true,
            priority: None,
            status: None,
            queue: None,
            issue_type: None,
            sub_issue_type: None,
            ticket_type: None,
        }
    }
}

/// The short name of a CTI alert type, which an alert-mapping row may name instead of
/// the whole id: the entity name of the id's last (most derived) segment, without its
/// vendor, package and version. `cti.a.p.am.alert.v1.0~a.p.malware_detected.v1.0` →
/// `malware_detected`. `None` for types that are not CTI ids (`BackupFailed`) or do
/// not parse.
pub fn cti_short_name(alert_type: &str) -> Option<&str> {
    let rest = alert_type.strip_prefix("cti.")?;
    let segment = rest.rsplit('~').next()?;
    let parts: Vec<&str> = segment.split('.').collect();
    let is_major = |part: &str| {
        part.strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let is_minor = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    // The version closes the segment: `v<major>` or `v<major>.<minor>`.
    let version_at = match parts.as_slice() {
        [.., major, minor] if is_major(major) && is_minor(minor) => parts.len() - 2,
        [.., major] if is_major(major) => parts.len() - 1,
        _ => return None,
    };
    // vendor.package.<name…>: the name is at least one part.
    if version_at < 3 {
        return None;
    }
    let start = parts[..2].iter().map(|p| p.len() + 1).sum::<usize>();
    let len = parts[2..version_at].iter().map(|p| p.len()).sum::<usize>() + version_at - 3;
    let name = &segment[start..start + len];
    (!name.is_empty() && parts[2..version_at].iter().all(|p| !p.is_empty())).then_some(name)
}

/// What an Autotask service stands for, found by `Settings::target_of_service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedTarget<'a> {
    /// An offering item; `included_features` when it is the "(included features)" service.
    Item {
        offering_item: &'a str,
        infra_id: Option<&'a str>,
        included_features: bool,
    },
    /// One reporting row of a storage.
    Storage {
        offering_item: &'a str,
        infra_id: &'a str,
        row: StorageRow,
    },
    PublicCloud(PublicCloudVendor),
}

#[cfg(test)]
mod tests {
    use super::{CustomerMapping, MappedTenantKind, cti_short_name};
    use serde_json::json;

    #[test]
    fn a_stored_mapping_without_a_kind_is_a_customer_mapping() {
        let stored = json!({"company_id": 7, "tenant_id": "t", "origin": "manual",
                            "created_at": "2026-01-01T00:00:00Z"});
        let m: CustomerMapping = serde_json::from_value(stored.clone()).expect("reads");
        assert_eq!(m.tenant_kind, MappedTenantKind::Customer);
        let written = serde_json::to_value(&m).expect("writes");
        assert_eq!(written["tenant_kind"], serde_json::Value::Null, "{written}");

        let sub = CustomerMapping {
            tenant_kind: MappedTenantKind::SubPartner,
            ..m
        };
        let written = serde_json::to_value(&sub).expect("writes");
        assert_eq!(written["tenant_kind"], "sub_partner");
        let back: CustomerMapping = serde_json::from_value(written).expect("reads");
        assert!(back.is_sub_partner());
    }

    #[test]
    fn cti_short_names() {
        let cases = [
            (
                "cti.a.p.am.alert.v1.0~a.p.malware_detected.v1.0",
                Some("malware_detected"),
            ),
            (
                "cti.a.p.am.alert.v1.0~acme.backup.agent.offline.v2.13",
                Some("agent.offline"),
            ),
            (
                "cti.a.p.am.alert.v1~a.p.quota_exceeded.v3",
                Some("quota_exceeded"),
            ),
            // Without a derived segment the base type itself is named.
            ("cti.a.p.am.alert.v1.0", Some("am.alert")),
            ("BackupFailed", None),
            ("cti.a.p.am.alert.v1.0~a.p.v1.0", None),
            ("cti.a.p.am.alert.v1.0~a.p.x", None),
            ("cti.a.p.am.alert.v1.0~a.p..v1.0", None),
            ("cti.", None),
            ("", None),
        ];
        for (alert_type, expected) in cases {
            assert_eq!(cti_short_name(alert_type), expected, "{alert_type}");
        }
    }
}
