//! Alert ingestion end to end: alerts fired in the Acronis simulator, the real job,
//! tickets and notes in the Autotask simulator, a real store.

use crate::support::*;
use bridge_core::mapping::{AlertMapping, MappedTenantKind};
use bridge_core::records::{AlertTicket, AlertTicketState};
use bridge_core::settings::Settings;
use bridge_jobs::{JobSummary, Trigger, run_job};
use serde_json::{Value, json};
use simulators::common::{FaultKind, FaultRule};

const ACME: i64 = 100;
const QUEUE: i64 = 29682833;

fn alert_settings() -> Settings {
    let mut s = settings();
    s.features.ticket_creation = true;
    s.tickets.note_type = Some(1);
    s.tickets.note_publish = Some(1);
    s.tickets.auto_close = true;
    s.tickets.auto_close_status = Some(5);
    s.tickets.reopen_window_enabled = true;
    s.tickets.reopen_window_days = 1;
    s.alert_mappings = vec![
        AlertMapping {
            alert_type: "BackupFailed".into(),
            priority: Some(1),
            status: Some(1),
            queue: Some(QUEUE),
            issue_type: Some(10),
            sub_issue_type: Some(101),
            ..AlertMapping::default()
        },
        AlertMapping {
            alert_type: "malware_detected".into(),
            priority: Some(4),
            status: Some(1),
            queue: Some(QUEUE),
            ..AlertMapping::default()
        },
    ];
    s
}

/// Acme with a tenant of its own, mapped. Returns the tenant id.
async fn acme(world: &World) -> String {
    world.add_company(ACME, "Acme", ("Ada", "Lovelace", "ada@acme.example"));
    let tenant = world.acronis_tenant("Acme Corp", "customer", PARTNER).await;
    world
        .map_by_hand(
            ACME,
            &tenant,
            MappedTenantKind::Customer,
            chrono::Utc::now(),
        )
        .await;
    tenant
}

async fn ingest(world: &World) -> JobSummary {
    let summary = run_job(
        "alert-ingest",
        &world.ctx,
        &Trigger::Schedule {
            name: "poll".into(),
        },
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("alert ingestion failed: {e}"));
    assert!(summary.failed.is_empty(), "{}", notes(&summary));
    summary
}

fn backup_failed(tenant: &str) -> Value {
    json!({"type": "BackupFailed", "severity": "error", "tenant_id": tenant,
           "details": {"resourceName": "SERVER01", "planName": "Nightly", "errorMessage": "Disk full"}})
}

fn tickets(world: &World) -> Vec<Value> {
    world.autotask.records("Tickets")
}

fn notes_of(world: &World, ticket: i64) -> usize {
    world
        .autotask
        .records("TicketNotes")
        .into_iter()
        .filter(|n| n["ticketID"] == ticket)
        .count()
}

async fn record(world: &World, tenant: &str, alert: &str) -> AlertTicket {
    world
        .store
        .get_alert_ticket(&AlertTicket::key(tenant, alert))
        .await
        .expect("read")
        .expect("recorded")
        .value
}

#[tokio::test]
async fn an_alert_opens_one_ticket_a_repeat_adds_a_note_and_a_dismissal_closes_it() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    // Billing is on and Acme's contract holds a mapped service: the ticket names it.
    world.add_contract(10, ACME, None);
    world.add_service(10, SERVERS, 2);
    world.sweep().await;
    let alert = world.acronis.fire_alert(backup_failed(&tenant));
    let first = ingest(&world).await;
    assert_eq!(first.applied, 1, "{first}");
    let all = tickets(&world);
    assert_eq!(all.len(), 1, "{all:?}");
    let ticket = &all[0];
    assert_eq!(ticket["companyID"], ACME);
    assert_eq!(ticket["contractID"], 10, "{ticket}");
    assert_eq!(ticket["queueID"], QUEUE);
    assert_eq!(ticket["priority"], 1);
    let title = ticket["title"].as_str().unwrap_or_default();
    assert!(
        title.contains("Backup failed") && title.contains("SERVER01"),
        "{title}"
    );
    let description = ticket["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Disk full") && !description.contains("null"),
        "{description}"
    );
    let ticket_id = ticket["id"].as_i64().expect("id");
    let recorded = record(&world, &tenant, &alert).await;
    assert_eq!(
        (recorded.state, recorded.ticket_id),
        (AlertTicketState::Open, Some(ticket_id))
    );

    // Read again: nothing new, and no Autotask request for the alert re-read at the
    // cursor's boundary (an idle run every minute must not spend the MSP's budget).
    let again = ingest(&world).await;
    assert_eq!(again.applied, 0, "{again}");
    assert_eq!(tickets(&world).len(), 1);
    assert_eq!(
        again.requests.get("autotask").copied().unwrap_or(0),
        0,
        "{again}"
    );

    // A repeat: a note on the open ticket.
    world.acronis.repeat_alert(&alert);
    let repeated = ingest(&world).await;
    assert_eq!(repeated.applied, 1, "{repeated}");
    assert_eq!(tickets(&world).len(), 1);
    assert_eq!(notes_of(&world, ticket_id), 1);

    // Dismissed in Acronis: auto-close moves the ticket to Complete, with a note.
    assert!(world.acronis.dismiss_alert(&alert));
    let closed = ingest(&world).await;
    assert_eq!(closed.applied, 1, "{closed}");
    let ticket = tickets(&world).remove(0);
    assert_eq!(ticket["status"], 5);
    assert_eq!(notes_of(&world, ticket_id), 2);
    assert_eq!(
        record(&world, &tenant, &alert).await.state,
        AlertTicketState::Closed
    );
    assert_eq!(world.audit("ticket.created").await.len(), 1);
}

