//! The local runner's pieces, in-process: demo state, token, auth on the routes,
//! schedule rates, `run --once`.

use crate::common;

use bridge_cli::demo::{self, DEMO_CLIENT_ID};
use bridge_cli::report::RunnerEvent;
use bridge_cli::runner;
use bridge_core::settings::Settings;

use common::{TempState, demo_runner};
use serde_json::{Value, json};
use simulators::autotask::{DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
use std::collections::BTreeSet;

#[test]
fn demo_settings_are_valid_and_map_what_the_demo_scenario_has() {
    let settings = demo::demo_settings().expect("cli/demo-settings.json is valid");
    let scenario = simulators::scenario::Scenario::demo().expect("demo scenario");
    let autotask = serde_json::to_value(&scenario.autotask).expect("seed as JSON");
    let acronis = serde_json::to_value(&scenario.acronis).expect("seed as JSON");
    let ids = |v: &Value, list: &str| -> BTreeSet<String> {
        v[list]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["id"].to_string().trim_matches('"').to_owned())
            .collect()
    };
    let services = ids(&autotask, "Services");
    let mut mapped: Vec<i64> = settings
        .service_mappings
        .iter()
        .filter_map(|m| m.service.as_ref().and_then(|s| s.id()))
        .collect();
    for storage in &settings.storage_mappings {
        mapped.extend(storage.rows().filter_map(|(_, s)| s.id()));
        assert!(
            ids(&acronis, "storages").contains(&storage.infra_id),
            "storage {} is in the demo scenario",
            storage.infra_id
        );
    }
    mapped.extend(
        settings
            .public_cloud_mappings
            .rows()
            .filter_map(|(_, s)| s.id()),
    );
    assert!(
        mapped.len() >= 10,
        "the demo maps the demo services: {mapped:?}"
    );
    for id in mapped {
        assert!(
            services.contains(&id.to_string()),
            "service {id} is in the demo scenario"
        );
    }
    assert!(settings.features.billing && settings.features.ticket_creation);

    // The pre-mapped customers are the same customer on both sides.
    let name_of = |v: &Value, list: &str, id: &str, field: &str| {
        v[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["id"].to_string().trim_matches('"') == id)
            .map(|r| r[field].clone())
    };
    for (company, tenant, name) in demo::DEMO_MAPPINGS {
        let company = company.to_string();
        assert_eq!(
            name_of(&autotask, "Companies", &company, "companyName"),
            Some(json!(name))
        );
        assert_eq!(
            name_of(&acronis, "tenants", tenant, "name"),
            Some(json!(name))
        );
    }
}

#[tokio::test]
async fn demo_state_gets_demo_credentials_and_settings_once() {
    let state = TempState::new("demo");
    let running = demo_runner(&state, false).await;
    let sims = running.local.sims.as_ref().expect("demo simulators");
    let secrets: Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("secrets.json")).expect("secrets file"),
    )
    .expect("json");
    assert_eq!(secrets["autotask"]["username"], DEMO_USER);
    assert_eq!(
        secrets["autotask"]["integration_code"],
        DEMO_INTEGRATION_CODE
    );
    assert_eq!(secrets["acronis"]["client_id"], DEMO_CLIENT_ID);
    assert_eq!(
        secrets["acronis"]["datacenter_url"],
        sims.acronis.base_url()
    );
    assert!(running.local.settings_seeded);
    let saved = running
        .local
        .ctx
        .store
        .get_settings()
        .await
        .expect("store")
        .expect("settings");
    assert_eq!(saved.value, demo::demo_settings().expect("valid"));
    for (company, tenant, _) in demo::DEMO_MAPPINGS {
        let mapping = running
            .local
            .ctx
            .store
            .get_mapping_by_company(*company)
            .await
            .expect("store");
        assert_eq!(mapping.map(|m| m.tenant_id), Some(tenant.to_string()));
    }

    // The credentials work against the simulators: the jobs' clients can sign in.
    let acronis = running.local.ctx.acronis().await.expect("acronis client");
    assert!(!acronis.tenant_id().await.expect("Acronis token").is_empty());

    // An operator's change survives a restart: the demo settings are not saved again.
    let changed = Settings {
        deprovisioning: bridge_core::settings::Deprovisioning {
            disable_after_days: 20,
            ..saved.value.deprovisioning.clone()
        },
        ..saved.value.clone()
    };
    running
        .local
        .ctx
        .store
        .put_settings(&changed, Some(saved.version))
        .await
        .expect("saved");
    drop(running);
    let again = demo_runner(&state, false).await;
    assert!(!again.local.settings_seeded);
    let kept = again
        .local
        .ctx
        .store
        .get_settings()
        .await
        .expect("store")
        .expect("settings");
    assert_eq!(kept.value.deprovisioning.disable_after_days, 20);
}

