//! Tickets from Acronis alerts: for one alert, the one thing to do in Autotask.
//!
//! The alert job gathers the inputs (the alert, the settings, the customer mapped to the
//! alert's tenant, the alert → ticket record, the ticket as last read from Autotask),
//! applies the [`TicketPlan`] and stores the record [`record_after`] gives; a dry run
//! shows the same plan. Rules (DESIGN.md, "Tickets"; the guide's "Ticket
//! synchronization", "Configuring the alert mapping"):
//!
//! **Which alerts.** Nothing happens while `features.ticket_creation` is off. An alert
//! type gets tickets when an enabled alert-mapping row names it
//! ([`Settings::alert_mapping`]: the type itself, or for a CTI id its short name). The
//! row gives priority, status, queue, issue and sub-issue type and ticket type; the
//! settings give source, note type and note publish; the customer mapping gives the
//! company (and the contract, when billing names one).
//!
//! **One alert, one ticket.** The record is keyed by [`AlertTicket::key`] (tenant and
//! alert id), which is also the ticket's `externalID`. A first sighting creates the
//! ticket; a repeat (the alert's `updatedAt` later than the one last handled) adds a
//! note to the open ticket, re-opens it (to the row's status) when it was closed within
//! the re-opening window — always, with the window switched off — or creates a new
//! ticket when it was closed longer ago. The window counts from Autotask's
//! `completedDate`, else from the record's `closed_at`; when neither is known the
//! ticket is re-opened (a duplicate ticket is the worse mistake).
//!
//! **Dismissed alerts.** With auto-closing on, an alert dismissed in Acronis moves its
//! open ticket to `tickets.auto_close_status`, with a note. An alert dismissed before it
//! got a ticket gets none.
//!
//! **Tickets already made are followed through.** Switching an alert type off, removing
//! its row or unmapping the tenant stops new tickets and re-openings (both need the
//! row's status), but an open ticket still gets its notes and is still auto-closed, so
//! it never goes stale.
//!
//! **Killed runs.** A `Create` is applied as: write [`intent_record`] (`Pending`), create
//! the ticket with `externalID` = the alert key, write [`record_after`]. A run killed in
//! between leaves the `Pending` record: the next run looks the ticket up by `externalID`
//! and passes the newest one it finds as `ticket`; the planner takes it for the alert's
//! ticket unless it is one the record knows as earlier (`previous_ticket_ids`), and plans
//! [`TicketAction::Adopt`] when there is nothing else to do. No ticket found: the create
//! is planned again.
//!
//! **Re-reads.** An alert at the `updatedAt` the record last handled plans
//! [`TicketAction::Nothing`], so reading the same alerts twice changes nothing.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::mapping::AlertMapping;
use crate::records::{AlertTicket, AlertTicketState};
use crate::settings::Settings;
use crate::text::fit;

/// Autotask's system status "Complete": closed, whatever the picklist adds.
pub const STATUS_COMPLETE: i64 = 5;
/// Autotask `Tickets.title` is str(255).
pub const MAX_TITLE_CHARS: usize = 255;
/// Autotask `Tickets.description` is str(8000).
pub const MAX_DESCRIPTION_CHARS: usize = 8000;
/// Autotask `TicketNotes.title` is str(250).
pub const MAX_NOTE_TITLE_CHARS: usize = 250;
/// Autotask `TicketNotes.description` is str(32000).
pub const MAX_NOTE_DESCRIPTION_CHARS: usize = 32000;

/// Caps on the alert's free text in a description, so a long error message cannot push
/// the customer, the time and the console link out of the 8,000 characters.
const MAX_ERROR_CHARS: usize = 2000;
const MAX_ALERT_DESCRIPTION_CHARS: usize = 2000;
const MAX_FIELD_NAME_CHARS: usize = 100;
const MAX_FIELD_VALUE_CHARS: usize = 500;
const MAX_FIELDS: usize = 40;
/// Caps on one-line values (resource, plan, names), for the same reason.
const MAX_LINE_CHARS: usize = 200;
/// Caps on each part of a title, so the customer's name always fits after a long
/// resource name.
const MAX_TITLE_PART_CHARS: usize = 80;

