//! One run: page the alerts since the cursor; for each page gather what the planner
//! needs in batches (mappings, records, tickets, tenant names), plan every alert, apply
//! the actions, and move the cursor only past what is committed.

use super::cursor;
use crate::audit::Audit;
use crate::{Context, JobError, JobRun, JobSummary};
use acronis::{AcronisClient, Alert, AlertQuery};
use autotask::AutotaskClient;
use autotask::models::{TicketCreate, TicketNoteCreate, external_id_for};
use bridge_core::mapping::CustomerMapping;
use bridge_core::records::{AlertTicket, AlertTicketState, SkippedAlert, Versioned};
use bridge_core::settings::Settings;
use bridge_core::text::bounded;
use bridge_core::tickets::{
    AlertView, CreatedTicket, Customer, NewNote, STATUS_COMPLETE, TicketAction, TicketInputs,
    TicketSeen, plan_ticket, record_after,
};
use bridge_store::store::StoreError;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt as _;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Alerts whose ticket work runs at once: above the Autotask client's thread limit per
/// entity (3), so tickets, notes and status changes each keep their slots busy.
const ACTIONS_AT_ONCE: usize = 8;

/// The planner's view of an Acronis alert; `None` when it names no alert id or tenant.
pub fn alert_view(alert: &Alert, now: DateTime<Utc>) -> Option<AlertView> {
    let tenant_id = alert.tenant_id()?.to_owned();
    if alert.id.trim().is_empty() {
        return None;
    }
    let updated_at = alert
        .updated_time()
        .or_else(|| alert.created_time())
        .unwrap_or(now);
    let details = &alert.details;
    Some(AlertView {
        id: alert.id.clone(),
        tenant_id,
        alert_type: alert.alert_type.clone(),
        type_label: alert.type_name(),
        severity: alert.severity.clone().unwrap_or_default(),
        created_at: alert.created_time().unwrap_or(updated_at),
        updated_at,
        dismissed: alert.is_dismissed(),
        title: details.title.clone(),
        description: details.description.clone(),
        resource: details.resource_name.clone(),
        plan: details.plan_name.clone(),
        error_message: details.error_message.clone(),
        fields: details.fields.clone(),
        console_url: None,
    })
}

/// What the run learnt of the customers behind the alerts, kept across pages.
#[derive(Default)]
struct Known {
    /// Mapping by tenant (`None`: not mapped, nor any ancestor).
    mappings: BTreeMap<String, Option<CustomerMapping>>,
    /// Contract named on tickets, by company (`None`: none to name).
    contracts: BTreeMap<i64, Option<i64>>,
    /// Tenant names.
    names: BTreeMap<String, String>,
}

pub async fn ingest(run: &mut JobRun<'_>, page_size: u32) -> Result<(), JobError> {
    let ctx = run.ctx;
    let (mut position, version) = cursor::load(ctx).await?;
    let acronis = run.acronis().await?;
    let autotask = run.autotask().await?;
    let settings = run.settings.clone();
    let now = ctx.clock.now();
    let mut query = match position.handled_through {
        // Re-read the boundary instant: alerts handled there plan `Nothing`.
        Some(at) => AlertQuery {
            show_deleted: true,
            ..AlertQuery::updated_after(at - Duration::microseconds(1))
        },
        // The first run: every alert still active.
        None => AlertQuery::default(),
    };
    query.limit = Some(page_size);
    let mut known = Known::default();
    let mut after: Option<String> = None;
    let mut newest: Option<DateTime<Utc>> = None;
    let mut oldest_unfinished: Option<DateTime<Utc>> = None;
    // Whether the run stopped at its deadline with pages left unread.
    let mut stopped = false;
    loop {
        let page = acronis.alerts_page(&query, after.as_deref()).await?;
        run.summary.read("alerts", page.items.len() as u64);
        let pass = Pass {
            ctx,
            acronis: &acronis,
            autotask: &autotask,
            settings: &settings,
            dry_run: run.dry_run,
            actor: run.actor(),
            now,
        };
        let outcome = pass.page(&page.items, &mut known, &mut run.summary).await;
        for (at, done) in outcome {
            if done {
                newest = newest.max(Some(at));
            } else {
                oldest_unfinished = Some(oldest_unfinished.map_or(at, |o| o.min(at)));
            }
        }
        match page.after {
            Some(_) if !page.items.is_empty() && run.deadline.passed() => {
                run.summary.skip(
                    "deadline",
                    "stopped at the run's deadline between two pages of alerts; the next run continues from the cursor",
                );
                stopped = true;
                break;
            }
            Some(next) if !page.items.is_empty() => after = Some(next),
            _ => break,
        }
    }
    if run.dry_run {
        return Ok(());
    }
    let through = match oldest_unfinished {
        // Everything before the oldest unfinished alert is done; it is read again.
        Some(unfinished) => Some(unfinished - Duration::microseconds(1)),
        // Pages are in `updatedAt` order: what was left unread comes after the newest
        // alert handled.
        None if stopped => newest.max(position.handled_through),
        // With nothing new, step forward to a little before the run started: an alert
        // updated meanwhile, stamped by Acronis's clock, is still read next time.
        None => newest
            .max(position.handled_through)
            .max(Some(now - Duration::minutes(5))),
    };
    if through != position.handled_through {
        position.handled_through = through;
        cursor::save(ctx, &position, version).await?;
    }
    Ok(())
}

