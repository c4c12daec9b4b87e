// Tables of cases spell out their row type once, where the reader needs it.
#![allow(clippy::type_complexity)]

use super::*;
use crate::contracts::{
    BundleUnits, Contract, ContractInputs, ContractService, ContractServiceBundle,
    RECURRING_SERVICE, STATUS_ACTIVE, ServiceBundleService, ServiceUnits, company_snapshot,
};
use crate::mapping::{PublicCloudMappings, ServiceMapping, ServiceRef, StorageMapping};
use crate::policy::Policy;
use chrono::TimeZone;

const COMPANY: i64 = 42;
const WORKSTATIONS: i64 = 100;
const SERVERS: i64 = 101;
const WORKSTATIONS_FEATURES: i64 = 120;
const XYZ: i64 = 102;
const XYZ_FREE: i64 = 110;
const XYZ_BILLED: i64 = 111;
const XYZ_GR: i64 = 112;
const XYZ_GR_BILLED: i64 = 113;
const AZURE: i64 = 130;
const S3: i64 = 131;
const S3_COMPATIBLE: i64 = 132;

const GB: u64 = 1 << 30;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 20, 12, 0, 0).unwrap()
}

/// Workloads with "(included features)", storage XYZ with every reporting row, and the
/// three public cloud vendors.
fn settings() -> Settings {
    Settings {
        service_mappings: vec![
            ServiceMapping {
                offering_item: "pw_base_workstations".into(),
                service: Some(ServiceRef::Id(WORKSTATIONS)),
                included_features: Some(ServiceRef::Id(WORKSTATIONS_FEATURES)),
                ..ServiceMapping::default()
            },
            ServiceMapping {
                offering_item: "pw_base_servers".into(),
                service: Some(ServiceRef::Id(SERVERS)),
                ..ServiceMapping::default()
            },
        ],
        storage_mappings: vec![StorageMapping {
            infra_id: "xyz".into(),
            location: Some("XYZ".into()),
            quota_and_total: Some(ServiceRef::Id(XYZ)),
            class1_free: Some(ServiceRef::Id(XYZ_FREE)),
            class2_billed: Some(ServiceRef::Id(XYZ_BILLED)),
            geo_redundancy: Some(ServiceRef::Id(XYZ_GR)),
            geo_redundancy_billed: Some(ServiceRef::Id(XYZ_GR_BILLED)),
            ..StorageMapping::default()
        }],
        public_cloud_mappings: PublicCloudMappings {
            microsoft_azure: Some(ServiceRef::Id(AZURE)),
            amazon_s3: Some(ServiceRef::Id(S3)),
            s3_compatible: Some(ServiceRef::Id(S3_COMPATIBLE)),
        },
        ..Settings::default()
    }
}

/// Autotask rows for one company; contract services are numbered by the test.
#[derive(Default)]
struct Contracts(ContractInputs);

impl Contracts {
    fn contract(mut self, id: i64, payg: bool) -> Self {
        self.0.contracts.push(Contract {
            id,
            company_id: COMPANY,
            contract_type: RECURRING_SERVICE,
            status: STATUS_ACTIVE,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            acronis_payg: Some(if payg { "Yes" } else { "No" }.to_owned()),
        });
        self
    }

    fn payg(self, id: i64) -> Self {
        self.contract(id, true)
    }

    fn prepaid(self, id: i64) -> Self {
        self.contract(id, false)
    }

    /// Contract service `contract_service` of `service` with `units` today.
    fn line(mut self, contract: i64, contract_service: i64, service: i64, units: i64) -> Self {
        self.0.services.push(ContractService {
            id: contract_service,
            contract_id: contract,
            service_id: service,
        });
        self.0.service_units.push(ServiceUnits {
            contract_service_id: contract_service,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units,
        });
        self
    }

    fn bundle(mut self, contract: i64, bundle: i64, service: i64, units: i64) -> Self {
        self.0.bundles.push(ContractServiceBundle {
            id: bundle,
            contract_id: contract,
            service_bundle_id: bundle + 1000,
        });
        self.0.bundle_units.push(BundleUnits {
            contract_service_bundle_id: bundle,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units,
        });
        self.0.bundle_contents.push(ServiceBundleService {
            service_bundle_id: bundle + 1000,
            service_id: service,
        });
        self
    }

