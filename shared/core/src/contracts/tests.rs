use super::*;

const COMPANY: i64 = 42;
const WORKSTATIONS: i64 = 100;
const SERVERS: i64 = 101;
const STORAGE: i64 = 102;
const NOT_ACRONIS: i64 = 900;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn today() -> NaiveDate {
    d("2024-01-20")
}

fn map() -> ServiceMap {
    let mut m = ServiceMap::new();
    m.insert(
        WORKSTATIONS,
        OfferingItemRef::new("pw_base_workstations"),
        ItemKind::Count,
    );
    m.insert(
        SERVERS,
        OfferingItemRef::new("pw_base_servers"),
        ItemKind::Count,
    );
    m.insert(
        STORAGE,
        OfferingItemRef::on_infra("pw_base_storage", "infra-1"),
        ItemKind::Storage,
    );
    m
}

fn contract(id: i64, payg: Option<&str>) -> Contract {
    Contract {
        id,
        company_id: COMPANY,
        contract_type: RECURRING_SERVICE,
        status: STATUS_ACTIVE,
        start_date: d("2024-01-01"),
        end_date: d("2024-12-31"),
        acronis_payg: payg.map(str::to_owned),
    }
}

/// Adds contract service `cs` (service `service`) to `contract` with `units` for January.
fn add_service(inputs: &mut ContractInputs, contract: i64, cs: i64, service: i64, units: i64) {
    inputs.services.push(ContractService {
        id: cs,
        contract_id: contract,
        service_id: service,
    });
    inputs.service_units.push(ServiceUnits {
        contract_service_id: cs,
        start_date: d("2024-01-01"),
        end_date: d("2024-01-31"),
        units,
    });
}

fn billing_of(snapshot: &CompanySnapshot, name: &str) -> Option<ItemBilling> {
    snapshot
        .items
        .iter()
        .find(|e| e.item.name == name)
        .map(|e| e.billing.clone())
}

fn prepaid(units: i64) -> Option<ItemBilling> {
    Some(ItemBilling::Prepaid { units })
}

#[test]
fn billing_rules_table() {
    struct Case {
        name: &'static str,
        contracts: Vec<Contract>,
        /// (contract, contract service, service, units)
        lines: Vec<(i64, i64, i64, i64)>,
        workstations: Option<ItemBilling>,
        servers: Option<ItemBilling>,
    }
    let cases = vec![
        Case {
            name: "prepaid units add up across two contracts",
            contracts: vec![contract(1, None), contract(2, Some("No"))],
            lines: vec![(1, 11, WORKSTATIONS, 3), (2, 21, WORKSTATIONS, 4)],
            workstations: prepaid(7),
            servers: None,
        },
        Case {
            name: "two services of one contract mapped to different items",
            contracts: vec![contract(1, Some(""))],
            lines: vec![(1, 11, WORKSTATIONS, 3), (1, 12, SERVERS, 2)],
            workstations: prepaid(3),
            servers: prepaid(2),
        },
        Case {
            name: "PAYG is unlimited, any case, surrounding blanks ignored",
            contracts: vec![contract(1, Some(" yEs "))],
            lines: vec![(1, 11, WORKSTATIONS, 3)],
            workstations: Some(ItemBilling::Payg),
            servers: None,
        },
        Case {
            name: "PAYG and prepaid on the same item conflict; other items still apply",
            contracts: vec![contract(1, Some("Yes")), contract(2, Some("no"))],
            lines: vec![
                (1, 11, WORKSTATIONS, 3),
                (2, 21, WORKSTATIONS, 4),
                (2, 22, SERVERS, 1),
            ],
            workstations: Some(ItemBilling::Conflict {
                payg_contract_ids: vec![1],
                prepaid_contract_ids: vec![2],
            }),
            servers: prepaid(1),
        },
        Case {
            name: "expired, future, inactive and non-recurring contracts are ignored",
            contracts: vec![
                Contract {
                    end_date: d("2024-01-19"),
                    ..contract(1, None)
                },
                Contract {
                    start_date: d("2024-01-21"),
                    ..contract(2, None)
                },
                Contract {
                    status: 0,
                    ..contract(3, None)
                },
                Contract {
                    contract_type: 1,
                    ..contract(4, None)
                },
                Contract {
                    company_id: COMPANY + 1,
                    ..contract(5, None)
                },
            ],
            lines: vec![
                (1, 11, WORKSTATIONS, 1),
                (2, 21, WORKSTATIONS, 1),
                (3, 31, WORKSTATIONS, 1),
                (4, 41, WORKSTATIONS, 1),
                (5, 51, WORKSTATIONS, 1),
            ],
            workstations: None,
            servers: None,
        },
        Case {
            name: "contract dates are inclusive on both ends",
            contracts: vec![
                Contract {
                    end_date: today(),
                    ..contract(1, None)
                },
                Contract {
                    start_date: today(),
                    ..contract(2, None)
                },
            ],
            lines: vec![(1, 11, WORKSTATIONS, 1), (2, 21, WORKSTATIONS, 2)],
            workstations: prepaid(3),
            servers: None,
        },
        Case {
            name: "unmapped services are ignored",
            contracts: vec![contract(1, None)],
            lines: vec![(1, 11, NOT_ACRONIS, 50), (1, 12, SERVERS, 2)],
            workstations: None,
            servers: prepaid(2),
        },
    ];
    for case in cases {
        let mut inputs = ContractInputs {
            contracts: case.contracts,
            ..Default::default()
        };
        for (contract, cs, service, units) in case.lines {
            add_service(&mut inputs, contract, cs, service, units);
        }
        let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
        assert_eq!(
            billing_of(&snapshot, "pw_base_workstations"),
            case.workstations,
            "{}: workstations",
            case.name
        );
        assert_eq!(
            billing_of(&snapshot, "pw_base_servers"),
            case.servers,
            "{}: servers",
            case.name
        );
        assert_eq!(
            snapshot.has_active_acronis_services(),
            case.workstations.is_some() || case.servers.is_some(),
            "{}: has services",
            case.name
        );
    }
}

