//! `GET/PUT /service-mappings`: offering items grouped as in the guide, each mapped to an
//! Autotask service (`{"id": …}`, or `{"create": "name"}` to create it) plus the Free
//! flag; backup storage per location with its reporting rows; public cloud vendors.
//!
//! The rows are the settings' `service_mappings`, `storage_mappings` and
//! `public_cloud_mappings`, saved under the same version rule as `PUT /settings`. A GET
//! answer also carries the read-only `catalog` (the guide's groups), so it can be edited
//! and sent back as it is.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::envelope::{
    IfMatch, Tagged, current_or_default, precondition, read_put, sections_document,
};
use crate::routes::save::{Part, save};
use crate::routes::settings::answer;
use axum::extract::State;
use bridge_core::catalog::{self, CatalogItem, Group, Unit};
use bridge_core::mapping::{PublicCloudVendor, StorageRow};
use serde_json::{Value, json};

const READ_ONLY: &[&str] = &["catalog", "warnings"];

pub async fn get(State(state): State<ApiState>, _caller: Caller) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let sections = Part::ServiceMappings.sections().unwrap_or_default();
    let mut doc = sections_document(&current, sections);
    doc.insert("catalog".into(), catalog_json());
    Ok(Tagged(current.version, Value::Object(doc)))
}

pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    if_match: IfMatch,
    JsonBody(body): JsonBody,
) -> Result<Tagged, ApiError> {
    let current = current_or_default(state.ctx.store.get_settings().await?);
    let sections = Part::ServiceMappings.sections();
    let (expected, settings) = read_put(body, &if_match, &current.value, sections, READ_ONLY)?;
    let saved = save(
        &state,
        &caller,
        Part::ServiceMappings,
        expected.version,
        settings,
    )
    .await
    .map_err(|e| precondition(e, &if_match, expected.in_body))?;
    let doc = sections_document(&saved.settings, sections.unwrap_or_default());
    Ok(answer(&saved, Value::Object(doc)))
}

/// The guide's groups in its order, what each item allows, storage reporting rows and
/// public cloud vendors: what a UI needs to draw the mapping screen.
fn catalog_json() -> Value {
    let groups: Vec<Value> = [
        (Group::StandardProtection, "Standard Protection"),
        (Group::Microsoft365, "Microsoft 365"),
        (Group::GoogleWorkspace, "Google Workspace"),
        (Group::AdvancedPacks, "Advanced packs"),
        (
            Group::AdvancedDisasterRecovery,
            "Advanced Disaster Recovery",
        ),
        (Group::Storage, "Storage"),
    ]
    .into_iter()
    .map(|(group, label)| {
        let items: Vec<Value> = catalog::group(group).map(item_json).collect();
        json!({"group": group_key(group), "label": label, "items": items})
    })
    .collect();
    let storage_rows: Vec<&str> = StorageRow::ALL.iter().map(|r| r.field()).collect();
    let vendors: Vec<Value> = PublicCloudVendor::ALL
        .iter()
        .map(|v| json!({"field": v.field(), "label": v.label()}))
        .collect();
    json!({"groups": groups, "storage_rows": storage_rows, "public_cloud_vendors": vendors})
}

fn item_json(item: &CatalogItem) -> Value {
    json!({
        "offering_item": item.name,
        "aliases": item.aliases,
        "label": item.label,
        "parent": item.parent,
        "unit": match item.unit {
            Unit::Count => "count",
            Unit::Bytes => "bytes",
            Unit::Feature => "feature",
        },
        "free_applies": item.free_applies,
        "included_features": item.included_features,
        "per_storage": item.per_storage,
        "confirmed": item.confirmed,
    })
}

fn group_key(group: Group) -> &'static str {
    match group {
        Group::StandardProtection => "standard_protection",
        Group::Microsoft365 => "microsoft_365",
        Group::GoogleWorkspace => "google_workspace",
        Group::AdvancedPacks => "advanced_packs",
        Group::AdvancedDisasterRecovery => "advanced_disaster_recovery",
        Group::Storage => "storage",
    }
}