    fn snapshot(&self) -> CompanySnapshot {
        let map = Policy::from_settings(&settings()).service_map;
        company_snapshot(COMPANY, &self.0, &map, d("2024-01-20"))
    }
}

/// A figure `hours` old; `name` or `name@infra`.
fn fig(spec: &str, value: u64, hours: i64) -> UsageFigure {
    let item = match spec.split_once('@') {
        Some((name, infra)) => OfferingItemRef::on_infra(name, infra),
        None => OfferingItemRef::new(spec),
    };
    UsageFigure {
        item,
        value,
        measured_at: now() - Duration::hours(hours),
    }
}

fn current_month() -> Period {
    Period {
        start: d("2024-01-01"),
        end: d("2024-01-31"),
        key: "2024-01".into(),
        report_once: false,
    }
}

struct Case {
    contracts: Contracts,
    figures: Vec<UsageFigure>,
    storages: Option<TenantStorages>,
    settings: Settings,
    period: Period,
    reported: Vec<ReportedUsage>,
}

fn case(contracts: Contracts, figures: Vec<UsageFigure>) -> Case {
    Case {
        contracts,
        figures,
        storages: None,
        settings: settings(),
        period: current_month(),
        reported: Vec::new(),
    }
}

impl Case {
    fn storages(mut self, storages: &[(&str, &str)]) -> Self {
        self.storages = Some(TenantStorages::from_backends(storages.iter().copied()));
        self
    }

    fn plan(&self) -> UsagePlan {
        plan_usage(&UsageInputs {
            snapshot: &self.contracts.snapshot(),
            settings: &self.settings,
            figures: &self.figures,
            storages: self.storages.as_ref(),
            period: &self.period,
            reported: &self.reported,
            now: now(),
            stale_after: Duration::hours(24),
        })
    }
}

/// `contract service: from -> to` per update.
fn updates(plan: &UsagePlan) -> Vec<String> {
    plan.updates
        .iter()
        .map(|u| {
            format!(
                "{}: {} -> {}",
                u.contract_service_id, u.from_units, u.to_units
            )
        })
        .collect()
}

fn skipped(plan: &UsagePlan) -> Vec<String> {
    plan.skipped
        .iter()
        .map(|s| format!("{}: {}", s.what, s.reason))
        .collect()
}

#[test]
fn bytes_become_binary_gb() {
    // (bytes, rounded up, rounded to nearest)
    let cases = [
        (0, 0, 0),
        (1, 1, 0),
        (GB / 2 - 1, 1, 0),
        (GB / 2, 1, 1),
        (GB, 1, 1),
        (GB + 1, 2, 1),
        (60 * GB, 60, 60),
        (60 * GB + GB / 2, 61, 61),
        (1000 * 1000 * 1000, 1, 1),
        (u64::MAX, 1 << 34, 1 << 34),
    ];
    for (bytes, up, nearest) in cases {
        assert_eq!(bytes_to_units(bytes, UnitRounding::Up), up, "{bytes} up");
        assert_eq!(
            bytes_to_units(bytes, UnitRounding::Nearest),
            nearest,
            "{bytes} nearest"
        );
    }
}

#[test]
fn counts_go_to_payg_services_only() {
    let payg = || Contracts::default().payg(1).line(1, 11, WORKSTATIONS, 5);
    let prepaid = || {
        Contracts::default()
            .prepaid(2)
            .line(2, 21, WORKSTATIONS, 10)
    };
    // (name, contracts, workstations in use, updates, overuse)
    let cases: Vec<(&str, Contracts, u64, Vec<&str>, Vec<Overuse>)> = vec![
        ("payg grows", payg(), 8, vec!["11: 5 -> 8"], vec![]),
        ("payg shrinks", payg(), 2, vec!["11: 5 -> 2"], vec![]),
        ("payg to zero", payg(), 0, vec!["11: 5 -> 0"], vec![]),
        ("payg unchanged", payg(), 5, vec![], vec![]),
        ("prepaid within", prepaid(), 10, vec![], vec![]),
        (
            "prepaid over",
            prepaid(),
            12,
            vec![],
            vec![Overuse {
                what: "pw_base_workstations".into(),
                quota: 10,
                used: 12,
            }],
        ),
    ];
    for (name, contracts, used, want, overuse) in cases {
        let plan = case(contracts, vec![fig("pw_base_workstations", used, 1)]).plan();
        assert_eq!(updates(&plan), want, "{name}");
        assert_eq!(plan.overuse, overuse, "{name}");
        assert!(plan.skipped.is_empty(), "{name}: {:?}", plan.skipped);
    }
}

