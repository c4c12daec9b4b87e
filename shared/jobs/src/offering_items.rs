//! The Acronis client's offering items in and out of the core's quota types
//! (`bridge_core::quota`): the planners decide over [`OfferingItemState`], the client
//! sends [`OfferingItemUpdate`]s.

use acronis::{OfferingItem, OfferingItemUpdate, Quota};
use bridge_core::contracts::OfferingItemRef;
use bridge_core::quota::{ItemChange, OfferingItemState, QuotaValue};

/// One item as the planners see it.
pub fn state(item: &OfferingItem) -> OfferingItemState {
    OfferingItemState {
        item: OfferingItemRef {
            name: item.name.clone(),
            infra_id: item.infra_id.clone(),
        },
        enabled: item.is_enabled(),
        quota: item.quota.map(|q| QuotaValue {
            value: q.value,
            overage: q.overage,
        }),
    }
}

pub fn states(items: &[OfferingItem]) -> Vec<OfferingItemState> {
    items.iter().map(state).collect()
}

/// The updates that carry out `changes` on `items` (the tenant's, or what a partner may
/// grant). A change for an item not among them is dropped: the planners only decide
/// over items they were shown. Quota versions are the current ones; the client stamps
/// them again right before sending.
pub fn updates(items: &[OfferingItem], changes: &[ItemChange]) -> Vec<OfferingItemUpdate> {
    changes
        .iter()
        .filter_map(|change| {
            let item = items
                .iter()
                .find(|i| i.name == change.item.name && i.infra_id == change.item.infra_id)?;
            let mut update = item.to_update();
            if let Some(enabled) = change.enabled {
                update.status = u8::from(enabled);
            }
            if change.enabled == Some(false) {
                // Switching off is `status: 0` with no quota.
                update.quota = None;
                return Some(update);
            }
            if let Some(quota) = change.quota {
                update.quota = Some(Quota {
                    value: quota.value,
                    overage: quota.overage,
                    version: item.quota.map_or(0, |q| q.version),
                });
            }
            Some(update)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, infra: Option<&str>, status: u8, quota: Option<Quota>) -> OfferingItem {
        OfferingItem {
            application_id: "app".into(),
            name: name.into(),
            edition: None,
            usage_name: None,
            kind: None,
            infra_id: infra.map(str::to_owned),
            measurement_unit: None,
            status,
            locked: false,
            quota,
        }
    }

    #[test]
    fn items_round_trip_through_the_core_types() {
        let quota = Some(Quota {
            value: Some(5),
            overage: Some(0),
            version: 7,
        });
        let items = vec![
            item("pw_base_storage", Some("a"), 0, quota),
            item("pw_base_storage", Some("b"), 1, quota),
            item("pw_base_backup", None, 0, None),
        ];
        let states = states(&items);
        assert_eq!(
            states[1],
            OfferingItemState {
                item: OfferingItemRef::on_infra("pw_base_storage", "b"),
                enabled: true,
                quota: Some(QuotaValue::hard(5)),
            }
        );
        assert_eq!(states[2].quota, None);

        let changes = vec![
            ItemChange {
                item: OfferingItemRef::on_infra("pw_base_storage", "a"),
                enabled: Some(true),
                quota: Some(QuotaValue::UNLIMITED),
            },
            ItemChange {
                item: OfferingItemRef::new("pw_base_backup"),
                enabled: Some(true),
                quota: None,
            },
            ItemChange {
                item: OfferingItemRef::new("pw_base_not_offered"),
                enabled: Some(true),
                quota: None,
            },
        ];
        let updates = updates(&items, &changes);
        assert_eq!(updates.len(), 2, "an item not offered is dropped");
        assert_eq!(updates[0].infra_id.as_deref(), Some("a"));
        assert_eq!(updates[0].status, 1);
        assert_eq!(
            updates[0].quota,
            Some(Quota {
                value: None,
                overage: None,
                version: 7
            })
        );
        assert_eq!((updates[1].status, updates[1].quota), (1, None));
    }

    #[test]
    fn a_quota_only_change_keeps_the_status() {
        let items = vec![item(
            "pw_base_workstations",
            None,
            0,
            Some(Quota::default()),
        )];
        let change = ItemChange {
            item: OfferingItemRef::new("pw_base_workstations"),
            enabled: None,
            quota: Some(QuotaValue::ZERO),
        };
        let updates = updates(&items, &[change]);
        assert_eq!(updates[0].status, 0);
        assert_eq!(
            updates[0].quota.map(|q| (q.value, q.overage)),
            Some((Some(0), Some(0)))
        );
    }
}
