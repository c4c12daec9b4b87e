use super::*;
use crate::contracts::{
    Contract, ContractInputs, ContractService, ItemKind, OfferingItemRef, RECURRING_SERVICE,
    STATUS_ACTIVE, ServiceMap, ServiceUnits, company_snapshot,
};

const COMPANY: i64 = 42;
const TENANT: &str = "7f0c8a52-0000-4000-8000-000000000042";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test datetime")
}

fn d(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// A snapshot built through the real contract model: one prepaid contract holding the
/// given services (100 = workstations, 102 = storage) with the given units.
fn snapshot(lines: &[(i64, i64)]) -> CompanySnapshot {
    let mut map = ServiceMap::new();
    map.insert(
        100,
        OfferingItemRef::new("pw_base_workstations"),
        ItemKind::Count,
    );
    map.insert(
        102,
        OfferingItemRef::on_infra("pw_base_storage", "infra-1"),
        ItemKind::Storage,
    );
    let mut inputs = ContractInputs {
        contracts: vec![Contract {
            id: 1,
            company_id: COMPANY,
            contract_type: RECURRING_SERVICE,
            status: STATUS_ACTIVE,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            acronis_payg: None,
        }],
        ..Default::default()
    };
    for (i, (service_id, units)) in lines.iter().enumerate() {
        let id = 10 + i as i64;
        inputs.services.push(ContractService {
            id,
            contract_id: 1,
            service_id: *service_id,
        });
        inputs.service_units.push(ServiceUnits {
            contract_service_id: id,
            start_date: d("2020-01-01"),
            end_date: d("2030-12-31"),
            units: *units,
        });
    }
    company_snapshot(COMPANY, &inputs, &map, d("2024-01-20"))
}

fn with_services() -> CompanySnapshot {
    snapshot(&[(100, 5)])
}

fn without_services() -> CompanySnapshot {
    snapshot(&[])
}

fn contact(first: &str, last: &str, email: Option<&str>) -> Option<PrimaryContact> {
    Some(PrimaryContact {
        first_name: first.into(),
        last_name: last.into(),
        email: email.map(str::to_owned),
    })
}

fn unmapped(snapshot: &CompanySnapshot) -> CompanySituation<'_> {
    CompanySituation {
        company_id: COMPANY,
        company_name: "Contoso Ltd.".into(),
        primary_contact: contact("Jane", "Doe", Some("jane@contoso.example")),
        snapshot,
        mapping: None,
        tenant: None,
        pending: None,
    }
}

fn by_company_name() -> ProvisioningPolicy {
    ProvisioningPolicy {
        auto_create: true,
        naming: TenantNaming::CompanyName {
            activation_email: "provisioning@msp.example".into(),
        },
        two_factor: false,
        pricing: PricingMode::Production,
    }
}

fn by_contact() -> ProvisioningPolicy {
    ProvisioningPolicy {
        naming: TenantNaming::PrimaryContact,
        ..by_company_name()
    }
}

fn tenant(enabled: bool) -> ObservedTenant {
    ObservedTenant::Exists {
        enabled,
        ancestral_access: true,
        support_access_disabled: false,
        pricing: TenantPricing::Production,
    }
}

fn mapped<'a>(
    snapshot: &'a CompanySnapshot,
    since: Option<&str>,
    tenant: ObservedTenant,
) -> CompanySituation<'a> {
    CompanySituation {
        mapping: Some(CurrentMapping {
            tenant_id: TENANT.into(),
            mapped_at: long_ago(),
            no_services_since: since.map(at),
            tenant_kind: MappedTenantKind::Customer,
            deletion: None,
        }),
        tenant: Some(tenant),
        ..unmapped(snapshot)
    }
}