#[test]
fn update_says_what_and_why() {
    let plan = case(
        Contracts::default().payg(1).line(1, 11, WORKSTATIONS, 5),
        vec![fig("pw_base_workstations", 8, 1)],
    )
    .plan();
    assert_eq!(
        plan.updates,
        vec![UnitUpdate {
            contract_id: 1,
            contract_service_id: 11,
            service_id: WORKSTATIONS,
            what: "pw_base_workstations".into(),
            from_units: 5,
            to_units: 8,
            reason: "8 in use".into(),
        }]
    );
    assert_eq!(
        plan.updates[0].describe(),
        "contract 1 contract service 11 (pw_base_workstations): 5 -> 8 units; 8 in use"
    );
}

#[test]
fn included_features_carry_the_workload_count() {
    let contracts = Contracts::default()
        .payg(1)
        .line(1, 11, WORKSTATIONS, 0)
        .line(1, 12, WORKSTATIONS_FEATURES, 0);
    let plan = case(contracts, vec![fig("pw_base_workstations", 7, 1)]).plan();
    assert_eq!(updates(&plan), vec!["11: 0 -> 7", "12: 0 -> 7"]);
    assert_eq!(
        plan.updates[1].what,
        "pw_base_workstations (included features)"
    );
}

/// The guide's "Sample scenarios" and scenarios 1 and 2, on storage XYZ. Units start at
/// 0 as in the guide.
#[test]
fn storage_rows_report_their_part() {
    let contoso = || {
        vec![
            fig("pw_base_storage@xyz", 60 * GB, 1),
            fig("pw_base_storage_class1@xyz", 10 * GB, 1),
            fig("pw_base_storage_class2@xyz", 50 * GB, 1),
        ]
    };
    let mut geo = contoso();
    geo.extend([
        fig("pw_base_geo_storage@xyz", 60 * GB, 1),
        fig("pw_base_geo_storage_class2@xyz", 55 * GB, 1),
    ]);
    let payg = |rows: &[(i64, i64)]| {
        rows.iter()
            .fold(Contracts::default().payg(1), |c, (cs, service)| {
                c.line(1, *cs, *service, 0)
            })
    };
    // (guide case, contract rows, figures, updates)
    let cases: Vec<(&str, Contracts, Vec<UsageFigure>, Vec<&str>)> = vec![
        (
            "PAYG class 2 (billed) usage: 60 GB total, 50 of it class 2",
            payg(&[(12, XYZ_BILLED)]),
            contoso(),
            vec!["12: 0 -> 50"],
        ),
        (
            "PAYG class 1 and class 2 usage: 10 free, 50 billed",
            payg(&[(11, XYZ_FREE), (12, XYZ_BILLED)]),
            contoso(),
            vec!["11: 0 -> 10", "12: 0 -> 50"],
        ),
        (
            "scenario 1: quota and total, class 1, class 2",
            payg(&[(10, XYZ), (11, XYZ_FREE), (12, XYZ_BILLED)]),
            contoso(),
            vec!["10: 0 -> 60", "11: 0 -> 10", "12: 0 -> 50"],
        ),
        (
            "scenario 2: geo-redundant usage adds to the total",
            payg(&[
                (10, XYZ),
                (11, XYZ_FREE),
                (12, XYZ_BILLED),
                (13, XYZ_GR),
                (14, XYZ_GR_BILLED),
            ]),
            geo,
            vec![
                "10: 0 -> 120",
                "11: 0 -> 10",
                "12: 0 -> 50",
                "13: 0 -> 60",
                "14: 0 -> 55",
            ],
        ),
    ];
    for (name, contracts, figures, want) in cases {
        let plan = case(contracts, figures).plan();
        assert_eq!(updates(&plan), want, "{name}");
        assert!(plan.skipped.is_empty(), "{name}: {:?}", plan.skipped);
    }
}