/// The audit entries of the demo's own set-up, through `GET /audit`, oldest first.
async fn demo_audit(running: &bridge_cli::Running) -> Vec<Value> {
    let answer = reqwest::Client::new()
        .get(format!("{}/audit?limit=200", running.api_url))
        .bearer_auth(running.token.value.expose())
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.expect("body");
    for secret in [DEMO_SECRET, demo::DEMO_CLIENT_SECRET] {
        assert!(!text.contains(secret), "a secret in the audit log: {text}");
    }
    let body: Value = serde_json::from_str(&text).expect("json");
    let mut entries: Vec<Value> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["actor"] == demo::DEMO_ACTOR)
        .cloned()
        .collect();
    entries.reverse();
    entries
}

#[tokio::test]
async fn the_demo_set_up_is_audited_in_the_name_of_demo() {
    let state = TempState::new("demo-audit");
    let running = demo_runner(&state, false).await;
    let entries = demo_audit(&running).await;
    let kinds: Vec<(String, String)> = entries
        .iter()
        .map(|e| (cell(&e["kind"]), cell(&e["subject"])))
        .collect();
    let mut expected = vec![
        (
            "credentials.autotask.saved".to_owned(),
            "credentials:autotask".to_owned(),
        ),
        (
            "credentials.acronis.saved".to_owned(),
            "credentials:acronis".to_owned(),
        ),
    ];
    for (company, _, _) in demo::DEMO_MAPPINGS {
        expected.push(("mapping.created".into(), format!("company:{company}")));
    }
    expected.push(("settings.updated".into(), "settings".into()));
    assert_eq!(kinds, expected);
    let settings = entries.last().expect("settings entry");
    assert_eq!(settings["after"]["features"]["billing"], true);
    assert_eq!(
        entries[2]["after"]["tenant_id"],
        demo::DEMO_MAPPINGS[0].1,
        "{}",
        entries[2]
    );
    assert_eq!(entries[0]["after"]["username"], DEMO_USER);
    let urls = |running: &bridge_cli::Running| {
        let sims = running.local.sims.as_ref().expect("demo");
        (sims.autotask_url(), sims.acronis_url())
    };
    let (autotask_url, acronis_url) = urls(&running);
    drop(running);

    // A restart keeps the settings and mappings (no new entry for them); credentials
    // are audited again only where the simulators now listen elsewhere.
    let again = demo_runner(&state, false).await;
    let (autotask_now, acronis_now) = urls(&again);
    let entries = demo_audit(&again).await;
    let moved = usize::from(autotask_now != autotask_url) + usize::from(acronis_now != acronis_url);
    assert_eq!(entries.len(), expected.len() + moved, "{entries:#?}");
    if acronis_now != acronis_url {
        let acronis = entries.last().expect("entry");
        assert_eq!(acronis["kind"], "credentials.acronis.saved");
        assert_eq!(acronis["before"]["datacenter_url"], acronis_url);
        assert_eq!(acronis["after"]["datacenter_url"], acronis_now);
    }
}

