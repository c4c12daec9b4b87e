use super::*;
use crate::mapping::AlertMapping;
use chrono::TimeDelta;

const TENANT: &str = "c1000000-0000-4000-8000-000000000174";
const ALERT: &str = "887E19F7-59F5-44DC-9721-64B1C48B4117";
const COMPANY: i64 = 174;
const TICKET: i64 = 42;
/// The ticket a killed run created.
const ORPHAN: i64 = 43;
const NEW: i64 = 1;
const IN_PROGRESS: i64 = 8;
const WAITING_CUSTOMER: i64 = 7;
/// A custom status the job learnt means closed.
const CLOSED_CUSTOM: i64 = 13;
const CTI: &str = "cti.a.p.am.alert.v1.0~a.p.malware_detected.v1.0";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

/// Raised at 08:00, repeated (updated) at 09:15; the job runs at 09:16.
fn created() -> DateTime<Utc> {
    t("2026-10-01T08:00:00Z")
}
fn updated() -> DateTime<Utc> {
    t("2026-10-01T09:15:00Z")
}
fn now() -> DateTime<Utc> {
    t("2026-10-01T09:16:00Z")
}

fn row(alert_type: &str, priority: Option<i64>, status: Option<i64>) -> AlertMapping {
    AlertMapping {
        alert_type: alert_type.to_owned(),
        enabled: true,
        priority,
        status,
        queue: Some(29_682_833),
        issue_type: Some(3),
        sub_issue_type: Some(4),
        ticket_type: Some(1),
    }
}

/// Ticket creation on, auto-closing to Complete, a one-day re-opening window.
fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.features.ticket_creation = true;
    settings.tickets.auto_close = true;
    settings.tickets.auto_close_status = Some(STATUS_COMPLETE);
    settings.tickets.source = Some(2);
    settings.tickets.note_type = Some(1);
    settings.tickets.note_publish = Some(1);
    settings.alert_mappings = vec![
        row("BackupFailed", Some(2), Some(NEW)),
        AlertMapping {
            enabled: false,
            ..row("NoBackupForXDays", Some(3), Some(NEW))
        },
        row("malware_detected", Some(1), Some(IN_PROGRESS)),
        row("NoPriority", None, Some(NEW)),
        row("NoStatus", Some(2), None),
    ];
    settings
}

fn alert() -> AlertView {
    AlertView {
        id: ALERT.to_owned(),
        tenant_id: TENANT.to_owned(),
        alert_type: "BackupFailed".to_owned(),
        type_label: "Backup failed".to_owned(),
        severity: "error".to_owned(),
        created_at: created(),
        updated_at: created(),
        dismissed: false,
        title: None,
        description: None,
        resource: Some("SERVER01".to_owned()),
        plan: Some("Daily backup".to_owned()),
        error_message: Some("The backup location is not accessible.".to_owned()),
        fields: vec![("daysPassed".to_owned(), "3".to_owned())],
        console_url: Some("https://eu2-cloud.acronis.com/alerts/887E19F7".to_owned()),
    }
}

fn customer() -> Customer {
    Customer {
        company_id: COMPANY,
        company_name: Some("Contoso Ltd".to_owned()),
        tenant_name: Some("Contoso".to_owned()),
        contract_id: Some(9001),
    }
}

/// The record after the alert's first update (08:00) was handled.
fn record(state: AlertTicketState) -> AlertTicket {
    AlertTicket {
        alert_key: AlertTicket::key(TENANT, ALERT),
        state,
        ticket_id: (state != AlertTicketState::Pending).then_some(TICKET),
        ticket_number: Some("T20261001.0042".to_owned()),
        company_id: Some(COMPANY),
        tenant_id: TENANT.to_owned(),
        alert_id: ALERT.to_owned(),
        alert_type: "BackupFailed".to_owned(),
        opened_at: created(),
        last_seen_at: created() + TimeDelta::minutes(1),
        closed_at: None,
        last_action: Some("created".to_owned()),
        last_updated_at: Some(created()),
        previous_ticket_ids: Vec::new(),
    }
}

fn seen(ticket_id: i64, status: i64, completed_at: Option<DateTime<Utc>>) -> TicketSeen {
    TicketSeen {
        ticket_id,
        status,
        completed_at,
        ticket_number: Some(format!("T20261001.{ticket_id:04}")),
    }
}

/// One planner input, owned, so cases can be written as small edits.
#[derive(Clone)]
struct Case {
    settings: Settings,
    alert: AlertView,
    customer: Option<Customer>,
    record: Option<AlertTicket>,
    ticket: Option<TicketSeen>,
    closed_statuses: Vec<i64>,
    now: DateTime<Utc>,
}

