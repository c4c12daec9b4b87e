use super::*;
use crate::contracts::{
    BundleUnits, Contract, ContractInputs, ContractService, ContractServiceBundle,
    RECURRING_SERVICE, STATUS_ACTIVE, ServiceBundleService, ServiceUnits, company_snapshot,
};
use crate::mapping::{ServiceMapping, ServiceRef, StorageMapping};
use crate::provisioning::TenantPricing;
use crate::settings::Settings;
use chrono::NaiveDate;

const COMPANY: i64 = 42;
const WORKSTATIONS: i64 = 100;
const SERVERS: i64 = 101;
const STORAGE_1: i64 = 102;
const VMS: i64 = 104;
const ONEDRIVE: i64 = 106;
const STORAGE_1_CLASS1: i64 = 110;
const STORAGE_1_CLASS2: i64 = 111;
const STORAGE_2_CLASS2: i64 = 113;
const STORAGE_2_GEO: i64 = 114;

const GB: u64 = 1 << 30;
const U: QuotaValue = QuotaValue::UNLIMITED;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn hard(n: u64) -> QuotaValue {
    QuotaValue::hard(n)
}

fn gb(n: u64) -> QuotaValue {
    QuotaValue::hard(n * GB)
}

/// `name` or `name@infra`.
fn r(spec: &str) -> OfferingItemRef {
    match spec.split_once('@') {
        Some((name, infra)) => OfferingItemRef::on_infra(name, infra),
        None => OfferingItemRef::new(spec),
    }
}

fn on(spec: &str, quota: QuotaValue) -> OfferingItemState {
    OfferingItemState {
        item: r(spec),
        enabled: true,
        quota: Some(quota),
    }
}

fn off(spec: &str, quota: QuotaValue) -> OfferingItemState {
    OfferingItemState {
        enabled: false,
        ..on(spec, quota)
    }
}

fn feature(spec: &str, enabled: bool) -> OfferingItemState {
    OfferingItemState {
        item: r(spec),
        enabled,
        quota: None,
    }
}

/// The MSP's mappings: three workloads and a feature, Free mailboxes, and three storages
/// (infra-1 with its quota and class rows, infra-2 with reporting rows only, infra-3
/// Free).
fn settings() -> Settings {
    let service = |item: &str, id| ServiceMapping {
        offering_item: item.into(),
        service: Some(ServiceRef::Id(id)),
        ..ServiceMapping::default()
    };
    Settings {
        service_mappings: vec![
            service("pw_base_workstations", WORKSTATIONS),
            service("pw_base_servers", SERVERS),
            service("pw_base_vms", VMS),
            service("pw_base_o365_onedrive", ONEDRIVE),
            ServiceMapping {
                offering_item: "pw_base_o365_mailboxes".into(),
                free: true,
                ..ServiceMapping::default()
            },
        ],
        storage_mappings: vec![
            StorageMapping {
                infra_id: "infra-1".into(),
                quota_and_total: Some(ServiceRef::Id(STORAGE_1)),
                class1_free: Some(ServiceRef::Id(STORAGE_1_CLASS1)),
                class2_billed: Some(ServiceRef::Id(STORAGE_1_CLASS2)),
                ..StorageMapping::default()
            },
            StorageMapping {
                infra_id: "infra-2".into(),
                class2_billed: Some(ServiceRef::Id(STORAGE_2_CLASS2)),
                geo_redundancy: Some(ServiceRef::Id(STORAGE_2_GEO)),
                ..StorageMapping::default()
            },
            StorageMapping {
                infra_id: "infra-3".into(),
                free: true,
                ..StorageMapping::default()
            },
        ],
        ..Settings::default()
    }
}

fn policy(change: impl FnOnce(&mut Settings)) -> Policy {
    let mut settings = settings();
    change(&mut settings);
    Policy::from_settings(&settings)
}

fn zeroing(s: &mut Settings) {
    s.deprovisioning.set_quotas_to_zero = true;
}

/// Autotask rows for one company, turned into its snapshot by the real contract model.
#[derive(Debug, Clone, Default)]
struct Contracts {
    inputs: ContractInputs,
}

fn contracts() -> Contracts {
    Contracts::default()
}

impl Contracts {
    fn contract(mut self, id: i64, payg: Option<&str>) -> Self {
        self.inputs.contracts.push(Contract {
            id,
            company_id: COMPANY,
            contract_type: RECURRING_SERVICE,
            status: STATUS_ACTIVE,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            acronis_payg: payg.map(str::to_owned),
        });
        self
    }

    fn prepaid(self, id: i64) -> Self {
        self.contract(id, None)
    }

    fn payg(self, id: i64) -> Self {
        self.contract(id, Some("Yes"))
    }

    /// Contract service `contract_service` of `service` with `units` today.
    fn line(mut self, contract: i64, contract_service: i64, service: i64, units: i64) -> Self {
        self.inputs.services.push(ContractService {
            id: contract_service,
            contract_id: contract,
            service_id: service,
        });
        self.inputs.service_units.push(ServiceUnits {
            contract_service_id: contract_service,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units,
        });
        self
    }

    /// Contract service bundle `bundle` (service bundle `bundle + 1000`) of `services`.
    fn bundle(mut self, contract: i64, bundle: i64, services: &[i64], units: i64) -> Self {
        self.inputs.bundles.push(ContractServiceBundle {
            id: bundle,
            contract_id: contract,
            service_bundle_id: bundle + 1000,
        });
        self.inputs.bundle_units.push(BundleUnits {
            contract_service_bundle_id: bundle,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units,
        });
        for service in services {
            self.inputs.bundle_contents.push(ServiceBundleService {
                service_bundle_id: bundle + 1000,
                service_id: *service,
            });
        }
        self
    }

