//! The contract model: what the contract poller reads from Autotask, reduced to one
//! company's snapshot of Acronis entitlements.
//!
//! The poller is the only reader of Autotask contracts; quota push and usage reporting
//! read the stored [`CompanySnapshot`] instead. So the snapshot carries everything they
//! need (billing type, units per offering item, contributing contract services) and a
//! [`Fingerprint`] that tells the poller whether anything changed since the last sweep.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `Contracts.contractType` of a Recurring Service contract, the only type that holds
/// contract services.
pub const RECURRING_SERVICE: i32 = 7;

/// `Contracts.status` of a contract in effect (unconfirmed picklist value; 1 is what
/// every client we know of reads as active).
pub const STATUS_ACTIVE: i32 = 1;

/// Name of the contract UDF that selects PAYG or prepaid billing.
pub const PAYG_UDF: &str = "Acronis PAYG";

/// Bytes in one GB as Acronis counts storage (binary).
pub const BYTES_PER_GB: i64 = 1 << 30;

/// Autotask GB (contract units) to Acronis quota bytes; `None` for a negative count or
/// one too large to represent.
pub fn gb_to_bytes(gb: i64) -> Option<i64> {
    if gb < 0 {
        return None;
    }
    gb.checked_mul(BYTES_PER_GB)
}

// ---------------------------------------------------------------------------------------
// Inputs: plain mirrors of the Autotask rows the poller reads.
// ---------------------------------------------------------------------------------------

/// One `Contracts` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: i64,
    pub company_id: i64,
    pub contract_type: i32,
    pub status: i32,
    /// Inclusive.
    pub start_date: NaiveDate,
    /// Inclusive.
    pub end_date: NaiveDate,
    /// The "Acronis PAYG" UDF as Autotask returns it (`None` when unset).
    pub acronis_payg: Option<String>,
}

impl Contract {
    /// Active recurring-service contract whose dates cover `today`.
    pub fn is_in_effect(&self, today: NaiveDate) -> bool {
        self.contract_type == RECURRING_SERVICE
            && self.status == STATUS_ACTIVE
            && self.start_date <= today
            && today <= self.end_date
    }
}

/// One `ContractServices` row; it holds no unit count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractService {
    pub id: i64,
    pub contract_id: i64,
    pub service_id: i64,
}

/// One `ContractServiceUnits` row: the count of a contract service over a date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUnits {
    pub contract_service_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub units: i64,
}

/// One `ContractServiceBundles` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractServiceBundle {
    pub id: i64,
    pub contract_id: i64,
    pub service_bundle_id: i64,
}

/// One `ContractServiceBundleUnits` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleUnits {
    pub contract_service_bundle_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub units: i64,
}

/// One `ServiceBundleServices` row: service bundle → contained service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceBundleService {
    pub service_bundle_id: i64,
    pub service_id: i64,
}

/// Everything the poller fetched; rows of other companies and duplicates are tolerated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractInputs {
    pub contracts: Vec<Contract>,
    pub services: Vec<ContractService>,
    pub service_units: Vec<ServiceUnits>,
    pub bundles: Vec<ContractServiceBundle>,
    pub bundle_units: Vec<BundleUnits>,
    pub bundle_contents: Vec<ServiceBundleService>,
}

// ---------------------------------------------------------------------------------------
// Service map: which Autotask service stands for which Acronis offering item.
// ---------------------------------------------------------------------------------------

/// An Acronis offering item; `(name, infra_id)` is its identity because partners with
/// several storages see the same name once per storage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OfferingItemRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra_id: Option<String>,
}

impl OfferingItemRef {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            infra_id: None,
        }
    }

    pub fn on_infra(name: impl Into<String>, infra_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            infra_id: Some(infra_id.into()),
        }
    }

    /// Whether this reference stands for `item`: same name, and same infra unless this
    /// reference names none (then it stands for the item on every storage).
    pub fn covers(&self, item: &OfferingItemRef) -> bool {
        self.name == item.name && (self.infra_id.is_none() || self.infra_id == item.infra_id)
    }
}