impl Case {
    /// The first sighting of the alert.
    fn first() -> Case {
        Case {
            settings: settings(),
            alert: alert(),
            customer: Some(customer()),
            record: None,
            ticket: None,
            closed_statuses: vec![CLOSED_CUSTOM],
            now: now(),
        }
    }

    /// The alert updated at 09:15, its ticket in `status`, completed at `completed_at`.
    fn repeat(status: i64, completed_at: Option<DateTime<Utc>>) -> Case {
        let state = if status == STATUS_COMPLETE || status == CLOSED_CUSTOM {
            AlertTicketState::Closed
        } else {
            AlertTicketState::Open
        };
        Case {
            alert: AlertView {
                updated_at: updated(),
                ..alert()
            },
            record: Some(record(state)),
            ticket: Some(seen(TICKET, status, completed_at)),
            ..Case::first()
        }
    }

    /// The alert dismissed at 09:15 while its ticket is in `status`.
    fn dismissed(status: i64) -> Case {
        let mut case = Case::repeat(status, None);
        case.alert.dismissed = true;
        case
    }

    /// A run recorded the intent at 08:01 and was killed; `found` is what the job found
    /// by externalID.
    fn pending(found: Option<TicketSeen>) -> Case {
        Case {
            record: Some(AlertTicket {
                last_action: None,
                ..record(AlertTicketState::Pending)
            }),
            ticket: found,
            ..Case::first()
        }
    }

    fn with(mut self, edit: impl FnOnce(&mut Case)) -> Case {
        edit(&mut self);
        self
    }

    fn inputs(&self) -> TicketInputs<'_> {
        TicketInputs {
            alert: &self.alert,
            settings: &self.settings,
            customer: self.customer.as_ref(),
            record: self.record.as_ref(),
            ticket: self.ticket.as_ref(),
            closed_statuses: &self.closed_statuses,
            now: self.now,
        }
    }

    fn plan(&self) -> TicketPlan {
        plan_ticket(&self.inputs())
    }
}

/// An action in a word or three, for tables.
fn brief(action: &TicketAction) -> String {
    match action {
        TicketAction::Create(ticket) => format!("create for {}", ticket.company_id),
        TicketAction::Note { ticket_id, .. } => format!("note {ticket_id}"),
        TicketAction::Reopen {
            ticket_id, status, ..
        } => format!("reopen {ticket_id} to {status}"),
        TicketAction::Close {
            ticket_id, status, ..
        } => format!("close {ticket_id} to {status}"),
        TicketAction::Adopt { ticket_id } => format!("adopt {ticket_id}"),
        TicketAction::Nothing => "nothing".to_owned(),
        TicketAction::Ignore(reason) => format!("ignore {}", serde_json::json!(reason)),
    }
}