    fn snapshot(&self) -> CompanySnapshot {
        company_snapshot(
            COMPANY,
            &self.inputs,
            &policy(|_| {}).service_map,
            d("2024-01-20"),
        )
    }

    /// What Autotask holds once `change` is written.
    fn apply(&mut self, change: &UnitChange) {
        for row in &mut self.inputs.service_units {
            if row.contract_service_id == change.contract_service_id {
                assert_eq!(row.units, change.from_units, "{change:?}");
                row.units = change.to_units;
            }
        }
    }
}

fn tenant() -> ObservedTenant {
    ObservedTenant::Exists {
        enabled: true,
        ancestral_access: true,
        support_access_disabled: false,
        pricing: TenantPricing::Production,
    }
}

fn plan(
    contracts: &Contracts,
    current: &[OfferingItemState],
    policy: &Policy,
    two_way_sync: bool,
    bases: &[QuotaBase],
) -> QuotaPlan {
    plan_quotas(&QuotaInputs {
        snapshot: &contracts.snapshot(),
        policy,
        tenant: &tenant(),
        current,
        two_way_sync,
        bases,
    })
}

fn described(plan: &QuotaPlan) -> Vec<String> {
    plan.changes.iter().map(QuotaChange::describe).collect()
}

fn skipped(plan: &QuotaPlan) -> Vec<String> {
    plan.skipped.iter().map(ToString::to_string).collect()
}

fn base(spec: &str, quota: QuotaValue) -> QuotaBase {
    QuotaBase {
        item: r(spec),
        quota,
    }
}

// ---------------------------------------------------------------------------------------
// One-way rules
// ---------------------------------------------------------------------------------------

/// A name, the contracts, the tenant's items, the policy; the changes as described and
/// the skipped items as shown.
type Case = (
    &'static str,
    Contracts,
    Vec<OfferingItemState>,
    Policy,
    &'static [&'static str],
    &'static [&'static str],
);

#[test]
fn contract_items_free_items_and_the_rest() {
    let prepaid_7 = || contracts().prepaid(7);
    let cases: Vec<Case> = vec![
        (
            "prepaid units of two contracts add up to one hard quota",
            prepaid_7()
                .contract(8, Some("No"))
                .line(7, 70, WORKSTATIONS, 3)
                .line(8, 80, WORKSTATIONS, 4),
            vec![on("pw_base_workstations", U)],
            policy(|_| {}),
            &["pw_base_workstations: unlimited → 7 (prepaid: 7 units in contracts 7, 8)"],
            &[],
        ),
        (
            "a bundle counts each service times its units, and adds to a direct line",
            prepaid_7()
                .bundle(7, 71, &[WORKSTATIONS, SERVERS], 5)
                .line(7, 70, SERVERS, 2),
            vec![on("pw_base_workstations", U), on("pw_base_servers", U)],
            policy(|_| {}),
            &[
                "pw_base_servers: unlimited → 7 (prepaid: 7 units in contract 7)",
                "pw_base_workstations: unlimited → 5 (prepaid: 5 units in contract 7)",
            ],
            &[],
        ),
        (
            "prepaid storage GB become binary bytes, on its own storage only",
            prepaid_7().line(7, 70, STORAGE_1, 500),
            vec![
                on("pw_base_storage@infra-1", U),
                on("pw_base_storage@infra-2", U),
            ],
            policy(|_| {}),
            &["pw_base_storage@infra-1: unlimited → 500 GB (prepaid: 500 units in contract 7)"],
            &[],
        ),
        (
            "PAYG is unlimited",
            contracts().payg(8).line(8, 80, SERVERS, 2),
            vec![on("pw_base_servers", hard(2))],
            policy(|_| {}),
            &["pw_base_servers: 2 → unlimited (PAYG in contract 8: unlimited)"],
            &[],
        ),
        (
            "an item the tenant switched off that a contract asks for is switched on",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![off("pw_base_servers", hard(0))],
            policy(|_| {}),
            &["pw_base_servers: off → on, 0 → 1 (prepaid: 1 unit in contract 7)"],
            &[],
        ),
        (
            "a feature a contract holds is switched on and gets no quota",
            prepaid_7().line(7, 70, ONEDRIVE, 1),
            vec![feature("pw_base_o365_onedrive", false)],
            policy(|_| {}),
            &["pw_base_o365_onedrive: off → on (prepaid: 1 unit in contract 7)"],
            &[],
        ),
        (
            "already as the contract says: nothing",
            prepaid_7()
                .line(7, 70, SERVERS, 2)
                .line(7, 71, STORAGE_1, 10),
            vec![
                on("pw_base_servers", hard(2)),
                on("pw_base_storage@infra-1", gb(10)),
            ],
            policy(zeroing),
            &[],
            &[],
        ),
        (
            "an item under PAYG and prepaid is left untouched and named with both sides",
            prepaid_7()
                .payg(8)
                .line(7, 70, SERVERS, 2)
                .line(8, 80, SERVERS, 1),
            vec![on("pw_base_servers", hard(5))],
            policy(zeroing),
            &[],
            &[
                "pw_base_servers: held by PAYG contract 8 and prepaid contract 7; not applied until one side changes",
            ],
        ),
        (
            "guide: a service not in any contract goes to 0 while quotas to zero is on",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_workstations", hard(5)),
            ],
            policy(zeroing),
            &["pw_base_workstations: 5 → 0 (not in any active contract; quotas to zero is on)"],
            &[],
        ),
        (
            "guide: a service not selected (no mapping row) goes to 0 too",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_web_hosting_servers", U),
            ],
            policy(zeroing),
            &[
                "pw_base_web_hosting_servers: unlimited → 0 (no service mapped; quotas to zero is on)",
            ],
            &[],
        ),
        (
            "an item of another edition is zeroed like any unmapped item",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![on("pw_base_servers", hard(1)), on("workstations", hard(3))],
            policy(zeroing),
            &["workstations: 3 → 0 (no service mapped; quotas to zero is on)"],
            &[],
        ),
        (
            "a soft 0 becomes a hard 0",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on(
                    "pw_base_vms",
                    QuotaValue {
                        value: Some(0),
                        overage: None,
                    },
                ),
            ],
            policy(zeroing),
            &[
                "pw_base_vms: 0 (overage unlimited) → 0 (not in any active contract; quotas to zero is on)",
            ],
            &[],
        ),
        (
            "guide: with quotas to zero off, items no contract asks for are left as they are",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_workstations", hard(5)),
                on("pw_base_web_hosting_servers", U),
            ],
            policy(|_| {}),
            &[],
            &[],
        ),
        (
            "guide: a Free item no contract holds is unlimited, quotas to zero or not",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_o365_mailboxes", hard(0)),
            ],
            policy(|_| {}),
            &["pw_base_o365_mailboxes: 0 → unlimited (free item)"],
            &[],
        ),
        (
            "a Free item the tenant switched off is switched on",
            contracts(),
            vec![off("pw_base_o365_mailboxes", hard(3))],
            policy(zeroing),
            &["pw_base_o365_mailboxes: off → on, 3 → unlimited (free item)"],
            &[],
        ),
        (
            "a Free item in a contract gets the contract's quota",
            prepaid_7().line(7, 70, WORKSTATIONS, 2),
            vec![on("pw_base_workstations", U)],
            policy(|s| s.service_mappings[0].free = true),
            &["pw_base_workstations: unlimited → 2 (prepaid: 2 units in contract 7)"],
            &[],
        ),
        (
            "an item switched off that no contract asks for stays off and untouched",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                off("pw_base_workstations", U),
            ],
            policy(zeroing),
            &[],
            &[],
        ),
        (
            "a feature no contract asks for is never zeroed",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                feature("pw_base_o365_onedrive", true),
            ],
            policy(zeroing),
            &[],
            &[],
        ),
        (
            "a contract item the tenant does not have is named",
            prepaid_7().line(7, 70, VMS, 2),
            vec![on("pw_base_servers", U)],
            policy(|_| {}),
            &[],
            &["pw_base_vms: a contract holds it, but the tenant has no such offering item"],
        ),
    ];
    for (name, contracts, current, policy, changes, skips) in cases {
        let plan = plan(&contracts, &current, &policy, false, &[]);
        assert_eq!(plan.tenant_skip, None, "{name}");
        assert_eq!(described(&plan), changes.to_vec(), "{name}");
        assert_eq!(skipped(&plan), skips.to_vec(), "{name}");
        assert!(
            plan.unit_changes.is_empty() && plan.conflicts.is_empty(),
            "{name}"
        );
        for change in &plan.changes {
            let item = current.iter().find(|c| c.item == change.change.item);
            assert!(item.is_some_and(|i| change.change.changes(i)), "{name}");
        }
    }
}