#[test]
fn payg_udf_values() {
    let cases = [
        (None, Ok(Billing::Prepaid)),
        (Some(""), Ok(Billing::Prepaid)),
        (Some("  "), Ok(Billing::Prepaid)),
        (Some("No"), Ok(Billing::Prepaid)),
        (Some("NO"), Ok(Billing::Prepaid)),
        (Some("Yes"), Ok(Billing::Payg)),
        (Some("yes"), Ok(Billing::Payg)),
        (
            Some("Maybe"),
            Err(InvalidPayg {
                value: "Maybe".into(),
            }),
        ),
        (Some("1"), Err(InvalidPayg { value: "1".into() })),
        (
            Some("true"),
            Err(InvalidPayg {
                value: "true".into(),
            }),
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(parse_payg(value), expected, "{value:?}");
    }
}

#[test]
fn conflict_keeps_contributions_of_both_sides() {
    let mut inputs = ContractInputs {
        contracts: vec![contract(7, Some("Yes")), contract(3, None)],
        ..Default::default()
    };
    add_service(&mut inputs, 7, 71, WORKSTATIONS, 0);
    add_service(&mut inputs, 3, 31, WORKSTATIONS, 5);
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    let item = snapshot
        .item(&OfferingItemRef::new("pw_base_workstations"))
        .expect("item");
    assert!(item.is_conflict());
    assert_eq!(snapshot.conflicts().count(), 1);
    assert_eq!(item.contract_ids(), BTreeSet::from([3, 7]));
    assert_eq!(item.contract_service_ids(), BTreeSet::from([31, 71]));
    assert!(snapshot.has_active_acronis_services());
}

#[test]
fn bundle_counts_each_contained_service_times_bundle_units() {
    let mut m = map();
    m.insert(103, OfferingItemRef::new("pw_base_vms"), ItemKind::Count);
    let inputs = ContractInputs {
        contracts: vec![contract(1, None)],
        bundles: vec![ContractServiceBundle {
            id: 61,
            contract_id: 1,
            service_bundle_id: 500,
        }],
        bundle_units: vec![BundleUnits {
            contract_service_bundle_id: 61,
            start_date: d("2024-01-01"),
            end_date: d("2024-01-31"),
            units: 5,
        }],
        bundle_contents: [WORKSTATIONS, SERVERS, 103, NOT_ACRONIS]
            .into_iter()
            .map(|service_id| ServiceBundleService {
                service_bundle_id: 500,
                service_id,
            })
            .collect(),
        ..Default::default()
    };
    let snapshot = company_snapshot(COMPANY, &inputs, &m, today());
    assert_eq!(
        snapshot.items.len(),
        3,
        "3 mapped services, unmapped ignored"
    );
    for name in ["pw_base_workstations", "pw_base_servers", "pw_base_vms"] {
        assert_eq!(billing_of(&snapshot, name), prepaid(5), "{name}");
    }
    let vms = snapshot
        .item(&OfferingItemRef::new("pw_base_vms"))
        .expect("vms");
    assert_eq!(
        vms.contributions[0].origin,
        Origin::Bundle {
            contract_service_bundle_id: 61,
            service_bundle_id: 500
        }
    );
    assert!(vms.contract_service_ids().is_empty());
}

#[test]
fn bundle_and_direct_service_add_up() {
    let mut inputs = ContractInputs {
        contracts: vec![contract(1, None)],
        bundles: vec![ContractServiceBundle {
            id: 61,
            contract_id: 1,
            service_bundle_id: 500,
        }],
        bundle_units: vec![BundleUnits {
            contract_service_bundle_id: 61,
            start_date: d("2024-01-01"),
            end_date: d("2024-01-31"),
            units: 5,
        }],
        bundle_contents: vec![ServiceBundleService {
            service_bundle_id: 500,
            service_id: WORKSTATIONS,
        }],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, WORKSTATIONS, 2);
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    assert_eq!(billing_of(&snapshot, "pw_base_workstations"), prepaid(7));
}

#[test]
fn bundle_with_unknown_contents_is_noted_and_ignored() {
    let inputs = ContractInputs {
        contracts: vec![contract(1, None)],
        bundles: vec![ContractServiceBundle {
            id: 61,
            contract_id: 1,
            service_bundle_id: 500,
        }],
        ..Default::default()
    };
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    assert!(snapshot.items.is_empty());
    assert_eq!(snapshot.notes.len(), 1);
    assert!(
        snapshot.notes[0].contains("service bundle 500"),
        "{:?}",
        snapshot.notes
    );
}

#[test]
fn units_row_covering_today_is_chosen_among_split_rows() {
    // An adjustment effective Jan 15 split January; one row set ends the old row the
    // day before, the other on the boundary day itself.
    let rows = |old_end: &str| {
        vec![
            (d("2023-12-01"), d("2023-12-31"), 1),
            (d("2024-01-01"), d(old_end), 5),
            (d("2024-01-15"), d("2024-01-31"), 8),
            (d("2024-02-01"), d("2024-02-29"), 9),
        ]
    };
    let cases = [
        ("2024-01-14", "2024-01-10", Some(5)),
        ("2024-01-14", "2024-01-14", Some(5)),
        ("2024-01-14", "2024-01-15", Some(8)),
        ("2024-01-15", "2024-01-15", Some(8)),
        ("2024-01-14", "2024-01-31", Some(8)),
        ("2024-01-14", "2024-02-01", Some(9)),
        ("2024-01-14", "2024-03-01", None),
    ];
    for (old_end, on, expected) in cases {
        assert_eq!(
            units_covering(rows(old_end).into_iter(), d(on)),
            expected,
            "old row ends {old_end}, today {on}"
        );
    }
}

#[test]
fn missing_units_row_counts_zero_with_a_note() {
    let inputs = ContractInputs {
        contracts: vec![contract(1, None)],
        services: vec![ContractService {
            id: 11,
            contract_id: 1,
            service_id: SERVERS,
        }],
        service_units: vec![ServiceUnits {
            contract_service_id: 11,
            start_date: d("2023-12-01"),
            end_date: d("2023-12-31"),
            units: 4,
        }],
        ..Default::default()
    };
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    assert_eq!(billing_of(&snapshot, "pw_base_servers"), prepaid(0));
    assert_eq!(snapshot.notes.len(), 1);
    assert!(
        snapshot.notes[0].contains("contract service 11"),
        "{:?}",
        snapshot.notes
    );
}

#[test]
fn invalid_payg_skips_that_contract_only_and_is_reported() {
    let mut inputs = ContractInputs {
        contracts: vec![
            contract(1, Some("Maybe")),
            contract(2, None),
            // Not an Acronis contract: its odd UDF is none of our business.
            contract(3, Some("whatever")),
        ],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, WORKSTATIONS, 3);
    add_service(&mut inputs, 2, 21, WORKSTATIONS, 4);
    add_service(&mut inputs, 3, 31, NOT_ACRONIS, 4);
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    assert_eq!(billing_of(&snapshot, "pw_base_workstations"), prepaid(4));
    assert_eq!(snapshot.invalid_contracts.len(), 1);
    assert_eq!(snapshot.invalid_contracts[0].contract_id, 1);
    assert!(
        snapshot.invalid_contracts[0].reason.contains("\"Maybe\""),
        "{}",
        snapshot.invalid_contracts[0].reason
    );
    assert_eq!(
        snapshot.contracts,
        vec![ContractSummary {
            contract_id: 2,
            billing: Billing::Prepaid
        }]
    );
}

#[test]
fn a_contract_skipped_for_bad_payg_still_counts_as_active_services() {
    let mut inputs = ContractInputs {
        contracts: vec![contract(1, Some("Ja"))],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, WORKSTATIONS, 3);
    let snapshot = company_snapshot(COMPANY, &inputs, &map(), today());
    assert!(snapshot.items.is_empty());
    assert!(snapshot.has_active_acronis_services());
}

#[test]
fn storage_item_keeps_gb_and_is_detected() {
    let mut inputs = ContractInputs {
        contracts: vec![contract(1, None)],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, WORKSTATIONS, 3);
    let without = company_snapshot(COMPANY, &inputs, &map(), today());
    assert!(!without.has_storage_item());
    add_service(&mut inputs, 1, 12, STORAGE, 250);
    let with = company_snapshot(COMPANY, &inputs, &map(), today());
    assert!(with.has_storage_item());
    let storage = with
        .item(&OfferingItemRef::on_infra("pw_base_storage", "infra-1"))
        .expect("storage");
    assert_eq!(storage.billing, ItemBilling::Prepaid { units: 250 });
    assert_eq!(storage.kind, ItemKind::Storage);
}

#[test]
fn gb_to_bytes_is_binary_and_checked() {
    assert_eq!(gb_to_bytes(0), Some(0));
    assert_eq!(gb_to_bytes(1), Some(1_073_741_824));
    assert_eq!(gb_to_bytes(250), Some(268_435_456_000));
    assert_eq!(gb_to_bytes(-1), None);
    assert_eq!(gb_to_bytes(i64::MAX / 1024), None);
}

fn rich_inputs() -> ContractInputs {
    let mut inputs = ContractInputs {
        contracts: vec![
            contract(1, None),
            contract(2, Some("Yes")),
            contract(3, None),
        ],
        bundles: vec![ContractServiceBundle {
            id: 61,
            contract_id: 3,
            service_bundle_id: 500,
        }],
        bundle_units: vec![BundleUnits {
            contract_service_bundle_id: 61,
            start_date: d("2024-01-01"),
            end_date: d("2024-01-31"),
            units: 5,
        }],
        bundle_contents: vec![
            ServiceBundleService {
                service_bundle_id: 500,
                service_id: WORKSTATIONS,
            },
            ServiceBundleService {
                service_bundle_id: 500,
                service_id: SERVERS,
            },
        ],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, WORKSTATIONS, 3);
    add_service(&mut inputs, 1, 12, STORAGE, 100);
    add_service(&mut inputs, 2, 21, SERVERS, 2);
    add_service(&mut inputs, 3, 31, WORKSTATIONS, 4);
    inputs.services.push(ContractService {
        id: 13,
        contract_id: 1,
        service_id: SERVERS,
    });
    inputs
}

fn reversed(inputs: &ContractInputs) -> ContractInputs {
    let mut r = inputs.clone();
    r.contracts.reverse();
    r.services.reverse();
    r.service_units.reverse();
    r.bundles.reverse();
    r.bundle_units.reverse();
    r.bundle_contents.reverse();
    r
}

#[test]
fn fingerprint_is_stable_across_input_order_and_days() {
    let inputs = rich_inputs();
    let a = company_snapshot(COMPANY, &inputs, &map(), today());
    let b = company_snapshot(COMPANY, &reversed(&inputs), &map(), today());
    let mut doubled = inputs.clone();
    doubled.services.extend(inputs.services.clone());
    let c = company_snapshot(COMPANY, &doubled, &map(), today());
    let next_day = company_snapshot(COMPANY, &inputs, &map(), d("2024-01-21"));
    assert_eq!(a, b);
    assert_eq!(a, c, "duplicate rows from overlapping pages change nothing");
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.fingerprint(), next_day.fingerprint());
    assert_eq!(a.fingerprint().0.len(), 16);
    // Servers are under PAYG (contract 2) and prepaid bundle (contract 3): conflict.
    assert!(
        billing_of(&a, "pw_base_servers")
            .is_some_and(|b| matches!(b, ItemBilling::Conflict { .. }))
    );
    assert_eq!(billing_of(&a, "pw_base_workstations"), prepaid(12));
}

