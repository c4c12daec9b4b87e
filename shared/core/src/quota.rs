//! Offering-item quotas: what a tenant has, what the contracts and settings say it
//! should have, and the changes in between.
//!
//! Plain mirrors of Acronis offering items, so the decisions stay here and the jobs only
//! convert to and from the Acronis client's types. Rules (DESIGN.md, "Quotas"): a
//! prepaid item gets its units as a hard quota (no overage; storage GB as binary bytes),
//! a PAYG item is unlimited, an item in conflict is not touched, a Free item is
//! unlimited, and with "quotas to zero" everything else goes to 0.

use serde::{Deserialize, Serialize};

use crate::contracts::{
    CompanySnapshot, ItemBilling, ItemEntitlement, ItemKind, OfferingItemRef, gb_to_bytes,
};
use crate::mapping::BACKUP_STORAGE_ITEM;
use crate::policy::Policy;

/// A quota as Acronis holds it: `value` is the soft limit (`None` = unlimited),
/// `overage` what is allowed above it (hard limit = value + overage). Counts are items,
/// storage is binary bytes. The quota's revision stays with the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaValue {
    pub value: Option<u64>,
    pub overage: Option<u64>,
}

impl QuotaValue {
    pub const UNLIMITED: QuotaValue = QuotaValue {
        value: None,
        overage: None,
    };

    /// What "quotas to zero" sets: nothing more may be used.
    pub const ZERO: QuotaValue = QuotaValue::hard(0);

    /// A hard quota: `limit` and no overage, as prepaid units are applied.
    pub const fn hard(limit: u64) -> QuotaValue {
        QuotaValue {
            value: Some(limit),
            overage: Some(0),
        }
    }

    pub fn is_unlimited(&self) -> bool {
        self.value.is_none()
    }
}

/// One offering item of a tenant (or one a partner may grant) as the planners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferingItemState {
    /// `(name, infra_id)`: unique among one tenant's items.
    pub item: OfferingItemRef,
    pub enabled: bool,
    /// `None`: the item carries no quota (a feature, e.g. a backup capability).
    pub quota: Option<QuotaValue>,
}

/// What to change on one offering item; a field left `None` stays as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChange {
    pub item: OfferingItemRef,
    pub enabled: Option<bool>,
    pub quota: Option<QuotaValue>,
}

impl ItemChange {
    /// Whether applying it to `current` would change anything.
    pub fn changes(&self, current: &OfferingItemState) -> bool {
        self.enabled.is_some_and(|e| e != current.enabled)
            || self.quota.is_some_and(|q| Some(q) != current.quota)
    }
}

/// The quota an entitlement calls for: prepaid → its units as a hard quota (storage GB
/// as binary bytes), PAYG → unlimited, conflict → `None` (not applied until one side
/// changes). A negative count counts as 0; a storage count too large to express in
/// bytes (beyond 8 EiB) as unlimited.
pub fn contract_quota(entitlement: &ItemEntitlement) -> Option<QuotaValue> {
    match entitlement.billing {
        ItemBilling::Prepaid { units } => Some(prepaid_quota(units, entitlement.kind)),
        ItemBilling::Payg => Some(QuotaValue::UNLIMITED),
        ItemBilling::Conflict { .. } => None,
    }
}

/// Prepaid `units` of an item of `kind` as the hard quota they stand for; the one
/// conversion, so a quota written back from Acronis is compared in the same terms.
pub fn prepaid_quota(units: i64, kind: ItemKind) -> QuotaValue {
    let units = units.max(0);
    let limit = match kind {
        ItemKind::Count => Some(units),
        ItemKind::Storage => gb_to_bytes(units),
    };
    limit
        .and_then(|l| u64::try_from(l).ok())
        .map_or(QuotaValue::UNLIMITED, QuotaValue::hard)
}

/// What a new tenant is to get, and what the partner cannot give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WantedItems {
    /// One per item to switch on, in the order decided (contract items first).
    pub changes: Vec<ItemChange>,
    /// Items (`name@infra`) the contracts or the default-storage rule ask for that the
    /// partner does not offer; told to the operator.
    pub missing: Vec<String>,
}

/// The offering items a new tenant gets from what the partner may grant (`available`):
/// every entitled item on (prepaid: units as a hard quota; PAYG: unlimited; conflicts:
/// left off), Free items on and unlimited, and, when `default_storage_needed` (no
/// contract holds storage), the default storage on and unlimited. Feature items carry
/// no quota and get none.
pub fn wanted_items(
    available: &[OfferingItemState],
    snapshot: &CompanySnapshot,
    default_storage_needed: bool,
    policy: &Policy,
) -> WantedItems {
    let mut wanted = WantedItems::default();
    for entitlement in &snapshot.items {
        let Some(quota) = contract_quota(entitlement) else {
            continue;
        };
        let matching: Vec<&OfferingItemState> = available
            .iter()
            .filter(|a| entitlement.item.covers(&a.item))
            .collect();
        if matching.is_empty() {
            wanted.missing.push(entitlement.item.to_string());
        }
        for item in matching {
            switch_on(&mut wanted.changes, item, quota);
        }
    }
    for item in available {
        if policy.is_free(&item.item) {
            switch_on(&mut wanted.changes, item, QuotaValue::UNLIMITED);
        }
    }
    if default_storage_needed {
        let mut storages = available
            .iter()
            .filter(|a| a.item.name == BACKUP_STORAGE_ITEM);
        let chosen = match &policy.default_storage {
            Some(infra) => storages.find(|a| a.item.infra_id.as_deref() == Some(infra.as_str())),
            // (unconfirmed) "the partner's default storage": Acronis names none in the
            // API; the first storage it offers stands in.
            None => storages.next(),
        };
        match chosen {
            Some(item) => switch_on(&mut wanted.changes, item, QuotaValue::UNLIMITED),
            None => wanted.missing.push(format!(
                "{BACKUP_STORAGE_ITEM}@{}",
                policy.default_storage.as_deref().unwrap_or("default")
            )),
        }
    }
    wanted
}

/// Adds "switch `item` on with `quota`" unless an earlier rule already decided the item.
fn switch_on(changes: &mut Vec<ItemChange>, item: &OfferingItemState, quota: QuotaValue) {
    if changes.iter().any(|c| c.item == item.item) {
        return;
    }
    changes.push(ItemChange {
        item: item.item.clone(),
        enabled: Some(true),
        quota: item.quota.and(Some(quota)),
    });
}

/// The change that zeroes one item for deprovisioning: a hard quota of 0, or unlimited
/// for a Free item; the status stays (Acronis refuses to switch off an item that has
/// usage). `None` when the item carries no quota or is already there.
pub fn zeroed(item: &OfferingItemState, policy: &Policy) -> Option<ItemChange> {
    let current = item.quota?;
    let target = if policy.is_free(&item.item) {
        QuotaValue::UNLIMITED
    } else {
        QuotaValue::ZERO
    };
    (current != target).then(|| ItemChange {
        item: item.item.clone(),
        enabled: None,
        quota: Some(target),
    })
}

/// [`zeroed`] over every item of a tenant.
pub fn zero_quotas(items: &[OfferingItemState], policy: &Policy) -> Vec<ItemChange> {
    items
        .iter()
        .filter_map(|item| zeroed(item, policy))
        .collect()
}

#[cfg(test)]
mod tests;