/// The same situation with the company mapped to a sub-partner.
fn sub_partner(mut situation: CompanySituation<'_>) -> CompanySituation<'_> {
    if let Some(mapping) = situation.mapping.as_mut() {
        mapping.tenant_kind = MappedTenantKind::SubPartner;
    }
    situation
}

fn deprovision_10_30() -> DeprovisioningPolicy {
    DeprovisioningPolicy {
        quotas_to_zero: true,
        disable_after_days: Some(DEFAULT_DISABLE_AFTER_DAYS),
        delete_after_days: Some(DEFAULT_DELETE_AFTER_DAYS),
        delete_notice_days: 7,
    }
}

fn tid() -> String {
    TENANT.into()
}

fn now() -> DateTime<Utc> {
    at("2024-01-20T09:00:00Z")
}

/// A mapping older than every tenant in these tables.
fn long_ago() -> DateTime<Utc> {
    at("2020-01-01T00:00:00Z")
}

#[test]
fn automatic_provisioning_table() {
    let services = with_services();
    let storage = snapshot(&[(100, 5), (102, 500)]);
    let none = without_services();
    let create = |name: &str, login: &str, email: &str, storage_needed: bool| {
        vec![Action::CreateTenant(NewTenant {
            company_id: COMPANY,
            name: name.into(),
            admin_login: login.into(),
            activation_email: email.into(),
            mfa: false,
            pricing: PricingMode::Production,
            default_storage_needed: storage_needed,
            customer_id: "42".into(),
        })]
    };
    let cases: Vec<(&str, CompanySituation<'_>, ProvisioningPolicy, Vec<Action>)> = vec![
        (
            "company-name mode: named after the company, email to configured address",
            unmapped(&services),
            by_company_name(),
            create(
                "Contoso Ltd.",
                "contoso.ltd.42",
                "provisioning@msp.example",
                true,
            ),
        ),
        (
            "primary-contact mode: named after the contact, email to the contact",
            unmapped(&services),
            by_contact(),
            create("Jane Doe", "jane.doe.42", "jane@contoso.example", true),
        ),
        (
            "storage in a contract: no default storage",
            unmapped(&storage),
            by_company_name(),
            create(
                "Contoso Ltd.",
                "contoso.ltd.42",
                "provisioning@msp.example",
                false,
            ),
        ),
        (
            "primary-contact mode without a primary contact",
            CompanySituation {
                primary_contact: None,
                ..unmapped(&services)
            },
            by_contact(),
            vec![Action::Skip {
                reason: SkipReason::NoPrimaryContact,
            }],
        ),
        (
            "primary contact without email",
            CompanySituation {
                primary_contact: contact("Jane", "Doe", Some("  ")),
                ..unmapped(&services)
            },
            by_contact(),
            vec![Action::Skip {
                reason: SkipReason::PrimaryContactWithoutEmail,
            }],
        ),
        (
            "primary contact without a name",
            CompanySituation {
                primary_contact: contact(" ", "", Some("x@y.example")),
                ..unmapped(&services)
            },
            by_contact(),
            vec![Action::Skip {
                reason: SkipReason::PrimaryContactWithoutName,
            }],
        ),
        (
            "company-name mode without an activation address",
            unmapped(&services),
            ProvisioningPolicy {
                naming: TenantNaming::CompanyName {
                    activation_email: " ".into(),
                },
                ..by_company_name()
            },
            vec![Action::Skip {
                reason: SkipReason::NoActivationEmail,
            }],
        ),
        (
            "manual mode lists the company for the mapping API",
            unmapped(&services),
            ProvisioningPolicy {
                auto_create: false,
                ..by_company_name()
            },
            vec![Action::Skip {
                reason: SkipReason::ManualProvisioning,
            }],
        ),
        (
            "no active Acronis services: nothing",
            unmapped(&none),
            by_company_name(),
            vec![],
        ),
        (
            "manual mode and no services: nothing",
            unmapped(&none),
            ProvisioningPolicy {
                auto_create: false,
                ..by_company_name()
            },
            vec![],
        ),
        (
            "company 0 is the MSP",
            CompanySituation {
                company_id: 0,
                ..unmapped(&services)
            },
            by_company_name(),
            vec![Action::Skip {
                reason: SkipReason::MspOwnCompany,
            }],
        ),
    ];
    for (name, situation, policy, expected) in cases {
        let plan = plan_company(&situation, &policy, &deprovision_10_30(), now());
        assert_eq!(plan.actions, expected, "{name}");
    }
}

#[test]
fn two_factor_and_trial_settings_reach_the_new_tenant() {
    let services = with_services();
    let policy = ProvisioningPolicy {
        two_factor: true,
        pricing: PricingMode::Trial,
        ..by_company_name()
    };
    let plan = plan_company(
        &unmapped(&services),
        &policy,
        &DeprovisioningPolicy::default(),
        now(),
    );
    let [Action::CreateTenant(t)] = plan.actions.as_slice() else {
        panic!("expected one CreateTenant, got {:?}", plan.actions);
    };
    assert!(t.mfa);
    assert_eq!(t.pricing, PricingMode::Trial);
}

#[test]
fn pending_provisioning_is_resumed_never_recreated() {
    let services = with_services();
    let pending = PendingProvisioning {
        tenant: NewTenant {
            company_id: COMPANY,
            name: "Contoso Ltd.".into(),
            admin_login: "contoso.ltd.42".into(),
            activation_email: "provisioning@msp.example".into(),
            mfa: false,
            pricing: PricingMode::Production,
            default_storage_needed: true,
            customer_id: "42".into(),
        },
        started_at: at("2024-01-20T08:59:00Z"),
        tenant_id: Some(TENANT.into()),
    };
    let expected = vec![Action::ResumePendingProvisioning {
        pending: pending.clone(),
    }];
    for (name, policy) in [
        ("automatic", by_company_name()),
        (
            "switched to manual meanwhile",
            ProvisioningPolicy {
                auto_create: false,
                ..by_company_name()
            },
        ),
    ] {
        let situation = CompanySituation {
            pending: Some(pending.clone()),
            ..unmapped(&services)
        };
        let plan = plan_company(&situation, &policy, &deprovision_10_30(), now());
        assert_eq!(plan.actions, expected, "{name}");
    }
    // Crash after the mapping was written but before the record was dropped.
    let situation = CompanySituation {
        pending: Some(pending.clone()),
        ..mapped(&services, None, tenant(true))
    };
    let plan = plan_company(&situation, &by_company_name(), &deprovision_10_30(), now());
    assert_eq!(plan.actions, expected, "mapped with a leftover record");
}

#[test]
fn one_full_calendar_month_of_trial() {
    let cases = [
        ("2024-01-15T10:00:00Z", "2024-03-01"),
        ("2024-01-01T00:00:00Z", "2024-02-01"),
        ("2024-01-01T23:30:00Z", "2024-02-01"),
        ("2024-01-02T00:00:00Z", "2024-03-01"),
        ("2024-01-31T12:00:00Z", "2024-03-01"),
        ("2023-12-15T12:00:00Z", "2024-02-01"),
        ("2023-11-01T12:00:00Z", "2023-12-01"),
        ("2024-02-29T12:00:00Z", "2024-04-01"),
    ];
    for (start, due) in cases {
        assert_eq!(
            production_due_on(at(start)),
            Some(d(due)),
            "trial from {start}"
        );
    }
}

#[test]
fn trial_switches_to_production_after_a_full_month() {
    let services = with_services();
    let none = without_services();
    let trial = |since: &str| ObservedTenant::Exists {
        enabled: true,
        ancestral_access: true,
        support_access_disabled: false,
        pricing: TenantPricing::Trial { since: at(since) },
    };
    let switch = vec![Action::SwitchToProduction { tenant_id: tid() }];
    let cases: Vec<(&str, CompanySituation<'_>, &str, Vec<Action>)> = vec![
        (
            "a month later by date is not a full calendar month",
            mapped(&services, None, trial("2024-01-15T10:00:00Z")),
            "2024-02-15T10:00:00Z",
            vec![],
        ),
        (
            "Feb 14",
            mapped(&services, None, trial("2024-01-15T10:00:00Z")),
            "2024-02-14T12:00:00Z",
            vec![],
        ),
        (
            "last minute of February",
            mapped(&services, None, trial("2024-01-15T10:00:00Z")),
            "2024-02-29T23:59:59Z",
            vec![],
        ),
        (
            "Mar 1: February was complete",
            mapped(&services, None, trial("2024-01-15T10:00:00Z")),
            "2024-03-01T00:00:00Z",
            switch.clone(),
        ),
        (
            "long overdue",
            mapped(&services, None, trial("2023-06-15T10:00:00Z")),
            "2024-03-01T00:00:00Z",
            switch.clone(),
        ),
        (
            "trial from the 1st: due the next 1st",
            mapped(&services, None, trial("2024-01-01T08:00:00Z")),
            "2024-02-01T00:00:00Z",
            switch.clone(),
        ),
        (
            "already production",
            mapped(&services, None, tenant(true)),
            "2024-03-01T00:00:00Z",
            vec![],
        ),
        (
            "no services: never promoted while deprovisioning",
            mapped(
                &none,
                Some("2024-02-25T00:00:00Z"),
                trial("2024-01-15T10:00:00Z"),
            ),
            "2024-03-01T00:00:00Z",
            vec![],
        ),
    ];
    for (name, situation, now, expected) in cases {
        let plan = plan_company(
            &situation,
            &by_company_name(),
            &DeprovisioningPolicy::default(),
            at(now),
        );
        assert_eq!(plan.actions, expected, "{name}");
    }
}

#[test]
fn the_trial_month_counts_from_the_mapping_when_it_is_later() {
    let services = with_services();
    let trial_since = at("2023-10-10T08:00:00Z");
    let old_trial = ObservedTenant::Exists {
        enabled: true,
        ancestral_access: true,
        support_access_disabled: false,
        pricing: TenantPricing::Trial { since: trial_since },
    };
    let mapped_on = |when: &str| CompanySituation {
        mapping: Some(CurrentMapping {
            tenant_id: tid(),
            mapped_at: at(when),
            no_services_since: None,
            tenant_kind: MappedTenantKind::Customer,
            deletion: None,
        }),
        ..mapped(&services, None, old_trial.clone())
    };
    let switch = vec![Action::SwitchToProduction { tenant_id: tid() }];
    let cases: Vec<(&str, &str, &str, Vec<Action>)> = vec![
        (
            "a trial tenant of 3 months mapped by hand today is not switched",
            "2024-01-20T08:00:00Z",
            "2024-01-20T09:00:00Z",
            vec![],
        ),
        (
            "… nor on the 1st of the next month (January was not complete)",
            "2024-01-20T08:00:00Z",
            "2024-02-01T00:00:00Z",
            vec![],
        ),
        (
            "… nor on the last day of February",
            "2024-01-20T08:00:00Z",
            "2024-02-29T23:59:59Z",
            vec![],
        ),
        (
            "… but once February, a full month under the bridge, is over",
            "2024-01-20T08:00:00Z",
            "2024-03-01T00:00:00Z",
            switch.clone(),
        ),
        (
            "mapped on the 1st: due the next 1st",
            "2024-01-01T10:00:00Z",
            "2024-02-01T00:00:00Z",
            switch.clone(),
        ),
        (
            "mapped before the tenant existed (automatic provisioning): its own start counts",
            "2023-10-10T07:59:00Z",
            "2023-12-01T00:00:00Z",
            switch.clone(),
        ),
    ];
    for (name, mapped_at, now, expected) in cases {
        let plan = plan_company(
            &mapped_on(mapped_at),
            &by_company_name(),
            &DeprovisioningPolicy::default(),
            at(now),
        );
        assert_eq!(plan.actions, expected, "{name}");
    }
    assert_eq!(
        trial_clock_start(trial_since, at("2024-01-20T08:00:00Z")),
        at("2024-01-20T08:00:00Z")
    );
    assert_eq!(trial_clock_start(trial_since, long_ago()), trial_since);
}

#[test]
fn deprovisioning_day_counters() {
    let none = without_services();
    let since = "2024-01-01T12:00:00Z";
    let day = |n: u32| format!("2024-01-{:02}T00:00:00Z", 1 + n);
    /// (name, clock started, tenant enabled, policy, now, expected actions)
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        bool,
        DeprovisioningPolicy,
        String,
        Vec<Action>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "first sweep without services: zero quotas, then start the clock",
            None,
            true,
            deprovision_10_30(),
            day(0),
            vec![
                Action::ZeroQuotas { tenant_id: tid() },
                Action::StartDeprovisioningClock {
                    tenant_id: tid(),
                    since: at(&day(0)),
                },
            ],
        ),
        (
            "first sweep with quotas-to-zero off",
            None,
            true,
            DeprovisioningPolicy {
                quotas_to_zero: false,
                ..deprovision_10_30()
            },
            day(0),
            vec![Action::StartDeprovisioningClock {
                tenant_id: tid(),
                since: at(&day(0)),
            }],
        ),
        (
            "day 9 (last minute): nothing",
            Some(since),
            true,
            deprovision_10_30(),
            "2024-01-10T23:59:59Z".into(),
            vec![],
        ),
        (
            "day 10: disable",
            Some(since),
            true,
            deprovision_10_30(),
            day(10),
            vec![Action::DisableTenant { tenant_id: tid() }],
        ),
        (
            "day 10, already disabled: nothing",
            Some(since),
            false,
            deprovision_10_30(),
            day(10),
            vec![],
        ),
        (
            "day 29, disabled: nothing",
            Some(since),
            false,
            deprovision_10_30(),
            day(29),
            vec![],
        ),
        (
            "day 30, disabled: delete",
            Some(since),
            false,
            deprovision_10_30(),
            day(30),
            vec![Action::DeleteTenant { tenant_id: tid() }],
        ),
        (
            "day 30, still enabled (re-enabled by hand): disable first, never delete",
            Some(since),
            true,
            deprovision_10_30(),
            day(30),
            vec![Action::DisableTenant { tenant_id: tid() }],
        ),
        (
            "delete on but disable off, day 30: disable first",
            Some(since),
            true,
            DeprovisioningPolicy {
                disable_after_days: None,
                ..deprovision_10_30()
            },
            day(30),
            vec![Action::DisableTenant { tenant_id: tid() }],
        ),
        (
            "disable off, day 15: nothing",
            Some(since),
            true,
            DeprovisioningPolicy {
                disable_after_days: None,
                ..deprovision_10_30()
            },
            day(15),
            vec![],
        ),
        (
            "delete off, day 300, disabled: nothing",
            Some(since),
            false,
            DeprovisioningPolicy {
                delete_after_days: None,
                ..deprovision_10_30()
            },
            "2024-10-27T00:00:00Z".into(),
            vec![],
        ),
        (
            "everything off: only the clock",
            None,
            true,
            DeprovisioningPolicy::default(),
            day(0),
            vec![Action::StartDeprovisioningClock {
                tenant_id: tid(),
                since: at(&day(0)),
            }],
        ),
        (
            "zero days: disable on the first sweep",
            None,
            true,
            DeprovisioningPolicy {
                quotas_to_zero: false,
                disable_after_days: Some(0),
                delete_after_days: None,
                delete_notice_days: 7,
            },
            day(0),
            vec![
                Action::StartDeprovisioningClock {
                    tenant_id: tid(),
                    since: at(&day(0)),
                },
                Action::DisableTenant { tenant_id: tid() },
            ],
        ),
    ];
    for (name, clock, enabled, policy, now, expected) in cases {
        let mut situation = mapped(&none, clock, tenant(enabled));
        // The deletion notices served long ago: these cases are about the days.
        if let (Some(mapping), Some(since)) = (situation.mapping.as_mut(), clock) {
            mapping.deletion = watch_deletion(None, at(since), enabled, &policy, long_ago());
        }
        let plan = plan_company(&situation, &by_company_name(), &policy, at(&now));
        assert_eq!(plan.actions, expected, "{name}");
    }
}