#[test]
fn storage_reasons_name_row_and_rounding() {
    let contracts = Contracts::default().payg(1).line(1, 12, XYZ_BILLED, 0);
    let mut c = case(
        contracts,
        vec![fig("pw_base_storage_class2@xyz", 50 * GB + 1, 1)],
    );
    assert_eq!(c.plan().updates[0].to_units, 51);
    assert_eq!(
        c.plan().updates[0].what,
        "pw_base_storage@xyz class 2 (billed)"
    );
    assert_eq!(
        c.plan().updates[0].reason,
        "51 GB used (53687091201 bytes, rounded up)"
    );
    c.settings.usage_reporting.rounding = UnitRounding::Nearest;
    assert_eq!(c.plan().updates[0].to_units, 50);
}

#[test]
fn prepaid_class_2_is_never_written() {
    // The guide's "PREPAID Class 2 (billed) usage": 100 GB prepaid.
    let contracts = || Contracts::default().prepaid(2).line(2, 22, XYZ_BILLED, 100);
    for (class2_gb, overuse) in [(50, vec![]), (100, vec![]), (150, vec![(100, 150)])] {
        let plan = case(
            contracts(),
            vec![fig("pw_base_storage_class2@xyz", class2_gb * GB, 1)],
        )
        .plan();
        assert!(plan.updates.is_empty(), "{class2_gb}");
        let overuse: Vec<Overuse> = overuse
            .into_iter()
            .map(|(quota, used)| Overuse {
                what: "pw_base_storage@xyz class 2 (billed)".into(),
                quota,
                used,
            })
            .collect();
        assert_eq!(plan.overuse, overuse, "{class2_gb}");
    }
}

#[test]
fn missing_or_stale_figures_are_skipped_never_zero() {
    let contracts = || {
        Contracts::default()
            .payg(1)
            .line(1, 10, XYZ, 7)
            .line(1, 11, XYZ_FREE, 7)
            .line(1, 13, XYZ_GR, 7)
            .line(1, 15, WORKSTATIONS, 7)
    };
    // (name, figures, updates, skipped)
    let cases: Vec<(&str, Vec<UsageFigure>, Vec<&str>, Vec<&str>)> = vec![
        (
            "nothing measured",
            vec![],
            vec![],
            vec![
                "pw_base_storage@xyz class 1 (free): no usage figure for pw_base_storage_class1@xyz",
                "pw_base_storage@xyz geo-redundancy: no usage figure for pw_base_geo_storage@xyz",
                "pw_base_storage@xyz total: no usage figure for pw_base_storage@xyz",
                "pw_base_workstations: no usage figure for pw_base_workstations",
            ],
        ),
        (
            "a storage without geo-replication: total is the standard usage",
            vec![
                fig("pw_base_storage@xyz", 9 * GB, 1),
                fig("pw_base_storage_class1@xyz", 9 * GB, 1),
                fig("pw_base_workstations", 2, 1),
            ],
            vec!["10: 7 -> 9", "11: 7 -> 9", "15: 7 -> 2"],
            vec!["pw_base_storage@xyz geo-redundancy: no usage figure for pw_base_geo_storage@xyz"],
        ),
        (
            "stale figures, and a stale geo figure spoils the total",
            vec![
                fig("pw_base_storage@xyz", 9 * GB, 1),
                fig("pw_base_geo_storage@xyz", 9 * GB, 25),
                fig("pw_base_storage_class1@xyz", 9 * GB, 24),
                fig("pw_base_workstations", 2, 48),
            ],
            vec!["11: 7 -> 9"],
            vec![
                "pw_base_storage@xyz geo-redundancy: usage figure pw_base_geo_storage@xyz is stale (measured 2024-01-19 11:00 UTC)",
                "pw_base_storage@xyz total: usage figure pw_base_geo_storage@xyz is stale (measured 2024-01-19 11:00 UTC)",
                "pw_base_workstations: usage figure pw_base_workstations is stale (measured 2024-01-18 12:00 UTC)",
            ],
        ),
        (
            "figures of another storage do not count",
            vec![fig("pw_base_storage@abc", 9 * GB, 1)],
            vec![],
            vec![
                "pw_base_storage@xyz class 1 (free): no usage figure for pw_base_storage_class1@xyz",
                "pw_base_storage@xyz geo-redundancy: no usage figure for pw_base_geo_storage@xyz",
                "pw_base_storage@xyz total: no usage figure for pw_base_storage@xyz",
                "pw_base_workstations: no usage figure for pw_base_workstations",
            ],
        ),
    ];
    for (name, figures, want, skips) in cases {
        let plan = case(contracts(), figures).plan();
        assert_eq!(updates(&plan), want, "{name}");
        assert_eq!(skipped(&plan), skips, "{name}");
    }
}

