//! Usage reporting end to end: PAYG contracts in the Autotask simulator, the real
//! contract poller storing snapshots, usage set in the Acronis simulator (as Acronis
//! reports it), the real usage-report job writing contract unit adjustments, a real
//! store. The clocks of the bridge and of both simulators are set, never slept.

use crate::support::*;
use bridge_core::events::{ChangeReason, CompanyContractsChanged};
use bridge_core::mapping::MappedTenantKind;
use bridge_core::settings::{ReportingPeriod, Settings};
use bridge_jobs::usage_report::UsageReportWithin;
use bridge_jobs::{Invocation, JobSummary, Trigger, harness, run_job};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use simulators::common::{FaultKind, FaultRule};

const GIB: u64 = 1 << 30;
const STORAGE_FREE: i64 = 7;
const AZURE: i64 = 9;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid time")
}

/// The bridge's clock and both simulators' clocks at `when`.
fn set_time(world: &World, when: DateTime<Utc>) {
    world.set_now(when);
    world.autotask.core().clock.set(when);
    world.acronis.core().clock.set(when);
}

fn usage_settings(period: ReportingPeriod) -> Settings {
    let mut s = settings();
    s.usage_reporting.period = period;
    s
}

async fn report(world: &World, trigger: Trigger) -> JobSummary {
    run_job("usage-report", &world.ctx, &trigger, false)
        .await
        .unwrap_or_else(|e| panic!("usage report failed: {e}"))
}

fn scheduled() -> Trigger {
    Trigger::Schedule {
        name: "report".into(),
    }
}

/// A PAYG company with workstations, the storage rows and Azure on one contract,
/// provisioned by the poller; its tenant id.
async fn payg_company(world: &mut World, company: i64, contract: i64, payg: &str) -> String {
    let (first, email) = (format!("Ada{company}"), format!("ada{company}@example.com"));
    world.add_company(
        company,
        &format!("Company {company}"),
        (&first, "Lovelace", &email),
    );
    world.add_contract(contract, company, Some(payg));
    world.add_service(contract, WORKSTATIONS, 0);
    world.add_service(contract, STORAGE, 0);
    world.add_service(contract, STORAGE_FREE, 0);
    world.add_service(contract, STORAGE_BILLED, 0);
    world.add_service(contract, AZURE, 0);
    let swept = world.sweep().await;
    assert!(swept.failed.is_empty(), "{}", notes(&swept));
    world.drain_events();
    world.tenant_of(company)["id"]
        .as_str()
        .expect("tenant id")
        .to_owned()
}

fn event_for_the_nightly_sweep() -> CompanyContractsChanged {
    CompanyContractsChanged {
        version: bridge_core::events::DETAIL_VERSION,
        company_id: 100,
        snapshot_version: 1,
        changed_at: at(2026, 11, 12, 9),
        reason: ChangeReason::Sweep,
    }
}

fn set_usage(world: &World, tenant: &str, name: &str, value: u64) {
    let mut usage = json!({"name": name, "value": value});
    if name.contains("storage") {
        usage["infra_id"] = json!(STORAGE_INFRA);
    }
    world.acronis.set_usage(tenant, usage);
}

/// The guide's storage example: 60 GB used, 50 billed, 10 free; and 3 workstations.
fn guide_usage(world: &World, tenant: &str) {
    set_usage(world, tenant, "pw_base_workstations", 3);
    set_usage(world, tenant, "pw_base_storage", 60 * GIB);
    set_usage(world, tenant, "pw_base_storage_class1", 10 * GIB);
    set_usage(world, tenant, "pw_base_storage_class2", 50 * GIB);
}

/// Units of a contract service on the bridge's today.
fn units(world: &World, contract: i64, service: i64) -> i64 {
    let cs = world.contract_service(contract, service);
    world
        .units_today(cs)
        .unwrap_or_else(|| panic!("no units row of {cs} on {}", world.today()))
}

