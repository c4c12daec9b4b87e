//! Quota push: for one mapped customer tenant, which offering-item quotas to change in
//! Acronis and, with two-way sync, which contract units to change in Autotask.
//!
//! The quota-push job gathers the inputs (the company's stored snapshot, the policy,
//! the observed tenant, every offering item of the tenant, the stored merge bases),
//! applies the [`QuotaPlan`] and stores its `bases`; a dry run shows the same plan.
//! Rules (DESIGN.md, "Quotas" and "Two-way sync"; the guide's "Configuring the service
//! mapping"):
//!
//! **Guarded tenants.** A tenant in self-service mode, with support access disabled, or
//! deleted is never changed: the plan only says why (`tenant_skip`) and hands the stored
//! bases back unchanged.
//!
//! **Contract items.** Prepaid: the units summed over contracts and bundles, as a hard
//! quota (no overage; storage GB as binary bytes). PAYG: unlimited. An item held under
//! both billing types is left untouched and listed in `skipped` with both sides'
//! contracts. An item a contract asks for is switched on if the tenant switched it off.
//! A contract line without infra id stands for the item on every storage; a line with
//! one is more specific and wins over it.
//!
//! **Storage locations.** A contract that holds only a class 1, class 2 or
//! geo-redundancy row of a storage mapping still enables that storage, unlimited; a
//! "Quota and Total usage" line for the same storage decides its quota instead.
//!
//! **Everything else.** An item with a quota that no contract asks for — mapped but
//! absent, or not mapped at all — is unlimited (and switched on) when its mapping row is
//! Free; otherwise it goes to a hard 0 while "set offering item quotas to zero" is on,
//! and is left as it is when that is off. Zeroing keeps the item's status (Acronis
//! refuses to switch off an item that has usage). Items without a quota (features) are
//! never zeroed, and an item the tenant switched off stays off.
//!
//! **The default storage.** When no contract holds any storage, the storage that
//! provisioning assigned (the configured default, or every storage when none is
//! configured, since the partner's default cannot be told apart) is not zeroed: zeroing
//! it would stop the customer's backups the moment the tenant was provisioned. It is
//! listed in `skipped` instead. (Our decision; the guide does not say.)
//!
//! **Two-way sync** (prepaid items with a quota only). With A the tenant's quota, T the
//! contract's and B the last value both sides agreed on: A = T → nothing; no B yet →
//! Autotask wins; only Acronis changed (B = T) → the contract units move to A on the
//! first direct contract service holding the item (bytes → GB rounded up; never below
//! 0), and when A is not exactly what whole units give (a fraction of a GB, an overage)
//! Acronis gets the quota the new units stand for; only Autotask changed (B = A) → T is
//! pushed; both changed → Autotask wins and a [`SyncConflict`] is audited. Autotask wins,
//! with a note in `skipped`, when the Acronis quota is unlimited, when only bundles hold
//! the item (a bundle's units count for every item in it), and when one contract line
//! stands for the item on several storages. Without two-way sync Autotask is the only
//! source of truth.
//!
//! **Bases.** `bases` is the whole set to store once the plan is applied: the agreed
//! value of every prepaid item of the tenant, plus the old base of an item in billing
//! conflict (nothing was agreed anew). A rerun after applying changes nothing.
//!
//! Unconfirmed: how Acronis treats an overage on a prepaid item the MSP set by hand (we
//! drop it when writing back); whether the guide's built-in integration also zeroes
//! items of other editions (we zero every item with a quota, as the guide's "all
//! offering item quotas" reads).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Unit};
use crate::contracts::{
    BYTES_PER_GB, CompanySnapshot, ItemBilling, ItemEntitlement, ItemKind, OfferingItemRef, Origin,
};
use crate::mapping::{BACKUP_STORAGE_ITEM, StorageRow};
use crate::policy::Policy;
use crate::provisioning::{ObservedTenant, SkipReason};
use crate::quota::{ItemChange, OfferingItemState, QuotaValue, prepaid_quota};

/// Everything the planner needs for one mapped tenant.
#[derive(Debug, Clone, Copy)]
pub struct QuotaInputs<'a> {
    pub snapshot: &'a CompanySnapshot,
    /// Service map, Free items, storage locations, `deprovisioning.quotas_to_zero`.
    pub policy: &'a Policy,
    /// Self-service, support access, deleted.
    pub tenant: &'a ObservedTenant,
    /// Every offering item of the tenant now (all editions), enabled or not.
    pub current: &'a [OfferingItemState],
    pub two_way_sync: bool,
    /// The last value both sides agreed on, per item (the merge base); empty before the
    /// first push.
    pub bases: &'a [QuotaBase],
}