/// The guide's scenario 3 table: one product per vendor, enabled (1 unit) while the
/// customer has a storage of that vendor, disabled (0) when it has none.
#[test]
fn public_cloud_products_follow_the_vendors_storages() {
    let contract = |azure, s3, s3c| {
        Contracts::default()
            .payg(1)
            .line(1, 30, AZURE, azure)
            .line(1, 31, S3, s3)
            .line(1, 32, S3_COMPATIBLE, s3c)
    };
    // (guide row, units before (Azure, S3, S3 compatible), storages, updates)
    let cases: Vec<(&str, (i64, i64, i64), Vec<(&str, &str)>, Vec<&str>)> = vec![
        (
            "n Azure storages enable a single product",
            (0, 0, 0),
            vec![("az1", "azure"), ("az2", "azure"), ("az3", "azure")],
            vec!["30: 0 -> 1"],
        ),
        (
            "one Azure storage",
            (0, 0, 0),
            vec![("az1", "azure")],
            vec!["30: 0 -> 1"],
        ),
        (
            "each vendor enables its own product",
            (0, 0, 0),
            vec![("az1", "azure"), ("s3-1", "s3"), ("s3-2", "s3")],
            vec!["30: 0 -> 1", "31: 0 -> 1"],
        ),
        (
            "no storage of a vendor disables its product",
            (1, 1, 1),
            vec![("s3-1", "s3")],
            vec!["30: 1 -> 0", "32: 1 -> 0"],
        ),
        (
            "S3 compatible",
            (0, 0, 0),
            vec![("c1", "s3_compatible")],
            vec!["32: 0 -> 1"],
        ),
        (
            "already in step",
            (1, 0, 0),
            vec![("az1", "azure"), ("xyz", "acronis")],
            vec![],
        ),
    ];
    for (name, (azure, s3, s3c), storages, want) in cases {
        let plan = case(contract(azure, s3, s3c), vec![])
            .storages(&storages)
            .plan();
        assert_eq!(updates(&plan), want, "{name}");
        assert!(plan.skipped.is_empty(), "{name}: {:?}", plan.skipped);
    }

    let unread = case(contract(1, 0, 0), vec![]).plan();
    assert!(unread.updates.is_empty());
    assert_eq!(
        skipped(&unread),
        vec![
            "public cloud Amazon S3: the customer's storages were not read",
            "public cloud Microsoft Azure: the customer's storages were not read",
            "public cloud S3 compatible: the customer's storages were not read",
        ]
    );
}

/// The last two rows of the scenario 3 table: Acronis storage is reported beside the
/// public clouds, and goes to 0 once it is no longer the customer's.
#[test]
fn acronis_storage_is_reported_independently_of_public_clouds() {
    let contracts = || {
        Contracts::default()
            .payg(1)
            .line(1, 10, XYZ, 5)
            .line(1, 30, AZURE, 0)
    };
    let both = case(contracts(), vec![fig("pw_base_storage@xyz", 20 * GB, 1)])
        .storages(&[("xyz", "acronis"), ("az1", "azure")])
        .plan();
    assert_eq!(updates(&both), vec!["10: 5 -> 20", "30: 0 -> 1"]);

    let acronis_off = case(contracts(), vec![])
        .storages(&[("az1", "azure")])
        .plan();
    assert_eq!(updates(&acronis_off), vec!["10: 5 -> 0", "30: 0 -> 1"]);
    assert_eq!(
        acronis_off.updates[0].reason,
        "storage not assigned to the customer: disabled"
    );
}