/// An Acronis alert as the planner needs it (the job converts from the client's type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: String,
    pub tenant_id: String,
    /// Short name (`BackupFailed`) or CTI id.
    pub alert_type: String,
    /// Human name of the type (`Backup failed`), given by the job.
    pub type_label: String,
    /// `ok`, `information`, `warning`, `error` or `critical`.
    pub severity: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub dismissed: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The machine or workload (`resourceName`).
    pub resource: Option<String>,
    /// The protection plan (`planName`).
    pub plan: Option<String>,
    pub error_message: Option<String>,
    /// Further details worth showing, in order.
    pub fields: Vec<(String, String)>,
    /// Link to the alert in the Acronis console.
    pub console_url: Option<String>,
}

/// The Autotask side of the alert's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub company_id: i64,
    pub company_name: Option<String>,
    pub tenant_name: Option<String>,
    /// Named on the ticket when billing is on and the company's Acronis services are
    /// mapped (the job decides).
    pub contract_id: Option<i64>,
}

/// The ticket as last read from Autotask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSeen {
    pub ticket_id: i64,
    /// Status picklist id.
    pub status: i64,
    /// `completedDate`, when the ticket is completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// `ticketNumber`, kept on the record of an adopted ticket.
    #[serde(default)]
    pub ticket_number: Option<String>,
}

/// Everything the planner needs for one alert.
#[derive(Debug, Clone, Copy)]
pub struct TicketInputs<'a> {
    pub alert: &'a AlertView,
    /// `features.ticket_creation`, `tickets.*`, `alert_mappings`.
    pub settings: &'a Settings,
    /// `None`: the alert's tenant is not mapped to a company.
    pub customer: Option<&'a Customer>,
    pub record: Option<&'a AlertTicket>,
    /// The record's ticket as read from Autotask; with a `Pending` record, the newest
    /// ticket whose `externalID` is the alert key, if any. `None`: not read (the
    /// record's state stands in).
    pub ticket: Option<&'a TicketSeen>,
    /// Autotask status ids that mean closed ([`STATUS_COMPLETE`] always counts; the job
    /// adds others it learns from the picklist).
    pub closed_statuses: &'a [i64],
    pub now: DateTime<Utc>,
}

/// The one action for an alert, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPlan {
    pub action: TicketAction,
    pub reason: String,
}

/// What to do in Autotask for one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketAction {
    /// First sighting, a repeat after the last ticket was closed longer ago than the
    /// window, or a create a killed run did not get to make.
    Create(NewTicket),
    /// A repeat (or update) of the alert while its ticket is open.
    Note { ticket_id: i64, note: NewNote },
    /// A repeat while the ticket is closed, within the window (or the window is off):
    /// back to the alert mapping's status, with a note.
    Reopen {
        ticket_id: i64,
        status: i64,
        note: NewNote,
    },
    /// Auto-closing is on and the alert was dismissed in Acronis: the ticket goes to
    /// `tickets.auto_close_status`, with a note.
    Close {
        ticket_id: i64,
        status: i64,
        note: NewNote,
    },
    /// A killed run created this ticket but did not record it; nothing to write to
    /// Autotask, only the record.
    Adopt { ticket_id: i64 },
    /// Already handled: the same update re-read, or dismissed with the ticket closed.
    Nothing,
    /// Deliberately left alone; counted by reason.
    Ignore(IgnoreReason),
}

impl TicketAction {
    /// The existing ticket the action works on (`None` for a create or no action).
    pub fn ticket_id(&self) -> Option<i64> {
        match self {
            Self::Note { ticket_id, .. }
            | Self::Reopen { ticket_id, .. }
            | Self::Close { ticket_id, .. }
            | Self::Adopt { ticket_id } => Some(*ticket_id),
            Self::Create(_) | Self::Nothing | Self::Ignore(_) => None,
        }
    }

    /// The word kept as the record's `last_action` and used in run summaries.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create(_) => "created",
            Self::Note { .. } => "note",
            Self::Reopen { .. } => "reopened",
            Self::Close { .. } => "closed",
            Self::Adopt { .. } => "adopted",
            Self::Nothing => "nothing",
            Self::Ignore(_) => "ignored",
        }
    }
}

