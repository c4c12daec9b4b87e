use super::*;
use crate::contracts::{
    Contract, ContractInputs, ContractService, RECURRING_SERVICE, STATUS_ACTIVE, ServiceMap,
    ServiceUnits, company_snapshot,
};
use crate::mapping::{ServiceMapping, ServiceRef, StorageMapping};
use crate::settings::Settings;
use chrono::NaiveDate;

const COMPANY: i64 = 42;
const WORKSTATIONS: i64 = 100;
const SERVERS: i64 = 101;
const STORAGE: i64 = 102;
const BACKUP_FEATURE: i64 = 103;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn map() -> ServiceMap {
    let mut map = ServiceMap::new();
    map.insert(
        WORKSTATIONS,
        OfferingItemRef::new("pw_base_workstations"),
        ItemKind::Count,
    );
    map.insert(
        SERVERS,
        OfferingItemRef::new("pw_base_servers"),
        ItemKind::Count,
    );
    map.insert(
        STORAGE,
        OfferingItemRef::on_infra("pw_base_storage", "infra-1"),
        ItemKind::Storage,
    );
    map.insert(
        BACKUP_FEATURE,
        OfferingItemRef::new("pw_base_backup"),
        ItemKind::Count,
    );
    map
}

/// A snapshot built through the real contract model from `(contract id, PAYG UDF,
/// service, units)` lines.
fn snapshot(lines: &[(i64, Option<&str>, i64, i64)]) -> CompanySnapshot {
    let mut inputs = ContractInputs::default();
    for (i, (contract, payg, service, units)) in lines.iter().enumerate() {
        if !inputs.contracts.iter().any(|c| c.id == *contract) {
            inputs.contracts.push(Contract {
                id: *contract,
                company_id: COMPANY,
                contract_type: RECURRING_SERVICE,
                status: STATUS_ACTIVE,
                start_date: d("2020-01-01"),
                end_date: d("2030-12-31"),
                acronis_payg: payg.map(str::to_owned),
            });
        }
        let id = 10 + i as i64;
        inputs.services.push(ContractService {
            id,
            contract_id: *contract,
            service_id: *service,
        });
        inputs.service_units.push(ServiceUnits {
            contract_service_id: id,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units: *units,
        });
    }
    company_snapshot(COMPANY, &inputs, &map(), d("2024-01-20"))
}

fn item(name: &str, infra: Option<&str>, quota: Option<QuotaValue>) -> OfferingItemState {
    OfferingItemState {
        item: OfferingItemRef {
            name: name.into(),
            infra_id: infra.map(str::to_owned),
        },
        enabled: false,
        quota,
    }
}

/// What a partner with two storages may grant; every quota item starts unlimited.
fn available() -> Vec<OfferingItemState> {
    let unlimited = Some(QuotaValue::UNLIMITED);
    vec![
        item("pw_base_workstations", None, unlimited),
        item("pw_base_servers", None, unlimited),
        item("pw_base_o365_mailboxes", None, unlimited),
        item("pw_base_backup", None, None),
        item("pw_base_storage", Some("infra-1"), unlimited),
        item("pw_base_storage", Some("infra-2"), unlimited),
    ]
}

fn policy(change: impl FnOnce(&mut Settings)) -> Policy {
    let mut settings = Settings::default();
    change(&mut settings);
    Policy::from_settings(&settings)
}

fn free_mailboxes(s: &mut Settings) {
    s.service_mappings.push(ServiceMapping {
        offering_item: "pw_base_o365_mailboxes".into(),
        free: true,
        ..ServiceMapping::default()
    });
}

fn on(name: &str, infra: Option<&str>, quota: Option<QuotaValue>) -> ItemChange {
    ItemChange {
        item: OfferingItemRef {
            name: name.into(),
            infra_id: infra.map(str::to_owned),
        },
        enabled: Some(true),
        quota,
    }
}

const GB: u64 = 1 << 30;