#[test]
fn lines_that_cannot_be_written_say_why() {
    // Two PAYG contracts: usage goes on the first only, so it is billed once.
    let two = Contracts::default()
        .payg(2)
        .line(2, 21, WORKSTATIONS, 0)
        .payg(1)
        .line(1, 11, WORKSTATIONS, 0);
    let plan = case(two, vec![fig("pw_base_workstations", 4, 1)]).plan();
    assert_eq!(updates(&plan), vec!["11: 0 -> 4"]);
    assert_eq!(
        skipped(&plan),
        vec![
            "pw_base_workstations: contract 2 also holds it; usage is reported once, on contract service 11"
        ]
    );

    let bundled = Contracts::default().payg(1).bundle(1, 77, SERVERS, 3);
    let plan = case(bundled, vec![fig("pw_base_servers", 4, 1)]).plan();
    assert!(plan.updates.is_empty());
    assert_eq!(
        skipped(&plan),
        vec![
            "pw_base_servers: contract 1 holds it through service bundle 77, whose units count for every service in it"
        ]
    );

    let conflict = Contracts::default()
        .payg(1)
        .line(1, 11, WORKSTATIONS, 0)
        .prepaid(2)
        .line(2, 21, WORKSTATIONS, 10);
    let plan = case(conflict, vec![fig("pw_base_workstations", 4, 1)]).plan();
    assert!(plan.updates.is_empty() && plan.overuse.is_empty());
    assert_eq!(
        skipped(&plan),
        vec!["pw_base_workstations: held under PAYG contracts [1] and prepaid contracts [2]"]
    );

    let reporting_conflict = Contracts::default()
        .payg(1)
        .line(1, 12, XYZ_BILLED, 0)
        .prepaid(2)
        .line(2, 22, XYZ_BILLED, 100);
    let plan = case(
        reporting_conflict,
        vec![fig("pw_base_storage_class2@xyz", GB, 1)],
    )
    .plan();
    assert!(plan.updates.is_empty());
    assert_eq!(
        skipped(&plan),
        vec!["pw_base_storage@xyz class 2 (billed): held under both PAYG and prepaid contracts"]
    );

    let mut unmapped =
        case(Contracts::default().payg(1).line(1, 30, AZURE, 1), vec![]).storages(&[]);
    unmapped.settings.public_cloud_mappings = PublicCloudMappings::default();
    assert_eq!(
        skipped(&unmapped.plan()),
        vec![format!("service {AZURE}: no longer mapped")]
    );
}

#[test]
fn a_period_is_reported_once() {
    let daily = current_month();
    let once = Period {
        start: d("2023-12-15"),
        end: d("2024-01-14"),
        key: "2023-12-15".into(),
        report_once: true,
    };
    let entry = |key: &str, units| ReportedUsage {
        contract_service_id: 11,
        period_key: key.into(),
        units,
    };
    // (name, period, ledger, units in Autotask, updates, confirmed, already reported)
    let cases: Vec<(
        &str,
        Period,
        Vec<ReportedUsage>,
        i64,
        Vec<&str>,
        Vec<Confirmed>,
        u32,
    )> = vec![
        (
            "daily, nothing reported",
            daily.clone(),
            vec![],
            5,
            vec!["11: 5 -> 8"],
            vec![],
            0,
        ),
        (
            "daily, reported with these units",
            daily.clone(),
            vec![entry("2024-01", 8)],
            5,
            vec![],
            vec![],
            1,
        ),
        (
            "daily, usage moved since",
            daily.clone(),
            vec![entry("2024-01", 6)],
            5,
            vec!["11: 5 -> 8"],
            vec![],
            0,
        ),
        (
            "daily, another period's entry",
            daily.clone(),
            vec![entry("2023-12", 8)],
            5,
            vec!["11: 5 -> 8"],
            vec![],
            0,
        ),
        (
            "daily, units already at the usage: confirmed into the ledger",
            daily.clone(),
            vec![],
            8,
            vec![],
            vec![Confirmed {
                contract_id: 1,
                contract_service_id: 11,
                what: "pw_base_workstations".into(),
                units: 8,
            }],
            0,
        ),
        (
            "daily, confirmed before",
            daily,
            vec![entry("2024-01", 8)],
            8,
            vec![],
            vec![],
            1,
        ),
        (
            "once, nothing reported",
            once.clone(),
            vec![],
            5,
            vec!["11: 5 -> 8"],
            vec![],
            0,
        ),
        (
            "once, already reported",
            once,
            vec![entry("2023-12-15", 6)],
            5,
            vec![],
            vec![],
            1,
        ),
    ];
    for (name, period, reported, units, want, confirmed, already) in cases {
        let mut c = case(
            Contracts::default()
                .payg(1)
                .line(1, 11, WORKSTATIONS, units),
            vec![fig("pw_base_workstations", 8, 1)],
        );
        c.period = period.clone();
        c.reported = reported;
        let plan = c.plan();
        assert_eq!(plan.period, period, "{name}");
        assert_eq!(updates(&plan), want, "{name}");
        assert_eq!(plan.confirmed, confirmed, "{name}");
        assert_eq!(plan.already_reported, already, "{name}");
        assert!(plan.skipped.is_empty(), "{name}: {:?}", plan.skipped);
    }
}

