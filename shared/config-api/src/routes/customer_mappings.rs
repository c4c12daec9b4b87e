//! `PUT /customer-mappings/{companyId}` (map to an existing tenant, or to a new one) and
//! `DELETE /customer-mappings/{companyId}`: the guide's manual customer mapping.
//!
//! The store keeps both directions in one transaction, so a tenant can never end up
//! mapped to two companies; tenants the bridge may not manage (self-service, support
//! access disabled) are refused with that reason.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{ApiError, FieldError, upstream};
use acronis::{AcronisClient, TenantKind};
use autotask::models::Company;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bridge_core::mapping::{CustomerMapping, MappingOrigin};
use bridge_jobs::JobError;
use bridge_jobs::audit::Audit;
use bridge_jobs::provisioning::{ProvisionError, provision_company};
use bridge_store::store::StoreError;
use serde_json::{Value, json};

/// What the body asks for.
enum Target {
    Existing(String),
    New,
}

fn company_id(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let Ok(Path(raw)) = path else {
        return Err(ApiError::field(
            "companyId",
            "must be an Autotask company id (a positive integer)",
        ));
    };
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        Ok(0) => Err(ApiError::field(
            "companyId",
            "company 0 is the MSP itself and cannot be mapped",
        )),
        _ => Err(ApiError::field(
            "companyId",
            "must be an Autotask company id (a positive integer)",
        )),
    }
}

fn target(body: Value) -> Result<Target, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::field("", "the body must be a JSON object"));
    };
    let mut errors: Vec<FieldError> = map
        .keys()
        .filter(|k| !["tenant_id", "new_tenant"].contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                k.clone(),
                "unknown field; send {\"tenant_id\": …} or {\"new_tenant\": true}",
            )
        })
        .collect();
    let target = match (map.get("tenant_id"), map.get("new_tenant")) {
        (Some(Value::String(t)), None) if !t.trim().is_empty() => {
            Some(Target::Existing(t.trim().to_owned()))
        }
        (Some(_), None) => {
            errors.push(FieldError::new(
                "tenant_id",
                "must be an Acronis tenant id (a non-empty string)",
            ));
            None
        }
        (None, Some(Value::Bool(true))) => Some(Target::New),
        (None, Some(_)) => {
            errors.push(FieldError::new("new_tenant", "must be true"));
            None
        }
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "",
                "send either tenant_id or new_tenant, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "",
                "send {\"tenant_id\": …} or {\"new_tenant\": true}",
            ));
            None
        }
    };
    match target {
        Some(t) if errors.is_empty() => Ok(t),
        _ => Err(ApiError::invalid(errors)),
    }
}

pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let company_id = company_id(path)?;
    let target = target(body)?;
    let autotask = state.ctx.autotask().await?;
    let _company: Company = autotask
        .get("Companies", company_id)
        .await
        .map_err(|e| upstream("Autotask", e))?
        .ok_or_else(|| ApiError::not_found(format!("no Autotask company has id {company_id}")))?;
    let tenant_id = match target {
        Target::Existing(tenant_id) => tenant_id,
        // Provisioning does the whole job and writes the mapping and its audit entries
        // (tenant.created or tenant.adopted, mapping.created) in the caller's name.
        Target::New => return new_tenant(&state, &caller, company_id).await,
    };

    let acronis = state.ctx.acronis().await?;
    let ours = acronis
        .tenant_id()
        .await
        .map_err(|e| upstream("Acronis", e))?;
    let current = state.ctx.store.get_mapping_by_company(company_id).await?;
    if let Some(owner) = state.ctx.store.get_mapping_by_tenant(&tenant_id).await?
        && owner.company_id != company_id
    {
        return Err(ApiError::conflict(format!(
            "tenant {tenant_id} is already mapped to company {}",
            owner.company_id
        ))
        .with("company_id", Value::from(owner.company_id)));
    }
    if current.as_ref().is_some_and(|m| m.tenant_id == tenant_id) {
        return Ok(Json(json!({"mapping": current, "previous": current})));
    }
    check_manageable(&acronis, &tenant_id, &ours).await?;

    let mapping = CustomerMapping {
        company_id,
        tenant_id: tenant_id.clone(),
        origin: MappingOrigin::Manual,
        created_at: state.ctx.clock.now(),
        no_services_since: None,
    };
    let previous = state
        .ctx
        .store
        .put_mapping(&mapping)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { what, .. } => ApiError::conflict(what),
            other => other.into(),
        })?;
    let kind = if previous.is_some() {
        "mapping.changed"
    } else {
        "mapping.created"
    };
    audit(
        &state,
        &caller,
        kind,
        format!("company:{company_id}"),
        previous.as_ref().map(to_json),
        Some(to_json(&mapping)),
    )
    .await?;
    Ok(Json(json!({"mapping": mapping, "previous": previous})))
}