/// Runs the planner once a day against a simulated tenant, applying its actions, and
/// checks the whole deprovisioning story: disable on day N, delete on day M (never
/// before the notice days since the disable), and never a delete of an enabled tenant.
#[test]
fn deprovisioning_story_never_deletes_before_disabling() {
    let none = without_services();
    for (disable, delete, disabled_on, deleted_on) in [
        // Deleted once disabled for the 7 notice days (seen disabled the day after).
        (Some(10), Some(30), Some(10), Some(30)),
        (None, Some(30), Some(30), Some(38)),
        (Some(10), None, Some(10), None),
        (Some(30), Some(10), Some(10), Some(18)),
    ] {
        let policy = DeprovisioningPolicy {
            quotas_to_zero: true,
            disable_after_days: disable,
            delete_after_days: delete,
            delete_notice_days: 7,
        };
        let mut clock: Option<DateTime<Utc>> = None;
        let mut watch = None;
        let mut enabled = true;
        let mut deleted = false;
        let mut still_mapped = true;
        let (mut saw_disable, mut saw_delete) = (None, None);
        let start = at("2024-03-01T06:00:00Z");
        for n in 0..45u32 {
            let now = start + chrono::Duration::days(i64::from(n));
            let observed = if deleted {
                ObservedTenant::Deleted
            } else {
                tenant(enabled)
            };
            if !still_mapped {
                break;
            }
            // DeleteTenant's apply would drop the mapping too; keep it to exercise the
            // crash in between, which ForgetMapping cleans up.
            let situation = mapped(&none, None, observed);
            let situation = CompanySituation {
                mapping: Some(CurrentMapping {
                    tenant_id: tid(),
                    mapped_at: long_ago(),
                    no_services_since: clock,
                    tenant_kind: MappedTenantKind::Customer,
                    deletion: watch.clone(),
                }),
                ..situation
            };
            let plan = plan_company(&situation, &by_company_name(), &policy, now);
            for action in plan.actions {
                match action {
                    Action::StartDeprovisioningClock { since, .. } => clock = Some(since),
                    Action::DisableTenant { .. } => {
                        assert!(enabled, "disable of a disabled tenant");
                        enabled = false;
                        saw_disable.get_or_insert(n);
                    }
                    Action::DeleteTenant { .. } => {
                        assert!(!enabled, "delete before disable ({disable:?}/{delete:?})");
                        deleted = true;
                        saw_delete.get_or_insert(n);
                    }
                    Action::ForgetMapping { .. } => {
                        assert!(deleted);
                        still_mapped = false;
                    }
                    Action::ZeroQuotas { .. } => assert_eq!(n, 0),
                    Action::WatchDeletion { watch: w, .. } => watch = w,
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(
            saw_disable, disabled_on,
            "disable day for {disable:?}/{delete:?}"
        );
        assert_eq!(
            saw_delete, deleted_on,
            "delete day for {disable:?}/{delete:?}"
        );
    }
}

#[test]
fn services_returning_stop_the_clock_and_re_enable() {
    let services = with_services();
    let since = Some("2024-01-01T12:00:00Z");
    let cases: Vec<(&str, CompanySituation<'_>, Vec<Action>)> = vec![
        (
            "disabled by deprovisioning: enable, then stop the clock",
            mapped(&services, since, tenant(false)),
            vec![
                Action::EnableTenant { tenant_id: tid() },
                Action::StopDeprovisioningClock { tenant_id: tid() },
            ],
        ),
        (
            "still enabled: stop the clock",
            mapped(&services, since, tenant(true)),
            vec![Action::StopDeprovisioningClock { tenant_id: tid() }],
        ),
        (
            "disabled by hand, no clock: left alone",
            mapped(&services, None, tenant(false)),
            vec![],
        ),
        (
            "steady state: nothing",
            mapped(&services, None, tenant(true)),
            vec![],
        ),
    ];
    for (name, situation, expected) in cases {
        let plan = plan_company(&situation, &by_company_name(), &deprovision_10_30(), now());
        assert_eq!(plan.actions, expected, "{name}");
    }
}

#[test]
fn guarded_and_unreadable_tenants_are_never_changed() {
    let services = with_services();
    let none = without_services();
    let guarded = |ancestral_access: bool, support_access_disabled: bool| ObservedTenant::Exists {
        enabled: false,
        ancestral_access,
        support_access_disabled,
        pricing: TenantPricing::Trial {
            since: at("2023-01-15T00:00:00Z"),
        },
    };
    let old_clock = Some("2023-01-01T00:00:00Z");
    let cases: Vec<(&str, CompanySituation<'_>, Vec<Action>)> = vec![
        (
            "self-service, deletion long due",
            mapped(&none, old_clock, guarded(false, false)),
            vec![Action::Skip {
                reason: SkipReason::SelfService,
            }],
        ),
        (
            "self-service, clock not started",
            mapped(&none, None, guarded(false, false)),
            vec![Action::Skip {
                reason: SkipReason::SelfService,
            }],
        ),
        (
            "support access disabled, services returned, trial over",
            mapped(&services, old_clock, guarded(true, true)),
            vec![Action::Skip {
                reason: SkipReason::SupportAccessDisabled,
            }],
        ),
        (
            "tenant could not be read",
            CompanySituation {
                tenant: None,
                ..mapped(&none, old_clock, tenant(false))
            },
            vec![Action::Skip {
                reason: SkipReason::TenantStateUnknown,
            }],
        ),
        (
            "deleted after deprovisioning: forget the mapping",
            mapped(&none, old_clock, ObservedTenant::Deleted),
            vec![Action::ForgetMapping { tenant_id: tid() }],
        ),
        (
            "deleted by hand while services remain: reported",
            mapped(&services, None, ObservedTenant::Deleted),
            vec![Action::Skip {
                reason: SkipReason::MappedTenantDeleted,
            }],
        ),
        (
            "sub-partner without services, deletion long due",
            sub_partner(mapped(&none, old_clock, tenant(true))),
            vec![Action::Skip {
                reason: SkipReason::SubPartner,
            }],
        ),
        (
            "sub-partner without services, clock not started",
            sub_partner(mapped(&none, None, tenant(true))),
            vec![Action::Skip {
                reason: SkipReason::SubPartner,
            }],
        ),
        (
            "sub-partner with services, disabled, trial over",
            sub_partner(mapped(&services, old_clock, guarded(true, false))),
            vec![Action::Skip {
                reason: SkipReason::SubPartner,
            }],
        ),
        (
            "sub-partner gone from Acronis",
            sub_partner(mapped(&none, None, ObservedTenant::Deleted)),
            vec![Action::Skip {
                reason: SkipReason::SubPartner,
            }],
        ),
    ];
    for (name, situation, expected) in cases {
        let plan = plan_company(&situation, &by_company_name(), &deprovision_10_30(), now());
        assert_eq!(plan.actions, expected, "{name}");
        assert_eq!(
            plan.changes().count() + plan.skips().count(),
            plan.actions.len()
        );
    }
}

/// A mapping whose clock started at `since`, its deletion notices served on time
/// (listed from the clock's start, disabled on day 10).
fn clocked(company_id: i64, since: Option<&str>) -> ClockedMapping {
    ClockedMapping {
        company_id,
        tenant_id: format!("t-{company_id}"),
        no_services_since: since.map(at),
        deletion: since.map(|s| DeletionWatch {
            listed_for: at(s).date_naive() + chrono::Days::new(30),
            listed_since: at(s),
            disabled_since: Some(at(s) + chrono::Duration::days(10)),
        }),
    }
}

#[test]
fn deletion_forecast_lists_due_tenants_soonest_first() {
    let mapping = clocked;
    let mappings = vec![
        mapping(1, Some("2024-01-01T12:00:00Z")), // delete Jan 31
        mapping(2, Some("2024-01-20T00:00:00Z")), // delete Feb 19
        mapping(3, None),
        mapping(4, Some("2023-12-01T00:00:00Z")), // overdue: Dec 31
    ];
    let now = at("2024-01-25T09:00:00Z");
    let ids = |f: &[DeletionForecast]| f.iter().map(|x| x.company_id).collect::<Vec<_>>();

    let week = deletion_forecast(&mappings, &deprovision_10_30(), now, 7);
    assert_eq!(ids(&week), vec![4, 1]);
    assert_eq!(
        week[1],
        DeletionForecast {
            company_id: 1,
            tenant_id: "t-1".into(),
            disable_on: Some(d("2024-01-11")),
            delete_on: d("2024-01-31"),
        }
    );
    assert_eq!(
        ids(&deletion_forecast(&mappings, &deprovision_10_30(), now, 5)),
        vec![4]
    );
    assert_eq!(
        ids(&deletion_forecast(&mappings, &deprovision_10_30(), now, 30)),
        vec![4, 1, 2]
    );
    let delete_off = DeprovisioningPolicy {
        delete_after_days: None,
        ..deprovision_10_30()
    };
    assert!(deletion_forecast(&mappings, &delete_off, now, 365).is_empty());
    let disable_off = DeprovisioningPolicy {
        disable_after_days: None,
        ..deprovision_10_30()
    };
    assert_eq!(
        deletion_forecast(&mappings, &disable_off, now, 7)[1].disable_on,
        None
    );
}

#[test]
fn disable_forecast_lists_tenants_due_to_be_disabled_soonest_first() {
    let mapping = clocked;
    let mappings = vec![
        mapping(1, Some("2024-01-20T12:00:00Z")), // disable Jan 30, delete Feb 19
        mapping(2, Some("2024-01-24T00:00:00Z")), // disable Feb 3
        mapping(3, None),
        mapping(4, Some("2024-01-01T00:00:00Z")), // overdue: disabled Jan 11
    ];
    let now = at("2024-01-25T09:00:00Z");
    let ids = |f: &[DisableForecast]| f.iter().map(|x| x.company_id).collect::<Vec<_>>();

    let week = disable_forecast(&mappings, &deprovision_10_30(), now, 7);
    assert_eq!(ids(&week), vec![4, 1]);
    assert_eq!(
        week[1],
        DisableForecast {
            company_id: 1,
            tenant_id: "t-1".into(),
            disable_on: d("2024-01-30"),
            delete_on: Some(d("2024-02-19")),
        }
    );
    assert_eq!(
        ids(&disable_forecast(&mappings, &deprovision_10_30(), now, 9)),
        vec![4, 1, 2]
    );
    assert_eq!(
        ids(&disable_forecast(&mappings, &deprovision_10_30(), now, 0)),
        vec![4]
    );
    // Deleting off: the disables are still announced, without a delete date.
    let delete_off = DeprovisioningPolicy {
        delete_after_days: None,
        ..deprovision_10_30()
    };
    let only_disable = disable_forecast(&mappings, &delete_off, now, 7);
    assert_eq!(ids(&only_disable), vec![4, 1]);
    assert_eq!(only_disable[1].delete_on, None);
    // Disabling off: nothing is disabled before its deletion.
    let disable_off = DeprovisioningPolicy {
        disable_after_days: None,
        ..deprovision_10_30()
    };
    assert!(disable_forecast(&mappings, &disable_off, now, 365).is_empty());
    // A delete date before the disable date disables then.
    let delete_first = DeprovisioningPolicy {
        disable_after_days: Some(20),
        delete_after_days: Some(3),
        ..deprovision_10_30()
    };
    let early = disable_forecast(&mappings, &delete_first, now, 0);
    assert_eq!(ids(&early), vec![4, 1]);
    assert_eq!(early[1].disable_on, d("2024-01-23"));
}

#[test]
fn new_tenant_for_is_the_planners_naming_rule_and_ignores_auto_create() {
    let services = with_services();
    let situation = unmapped(&services);
    let plan = plan_company(&situation, &by_company_name(), &deprovision_10_30(), now());
    let Some(Action::CreateTenant(planned)) = plan.actions.first() else {
        panic!("expected CreateTenant, got {:?}", plan.actions);
    };
    let direct = new_tenant_for(
        COMPANY,
        &situation.company_name,
        None,
        &services,
        &by_company_name(),
    );
    assert_eq!(direct.as_ref(), Ok(planned));

    // Manual mode (the mapping API) still names the tenant; no contract yet means the
    // default storage is needed.
    let manual = ProvisioningPolicy {
        auto_create: false,
        ..by_contact()
    };
    let empty = without_services();
    let jane = contact(" Jane ", "Doe", Some("jane@contoso.example"));
    let tenant = new_tenant_for(COMPANY, "Contoso Ltd.", jane.as_ref(), &empty, &manual)
        .expect("named after the contact");
    assert_eq!(tenant.name, "Jane Doe");
    assert_eq!(tenant.admin_login, "jane.doe.42");
    assert_eq!(tenant.activation_email, "jane@contoso.example");
    assert_eq!(tenant.customer_id, "42");
    assert!(tenant.default_storage_needed);

    assert_eq!(
        new_tenant_for(COMPANY, "Contoso Ltd.", None, &empty, &manual),
        Err(SkipReason::NoPrimaryContact)
    );
    assert_eq!(
        new_tenant_for(0, "MSP", None, &empty, &by_company_name()),
        Err(SkipReason::MspOwnCompany)
    );
}

#[test]
fn admin_logins_are_deterministic_and_safe() {
    let cases = [
        ("Contoso Ltd.", "contoso.ltd.42"),
        ("Jane Doe", "jane.doe.42"),
        ("  Müller & Söhne GmbH ", "m.ller.s.hne.gmbh.42"),
        ("***", "autotask.42"),
        ("", "autotask.42"),
        (
            "A very long company name that goes on and on and on",
            "a.very.long.company.name.that.goes.on.an.42",
        ),
    ];
    for (name, login) in cases {
        assert_eq!(admin_login(name, COMPANY), login, "{name:?}");
    }
}

#[test]
fn plan_serialises_with_tagged_actions() {
    let services = with_services();
    let plan = plan_company(
        &unmapped(&services),
        &by_company_name(),
        &deprovision_10_30(),
        now(),
    );
    let json = serde_json::to_value(&plan).expect("serialise");
    assert_eq!(json["actions"][0]["action"], "create_tenant");
    assert_eq!(json["actions"][0]["name"], "Contoso Ltd.");
    let back: Plan = serde_json::from_value(json).expect("deserialise");
    assert_eq!(back, plan);
    assert_eq!(
        SkipReason::ManualProvisioning.to_string(),
        "manual provisioning: map the company with the mapping API"
    );
}

// ---------------------------------------------------------------------------------------
// Blast-radius guard
// ---------------------------------------------------------------------------------------

mod guard {
    use super::super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap()
    }

    fn tenant(company: i64) -> String {
        format!("t{company}")
    }

    /// A company starting deprovisioning: quotas to zero, clock started.
    fn starting(company: i64) -> Plan {
        Plan {
            company_id: company,
            actions: vec![
                Action::ZeroQuotas {
                    tenant_id: tenant(company),
                },
                Action::StartDeprovisioningClock {
                    tenant_id: tenant(company),
                    since: at(),
                },
            ],
        }
    }

    fn disabling(company: i64) -> Plan {
        Plan {
            company_id: company,
            actions: vec![Action::DisableTenant {
                tenant_id: tenant(company),
            }],
        }
    }

    fn switching(company: i64) -> Plan {
        Plan {
            company_id: company,
            actions: vec![Action::SwitchToProduction {
                tenant_id: tenant(company),
            }],
        }
    }

    fn hold(company: i64, released: bool) -> (i64, DeprovisioningHold) {
        (
            company,
            DeprovisioningHold {
                held_at: at(),
                actions: starting(company).actions,
                released_at: released.then(at),
                released_by: released.then(|| "operator".into()),
            },
        )
    }

    fn ids(plans: &[Plan]) -> Vec<i64> {
        plans.iter().map(|p| p.company_id).collect()
    }

    #[test]
    fn the_limit_is_the_larger_of_the_count_and_the_share() {
        let default = HoldThreshold::default();
        for (mapped, limit) in [(0, 5), (10, 5), (59, 5), (60, 6), (100, 10), (1000, 100)] {
            assert_eq!(default.limit(mapped), limit, "{mapped} mapped");
        }
        let strict = HoldThreshold {
            companies: 0,
            percent: 0,
        };
        assert_eq!(strict.limit(1000), 0);
        let share_only = HoldThreshold {
            companies: 0,
            percent: 50,
        };
        assert_eq!(share_only.limit(7), 3, "rounded down");
    }

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            plans: Vec<Plan>,
            holds: Vec<(i64, DeprovisioningHold)>,
            mapped: usize,
            held: Vec<i64>,
            cleared: Vec<i64>,
        }
        let many = |n: i64| (1..=n).map(starting).collect::<Vec<_>>();
        let skipped = |company: i64| Plan {
            company_id: company,
            actions: vec![Action::Skip {
                reason: SkipReason::TenantStateUnknown,
            }],
        };
        let cases = vec![
            Case {
                name: "at the limit everything goes ahead",
                plans: many(5),
                holds: vec![],
                mapped: 20,
                held: vec![],
                cleared: vec![],
            },
            Case {
                name: "one above the limit holds every deprovisioning company",
                plans: many(6),
                holds: vec![],
                mapped: 20,
                held: vec![1, 2, 3, 4, 5, 6],
                cleared: vec![],
            },
            Case {
                name: "the share of many mapped companies raises the limit",
                plans: many(9),
                holds: vec![],
                mapped: 90,
                held: vec![],
                cleared: vec![],
            },
            Case {
                name: "disables count like starts",
                plans: (1..=6).map(disabling).collect(),
                holds: vec![],
                mapped: 20,
                held: vec![1, 2, 3, 4, 5, 6],
                cleared: vec![],
            },
            Case {
                name: "other actions are neither counted nor held",
                plans: (1..=10).map(switching).chain([starting(11)]).collect(),
                holds: vec![],
                mapped: 20,
                held: vec![],
                cleared: vec![],
            },
            Case {
                name: "a held company stays held below the limit until released",
                plans: many(2),
                holds: vec![hold(1, false)],
                mapped: 20,
                held: vec![1],
                cleared: vec![],
            },
            Case {
                name: "held companies count: with them the new ones exceed the limit",
                plans: many(7),
                holds: vec![hold(1, false), hold(2, false), hold(3, false)],
                mapped: 20,
                held: vec![1, 2, 3, 4, 5, 6, 7],
                cleared: vec![],
            },
            Case {
                name: "released companies go ahead and are not counted",
                plans: many(8),
                holds: vec![hold(1, true), hold(2, true), hold(3, true)],
                mapped: 20,
                held: vec![],
                cleared: vec![1, 2, 3],
            },
            Case {
                name: "a held or released company the planner skipped keeps its hold untouched",
                plans: vec![skipped(1), starting(2), skipped(3)],
                holds: vec![hold(1, false), hold(3, true)],
                mapped: 20,
                held: vec![],
                cleared: vec![],
            },
            Case {
                name: "a hold with nothing left to deprovision is cleared",
                plans: vec![switching(1), starting(2)],
                holds: vec![hold(1, false)],
                mapped: 20,
                held: vec![],
                cleared: vec![1],
            },
        ];
        for case in cases {
            let mut plans = case.plans.clone();
            let holds: BTreeMap<_, _> = case.holds.into_iter().collect();
            let guarded =
                guard_deprovisioning(&mut plans, &holds, case.mapped, HoldThreshold::default());
            assert_eq!(ids(&guarded.held), case.held, "{}: held", case.name);
            assert_eq!(guarded.cleared, case.cleared, "{}: cleared", case.name);
            let untouched: Vec<i64> = holds
                .keys()
                .copied()
                .filter(|c| !case.held.contains(c) && !case.cleared.contains(c))
                .collect();
            assert_eq!(guarded.untouched, untouched, "{}: untouched", case.name);
            for plan in &plans {
                let held = case.held.contains(&plan.company_id);
                assert_eq!(
                    plan.actions.iter().any(is_deprovisioning),
                    !held
                        && case.plans.iter().any(|p| p.company_id == plan.company_id
                            && p.actions.iter().any(is_deprovisioning)),
                    "{}: company {} keeps its deprovisioning actions only when not held",
                    case.name,
                    plan.company_id
                );
            }
        }
    }

    #[test]
    fn held_actions_are_taken_out_and_the_rest_stays() {
        let mut plans: Vec<Plan> = (1..=6).map(starting).collect();
        plans[0].actions.push(Action::Skip {
            reason: SkipReason::TenantStateUnknown,
        });
        let guarded =
            guard_deprovisioning(&mut plans, &BTreeMap::new(), 10, HoldThreshold::default());
        assert_eq!(guarded.held[0], starting(1));
        assert_eq!(
            plans[0].actions,
            vec![Action::Skip {
                reason: SkipReason::TenantStateUnknown
            }]
        );
        assert_eq!((guarded.deprovisioning, guarded.limit), (6, 5));
    }
}