#[test]
fn what_a_new_tenant_gets() {
    let unlimited = Some(QuotaValue::UNLIMITED);
    let storage_1 = || on("pw_base_storage", Some("infra-1"), unlimited);
    let cases: Vec<(&str, CompanySnapshot, bool, Policy, WantedItems)> = vec![
        (
            "prepaid units of two contracts add up to one hard quota",
            snapshot(&[(1, None, WORKSTATIONS, 3), (2, Some("No"), WORKSTATIONS, 4)]),
            false,
            policy(|_| {}),
            WantedItems {
                changes: vec![on("pw_base_workstations", None, Some(QuotaValue::hard(7)))],
                missing: vec![],
            },
        ),
        (
            "prepaid storage GB become binary bytes on its storage only",
            snapshot(&[(1, None, STORAGE, 500)]),
            false,
            policy(|_| {}),
            WantedItems {
                changes: vec![on(
                    "pw_base_storage",
                    Some("infra-1"),
                    Some(QuotaValue::hard(500 * GB)),
                )],
                missing: vec![],
            },
        ),
        (
            "PAYG is unlimited",
            snapshot(&[(1, Some("Yes"), SERVERS, 2)]),
            false,
            policy(|_| {}),
            WantedItems {
                changes: vec![on("pw_base_servers", None, unlimited)],
                missing: vec![],
            },
        ),
        (
            "an item under PAYG and prepaid is left off; the others go on",
            snapshot(&[
                (1, Some("Yes"), WORKSTATIONS, 2),
                (2, None, WORKSTATIONS, 5),
                (2, None, SERVERS, 1),
            ]),
            false,
            policy(|_| {}),
            WantedItems {
                changes: vec![on("pw_base_servers", None, Some(QuotaValue::hard(1)))],
                missing: vec![],
            },
        ),
        (
            "a feature item is switched on and gets no quota",
            snapshot(&[(1, None, BACKUP_FEATURE, 1)]),
            false,
            policy(|_| {}),
            WantedItems {
                changes: vec![on("pw_base_backup", None, None)],
                missing: vec![],
            },
        ),
        (
            "Free items are on and unlimited without any contract",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            false,
            policy(free_mailboxes),
            WantedItems {
                changes: vec![
                    on("pw_base_workstations", None, Some(QuotaValue::hard(1))),
                    on("pw_base_o365_mailboxes", None, unlimited),
                ],
                missing: vec![],
            },
        ),
        (
            "a Free item also in a contract keeps the contract's quota",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            false,
            policy(|s| {
                s.service_mappings.push(ServiceMapping {
                    offering_item: "pw_base_workstations".into(),
                    service: Some(ServiceRef::Id(WORKSTATIONS)),
                    free: true,
                    ..ServiceMapping::default()
                })
            }),
            WantedItems {
                changes: vec![on("pw_base_workstations", None, Some(QuotaValue::hard(1)))],
                missing: vec![],
            },
        ),
        (
            "default storage: the configured one",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            true,
            policy(|s| s.provisioning.default_storage = Some("infra-2".into())),
            WantedItems {
                changes: vec![
                    on("pw_base_workstations", None, Some(QuotaValue::hard(1))),
                    on("pw_base_storage", Some("infra-2"), unlimited),
                ],
                missing: vec![],
            },
        ),
        (
            "default storage: none configured, the first offered",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            true,
            policy(|_| {}),
            WantedItems {
                changes: vec![
                    on("pw_base_workstations", None, Some(QuotaValue::hard(1))),
                    storage_1(),
                ],
                missing: vec![],
            },
        ),
        (
            "default storage: the configured one is not offered",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            true,
            policy(|s| s.provisioning.default_storage = Some("infra-9".into())),
            WantedItems {
                changes: vec![on("pw_base_workstations", None, Some(QuotaValue::hard(1)))],
                missing: vec!["pw_base_storage@infra-9".into()],
            },
        ),
        (
            "default storage not needed: none added",
            snapshot(&[(1, None, WORKSTATIONS, 1)]),
            false,
            policy(|s| s.provisioning.default_storage = Some("infra-2".into())),
            WantedItems {
                changes: vec![on("pw_base_workstations", None, Some(QuotaValue::hard(1)))],
                missing: vec![],
            },
        ),
    ];
    for (name, snapshot, default_storage_needed, policy, expected) in cases {
        let wanted = wanted_items(&available(), &snapshot, default_storage_needed, &policy);
        assert_eq!(wanted, expected, "{name}");
    }
}

#[test]
fn items_the_partner_cannot_grant_are_named() {
    let snapshot = snapshot(&[(1, None, WORKSTATIONS, 3), (1, None, STORAGE, 10)]);
    let only_servers = vec![item("pw_base_servers", None, Some(QuotaValue::UNLIMITED))];
    let wanted = wanted_items(&only_servers, &snapshot, true, &policy(|_| {}));
    assert_eq!(wanted.changes, vec![]);
    assert_eq!(
        wanted.missing,
        vec![
            "pw_base_storage@infra-1".to_owned(),
            "pw_base_workstations".to_owned(),
            "pw_base_storage@default".to_owned(),
        ]
    );
}

#[test]
fn an_entitlement_without_infra_covers_the_item_on_every_storage() {
    let mut snapshot = snapshot(&[(1, None, WORKSTATIONS, 3)]);
    snapshot.items[0].item = OfferingItemRef::new("pw_base_storage");
    snapshot.items[0].kind = ItemKind::Storage;
    let wanted = wanted_items(&available(), &snapshot, false, &policy(|_| {}));
    let hard = Some(QuotaValue::hard(3 * GB));
    assert_eq!(
        wanted.changes,
        vec![
            on("pw_base_storage", Some("infra-1"), hard),
            on("pw_base_storage", Some("infra-2"), hard),
        ]
    );
}