#[test]
fn fingerprint_value_is_pinned() {
    // Stored fingerprints are compared with ones a later build computes: a change of
    // algorithm or of the snapshot's JSON shape shows up here first.
    let empty = company_snapshot(42, &ContractInputs::default(), &map(), today());
    assert_eq!(empty.fingerprint().0, "adbf845a1ad90f69");
}

#[test]
fn fingerprint_changes_with_content() {
    let inputs = rich_inputs();
    let base = company_snapshot(COMPANY, &inputs, &map(), today()).fingerprint();
    let mut more_units = inputs.clone();
    more_units.service_units[0].units += 1;
    let mut flipped = inputs.clone();
    flipped.contracts[0].acronis_payg = Some("Yes".into());
    let mut remapped = map();
    remapped.insert(
        WORKSTATIONS,
        OfferingItemRef::new("pw_base_vms"),
        ItemKind::Count,
    );
    let variants = [
        company_snapshot(COMPANY, &more_units, &map(), today()).fingerprint(),
        company_snapshot(COMPANY, &flipped, &map(), today()).fingerprint(),
        company_snapshot(COMPANY, &inputs, &remapped, today()).fingerprint(),
        company_snapshot(COMPANY, &inputs, &map(), d("2024-02-01")).fingerprint(),
    ];
    for (i, fp) in variants.iter().enumerate() {
        assert_ne!(&base, fp, "variant {i}");
    }
}

