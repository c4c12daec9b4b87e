//! The operator client against an in-process demo runner: URL and token from the state
//! folder, settings round trip with versions, mappings, audit, forecast, credentials.

use crate::common;

use bridge_cli::args::{ClientArgs, ExpectedMapping, MapTarget, Request};
use bridge_cli::client::ClientError;
use bridge_cli::demo::DEMO_MAPPINGS;
use bridge_cli::operator::{connect, execute};
use common::{TempState, demo_runner};
use serde_json::Value;

/// Litware Prospects (Autotask company 180, not mapped in the demo) and the Acronis
/// customer Litware Inc (under the sub-partner Wingtip Reseller).
const LITWARE: i64 = 180;
const LITWARE_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e31";
/// The demo's partner tenant under the MSP (Litware Inc is one of its customers).
const WINGTIP_RESELLER: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e30";

fn local(state: &TempState) -> ClientArgs {
    ClientArgs {
        state: state.path().to_owned(),
        url: None,
        token: None,
        region: None,
        json: false,
    }
}

fn refused(err: &anyhow::Error) -> Option<(u16, String)> {
    match err.downcast_ref::<ClientError>() {
        Some(ClientError::Refused { status, message }) => Some((*status, message.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn config_get_and_set_round_trip_with_versions() {
    let state = TempState::new("op-config");
    let _running = demo_runner(&state, false).await;
    let client = connect(&local(&state))
        .await
        .expect("finds the runner in the state folder");

    let got: Value = serde_json::from_str(
        &execute(&client, &Request::ConfigGet, false)
            .await
            .expect("get"),
    )
    .expect("config get prints JSON");
    assert_eq!(got["version"], 1);

    // Edited output of `config get` keeps its version.
    let mut edited = got.clone();
    edited["deprovisioning"]["disable_after_days"] = 21.into();
    let file = state.path().join("edited.json");
    std::fs::write(&file, edited.to_string()).expect("write");
    let saved: Value = serde_json::from_str(
        &execute(&client, &Request::ConfigSet(Some(file.clone())), false)
            .await
            .expect("set"),
    )
    .expect("json");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["deprovisioning"]["disable_after_days"], 21);

    // The same file again is stale now: refused with the server's message, nothing lost.
    let stale = execute(&client, &Request::ConfigSet(Some(file)), false)
        .await
        .expect_err("stale version");
    let (status, message) = refused(&stale).expect("the server refused");
    assert_eq!(status, 409, "{message}");

    // A bare settings document (no version) is saved over the current version.
    let mut bare = saved.clone();
    bare.as_object_mut().expect("object").remove("version");
    bare["deprovisioning"]["disable_after_days"] = 22.into();
    let file = state.path().join("bare.json");
    std::fs::write(&file, bare.to_string()).expect("write");
    let saved: Value = serde_json::from_str(
        &execute(&client, &Request::ConfigSet(Some(file)), false)
            .await
            .expect("set"),
    )
    .expect("json");
    assert_eq!(saved["version"], 3);
    assert_eq!(saved["deprovisioning"]["disable_after_days"], 22);

    // Invalid settings: every bad field named, exit-worthy error.
    let mut invalid = saved.clone();
    invalid["schedules"]["contract_polling_minutes"] = 0.into();
    let file = state.path().join("invalid.json");
    std::fs::write(&file, invalid.to_string()).expect("write");
    let err = execute(&client, &Request::ConfigSet(Some(file)), false)
        .await
        .expect_err("invalid");
    let (status, message) = refused(&err).expect("the server refused");
    assert_eq!(status, 400);
    assert!(
        message.contains("schedules.contract_polling_minutes"),
        "{message}"
    );

    // Both saves are in the audit log, newest first, after the demo's own.
    let audit = execute(
        &client,
        &Request::Audit {
            since: None,
            until: None,
            kind: Some("settings.updated".into()),
            limit: None,
        },
        false,
    )
    .await
    .expect("audit");
    let lines: Vec<&str> = audit.lines().collect();
    assert!(lines[0].starts_with("at "), "{audit}");
    assert_eq!(
        lines.len(),
        1 + 3,
        "header + two saves + the demo's: {audit}"
    );
    assert!(
        lines[1].contains("local-operator  settings.updated"),
        "{audit}"
    );
    assert!(lines[3].contains("  demo  "), "{audit}");
}

#[tokio::test]
async fn mappings_map_list_unmap_and_forecast() {
    let state = TempState::new("op-mappings");
    let _running = demo_runner(&state, false).await;
    let client = connect(&local(&state)).await.expect("client");
    let run = |request: Request| {
        let client = client.clone();
        async move { execute(&client, &request, false).await }
    };
    let rows = |list: &str| list.lines().skip(1).count();

    let before = run(Request::MappingsList).await.expect("list");
    assert_eq!(rows(&before), DEMO_MAPPINGS.len(), "{before}");
    let mapped = run(Request::Map {
        company_id: LITWARE,
        target: MapTarget::Tenant(LITWARE_TENANT.into()),
        read: ExpectedMapping::Unmapped,
    })
    .await
    .expect("map");
    assert_eq!(
        mapped,
        format!("company {LITWARE} is mapped to tenant {LITWARE_TENANT}")
    );
    let list = run(Request::MappingsList).await.expect("list");
    assert_eq!(rows(&list), DEMO_MAPPINGS.len() + 1, "{list}");
    let row = list.lines().last().expect("rows");
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "180",
            "Litware Prospects",
            LITWARE_TENANT,
            "Litware Inc",
            "customer",
            "manual"
        ],
        "{list}"
    );

    // Another company cannot take the same tenant.
    let err = run(Request::Map {
        company_id: 176,
        target: MapTarget::Tenant(LITWARE_TENANT.into()),
        read: ExpectedMapping::Any,
    })
    .await
    .expect_err("tenant taken");
    assert_eq!(refused(&err).map(|r| r.0), Some(409), "{err:#}");

    // A change on a stale read (the operator read "unmapped") is refused with the
    // tenant it is mapped to now, and nothing changes.
    for request in [
        Request::Map {
            company_id: LITWARE,
            target: MapTarget::Tenant(WINGTIP_RESELLER.into()),
            read: ExpectedMapping::Unmapped,
        },
        Request::Unmap {
            company_id: LITWARE,
            read: ExpectedMapping::MappedTo(WINGTIP_RESELLER.into()),
        },
    ] {
        let err = run(request).await.expect_err("stale read");
        let (status, message) = refused(&err).expect("refused");
        assert_eq!(status, 412, "{err:#}");
        assert!(message.contains(LITWARE_TENANT), "{message}");
    }
    let list = run(Request::MappingsList).await.expect("list");
    assert!(list.contains(LITWARE_TENANT), "{list}");

    let forecast = run(Request::Forecast { days: Some(30) })
        .await
        .expect("forecast");
    assert!(
        forecast.starts_with("deleting customers is off"),
        "{forecast}"
    );

    let unmapped = run(Request::Unmap {
        company_id: LITWARE,
        read: ExpectedMapping::MappedTo(LITWARE_TENANT.into()),
    })
    .await
    .expect("unmap");
    assert!(unmapped.contains(LITWARE_TENANT), "{unmapped}");
    let after = run(Request::MappingsList).await.expect("list");
    assert_eq!(rows(&after), DEMO_MAPPINGS.len(), "{after}");

    // A partner under the MSP is mapped as a sub-partner, and listed as one.
    let mapped = run(Request::Map {
        company_id: LITWARE,
        target: MapTarget::Tenant(WINGTIP_RESELLER.into()),
        read: ExpectedMapping::Any,
    })
    .await
    .expect("map a sub-partner");
    assert!(
        mapped.starts_with(&format!(
            "company {LITWARE} is mapped to sub-partner tenant {WINGTIP_RESELLER}"
        )),
        "{mapped}"
    );
    let list = run(Request::MappingsList).await.expect("list");
    let row = list.lines().last().expect("rows");
    assert!(row.contains("  sub_partner  manual"), "{list}");
    run(Request::Unmap {
        company_id: LITWARE,
        read: ExpectedMapping::Any,
    })
    .await
    .expect("unmap");

    let audit = run(Request::Audit {
        since: None,
        until: None,
        kind: None,
        limit: Some(10),
    })
    .await
    .expect("audit");
    assert!(audit.contains(&format!("company:{LITWARE}")), "{audit}");
}

#[tokio::test]
async fn credentials_show_what_is_set_never_the_secrets() {
    let state = TempState::new("op-creds");
    let _running = demo_runner(&state, false).await;
    let client = connect(&local(&state)).await.expect("client");
    let shown = execute(&client, &Request::CredentialsGet, false)
        .await
        .expect("get");
    let json: Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(json["autotask"]["set"], true);
    assert_eq!(json["acronis"]["client_id"], "demo-client");
    assert!(!shown.contains("demo-secret") && !shown.contains("demo-client-secret"));
}

#[tokio::test]
async fn a_wrong_token_or_no_runner_is_a_clear_error() {
    let state = TempState::new("op-errors");
    let nothing = connect(&local(&state)).await.err().expect("no runner yet");
    assert!(
        nothing.to_string().contains("no local runner recorded"),
        "{nothing}"
    );

    let _running = demo_runner(&state, false).await;
    let mut args = local(&state);
    args.token = Some("wrong".into());
    let client = connect(&args).await.expect("client");
    let err = execute(&client, &Request::ConfigGet, false)
        .await
        .expect_err("401");
    assert_eq!(refused(&err).map(|r| r.0), Some(401), "{err:#}");
}

/// `bridge jobs` and `bridge jobs run`: the run happens in the runner at once, its
/// report reaches the runner's terminal, and the listing shows it as the last run.
#[tokio::test]
async fn jobs_are_listed_and_run_now() {
    let state = TempState::new("op-jobs");
    let mut running = demo_runner(&state, false).await;
    let mut reports = running.reports();
    let client = connect(&local(&state)).await.expect("runner");

    let table = execute(&client, &Request::Jobs, false).await.expect("jobs");
    assert!(table.contains("contract-poller"), "{table}");
    assert!(table.contains("poll rate(1 minute)"), "{table}");
    assert!(table.contains("never"), "{table}");

    let dry = execute(
        &client,
        &Request::RunJob {
            job: "contract-poller".into(),
            dry_run: true,
        },
        false,
    )
    .await
    .expect("dry run");
    assert!(dry.starts_with("contract-poller (dry run): read"), "{dry}");
    assert!(dry.contains("\n  - company "), "the plan follows: {dry}");
    assert!(
        dry.lines()
            .any(|l| l.starts_with("  skipped company:174") && l.contains("self-service")),
        "the summary's skipped count is named with why: {dry}"
    );

    let shown = tokio::time::timeout(std::time::Duration::from_secs(10), reports.recv())
        .await
        .expect("a report in time")
        .expect("a report");
    let line = shown.lines().join("\n");
    assert!(
        line.contains("contract-poller (dry run)") && line.contains("[manual]"),
        "{line}"
    );

    let listed: Value =
        serde_json::from_str(&execute(&client, &Request::Jobs, true).await.expect("json"))
            .expect("json");
    assert_eq!(listed["jobs"][0]["last_run"]["dry_run"], true);
    let table = execute(&client, &Request::Jobs, false).await.expect("jobs");
    assert!(table.contains("ok (dry run)"), "{table}");

    let unknown = execute(
        &client,
        &Request::RunJob {
            job: "nope".into(),
            dry_run: false,
        },
        false,
    )
    .await
    .expect_err("unknown job");
    let (status, message) = refused(&unknown).expect("refused");
    assert_eq!(status, 404);
    assert!(message.contains("contract-poller"), "{message}");
}

/// `bridge pause` and `bridge resume`: `bridge jobs` shows who paused, when and why; a
/// run now while paused is a dry run; pausing twice is refused with who holds it.
#[tokio::test]
async fn pause_and_resume_from_the_cli() {
    let state = TempState::new("op-pause");
    let _running = demo_runner(&state, false).await;
    let client = connect(&local(&state)).await.expect("runner");

    let table = execute(&client, &Request::Jobs, false).await.expect("jobs");
    assert!(table.starts_with("running (never paused)\n"), "{table}");

    let pause = Request::Pause {
        reason: "Autotask clean-up tonight".into(),
    };
    let paused = execute(&client, &pause, false).await.expect("pause");
    assert!(
        paused.starts_with("PAUSED by local-operator at ")
            && paused.contains(": Autotask clean-up tonight;"),
        "{paused}"
    );
    let table = execute(&client, &Request::Jobs, false).await.expect("jobs");
    assert!(table.starts_with(paused.trim_end()), "{table}");

    let again = execute(&client, &pause, false).await.expect_err("twice");
    let (status, message) = refused(&again).expect("refused");
    assert_eq!(status, 409);
    assert!(
        message.contains("already paused by local-operator"),
        "{message}"
    );

    let run = execute(
        &client,
        &Request::RunJob {
            job: "contract-poller".into(),
            dry_run: false,
        },
        false,
    )
    .await
    .expect("run now");
    assert!(run.starts_with("contract-poller (dry run):"), "{run}");

    let resumed = execute(
        &client,
        &Request::Resume {
            reason: Some("done".into()),
        },
        false,
    )
    .await
    .expect("resume");
    assert!(
        resumed.starts_with("running (resumed by local-operator at ")
            && resumed.contains(": done)"),
        "{resumed}"
    );
    let not_paused = execute(&client, &Request::Resume { reason: None }, false)
        .await
        .expect_err("not paused");
    assert_eq!(refused(&not_paused).map(|r| r.0), Some(409));
}

/// `bridge plan` and `bridge tickets` against the demo: the plan per customer, and the
/// alerts that became tickets once alert ingestion ran.
#[tokio::test]
async fn plan_and_tickets_print_per_customer() {
    let state = TempState::new("op-plan");
    let _running = demo_runner(&state, false).await;
    let client = connect(&local(&state)).await.expect("runner");
    // The poller stores the snapshots the plan is made from.
    execute(
        &client,
        &Request::RunJob {
            job: "contract-poller".into(),
            dry_run: false,
        },
        false,
    )
    .await
    .expect("poll");
    let plan = execute(&client, &Request::Plan { company: None }, false)
        .await
        .expect("plan");
    assert!(
        plan.contains("company 176 → tenant 3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11:"),
        "{plan}"
    );
    assert!(plan.contains("pw_base_servers:"), "{plan}");
    assert!(
        plan.contains("company 174") && plan.contains("skipped"),
        "{plan}"
    );

    let none = execute(&client, &Request::Tickets { company: None }, false)
        .await
        .expect("tickets");
    assert!(
        none.starts_with("no alert has become a ticket yet"),
        "{none}"
    );
    execute(
        &client,
        &Request::RunJob {
            job: "alert-ingest".into(),
            dry_run: false,
        },
        false,
    )
    .await
    .expect("ingest");
    let listed = execute(&client, &Request::Tickets { company: Some(175) }, false)
        .await
        .expect("tickets");
    assert!(
        listed.contains("BackupFailed") && listed.contains("open"),
        "{listed}"
    );
    assert!(
        !listed.contains("NoBackupForXDays"),
        "company 175 only: {listed}"
    );
}

#[tokio::test]
async fn release_lets_held_deprovisioning_go_ahead() {
    use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
    use bridge_core::provisioning::{Action, DeprovisioningHold};
    let state = TempState::new("op-release");
    let running = demo_runner(&state, false).await;
    let client = connect(&local(&state)).await.expect("client");
    let run = |request: Request| {
        let client = client.clone();
        async move { execute(&client, &request, false).await }
    };
    let nothing = run(Request::Release { company: None })
        .await
        .expect("release");
    assert!(nothing.starts_with("nothing released"), "{nothing}");

    running
        .local
        .ctx
        .store
        .put_mapping(&CustomerMapping {
            company_id: LITWARE,
            tenant_id: LITWARE_TENANT.into(),
            origin: MappingOrigin::Automatic,
            created_at: chrono::Utc::now(),
            no_services_since: None,
            tenant_kind: MappedTenantKind::Customer,
            deletion: None,
            held: Some(DeprovisioningHold {
                held_at: chrono::Utc::now(),
                actions: vec![Action::ZeroQuotas {
                    tenant_id: LITWARE_TENANT.into(),
                }],
                released_at: None,
                released_by: None,
            }),
        })
        .await
        .expect("held mapping");
    let forecast = run(Request::Forecast { days: Some(30) })
        .await
        .expect("forecast");
    assert!(
        forecast.contains(&format!(
            "set the quotas of tenant {LITWARE_TENANT} to zero"
        )),
        "{forecast}"
    );
    let plan = run(Request::Plan {
        company: Some(LITWARE),
    })
    .await
    .expect("plan");
    assert!(
        plan.contains("deprovisioning held by the blast-radius guard"),
        "{plan}"
    );
    let released = run(Request::Release {
        company: Some(LITWARE),
    })
    .await
    .expect("release");
    assert!(
        released.starts_with(&format!("released companies {LITWARE}")),
        "{released}"
    );
    let forecast = run(Request::Forecast { days: Some(30) })
        .await
        .expect("forecast");
    assert!(
        forecast.contains("released, applied by the next contract poller run"),
        "{forecast}"
    );
}

#[tokio::test]
async fn the_forecast_shows_the_disables_the_demo_clocks_lead_to() {
    let state = TempState::new("op-forecast");
    let running = demo_runner(&state, false).await;
    // The first poll starts the clocks of Tailspin (177, expired contract) and Adventure
    // Works (178, contract starting later); the demo disables after 10 days, deletes never.
    let reports = bridge_cli::runner::run_once(&running.local.ctx, Some("contract-poller"), false)
        .await
        .expect("ran");
    assert!(reports.iter().all(|r| r.outcome.is_ok()), "{reports:?}");
    let client = connect(&local(&state)).await.expect("client");
    let forecast = execute(&client, &Request::Forecast { days: Some(30) }, false)
        .await
        .expect("forecast");
    let disable_on = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let (deletions, disables) = forecast.split_once("\n\n").expect("two parts");
    assert!(
        deletions.starts_with("deleting customers is off"),
        "{forecast}"
    );
    let mut lines = disables.lines();
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("tenants due to be disabled within 30 days")),
        "{forecast}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("company  tenant"))
    );
    let rows: Vec<Vec<&str>> = lines
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    for (row, (company, tenant, _)) in rows.iter().zip([DEMO_MAPPINGS[3], DEMO_MAPPINGS[4]]) {
        assert_eq!(
            row,
            &[
                company.to_string().as_str(),
                tenant,
                disable_on.as_str(),
                "never (deleting is off)"
            ],
            "{forecast}"
        );
    }
    assert_eq!(rows.len(), 2, "{forecast}");

    let none = execute(&client, &Request::Forecast { days: Some(5) }, false)
        .await
        .expect("forecast");
    assert!(
        none.ends_with("no tenant is due to be disabled within 5 days"),
        "{none}"
    );
}