#[test]
fn storage_locations_by_their_reporting_rows() {
    let prepaid_7 = || contracts().prepaid(7);
    let no_default = |s: &mut Settings| s.provisioning.default_storage = None;
    let cases: Vec<Case> = vec![
        (
            "guide: a class 2 row alone enables its storage, unlimited",
            prepaid_7().line(7, 70, STORAGE_2_CLASS2, 100),
            vec![off("pw_base_storage@infra-2", gb(0))],
            policy(|_| {}),
            &[
                "pw_base_storage@infra-2: off → on, 0 GB → unlimited (storage location enabled by its class 2 (billed) row in contract 7)",
            ],
            &[],
        ),
        (
            "guide: a class 1 row alone does too",
            prepaid_7().line(7, 70, STORAGE_1_CLASS1, 0),
            vec![on("pw_base_storage@infra-1", gb(5))],
            policy(|_| {}),
            &[
                "pw_base_storage@infra-1: 5 GB → unlimited (storage location enabled by its class 1 (free) row in contract 7)",
            ],
            &[],
        ),
        (
            "rows of two contracts, PAYG among them",
            prepaid_7()
                .payg(8)
                .line(7, 70, STORAGE_2_CLASS2, 1)
                .line(8, 80, STORAGE_2_GEO, 1),
            vec![off("pw_base_storage@infra-2", U)],
            policy(|_| {}),
            &[
                "pw_base_storage@infra-2: off → on (storage location enabled by its class 2 (billed), geo-redundancy rows in contracts 7, 8)",
            ],
            &[],
        ),
        (
            "the quota row sets the units; class rows beside it add nothing",
            prepaid_7()
                .line(7, 70, STORAGE_1, 50)
                .line(7, 71, STORAGE_1_CLASS1, 20)
                .line(7, 72, STORAGE_1_CLASS2, 30),
            vec![on("pw_base_storage@infra-1", U)],
            policy(|_| {}),
            &["pw_base_storage@infra-1: unlimited → 50 GB (prepaid: 50 units in contract 7)"],
            &[],
        ),
        (
            "another storage no contract enables goes to 0 while quotas to zero is on",
            prepaid_7().line(7, 70, STORAGE_2_CLASS2, 1),
            vec![
                on("pw_base_storage@infra-1", U),
                on("pw_base_storage@infra-2", U),
            ],
            policy(zeroing),
            &[
                "pw_base_storage@infra-1: unlimited → 0 GB (not in any active contract; quotas to zero is on)",
            ],
            &[],
        ),
        (
            "no contract holds storage: the configured default storage is kept, the others zeroed",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_storage@infra-1", U),
                on("pw_base_storage@infra-2", U),
            ],
            policy(|s| {
                zeroing(s);
                s.provisioning.default_storage = Some("infra-2".into());
            }),
            &[
                "pw_base_storage@infra-1: unlimited → 0 GB (not in any active contract; quotas to zero is on)",
            ],
            &[
                "pw_base_storage@infra-2: no contract holds storage: kept as the default storage provisioning assigns",
            ],
        ),
        (
            "no contract holds storage and no default is configured: every storage is kept",
            prepaid_7().line(7, 70, SERVERS, 1),
            vec![
                on("pw_base_servers", hard(1)),
                on("pw_base_storage@infra-1", U),
                on("pw_base_storage@infra-2", gb(0)),
            ],
            policy(|s| {
                zeroing(s);
                no_default(s);
            }),
            &[],
            &[
                "pw_base_storage@infra-1: no contract holds storage: kept as the default storage provisioning assigns",
            ],
        ),
        (
            "a Free storage row makes its storage unlimited",
            contracts(),
            vec![on("pw_base_storage@infra-3", gb(1))],
            policy(zeroing),
            &["pw_base_storage@infra-3: 1 GB → unlimited (free item)"],
            &[],
        ),
        (
            "a storage a contract enables but the tenant does not have is named",
            prepaid_7().line(7, 70, STORAGE_2_CLASS2, 1),
            vec![on("pw_base_storage@infra-1", U)],
            policy(|_| {}),
            &[],
            &[
                "pw_base_storage@infra-2: a contract holds it, but the tenant has no such offering item",
            ],
        ),
    ];
    for (name, contracts, current, policy, changes, skips) in cases {
        let plan = plan(&contracts, &current, &policy, false, &[]);
        assert_eq!(described(&plan), changes.to_vec(), "{name}");
        assert_eq!(skipped(&plan), skips.to_vec(), "{name}");
    }
}