fn cell(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_token_is_generated_once_kept_private_and_reused() {
    let state = TempState::new("token");
    let first = demo_runner(&state, false).await;
    assert!(first.token.created);
    assert_eq!(first.token.value.expose().len(), 64);
    assert!(
        first.banner(true).contains(first.token.value.expose()),
        "printed on first start to a terminal"
    );
    let to_a_log = first.banner(false);
    assert!(
        !to_a_log.contains(first.token.value.expose()),
        "never printed into a log: {to_a_log}"
    );
    assert!(
        to_a_log.contains(&state.path().join("token").display().to_string()),
        "says where it is kept: {to_a_log}"
    );
    let path = state.path().join("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let token = first.token.value.clone();
    drop(first);

    let second = demo_runner(&state, false).await;
    assert!(!second.token.created);
    assert_eq!(second.token.value, token);
    let banner = second.banner(true);
    assert!(!banner.contains(token.expose()), "never printed again");
    assert!(
        banner.contains(&path.display().to_string()),
        "says where it is kept"
    );
}

#[tokio::test]
async fn routes_refuse_a_missing_or_wrong_token_alike_and_answer_with_it() {
    let state = TempState::new("auth");
    let running = demo_runner(&state, false).await;
    let http = reqwest::Client::new();
    let url = format!("{}/settings", running.api_url);
    let missing = http.get(&url).send().await.expect("answer");
    let wrong = http
        .get(&url)
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 401);
    assert_eq!(wrong.status(), 401);
    let (missing, wrong) = (
        missing.text().await.expect("body"),
        wrong.text().await.expect("body"),
    );
    assert_eq!(missing, wrong, "the same body, whatever was wrong");

    let ok = http
        .get(&url)
        .bearer_auth(running.token.value.expose())
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.expect("json");
    assert_eq!(body["version"], 1, "the demo settings, saved once");
    assert_eq!(body["features"]["billing"], true);
}

/// Saves a new contract polling rate through `GET` and `PUT /settings`, as the CLI does.
async fn poll_every(running: &bridge_cli::Running, minutes: u32) {
    let http = reqwest::Client::new();
    let url = format!("{}/settings", running.api_url);
    let token = running.token.value.expose();
    let mut document: Value = http
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    document["schedules"]["contract_polling_minutes"] = json!(minutes);
    let put = http
        .put(&url)
        .bearer_auth(token)
        .json(&document)
        .send()
        .await
        .expect("put");
    let status = put.status();
    assert_eq!(status, 200, "{}", put.text().await.unwrap_or_default());
}

#[tokio::test]
async fn a_rate_saved_through_the_routes_reaches_the_runner_under_the_template_rule() {
    let state = TempState::new("rates");
    let running = demo_runner(&state, false).await;
    let rule = "bridge-contract-poller-poll";
    assert_eq!(
        running.local.bus.rates().get(rule),
        Some(&1),
        "from the saved settings"
    );
    let mut rates = running.local.bus.watch_rates();
    poll_every(&running, 7).await;
    tokio::time::timeout(std::time::Duration::from_secs(5), rates.changed())
        .await
        .expect("re-timed promptly")
        .expect("bus alive");
    assert_eq!(running.local.bus.rates().get(rule), Some(&7));
}

#[tokio::test]
async fn polls_after_the_first_sweep_read_no_unit_row_as_new_and_skips_are_named() {
    let state = TempState::new("idle-poll");
    let running = demo_runner(&state, false).await;
    let ctx = &running.local.ctx;
    let run = |dry_run: bool| async move {
        let mut reports = runner::run_once(ctx, Some("contract-poller"), dry_run)
            .await
            .expect("runs");
        let report = reports.pop().expect("one report");
        let summary = report.outcome.clone().expect("the poller ran");
        (report, summary)
    };
    let (sweep, summary) = run(false).await;
    assert_eq!(summary.read.get("sweep"), Some(&1), "{}", sweep.line());
    // The summary's "skipped 1" says who and why under the line.
    let lines = sweep.lines();
    assert!(
        lines.iter().any(
            |l| l.trim_start().starts_with("skipped company:174") && l.contains("self-service")
        ),
        "{lines:#?}"
    );
    // Dry runs keep no cursor, so each reads from the sweep's marks: nothing is new.
    for dry_run in [true, true, false, false] {
        let (report, summary) = run(dry_run).await;
        assert_eq!(summary.read.get("poll"), Some(&1), "{}", report.line());
        assert_eq!(
            summary.read.get("new unit rows"),
            Some(&0),
            "{}",
            report.line()
        );
    }
}

#[tokio::test]
async fn run_once_reports_one_line_per_job_and_refuses_unknown_jobs() {
    let state = TempState::new("once");
    let mut opts = bridge_cli::RunOptions::new(state.path()).any_free_ports();
    opts.demo = true;
    let local = runner::prepare(&opts).await.expect("prepared");
    let reports = runner::run_once(&local.ctx, None, true)
        .await
        .expect("runs");
    let names = bridge_jobs::job::names();
    assert_eq!(reports.len(), names.len());
    for (report, job) in reports.iter().zip(&names) {
        let line = report.line();
        assert_eq!(&line[8..10 + job.len()], format!("  {job}"), "{line}");
        assert!(report.outcome.is_ok(), "{line}");
        assert!(line.contains("(dry run)"), "{line}");
    }
    let err = runner::run_once(&local.ctx, Some("no-such-job"), false)
        .await
        .expect_err("unknown job");
    assert!(
        err.to_string().contains("unknown job \"no-such-job\""),
        "{err}"
    );
}

#[tokio::test]
async fn scheduled_jobs_run_right_away_and_follow_rates_saved_through_the_routes() {
    let state = TempState::new("retime");
    let mut running = demo_runner(&state, true).await;
    let mut events = running.reports();
    let deadline = std::time::Duration::from_secs(30);
    let mut runs = BTreeSet::new();
    while runs.len() < running.jobs.len() {
        let event = tokio::time::timeout(deadline, events.recv())
            .await
            .expect("first runs in time")
            .expect("channel open");
        if let RunnerEvent::Run(report) = event {
            assert!(report.outcome.is_ok(), "{}", report.line());
            if report.trigger.starts_with("change:") {
                continue; // quota push answering the poller's events
            }
            // Each job's first run is its rate schedule (`poll`, `sweep`), right away.
            let job = running
                .jobs
                .iter()
                .find(|j| j.name == report.job)
                .expect("a scheduled job");
            let first = bridge_cli::schedule::first_run(job).expect("a rate schedule");
            assert_eq!(report.trigger, first.name, "{}", report.line());
            runs.insert(report.job);
        }
    }
    assert!(
        runs.contains("contract-poller"),
        "the poller is scheduled: {runs:?}"
    );

    poll_every(&running, 5).await;
    loop {
        let event = tokio::time::timeout(deadline, events.recv())
            .await
            .expect("re-timed in time")
            .expect("channel open");
        if let RunnerEvent::Retimed { job, schedule, .. } = event {
            assert_eq!(
                (job.as_str(), schedule.as_str()),
                ("contract-poller", "poll every 5 min")
            );
            break;
        }
    }
}

/// The demo's quota push: Fabrikam's quotas follow its contract (servers 2, a bundle of
/// 5), and a unit change made through the Autotask API reaches Acronis within one poll
/// cycle, the terminal saying so (the poll is run now here instead of waited for).
#[tokio::test]
async fn in_the_demo_a_contract_change_reaches_the_quota_and_the_terminal() {
    const FABRIKAM_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11";
    const FABRIKAM_SERVERS_LINE: i64 = 907;
    let state = TempState::new("demo-quota");
    let mut running = demo_runner(&state, true).await;
    let mut reports = running.reports();
    let sims = running.local.sims.as_ref().expect("demo simulators");
    let quota = |name: &str| {
        sims.acronis
            .offering_items(FABRIKAM_TENANT)
            .into_iter()
            .find(|i| i["name"] == name)
            .map(|i| i["quota"]["value"].clone())
            .unwrap_or(Value::Null)
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while quota("pw_base_servers") != json!(2) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Fabrikam's servers quota: {}",
            quota("pw_base_servers")
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(quota("pw_base_workstations"), json!(5), "the bundle of 5");

    // Staff add a server through the Autotask API, as in the Autotask console.
    let autotask = running.local.ctx.autotask().await.expect("client");
    autotask
        .create_child(
            "Contracts",
            803,
            "ServiceAdjustments",
            &json!({"contractID": 803, "contractServiceID": FABRIKAM_SERVERS_LINE,
                    "effectiveDate": format!("{}T00:00:00Z", chrono::Utc::now().date_naive()),
                    "unitChange": 1}),
        )
        .await
        .expect("adjustment");
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/jobs/contract-poller/run", running.api_url))
        .bearer_auth(running.token.value.expose())
        .send()
        .await
        .expect("run now");
    assert_eq!(answer.status(), 200);

    // The first runs' reports came before; the push of the change names it.
    wait_for_report(
        &mut reports,
        "quota-push",
        "change: company 176",
        "pw_base_servers: 2 → 3",
    )
    .await;
    assert_eq!(quota("pw_base_servers"), json!(3));
}

/// The demo's alert to ticket: an alert fired in the Acronis simulator becomes a ticket
/// at the next poll (run now here), the terminal shows it; dismissing the alert closes
/// the ticket (auto-close is on in the demo).
#[tokio::test]
async fn in_the_demo_an_alert_becomes_a_ticket_and_its_dismissal_closes_it() {
    const CONTOSO_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
    let state = TempState::new("demo-alert");
    let mut running = demo_runner(&state, false).await;
    let mut reports = running.reports();
    let sims = running.local.sims.as_ref().expect("demo simulators");
    let http = reqwest::Client::new();
    let run_now = |job: &str| {
        http.post(format!("{}/jobs/{job}/run", running.api_url))
            .bearer_auth(running.token.value.expose())
            .send()
    };
    // The first run takes the demo's open alerts.
    assert_eq!(run_now("alert-ingest").await.expect("run").status(), 200);
    let before = sims.autotask.records("Tickets").len();
    let alert = sims.acronis.fire_alert(json!({
        "type": "BackupFailed", "severity": "error", "tenant_id": CONTOSO_TENANT,
        "details": {"resourceName": "CONTOSO-SQL01", "planName": "Nightly", "errorMessage": "Network path not found"}
    }));
    assert_eq!(run_now("alert-ingest").await.expect("run").status(), 200);
    let tickets = sims.autotask.records("Tickets");
    assert_eq!(tickets.len(), before + 1);
    let ticket = tickets
        .iter()
        .find(|t| {
            t["title"]
                .as_str()
                .is_some_and(|x| x.contains("CONTOSO-SQL01"))
        })
        .expect("the alert's ticket");
    assert_eq!(ticket["companyID"], 175);
    let mut shown = false;
    while let Ok(Ok(RunnerEvent::Run(report))) =
        tokio::time::timeout(std::time::Duration::from_secs(5), reports.recv()).await
    {
        let lines = report.lines().join("\n");
        if report.job == "alert-ingest" && lines.contains(&alert) && lines.contains("created") {
            shown = true;
            break;
        }
    }
    assert!(shown, "the terminal shows the new ticket");

    assert!(sims.acronis.dismiss_alert(&alert));
    assert_eq!(run_now("alert-ingest").await.expect("run").status(), 200);
    let closed = sims
        .autotask
        .records("Tickets")
        .into_iter()
        .find(|t| t["id"] == ticket["id"])
        .expect("still there");
    assert_eq!(closed["status"], 5, "auto-closed");
}

/// The demo's usage reporting: Contoso's PAYG contract gets its usage right after the
/// first poll; a usage change in the Acronis simulator reaches the contract with run
/// now, and the terminal shows the unit change.
#[tokio::test]
async fn in_the_demo_a_usage_change_reaches_the_payg_contract_and_the_terminal() {
    const CONTOSO_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
    const CONTOSO_SEATS_LINE: i64 = 904;
    let state = TempState::new("demo-usage");
    let mut running = demo_runner(&state, true).await;
    let mut reports = running.reports();
    let sims = running.local.sims.as_ref().expect("demo simulators");
    let seats = || {
        let today = chrono::Utc::now().date_naive().to_string();
        sims.autotask
            .records("ContractServiceUnits")
            .into_iter()
            .filter(|r| r["contractServiceID"] == CONTOSO_SEATS_LINE)
            .find(|r| {
                let day = |f: &str| r[f].as_str().map(|d| d.get(..10).unwrap_or(d).to_owned());
                day("startDate").is_some_and(|s| s <= today)
                    && day("endDate").is_some_and(|e| e >= today)
            })
            .and_then(|r| r["units"].as_i64())
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while seats() != Some(12) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Contoso's seats: {:?}",
            seats()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    sims.acronis.set_usage(
        CONTOSO_TENANT,
        json!({"name": "pw_base_o365_seats", "value": 15}),
    );
    let answer = reqwest::Client::new()
        .post(format!("{}/jobs/usage-report/run", running.api_url))
        .bearer_auth(running.token.value.expose())
        .send()
        .await
        .expect("run now");
    assert_eq!(answer.status(), 200);
    wait_for_report(
        &mut reports,
        "usage-report",
        "manual",
        "contract service 904 (pw_base_o365_seats): 12 -> 15 units",
    )
    .await;
    assert_eq!(seats(), Some(15));
}

/// Waits (up to 30 s) for the runner's report of `job` run by `trigger` whose lines
/// contain `line`; panics with every other report seen meanwhile.
async fn wait_for_report(
    reports: &mut tokio::sync::broadcast::Receiver<RunnerEvent>,
    job: &str,
    trigger: &str,
    line: &str,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout_at(deadline, reports.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {job} report with {line:?} in time:\n{}",
                    seen.join("\n")
                )
            })
            .expect("channel open");
        let RunnerEvent::Run(report) = event else {
            continue;
        };
        let lines = report.lines().join("\n");
        if report.job == job && report.trigger == trigger && lines.contains(line) {
            return;
        }
        seen.push(lines);
    }
}