/// Why an alert gets no ticket action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreReason {
    TicketCreationOff,
    /// The alert has no id or no tenant, so it has no dedup key.
    UnidentifiedAlert,
    TypeNotMapped,
    TypeDisabled,
    /// The alert-mapping row has no priority (settings validation should prevent it).
    MissingPriority,
    /// The alert-mapping row has no status (settings validation should prevent it).
    MissingStatus,
    TenantUnmapped,
    DismissedBeforeTicket,
    AutoCloseOff,
    /// Auto-closing is on without a status (settings validation should prevent it).
    MissingAutoCloseStatus,
    /// `tickets.note_type` is not set (settings validation should prevent it).
    MissingNoteType,
    /// `tickets.note_publish` is not set (settings validation should prevent it).
    MissingNotePublish,
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TicketCreationOff => "ticket creation is off",
            Self::UnidentifiedAlert => "the alert has no id or no tenant",
            Self::TypeNotMapped => "no alert mapping names this alert type",
            Self::TypeDisabled => "the alert type is switched off in the alert mapping",
            Self::MissingPriority => {
                "the alert mapping has no priority, which Autotask requires on new tickets"
            }
            Self::MissingStatus => {
                "the alert mapping has no status, which Autotask requires on new tickets"
            }
            Self::TenantUnmapped => "the alert's tenant is not mapped to an Autotask company",
            Self::DismissedBeforeTicket => "the alert was dismissed before it got a ticket",
            Self::AutoCloseOff => "the alert was dismissed, but ticket auto-closing is off",
            Self::MissingAutoCloseStatus => "ticket auto-closing is on without a status to set",
            Self::MissingNoteType => "no note type is set for ticket notes",
            Self::MissingNotePublish => "no note publish value is set for ticket notes",
        })
    }
}

/// A ticket to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTicket {
    pub company_id: i64,
    pub title: String,
    pub description: String,
    pub status: i64,
    pub priority: i64,
    pub queue_id: Option<i64>,
    pub issue_type: Option<i64>,
    pub sub_issue_type: Option<i64>,
    pub ticket_type: Option<i64>,
    pub source: Option<i64>,
    pub contract_id: Option<i64>,
    /// The alert's marker for Autotask's `externalID`: `AlertTicket::key(tenant, alert)`.
    pub external_id: String,
}

/// A note to add to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNote {
    pub title: String,
    pub description: String,
    pub note_type: i64,
    pub publish: i64,
}

/// The ticket a `Create` made, as the job learnt it from Autotask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTicket {
    pub ticket_id: i64,
    pub ticket_number: Option<String>,
}

/// Plans the one action for `inputs.alert`.
pub fn plan_ticket(inputs: &TicketInputs) -> TicketPlan {
    let alert = inputs.alert;
    if !inputs.settings.features.ticket_creation {
        return ignore(IgnoreReason::TicketCreationOff);
    }
    if alert.id.trim().is_empty() || alert.tenant_id.trim().is_empty() {
        return ignore(IgnoreReason::UnidentifiedAlert);
    }
    match current_ticket(inputs) {
        None => first_ticket(inputs),
        Some(current) => {
            let plan = follow(inputs, &current);
            match (current.adopted, &plan.action) {
                (true, TicketAction::Nothing | TicketAction::Ignore(_)) => TicketPlan {
                    action: TicketAction::Adopt {
                        ticket_id: current.ticket_id,
                    },
                    reason: format!(
                        "ticket {} carries the alert's externalID but was never recorded (a \
                         run stopped after creating it): recording it; {}",
                        current.ticket_id, plan.reason
                    ),
                },
                _ => plan,
            }
        }
    }
}

/// The record to write before the create call of a [`TicketAction::Create`]: `Pending`,
/// without ticket, the current ticket (if any) moved to `previous_ticket_ids`. Write it
/// with the version read (`None` for no record), so two runs cannot both create.
pub fn intent_record(inputs: &TicketInputs) -> AlertTicket {
    let alert = inputs.alert;
    let mut record = base_record(inputs);
    if let Some(current) = current_ticket(inputs) {
        retire(&mut record, current.ticket_id);
    }
    AlertTicket {
        state: AlertTicketState::Pending,
        ticket_id: None,
        ticket_number: None,
        company_id: inputs.customer.map(|c| c.company_id),
        opened_at: inputs.now,
        closed_at: None,
        last_action: None,
        last_updated_at: Some(alert.updated_at),
        ..record
    }
}