/// A name with markup, a bell and an escape sequence, as an outside system might send.
const HOSTILE_NAME: &str = "<script>alert(1)</script>\u{7}\u{1b}[31m";

#[tokio::test]
async fn names_with_markup_and_control_characters_are_kept_in_the_api_and_defused_on_the_terminal()
{
    let state = TempState::new("op-hostile-names");
    let running = demo_runner(&state, false).await;
    let sims = running.local.sims.as_ref().expect("demo simulators");
    sims.autotask.patch(
        "Companies",
        LITWARE,
        serde_json::json!({"companyName": HOSTILE_NAME}),
    );
    sims.acronis
        .set_tenant_fields(LITWARE_TENANT, serde_json::json!({"name": HOSTILE_NAME}));
    let client = connect(&local(&state)).await.expect("client");
    let request = Request::Map {
        company_id: LITWARE,
        target: MapTarget::Tenant(LITWARE_TENANT.into()),
        read: ExpectedMapping::Any,
    };
    execute(&client, &request, false).await.expect("map");

    // The API answers the names exactly as given, as JSON data: its raw bytes carry
    // no control character (JSON escapes them), and the type says JSON, not HTML.
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/accounts?mapped=mapped&limit=500",
            running.api_url
        ))
        .bearer_auth(running.token.value.expose())
        .send()
        .await
        .expect("accounts");
    assert_eq!(
        answer.headers()["content-type"],
        "application/json",
        "never rendered as a page"
    );
    let raw = answer.bytes().await.expect("body");
    assert!(
        !raw.iter().any(|b| *b == 0x07 || *b == 0x1b),
        "control characters escaped in the JSON"
    );
    let accounts: Value = serde_json::from_slice(&raw).expect("json");
    let litware = accounts["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["company_id"] == LITWARE))
        .expect("Litware listed");
    assert_eq!(litware["company_name"], HOSTILE_NAME, "stored as given");
    assert_eq!(litware["mapping"]["tenant"]["name"], HOSTILE_NAME);

    // The terminal sees the control characters as visible escapes, in the table and in
    // the JSON output alike.
    for as_json in [false, true] {
        let shown = execute(&client, &Request::MappingsList, as_json)
            .await
            .expect("list");
        assert!(
            !shown.chars().any(|c| c == '\u{7}' || c == '\u{1b}'),
            "{shown:?}"
        );
        assert!(shown.contains("<script>alert(1)</script>"), "{shown}");
    }
    let table = execute(&client, &Request::MappingsList, false)
        .await
        .expect("list");
    assert!(table.contains("\\u{7}\\u{1b}[31m"), "{table}");
}