#[tokio::test]
async fn a_repeat_reopens_within_the_window_and_opens_a_new_ticket_after_it() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let alert = world.acronis.fire_alert(backup_failed(&tenant));
    ingest(&world).await;
    world.acronis.dismiss_alert(&alert);
    ingest(&world).await;
    let first = tickets(&world)[0]["id"].as_i64().expect("id");

    // Within the window: the same ticket, re-opened.
    world.acronis.repeat_alert(&alert);
    ingest(&world).await;
    assert_eq!(tickets(&world).len(), 1);
    assert_eq!(
        tickets(&world)[0]["status"],
        1,
        "back to the mapping's status"
    );

    // Closed again, and two days pass: a repeat opens a new ticket.
    world.acronis.dismiss_alert(&alert);
    ingest(&world).await;
    world.advance_days(2);
    world.acronis.repeat_alert(&alert);
    ingest(&world).await;
    let all = tickets(&world);
    assert_eq!(all.len(), 2, "{all:?}");
    let recorded = record(&world, &tenant, &alert).await;
    assert_ne!(recorded.ticket_id, Some(first));
    assert_eq!(recorded.state, AlertTicketState::Open);
}

#[tokio::test]
async fn both_tenant_shapes_a_cti_type_and_what_is_left_alone() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let legacy = world.acronis.fire_alert(backup_failed(&tenant));
    let mut uuid_only = backup_failed(&tenant);
    uuid_only["tenant_shape"] = json!("uuid");
    let uuid_only = world.acronis.fire_alert(uuid_only);
    let cti = world.acronis.fire_alert(json!({
        "type": "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.application.malware_detected.v1.0",
        "severity": "critical", "tenant_id": tenant, "tenant_shape": "uuid",
        "details": {"title": "Malware detected", "description": "Trojan.X on LAPTOP-7",
                    "fields": {"path": "C:\\\\temp\\\\x.exe"}}
    }));
    // An unmapped tenant's alert, an unmapped type, and one whose tenant cannot be read.
    let stranger = world.acronis_tenant("Stranger", "customer", PARTNER).await;
    world.acronis.fire_alert(backup_failed(&stranger));
    world
        .acronis
        .fire_alert(json!({"type": "MachineOffline30", "tenant_id": tenant}));
    let mut unreadable = backup_failed(&tenant);
    unreadable["tenant_shape"] = json!("numeric");
    world.acronis.fire_alert(unreadable);

    let summary = ingest(&world).await;
    assert_eq!(summary.applied, 3, "{summary}\n{:?}", summary.plan);
    for alert in [&legacy, &uuid_only, &cti] {
        assert!(record(&world, &tenant, alert).await.ticket_id.is_some());
    }
    let malware = tickets(&world)
        .into_iter()
        .find(|t| t["priority"] == 4)
        .expect("the CTI alert's ticket, mapped by its short name");
    assert!(
        malware["title"]
            .as_str()
            .unwrap_or_default()
            .contains("Malware"),
        "{malware}"
    );
    assert_eq!(summary.skipped.len(), 1, "{}", notes(&summary));
    let skipped = world
        .store
        .list_skipped_alerts(10, None, chrono::Utc::now())
        .await
        .expect("skipped");
    assert_eq!(skipped.items.len(), 1);
}