/// The record to write once `action` was applied; `created` is the ticket a `Create`
/// made. `None` when there is nothing to write (`Nothing`, `Ignore`, or a `Create`
/// without its ticket).
pub fn record_after(
    inputs: &TicketInputs,
    action: &TicketAction,
    created: Option<&CreatedTicket>,
) -> Option<AlertTicket> {
    let alert = inputs.alert;
    let seen_number = || inputs.ticket.and_then(|t| t.ticket_number.clone());
    let mut record = match action {
        TicketAction::Create(_) => {
            let created = created?;
            AlertTicket {
                state: AlertTicketState::Open,
                ticket_id: Some(created.ticket_id),
                ticket_number: created.ticket_number.clone(),
                ..intent_record(inputs)
            }
        }
        TicketAction::Nothing | TicketAction::Ignore(_) => return None,
        TicketAction::Note { ticket_id, .. }
        | TicketAction::Reopen { ticket_id, .. }
        | TicketAction::Close { ticket_id, .. }
        | TicketAction::Adopt { ticket_id } => {
            let current = current_ticket(inputs);
            let mut record = base_record(inputs);
            if record.ticket_id != Some(*ticket_id) {
                // Adopting the ticket a killed run created.
                record.ticket_id = Some(*ticket_id);
                record.ticket_number = seen_number();
            } else if record.ticket_number.is_none() {
                record.ticket_number = seen_number();
            }
            let (state, closed_at) = match action {
                TicketAction::Note { .. } | TicketAction::Reopen { .. } => {
                    (AlertTicketState::Open, None)
                }
                TicketAction::Close { status, .. } if is_closed(*status, inputs) => {
                    (AlertTicketState::Closed, Some(inputs.now))
                }
                TicketAction::Close { .. } => (AlertTicketState::Open, None),
                _ => match current.filter(|c| c.closed) {
                    Some(closed) => (
                        AlertTicketState::Closed,
                        closed.closed_at.or(Some(inputs.now)),
                    ),
                    None => (AlertTicketState::Open, None),
                },
            };
            record.state = state;
            record.closed_at = closed_at;
            record
        }
    };
    record.last_action = Some(action.name().to_owned());
    record.last_updated_at = Some(alert.updated_at);
    Some(record)
}

/// The alert's ticket, as the record and Autotask tell it.
#[derive(Debug, Clone, Copy)]
struct Current<'a> {
    ticket_id: i64,
    /// Found by `externalID` behind a `Pending` record: a killed run created it.
    adopted: bool,
    closed: bool,
    closed_at: Option<DateTime<Utc>>,
    /// The alert's `updatedAt` last handled.
    handled: DateTime<Utc>,
    record: &'a AlertTicket,
}

fn current_ticket<'a>(inputs: &TicketInputs<'a>) -> Option<Current<'a>> {
    let record = inputs.record?;
    let handled = record.last_updated_at.unwrap_or(record.last_seen_at);
    match (record.state, record.ticket_id) {
        (AlertTicketState::Open | AlertTicketState::Closed, Some(ticket_id)) => {
            // A ticket read under another id is not this record's: go by the record.
            let seen = inputs.ticket.filter(|t| t.ticket_id == ticket_id);
            let closed = match seen {
                Some(seen) => is_closed(seen.status, inputs),
                None => record.state == AlertTicketState::Closed,
            };
            Some(Current {
                ticket_id,
                adopted: false,
                closed,
                closed_at: seen
                    .and_then(|t| t.completed_at)
                    .or(record.closed_at)
                    .filter(|_| closed),
                handled,
                record,
            })
        }
        _ => {
            let seen = inputs
                .ticket
                .filter(|t| !record.knows_ticket(t.ticket_id))?;
            let closed = is_closed(seen.status, inputs);
            Some(Current {
                ticket_id: seen.ticket_id,
                adopted: true,
                closed,
                closed_at: seen.completed_at.filter(|_| closed),
                handled,
                record,
            })
        }
    }
}

