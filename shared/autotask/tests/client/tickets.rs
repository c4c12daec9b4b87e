//! The ticket operations the alert job uses, against the simulator's Tickets rules.

use crate::support::*;
use autotask::models::*;
use autotask::{AutotaskError, Filter, Query};
use serde_json::json;

const QUEUE: i64 = 29682833;
const KEY: &str = "c1000000-0000-4000-8000-000000000001/4B1C2D3E-0001-4F5A-9B6C-7D8E9F0A1B01";

fn alert_ticket(company: i64, marker: &str) -> TicketCreate {
    TicketCreate::new(company, "Backup failed on SRV-01", 1, 2)
        .with_description("Acronis alert BackupFailed on SRV-01: the storage is not reachable.")
        .with_queue(QUEUE)
        .with_external_id(marker)
}

#[tokio::test]
async fn a_ticket_is_found_again_by_its_marker() {
    let sim = sim(3).await;
    let client = client(&sim);
    let marker = external_id_for(KEY);
    assert!(utf16_len(&marker) <= limits::TICKET_EXTERNAL_ID);
    assert!(
        client
            .tickets_by_external_id(std::slice::from_ref(&marker))
            .await
            .expect("lookup")
            .is_empty(),
        "nothing before the create"
    );
    let id = client
        .create_ticket(&alert_ticket(2, &marker))
        .await
        .expect("created");
    let other = client
        .create_ticket(&alert_ticket(3, &external_id_for("t/other")))
        .await
        .expect("created");

    let found = client
        .tickets_by_external_id(&[marker.to_uppercase()])
        .await
        .expect("lookup");
    assert_eq!(
        found.len(),
        1,
        "Autotask compares text without regard to case"
    );
    let t = &found[0];
    assert_eq!(t.id, id);
    assert_eq!(t.external_id.as_deref(), Some(marker.as_str()));
    assert_eq!(t.company_id, Some(2));
    assert_eq!(t.queue_id, Some(QUEUE));
    assert_eq!(t.status, Some(1));
    assert!(
        t.ticket_number
            .as_deref()
            .is_some_and(|n| n.starts_with('T'))
    );

    sim.core().log.clear();
    let both = client
        .tickets_by_external_id(&[
            marker.clone(),
            external_id_for("t/other"),
            "no-such-marker".into(),
            marker.clone(),
        ])
        .await
        .expect("lookup");
    let mut ids: Vec<i64> = both.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![id, other]);
    assert_eq!(logged(&sim, "Tickets", "query"), 1, "one `in` query");

    let many: Vec<String> = (0..700).map(|i| format!("m-{i}")).collect();
    sim.core().log.clear();
    assert!(
        client
            .tickets_by_external_id(&many)
            .await
            .expect("lookup")
            .is_empty()
    );
    assert_eq!(logged(&sim, "Tickets", "query"), 2, "500 + 200 markers");
}

