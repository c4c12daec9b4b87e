//! The Autotask services a settings document points at: existing ids are checked with
//! one batched `in` query, `{"create": "name"}` rows become new services.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError, upstream};
use crate::routes::picklists::service_period_code;
use autotask::models::Service;
use autotask::{AutotaskError, Filter, Query};
use bridge_core::mapping::{PublicCloudVendor, ServiceRef, StorageRow};
use bridge_core::settings::Settings;
use bridge_jobs::audit::Audit;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Every service reference of a settings document with its field path.
fn refs_mut(settings: &mut Settings) -> Vec<(String, &mut ServiceRef)> {
    let mut out = Vec::new();
    for (i, row) in settings.service_mappings.iter_mut().enumerate() {
        if let Some(s) = row.service.as_mut() {
            out.push((format!("service_mappings[{i}].service"), s));
        }
        if let Some(s) = row.included_features.as_mut() {
            out.push((format!("service_mappings[{i}].included_features"), s));
        }
    }
    for (i, row) in settings.storage_mappings.iter_mut().enumerate() {
        let fields = [
            (StorageRow::QuotaAndTotal, &mut row.quota_and_total),
            (StorageRow::Class1Free, &mut row.class1_free),
            (StorageRow::Class2Billed, &mut row.class2_billed),
            (StorageRow::GeoRedundancy, &mut row.geo_redundancy),
            (
                StorageRow::GeoRedundancyBilled,
                &mut row.geo_redundancy_billed,
            ),
        ];
        for (storage_row, service) in fields {
            if let Some(s) = service.as_mut() {
                out.push((format!("storage_mappings[{i}].{}", storage_row.field()), s));
            }
        }
    }
    let clouds = &mut settings.public_cloud_mappings;
    for (vendor, service) in [
        (
            PublicCloudVendor::MicrosoftAzure,
            &mut clouds.microsoft_azure,
        ),
        (PublicCloudVendor::AmazonS3, &mut clouds.amazon_s3),
        (PublicCloudVendor::S3Compatible, &mut clouds.s3_compatible),
    ] {
        if let Some(s) = service.as_mut() {
            out.push((format!("public_cloud_mappings.{}", vendor.field()), s));
        }
    }
    out
}

/// The service ids a document already uses: those need no new check.
fn known_ids(settings: &Settings) -> BTreeSet<i64> {
    let mut copy = settings.clone();
    refs_mut(&mut copy)
        .into_iter()
        .filter_map(|(_, s)| s.id())
        .collect()
}

/// Whether the document still names services to create.
pub(crate) fn has_creates(settings: &Settings) -> bool {
    let mut copy = settings.clone();
    refs_mut(&mut copy)
        .into_iter()
        .any(|(_, s)| matches!(s, ServiceRef::Create(_)))
}