/// The last quota both Acronis and Autotask agreed on for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaBase {
    pub item: OfferingItemRef,
    pub quota: QuotaValue,
}

/// What to write for one tenant, and what was deliberately left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPlan {
    /// Set when the tenant is not to be touched at all (self-service, support access
    /// off, deleted); then `changes` and `unit_changes` are empty and `bases` are the
    /// stored ones.
    pub tenant_skip: Option<String>,
    /// To Acronis: only items that differ.
    pub changes: Vec<QuotaChange>,
    /// To Autotask (two-way sync only).
    pub unit_changes: Vec<UnitChange>,
    /// Items deliberately left alone, or whose Acronis edit was not carried to Autotask,
    /// with why.
    pub skipped: Vec<SkippedItem>,
    /// Both sides changed: Autotask won; to audit.
    pub conflicts: Vec<SyncConflict>,
    /// The merge bases to store once the plan is applied (replaces the stored set).
    pub bases: Vec<QuotaBase>,
}

impl QuotaPlan {
    /// Whether applying the plan writes anything to Acronis or Autotask.
    pub fn has_writes(&self) -> bool {
        !self.changes.is_empty() || !self.unit_changes.is_empty()
    }
}

/// One offering item to change in Acronis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaChange {
    pub change: ItemChange,
    /// The quota the tenant has now.
    pub from: Option<QuotaValue>,
    pub was_enabled: bool,
    pub reason: QuotaReason,
}

impl QuotaChange {
    /// One line for a dry run or the audit, e.g.
    /// `pw_base_servers: 1 → 2 (prepaid: 2 units in contract 7)`; storage in GB.
    pub fn describe(&self) -> String {
        let item = &self.change.item;
        let storage = is_storage(item);
        let mut parts = Vec::new();
        if let Some(enabled) = self.change.enabled.filter(|e| *e != self.was_enabled) {
            parts.push(format!(
                "{} → {}",
                on_off(self.was_enabled),
                on_off(enabled)
            ));
        }
        if let Some(quota) = self.change.quota.filter(|q| Some(*q) != self.from) {
            let from = self
                .from
                .map_or_else(|| "no quota".to_owned(), |q| show(q, storage));
            parts.push(format!("{from} → {}", show(quota, storage)));
        }
        format!("{item}: {} ({})", parts.join(", "), self.reason)
    }
}

/// Why an item gets its quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuotaReason {
    /// Units of the prepaid contracts holding the item, summed.
    Prepaid { units: i64, contract_ids: Vec<i64> },
    /// Held by PAYG contracts: unlimited.
    Payg { contract_ids: Vec<i64> },
    /// Its mapping row is Free and no contract holds it: unlimited.
    Free,
    /// Mapped, but in no active contract: 0 (quotas to zero is on).
    NotInContract,
    /// No mapping row gives it a service: 0 (quotas to zero is on).
    Unmapped,
    /// A storage location enabled by its reporting rows in a contract: unlimited.
    StorageLocation {
        rows: Vec<StorageRow>,
        contract_ids: Vec<i64>,
    },
    /// Two-way sync: only Autotask changed since the last sync.
    FromAutotask { units: i64, contract_ids: Vec<i64> },
    /// Two-way sync: both sides changed since the last sync; Autotask wins.
    BothChanged { units: i64, contract_ids: Vec<i64> },
}

impl fmt::Display for QuotaReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prepaid {
                units,
                contract_ids,
            } => write!(
                f,
                "prepaid: {} in {}",
                units_text(*units),
                contracts(contract_ids)
            ),
            Self::Payg { contract_ids } => {
                write!(f, "PAYG in {}: unlimited", contracts(contract_ids))
            }
            Self::Free => f.write_str("free item"),
            Self::NotInContract => f.write_str("not in any active contract; quotas to zero is on"),
            Self::Unmapped => f.write_str("no service mapped; quotas to zero is on"),
            Self::StorageLocation { rows, contract_ids } => {
                let labels: Vec<&str> = rows.iter().map(|r| row_label(*r)).collect();
                let noun = if rows.len() == 1 { "row" } else { "rows" };
                write!(
                    f,
                    "storage location enabled by its {} {noun} in {}",
                    labels.join(", "),
                    contracts(contract_ids)
                )
            }
            Self::FromAutotask {
                units,
                contract_ids,
            } => write!(
                f,
                "changed in Autotask since the last sync: {} in {}",
                units_text(*units),
                contracts(contract_ids)
            ),
            Self::BothChanged {
                units,
                contract_ids,
            } => write!(
                f,
                "changed on both sides since the last sync, Autotask wins: {} in {}",
                units_text(*units),
                contracts(contract_ids)
            ),
        }
    }
}