#[tokio::test]
async fn a_run_killed_after_creating_the_ticket_leaves_one_ticket() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let alert = world.acronis.fire_alert(backup_failed(&tenant));
    // The killed run: its intent recorded, its ticket created, the record never updated.
    let key = AlertTicket::key(&tenant, &alert);
    ingest(&world).await;
    let made = record(&world, &tenant, &alert).await;
    let mut pending = made.clone();
    pending.state = AlertTicketState::Pending;
    pending.ticket_id = None;
    pending.ticket_number = None;
    pending.last_updated_at = None;
    let stored = world
        .store
        .get_alert_ticket(&key)
        .await
        .expect("read")
        .expect("recorded");
    world
        .store
        .put_alert_ticket(&pending, Some(stored.version))
        .await
        .expect("back to the intent");
    // The next run reads the last alert again (the cursor's boundary is re-read).

    let rerun = ingest(&world).await;
    assert!(rerun.failed.is_empty(), "{}", notes(&rerun));
    assert_eq!(tickets(&world).len(), 1, "adopted, not created again");
    let adopted = record(&world, &tenant, &alert).await;
    assert_eq!(adopted.ticket_id, made.ticket_id);
    assert_eq!(adopted.state, AlertTicketState::Open);
}

#[tokio::test]
async fn a_run_killed_before_recording_its_ticket_is_audited_by_the_run_that_adopts_it() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    world.acronis.fire_alert(backup_failed(&tenant));
    // Killed once Autotask has created the ticket, before the answer arrives.
    let autotask = world.autotask.core().clone();
    autotask.faults.add(FaultRule::once(
        "/Tickets",
        "POST",
        FaultKind::Hang { applied: true },
    ));
    let poll = Trigger::Schedule {
        name: "poll".into(),
    };
    autotask
        .kill_when_held(run_job("alert-ingest", &world.ctx, &poll, false))
        .await;
    assert_eq!(tickets(&world).len(), 1, "created before the kill");
    assert!(world.audit("ticket.created").await.is_empty());

    // Past the killed run's lease, the next run finds the ticket by its marker.
    world.clock.advance(chrono::Duration::minutes(6));
    let rerun = ingest(&world).await;
    assert_eq!(rerun.applied, 1, "{rerun}");
    assert_eq!(tickets(&world).len(), 1, "adopted, not created again");
    let adopted = world.audit("ticket.adopted").await;
    assert_eq!(
        adopted.len(),
        1,
        "the ticket's opening is in the audit log once"
    );
    let ticket_id = tickets(&world)[0]["id"].clone();
    assert_eq!(
        adopted[0].after.as_ref().map(|a| a["ticket_id"].clone()),
        Some(ticket_id)
    );
    ingest(&world).await;
    assert_eq!(world.audit("ticket.adopted").await.len(), 1, "audited once");
}

#[tokio::test]
async fn a_run_killed_between_auditing_a_ticket_and_recording_it_leaves_one_opening_audited() {
    killed_between_audit_and_record(false).await;
    // The alert repeats before the next run: that run adds the note to the ticket it
    // takes over, and still audits no second opening.
    killed_between_audit_and_record(true).await;
}