/// The checks before a deletion: the tenant disabled, and its deletion date listed, for
/// the notice days; a new date (the settings changed) starts the listing again.
#[test]
fn deletion_waits_for_its_notice() {
    let none = without_services();
    let since = "2024-01-01T12:00:00Z";
    let policy = deprovision_10_30();
    let delete_on = NaiveDate::from_ymd_opt(2024, 1, 31).expect("date");
    let watch = |listed: &str, disabled: Option<&str>| DeletionWatch {
        listed_for: delete_on,
        listed_since: at(listed),
        disabled_since: disabled.map(at),
    };
    let day = |n: u32| format!("2024-01-{:02}T12:00:00Z", 1 + n);
    let delete = Action::DeleteTenant { tenant_id: tid() };
    /// (case, the stored watch, tenant enabled, now, the plan).
    type Case<'a> = (&'a str, Option<DeletionWatch>, bool, String, Vec<Action>);
    let cases: Vec<Case<'_>> = vec![
        (
            "first run with the clock running: listed, nothing else",
            None,
            true,
            day(1),
            vec![Action::WatchDeletion {
                tenant_id: tid(),
                watch: Some(watch(&day(1), None)),
            }],
        ),
        (
            "seen disabled: the notice starts",
            Some(watch(&day(1), None)),
            false,
            day(11),
            vec![Action::WatchDeletion {
                tenant_id: tid(),
                watch: Some(watch(&day(1), Some(&day(11)))),
            }],
        ),
        (
            "day 30, disabled only 3 days: not yet",
            Some(watch(&day(1), Some(&day(27)))),
            false,
            day(30),
            vec![],
        ),
        (
            "day 30, listed only 3 days: not yet",
            Some(watch(&day(27), Some(&day(11)))),
            false,
            day(30),
            vec![],
        ),
        (
            "day 30, both notices served: delete",
            Some(watch(&day(1), Some(&day(11)))),
            false,
            day(30),
            vec![delete.clone()],
        ),
        (
            "disabled for exactly 7 days: delete",
            Some(watch(&day(1), Some(&day(23)))),
            false,
            day(30),
            vec![delete],
        ),
        (
            "re-enabled by hand: the disabled notice goes, disable again",
            Some(watch(&day(1), Some(&day(11)))),
            true,
            day(30),
            vec![
                Action::WatchDeletion {
                    tenant_id: tid(),
                    watch: Some(watch(&day(1), None)),
                },
                Action::DisableTenant { tenant_id: tid() },
            ],
        ),
        (
            "the delete date moved (settings changed): listed again from today",
            Some(DeletionWatch {
                listed_for: NaiveDate::from_ymd_opt(2024, 3, 1).expect("date"),
                ..watch(&day(1), Some(&day(11)))
            }),
            false,
            day(30),
            vec![Action::WatchDeletion {
                tenant_id: tid(),
                watch: Some(watch(&day(30), Some(&day(11)))),
            }],
        ),
    ];
    for (name, old, enabled, now, expected) in cases {
        let mut situation = mapped(&none, Some(since), tenant(enabled));
        if let Some(mapping) = situation.mapping.as_mut() {
            mapping.deletion = old;
        }
        let plan = plan_company(&situation, &by_company_name(), &policy, at(&now));
        assert_eq!(plan.actions, expected, "{name}");
    }

    // Deleting switched off: the watch goes.
    let mut situation = mapped(&none, Some(since), tenant(false));
    if let Some(mapping) = situation.mapping.as_mut() {
        mapping.deletion = Some(watch(&day(1), Some(&day(11))));
    }
    let off = DeprovisioningPolicy {
        delete_after_days: None,
        ..deprovision_10_30()
    };
    let plan = plan_company(&situation, &by_company_name(), &off, at(&day(30)));
    assert_eq!(
        plan.actions,
        vec![Action::WatchDeletion {
            tenant_id: tid(),
            watch: None
        }]
    );
}