impl fmt::Display for OfferingItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.infra_id {
            Some(infra) => write!(f, "{}@{infra}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What an item's units measure. Storage units are GB in Autotask (see [`gb_to_bytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Count,
    Storage,
}

/// Autotask service id → offering item. Services absent from the map are not Acronis
/// services and are ignored. The lead wires this from the service-mapping settings.
///
/// Reporting services (storage class 1/2 and geo-redundancy rows, public cloud vendors,
/// "(included features)") are Acronis services too, but carry no quota: they feed
/// [`CompanySnapshot::reporting_lines`] for usage reporting, never an item's units
/// (a storage quota counted again from its class rows would be doubled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceMap {
    services: BTreeMap<i64, (OfferingItemRef, ItemKind)>,
    reporting: BTreeSet<i64>,
}

impl ServiceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `service_id` to `item`; a later insert for the same service replaces it.
    pub fn insert(&mut self, service_id: i64, item: OfferingItemRef, kind: ItemKind) {
        self.services.insert(service_id, (item, kind));
    }

    pub fn get(&self, service_id: i64) -> Option<(&OfferingItemRef, ItemKind)> {
        self.services
            .get(&service_id)
            .map(|(item, kind)| (item, *kind))
    }

    /// Whether some quota-bearing service stands for `item` (a service mapped without
    /// infra id stands for the item on every storage).
    pub fn maps(&self, item: &OfferingItemRef) -> bool {
        self.services
            .values()
            .any(|(mapped, _)| mapped.covers(item))
    }

    /// Marks `service_id` as a reporting-only Acronis service (no offering item).
    pub fn insert_reporting(&mut self, service_id: i64) {
        self.reporting.insert(service_id);
    }

    pub fn is_reporting(&self, service_id: i64) -> bool {
        self.reporting.contains(&service_id)
    }

    /// Whether the service is an Acronis service at all (quota-bearing or reporting).
    pub fn contains(&self, service_id: i64) -> bool {
        self.services.contains_key(&service_id) || self.reporting.contains(&service_id)
    }

    /// What a service stands for, if it is an Acronis service.
    fn target(&self, service_id: i64) -> Option<Target<'_>> {
        match self.get(service_id) {
            Some((item, kind)) => Some(Target::Item(item, kind)),
            None => self.is_reporting(service_id).then_some(Target::Reporting),
        }
    }
}

/// What a mapped contract line feeds.
#[derive(Clone, Copy)]
enum Target<'a> {
    Item(&'a OfferingItemRef, ItemKind),
    Reporting,
}

// ---------------------------------------------------------------------------------------
// Billing type
// ---------------------------------------------------------------------------------------

/// Billing type of a contract (per contract, so PAYG and prepaid never mix within one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    Prepaid,
    Payg,
}

/// The "Acronis PAYG" UDF holds something other than Yes or No.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contract UDF \"Acronis PAYG\" is {value:?}; expected Yes or No")]
pub struct InvalidPayg {
    pub value: String,
}