/// Adjustments the simulator received since its log was last cleared.
fn adjustments(world: &World) -> usize {
    world
        .autotask
        .core()
        .log
        .entries()
        .iter()
        .filter(|e| e.method == "POST" && e.path.contains("ServiceAdjustments"))
        .count()
}

#[tokio::test]
async fn payg_usage_becomes_contract_units_and_a_rerun_or_duplicate_event_writes_nothing() {
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    guide_usage(&world, &tenant);
    world.clear_logs();

    let first = report(&world, scheduled()).await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    assert_eq!(units(&world, 10, WORKSTATIONS), 3);
    assert_eq!(units(&world, 10, STORAGE), 60, "quota and total: 60 GB");
    assert_eq!(units(&world, 10, STORAGE_FREE), 10, "class 1 (free): 10 GB");
    assert_eq!(
        units(&world, 10, STORAGE_BILLED),
        50,
        "class 2 (billed): 50 GB"
    );
    assert_eq!(
        units(&world, 10, AZURE),
        0,
        "no Azure storage: the product stays at 0"
    );
    assert_eq!(adjustments(&world), 4, "{:?}", first.plan);
    assert_eq!(first.applied, 4);
    let reported = world.audit("usage.reported").await;
    assert!(
        reported.iter().any(|a| a
            .after
            .as_ref()
            .is_some_and(|v| v["units"] == 50 && v["period"] == "2026-11")),
        "{reported:?}"
    );

    // A rerun, and a duplicate change event for the company: nothing is written again.
    world.clear_logs();
    let rerun = report(&world, scheduled()).await;
    assert_eq!((rerun.planned, rerun.applied), (0, 0), "{:?}", rerun.plan);
    let event = CompanyContractsChanged {
        version: bridge_core::events::DETAIL_VERSION,
        company_id: 100,
        snapshot_version: 1,
        changed_at: at(2026, 11, 12, 9),
        reason: ChangeReason::ContractChanged,
    };
    let duplicate = report(&world, Trigger::ChangeEvent(event.clone())).await;
    let again = report(&world, Trigger::ChangeEvent(event)).await;
    assert_eq!(duplicate.applied + again.applied, 0);
    assert_eq!(adjustments(&world), 0, "no second adjustment");
    let nightly = report(
        &world,
        Trigger::ChangeEvent(CompanyContractsChanged {
            reason: ChangeReason::Sweep,
            ..event_for_the_nightly_sweep()
        }),
    )
    .await;
    assert!(
        notes(&nightly).contains("nightly-sweep announcement"),
        "{}",
        notes(&nightly)
    );

    // Usage moves inside the open period: the value is corrected, and audited as such.
    set_time(&world, at(2026, 11, 13, 9));
    set_usage(&world, &tenant, "pw_base_workstations", 5);
    let corrected = report(&world, scheduled()).await;
    assert_eq!(corrected.applied, 1, "{:?}", corrected.plan);
    assert_eq!(units(&world, 10, WORKSTATIONS), 5);
    let audit = world.audit("usage.corrected").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        audit[0].before.as_ref().expect("test value")["reported"],
        json!(3)
    );

    // An Azure storage assigned to the customer enables the one Azure product.
    world.acronis.add_storage(
        &tenant,
        json!({"name": "Azure (West Europe)", "backend_type": "azure"}),
    );
    let azure = report(&world, scheduled()).await;
    assert!(azure.failed.is_empty(), "{}", notes(&azure));
    assert_eq!(units(&world, 10, AZURE), 1);
}

#[tokio::test]
async fn missing_or_stale_usage_is_skipped_never_reported_as_zero() {
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    world.acronis.set_usage(
        &tenant,
        json!({"name": "pw_base_workstations", "value": 4, "updated_at": "2026-11-09T09:00:00Z"}),
    );
    let summary = report(&world, scheduled()).await;
    let notes = notes(&summary);
    assert!(notes.contains("is stale"), "{notes}");
    assert!(
        notes.contains("no usage figure for pw_base_storage"),
        "{notes}"
    );
    assert_eq!(summary.applied, 0);
    assert_eq!(units(&world, 10, WORKSTATIONS), 0);
}