#[test]
fn a_line_naming_its_storage_wins_over_one_for_every_storage() {
    let contracts = contracts()
        .prepaid(7)
        .line(7, 70, SERVERS, 3)
        .line(7, 71, STORAGE_1, 10);
    let mut snapshot = contracts.snapshot();
    // The settings cannot map storage without infra id; a hand-made line can.
    let every = snapshot
        .items
        .iter_mut()
        .find(|e| e.item == r("pw_base_servers"))
        .expect("servers line");
    every.item = r("pw_base_storage");
    every.kind = ItemKind::Storage;
    snapshot.items.sort_by(|a, b| a.item.cmp(&b.item));
    let current = [
        on("pw_base_storage@infra-1", U),
        on("pw_base_storage@infra-2", U),
    ];
    let policy = policy(|_| {});
    let plan_with = |two_way_sync, bases: &[QuotaBase]| {
        plan_quotas(&QuotaInputs {
            snapshot: &snapshot,
            policy: &policy,
            tenant: &tenant(),
            current: &current,
            two_way_sync,
            bases,
        })
    };
    assert_eq!(
        described(&plan_with(false, &[])),
        vec![
            "pw_base_storage@infra-1: unlimited → 10 GB (prepaid: 10 units in contract 7)",
            "pw_base_storage@infra-2: unlimited → 3 GB (prepaid: 3 units in contract 7)",
        ]
    );
    // Two-way: the line for every storage cannot take one storage's edit.
    let current = [
        on("pw_base_storage@infra-1", gb(10)),
        on("pw_base_storage@infra-2", gb(4)),
    ];
    let plan = plan_quotas(&QuotaInputs {
        snapshot: &snapshot,
        policy: &policy,
        tenant: &tenant(),
        current: &current,
        two_way_sync: true,
        bases: &[base("pw_base_storage@infra-2", gb(3))],
    });
    assert_eq!(
        described(&plan),
        vec!["pw_base_storage@infra-2: 4 GB → 3 GB (prepaid: 3 units in contract 7)"]
    );
    assert_eq!(
        skipped(&plan),
        vec![
            "pw_base_storage@infra-2: changed in Acronis to 4 GB, but one contract line holds the item on several storages: Autotask wins"
        ]
    );
    assert!(plan.unit_changes.is_empty());
}