/// Reads the "Acronis PAYG" UDF: Yes/No in any case; absent or blank means No, which
/// is prepaid (the guide's default).
pub fn parse_payg(value: Option<&str>) -> Result<Billing, InvalidPayg> {
    let trimmed = value.map(str::trim).unwrap_or_default();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("no") {
        Ok(Billing::Prepaid)
    } else if trimmed.eq_ignore_ascii_case("yes") {
        Ok(Billing::Payg)
    } else {
        Err(InvalidPayg {
            value: trimmed.to_owned(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------

/// Where an item's units come from: a contract service, or a service inside a bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Origin {
    Service {
        contract_service_id: i64,
    },
    Bundle {
        contract_service_bundle_id: i64,
        service_bundle_id: i64,
    },
}

/// One contract line feeding an item. The usage job writes PAYG units back to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Contribution {
    pub contract_id: i64,
    pub service_id: i64,
    pub origin: Origin,
    pub billing: Billing,
    /// Units today (for a bundle line: the bundle's units).
    pub units: i64,
}

/// How an item is to be provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "billing", rename_all = "snake_case")]
pub enum ItemBilling {
    /// Hard quota = `units` (GB for storage), summed over the prepaid contracts.
    Prepaid { units: i64 },
    /// Unlimited; usage is reported to the contributing contract services.
    Payg,
    /// Held under both billing types: not applied; both sides are named for the audit.
    Conflict {
        payg_contract_ids: Vec<i64>,
        prepaid_contract_ids: Vec<i64>,
    },
}

/// One offering item the company is entitled to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemEntitlement {
    pub item: OfferingItemRef,
    pub kind: ItemKind,
    #[serde(flatten)]
    pub billing: ItemBilling,
    /// Sorted; every contract line that mentions the item.
    pub contributions: Vec<Contribution>,
}

impl ItemEntitlement {
    pub fn contract_ids(&self) -> BTreeSet<i64> {
        self.contributions.iter().map(|c| c.contract_id).collect()
    }

    /// Contract services that hold the item directly (bundle lines excluded).
    pub fn contract_service_ids(&self) -> BTreeSet<i64> {
        self.contributions
            .iter()
            .filter_map(|c| match c.origin {
                Origin::Service {
                    contract_service_id,
                } => Some(contract_service_id),
                Origin::Bundle { .. } => None,
            })
            .collect()
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self.billing, ItemBilling::Conflict { .. })
    }
}

/// An active contract that holds Acronis services and whose billing type is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSummary {
    pub contract_id: i64,
    pub billing: Billing,
}

/// An active contract holding Acronis services that was skipped, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidContract {
    pub contract_id: i64,
    pub reason: String,
}

/// One company's Acronis entitlements on one day. Deterministic: every list is sorted,
/// so equal content serialises to equal bytes whatever order Autotask returned rows in.
/// It carries no date, so an unchanged contract yields an unchanged fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySnapshot {
    pub company_id: i64,
    pub contracts: Vec<ContractSummary>,
    pub items: Vec<ItemEntitlement>,
    pub invalid_contracts: Vec<InvalidContract>,
    /// Things worth showing the operator that did not stop the snapshot.
    pub notes: Vec<String>,
    /// Sorted; contract lines of reporting-only services (see [`ServiceMap`]), for usage
    /// reporting. Absent in JSON when empty, so older snapshots read (and fingerprint)
    /// unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reporting_lines: Vec<Contribution>,
}

impl CompanySnapshot {
    /// A company without contracts (or without a stored snapshot yet): no items, so a
    /// new tenant gets the default storage and the Free items only.
    pub fn empty(company_id: i64) -> CompanySnapshot {
        CompanySnapshot {
            company_id,
            contracts: Vec::new(),
            items: Vec::new(),
            invalid_contracts: Vec::new(),
            notes: Vec::new(),
            reporting_lines: Vec::new(),
        }
    }

    /// Whether an active contract holds a mapped Acronis service. Items in conflict and
    /// contracts skipped for a bad PAYG value count too: a typo in a UDF must never
    /// start the clock that ends in deleting the customer's backups.
    pub fn has_active_acronis_services(&self) -> bool {
        !self.items.is_empty()
            || !self.invalid_contracts.is_empty()
            || !self.reporting_lines.is_empty()
    }

    /// What in the company's contracts the bridge cannot apply as it stands, one line
    /// each, for the operator to fix in Autotask: an item held under both billing types
    /// (neither side applied), and an active contract skipped for its PAYG value.
    pub fn conflict_notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .items
            .iter()
            .filter_map(|e| match &e.billing {
                ItemBilling::Conflict {
                    payg_contract_ids,
                    prepaid_contract_ids,
                } => Some(format!(
                    "{}: on PAYG contracts {:?} and prepaid contracts {:?}; neither is applied",
                    e.item, payg_contract_ids, prepaid_contract_ids
                )),
                _ => None,
            })
            .collect();
        out.extend(
            self.invalid_contracts
                .iter()
                .map(|c| format!("contract {}: {}", c.contract_id, c.reason)),
        );
        out
    }

    /// Whether any contract holds a storage item (else provisioning assigns the
    /// default storage).
    pub fn has_storage_item(&self) -> bool {
        self.items.iter().any(|i| i.kind == ItemKind::Storage)
    }

    pub fn item(&self, item: &OfferingItemRef) -> Option<&ItemEntitlement> {
        self.items.iter().find(|e| &e.item == item)
    }

    pub fn conflicts(&self) -> impl Iterator<Item = &ItemEntitlement> {
        self.items.iter().filter(|e| e.is_conflict())
    }

    /// Stable hash of the content: FNV-1a (64 bit, no random seed) over the canonical
    /// JSON, as 16 hex digits.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(crate::hash::json_fingerprint(self))
    }
}