#[test]
fn plans_are_deterministic() {
    let a = Contracts::default()
        .payg(2)
        .line(2, 25, SERVERS, 0)
        .payg(1)
        .line(1, 11, WORKSTATIONS, 0)
        .line(1, 12, XYZ_BILLED, 0);
    let b = Contracts::default()
        .payg(1)
        .line(1, 12, XYZ_BILLED, 0)
        .line(1, 11, WORKSTATIONS, 0)
        .payg(2)
        .line(2, 25, SERVERS, 0);
    let figures = vec![
        fig("pw_base_servers", 2, 1),
        fig("pw_base_workstations", 3, 1),
        fig("pw_base_storage_class2@xyz", GB, 1),
    ];
    let mut reversed = figures.clone();
    reversed.reverse();
    let plan = case(a, figures).plan();
    assert_eq!(plan, case(b, reversed).plan());
    assert_eq!(
        updates(&plan),
        vec!["11: 0 -> 3", "12: 0 -> 1", "25: 0 -> 2"]
    );
}

#[test]
fn storage_figure_names() {
    let cases = [
        (
            "pw_base_storage",
            StorageFigure::Standard,
            "pw_base_storage",
        ),
        (
            "pw_base_storage",
            StorageFigure::Class1Free,
            "pw_base_storage_class1",
        ),
        (
            "pw_base_storage",
            StorageFigure::Class2Billed,
            "pw_base_storage_class2",
        ),
        (
            "pw_base_storage",
            StorageFigure::GeoReplicated,
            "pw_base_geo_storage",
        ),
        (
            "pw_base_storage",
            StorageFigure::GeoReplicatedBilled,
            "pw_base_geo_storage_class2",
        ),
        (
            "adv_storage",
            StorageFigure::GeoReplicated,
            "adv_geo_storage",
        ),
        ("vault", StorageFigure::GeoReplicated, "vault_geo"),
    ];
    for (storage, figure, name) in cases {
        assert_eq!(figure.usage_name(storage), name, "{storage} {figure:?}");
    }
}

#[test]
fn tenant_storages_by_backend() {
    let storages = TenantStorages::from_backends([
        ("a", "acronis"),
        ("b", "azure"),
        ("c", "azure"),
        ("d", "s3"),
        ("e", "s3_compatible"),
        ("f", "tape"),
    ]);
    assert_eq!(storages.infra_ids.len(), 6);
    assert_eq!(
        storages.public_cloud,
        PublicCloudStorages::from([
            (PublicCloudVendor::MicrosoftAzure, 2),
            (PublicCloudVendor::AmazonS3, 1),
            (PublicCloudVendor::S3Compatible, 1),
        ])
    );
}

#[test]
fn reporting_periods() {
    use ReportingPeriod::*;
    let month = |start: &str, end: &str, key: &str| {
        Some(Period {
            start: d(start),
            end: d(end),
            key: key.into(),
            report_once: false,
        })
    };
    let billing = |start: &str, end: &str| {
        Some(Period {
            start: d(start),
            end: d(end),
            key: start.into(),
            report_once: true,
        })
    };
    // (period, billing month start day, today, expected)
    let cases = [
        (
            CurrentCalendarMonth,
            1,
            "2024-01-20",
            month("2024-01-01", "2024-01-31", "2024-01"),
        ),
        (
            CurrentCalendarMonth,
            1,
            "2024-02-01",
            month("2024-02-01", "2024-02-29", "2024-02"),
        ),
        (
            CurrentCalendarMonth,
            1,
            "2023-02-28",
            month("2023-02-01", "2023-02-28", "2023-02"),
        ),
        (
            CurrentCalendarMonth,
            1,
            "2024-12-31",
            month("2024-12-01", "2024-12-31", "2024-12"),
        ),
        (
            PreviousCalendarMonth,
            1,
            "2024-01-01",
            month("2023-12-01", "2023-12-31", "2023-12"),
        ),
        (
            PreviousCalendarMonth,
            1,
            "2024-03-31",
            month("2024-02-01", "2024-02-29", "2024-02"),
        ),
        (
            PreviousCalendarMonth,
            1,
            "2100-03-15",
            month("2100-02-01", "2100-02-28", "2100-02"),
        ),
        (
            PreviousCalendarMonth,
            1,
            "2000-03-15",
            month("2000-02-01", "2000-02-29", "2000-02"),
        ),
        (
            CustomBillingMonth,
            1,
            "2024-03-01",
            billing("2024-02-01", "2024-02-29"),
        ),
        (CustomBillingMonth, 1, "2024-03-02", None),
        (
            CustomBillingMonth,
            15,
            "2024-01-15",
            billing("2023-12-15", "2024-01-14"),
        ),
        (CustomBillingMonth, 15, "2024-01-14", None),
        (CustomBillingMonth, 15, "2024-01-16", None),
        (
            CustomBillingMonth,
            28,
            "2024-03-28",
            billing("2024-02-28", "2024-03-27"),
        ),
        (
            CustomBillingMonth,
            28,
            "2023-03-28",
            billing("2023-02-28", "2023-03-27"),
        ),
        (
            CustomBillingMonth,
            28,
            "2024-02-28",
            billing("2024-01-28", "2024-02-27"),
        ),
        (CustomBillingMonth, 0, "2024-03-01", None),
        (CustomBillingMonth, 29, "2024-03-29", None),
    ];
    for (period, day, today, expected) in cases {
        let settings = UsageReporting {
            period,
            billing_month_start_day: day,
            ..UsageReporting::default()
        };
        assert_eq!(
            period_for(&settings, d(today)),
            expected,
            "{period:?} day {day} on {today}"
        );
    }
}