fn is_closed(status: i64, inputs: &TicketInputs) -> bool {
    status == STATUS_COMPLETE || inputs.closed_statuses.contains(&status)
}

/// No ticket yet (or a create a killed run did not make).
fn first_ticket(inputs: &TicketInputs) -> TicketPlan {
    let resuming = inputs.record.is_some();
    let ticket = match new_ticket(inputs, None) {
        Ok(ticket) => ticket,
        Err(reason) => return ignore(reason),
    };
    if inputs.alert.dismissed {
        return ignore(IgnoreReason::DismissedBeforeTicket);
    }
    let reason = if resuming {
        "a run recorded the intent to create this alert's ticket, but no ticket carries its \
         externalID: creating it"
            .to_owned()
    } else {
        format!(
            "first sighting of the alert: new ticket for company {}",
            ticket.company_id
        )
    };
    plan(TicketAction::Create(ticket), reason)
}

/// The alert has a ticket: note, re-open, close, replace, or nothing.
fn follow(inputs: &TicketInputs, current: &Current) -> TicketPlan {
    let alert = inputs.alert;
    let tickets = &inputs.settings.tickets;
    let id = current.ticket_id;
    if alert.updated_at <= current.handled {
        return plan(
            TicketAction::Nothing,
            format!(
                "alert unchanged since its update at {} was handled",
                when(current.handled)
            ),
        );
    }
    if alert.dismissed {
        if current.closed {
            return plan(
                TicketAction::Nothing,
                format!("alert dismissed; ticket {id} is already closed"),
            );
        }
        if !tickets.auto_close {
            return ignore(IgnoreReason::AutoCloseOff);
        }
        let Some(status) = tickets.auto_close_status else {
            return ignore(IgnoreReason::MissingAutoCloseStatus);
        };
        let note = match note(
            inputs,
            "Acronis alert dismissed — ticket closed",
            dismissed_text(inputs),
        ) {
            Ok(note) => note,
            Err(reason) => return ignore(reason),
        };
        return plan(
            TicketAction::Close {
                ticket_id: id,
                status,
                note,
            },
            format!(
                "alert dismissed in Acronis; auto-closing moves ticket {id} to status {status}"
            ),
        );
    }
    if !current.closed {
        let note = match note(
            inputs,
            "Acronis alert repeated",
            repeated_text(inputs, None),
        ) {
            Ok(note) => note,
            Err(reason) => return ignore(reason),
        };
        return plan(
            TicketAction::Note {
                ticket_id: id,
                note,
            },
            format!("alert repeated; ticket {id} is open: adding a note"),
        );
    }
    let closed_for = current.closed_at.map(|at| inputs.now - at);
    let reopen = closed_for.is_none_or(|closed_for| tickets.reopens_ticket_closed_for(closed_for));
    if !reopen {
        let ticket = match new_ticket(inputs, Some(current)) {
            Ok(ticket) => ticket,
            Err(reason) => return ignore(reason),
        };
        return plan(
            TicketAction::Create(ticket),
            format!(
                "alert repeated; its ticket {id} was closed at {}, more than {} ago: new ticket",
                current.closed_at.map(when).unwrap_or_default(),
                days(tickets.reopen_window_days)
            ),
        );
    }
    let mapping = match mapping(inputs) {
        Ok(mapping) => mapping,
        Err(reason) => return ignore(reason),
    };
    let Some(status) = mapping.status else {
        return ignore(IgnoreReason::MissingStatus);
    };
    let why = match (tickets.reopen_window_enabled, current.closed_at) {
        (false, _) => "the re-opening window is off, so a repeat always re-opens".to_owned(),
        (true, Some(at)) => format!(
            "it was closed at {}, within the {} re-opening window",
            when(at),
            days(tickets.reopen_window_days)
        ),
        (true, None) => "when it was closed is not known, so it is re-opened".to_owned(),
    };
    let note = match note(
        inputs,
        "Acronis alert repeated — ticket re-opened",
        repeated_text(inputs, Some(&why)),
    ) {
        Ok(note) => note,
        Err(reason) => return ignore(reason),
    };
    plan(
        TicketAction::Reopen {
            ticket_id: id,
            status,
            note,
        },
        format!("alert repeated; ticket {id} is closed and {why}: re-opening it"),
    )
}