#[test]
fn the_forecast_date_is_the_latest_of_the_delete_date_and_the_notices() {
    let policy = deprovision_10_30();
    let since = at("2024-01-01T12:00:00Z");
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let listed = |on: &str, disabled: Option<&str>| DeletionWatch {
        listed_for: date(2024, 1, 31),
        listed_since: at(on),
        disabled_since: disabled.map(at),
    };
    for (name, watch, today, expected) in [
        (
            "nothing seen yet: disable day 11 + 7 < day 30",
            None,
            date(2024, 1, 2),
            Some(date(2024, 1, 31)),
        ),
        (
            "listed late: its notice binds",
            Some(listed("2024-01-28T00:00:00Z", Some("2024-01-12T00:00:00Z"))),
            date(2024, 1, 28),
            Some(date(2024, 2, 4)),
        ),
        (
            "disabled late: its notice binds",
            Some(listed("2024-01-02T00:00:00Z", Some("2024-01-29T00:00:00Z"))),
            date(2024, 1, 29),
            Some(date(2024, 2, 5)),
        ),
        (
            "not listed by today's date: the notice counts from today",
            None,
            date(2024, 1, 29),
            Some(date(2024, 2, 5)),
        ),
    ] {
        assert_eq!(
            deletion_date(since, watch.as_ref(), &policy, today),
            expected,
            "{name}"
        );
    }
    let off = DeprovisioningPolicy {
        delete_after_days: None,
        ..policy
    };
    assert_eq!(deletion_date(since, None, &off, date(2024, 1, 2)), None);
}