#[tokio::test]
async fn a_tenant_whose_usage_call_fails_does_not_hold_back_the_others() {
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let good = payg_company(&mut world, 100, 10, "Yes").await;
    let bad = payg_company(&mut world, 101, 11, "Yes").await;
    guide_usage(&world, &good);
    guide_usage(&world, &bad);
    world.acronis.core().faults.add(FaultRule {
        route: "/tenants/usages".into(),
        query: Some(bad.clone()),
        method: None,
        kind: FaultKind::Status {
            status: 403,
            retry_after: None,
            body: None,
        },
        times: None,
    });
    let summary = report(&world, scheduled()).await;
    assert_eq!(
        units(&world, 10, WORKSTATIONS),
        3,
        "the good tenant is reported"
    );
    assert_eq!(units(&world, 11, WORKSTATIONS), 0, "the failing one is not");
    let failed: Vec<_> = summary.failed.iter().map(|n| n.subject.as_str()).collect();
    assert_eq!(failed, vec!["company:101"], "{}", notes(&summary));
    assert!(
        summary.failed[0].reason.contains("usage could not be read"),
        "{}",
        notes(&summary)
    );
    let record = world
        .store
        .get_usage_reports(&[101])
        .await
        .expect("test value");
    assert!(
        record[&101].last_error.is_some(),
        "the accounts route shows the failure"
    );
}

#[tokio::test]
async fn the_current_month_rolls_over_at_midnight_and_the_previous_month_is_reported_from_history()
{
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 30, 22));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    guide_usage(&world, &tenant);
    let november = report(&world, scheduled()).await;
    assert!(november.failed.is_empty(), "{}", notes(&november));
    assert_eq!(units(&world, 10, WORKSTATIONS), 3);

    // Past midnight, before Acronis refreshed: November's figures are not December's.
    set_time(&world, at(2026, 12, 1, 1));
    let early = report(&world, scheduled()).await;
    assert_eq!(early.applied, 0, "{:?}", early.plan);
    assert!(
        notes(&early).contains("no usage figure"),
        "{}",
        notes(&early)
    );

    set_usage(&world, &tenant, "pw_base_workstations", 7);
    guide_usage_keep_workstations(&world, &tenant);
    let december = report(&world, scheduled()).await;
    assert_eq!(units(&world, 10, WORKSTATIONS), 7);
    assert!(
        december.plan.iter().any(|l| l.contains("usage 2026-12")),
        "{:?}",
        december.plan
    );
    let cs = world.contract_service(10, WORKSTATIONS);
    assert_eq!(
        world
            .store
            .get_usage(cs, "2026-11")
            .await
            .expect("test value")
            .expect("test value")
            .value
            .units,
        3
    );
    assert_eq!(
        world
            .store
            .get_usage(cs, "2026-12")
            .await
            .expect("test value")
            .expect("test value")
            .value
            .units,
        7
    );

    // Switched to "previous calendar month": December reports November from what was
    // seen inside November (3), not today's 7; that period is already in the ledger.
    world
        .set_settings(|s| s.usage_reporting.period = ReportingPeriod::PreviousCalendarMonth)
        .await;
    let previous = report(&world, scheduled()).await;
    assert_eq!(previous.applied, 0, "{:?}", previous.plan);
    assert_eq!(
        units(&world, 10, WORKSTATIONS),
        7,
        "November's 3 was reported already"
    );
}

/// The storage figures again at the simulator's now (the class rows with them).
fn guide_usage_keep_workstations(world: &World, tenant: &str) {
    set_usage(world, tenant, "pw_base_storage", 60 * GIB);
    set_usage(world, tenant, "pw_base_storage_class1", 10 * GIB);
    set_usage(world, tenant, "pw_base_storage_class2", 50 * GIB);
}