pub async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let company_id = company_id(path)?;
    let removed = state
        .ctx
        .store
        .delete_mapping(company_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => {
                ApiError::not_found(format!("company {company_id} is not mapped"))
            }
            other => other.into(),
        })?;
    audit(
        &state,
        &caller,
        "mapping.removed",
        format!("company:{company_id}"),
        Some(to_json(&removed)),
        None,
    )
    .await?;
    Ok(Json(json!({"removed": removed})))
}

/// 400 for a tenant that is not a customer of ours, 422 for one the bridge may not
/// change (the guide: self-service mode or support access disabled).
async fn check_manageable(
    acronis: &AcronisClient,
    tenant_id: &str,
    ours: &str,
) -> Result<(), ApiError> {
    let tenant = acronis.get_tenant(tenant_id).await.map_err(|e| match e {
        acronis::Error::NotFound { .. } | acronis::Error::Forbidden { .. } => ApiError::field(
            "tenant_id",
            format!("no Acronis tenant {tenant_id} is visible to the bridge's API client"),
        ),
        other => upstream("Acronis", other),
    })?;
    if tenant.kind != TenantKind::Customer {
        return Err(ApiError::field(
            "tenant_id",
            format!(
                "tenant {tenant_id} is a {} tenant; only customer tenants can be mapped",
                tenant.kind.as_str()
            ),
        ));
    }
    let refusal = |reason: &str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).with("reason", Value::from(reason))
    };
    if tenant.is_self_service() {
        return Err(refusal(
            "self_service",
            format!("tenant {tenant_id} is in self-service mode: the integration cannot manage it"),
        ));
    }
    if tenant.is_locked_against(ours) {
        return Err(refusal(
            "support_access_disabled",
            format!(
                "tenant {tenant_id} has support access disabled: the integration cannot manage it"
            ),
        ));
    }
    Ok(())
}

/// A new customer tenant with the full provisioning (see
/// [`bridge_jobs::provisioning::provision_company`]): 409 when the company is mapped
/// already, 422 with `reason` when the settings' naming rule cannot name the tenant.
async fn new_tenant(
    state: &ApiState,
    caller: &Caller,
    company_id: i64,
) -> Result<Json<Value>, ApiError> {
    let tenant_id = provision_company(&state.ctx, company_id, MappingOrigin::Manual, &caller.0)
        .await
        .map_err(|e| match e {
            ProvisionError::AlreadyMapped { .. } => ApiError::conflict(e.to_string()),
            ProvisionError::Refused { reason, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).with(
                    "reason",
                    serde_json::to_value(reason).unwrap_or(Value::Null),
                )
            }
            ProvisionError::Job(JobError::Acronis(acronis::Error::Api {
                status: 409,
                message,
                ..
            })) => ApiError::conflict(format!("Acronis refused the new tenant: {message}")),
            ProvisionError::Job(other) => other.into(),
        })?;
    let mapping = state
        .ctx
        .store
        .get_mapping_by_company(company_id)
        .await?
        .filter(|m| m.tenant_id == tenant_id);
    Ok(Json(json!({"mapping": mapping, "previous": null})))
}

fn to_json(m: &CustomerMapping) -> Value {
    serde_json::to_value(m).unwrap_or(Value::Null)
}

async fn audit(
    state: &ApiState,
    caller: &Caller,
    kind: &str,
    subject: String,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), ApiError> {
    Audit {
        actor: &caller.0,
        kind,
        subject,
        before,
        after,
        reason: None,
    }
    .write(&state.ctx)
    .await
    .map_err(ApiError::from)
}