/// Content hash of a [`CompanySnapshot`]; equal fingerprints mean "nothing changed".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The units row covering `today`. When rows overlap on a boundary day (an adjustment
/// splitting a period), the one starting last wins: it carries the newest count.
fn units_covering(
    rows: impl Iterator<Item = (NaiveDate, NaiveDate, i64)>,
    today: NaiveDate,
) -> Option<i64> {
    rows.filter(|(start, end, _)| *start <= today && today <= *end)
        .max_by_key(|(start, end, units)| (*start, *end, *units))
        .map(|(_, _, units)| units)
}

/// A mapped contract line before billing is known.
struct Line<'a> {
    contract_id: i64,
    service_id: i64,
    target: Target<'a>,
    origin: Origin,
    units: i64,
}

/// Builds one company's snapshot for `today`. Rules (see
/// `docs/contracts-and-provisioning.md`): only active recurring-service contracts
/// covering today; PAYG from the UDF (bad value: contract skipped and reported); units
/// from the row covering today (none: 0, noted); bundles count each contained service
/// times the bundle units; unmapped services ignored; prepaid units of one item add up;
/// PAYG items are unlimited; an item under both billing types is a conflict.
pub fn company_snapshot(
    company_id: i64,
    inputs: &ContractInputs,
    map: &ServiceMap,
    today: NaiveDate,
) -> CompanySnapshot {
    let contracts: BTreeMap<i64, &Contract> = inputs
        .contracts
        .iter()
        .filter(|c| c.company_id == company_id && c.is_in_effect(today))
        .map(|c| (c.id, c))
        .collect();
    let mut notes = BTreeSet::new();
    let mut lines = Vec::new();

    let services: BTreeMap<i64, &ContractService> = inputs
        .services
        .iter()
        .filter(|s| contracts.contains_key(&s.contract_id))
        .map(|s| (s.id, s))
        .collect();
    for service in services.values() {
        let Some(target) = map.target(service.service_id) else {
            continue;
        };
        let rows = inputs
            .service_units
            .iter()
            .filter(|u| u.contract_service_id == service.id)
            .map(|u| (u.start_date, u.end_date, u.units));
        let units = units_covering(rows, today).unwrap_or_else(|| {
            notes.insert(format!(
                "contract {} service {} (contract service {}): no units row covers today; counted as 0",
                service.contract_id, service.service_id, service.id
            ));
            0
        });
        lines.push(Line {
            contract_id: service.contract_id,
            service_id: service.service_id,
            target,
            origin: Origin::Service {
                contract_service_id: service.id,
            },
            units,
        });
    }

    let mut contents: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for row in &inputs.bundle_contents {
        contents
            .entry(row.service_bundle_id)
            .or_default()
            .insert(row.service_id);
    }
    let bundles: BTreeMap<i64, &ContractServiceBundle> = inputs
        .bundles
        .iter()
        .filter(|b| contracts.contains_key(&b.contract_id))
        .map(|b| (b.id, b))
        .collect();
    for bundle in bundles.values() {
        let Some(service_ids) = contents.get(&bundle.service_bundle_id) else {
            notes.insert(format!(
                "contract {} service bundle {}: contents unknown; bundle ignored",
                bundle.contract_id, bundle.service_bundle_id
            ));
            continue;
        };
        let mapped: Vec<(i64, Target<'_>)> = service_ids
            .iter()
            .filter_map(|id| map.target(*id).map(|target| (*id, target)))
            .collect();
        if mapped.is_empty() {
            continue;
        }
        let rows = inputs
            .bundle_units
            .iter()
            .filter(|u| u.contract_service_bundle_id == bundle.id)
            .map(|u| (u.start_date, u.end_date, u.units));
        let units = units_covering(rows, today).unwrap_or_else(|| {
            notes.insert(format!(
                "contract {} service bundle {} (contract service bundle {}): no units row covers today; counted as 0",
                bundle.contract_id, bundle.service_bundle_id, bundle.id
            ));
            0
        });
        for (service_id, target) in mapped {
            lines.push(Line {
                contract_id: bundle.contract_id,
                service_id,
                target,
                origin: Origin::Bundle {
                    contract_service_bundle_id: bundle.id,
                    service_bundle_id: bundle.service_bundle_id,
                },
                units,
            });
        }
    }

    // Billing type, only for contracts that hold Acronis services.
    let acronis_contracts: BTreeSet<i64> = lines.iter().map(|l| l.contract_id).collect();
    let mut billing_of = BTreeMap::new();
    let mut invalid_contracts = Vec::new();
    for contract_id in &acronis_contracts {
        let Some(contract) = contracts.get(contract_id) else {
            continue;
        };
        match parse_payg(contract.acronis_payg.as_deref()) {
            Ok(billing) => {
                billing_of.insert(*contract_id, billing);
            }
            Err(e) => invalid_contracts.push(InvalidContract {
                contract_id: *contract_id,
                reason: format!("{e}; contract skipped"),
            }),
        }
    }

    let items = entitlements(&lines, &billing_of);
    let reporting_lines: BTreeSet<Contribution> = lines
        .iter()
        .filter(|l| matches!(l.target, Target::Reporting))
        .filter_map(|l| {
            billing_of.get(&l.contract_id).map(|billing| Contribution {
                contract_id: l.contract_id,
                service_id: l.service_id,
                origin: l.origin.clone(),
                billing: *billing,
                units: l.units,
            })
        })
        .collect();
    CompanySnapshot {
        company_id,
        contracts: billing_of
            .iter()
            .map(|(contract_id, billing)| ContractSummary {
                contract_id: *contract_id,
                billing: *billing,
            })
            .collect(),
        items,
        invalid_contracts,
        notes: notes.into_iter().collect(),
        reporting_lines: reporting_lines.into_iter().collect(),
    }
}

/// Folds the lines of valid contracts into one entitlement per offering item.
fn entitlements(lines: &[Line<'_>], billing_of: &BTreeMap<i64, Billing>) -> Vec<ItemEntitlement> {
    #[derive(Default)]
    struct Acc {
        storage: bool,
        prepaid_units: i64,
        prepaid: BTreeSet<i64>,
        payg: BTreeSet<i64>,
        contributions: BTreeSet<Contribution>,
    }
    let mut by_item: BTreeMap<&OfferingItemRef, Acc> = BTreeMap::new();
    for line in lines {
        let Target::Item(item, kind) = line.target else {
            continue;
        };
        let Some(billing) = billing_of.get(&line.contract_id).copied() else {
            continue;
        };
        let acc = by_item.entry(item).or_default();
        acc.storage |= kind == ItemKind::Storage;
        match billing {
            Billing::Prepaid => {
                acc.prepaid_units = acc.prepaid_units.saturating_add(line.units);
                acc.prepaid.insert(line.contract_id);
            }
            Billing::Payg => {
                acc.payg.insert(line.contract_id);
            }
        }
        acc.contributions.insert(Contribution {
            contract_id: line.contract_id,
            service_id: line.service_id,
            origin: line.origin.clone(),
            billing,
            units: line.units,
        });
    }
    by_item
        .into_iter()
        .map(|(item, acc)| {
            let billing = match (acc.payg.is_empty(), acc.prepaid.is_empty()) {
                (true, _) => ItemBilling::Prepaid {
                    units: acc.prepaid_units,
                },
                (false, true) => ItemBilling::Payg,
                (false, false) => ItemBilling::Conflict {
                    payg_contract_ids: acc.payg.into_iter().collect(),
                    prepaid_contract_ids: acc.prepaid.into_iter().collect(),
                },
            };
            ItemEntitlement {
                item: item.clone(),
                kind: if acc.storage {
                    ItemKind::Storage
                } else {
                    ItemKind::Count
                },
                billing,
                contributions: acc.contributions.into_iter().collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
