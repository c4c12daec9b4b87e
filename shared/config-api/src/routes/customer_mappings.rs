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
use crate::routes::accounts::tenant_json;
use crate::routes::envelope::current_or_default;
use acronis::{AcronisClient, TenantCreate, TenantKind};
use autotask::models::{Company, Contact};
use autotask::{Filter, Query};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bridge_core::mapping::{CustomerMapping, MappingOrigin};
use bridge_core::settings::AccountBasis;
use bridge_jobs::audit::Audit;
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
    let company: Company = autotask
        .get("Companies", company_id)
        .await
        .map_err(|e| upstream("Autotask", e))?
        .ok_or_else(|| ApiError::not_found(format!("no Autotask company has id {company_id}")))?;
    let acronis = state.ctx.acronis().await?;
    let ours = acronis
        .tenant_id()
        .await
        .map_err(|e| upstream("Acronis", e))?;
    let current = state.ctx.store.get_mapping_by_company(company_id).await?;

    let (tenant_id, created) = match target {
        Target::Existing(tenant_id) => {
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
            (tenant_id, None)
        }
        Target::New => {
            if let Some(m) = &current {
                return Err(ApiError::conflict(format!(
                    "company {company_id} is already mapped to tenant {}; remove that mapping first",
                    m.tenant_id
                )));
            }
            let tenant = new_tenant(&state, &acronis, &ours, &company).await?;
            (tenant.id.clone(), Some(tenant))
        }
    };

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
    if let Some(tenant) = &created {
        audit(
            &state,
            &caller,
            "tenant.created",
            format!("tenant:{}", tenant.id),
            None,
            Some(tenant_json(tenant, &ours)),
        )
        .await?;
    }
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

/// A new customer tenant for the company, named as the provisioning settings say. Its
/// `customer_id` is the company id, so a retried request finds the tenant an earlier,
/// interrupted one created instead of creating a second.
async fn new_tenant(
    state: &ApiState,
    acronis: &AcronisClient,
    ours: &str,
    company: &Company,
) -> Result<acronis::Tenant, ApiError> {
    let customer_id = company.id.to_string();
    if let Some(found) = find_by_customer_id(acronis, ours, &customer_id).await? {
        return Ok(found);
    }
    let settings = current_or_default(state.ctx.store.get_settings().await?).value;
    let name = match settings.provisioning.create_accounts_based_on {
        AccountBasis::CompanyName => company.company_name.clone().unwrap_or_default(),
        AccountBasis::CompanyPrimaryContact => primary_contact_name(state, company.id).await?,
    };
    if name.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("company {} has no name to give the new tenant", company.id),
        )
        .with("reason", Value::from("no_name")));
    }
    let mut create = TenantCreate::new(name.trim(), TenantKind::Customer, ours);
    create.customer_id = Some(customer_id);
    acronis.create_tenant(&create).await.map_err(|e| match e {
        acronis::Error::Api {
            status: 409,
            message,
            ..
        } => ApiError::conflict(format!(
            "Acronis refused the new tenant {:?}: {message}",
            name.trim()
        )),
        other => upstream("Acronis", other),
    })
}

async fn find_by_customer_id(
    acronis: &AcronisClient,
    ours: &str,
    customer_id: &str,
) -> Result<Option<acronis::Tenant>, ApiError> {
    // Acronis search needs 3 characters; shorter ids are rare enough to just create.
    if customer_id.len() < 3 {
        return Ok(None);
    }
    let hits = acronis
        .search(ours, customer_id)
        .await
        .map_err(|e| upstream("Acronis", e))?;
    let ids: Vec<String> = hits
        .into_iter()
        .filter(|h| h.obj_type == "tenant")
        .map(|h| h.id)
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let tenants = acronis
        .get_tenants(&ids)
        .await
        .map_err(|e| upstream("Acronis", e))?;
    Ok(tenants
        .into_iter()
        .find(|t| t.kind == TenantKind::Customer && t.customer_id.as_deref() == Some(customer_id)))
}

async fn primary_contact_name(state: &ApiState, company_id: i64) -> Result<String, ApiError> {
    let client = state.ctx.autotask().await?;
    let query = Query::new(Filter::eq("companyID", company_id))
        .and(Filter::eq("primaryContact", true))
        .include_fields(["id", "firstName", "lastName"]);
    let contacts: Vec<Contact> = client
        .query(&query)
        .await
        .map_err(|e| upstream("Autotask", e))?;
    contacts
        .first()
        .map(Contact::full_name)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "company {company_id} has no primary contact with a name, and accounts are \
                     based on the primary contact (provisioning.create_accounts_based_on)"
                ),
            )
            .with("reason", Value::from("no_primary_contact"))
        })
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
