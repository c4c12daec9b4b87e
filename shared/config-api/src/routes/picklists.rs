//! Autotask picklists: the allowed ticket fields of the alert mapping and the ticket
//! settings, and the period types of new services.
//!
//! Read from `entityInformation/fields` (one request per entity) and kept for a few
//! minutes per process, so editing the mapping does not spend the shared hourly budget.
//! Saving new Autotask credentials clears the cache (they may point at another database).

use crate::error::{ApiError, FieldError, upstream};
use autotask::{AutotaskClient, FieldInfo, PicklistValue};
use bridge_core::settings::Settings;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long picklists are trusted; picklists change rarely and only by an admin.
const TTL: Duration = Duration::from_secs(10 * 60);

/// When an entity's fields were read, and the fields.
type Fields = (Instant, Arc<Vec<FieldInfo>>);

#[derive(Debug, Default)]
pub struct PicklistCache {
    entries: Mutex<HashMap<&'static str, Fields>>,
}

impl PicklistCache {
    /// The fields of `entity`, from the cache while fresh.
    pub async fn fields(
        &self,
        client: &AutotaskClient,
        entity: &'static str,
    ) -> Result<Arc<Vec<FieldInfo>>, ApiError> {
        let mut entries = self.entries.lock().await;
        if let Some((at, fields)) = entries.get(entity)
            && at.elapsed() < TTL
        {
            return Ok(fields.clone());
        }
        let fields = Arc::new(
            client
                .entity_fields(entity)
                .await
                .map_err(|e| upstream("Autotask", e))?,
        );
        entries.insert(entity, (Instant::now(), fields.clone()));
        Ok(fields)
    }

    pub async fn clear(&self) {
        self.entries.lock().await.clear();
    }
}

/// One picklist-backed setting: where it lives in Autotask.
struct Source {
    entity: &'static str,
    field: &'static str,
}

const TICKETS: &str = "Tickets";
const NOTES: &str = "TicketNotes";

/// The picklists the alert mapping and the ticket settings draw from, by the name the
/// API uses for them.
const SOURCES: [(&str, Source); 9] = [
    (
        "priority",
        Source {
            entity: TICKETS,
            field: "priority",
        },
    ),
    (
        "status",
        Source {
            entity: TICKETS,
            field: "status",
        },
    ),
    (
        "queue",
        Source {
            entity: TICKETS,
            field: "queueID",
        },
    ),
    (
        "issue_type",
        Source {
            entity: TICKETS,
            field: "issueType",
        },
    ),
    (
        "sub_issue_type",
        Source {
            entity: TICKETS,
            field: "subIssueType",
        },
    ),
    (
        "ticket_type",
        Source {
            entity: TICKETS,
            field: "ticketType",
        },
    ),
    (
        "source",
        Source {
            entity: TICKETS,
            field: "source",
        },
    ),
    (
        "note_type",
        Source {
            entity: NOTES,
            field: "noteType",
        },
    ),
    (
        "note_publish",
        Source {
            entity: NOTES,
            field: "publish",
        },
    ),
];

/// The ticket picklists, read (or taken from the cache) for one request.
pub(crate) struct TicketPicklists {
    lists: HashMap<&'static str, Vec<PicklistValue>>,
}

impl TicketPicklists {
    pub async fn load(cache: &PicklistCache, client: &AutotaskClient) -> Result<Self, ApiError> {
        let tickets = cache.fields(client, TICKETS).await?;
        let notes = cache.fields(client, NOTES).await?;
        let lists = SOURCES
            .iter()
            .map(|(name, source)| {
                let fields = if source.entity == TICKETS {
                    &tickets
                } else {
                    &notes
                };
                let values = fields
                    .iter()
                    .find(|f| f.name.eq_ignore_ascii_case(source.field))
                    .map(|f| f.active_picklist().cloned().collect())
                    .unwrap_or_default();
                (*name, values)
            })
            .collect();
        Ok(Self { lists })
    }

    /// `{"priority": [{"value": 1, "label": "High"}…], "sub_issue_type": [{…, "parent": 10}]…}`
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        for (name, _) in &SOURCES {
            let values: Vec<Value> = self
                .values(name)
                .iter()
                .filter_map(|v| {
                    let code = v.code()?;
                    let mut item = json!({"value": code, "label": v.label});
                    if let Some(parent) = v
                        .parent_value
                        .as_deref()
                        .and_then(|p| p.trim().parse::<i64>().ok())
                    {
                        item["parent"] = Value::from(parent);
                    }
                    Some(item)
                })
                .collect();
            out.insert((*name).to_owned(), Value::Array(values));
        }
        Value::Object(out)
    }

    fn values(&self, name: &str) -> &[PicklistValue] {
        self.lists.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    fn find(&self, name: &str, code: i64) -> Option<&PicklistValue> {
        self.values(name).iter().find(|v| v.code() == Some(code))
    }

    fn check(&self, errors: &mut Vec<FieldError>, path: String, name: &str, value: Option<i64>) {
        if let Some(code) = value
            && self.find(name, code).is_none()
        {
            errors.push(FieldError::new(
                path,
                format!("{code} is not an active value of the Autotask {name} picklist"),
            ));
        }
    }

    /// Checks every picklist id of the alert mapping and the ticket settings.
    pub fn validate(&self, settings: &Settings, errors: &mut Vec<FieldError>) {
        for (i, row) in settings.alert_mappings.iter().enumerate() {
            let path = |field: &str| format!("alert_mappings[{i}].{field}");
            for (field, value) in [
                ("priority", row.priority),
                ("status", row.status),
                ("queue", row.queue),
                ("issue_type", row.issue_type),
                ("sub_issue_type", row.sub_issue_type),
                ("ticket_type", row.ticket_type),
            ] {
                self.check(errors, path(field), field, value);
            }
            // Sub-issue types belong to one issue type (the picklist's parent value).
            if let (Some(sub), Some(issue)) = (row.sub_issue_type, row.issue_type)
                && let Some(value) = self.find("sub_issue_type", sub)
                && let Some(parent) = value.parent_value.as_deref()
                && parent.trim().parse::<i64>().ok() != Some(issue)
            {
                errors.push(FieldError::new(
                    path("sub_issue_type"),
                    format!(
                        "sub-issue type {sub} belongs to issue type {}, not {issue}",
                        parent.trim()
                    ),
                ));
            }
        }
        let t = &settings.tickets;
        self.check(
            errors,
            "tickets.auto_close_status".into(),
            "status",
            t.auto_close_status,
        );
        self.check(errors, "tickets.source".into(), "source", t.source);
        self.check(errors, "tickets.note_type".into(), "note_type", t.note_type);
        self.check(
            errors,
            "tickets.note_publish".into(),
            "note_publish",
            t.note_publish,
        );
    }
}

/// The `Services.periodType` code whose label is `label` (e.g. "Monthly").
pub(crate) async fn service_period_code(
    cache: &PicklistCache,
    client: &AutotaskClient,
    label: &str,
) -> Result<Option<i64>, ApiError> {
    let fields = cache.fields(client, "Services").await?;
    Ok(fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case("periodType"))
        .and_then(|f| f.picklist_code(label))
        .and_then(|code| code.trim().parse().ok()))
}