async fn killed_between_audit_and_record(repeat: bool) {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let alert = world.acronis.fire_alert(backup_failed(&tenant));
    ingest(&world).await;
    assert_eq!(world.audit("ticket.created").await.len(), 1);
    // What a run killed right after the audit entry leaves: the ticket made and audited,
    // the record still the intent.
    let key = AlertTicket::key(&tenant, &alert);
    let recorded = world
        .store
        .get_alert_ticket(&key)
        .await
        .expect("read")
        .expect("recorded");
    let intent = AlertTicket {
        state: AlertTicketState::Pending,
        ticket_id: None,
        ticket_number: None,
        ..recorded.value.clone()
    };
    world
        .store
        .put_alert_ticket(&intent, Some(recorded.version))
        .await
        .expect("rewound");

    if repeat {
        world.acronis.repeat_alert(&alert);
    }
    // Past the killed run's lease, the next run reads the alert again and takes the
    // ticket over.
    world.clock.advance(chrono::Duration::minutes(6));
    ingest(&world).await;
    let all = tickets(&world);
    assert_eq!(all.len(), 1, "adopted, not created again");
    let ticket = all[0]["id"].as_i64().expect("ticket id");
    assert_eq!(
        notes_of(&world, ticket),
        usize::from(repeat),
        "repeat: {repeat}"
    );
    assert_eq!(
        record(&world, &tenant, &alert).await.state,
        AlertTicketState::Open
    );
    let openings =
        world.audit("ticket.created").await.len() + world.audit("ticket.adopted").await.len();
    assert_eq!(
        openings, 1,
        "the ticket's opening is audited once (repeat: {repeat})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_alerts_with_autotask_429s_loses_none_and_duplicates_none() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let fired = world.acronis.fire_alerts(300, &tenant);
    world.autotask.core().faults.add(FaultRule {
        route: "Tickets".into(),
        method: Some("POST".into()),
        query: None,
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some(0),
            body: None,
        },
        times: Some(5),
    });
    // Autotask lets one thread at a time at Tickets, as a busy database does.
    world.autotask.set_thread_limit(1);
    // Two runs at once: one holds the lease, the other does nothing.
    let (a, b) = tokio::join!(ingest(&world), ingest(&world));
    assert_eq!(a.applied + b.applied, 300, "{a}\n{b}");
    let all = tickets(&world);
    assert_eq!(all.len(), 300);
    let markers: std::collections::BTreeSet<String> = all
        .iter()
        .filter_map(|t| t["externalID"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(markers.len(), 300, "one ticket per alert");
    for alert in fired.iter().take(5) {
        assert!(record(&world, &tenant, alert).await.ticket_id.is_some());
    }
    let again = ingest(&world).await;
    assert_eq!(again.applied, 0, "{again}");
}

#[tokio::test]
async fn hostile_alert_fields_are_bounded_and_do_not_hold_back_the_others() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    let good = world.acronis.fire_alert(backup_failed(&tenant));
    // Markup and control characters, a 100,000-character value, wrong types and deep
    // nesting where text is expected.
    let hostile_name = "<script>alert(1)</script>\u{7}\u{1b}[31m";
    let deep = (0..100).fold(json!("bottom"), |inner, _| json!([inner]));
    let hostile = world.acronis.fire_alert(json!({
        "type": "BackupFailed", "severity": {"level": 3}, "tenant_id": tenant,
        "details": {"resourceName": hostile_name, "planName": "p".repeat(100_000),
                    "errorMessage": deep, "extra": [1, "two", null, {"x": true}]}
    }));
    let wrong_types = world.acronis.fire_alert(json!({
        "type": "BackupFailed", "severity": 7, "tenant_id": tenant,
        "details": {"resourceName": 42, "planName": ["a"], "errorMessage": null}
    }));

    let summary = ingest(&world).await;
    assert_eq!(summary.applied, 3, "{}", notes(&summary));
    for alert in [&good, &hostile, &wrong_types] {
        assert!(record(&world, &tenant, alert).await.ticket_id.is_some());
    }
    for ticket in tickets(&world) {
        let title = ticket["title"].as_str().unwrap_or_default();
        let description = ticket["description"].as_str().unwrap_or_default();
        assert!(title.chars().count() <= 255, "{title}");
        assert!(
            description.chars().count() <= 8_000,
            "{}",
            description.len()
        );
        // Control characters are dropped from ticket text; markup is Autotask's to
        // escape, like any other text.
        for text in [title, description] {
            assert!(!text.contains(['\u{7}', '\u{1b}']), "{text:?}");
        }
    }
    let hostile_ticket = record(&world, &tenant, &hostile).await.ticket_id;
    let shown = tickets(&world)
        .into_iter()
        .find(|t| t["id"].as_i64() == hostile_ticket)
        .expect("the hostile alert's ticket");
    assert!(
        shown.to_string().contains("<script>alert(1)</script>"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_run_stopped_at_its_deadline_between_pages_is_finished_by_the_next() {
    let world = World::start(alert_settings()).await;
    let tenant = acme(&world).await;
    // Three pages of 200, fired an hour before the run: the cursor of a stopped run must
    // not step past the unread ones to the run's own time.
    world.acronis.fire_alerts(450, &tenant);
    world.clock.advance(chrono::Duration::hours(1));
    let poll = Trigger::Schedule {
        name: "poll".into(),
    };
    let stopped = bridge_jobs::harness::run(
        bridge_jobs::job::find("alert-ingest").expect("job"),
        &world.ctx,
        // The deadline lets one more page through after the first, then passes.
        &bridge_jobs::Invocation::new(poll, false)
            .with_deadline(bridge_jobs::Deadline::after_units(1)),
    )
    .await
    .expect("stopped run");
    assert!(stopped.failed.is_empty(), "{}", notes(&stopped));
    assert_eq!(
        (stopped.read["alerts"], stopped.applied),
        (400, 400),
        "{stopped}"
    );
    assert!(
        stopped.skipped.iter().any(|n| n.subject == "deadline"),
        "{stopped}"
    );
    assert_eq!(tickets(&world).len(), 400);

    let rest = ingest(&world).await;
    assert_eq!(rest.applied, 50, "only the alerts left: {rest}");
    assert!(
        rest.skipped.iter().all(|n| n.subject != "deadline"),
        "{rest}"
    );
    let all = tickets(&world);
    let markers: std::collections::BTreeSet<&str> = all
        .iter()
        .filter_map(|t| t["externalID"].as_str())
        .collect();
    assert_eq!(
        (all.len(), markers.len()),
        (450, 450),
        "one ticket per alert"
    );
    let again = ingest(&world).await;
    assert_eq!(again.applied, 0, "{again}");
}