/// The alert type's enabled mapping row.
fn mapping<'a>(inputs: &TicketInputs<'a>) -> Result<&'a AlertMapping, IgnoreReason> {
    let row = inputs
        .settings
        .alert_mapping(&inputs.alert.alert_type)
        .ok_or(IgnoreReason::TypeNotMapped)?;
    if !row.enabled {
        return Err(IgnoreReason::TypeDisabled);
    }
    Ok(row)
}

/// The ticket to create; `replacing` is the closed ticket it follows.
fn new_ticket(
    inputs: &TicketInputs,
    replacing: Option<&Current>,
) -> Result<NewTicket, IgnoreReason> {
    let alert = inputs.alert;
    let row = mapping(inputs)?;
    let priority = row.priority.ok_or(IgnoreReason::MissingPriority)?;
    let status = row.status.ok_or(IgnoreReason::MissingStatus)?;
    let customer = inputs.customer.ok_or(IgnoreReason::TenantUnmapped)?;
    Ok(NewTicket {
        company_id: customer.company_id,
        title: ticket_title(alert, Some(customer)),
        description: ticket_description(inputs, customer, replacing),
        status,
        priority,
        queue_id: row.queue,
        issue_type: row.issue_type,
        sub_issue_type: row.sub_issue_type,
        ticket_type: row.ticket_type,
        source: inputs.settings.tickets.source,
        contract_id: customer.contract_id,
        external_id: AlertTicket::key(&alert.tenant_id, &alert.id),
    })
}

fn note(inputs: &TicketInputs, title: &str, description: String) -> Result<NewNote, IgnoreReason> {
    let tickets = &inputs.settings.tickets;
    Ok(NewNote {
        title: fit(title, MAX_NOTE_TITLE_CHARS),
        description: fit(&description, MAX_NOTE_DESCRIPTION_CHARS),
        note_type: tickets.note_type.ok_or(IgnoreReason::MissingNoteType)?,
        publish: tickets
            .note_publish
            .ok_or(IgnoreReason::MissingNotePublish)?,
    })
}

fn plan(action: TicketAction, reason: String) -> TicketPlan {
    TicketPlan { action, reason }
}

fn ignore(reason: IgnoreReason) -> TicketPlan {
    plan(TicketAction::Ignore(reason), reason.to_string())
}

/// The record as it stands, brought up to date with the alert (or a new one).
fn base_record(inputs: &TicketInputs) -> AlertTicket {
    let alert = inputs.alert;
    let alert_type = fit(alert.alert_type.trim(), AlertTicket::MAX_ALERT_TYPE_CHARS);
    match inputs.record {
        Some(record) => AlertTicket {
            tenant_id: alert.tenant_id.clone(),
            alert_id: alert.id.clone(),
            alert_type,
            last_seen_at: inputs.now,
            ..record.clone()
        },
        None => AlertTicket {
            alert_key: AlertTicket::key(&alert.tenant_id, &alert.id),
            state: AlertTicketState::Pending,
            ticket_id: None,
            ticket_number: None,
            company_id: inputs.customer.map(|c| c.company_id),
            tenant_id: alert.tenant_id.clone(),
            alert_id: alert.id.clone(),
            alert_type,
            opened_at: inputs.now,
            last_seen_at: inputs.now,
            closed_at: None,
            last_action: None,
            last_updated_at: None,
            previous_ticket_ids: Vec::new(),
        },
    }
}

/// Moves a replaced ticket to the earlier ones, keeping the newest.
fn retire(record: &mut AlertTicket, ticket_id: i64) {
    if !record.previous_ticket_ids.contains(&ticket_id) {
        record.previous_ticket_ids.push(ticket_id);
    }
    let excess = record
        .previous_ticket_ids
        .len()
        .saturating_sub(AlertTicket::MAX_PREVIOUS_TICKETS);
    record.previous_ticket_ids.drain(..excess);
}

// --- texts ---------------------------------------------------------------------------