/// Checks the service ids `new` adds to `current` (400 naming each unknown or inactive
/// one). Nothing is written; costs no request when no id is new.
pub(crate) async fn check_new_ids(
    state: &ApiState,
    current: &Settings,
    new: &Settings,
) -> Result<(), ApiError> {
    let known = known_ids(current);
    let mut copy = new.clone();
    let fresh: Vec<(String, i64)> = refs_mut(&mut copy)
        .into_iter()
        .filter_map(|(path, s)| s.id().map(|id| (path, id)))
        .filter(|(_, id)| !known.contains(id))
        .collect();
    if fresh.is_empty() {
        return Ok(());
    }
    let client = state.ctx.autotask().await?;
    let ids: Vec<i64> = fresh.iter().map(|(_, id)| *id).collect();
    let base = Query::all().include_fields(["id", "name", "isActive"]);
    let found: BTreeMap<i64, Service> = client
        .query_in_chunks::<Service>("id", &ids, &base)
        .await
        .map_err(|e| upstream("Autotask", e))?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let errors: Vec<FieldError> = fresh
        .into_iter()
        .filter_map(|(path, id)| match found.get(&id) {
            None => Some(FieldError::new(
                format!("{path}.id"),
                format!("no Autotask service has id {id}"),
            )),
            Some(s) if s.is_active == Some(false) => Some(FieldError::new(
                format!("{path}.id"),
                format!("Autotask service {id} is inactive"),
            )),
            Some(_) => None,
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

/// Turns every `{"create": "name"}` into `{"id": …}`: an active service of that exact
/// name is reused (so a retried save creates nothing twice), else it is created with
/// the configured allocation code and period type and a unit price of 0.
pub(crate) async fn create_services(
    state: &ApiState,
    caller: &Caller,
    new: &mut Settings,
) -> Result<(), ApiError> {
    if !has_creates(new) {
        return Ok(());
    }
    let features = new.features.clone();
    let (Some(allocation_code), Some(period_type)) =
        (features.allocation_code, features.period_type)
    else {
        let mut errors = Vec::new();
        let why = "required to create Autotask services (rows with \"create\")";
        if features.allocation_code.is_none() {
            errors.push(FieldError::new("features.allocation_code", why));
        }
        if features.period_type.is_none() {
            errors.push(FieldError::new("features.period_type", why));
        }
        return Err(ApiError::invalid(errors));
    };
    let client = state.ctx.autotask().await?;
    let Some(period_code) =
        service_period_code(&state.picklists, &client, period_type.label()).await?
    else {
        return Err(ApiError::field(
            "features.period_type",
            format!(
                "Autotask has no active Services period type labelled {:?}",
                period_type.label()
            ),
        ));
    };
    let mut refs = refs_mut(new);
    let names: Vec<String> = refs
        .iter()
        .filter_map(|(_, s)| match s {
            ServiceRef::Create(name) => Some(name.trim().to_owned()),
            ServiceRef::Id(_) => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let query = Query::new(Filter::in_list("name", names.iter().map(String::as_str)))
        .and(Filter::eq("isActive", true))
        .include_fields(["id", "name", "isActive"]);
    let mut ids: BTreeMap<String, i64> = BTreeMap::new();
    for service in client
        .query::<Service>(&query)
        .await
        .map_err(|e| upstream("Autotask", e))?
    {
        if let Some(name) = service.name {
            ids.entry(name.trim().to_lowercase()).or_insert(service.id);
        }
    }
    for (path, service) in refs.iter_mut() {
        let ServiceRef::Create(name) = &**service else {
            continue;
        };
        let name = name.trim().to_owned();
        let key = name.to_lowercase();
        let id = match ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = create_one(state, caller, &client, &name, allocation_code, period_code)
                    .await
                    .map_err(|e| match e {
                        AutotaskError::Api { errors, .. } => ApiError::field(
                            format!("{path}.create"),
                            format!(
                                "Autotask refused to create the service: {}",
                                errors.join("; ")
                            ),
                        ),
                        other => upstream("Autotask", other),
                    })?;
                ids.insert(key, id);
                id
            }
        };
        **service = ServiceRef::Id(id);
    }
    Ok(())
}

async fn create_one(
    state: &ApiState,
    caller: &Caller,
    client: &autotask::AutotaskClient,
    name: &str,
    allocation_code: i64,
    period_code: i64,
) -> Result<i64, AutotaskError> {
    let body = Service {
        name: Some(name.to_owned()),
        billing_code_id: Some(allocation_code),
        period_type: Some(period_code),
        unit_price: Some(0.0),
        is_active: Some(true),
        ..Service::default()
    };
    let id = client.create("Services", &body).await?;
    let audit = Audit {
        actor: &caller.0,
        kind: "service.created",
        subject: format!("service:{id}"),
        before: None,
        after: Some(
            json!({"id": id, "name": name, "billingCodeID": allocation_code, "periodType": period_code, "unitPrice": 0}),
        ),
        reason: Some("a mapping row asked for a new service".into()),
    };
    if let Err(e) = audit.write(&state.ctx).await {
        tracing::error!(error = %e, service_id = id, "audit of a created service failed");
    }
    Ok(id)
}