#[test]
fn snapshot_round_trips_through_json() {
    let snapshot = company_snapshot(COMPANY, &rich_inputs(), &map(), today());
    let json = serde_json::to_string(&snapshot).expect("serialise");
    let back: CompanySnapshot = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, snapshot);
    assert_eq!(back.fingerprint(), snapshot.fingerprint());
}

#[test]
fn reporting_services_count_as_active_but_never_feed_quota_units() {
    const CLASS2: i64 = 103;
    let mut m = map();
    m.insert_reporting(CLASS2);
    assert!(m.contains(CLASS2) && m.is_reporting(CLASS2) && m.get(CLASS2).is_none());
    let mut inputs = ContractInputs {
        contracts: vec![contract(1, Some("Yes"))],
        ..Default::default()
    };
    add_service(&mut inputs, 1, 11, CLASS2, 40);
    let only_reporting = company_snapshot(COMPANY, &inputs, &m, today());
    assert!(only_reporting.items.is_empty());
    assert!(only_reporting.has_active_acronis_services());
    assert_eq!(
        only_reporting.reporting_lines,
        vec![Contribution {
            contract_id: 1,
            service_id: CLASS2,
            origin: Origin::Service {
                contract_service_id: 11
            },
            billing: Billing::Payg,
            units: 40,
        }]
    );
    assert_eq!(
        only_reporting.contracts,
        vec![ContractSummary {
            contract_id: 1,
            billing: Billing::Payg
        }]
    );
    add_service(&mut inputs, 1, 12, STORAGE, 250);
    let with_storage = company_snapshot(COMPANY, &inputs, &m, today());
    assert_eq!(
        with_storage.items.len(),
        1,
        "class 2 GB never add to the quota"
    );
    assert_eq!(with_storage.reporting_lines.len(), 1);
}

#[test]
fn snapshots_without_reporting_lines_keep_their_json() {
    let snapshot = company_snapshot(COMPANY, &rich_inputs(), &map(), today());
    let json = serde_json::to_value(&snapshot).expect("json");
    assert!(json.get("reporting_lines").is_none());
    let mut old = json.clone();
    if let Some(o) = old.as_object_mut() {
        o.remove("reporting_lines");
    }
    let back: CompanySnapshot = serde_json::from_value(old).expect("older JSON reads");
    assert_eq!(back, snapshot);
}