#[tokio::test]
async fn a_custom_billing_month_is_reported_once_on_its_day_from_the_last_usage_seen_inside_it() {
    let mut world = World::start(usage_settings(ReportingPeriod::CustomBillingMonth)).await;
    world
        .set_settings(|s| s.usage_reporting.billing_month_start_day = 15)
        .await;
    set_time(&world, at(2026, 11, 14, 20));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    guide_usage(&world, &tenant);
    // The day before: nothing is reported, but the day's usage is kept in the history.
    let before = report(&world, scheduled()).await;
    assert!(notes(&before).contains("on day 15"), "{}", notes(&before));
    assert_eq!(
        before.read.get("usage history records written"),
        Some(&1),
        "{:?}",
        before.read
    );
    assert_eq!(units(&world, 10, WORKSTATIONS), 0, "nothing before the day");

    // On the 15th the period 2026-10-15 – 2026-11-14 is reported from the 14th's figures.
    set_time(&world, at(2026, 11, 15, 2));
    set_usage(&world, &tenant, "pw_base_workstations", 9);
    let day = report(&world, scheduled()).await;
    assert!(day.failed.is_empty(), "{}", notes(&day));
    assert!(
        day.plan.iter().any(|l| l.contains("usage 2026-10-15")),
        "{:?}",
        day.plan
    );
    assert_eq!(
        units(&world, 10, WORKSTATIONS),
        3,
        "the figure seen on the 14th, not 9"
    );

    // Later the same day, and the day after: reported once, never again.
    world.clear_logs();
    set_time(&world, at(2026, 11, 15, 9));
    let later = report(&world, scheduled()).await;
    assert_eq!(later.applied, 0, "{:?}", later.plan);
    set_time(&world, at(2026, 11, 16, 9));
    let after = report(&world, scheduled()).await;
    assert!(notes(&after).contains("on day 15"), "{}", notes(&after));
    assert_eq!(adjustments(&world), 0);
}

#[tokio::test]
async fn prepaid_usage_is_never_written_until_the_contract_turns_payg() {
    let world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 10, 9));
    world.add_company(100, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    world.add_contract(10, 100, Some("No"));
    world.add_service(10, WORKSTATIONS, 5);
    world.sweep().await;
    let tenant = world.tenant_of(100)["id"]
        .as_str()
        .expect("test value")
        .to_owned();
    set_usage(&world, &tenant, "pw_base_workstations", 7);
    let prepaid = report(&world, scheduled()).await;
    assert_eq!(prepaid.applied, 0);
    assert!(
        prepaid
            .plan
            .iter()
            .any(|l| l.contains("overuse") && l.contains("uses 7 of 5")),
        "{:?}",
        prepaid.plan
    );
    assert_eq!(units(&world, 10, WORKSTATIONS), 5);
    let record = world
        .store
        .get_usage_reports(&[100])
        .await
        .expect("test value");
    assert_eq!(
        record[&100].overuse.len(),
        1,
        "the accounts route shows the overuse"
    );

    // Mid-month the MSP turns the contract PAYG; the poller sees it, usage follows.
    set_time(&world, at(2026, 11, 16, 9));
    world.autotask.patch(
        "Contracts",
        10,
        json!({"userDefinedFields": [{"name": "Acronis PAYG", "value": "Yes"}]}),
    );
    let swept = world.sweep().await;
    set_usage(&world, &tenant, "pw_base_workstations", 7);
    let payg = report(&world, scheduled()).await;
    assert_eq!(
        payg.applied,
        1,
        "{:?}\n{}\n{swept}",
        payg.plan,
        notes(&payg)
    );
    assert_eq!(units(&world, 10, WORKSTATIONS), 7);
    let rows: Vec<Value> = world
        .autotask
        .records("ContractServiceUnits")
        .into_iter()
        .filter(|r| r["contractServiceID"] == world.contract_service(10, WORKSTATIONS))
        .collect();
    assert!(
        rows.iter().any(|r| r["startDate"]
            .as_str()
            .unwrap_or("")
            .starts_with("2026-11-16")
            && r["units"] == 7),
        "the change is effective from the day it was reported: {rows:?}"
    );
}