fn cases() -> Vec<(&'static str, Case, &'static str)> {
    let closed_ago = |h: i64| Case::repeat(STATUS_COMPLETE, Some(now() - hours(h)));
    vec![
        // Creating.
        ("first sighting", Case::first(), "create for 174"),
        (
            "CTI type through its short name",
            Case::first().with(|c| c.alert.alert_type = CTI.to_owned()),
            "create for 174",
        ),
        // Ignored, one case per reason.
        (
            "ticket creation off",
            Case::first().with(|c| c.settings.features.ticket_creation = false),
            "ignore \"ticket_creation_off\"",
        ),
        (
            "ticket creation off stops following tickets too",
            Case::repeat(IN_PROGRESS, None).with(|c| c.settings.features.ticket_creation = false),
            "ignore \"ticket_creation_off\"",
        ),
        (
            "alert without tenant",
            Case::first().with(|c| c.alert.tenant_id = " ".to_owned()),
            "ignore \"unidentified_alert\"",
        ),
        (
            "alert without id",
            Case::first().with(|c| c.alert.id = String::new()),
            "ignore \"unidentified_alert\"",
        ),
        (
            "type not mapped",
            Case::first().with(|c| c.alert.alert_type = "MachineOffline30".to_owned()),
            "ignore \"type_not_mapped\"",
        ),
        (
            "CTI type whose short name is not mapped",
            Case::first().with(|c| {
                c.alert.alert_type = "cti.a.p.am.alert.v1.0~a.p.ransomware.v1.0".to_owned();
            }),
            "ignore \"type_not_mapped\"",
        ),
        (
            "type switched off",
            Case::first().with(|c| c.alert.alert_type = "NoBackupForXDays".to_owned()),
            "ignore \"type_disabled\"",
        ),
        (
            "row without priority",
            Case::first().with(|c| c.alert.alert_type = "NoPriority".to_owned()),
            "ignore \"missing_priority\"",
        ),
        (
            "row without status",
            Case::first().with(|c| c.alert.alert_type = "NoStatus".to_owned()),
            "ignore \"missing_status\"",
        ),
        (
            "tenant unmapped",
            Case::first().with(|c| c.customer = None),
            "ignore \"tenant_unmapped\"",
        ),
        (
            "dismissed before it got a ticket",
            Case::first().with(|c| c.alert.dismissed = true),
            "ignore \"dismissed_before_ticket\"",
        ),
        // Re-reads.
        (
            "the handled update re-read",
            Case::repeat(IN_PROGRESS, None).with(|c| c.alert.updated_at = created()),
            "nothing",
        ),
        (
            "an older update re-read",
            Case::repeat(IN_PROGRESS, None)
                .with(|c| c.alert.updated_at = created() - TimeDelta::seconds(1)),
            "nothing",
        ),
        (
            "the handled dismissal re-read",
            Case::dismissed(STATUS_COMPLETE).with(|c| {
                if let Some(record) = &mut c.record {
                    record.last_updated_at = Some(updated());
                }
            }),
            "nothing",
        ),
        (
            "a record from before last_updated_at goes by last_seen_at",
            Case::repeat(IN_PROGRESS, None).with(|c| {
                c.alert.updated_at = created();
                if let Some(record) = &mut c.record {
                    record.last_updated_at = None;
                }
            }),
            "nothing",
        ),
        // Repeats.
        (
            "repeat while open",
            Case::repeat(IN_PROGRESS, None),
            "note 42",
        ),
        (
            "repeat while open in a status the job did not list",
            Case::repeat(WAITING_CUSTOMER, None),
            "note 42",
        ),
        (
            "repeat after a technician re-opened the closed ticket",
            Case::repeat(IN_PROGRESS, None).with(|c| {
                if let Some(record) = &mut c.record {
                    record.state = AlertTicketState::Closed;
                    record.closed_at = Some(created());
                }
            }),
            "note 42",
        ),
        (
            "repeat while open, type since switched off: the ticket is followed",
            Case::repeat(IN_PROGRESS, None).with(|c| c.settings.alert_mappings[0].enabled = false),
            "note 42",
        ),
        (
            "repeat while open, tenant since unmapped: the ticket is followed",
            Case::repeat(IN_PROGRESS, None).with(|c| c.customer = None),
            "note 42",
        ),
        (
            "repeat, closed 2 hours ago",
            closed_ago(2),
            "reopen 42 to 1",
        ),
        (
            "repeat, closed exactly a window ago",
            closed_ago(24),
            "reopen 42 to 1",
        ),
        (
            "repeat, closed a window and a second ago",
            Case::repeat(
                STATUS_COMPLETE,
                Some(now() - hours(24) - TimeDelta::seconds(1)),
            ),
            "create for 174",
        ),
        (
            "repeat, closed 3 days ago",
            closed_ago(72),
            "create for 174",
        ),
        (
            "repeat, closed 3 days ago, 7-day window",
            closed_ago(72).with(|c| c.settings.tickets.reopen_window_days = 7),
            "reopen 42 to 1",
        ),
        (
            "repeat, closed 300 days ago, window off",
            closed_ago(300 * 24).with(|c| c.settings.tickets.reopen_window_enabled = false),
            "reopen 42 to 1",
        ),
        (
            "repeat, closed 2 hours ago, zero-day window",
            closed_ago(2).with(|c| c.settings.tickets.reopen_window_days = 0),
            "create for 174",
        ),
        (
            "repeat, ticket not read: the record's closing time counts",
            Case::repeat(STATUS_COMPLETE, None).with(|c| {
                c.ticket = None;
                if let Some(record) = &mut c.record {
                    record.closed_at = Some(now() - hours(72));
                }
            }),
            "create for 174",
        ),
        (
            "repeat, closed in a custom status at an unknown time",
            Case::repeat(CLOSED_CUSTOM, None),
            "reopen 42 to 1",
        ),
        (
            "repeat, re-opened to the status of the CTI type's row",
            closed_ago(2).with(|c| c.alert.alert_type = CTI.to_owned()),
            "reopen 42 to 8",
        ),
        (
            "repeat within the window, type switched off",
            closed_ago(2).with(|c| c.settings.alert_mappings[0].enabled = false),
            "ignore \"type_disabled\"",
        ),
        (
            "repeat within the window, row without status",
            closed_ago(2).with(|c| c.alert.alert_type = "NoStatus".to_owned()),
            "ignore \"missing_status\"",
        ),
        (
            "repeat after the window, tenant unmapped",
            closed_ago(72).with(|c| c.customer = None),
            "ignore \"tenant_unmapped\"",
        ),
        (
            "a ticket read under another id is not the record's",
            Case::repeat(IN_PROGRESS, None)
                .with(|c| c.ticket = Some(seen(99, STATUS_COMPLETE, None))),
            "note 42",
        ),
        (
            "repeat without note type",
            Case::repeat(IN_PROGRESS, None).with(|c| c.settings.tickets.note_type = None),
            "ignore \"missing_note_type\"",
        ),
        (
            "repeat without note publish",
            Case::repeat(IN_PROGRESS, None).with(|c| c.settings.tickets.note_publish = None),
            "ignore \"missing_note_publish\"",
        ),
        // Dismissals.
        (
            "dismissed, auto-close on",
            Case::dismissed(IN_PROGRESS),
            "close 42 to 5",
        ),
        (
            "dismissed, auto-close to a status that is not closed",
            Case::dismissed(IN_PROGRESS)
                .with(|c| c.settings.tickets.auto_close_status = Some(WAITING_CUSTOMER)),
            "close 42 to 7",
        ),
        (
            "dismissed, auto-close off",
            Case::dismissed(IN_PROGRESS).with(|c| c.settings.tickets.auto_close = false),
            "ignore \"auto_close_off\"",
        ),
        (
            "dismissed, auto-close without status",
            Case::dismissed(IN_PROGRESS).with(|c| c.settings.tickets.auto_close_status = None),
            "ignore \"missing_auto_close_status\"",
        ),
        (
            "dismissed, ticket already closed",
            Case::dismissed(STATUS_COMPLETE),
            "nothing",
        ),
        (
            "dismissed, type since removed: the ticket is still closed",
            Case::dismissed(IN_PROGRESS).with(|c| c.settings.alert_mappings.clear()),
            "close 42 to 5",
        ),
        // Killed runs.
        (
            "intent recorded, no ticket found",
            Case::pending(None),
            "create for 174",
        ),
        (
            "intent recorded, ticket found",
            Case::pending(Some(seen(ORPHAN, NEW, None))),
            "adopt 43",
        ),
        (
            "intent recorded, ticket found, alert since dismissed",
            Case::pending(Some(seen(ORPHAN, NEW, None))).with(|c| {
                c.alert.updated_at = updated();
                c.alert.dismissed = true;
            }),
            "close 43 to 5",
        ),
        (
            "intent recorded, ticket found, alert since dismissed, auto-close off",
            Case::pending(Some(seen(ORPHAN, NEW, None))).with(|c| {
                c.alert.updated_at = updated();
                c.alert.dismissed = true;
                c.settings.tickets.auto_close = false;
            }),
            "adopt 43",
        ),
        (
            "intent recorded, only an earlier ticket found",
            Case::pending(Some(seen(TICKET, STATUS_COMPLETE, None))).with(|c| {
                if let Some(record) = &mut c.record {
                    record.previous_ticket_ids = vec![TICKET];
                }
            }),
            "create for 174",
        ),
        (
            "intent recorded, alert since dismissed",
            Case::pending(None).with(|c| {
                c.alert.updated_at = updated();
                c.alert.dismissed = true;
            }),
            "ignore \"dismissed_before_ticket\"",
        ),
    ]
}