/// One contract service's units to change in Autotask (two-way sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitChange {
    pub item: OfferingItemRef,
    pub contract_id: i64,
    pub contract_service_id: i64,
    /// As in the snapshot; the job re-reads the units right before writing.
    pub from_units: i64,
    pub to_units: i64,
    pub reason: String,
}

impl UnitChange {
    /// One line for a dry run or the audit.
    pub fn describe(&self) -> String {
        format!(
            "{}: contract {} service {}: {} → {} units ({})",
            self.item,
            self.contract_id,
            self.contract_service_id,
            self.from_units,
            self.to_units,
            self.reason
        )
    }
}

/// An item left alone, or an Acronis edit not carried to Autotask, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    pub item: OfferingItemRef,
    pub reason: String,
}

impl fmt::Display for SkippedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.item, self.reason)
    }
}

/// Both sides changed an item since the last sync; Autotask won.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConflict {
    pub item: OfferingItemRef,
    pub base: QuotaValue,
    pub acronis: QuotaValue,
    pub autotask: QuotaValue,
}

impl SyncConflict {
    /// One line for the audit.
    pub fn describe(&self) -> String {
        let storage = is_storage(&self.item);
        format!(
            "{}: changed on both sides since {} (Acronis {}, Autotask {}); Autotask wins",
            self.item,
            show(self.base, storage),
            show(self.acronis, storage),
            show(self.autotask, storage)
        )
    }
}

/// Plans the quota push for one mapped tenant (see the module documentation).
pub fn plan_quotas(inputs: &QuotaInputs<'_>) -> QuotaPlan {
    if let Some(reason) = tenant_skip(inputs.tenant) {
        let mut bases = inputs.bases.to_vec();
        bases.sort_by(|a, b| a.item.cmp(&b.item));
        return QuotaPlan {
            tenant_skip: Some(reason),
            bases,
            ..QuotaPlan::default()
        };
    }
    let mut seen = BTreeSet::new();
    let items: Vec<&OfferingItemState> = inputs
        .current
        .iter()
        .filter(|item| seen.insert(&item.item))
        .collect();
    let mut planner = Planner {
        inputs,
        locations: storage_locations(inputs.snapshot, inputs.policy),
        items,
        plan: QuotaPlan::default(),
    };
    for item in planner.items.clone() {
        planner.plan_item(item);
    }
    planner.note_entitlements_left_out();
    planner.finish()
}

/// Why a tenant is not to be touched at all.
fn tenant_skip(tenant: &ObservedTenant) -> Option<String> {
    match tenant {
        ObservedTenant::Deleted => {
            Some("the tenant was deleted in Acronis; no quota to push".to_owned())
        }
        ObservedTenant::Exists {
            ancestral_access: false,
            ..
        } => Some(SkipReason::SelfService.to_string()),
        ObservedTenant::Exists {
            support_access_disabled: true,
            ..
        } => Some(SkipReason::SupportAccessDisabled.to_string()),
        ObservedTenant::Exists { .. } => None,
    }
}

/// A storage location some contract enables through its reporting rows.
#[derive(Debug, Default)]
struct Location {
    rows: BTreeSet<StorageRow>,
    contract_ids: BTreeSet<i64>,
}

/// The storage locations the snapshot's reporting lines enable.
fn storage_locations(
    snapshot: &CompanySnapshot,
    policy: &Policy,
) -> BTreeMap<OfferingItemRef, Location> {
    let mut locations: BTreeMap<OfferingItemRef, Location> = BTreeMap::new();
    for line in &snapshot.reporting_lines {
        if let Some(located) = policy.storage_locations.get(&line.service_id) {
            let location = locations.entry(located.item.clone()).or_default();
            location.rows.insert(located.row);
            location.contract_ids.insert(line.contract_id);
        }
    }
    locations
}

struct Planner<'i, 'a> {
    inputs: &'i QuotaInputs<'a>,
    locations: BTreeMap<OfferingItemRef, Location>,
    /// The tenant's items, one per `(name, infra_id)`.
    items: Vec<&'a OfferingItemState>,
    plan: QuotaPlan,
}