/// `Acronis: Backup failed — SERVER01 (Contoso Ltd)`, within Autotask's 255 characters.
pub fn ticket_title(alert: &AlertView, customer: Option<&Customer>) -> String {
    let part = |text: &str| fit(&one_line(text), MAX_TITLE_PART_CHARS);
    let mut title = format!("Acronis: {}", part(&label(alert)));
    if let Some(resource) = present(alert.resource.as_deref()) {
        title.push_str(" — ");
        title.push_str(&part(resource));
    }
    if let Some(name) = customer.and_then(customer_name) {
        title.push_str(&format!(" ({})", part(name)));
    }
    fit(&title, MAX_TITLE_CHARS)
}

fn line(text: &mut String, s: String) {
    text.push_str(&s);
    text.push('\n');
}

/// What a technician needs first: what, where, for whom, when, and the console link;
/// then the error, the alert's own text and the remaining details. Within 8,000
/// characters; absent details are left out, never shown as "None".
fn ticket_description(
    inputs: &TicketInputs,
    customer: &Customer,
    replacing: Option<&Current>,
) -> String {
    let alert = inputs.alert;
    let mut text = String::new();
    let heading = match severity(alert) {
        Some(severity) => format!(
            "{} — Acronis alert, severity {severity}",
            short(&label(alert))
        ),
        None => format!("{} — Acronis alert", short(&label(alert))),
    };
    line(&mut text, heading);
    if let Some(title) = present(alert.title.as_deref())
        .map(short)
        .filter(|title| *title != short(&label(alert)))
    {
        line(&mut text, title);
    }
    text.push('\n');
    if let Some(resource) = present(alert.resource.as_deref()) {
        line(&mut text, format!("Resource: {}", short(resource)));
    }
    if let Some(plan) = present(alert.plan.as_deref()) {
        line(&mut text, format!("Plan: {}", short(plan)));
    }
    line(
        &mut text,
        match customer_name(customer) {
            Some(name) => format!(
                "Customer: {} (Autotask company {})",
                short(name),
                customer.company_id
            ),
            None => format!("Customer: Autotask company {}", customer.company_id),
        },
    );
    line(
        &mut text,
        match present(customer.tenant_name.as_deref()) {
            Some(name) => format!(
                "Acronis tenant: {} ({})",
                short(name),
                short(&alert.tenant_id)
            ),
            None => format!("Acronis tenant: {}", short(&alert.tenant_id)),
        },
    );
    line(&mut text, format!("Raised: {}", when(alert.created_at)));
    if alert.updated_at != alert.created_at {
        line(
            &mut text,
            format!("Last updated: {}", when(alert.updated_at)),
        );
    }
    line(
        &mut text,
        format!(
            "Alert type: {}",
            fit(
                &one_line(&alert.alert_type),
                AlertTicket::MAX_ALERT_TYPE_CHARS
            )
        ),
    );
    line(&mut text, format!("Acronis alert id: {}", short(&alert.id)));
    if let Some(url) = console_url(alert) {
        line(&mut text, format!("Open in Acronis: {url}"));
    }
    if let Some(replacing) = replacing {
        let number = replacing
            .record
            .ticket_number
            .as_deref()
            .map(|n| format!("{n} (id {})", replacing.ticket_id))
            .unwrap_or_else(|| format!("{}", replacing.ticket_id));
        let closed = replacing
            .closed_at
            .map(|at| format!(" was closed at {}, more than", when(at)))
            .unwrap_or_else(|| " was closed more than".to_owned());
        line(
            &mut text,
            format!(
                "This alert's earlier ticket {number}{closed} {} ago.",
                days(inputs.settings.tickets.reopen_window_days)
            ),
        );
    }
    if let Some(error) = present(alert.error_message.as_deref()) {
        text.push('\n');
        line(&mut text, "Error:".to_owned());
        line(&mut text, block(error, MAX_ERROR_CHARS));
    }
    if let Some(description) = present(alert.description.as_deref()) {
        text.push('\n');
        line(&mut text, "Description:".to_owned());
        line(&mut text, block(description, MAX_ALERT_DESCRIPTION_CHARS));
    }
    let fields: Vec<(String, String)> = alert
        .fields
        .iter()
        .filter_map(|(name, value)| {
            let name = present(Some(name))?;
            let value = present(Some(value))?;
            Some((
                fit(&one_line(name), MAX_FIELD_NAME_CHARS),
                fit(&one_line(value), MAX_FIELD_VALUE_CHARS),
            ))
        })
        .collect();
    if !fields.is_empty() {
        text.push('\n');
        line(&mut text, "Details:".to_owned());
        for (name, value) in fields.iter().take(MAX_FIELDS) {
            line(&mut text, format!("{name}: {value}"));
        }
        if fields.len() > MAX_FIELDS {
            line(
                &mut text,
                format!("(and {} more in Acronis)", fields.len() - MAX_FIELDS),
            );
        }
    }
    fit(text.trim_end(), MAX_DESCRIPTION_CHARS)
}