#[test]
fn each_case_plans_its_action() {
    let mut failures = Vec::new();
    for (name, case, expected) in cases() {
        let plan = case.plan();
        let got = brief(&plan.action);
        if got != expected {
            failures.push(format!(
                "{name}: expected {expected}, got {got} ({})",
                plan.reason
            ));
        }
        assert!(!plan.reason.trim().is_empty(), "{name}: no reason");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn applying_a_plan_and_reading_the_alert_again_changes_nothing() {
    for (name, case, _) in cases() {
        let plan = case.plan();
        let created = CreatedTicket {
            ticket_id: 77,
            ticket_number: Some("T20261001.0077".to_owned()),
        };
        let Some(record) = record_after(&case.inputs(), &plan.action, Some(&created)) else {
            continue;
        };
        // Autotask as the action left it.
        let ticket = match &plan.action {
            TicketAction::Create(new) => seen(77, new.status, None),
            TicketAction::Note { ticket_id, .. } | TicketAction::Adopt { ticket_id } => case
                .ticket
                .clone()
                .unwrap_or_else(|| seen(*ticket_id, IN_PROGRESS, None)),
            TicketAction::Reopen {
                ticket_id, status, ..
            }
            | TicketAction::Close {
                ticket_id, status, ..
            } => seen(*ticket_id, *status, None),
            TicketAction::Nothing | TicketAction::Ignore(_) => unreachable!("no record"),
        };
        let again = Case {
            record: Some(record),
            ticket: Some(ticket),
            now: case.now + TimeDelta::minutes(1),
            ..case
        }
        .plan();
        assert_eq!(
            again.action,
            TicketAction::Nothing,
            "{name}: {}",
            again.reason
        );
    }
}

#[test]
fn a_new_ticket_takes_the_mapping_row_the_settings_and_the_customer() {
    let TicketAction::Create(ticket) = Case::first().plan().action else {
        panic!("expected a create");
    };
    assert_eq!(
        ticket,
        NewTicket {
            company_id: COMPANY,
            title: "Acronis: Backup failed — SERVER01 (Contoso Ltd)".to_owned(),
            description: ticket.description.clone(),
            status: NEW,
            priority: 2,
            queue_id: Some(29_682_833),
            issue_type: Some(3),
            sub_issue_type: Some(4),
            ticket_type: Some(1),
            source: Some(2),
            contract_id: Some(9001),
            external_id: format!("{TENANT}/{ALERT}"),
        }
    );
    // Without a contract (billing off, or services unmapped) the ticket names none.
    let case = Case::first().with(|c| {
        if let Some(customer) = &mut c.customer {
            customer.contract_id = None;
        }
    });
    let TicketAction::Create(ticket) = case.plan().action else {
        panic!("expected a create");
    };
    assert_eq!(ticket.contract_id, None);
}

#[test]
fn a_cti_type_prefers_the_row_naming_it_whole() {
    let case = Case::first().with(|c| {
        c.alert.alert_type = CTI.to_owned();
        c.settings.alert_mappings.push(row(CTI, Some(4), Some(NEW)));
    });
    let TicketAction::Create(ticket) = case.plan().action else {
        panic!("expected a create");
    };
    assert_eq!((ticket.priority, ticket.status), (4, NEW));
    // Only the short-name row: its fields.
    let case = Case::first().with(|c| c.alert.alert_type = CTI.to_owned());
    let TicketAction::Create(ticket) = case.plan().action else {
        panic!("expected a create");
    };
    assert_eq!((ticket.priority, ticket.status), (1, IN_PROGRESS));
}

#[test]
fn ignore_reasons_read_and_serialize_as_snake_case() {
    assert_eq!(
        serde_json::to_value(IgnoreReason::DismissedBeforeTicket).expect("json"),
        "dismissed_before_ticket"
    );
    assert_eq!(
        IgnoreReason::TenantUnmapped.to_string(),
        "the alert's tenant is not mapped to an Autotask company"
    );
    let plan = Case::first().with(|c| c.customer = None).plan();
    assert_eq!(plan.reason, IgnoreReason::TenantUnmapped.to_string());
    assert_eq!(
        serde_json::to_value(&plan.action).expect("json"),
        serde_json::json!({ "ignore": "tenant_unmapped" })
    );
}

// --- texts ---------------------------------------------------------------------------

fn rich_alert() -> AlertView {
    AlertView {
        updated_at: updated(),
        title: Some("Backup of SERVER01 failed".to_owned()),
        description: Some("The last 3 runs of the plan failed.\r\nCheck the storage.".to_owned()),
        fields: vec![
            ("daysPassed".to_owned(), "3".to_owned()),
            ("context".to_owned(), "null".to_owned()),
            (
                "agent".to_owned(),
                "  Agent 24.6\n(build 38600) ".to_owned(),
            ),
            ("".to_owned(), "orphan value".to_owned()),
        ],
        ..alert()
    }
}

fn description_of(case: &Case) -> String {
    match case.plan().action {
        TicketAction::Create(ticket) => ticket.description,
        other => panic!("expected a create, got {other:?}"),
    }
}

#[test]
fn the_description_of_a_full_alert() {
    let case = Case::first().with(|c| c.alert = rich_alert());
    assert_eq!(
        description_of(&case),
        "\
Backup failed — Acronis alert, severity Error
Backup of SERVER01 failed

Resource: SERVER01
Plan: Daily backup
Customer: Contoso Ltd (Autotask company 174)
Acronis tenant: Contoso (c1000000-0000-4000-8000-000000000174)
Raised: 2026-10-01 08:00:00 UTC
Last updated: 2026-10-01 09:15:00 UTC
Alert type: BackupFailed
Acronis alert id: 887E19F7-59F5-44DC-9721-64B1C48B4117
Open in Acronis: https://eu2-cloud.acronis.com/alerts/887E19F7

Error:
The backup location is not accessible.

Description:
The last 3 runs of the plan failed.
Check the storage.

Details:
daysPassed: 3
agent: Agent 24.6 (build 38600)"
    );
}

#[test]
fn the_description_of_a_bare_alert_leaves_absent_details_out() {
    let case = Case::first().with(|c| {
        c.alert = AlertView {
            type_label: String::new(),
            severity: "null".to_owned(),
            title: Some("None".to_owned()),
            resource: None,
            plan: Some(" ".to_owned()),
            error_message: Some("null".to_owned()),
            fields: vec![("reason".to_owned(), "None".to_owned())],
            console_url: Some("javascript:alert(1)".to_owned()),
            ..alert()
        };
        c.customer = Some(Customer {
            company_id: COMPANY,
            company_name: None,
            tenant_name: None,
            contract_id: None,
        });
    });
    let TicketAction::Create(ticket) = case.plan().action else {
        panic!("expected a create");
    };
    assert_eq!(ticket.title, "Acronis: BackupFailed");
    assert_eq!(
        ticket.description,
        "\
BackupFailed — Acronis alert

Customer: Autotask company 174
Acronis tenant: c1000000-0000-4000-8000-000000000174
Raised: 2026-10-01 08:00:00 UTC
Alert type: BackupFailed
Acronis alert id: 887E19F7-59F5-44DC-9721-64B1C48B4117"
    );
    for word in ["None", "null", "javascript"] {
        assert!(!ticket.description.contains(word), "{word}");
    }
}

#[test]
fn titles() {
    let cases = [
        (
            alert(),
            Some(customer()),
            "Acronis: Backup failed — SERVER01 (Contoso Ltd)",
        ),
        (alert(), None, "Acronis: Backup failed — SERVER01"),
        (
            AlertView {
                resource: None,
                ..alert()
            },
            Some(Customer {
                company_name: None,
                ..customer()
            }),
            "Acronis: Backup failed (Contoso)",
        ),
        (
            AlertView {
                type_label: " ".to_owned(),
                title: Some("Malware detected".to_owned()),
                alert_type: CTI.to_owned(),
                resource: Some("LAPTOP\n07".to_owned()),
                ..alert()
            },
            Some(customer()),
            "Acronis: Malware detected — LAPTOP 07 (Contoso Ltd)",
        ),
        (
            AlertView {
                type_label: String::new(),
                alert_type: CTI.to_owned(),
                resource: None,
                ..alert()
            },
            None,
            "Acronis: malware_detected",
        ),
    ];
    for (alert, customer, expected) in cases {
        assert_eq!(ticket_title(&alert, customer.as_ref()), expected);
    }
}

#[test]
fn texts_stay_within_autotask_limits() {
    let huge = "x".repeat(20_000);
    let case = Case::first().with(|c| {
        c.alert.resource = Some(huge.clone());
        c.alert.error_message = Some(huge.clone());
        c.alert.description = Some(huge.clone());
        c.alert.fields = (0..200)
            .map(|i| (format!("field{i}"), huge.clone()))
            .collect();
    });
    let TicketAction::Create(ticket) = case.plan().action else {
        panic!("expected a create");
    };
    assert!(ticket.title.chars().count() <= MAX_TITLE_CHARS);
    assert!(
        ticket.title.ends_with("… (Contoso Ltd)"),
        "{}",
        ticket.title
    );
    let case = case.with(|c| {
        c.alert.type_label = "l".repeat(1000);
        if let Some(customer) = &mut c.customer {
            customer.company_name = Some("c".repeat(1000));
        }
    });
    let TicketAction::Create(long) = case.plan().action else {
        panic!("expected a create");
    };
    // Three parts of 80 characters and the words around them: exactly the limit.
    assert_eq!(long.title.chars().count(), MAX_TITLE_CHARS);
    assert!(long.title.ends_with("c…)"), "{}", long.title);
    let chars = ticket.description.chars().count();
    assert!(chars <= MAX_DESCRIPTION_CHARS, "{chars}");
    // What a technician needs first survives the cut.
    for kept in [
        "Customer: Contoso Ltd",
        "Open in Acronis: https://",
        "Error:",
    ] {
        assert!(ticket.description.contains(kept), "{kept}");
    }

    let mut case = Case::repeat(IN_PROGRESS, None);
    case.alert.error_message = Some("y".repeat(100_000));
    case.alert.resource = Some("z".repeat(100_000));
    let TicketAction::Note { note, .. } = case.plan().action else {
        panic!("expected a note");
    };
    assert!(note.title.chars().count() <= MAX_NOTE_TITLE_CHARS);
    assert!(note.description.chars().count() <= MAX_NOTE_DESCRIPTION_CHARS);
}

#[test]
fn the_notes() {
    let TicketAction::Note { note, .. } = Case::repeat(IN_PROGRESS, None).plan().action else {
        panic!("expected a note");
    };
    assert_eq!(
        note,
        NewNote {
            title: "Acronis alert repeated".to_owned(),
            description: "\
Alert repeated at 2026-10-01 09:15:00 UTC.
Backup failed — SERVER01 (severity Error)
Error: The backup location is not accessible.
Open in Acronis: https://eu2-cloud.acronis.com/alerts/887E19F7"
                .to_owned(),
            note_type: 1,
            publish: 1,
        }
    );

    let closed = Case::repeat(STATUS_COMPLETE, Some(t("2026-10-01T07:30:00Z")));
    let TicketAction::Reopen { note, .. } = closed.plan().action else {
        panic!("expected a re-open");
    };
    assert_eq!(note.title, "Acronis alert repeated — ticket re-opened");
    assert!(
        note.description.starts_with(
            "Alert repeated at 2026-10-01 09:15:00 UTC; ticket re-opened by the bridge: it was \
             closed at 2026-10-01 07:30:00 UTC, within the 1 day re-opening window.\n"
        ),
        "{}",
        note.description
    );
    let window_off = closed.with(|c| c.settings.tickets.reopen_window_enabled = false);
    let TicketAction::Reopen { note, .. } = window_off.plan().action else {
        panic!("expected a re-open");
    };
    assert!(
        note.description
            .contains("the re-opening window is off, so a repeat always re-opens"),
        "{}",
        note.description
    );

    let TicketAction::Close { note, .. } = Case::dismissed(IN_PROGRESS).plan().action else {
        panic!("expected a close");
    };
    assert_eq!(note.title, "Acronis alert dismissed — ticket closed");
    assert!(
        note.description.starts_with(
            "Alert dismissed in Acronis at 2026-10-01 09:15:00 UTC; ticket closed by the bridge.\n"
        ),
        "{}",
        note.description
    );
}

#[test]
fn a_ticket_replacing_a_closed_one_names_it() {
    let case = Case::repeat(STATUS_COMPLETE, Some(t("2026-09-28T10:00:00Z")));
    let description = description_of(&case);
    assert!(
        description.contains(
            "This alert's earlier ticket T20261001.0042 (id 42) was closed at 2026-09-28 \
             10:00:00 UTC, more than 1 day ago."
        ),
        "{description}"
    );
}

// --- records -------------------------------------------------------------------------

#[test]
fn a_first_create_records_its_intent_then_its_ticket() {
    let case = Case::first();
    let intent = intent_record(&case.inputs());
    assert_eq!(
        intent,
        AlertTicket {
            alert_key: format!("{TENANT}/{ALERT}"),
            state: AlertTicketState::Pending,
            ticket_id: None,
            ticket_number: None,
            company_id: Some(COMPANY),
            tenant_id: TENANT.to_owned(),
            alert_id: ALERT.to_owned(),
            alert_type: "BackupFailed".to_owned(),
            opened_at: now(),
            last_seen_at: now(),
            closed_at: None,
            last_action: None,
            last_updated_at: Some(created()),
            previous_ticket_ids: Vec::new(),
        }
    );
    let plan = case.plan();
    assert_eq!(record_after(&case.inputs(), &plan.action, None), None);
    let created = CreatedTicket {
        ticket_id: TICKET,
        ticket_number: Some("T20261001.0042".to_owned()),
    };
    let record = record_after(&case.inputs(), &plan.action, Some(&created)).expect("a record");
    assert_eq!(
        record,
        AlertTicket {
            state: AlertTicketState::Open,
            ticket_id: Some(TICKET),
            ticket_number: Some("T20261001.0042".to_owned()),
            last_action: Some("created".to_owned()),
            ..intent
        }
    );
}

#[test]
fn a_replacing_create_keeps_the_earlier_ticket() {
    let case = Case::repeat(STATUS_COMPLETE, Some(now() - hours(72))).with(|c| {
        if let Some(record) = &mut c.record {
            record.previous_ticket_ids = vec![7];
        }
    });
    let intent = intent_record(&case.inputs());
    assert_eq!(intent.previous_ticket_ids, [7, TICKET]);
    assert_eq!(
        (
            intent.state,
            intent.ticket_id,
            intent.ticket_number.as_deref()
        ),
        (AlertTicketState::Pending, None, None)
    );
    assert_eq!(intent.last_updated_at, Some(updated()));
    assert_eq!(intent.opened_at, now());

    // Found again by externalID, the earlier ticket is not taken for the new one.
    let resumed = Case {
        record: Some(intent),
        ticket: Some(seen(TICKET, STATUS_COMPLETE, Some(now() - hours(72)))),
        now: now() + TimeDelta::minutes(5),
        ..case
    };
    assert_eq!(brief(&resumed.plan().action), "create for 174");
}

#[test]
fn earlier_tickets_are_capped_newest_kept() {
    let case = Case::repeat(STATUS_COMPLETE, Some(now() - hours(72))).with(|c| {
        if let Some(record) = &mut c.record {
            record.previous_ticket_ids =
                (1000..1000 + AlertTicket::MAX_PREVIOUS_TICKETS as i64).collect();
        }
    });
    let ids = intent_record(&case.inputs()).previous_ticket_ids;
    assert_eq!(ids.len(), AlertTicket::MAX_PREVIOUS_TICKETS);
    assert_eq!(ids.first(), Some(&1001));
    assert_eq!(ids.last(), Some(&TICKET));
}

#[test]
fn records_after_notes_reopens_closes_and_adoptions() {
    let states = |case: Case| {
        let plan = case.plan();
        let record = record_after(&case.inputs(), &plan.action, None).expect("a record");
        (
            record.state,
            record.ticket_id,
            record.closed_at,
            record.last_action.clone(),
            record.last_updated_at,
        )
    };
    let action = |s: &str| Some(s.to_owned());
    assert_eq!(
        states(Case::repeat(IN_PROGRESS, None)),
        (
            AlertTicketState::Open,
            Some(TICKET),
            None,
            action("note"),
            Some(updated())
        )
    );
    assert_eq!(
        states(Case::repeat(STATUS_COMPLETE, Some(now() - hours(2)))),
        (
            AlertTicketState::Open,
            Some(TICKET),
            None,
            action("reopened"),
            Some(updated())
        )
    );
    assert_eq!(
        states(Case::dismissed(IN_PROGRESS)),
        (
            AlertTicketState::Closed,
            Some(TICKET),
            Some(now()),
            action("closed"),
            Some(updated())
        )
    );
    // Auto-closing to a status that is not closed leaves the ticket open.
    assert_eq!(
        states(
            Case::dismissed(IN_PROGRESS)
                .with(|c| c.settings.tickets.auto_close_status = Some(WAITING_CUSTOMER))
        ),
        (
            AlertTicketState::Open,
            Some(TICKET),
            None,
            action("closed"),
            Some(updated())
        )
    );
    assert_eq!(
        states(Case::pending(Some(seen(ORPHAN, NEW, None)))),
        (
            AlertTicketState::Open,
            Some(ORPHAN),
            None,
            action("adopted"),
            Some(created())
        )
    );
    let completed = now() - hours(1);
    assert_eq!(
        states(Case::pending(Some(seen(
            ORPHAN,
            STATUS_COMPLETE,
            Some(completed)
        )))),
        (
            AlertTicketState::Closed,
            Some(ORPHAN),
            Some(completed),
            action("adopted"),
            Some(created())
        )
    );

    let adopted = Case::pending(Some(seen(ORPHAN, NEW, None)));
    let plan = adopted.plan();
    let record = record_after(&adopted.inputs(), &plan.action, None).expect("a record");
    assert_eq!(record.ticket_number.as_deref(), Some("T20261001.0043"));
    assert_eq!(record.last_seen_at, now());
}

#[test]
fn nothing_and_ignore_write_no_record() {
    for case in [
        Case::repeat(IN_PROGRESS, None).with(|c| c.alert.updated_at = created()),
        Case::first().with(|c| c.customer = None),
    ] {
        let plan = case.plan();
        assert_eq!(record_after(&case.inputs(), &plan.action, None), None);
    }
}