#[tokio::test]
async fn a_resource_without_its_role_is_refused() {
    let sim = sim(2).await;
    let client = client(&sim);
    let err = client
        .create(
            "Tickets",
            &json!({"companyID": 1, "title": "x", "status": 1, "priority": 2,
                    "queueID": QUEUE, "assignedResourceID": 1}),
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(err, AutotaskError::Api { status: 500, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("you must assign both a assignedResourceID and assignedResourceRoleID"),
        "{err}"
    );
    assert_eq!(
        logged(&sim, "Tickets", "create"),
        1,
        "a validation error is not retried"
    );
    assert!(sim.records("Tickets").is_empty());

    let assigned = TicketCreate {
        assigned: Some(AssignedResource {
            resource_id: 1,
            role_id: 29683461,
        }),
        ..alert_ticket(1, "assigned")
    };
    let id = client
        .create_ticket(&assigned)
        .await
        .expect("with its role");
    let read: Ticket = client
        .get("Tickets", id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!(read.assigned_resource_id, Some(1));
    assert_eq!(read.assigned_resource_role_id, Some(29683461));
    let err = client
        .update(
            "Tickets",
            &json!({"id": id, "assignedResourceRoleID": null}),
        )
        .await
        .expect_err("role removed, resource kept");
    assert!(err.to_string().contains("assignedResourceRoleID"), "{err}");
}

#[tokio::test]
async fn notes_status_changes_and_batch_reads() {
    let sim = sim(3).await;
    let client = client(&sim);
    let a = client
        .create_ticket(&alert_ticket(1, "a"))
        .await
        .expect("a");
    let b = client
        .create_ticket(&alert_ticket(2, "b"))
        .await
        .expect("b");
    let c = client
        .create_ticket(&alert_ticket(3, "c"))
        .await
        .expect("c");

    let note = TicketNoteCreate {
        title: Some("Alert cleared in Acronis".into()),
        description: "The alert was dismissed; the ticket is completed.".into(),
        note_type: 1,
        publish: 1,
    };
    let note_id = client.add_ticket_note(b, &note).await.expect("note");
    let notes: Vec<TicketNote> = client
        .query(&Query::new(Filter::eq("ticketID", b)))
        .await
        .expect("notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].id, note_id);
    assert_eq!(notes[0].title, note.title);
    assert_eq!(notes[0].publish, Some(1));
    assert_eq!(logged(&sim, "TicketNotes", "create"), 1);

    client.set_ticket_status(b, 5).await.expect("complete");
    sim.core().log.clear();
    let read = client
        .tickets_by_id(&[c, b, a, 999_999, b])
        .await
        .expect("batch");
    assert_eq!(logged(&sim, "Tickets", "query"), 1, "one `in` query");
    assert_eq!(read.len(), 3, "an unknown id is just absent");
    let by_id = |id: i64| read.iter().find(|t| t.id == id).expect("read");
    let done = by_id(b);
    assert_eq!(done.status, Some(5));
    assert!(done.completed_date.is_some(), "Complete sets completedDate");
    assert!(done.last_activity_date.is_some());
    assert!(done.ticket_number.is_some());
    assert_eq!(by_id(a).status, Some(1));
    assert_eq!(by_id(a).completed_date, None);

    client.set_ticket_status(b, 1).await.expect("re-open");
    let reopened = client.tickets_by_id(&[b]).await.expect("read");
    assert_eq!(reopened[0].status, Some(1));
    assert_eq!(reopened[0].completed_date, None, "re-opening clears it");
    assert_eq!(
        reopened[0].title.as_deref(),
        Some("Backup failed on SRV-01"),
        "PATCH kept the rest"
    );
    assert!(client.tickets_by_id(&[]).await.expect("nothing").is_empty());
}

#[tokio::test]
async fn outside_text_is_cut_and_long_markers_never_sent() {
    let sim = sim(1).await;
    let client = client(&sim);
    let long = TicketCreate::new(1, "T".repeat(400), 1, 2)
        .with_description("d".repeat(9_000))
        .with_queue(QUEUE);
    let id = client
        .create_ticket(&long)
        .await
        .expect("cut, then created");
    let t: Ticket = client
        .get("Tickets", id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!(
        t.title.as_deref().map(utf16_len),
        Some(limits::TICKET_TITLE)
    );
    assert!(t.description.as_deref().map(utf16_len) <= Some(limits::TICKET_DESCRIPTION));
    let note = TicketNoteCreate {
        title: None,
        description: "n".repeat(40_000),
        note_type: 1,
        publish: 1,
    };
    client.add_ticket_note(id, &note).await.expect("cut note");

    // The simulator holds Autotask's lengths, so an unbounded body is refused.
    let err = client
        .create(
            "Tickets",
            &json!({"companyID": 1, "title": "T".repeat(256), "status": 1, "priority": 2, "queueID": QUEUE}),
        )
        .await
        .expect_err("too long");
    assert!(err.to_string().contains("title"), "{err}");

    let requests = client.requests_made();
    let err = client
        .create_ticket(&alert_ticket(1, KEY))
        .await
        .expect_err("a 73-character marker");
    assert!(matches!(err, AutotaskError::InvalidBody(_)), "{err:?}");
    assert!(err.to_string().contains("externalID"), "{err}");
    assert_eq!(
        client.requests_made(),
        requests,
        "refused before any request"
    );
    let fields = client.entity_fields("Tickets").await.expect("fields");
    let external = fields
        .iter()
        .find(|f| f.name == "externalID")
        .expect("externalID");
    assert_eq!(external.length, Some(50));
}

#[tokio::test]
async fn a_burst_of_creates_rides_out_429s_and_the_thread_limit() {
    let sim = sim(5).await;
    // Long enough that parallel creates overlap even on a loaded machine.
    sim.set_processing_delay(80);
    sim.core()
        .faults
        .add(fault("/Tickets", Some("POST"), status(429, None), 3));
    let client = client(&sim);
    client.zone().await.expect("zone");
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move {
                c.create_ticket(&alert_ticket(1 + i % 5, &format!("burst-{i}")))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("created");
    }
    assert_eq!(
        sim.records("Tickets").len(),
        12,
        "each once: 429s were resent, nothing else"
    );
    assert_eq!(logged(&sim, "Tickets", "create"), 15, "12 + 3 rejected");
    assert_eq!(
        logged_status(&sim, 429),
        3,
        "the thread limit held: only the injected 429s"
    );
}