#[test]
fn sub_partner_usage_adds_up_without_tenants_mapped_on_their_own() {
    let tenant =
        |id: &str, figures: Vec<UsageFigure>, storages: Option<&[(&str, &str)]>| TenantUsage {
            tenant_id: id.into(),
            figures,
            storages: storages.map(|s| TenantStorages::from_backends(s.iter().copied())),
        };
    let litware = || {
        tenant(
            "litware",
            vec![
                fig("pw_base_workstations", 12, 2),
                fig("pw_base_storage@xyz", 100 * GB, 1),
            ],
            Some(&[("xyz", "acronis"), ("az1", "azure")]),
        )
    };
    let proseware = || {
        tenant(
            "proseware",
            vec![
                fig("pw_base_workstations", 5, 1),
                fig("pw_base_storage@xyz", 50 * GB, 3),
            ],
            Some(&[("xyz", "acronis"), ("az2", "azure")]),
        )
    };
    let own = BTreeSet::from(["proseware".to_owned()]);
    let none = BTreeSet::new();

    let (figures, storages) = aggregate_sub_partner(&[proseware(), litware()], &none);
    assert_eq!(
        figures,
        vec![
            fig("pw_base_storage@xyz", 150 * GB, 3),
            fig("pw_base_workstations", 17, 2),
        ],
        "sums carry the oldest measurement"
    );
    let storages = storages.expect("both read");
    assert_eq!(storages.public_cloud[&PublicCloudVendor::MicrosoftAzure], 2);
    assert_eq!(storages.infra_ids.len(), 3);

    let (figures, _) = aggregate_sub_partner(&[proseware(), litware()], &own);
    assert_eq!(
        figures,
        vec![
            fig("pw_base_storage@xyz", 100 * GB, 1),
            fig("pw_base_workstations", 12, 2),
        ],
        "a tenant mapped on its own is reported to its own company"
    );

    let unread = tenant("unread", vec![], None);
    let (_, storages) = aggregate_sub_partner(&[litware(), unread], &none);
    assert_eq!(storages, None);
    assert_eq!(
        aggregate_sub_partner(&[], &none),
        (vec![], Some(TenantStorages::default()))
    );
}

#[test]
fn a_period_is_judged_at_its_end_once_over() {
    let november = Period {
        start: d("2023-11-01"),
        end: d("2023-11-30"),
        key: "2023-11".into(),
        report_once: false,
    };
    assert!(november.contains(d("2023-11-30")));
    assert!(!november.contains(d("2023-12-01")));
    assert!(november.is_past(d("2023-12-01")));
    assert!(!november.is_past(d("2023-11-30")));
    let end = Utc.with_ymd_and_hms(2023, 11, 30, 23, 59, 59).unwrap();
    assert_eq!(november.as_of(now()), end);
    let during = Utc.with_ymd_and_hms(2023, 11, 12, 8, 0, 0).unwrap();
    assert_eq!(november.as_of(during), during);
}