#[tokio::test]
async fn a_sub_partner_is_billed_the_sum_of_its_customers_less_those_mapped_on_their_own() {
    let world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let reseller = world.acronis_tenant("Reseller", "partner", PARTNER).await;
    let shop = world.acronis_tenant("Shop", "customer", &reseller).await;
    let bakery = world.acronis_tenant("Bakery", "customer", &reseller).await;
    let own = world
        .acronis_tenant("Own Mapping Ltd", "customer", &reseller)
        .await;
    for (tenant, n) in [(&shop, 2), (&bakery, 3), (&own, 4)] {
        set_usage(&world, tenant, "pw_base_workstations", n);
    }
    // The reseller's company and the separately billed customer, mapped by hand.
    world.add_company(
        200,
        "Reseller",
        ("Rita", "Reseller", "rita@reseller.example"),
    );
    world.add_contract(20, 200, Some("Yes"));
    world.add_service(20, WORKSTATIONS, 0);
    world.add_company(201, "Own Mapping Ltd", ("Olga", "Own", "olga@own.example"));
    world.add_contract(21, 201, Some("Yes"));
    world.add_service(21, WORKSTATIONS, 0);
    for (company, tenant, kind) in [
        (200, &reseller, MappedTenantKind::SubPartner),
        (201, &own, MappedTenantKind::Customer),
    ] {
        world
            .map_by_hand(company, tenant, kind, at(2026, 11, 1, 0))
            .await;
    }
    world.sweep().await;
    let summary = report(&world, scheduled()).await;
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    assert_eq!(units(&world, 20, WORKSTATIONS), 5, "shop 2 + bakery 3");
    assert_eq!(
        units(&world, 21, WORKSTATIONS),
        4,
        "reported on its own, never twice"
    );
}

#[tokio::test]
async fn lines_left_when_the_write_budget_is_spent_are_written_by_the_next_run() {
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    guide_usage(&world, &tenant);
    world.clear_logs();
    let out_of_time = UsageReportWithin(std::time::Duration::ZERO);
    let invocation = Invocation::new(scheduled(), false);
    let first = harness::run(&out_of_time, &world.ctx, &invocation)
        .await
        .expect("run");
    assert_eq!(first.applied, 0);
    assert!(
        notes(&first).contains("5 lines deferred to the next run"),
        "{}",
        notes(&first)
    );
    assert_eq!(adjustments(&world), 0);
    assert_eq!(units(&world, 10, WORKSTATIONS), 0);

    let next = report(&world, scheduled()).await;
    assert_eq!(next.applied, 4, "{:?}", next.plan);
    assert_eq!(units(&world, 10, STORAGE_BILLED), 50);
}

#[tokio::test]
async fn lines_left_at_the_runs_deadline_are_written_by_the_next_run_once() {
    let mut world = World::start(usage_settings(ReportingPeriod::CurrentCalendarMonth)).await;
    set_time(&world, at(2026, 11, 12, 9));
    let tenant = payg_company(&mut world, 100, 10, "Yes").await;
    guide_usage(&world, &tenant);
    let invocation =
        Invocation::new(scheduled(), false).with_deadline(bridge_jobs::Deadline::after_units(2));
    let job = bridge_jobs::job::find("usage-report").expect("job");
    let first = harness::run(job, &world.ctx, &invocation)
        .await
        .expect("run");
    assert!(
        notes(&first).contains("3 lines deferred to the next run"),
        "{}",
        notes(&first)
    );
    let next = report(&world, scheduled()).await;
    assert_eq!(
        first.applied + next.applied,
        4,
        "{:?} {:?}",
        first.plan,
        next.plan
    );
    assert_eq!(units(&world, 10, STORAGE_BILLED), 50);
    let again = report(&world, scheduled()).await;
    assert_eq!(again.applied, 0, "{:?}", again.plan);
}