struct Pass<'a> {
    ctx: &'a Context,
    acronis: &'a AcronisClient,
    autotask: &'a AutotaskClient,
    settings: &'a Settings,
    dry_run: bool,
    actor: &'a str,
    now: DateTime<Utc>,
}

/// One alert ready to plan.
struct Item {
    view: AlertView,
    key: String,
    record: Option<Versioned<AlertTicket>>,
    customer: Option<Customer>,
}

impl Pass<'_> {
    /// What the planner sees of one alert.
    fn inputs<'i>(
        &'i self,
        item: &'i Item,
        seen: &'i BTreeMap<String, TicketSeen>,
        closed_statuses: &'i [i64],
    ) -> TicketInputs<'i> {
        TicketInputs {
            alert: &item.view,
            settings: self.settings,
            customer: item.customer.as_ref(),
            record: item.record.as_ref().map(|r| &r.value),
            ticket: seen.get(&item.key),
            closed_statuses,
            now: self.now,
        }
    }

    /// Plans and applies one page; returns each alert's `updatedAt` and whether its
    /// work is committed (skipped alerts count as done).
    async fn page(
        &self,
        alerts: &[Alert],
        known: &mut Known,
        summary: &mut JobSummary,
    ) -> Vec<(DateTime<Utc>, bool)> {
        let mut outcome = Vec::new();
        let mut items = Vec::new();
        for alert in alerts {
            match alert_view(alert, self.now) {
                Some(view) => items.push(view),
                None => {
                    self.skip(
                        alert,
                        "the alert names no alert id or no tenant the bridge can read",
                        summary,
                    )
                    .await;
                    outcome.push((alert.updated_time().unwrap_or(self.now), true));
                }
            }
        }
        if let Err(e) = self.learn(&items, known).await {
            summary.fail(
                "alerts",
                format!(
                    "could not read the customers of {} alerts: {e}",
                    items.len()
                ),
            );
            outcome.extend(items.iter().map(|v| (v.updated_at, false)));
            return outcome;
        }
        let mut ready = Vec::new();
        for view in items {
            let key = AlertTicket::key(&view.tenant_id, &view.id);
            let record = match self.ctx.store.get_alert_ticket(&key).await {
                Ok(r) => r,
                Err(e) => {
                    summary.fail(format!("alert:{key}"), e);
                    outcome.push((view.updated_at, false));
                    continue;
                }
            };
            let customer = self.customer(&view.tenant_id, known);
            ready.push(Item {
                view,
                key,
                record,
                customer,
            });
        }
        let seen = match self.tickets_seen(&ready).await {
            Ok(seen) => seen,
            Err(e) => {
                summary.fail(
                    "tickets",
                    format!("could not read the alerts' tickets: {e}"),
                );
                outcome.extend(ready.iter().map(|i| (i.view.updated_at, false)));
                return outcome;
            }
        };
        let mut closed_statuses = vec![STATUS_COMPLETE];
        closed_statuses.extend(self.settings.tickets.auto_close_status);
        let inputs_of = |item| self.inputs(item, &seen, &closed_statuses);
        let mut due = Vec::new();
        for item in &ready {
            let plan = plan_ticket(&inputs_of(item));
            match &plan.action {
                TicketAction::Ignore(reason) => {
                    summary.read(&format!("alerts ignored: {reason}"), 1);
                    outcome.push((item.view.updated_at, true));
                    continue;
                }
                TicketAction::Nothing => {
                    outcome.push((item.view.updated_at, true));
                    continue;
                }
                _ => {}
            }
            summary.planned += 1;
            summary.plan_line(format!(
                "alert {} ({}, {}): {} — {}",
                item.view.id,
                item.view.type_label,
                item.customer
                    .as_ref()
                    .map_or("unmapped".to_owned(), |c| format!(
                        "company {}",
                        c.company_id
                    )),
                plan.action.name(),
                plan.reason
            ));
            if self.dry_run {
                outcome.push((item.view.updated_at, true));
                continue;
            }
            due.push((item, plan.action));
        }
        // Each alert has its own record and its own ticket, and the cursor is worked out
        // from every alert's outcome whatever their order, so the actions run side by
        // side; the Autotask client still holds each entity to its thread limit.
        let (seen, closed_statuses) = (&seen, closed_statuses.as_slice());
        let actions: Vec<_> = due
            .into_iter()
            .map(|(item, action)| async move {
                let inputs = self.inputs(item, seen, closed_statuses);
                (item, self.apply(item, &inputs, &action).await)
            })
            .collect();
        let applied: Vec<_> = futures_util::stream::iter(actions)
            .buffer_unordered(ACTIONS_AT_ONCE)
            .collect()
            .await;
        for (item, result) in applied {
            match result {
                Ok(true) => {
                    summary.applied += 1;
                    outcome.push((item.view.updated_at, true));
                }
                Ok(false) => outcome.push((item.view.updated_at, true)),
                Err(e) => {
                    summary.fail(format!("alert:{}", item.key), bounded(&e.to_string(), 500));
                    outcome.push((item.view.updated_at, false));
                }
            }
        }
        outcome
    }

    /// Mappings of the alerts' tenants (a customer under a mapped sub-partner counts as
    /// that sub-partner's), the contract to name per company, and tenant names.
    async fn learn(&self, items: &[AlertView], known: &mut Known) -> Result<(), JobError> {
        let tenants: BTreeSet<&str> = items.iter().map(|v| v.tenant_id.as_str()).collect();
        let unknown: Vec<String> = tenants
            .iter()
            .filter(|t| !known.mappings.contains_key(**t))
            .map(|t| (*t).to_owned())
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let found = self.acronis.get_tenants(&unknown).await?;
        let parents: BTreeMap<String, Option<String>> = found
            .iter()
            .map(|t| (t.id.clone(), t.parent_id.clone()))
            .collect();
        for t in &found {
            known.names.insert(t.id.clone(), t.name.clone());
        }
        for tenant in unknown {
            let mut mapping = self.ctx.store.get_mapping_by_tenant(&tenant).await?;
            if mapping.is_none()
                && let Some(Some(parent)) = parents.get(&tenant)
            {
                // A customer of a sub-partner: the sub-partner's mapping takes its alerts.
                mapping = self.ctx.store.get_mapping_by_tenant(parent).await?;
            }
            if let Some(m) = &mapping
                && !known.contracts.contains_key(&m.company_id)
            {
                let contract = if self.settings.features.billing {
                    self.ctx
                        .store
                        .get_contract_snapshot(m.company_id)
                        .await?
                        .and_then(|s| s.value.contracts.first().map(|c| c.contract_id))
                } else {
                    None
                };
                known.contracts.insert(m.company_id, contract);
            }
            known.mappings.insert(tenant, mapping);
        }
        Ok(())
    }

    fn customer(&self, tenant: &str, known: &Known) -> Option<Customer> {
        let mapping = known.mappings.get(tenant)?.as_ref()?;
        Some(Customer {
            company_id: mapping.company_id,
            company_name: None,
            tenant_name: known.names.get(tenant).cloned(),
            contract_id: known.contracts.get(&mapping.company_id).copied().flatten(),
        })
    }

    /// The tickets as Autotask has them now: by id for recorded ones whose alert changed
    /// since it was handled, by marker for an intent whose ticket was never recorded (a
    /// killed run). One query of each kind per page at most, none for an idle re-read.
    async fn tickets_seen(&self, items: &[Item]) -> Result<BTreeMap<String, TicketSeen>, JobError> {
        let mut by_id: BTreeMap<i64, String> = BTreeMap::new();
        let mut by_marker: BTreeMap<String, String> = BTreeMap::new();
        for item in items {
            let Some(record) = item.record.as_ref().map(|r| &r.value) else {
                continue;
            };
            match record.ticket_id {
                // The same update re-read (the cursor's boundary instant, every run):
                // the planner does nothing whatever the ticket says, so it is not read.
                Some(_)
                    if item.view.updated_at
                        <= record.last_updated_at.unwrap_or(record.last_seen_at) => {}
                Some(id) => {
                    by_id.insert(id, item.key.clone());
                }
                None => {
                    let marker = external_id_for(&item.key).to_lowercase();
                    by_marker.insert(marker, item.key.clone());
                }
            }
        }
        let mut seen = BTreeMap::new();
        let ids: Vec<i64> = by_id.keys().copied().collect();
        for ticket in self.autotask.tickets_by_id(&ids).await? {
            if let Some(key) = by_id.get(&ticket.id) {
                seen.insert(key.clone(), ticket_seen(&ticket));
            }
        }
        let markers: Vec<String> = by_marker.values().map(|k| external_id_for(k)).collect();
        if !markers.is_empty() {
            for ticket in self.autotask.tickets_by_external_id(&markers).await? {
                let marker = ticket
                    .external_id
                    .clone()
                    .unwrap_or_default()
                    .to_lowercase();
                if let Some(key) = by_marker.get(&marker) {
                    // The newest ticket carrying the marker is the one to adopt.
                    let newer = seen
                        .get(key)
                        .is_none_or(|s: &TicketSeen| s.ticket_id < ticket.id);
                    if newer {
                        seen.insert(key.clone(), ticket_seen(&ticket));
                    }
                }
            }
        }
        Ok(seen)
    }

    /// Carries out one action; `Ok(false)` when another run got there first.
    async fn apply(
        &self,
        item: &Item,
        inputs: &TicketInputs<'_>,
        action: &TicketAction,
    ) -> Result<bool, JobError> {
        let mut version = item.record.as_ref().map(|r| r.version);
        let mut created = None;
        // Any action but a create on a pending record takes over the ticket a killed run
        // made. That run may have died before or after auditing the opening; the entry's
        // id and instant come from the pending record, so it is written once either way.
        if let (Some(pending), Some(ticket_id)) = (
            item.record
                .as_ref()
                .filter(|r| r.value.state == AlertTicketState::Pending),
            action.ticket_id(),
        ) {
            self.audit_opening(
                "ticket.adopted",
                item,
                pending.value.opened_at,
                json!({"ticket_id": ticket_id}),
            )
            .await;
        }
        match action {
            TicketAction::Create(new) => {
                // The intent first: of two runs, only one gets past this write.
                let intent = bridge_core::tickets::intent_record(inputs);
                match self.ctx.store.put_alert_ticket(&intent, version).await {
                    Ok(v) => version = Some(v),
                    Err(StoreError::Conflict { .. }) => return Ok(false),
                    Err(e) => return Err(e.into()),
                }
                let mut body =
                    TicketCreate::new(new.company_id, &new.title, new.status, new.priority)
                        .with_description(&new.description)
                        .with_external_id(external_id_for(&new.external_id));
                body.queue_id = new.queue_id;
                body.issue_type = new.issue_type;
                body.sub_issue_type = new.sub_issue_type;
                body.ticket_type = new.ticket_type;
                body.source = new.source;
                body.contract_id = new.contract_id;
                let ticket_id = self.autotask.create_ticket(&body).await?;
                created = Some(CreatedTicket {
                    ticket_id,
                    ticket_number: None,
                });
                self.audit_opening(
                    "ticket.created",
                    item,
                    intent.opened_at,
                    json!({"ticket_id": ticket_id, "title": new.title}),
                )
                .await;
            }
            TicketAction::Note { ticket_id, note } => {
                self.note(*ticket_id, note).await?;
            }
            TicketAction::Reopen {
                ticket_id,
                status,
                note,
            } => {
                self.autotask.set_ticket_status(*ticket_id, *status).await?;
                self.note(*ticket_id, note).await?;
                self.audit(
                    "ticket.reopened",
                    item,
                    json!({"ticket_id": ticket_id, "status": status}),
                )
                .await;
            }
            TicketAction::Close {
                ticket_id,
                status,
                note,
            } => {
                self.autotask.set_ticket_status(*ticket_id, *status).await?;
                self.note(*ticket_id, note).await?;
                self.audit(
                    "ticket.closed",
                    item,
                    json!({"ticket_id": ticket_id, "status": status}),
                )
                .await;
            }
            // Only the record is left to write (below); the opening is audited above.
            TicketAction::Adopt { .. } | TicketAction::Nothing | TicketAction::Ignore(_) => {}
        }
        if let Some(record) = record_after(inputs, action, created.as_ref()) {
            match self.ctx.store.put_alert_ticket(&record, version).await {
                Ok(_) => {}
                // The ticket work is done; a concurrent writer's record stands, and the
                // next read of the alert reconciles by marker.
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    async fn note(&self, ticket_id: i64, note: &NewNote) -> Result<(), JobError> {
        let body = TicketNoteCreate {
            title: Some(note.title.clone()),
            description: note.description.clone(),
            note_type: note.note_type,
            publish: note.publish,
        };
        self.autotask.add_ticket_note(ticket_id, &body).await?;
        Ok(())
    }

    async fn skip(&self, alert: &Alert, reason: &str, summary: &mut JobSummary) {
        let id = if alert.id.trim().is_empty() {
            "(no id)".to_owned()
        } else {
            alert.id.clone()
        };
        summary.skip(format!("alert:{id}"), reason);
        if self.dry_run {
            return;
        }
        let raw = serde_json::to_string(alert).ok();
        let skipped = SkippedAlert::new(&id, alert.tenant_id(), reason, self.now, raw.as_deref());
        if let Err(e) = self.ctx.store.put_skipped_alert(&skipped).await {
            tracing::warn!(error = %e, "skipped alert not recorded");
        }
    }

    /// The audit entry of a ticket's opening, once per intent: its id and instant come
    /// from the alert and the intent's time, which the creating run and a run adopting
    /// its ticket after a kill both know.
    async fn audit_opening(
        &self,
        kind: &str,
        item: &Item,
        intended_at: chrono::DateTime<chrono::Utc>,
        after: serde_json::Value,
    ) {
        let id = format!(
            "ticket-opened-{}",
            bridge_core::hash::json_fingerprint(&item.key)
        );
        if let Err(e) = self
            .entry(kind, item, after)
            .write_once(self.ctx, id, intended_at)
            .await
        {
            tracing::warn!(error = %e, kind, "audit entry not written");
        }
    }

    fn entry<'k>(&'k self, kind: &'k str, item: &Item, after: serde_json::Value) -> Audit<'k> {
        Audit {
            actor: self.actor,
            kind,
            subject: format!("alert:{}", item.key),
            before: None,
            after: Some(after),
            reason: Some(format!("{} alert {}", item.view.type_label, item.view.id)),
        }
    }

    async fn audit(&self, kind: &str, item: &Item, after: serde_json::Value) {
        if let Err(e) = self.entry(kind, item, after).write(self.ctx).await {
            tracing::warn!(error = %e, kind, "audit entry not written");
        }
    }
}

fn ticket_seen(ticket: &autotask::models::Ticket) -> TicketSeen {
    TicketSeen {
        ticket_id: ticket.id,
        status: ticket.status.unwrap_or_default(),
        completed_at: ticket.completed_date,
        ticket_number: ticket.ticket_number.clone(),
    }
}
