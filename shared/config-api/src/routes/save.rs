//! Saving settings: the one write path of `PUT /settings`, `/service-mappings` and
//! `/alert-mappings`.
//!
//! Order matters so a refused save leaves nothing behind: the version is checked
//! first (409 before any side effect), then everything that can refuse (picklists,
//! alert types, service ids), then services are created, then the settings are written
//! with the version condition, and only then are schedules re-timed and the change
//! audited.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, upstream};
use crate::routes::envelope::{current_or_default, settings_document};
use crate::routes::picklists::TicketPicklists;
use crate::routes::services;
use bridge_core::records::Versioned;
use bridge_core::settings::Settings;
use bridge_core::text::quoted;
use bridge_jobs::audit::Audit;
use bridge_store::store::StoreError;
use serde_json::Value;
use std::collections::BTreeSet;

/// Which part of the settings a route changes: decides the audit kind and what the
/// audit entry shows before and after.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    All,
    ServiceMappings,
    AlertMappings,
}

impl Part {
    fn kind(self) -> &'static str {
        match self {
            Part::All => "settings.updated",
            Part::ServiceMappings => "service_mappings.updated",
            Part::AlertMappings => "alert_mappings.updated",
        }
    }

    pub(crate) fn sections(self) -> Option<&'static [&'static str]> {
        match self {
            Part::All => None,
            Part::ServiceMappings => Some(&[
                "service_mappings",
                "storage_mappings",
                "public_cloud_mappings",
            ]),
            Part::AlertMappings => Some(&["alert_mappings"]),
        }
    }

    fn view(self, settings: &Settings) -> Value {
        let all = serde_json::to_value(settings).unwrap_or(Value::Null);
        match self.sections() {
            None => all,
            Some(sections) => Value::Object(
                sections
                    .iter()
                    .filter_map(|s| all.get(*s).map(|v| ((*s).to_owned(), v.clone())))
                    .collect(),
            ),
        }
    }
}

/// What a successful save answers with.
pub(crate) struct Saved {
    pub settings: Versioned<Settings>,
    /// Things that did not work after the settings were saved (a schedule rule that
    /// could not be re-timed); the save itself stands.
    pub warnings: Vec<String>,
}

/// The 409 answer: the version and the document as they are now.
pub(crate) fn stale(current: &Versioned<Settings>, expected: u64) -> ApiError {
    ApiError::conflict(format!(
        "the settings changed since you read them (you sent version {expected}, the current one is {}); re-read, re-apply your change and save again",
        current.version
    ))
    .with("current_version", Value::from(current.version))
    .with("current", settings_document(current))
}

pub(crate) async fn save(
    state: &ApiState,
    caller: &Caller,
    part: Part,
    expected: u64,
    mut new: Settings,
) -> Result<Saved, ApiError> {
    let ctx = &state.ctx;
    let current = current_or_default(ctx.store.get_settings().await?);
    if current.version != expected {
        return Err(stale(&current, expected));
    }
    // A save that changes nothing is no change: no version, no audit entry, no call.
    // The first save (version 0) always writes: it stores what was only defaults.
    if expected > 0 && new == current.value {
        return Ok(Saved {
            settings: current,
            warnings: Vec::new(),
        });
    }
    check_tickets(state, &current.value, &new).await?;
    services::check_new_ids(state, &current.value, &new).await?;
    services::create_services(state, caller, &mut new).await?;

    let written = ctx
        .store
        .put_settings(&new, (expected > 0).then_some(expected))
        .await;
    let version = match written {
        Ok(version) => version,
        Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {
            let now = current_or_default(ctx.store.get_settings().await?);
            return Err(stale(&now, expected));
        }
        Err(e) => return Err(e.into()),
    };

    let mut warnings = Vec::new();
    for job in new.schedules.changed(&current.value.schedules) {
        // An interval no job of this build runs on has no rule to re-time.
        let Some(rule) = bridge_jobs::job::rule_for_interval(&state.stack_name, job) else {
            continue;
        };
        let minutes = new.schedules.minutes(job);
        match ctx.bus.set_schedule_rate(&rule, minutes).await {
            Ok(()) => tracing::info!(rule, minutes, "schedule re-timed"),
            Err(e) => {
                tracing::warn!(rule, error = %e, "schedule not re-timed");
                warnings.push(format!(
                    "settings saved, but schedule {rule} still runs at its old rate: {e}"
                ));
            }
        }
    }

    let audit = Audit {
        actor: &caller.0,
        kind: part.kind(),
        subject: "settings".into(),
        before: Some(part.view(&current.value)),
        after: Some(part.view(&new)),
        reason: (!warnings.is_empty()).then(|| warnings.join("; ")),
    };
    audit.write(ctx).await.map_err(ApiError::from)?;
    Ok(Saved {
        settings: Versioned {
            value: new,
            version,
        },
        warnings,
    })
}

/// Checks ticket picklists and alert types, but only when the alert mapping or a
/// picklist id of the ticket settings changed: an unrelated save costs no Autotask or Acronis request.
async fn check_tickets(
    state: &ApiState,
    current: &Settings,
    new: &Settings,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if new.alert_mappings != current.alert_mappings || ticket_ids(new) != ticket_ids(current) {
        let client = state.ctx.autotask().await?;
        let picklists = TicketPicklists::load(&state.picklists, &client).await?;
        picklists.validate(new, &mut errors);
    }
    let known: BTreeSet<&str> = current
        .alert_mappings
        .iter()
        .map(|row| row.alert_type.as_str())
        .collect();
    let added: Vec<(usize, &str)> = new
        .alert_mappings
        .iter()
        .enumerate()
        .map(|(i, row)| (i, row.alert_type.as_str()))
        .filter(|(_, t)| !known.contains(t))
        .collect();
    if !added.is_empty() {
        let types = alert_types(state).await?;
        // A row may name a CTI type by its id or by its short name (`malware_detected`),
        // which is how the ticket planner matches it.
        let short: BTreeSet<&str> = types
            .iter()
            .filter_map(|t| bridge_core::mapping::cti_short_name(t))
            .collect();
        for (i, alert_type) in added {
            if !types.contains(alert_type) && !short.contains(alert_type) {
                errors.push(FieldError::new(
                    format!("alert_mappings[{i}].alert_type"),
                    format!(
                        "{} is not an alert type of the Acronis Alert Manager",
                        quoted(alert_type)
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// The picklist ids among the ticket settings.
fn ticket_ids(settings: &Settings) -> [Option<i64>; 4] {
    let t = &settings.tickets;
    [t.auto_close_status, t.source, t.note_type, t.note_publish]
}

/// The Alert Manager's alert types (`GET /types`).
pub(crate) async fn alert_types(state: &ApiState) -> Result<BTreeSet<String>, ApiError> {
    let client = state.ctx.acronis().await?;
    Ok(client
        .alert_types()
        .await
        .map_err(|e| upstream("Acronis", e))?
        .into_iter()
        .map(|t| t.id)
        .collect())
}