#[test]
fn contract_quotas() {
    let quota = |lines: &[(i64, Option<&str>, i64, i64)]| {
        let s = snapshot(lines);
        s.items.iter().map(contract_quota).collect::<Vec<_>>()
    };
    assert_eq!(
        quota(&[(1, None, WORKSTATIONS, -3)]),
        vec![Some(QuotaValue::hard(0))],
        "a negative count is 0"
    );
    assert_eq!(
        quota(&[(1, None, STORAGE, i64::MAX)]),
        vec![Some(QuotaValue::UNLIMITED)],
        "beyond what bytes can express"
    );
    assert_eq!(
        quota(&[(1, Some("Yes"), STORAGE, 5)]),
        vec![Some(QuotaValue::UNLIMITED)]
    );
    assert_eq!(
        quota(&[(1, Some("Yes"), SERVERS, 5), (2, None, SERVERS, 5)]),
        vec![None]
    );
    assert!(QuotaValue::UNLIMITED.is_unlimited());
    assert_eq!(
        QuotaValue::ZERO,
        QuotaValue {
            value: Some(0),
            overage: Some(0)
        }
    );
}

#[test]
fn zeroing() {
    let free = policy(|s| {
        free_mailboxes(s);
        s.storage_mappings.push(StorageMapping {
            infra_id: "infra-1".into(),
            free: true,
            ..StorageMapping::default()
        });
    });
    let zero = |name: &str, infra: Option<&str>, quota| ItemChange {
        item: OfferingItemRef {
            name: name.into(),
            infra_id: infra.map(str::to_owned),
        },
        enabled: None,
        quota: Some(quota),
    };
    let soft_zero = QuotaValue {
        value: Some(0),
        overage: None,
    };
    let cases: Vec<(&str, OfferingItemState, Option<ItemChange>)> = vec![
        (
            "a counted item goes to a hard 0",
            item("pw_base_workstations", None, Some(QuotaValue::hard(5))),
            Some(zero("pw_base_workstations", None, QuotaValue::ZERO)),
        ),
        (
            "unlimited goes to a hard 0",
            item("pw_base_servers", None, Some(QuotaValue::UNLIMITED)),
            Some(zero("pw_base_servers", None, QuotaValue::ZERO)),
        ),
        (
            "0 with overage left open is not hard yet",
            item("pw_base_servers", None, Some(soft_zero)),
            Some(zero("pw_base_servers", None, QuotaValue::ZERO)),
        ),
        (
            "already at 0: nothing",
            item("pw_base_servers", None, Some(QuotaValue::ZERO)),
            None,
        ),
        (
            "no quota (a feature): nothing",
            item("pw_base_backup", None, None),
            None,
        ),
        (
            "a Free item becomes unlimited",
            item("pw_base_o365_mailboxes", None, Some(QuotaValue::ZERO)),
            Some(zero("pw_base_o365_mailboxes", None, QuotaValue::UNLIMITED)),
        ),
        (
            "a Free item already unlimited: nothing",
            item("pw_base_o365_mailboxes", None, Some(QuotaValue::UNLIMITED)),
            None,
        ),
        (
            "a Free storage row covers its own storage",
            item(
                "pw_base_storage",
                Some("infra-1"),
                Some(QuotaValue::hard(GB)),
            ),
            Some(zero(
                "pw_base_storage",
                Some("infra-1"),
                QuotaValue::UNLIMITED,
            )),
        ),
        (
            "… and not another one",
            item(
                "pw_base_storage",
                Some("infra-2"),
                Some(QuotaValue::hard(GB)),
            ),
            Some(zero("pw_base_storage", Some("infra-2"), QuotaValue::ZERO)),
        ),
    ];
    for (name, current, expected) in &cases {
        let change = zeroed(current, &free);
        assert_eq!(&change, expected, "{name}");
        if let Some(change) = &change {
            assert!(change.changes(current), "{name}: a real change");
        }
    }
    let tenant: Vec<OfferingItemState> = cases.iter().map(|(_, item, _)| item.clone()).collect();
    assert_eq!(
        zero_quotas(&tenant, &free),
        cases
            .into_iter()
            .filter_map(|(_, _, expected)| expected)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_change_knows_whether_it_changes_anything() {
    let current = OfferingItemState {
        enabled: true,
        ..item("pw_base_servers", None, Some(QuotaValue::hard(2)))
    };
    let change = |enabled, quota| ItemChange {
        item: current.item.clone(),
        enabled,
        quota,
    };
    assert!(!change(None, None).changes(&current));
    assert!(!change(Some(true), Some(QuotaValue::hard(2))).changes(&current));
    assert!(change(Some(false), None).changes(&current));
    assert!(change(None, Some(QuotaValue::hard(3))).changes(&current));
}