/// The note of a repeat; `reopened` says why the ticket was re-opened.
fn repeated_text(inputs: &TicketInputs, reopened: Option<&str>) -> String {
    let alert = inputs.alert;
    let mut text = match reopened {
        Some(why) => format!(
            "Alert repeated at {}; ticket re-opened by the bridge: {why}.\n",
            when(alert.updated_at)
        ),
        None => format!("Alert repeated at {}.\n", when(alert.updated_at)),
    };
    text.push_str(&summary(alert));
    text
}

fn dismissed_text(inputs: &TicketInputs) -> String {
    let alert = inputs.alert;
    let mut text = format!(
        "Alert dismissed in Acronis at {}; ticket closed by the bridge.\n",
        when(alert.updated_at)
    );
    text.push_str(&summary(alert));
    text
}

/// What the alert is about, for a note.
fn summary(alert: &AlertView) -> String {
    let mut text = String::new();
    let mut what = short(&label(alert));
    if let Some(resource) = present(alert.resource.as_deref()) {
        what = format!("{what} — {}", short(resource));
    }
    text.push_str(&what);
    if let Some(severity) = severity(alert) {
        text.push_str(&format!(" (severity {severity})"));
    }
    text.push('\n');
    if let Some(error) = present(alert.error_message.as_deref()) {
        text.push_str(&format!("Error: {}\n", block(error, MAX_ERROR_CHARS)));
    }
    if let Some(url) = console_url(alert) {
        text.push_str(&format!("Open in Acronis: {url}\n"));
    }
    text.trim_end().to_owned()
}

/// The type's human name; the alert's title or its type when the job gave none.
fn label(alert: &AlertView) -> String {
    present(Some(&alert.type_label))
        .or_else(|| present(alert.title.as_deref()))
        .or_else(|| crate::mapping::cti_short_name(alert.alert_type.trim()))
        .map(one_line)
        .unwrap_or_else(|| one_line(&alert.alert_type))
}

fn severity(alert: &AlertView) -> Option<String> {
    let severity = one_line(present(Some(&alert.severity))?);
    let mut chars = severity.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

fn customer_name(customer: &Customer) -> Option<&str> {
    present(customer.company_name.as_deref()).or_else(|| present(customer.tenant_name.as_deref()))
}

/// Only web links: whatever else came in the field is not shown as one.
fn console_url(alert: &AlertView) -> Option<String> {
    present(alert.console_url.as_deref())
        .map(str::trim)
        .filter(|url| {
            (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(char::is_whitespace)
        })
        .map(str::to_owned)
}

/// A detail worth showing: not blank, and not a serializer's word for nothing.
fn present(value: Option<&str>) -> Option<&str> {
    let value = value?.trim();
    let empty = value.is_empty()
        || ["null", "none", "undefined"]
            .iter()
            .any(|word| value.eq_ignore_ascii_case(word));
    (!empty).then_some(value)
}

/// A one-line value, bounded.
fn short(text: &str) -> String {
    fit(&one_line(text), MAX_LINE_CHARS)
}

/// Whitespace (line breaks included) collapsed to single spaces, controls dropped.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A multi-line text kept as lines, controls other than line breaks and tabs dropped.
fn block(text: &str, max_chars: usize) -> String {
    let cleaned: String = text
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    fit(cleaned.trim(), max_chars)
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn days(n: u32) -> String {
    match n {
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

#[cfg(test)]
mod tests;