#[test]
fn guarded_tenants_are_never_touched() {
    let exists = |ancestral_access, support_access_disabled| ObservedTenant::Exists {
        enabled: true,
        ancestral_access,
        support_access_disabled,
        pricing: TenantPricing::Production,
    };
    let contracts = contracts().prepaid(7).line(7, 70, SERVERS, 2);
    let snapshot = contracts.snapshot();
    let current = [on("pw_base_servers", hard(5)), on("pw_base_vms", U)];
    let stored = [
        base("pw_base_vms", hard(1)),
        base("pw_base_servers", hard(5)),
    ];
    let policy = policy(zeroing);
    let cases = [
        (
            "self-service",
            exists(false, false),
            Some("tenant is in self-service mode; the bridge never changes it"),
        ),
        (
            "support access disabled",
            exists(true, true),
            Some("tenant has support access disabled; the bridge never changes it"),
        ),
        (
            "deleted",
            ObservedTenant::Deleted,
            Some("the tenant was deleted in Acronis; no quota to push"),
        ),
        (
            "a disabled tenant is planned",
            ObservedTenant::Exists {
                enabled: false,
                ancestral_access: true,
                support_access_disabled: false,
                pricing: TenantPricing::Production,
            },
            None,
        ),
    ];
    for (name, tenant, skip) in cases {
        let plan = plan_quotas(&QuotaInputs {
            snapshot: &snapshot,
            policy: &policy,
            tenant: &tenant,
            current: &current,
            two_way_sync: true,
            bases: &stored,
        });
        assert_eq!(plan.tenant_skip.as_deref(), skip, "{name}");
        if skip.is_some() {
            assert!(!plan.has_writes(), "{name}");
            assert!(
                plan.skipped.is_empty() && plan.conflicts.is_empty(),
                "{name}"
            );
            assert_eq!(
                plan.bases,
                vec![
                    base("pw_base_servers", hard(5)),
                    base("pw_base_vms", hard(1))
                ],
                "{name}: the stored bases, as they were"
            );
        } else {
            assert!(plan.has_writes(), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Two-way sync
// ---------------------------------------------------------------------------------------

/// One item, one contract situation, one merge base.
struct TwoWay {
    name: &'static str,
    contracts: Contracts,
    acronis: OfferingItemState,
    base: Option<QuotaValue>,
    two_way_sync: bool,
    changes: Vec<&'static str>,
    unit_changes: Vec<&'static str>,
    skipped: Vec<&'static str>,
    conflicts: Vec<SyncConflict>,
    /// The item's base after the plan.
    agreed: Option<QuotaValue>,
}

fn two_way(
    name: &'static str,
    contracts: Contracts,
    acronis: OfferingItemState,
    base: Option<QuotaValue>,
) -> TwoWay {
    TwoWay {
        name,
        contracts,
        acronis,
        base,
        two_way_sync: true,
        changes: vec![],
        unit_changes: vec![],
        skipped: vec![],
        conflicts: vec![],
        agreed: None,
    }
}

fn servers(units: i64) -> Contracts {
    contracts().prepaid(7).line(7, 70, SERVERS, units)
}

#[test]
fn two_way_sync_merges_with_the_base() {
    let cases = vec![
        TwoWay {
            agreed: Some(hard(2)),
            ..two_way(
                "both sides agree: nothing; the base is the agreed value",
                servers(2),
                on("pw_base_servers", hard(2)),
                None,
            )
        },
        TwoWay {
            agreed: Some(hard(2)),
            ..two_way(
                "both sides agree on a new value: the base moves there",
                servers(2),
                on("pw_base_servers", hard(2)),
                Some(hard(1)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: 5 → 2 (prepaid: 2 units in contract 7)"],
            agreed: Some(hard(2)),
            ..two_way(
                "no base yet: Autotask wins",
                servers(2),
                on("pw_base_servers", hard(5)),
                None,
            )
        },
        TwoWay {
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 2 → 5 units (changed in Acronis from 2 to 5 since the last sync)",
            ],
            agreed: Some(hard(5)),
            ..two_way(
                "DESIGN: only Acronis changed: the contract units follow",
                servers(2),
                on("pw_base_servers", hard(5)),
                Some(hard(2)),
            )
        },
        TwoWay {
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 5 → 3 units (changed in Acronis from 5 to 3 since the last sync)",
            ],
            agreed: Some(hard(3)),
            ..two_way(
                "only Acronis changed, down",
                servers(5),
                on("pw_base_servers", hard(3)),
                Some(hard(5)),
            )
        },
        TwoWay {
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 2 → 4 units (changed in Acronis from 5 to 7 since the last sync)",
            ],
            agreed: Some(hard(7)),
            ..two_way(
                "two contracts: the first direct contract service takes the difference",
                servers(2).prepaid(9).line(9, 90, SERVERS, 3),
                on("pw_base_servers", hard(7)),
                Some(hard(5)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: 1 → 3 (prepaid: 3 units in contracts 7, 9)"],
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 2 → 0 units (changed in Acronis from 5 to 1 since the last sync; Acronis gets 3, what the contract units now give)",
            ],
            agreed: Some(hard(3)),
            ..two_way(
                "a contract service never goes below 0; Acronis gets what the units give",
                servers(2).prepaid(9).line(9, 90, SERVERS, 3),
                on("pw_base_servers", hard(1)),
                Some(hard(5)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: 4 → 2 (prepaid: 2 units in contract 7)"],
            skipped: vec![
                "pw_base_servers: changed in Acronis to 4, but only service bundles hold the item and a bundle's units count for every item in it: Autotask wins",
                "pw_base_workstations: a contract holds it, but the tenant has no such offering item",
            ],
            agreed: Some(hard(2)),
            ..two_way(
                "only a bundle holds the item: Autotask is not changed, Autotask wins",
                contracts()
                    .prepaid(7)
                    .bundle(7, 71, &[SERVERS, WORKSTATIONS], 2),
                on("pw_base_servers", hard(4)),
                Some(hard(2)),
            )
        },
        TwoWay {
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 1 → 3 units (changed in Acronis from 3 to 5 since the last sync)",
            ],
            skipped: vec![
                "pw_base_workstations: a contract holds it, but the tenant has no such offering item",
            ],
            agreed: Some(hard(5)),
            ..two_way(
                "a bundle and a direct line: the direct line takes it",
                contracts()
                    .prepaid(7)
                    .bundle(7, 71, &[SERVERS, WORKSTATIONS], 2)
                    .line(7, 70, SERVERS, 1),
                on("pw_base_servers", hard(5)),
                Some(hard(3)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: unlimited → 2 (prepaid: 2 units in contract 7)"],
            skipped: vec![
                "pw_base_servers: changed in Acronis to unlimited, but contract units cannot hold an unlimited quota: Autotask wins",
            ],
            agreed: Some(hard(2)),
            ..two_way(
                "unlimited in Acronis: Autotask wins",
                servers(2),
                on("pw_base_servers", U),
                Some(hard(2)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: 2 + 1 overage → 2 (prepaid: 2 units in contract 7)"],
            skipped: vec![
                "pw_base_servers: changed in Acronis to 2 + 1 overage, but whole contract units cannot express it: Autotask wins",
            ],
            agreed: Some(hard(2)),
            ..two_way(
                "an overage set in Acronis: Autotask wins",
                servers(2),
                on(
                    "pw_base_servers",
                    QuotaValue {
                        value: Some(2),
                        overage: Some(1),
                    },
                ),
                Some(hard(2)),
            )
        },
        TwoWay {
            changes: vec![
                "pw_base_servers: 2 → 4 (changed in Autotask since the last sync: 4 units in contract 7)",
            ],
            agreed: Some(hard(4)),
            ..two_way(
                "DESIGN: only Autotask changed: Acronis follows",
                servers(4),
                on("pw_base_servers", hard(2)),
                Some(hard(2)),
            )
        },
        TwoWay {
            changes: vec![
                "pw_base_servers: 3 → 4 (changed on both sides since the last sync, Autotask wins: 4 units in contract 7)",
            ],
            conflicts: vec![SyncConflict {
                item: r("pw_base_servers"),
                base: hard(2),
                acronis: hard(3),
                autotask: hard(4),
            }],
            agreed: Some(hard(4)),
            ..two_way(
                "DESIGN: both changed: Autotask wins and the conflict is audited",
                servers(4),
                on("pw_base_servers", hard(3)),
                Some(hard(2)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: off → on (prepaid: 5 units in contract 7)"],
            unit_changes: vec![
                "pw_base_servers: contract 7 service 70: 2 → 5 units (changed in Acronis from 2 to 5 since the last sync)",
            ],
            agreed: Some(hard(5)),
            ..two_way(
                "switched off in Acronis: switched on again; its quota edit still flows back",
                servers(2),
                off("pw_base_servers", hard(5)),
                Some(hard(2)),
            )
        },
        TwoWay {
            two_way_sync: false,
            changes: vec!["pw_base_servers: 5 → 2 (prepaid: 2 units in contract 7)"],
            agreed: Some(hard(2)),
            ..two_way(
                "without two-way sync Autotask is the only source of truth",
                servers(2),
                on("pw_base_servers", hard(5)),
                Some(hard(2)),
            )
        },
        TwoWay {
            changes: vec!["pw_base_servers: 3 → unlimited (PAYG in contract 8: unlimited)"],
            ..two_way(
                "PAYG items are not synced back and have no base",
                contracts().payg(8).line(8, 80, SERVERS, 3),
                on("pw_base_servers", hard(3)),
                Some(hard(3)),
            )
        },
        TwoWay {
            unit_changes: vec![
                "pw_base_storage@infra-1: contract 7 service 70: 50 → 60 units (changed in Acronis from 50 GB to 60 GB since the last sync)",
            ],
            agreed: Some(gb(60)),
            ..two_way(
                "storage: bytes back to GB",
                contracts().prepaid(7).line(7, 70, STORAGE_1, 50),
                on("pw_base_storage@infra-1", gb(60)),
                Some(gb(50)),
            )
        },
        TwoWay {
            changes: vec![
                "pw_base_storage@infra-1: 60.50 GB → 61 GB (prepaid: 61 units in contract 7)",
            ],
            unit_changes: vec![
                "pw_base_storage@infra-1: contract 7 service 70: 50 → 61 units (changed in Acronis from 50 GB to 60.50 GB since the last sync; Acronis gets 61 GB, what the contract units now give)",
            ],
            agreed: Some(gb(61)),
            ..two_way(
                "storage: part of a GB rounds up, and Acronis gets the whole GB",
                contracts().prepaid(7).line(7, 70, STORAGE_1, 50),
                on("pw_base_storage@infra-1", hard(60 * GB + GB / 2)),
                Some(gb(50)),
            )
        },
    ];
    for case in cases {
        let name = case.name;
        let bases: Vec<QuotaBase> = case
            .base
            .map(|quota| QuotaBase {
                item: case.acronis.item.clone(),
                quota,
            })
            .into_iter()
            .collect();
        let plan = plan(
            &case.contracts,
            std::slice::from_ref(&case.acronis),
            &policy(|_| {}),
            case.two_way_sync,
            &bases,
        );
        assert_eq!(described(&plan), case.changes, "{name}");
        let units: Vec<String> = plan.unit_changes.iter().map(UnitChange::describe).collect();
        assert_eq!(units, case.unit_changes, "{name}");
        assert_eq!(skipped(&plan), case.skipped, "{name}");
        assert_eq!(plan.conflicts, case.conflicts, "{name}");
        let agreed: Vec<QuotaBase> = case
            .agreed
            .map(|quota| QuotaBase {
                item: case.acronis.item.clone(),
                quota,
            })
            .into_iter()
            .collect();
        assert_eq!(plan.bases, agreed, "{name}");
    }
}

#[test]
fn a_conflict_keeps_the_stored_base_and_other_bases_are_dropped() {
    let contracts = servers(2).payg(8).line(8, 80, SERVERS, 1);
    let current = [on("pw_base_servers", hard(2)), on("pw_base_vms", hard(1))];
    let stored = [
        base("pw_base_servers", hard(2)),
        base("pw_base_vms", hard(1)),
    ];
    let plan = plan(&contracts, &current, &policy(|_| {}), true, &stored);
    assert!(!plan.has_writes());
    assert_eq!(plan.bases, vec![base("pw_base_servers", hard(2))]);
}

// ---------------------------------------------------------------------------------------
// Determinism and idempotence
// ---------------------------------------------------------------------------------------

/// What the tenant looks like once `changes` are applied.
fn apply(current: &[OfferingItemState], changes: &[QuotaChange]) -> Vec<OfferingItemState> {
    current
        .iter()
        .map(|item| {
            let mut item = item.clone();
            for change in changes.iter().filter(|c| c.change.item == item.item) {
                assert_eq!(item.quota, change.from);
                assert_eq!(item.enabled, change.was_enabled);
                if let Some(enabled) = change.change.enabled {
                    item.enabled = enabled;
                }
                if let Some(quota) = change.change.quota {
                    item.quota = Some(quota);
                }
            }
            item
        })
        .collect()
}

/// A name, the contracts, the tenant's items, two-way sync, the stored bases.
type Rerun = (
    &'static str,
    Contracts,
    Vec<OfferingItemState>,
    bool,
    Vec<QuotaBase>,
);

/// A tenant with a bit of everything.
fn mixed() -> (Contracts, Vec<OfferingItemState>) {
    let contracts = contracts()
        .prepaid(7)
        .payg(8)
        .prepaid(9)
        .line(7, 70, SERVERS, 2)
        .line(9, 90, SERVERS, 3)
        .line(7, 71, STORAGE_1, 50)
        .bundle(7, 72, &[WORKSTATIONS], 4)
        .line(8, 80, VMS, 1)
        .line(8, 81, STORAGE_2_CLASS2, 1)
        .line(7, 73, ONEDRIVE, 1)
        .line(9, 91, ONEDRIVE, 1);
    let current = vec![
        on("pw_base_servers", hard(9)),
        on("pw_base_workstations", hard(6)),
        on("pw_base_storage@infra-1", hard(70 * GB + 5)),
        off("pw_base_storage@infra-2", gb(0)),
        on("pw_base_storage@infra-3", gb(1)),
        on("pw_base_vms", hard(2)),
        off("pw_base_o365_mailboxes", hard(0)),
        feature("pw_base_o365_onedrive", false),
        on("pw_base_web_hosting_servers", U),
        off("pw_base_mobiles", U),
    ];
    (contracts, current)
}

#[test]
fn applying_a_plan_and_planning_again_changes_nothing() {
    let (contracts, current) = mixed();
    let two_contracts = servers(2).prepaid(9).line(9, 90, SERVERS, 3);
    let cases: Vec<Rerun> = vec![
        (
            "first push, two-way",
            contracts.clone(),
            current.clone(),
            true,
            vec![],
        ),
        (
            "Acronis edits flow back (servers up, storage by a fraction of a GB, a bundle-only item)",
            contracts.clone(),
            current.clone(),
            true,
            vec![
                base("pw_base_servers", hard(5)),
                base("pw_base_storage@infra-1", gb(50)),
                base("pw_base_workstations", hard(4)),
            ],
        ),
        (
            "both sides changed",
            contracts.clone(),
            current.clone(),
            true,
            vec![
                base("pw_base_servers", hard(1)),
                base("pw_base_storage@infra-1", gb(20)),
            ],
        ),
        (
            "one-way",
            contracts.clone(),
            current.clone(),
            false,
            vec![base("pw_base_servers", hard(5))],
        ),
        (
            "a contract service that floors at 0",
            two_contracts,
            vec![on("pw_base_servers", hard(1))],
            true,
            vec![base("pw_base_servers", hard(5))],
        ),
    ];
    for zero in [false, true] {
        let policy = policy(|s| s.deprovisioning.set_quotas_to_zero = zero);
        for (name, contracts, current, two_way_sync, bases) in &cases {
            let first = plan(contracts, current, &policy, *two_way_sync, bases);
            assert!(first.has_writes(), "{name}: the case tests something");
            let mut contracts = contracts.clone();
            for change in &first.unit_changes {
                contracts.apply(change);
            }
            let current = apply(current, &first.changes);
            let again = plan(&contracts, &current, &policy, *two_way_sync, &first.bases);
            assert_eq!(again.changes, vec![], "{name} (zero: {zero})");
            assert_eq!(again.unit_changes, vec![], "{name} (zero: {zero})");
            assert_eq!(again.conflicts, vec![], "{name} (zero: {zero})");
            assert_eq!(again.bases, first.bases, "{name} (zero: {zero})");
        }
    }
}

#[test]
fn the_mixed_tenant_in_full() {
    let (contracts, current) = mixed();
    let plan = plan(
        &contracts,
        &current,
        &policy(zeroing),
        true,
        &[
            base("pw_base_servers", hard(5)),
            base("pw_base_storage@infra-1", gb(50)),
        ],
    );
    assert_eq!(
        described(&plan),
        vec![
            "pw_base_o365_mailboxes: off → on, 0 → unlimited (free item)",
            "pw_base_o365_onedrive: off → on (prepaid: 2 units in contracts 7, 9)",
            "pw_base_storage@infra-1: 70.00 GB → 71 GB (prepaid: 71 units in contract 7)",
            "pw_base_storage@infra-2: off → on, 0 GB → unlimited (storage location enabled by its class 2 (billed) row in contract 8)",
            "pw_base_storage@infra-3: 1 GB → unlimited (free item)",
            "pw_base_vms: 2 → unlimited (PAYG in contract 8: unlimited)",
            "pw_base_web_hosting_servers: unlimited → 0 (no service mapped; quotas to zero is on)",
            "pw_base_workstations: 6 → 4 (prepaid: 4 units in contract 7)",
        ]
    );
    let units: Vec<String> = plan.unit_changes.iter().map(UnitChange::describe).collect();
    assert_eq!(
        units,
        vec![
            "pw_base_servers: contract 7 service 70: 2 → 6 units (changed in Acronis from 5 to 9 since the last sync)",
            "pw_base_storage@infra-1: contract 7 service 71: 50 → 71 units (changed in Acronis from 50 GB to 70.00 GB since the last sync; Acronis gets 71 GB, what the contract units now give)",
        ]
    );
    assert_eq!(skipped(&plan), Vec::<String>::new());
    assert_eq!(
        plan.bases,
        vec![
            base("pw_base_servers", hard(9)),
            base("pw_base_storage@infra-1", gb(71)),
            base("pw_base_workstations", hard(4)),
        ]
    );
}

#[test]
fn the_plan_does_not_depend_on_the_order_items_come_in() {
    let (contracts, current) = mixed();
    let policy = policy(zeroing);
    let bases = [
        base("pw_base_workstations", hard(4)),
        base("pw_base_servers", hard(1)),
    ];
    let forward = plan(&contracts, &current, &policy, true, &bases);
    let mut reversed = current.clone();
    reversed.reverse();
    let mut bases_reversed = bases.to_vec();
    bases_reversed.reverse();
    let backward = plan(&contracts, &reversed, &policy, true, &bases_reversed);
    assert_eq!(forward, backward);
    let items: Vec<&OfferingItemRef> = forward.changes.iter().map(|c| &c.change.item).collect();
    let mut sorted = items.clone();
    sorted.sort();
    assert_eq!(items, sorted);
}

#[test]
fn an_item_listed_twice_is_planned_once() {
    let current = [
        on("pw_base_servers", hard(1)),
        on("pw_base_servers", hard(1)),
    ];
    let plan = plan(&servers(2), &current, &policy(|_| {}), true, &[]);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.bases.len(), 1);
}

// ---------------------------------------------------------------------------------------
// What people and the audit read
// ---------------------------------------------------------------------------------------

#[test]
fn reasons_read_as_one_short_line() {
    let cases = [
        (
            QuotaReason::Prepaid {
                units: 5,
                contract_ids: vec![12, 14],
            },
            "prepaid: 5 units in contracts 12, 14",
        ),
        (
            QuotaReason::Prepaid {
                units: 1,
                contract_ids: vec![7],
            },
            "prepaid: 1 unit in contract 7",
        ),
        (
            QuotaReason::Payg {
                contract_ids: vec![8],
            },
            "PAYG in contract 8: unlimited",
        ),
        (QuotaReason::Free, "free item"),
        (
            QuotaReason::NotInContract,
            "not in any active contract; quotas to zero is on",
        ),
        (
            QuotaReason::Unmapped,
            "no service mapped; quotas to zero is on",
        ),
        (
            QuotaReason::StorageLocation {
                rows: vec![StorageRow::GeoRedundancyBilled],
                contract_ids: vec![7],
            },
            "storage location enabled by its geo-redundancy (billed) row in contract 7",
        ),
        (
            QuotaReason::FromAutotask {
                units: 3,
                contract_ids: vec![7],
            },
            "changed in Autotask since the last sync: 3 units in contract 7",
        ),
        (
            QuotaReason::BothChanged {
                units: 3,
                contract_ids: vec![7],
            },
            "changed on both sides since the last sync, Autotask wins: 3 units in contract 7",
        ),
    ];
    for (reason, line) in cases {
        assert_eq!(reason.to_string(), line);
    }
}

#[test]
fn changes_describe_themselves() {
    let change = |spec: &str, was_enabled, from, enabled, quota| QuotaChange {
        change: ItemChange {
            item: r(spec),
            enabled,
            quota,
        },
        from,
        was_enabled,
        reason: QuotaReason::Free,
    };
    let cases = [
        (
            change(
                "pw_base_servers",
                true,
                Some(hard(1)),
                Some(true),
                Some(hard(2)),
            ),
            "pw_base_servers: 1 → 2 (free item)",
        ),
        (
            change(
                "pw_base_storage@infra-1",
                false,
                Some(U),
                Some(true),
                Some(gb(100)),
            ),
            "pw_base_storage@infra-1: off → on, unlimited → 100 GB (free item)",
        ),
        (
            change(
                "pw_base_storage@infra-1",
                true,
                Some(QuotaValue {
                    value: Some(GB / 4),
                    overage: Some(GB),
                }),
                None,
                Some(QuotaValue::ZERO),
            ),
            "pw_base_storage@infra-1: 0.25 GB + 1 GB overage → 0 GB (free item)",
        ),
        (
            change("pw_base_o365_onedrive", false, None, Some(true), None),
            "pw_base_o365_onedrive: off → on (free item)",
        ),
    ];
    for (change, line) in cases {
        assert_eq!(change.describe(), line);
    }
    let conflict = SyncConflict {
        item: r("pw_base_storage@infra-1"),
        base: gb(10),
        acronis: gb(12),
        autotask: U,
    };
    assert_eq!(
        conflict.describe(),
        "pw_base_storage@infra-1: changed on both sides since 10 GB (Acronis 12 GB, Autotask unlimited); Autotask wins"
    );
}

#[test]
fn the_plan_serialises_in_snake_case() {
    let plan = plan(
        &servers(2),
        &[on("pw_base_servers", hard(1)), on("pw_base_vms", U)],
        &policy(zeroing),
        false,
        &[],
    );
    let json = serde_json::to_value(&plan).expect("serialise");
    assert_eq!(
        json["changes"][0]["reason"],
        serde_json::json!({"kind": "prepaid", "units": 2, "contract_ids": [7]})
    );
    assert_eq!(
        json["changes"][1]["reason"],
        serde_json::json!({"kind": "not_in_contract"})
    );
    assert_eq!(json["tenant_skip"], serde_json::Value::Null);
    let back: QuotaPlan = serde_json::from_value(json).expect("read back");
    assert_eq!(back, plan);
}