impl<'a> Planner<'_, 'a> {
    fn plan_item(&mut self, item: &'a OfferingItemState) {
        if let Some(entitlement) = self.entitlement_for(&item.item) {
            match &entitlement.billing {
                ItemBilling::Prepaid { units } => self.prepaid(item, entitlement, *units),
                ItemBilling::Payg => {
                    let reason = QuotaReason::Payg {
                        contract_ids: entitlement.contract_ids().into_iter().collect(),
                    };
                    self.switch_on(item, QuotaValue::UNLIMITED, reason);
                }
                // Listed once per entitlement; the agreement before the conflict stands.
                ItemBilling::Conflict { .. } => self.keep_base(&item.item),
            }
            return;
        }
        if let Some(location) = self
            .locations
            .iter()
            .find_map(|(at, location)| at.covers(&item.item).then_some(location))
        {
            let reason = QuotaReason::StorageLocation {
                rows: location.rows.iter().copied().collect(),
                contract_ids: location.contract_ids.iter().copied().collect(),
            };
            self.switch_on(item, QuotaValue::UNLIMITED, reason);
            return;
        }
        let policy = self.inputs.policy;
        if policy.is_free(&item.item) {
            self.switch_on(item, QuotaValue::UNLIMITED, QuotaReason::Free);
            return;
        }
        if !item.enabled || item.quota.is_none() || !policy.deprovisioning.quotas_to_zero {
            return;
        }
        let change = ItemChange {
            item: item.item.clone(),
            enabled: None,
            quota: Some(QuotaValue::ZERO),
        };
        if !change.changes(item) {
            return;
        }
        if self.is_kept_default_storage(&item.item) {
            self.skip(
                &item.item,
                "no contract holds storage: kept as the default storage provisioning assigns"
                    .to_owned(),
            );
            return;
        }
        let reason = if policy.is_mapped(&item.item) {
            QuotaReason::NotInContract
        } else {
            QuotaReason::Unmapped
        };
        self.push(item, change, reason);
    }

    /// The contract line for `item`: one naming its storage wins over one for every
    /// storage.
    fn entitlement_for(&self, item: &OfferingItemRef) -> Option<&'a ItemEntitlement> {
        let items = &self.inputs.snapshot.items;
        items
            .iter()
            .find(|e| &e.item == item)
            .or_else(|| items.iter().find(|e| e.item.covers(item)))
    }

    fn prepaid(&mut self, item: &'a OfferingItemState, entitlement: &ItemEntitlement, units: i64) {
        let contract_ids: Vec<i64> = entitlement.contract_ids().into_iter().collect();
        let Some(acronis) = item.quota else {
            // A feature: switched on, nothing to count.
            let change = ItemChange {
                item: item.item.clone(),
                enabled: Some(true),
                quota: None,
            };
            self.push(
                item,
                change,
                QuotaReason::Prepaid {
                    units,
                    contract_ids,
                },
            );
            return;
        };
        let target = prepaid_quota(units, entitlement.kind);
        let (agreed, reason) = if self.inputs.two_way_sync {
            self.merge(item, entitlement, units, acronis, target)
        } else {
            (
                target,
                QuotaReason::Prepaid {
                    units,
                    contract_ids,
                },
            )
        };
        self.plan.bases.push(QuotaBase {
            item: item.item.clone(),
            quota: agreed,
        });
        let change = ItemChange {
            item: item.item.clone(),
            enabled: Some(true),
            quota: Some(agreed),
        };
        self.push(item, change, reason);
    }

    /// Two-way sync of one prepaid item: the agreed quota and why.
    fn merge(
        &mut self,
        item: &OfferingItemState,
        entitlement: &ItemEntitlement,
        units: i64,
        acronis: QuotaValue,
        target: QuotaValue,
    ) -> (QuotaValue, QuotaReason) {
        let contract_ids: Vec<i64> = entitlement.contract_ids().into_iter().collect();
        let base = self
            .inputs
            .bases
            .iter()
            .find(|b| b.item == item.item)
            .map(|b| b.quota);
        match base {
            _ if acronis == target => (
                target,
                QuotaReason::Prepaid {
                    units,
                    contract_ids,
                },
            ),
            None => (
                target,
                QuotaReason::Prepaid {
                    units,
                    contract_ids,
                },
            ),
            Some(base) if base == target => self.acronis_changed(item, entitlement, units, acronis),
            Some(base) if base == acronis => (
                target,
                QuotaReason::FromAutotask {
                    units,
                    contract_ids,
                },
            ),
            Some(base) => {
                self.plan.conflicts.push(SyncConflict {
                    item: item.item.clone(),
                    base,
                    acronis,
                    autotask: target,
                });
                (
                    target,
                    QuotaReason::BothChanged {
                        units,
                        contract_ids,
                    },
                )
            }
        }
    }

    /// Only Acronis changed: carry its quota to the contract units when one contract
    /// service can hold it, else Autotask wins with a note.
    fn acronis_changed(
        &mut self,
        item: &OfferingItemState,
        entitlement: &ItemEntitlement,
        units: i64,
        acronis: QuotaValue,
    ) -> (QuotaValue, QuotaReason) {
        let contract_ids: Vec<i64> = entitlement.contract_ids().into_iter().collect();
        let storage = entitlement.kind == ItemKind::Storage;
        let target = prepaid_quota(units, entitlement.kind);
        let autotask_wins = |planner: &mut Self, why: &str| {
            planner.skip(
                &item.item,
                format!(
                    "changed in Acronis to {}, but {why}: Autotask wins",
                    show(acronis, storage)
                ),
            );
            (
                target,
                QuotaReason::Prepaid {
                    units,
                    contract_ids: contract_ids.clone(),
                },
            )
        };
        let Some(wanted_units) = units_of(acronis, entitlement.kind) else {
            return autotask_wins(self, "contract units cannot hold an unlimited quota");
        };
        let covered = self
            .items
            .iter()
            .filter(|i| entitlement.item.covers(&i.item))
            .count();
        if covered > 1 {
            return autotask_wins(self, "one contract line holds the item on several storages");
        }
        let Some((line, contract_service_id)) =
            entitlement
                .contributions
                .iter()
                .find_map(|c| match c.origin {
                    Origin::Service {
                        contract_service_id,
                    } => Some((c, contract_service_id)),
                    Origin::Bundle { .. } => None,
                })
        else {
            return autotask_wins(
                self,
                "only service bundles hold the item and a bundle's units count for every item in it",
            );
        };
        let to_units = line
            .units
            .saturating_add(wanted_units.saturating_sub(units.max(0)))
            .max(0);
        if to_units == line.units {
            let why = if wanted_units == units.max(0) {
                "whole contract units cannot express it".to_owned()
            } else {
                format!("contract service {contract_service_id} cannot go below 0 units")
            };
            return autotask_wins(self, &why);
        }
        let new_units = units.saturating_add(to_units.saturating_sub(line.units));
        let agreed = prepaid_quota(new_units, entitlement.kind);
        let mut reason = format!(
            "changed in Acronis from {} to {} since the last sync",
            show(target, storage),
            show(acronis, storage)
        );
        if agreed != acronis {
            reason.push_str(&format!(
                "; Acronis gets {}, what the contract units now give",
                show(agreed, storage)
            ));
        }
        self.plan.unit_changes.push(UnitChange {
            item: item.item.clone(),
            contract_id: line.contract_id,
            contract_service_id,
            from_units: line.units,
            to_units,
            reason,
        });
        (
            agreed,
            QuotaReason::Prepaid {
                units: new_units,
                contract_ids,
            },
        )
    }

    /// Switches `item` on with `quota` (features get none).
    fn switch_on(&mut self, item: &OfferingItemState, quota: QuotaValue, reason: QuotaReason) {
        let change = ItemChange {
            item: item.item.clone(),
            enabled: Some(true),
            quota: item.quota.and(Some(quota)),
        };
        self.push(item, change, reason);
    }

    fn push(&mut self, item: &OfferingItemState, change: ItemChange, reason: QuotaReason) {
        if change.changes(item) {
            self.plan.changes.push(QuotaChange {
                change,
                from: item.quota,
                was_enabled: item.enabled,
                reason,
            });
        }
    }

    fn keep_base(&mut self, item: &OfferingItemRef) {
        let stored = self.inputs.bases.iter().find(|b| &b.item == item);
        self.plan.bases.extend(stored.cloned());
    }

    fn skip(&mut self, item: &OfferingItemRef, reason: String) {
        self.plan.skipped.push(SkippedItem {
            item: item.clone(),
            reason,
        });
    }

    /// Whether zeroing `item` would take away the storage provisioning assigned because
    /// no contract holds storage.
    fn is_kept_default_storage(&self, item: &OfferingItemRef) -> bool {
        let contracts_hold_storage =
            self.inputs.snapshot.has_storage_item() || !self.locations.is_empty();
        item.name == BACKUP_STORAGE_ITEM
            && !contracts_hold_storage
            && match &self.inputs.policy.default_storage {
                Some(infra) => item.infra_id.as_deref() == Some(infra.as_str()),
                None => true,
            }
    }

    /// Contract items that could not be applied: in billing conflict, or not an item
    /// of this tenant.
    fn note_entitlements_left_out(&mut self) {
        let snapshot = self.inputs.snapshot;
        for entitlement in &snapshot.items {
            if let ItemBilling::Conflict {
                payg_contract_ids,
                prepaid_contract_ids,
            } = &entitlement.billing
            {
                self.skip(
                    &entitlement.item,
                    format!(
                        "held by PAYG {} and prepaid {}; not applied until one side changes",
                        contracts(payg_contract_ids),
                        contracts(prepaid_contract_ids)
                    ),
                );
            } else if !self.items.iter().any(|i| entitlement.item.covers(&i.item)) {
                self.skip(&entitlement.item, NOT_OFFERED.to_owned());
            }
        }
        let missing: Vec<OfferingItemRef> = self
            .locations
            .keys()
            .filter(|at| !self.items.iter().any(|i| at.covers(&i.item)))
            .cloned()
            .collect();
        for at in missing {
            self.skip(&at, NOT_OFFERED.to_owned());
        }
    }

    fn finish(mut self) -> QuotaPlan {
        let plan = &mut self.plan;
        plan.changes
            .sort_by(|a, b| a.change.item.cmp(&b.change.item));
        plan.unit_changes.sort_by(|a, b| {
            (&a.item, a.contract_service_id).cmp(&(&b.item, b.contract_service_id))
        });
        plan.skipped
            .sort_by(|a, b| (&a.item, &a.reason).cmp(&(&b.item, &b.reason)));
        plan.conflicts.sort_by(|a, b| a.item.cmp(&b.item));
        plan.bases.sort_by(|a, b| a.item.cmp(&b.item));
        plan.bases.dedup_by(|a, b| a.item == b.item);
        self.plan
    }
}

const NOT_OFFERED: &str = "a contract holds it, but the tenant has no such offering item";

/// An Acronis quota in contract units: a count as is, bytes as GB rounded up. `None`
/// for unlimited, or a count beyond what a contract can hold.
fn units_of(quota: QuotaValue, kind: ItemKind) -> Option<i64> {
    let value = quota.value?;
    let units = match kind {
        ItemKind::Count => value,
        ItemKind::Storage => value.div_ceil(BYTES_PER_GB.unsigned_abs()),
    };
    i64::try_from(units).ok()
}

fn is_storage(item: &OfferingItemRef) -> bool {
    catalog::find(&item.name).is_some_and(|c| c.unit == Unit::Bytes)
}

fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}

/// A quota for people: "unlimited", a count, or GB for storage; an overage when set.
fn show(quota: QuotaValue, storage: bool) -> String {
    let Some(value) = quota.value else {
        return "unlimited".to_owned();
    };
    let gb = BYTES_PER_GB.unsigned_abs();
    let amount = |v: u64| {
        if !storage {
            v.to_string()
        } else if v / gb * gb == v {
            format!("{} GB", v / gb)
        } else {
            format!("{:.2} GB", v as f64 / gb as f64)
        }
    };
    match quota.overage {
        Some(0) => amount(value),
        Some(overage) => format!("{} + {} overage", amount(value), amount(overage)),
        None => format!("{} (overage unlimited)", amount(value)),
    }
}

fn units_text(units: i64) -> String {
    if units == 1 {
        "1 unit".to_owned()
    } else {
        format!("{units} units")
    }
}

fn contracts(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    match ids.len() {
        0 => "no contract".to_owned(),
        1 => format!("contract {}", list.join("")),
        _ => format!("contracts {}", list.join(", ")),
    }
}

fn row_label(row: StorageRow) -> &'static str {
    match row {
        StorageRow::QuotaAndTotal => "quota and total",
        StorageRow::Class1Free => "class 1 (free)",
        StorageRow::Class2Billed => "class 2 (billed)",
        StorageRow::GeoRedundancy => "geo-redundancy",
        StorageRow::GeoRedundancyBilled => "geo-redundancy (billed)",
    }
}

#[cfg(test)]
mod tests;
