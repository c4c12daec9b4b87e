//! `PUT /customer-mappings/{companyId}` (map to an existing tenant, or to a new one) and
//! `DELETE /customer-mappings/{companyId}`: the guide's manual customer mapping.
//!
//! The store keeps both directions in one transaction, so a tenant can never end up
//! mapped to two companies; customer tenants the bridge may not manage (self-service,
//! support access disabled) are refused with that reason. An existing partner tenant
//! below the MSP's own partner tenant may be mapped too, as a sub-partner: its usage is
//! reported in aggregate and the jobs that change tenants leave it alone, so the guards
//! about changes do not apply to it. A new tenant is always a customer tenant.
//!
//! A mapping answer carries the tenant id as its `ETag`. A client that sends it back as
//! `If-Match` (or `If-None-Match: *` for "not mapped") changes the mapping only if it is
//! still what the client read, checked in the store's conditional write: 412 otherwise,
//! so two operators never silently overwrite each other's remap.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{ApiError, FieldError, upstream};
use crate::routes::envelope::Tagged;
use acronis::{AcronisClient, Tenant, TenantKind};
use autotask::models::Company;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
use bridge_jobs::JobError;
use bridge_jobs::audit::Audit;
use bridge_jobs::provisioning::{ProvisionError, provision_company};
use bridge_store::store::{ExpectedMapping, MapOutcome, StoreError};
use serde_json::{Value, json};

/// What the client read of the mapping: `If-Match: "<tenant id>"`, `If-None-Match: *`
/// (not mapped), or neither (whatever is there).
pub struct MappingRead(ExpectedMapping);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for MappingRead {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let text = |name: header::HeaderName, label: &'static str| {
            parts.headers.get(name).map(|v| {
                v.to_str()
                    .map(str::trim)
                    .map_err(|_| ApiError::field(label, "must be printable ASCII"))
            })
        };
        match (
            text(header::IF_MATCH, "If-Match"),
            text(header::IF_NONE_MATCH, "If-None-Match"),
        ) {
            (Some(_), Some(_)) => Err(ApiError::field(
                "If-None-Match",
                "send If-Match or If-None-Match, not both",
            )),
            (Some(value), None) => value?
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .filter(|v| is_tenant_id(v))
                .map(|tenant| MappingRead(ExpectedMapping::MappedTo(tenant.to_owned())))
                .ok_or_else(|| {
                    ApiError::field(
                        "If-Match",
                        "must be the ETag of the mapping you read: its tenant id in quotes",
                    )
                }),
            (None, Some(value)) => match value? {
                "*" => Ok(MappingRead(ExpectedMapping::Unmapped)),
                _ => Err(ApiError::field(
                    "If-None-Match",
                    "only * is understood (\"the company is not mapped\")",
                )),
            },
            (None, None) => Ok(MappingRead(ExpectedMapping::Any)),
        }
    }
}

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
    // Digits only: `+180` or ` 180` is not how anyone writes an id, so it is refused
    // rather than read as 180.
    let id = raw
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| raw.parse::<i64>().ok())
        .flatten();
    match id {
        Some(id) if id > 0 => Ok(id),
        Some(_) => Err(ApiError::field(
            "companyId",
            "company 0 is the MSP itself and cannot be mapped",
        )),
        _ => Err(ApiError::field(
            "companyId",
            "must be an Autotask company id (a positive integer)",
        )),
    }
}

/// The longest Acronis tenant id (they are UUIDs, 36 characters).
const TENANT_ID_MAX_CHARS: usize = 64;

fn is_tenant_id(text: &str) -> bool {
    (1..=TENANT_ID_MAX_CHARS).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
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
        (Some(Value::String(t)), None) if is_tenant_id(t.trim()) => {
            Some(Target::Existing(t.trim().to_owned()))
        }
        (Some(_), None) => {
            errors.push(FieldError::new(
                "tenant_id",
                format!(
                    "must be an Acronis tenant id (1 to {TENANT_ID_MAX_CHARS} letters, digits and '-')"
                ),
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
    MappingRead(expected): MappingRead,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
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
        Target::New => {
            // Provisioning refuses a mapped company itself (409); a precondition sent
            // is checked first, so a stale read answers 412 as on the other paths.
            if expected != ExpectedMapping::Any {
                let current = state.ctx.store.get_mapping_by_company(company_id).await?;
                expected.check(company_id, current.as_ref())?;
            }
            return new_tenant(&state, &caller, company_id).await;
        }
    };

    let acronis = state.ctx.acronis().await?;
    let ours = acronis
        .tenant_id()
        .await
        .map_err(|e| upstream("Acronis", e))?;
    let current = state.ctx.store.get_mapping_by_company(company_id).await?;
    // Checked again in the store's write; here it saves the Acronis calls of a stale
    // request.
    expected.check(company_id, current.as_ref())?;
    if let Some(owner) = state.ctx.store.get_mapping_by_tenant(&tenant_id).await?
        && owner.company_id != company_id
    {
        return Err(ApiError::conflict(format!(
            "tenant {tenant_id} is already mapped to company {}",
            owner.company_id
        ))
        .with("company_id", Value::from(owner.company_id)));
    }
    if let Some(current) = current.as_ref().filter(|m| m.tenant_id == tenant_id) {
        return Ok(unchanged(current));
    }
    let tenant_kind = check_mappable(&acronis, &tenant_id, &ours).await?;

    let mapping = CustomerMapping {
        held: None,
        deletion: None,
        company_id,
        tenant_id: tenant_id.clone(),
        origin: MappingOrigin::Manual,
        created_at: state.ctx.clock.now(),
        no_services_since: None,
        tenant_kind,
    };
    // Of concurrent identical requests one writes; the others find the mapping done
    // and answer it as it is, with no audit entry (nothing changed).
    let outcome = state
        .ctx
        .store
        .map_company(&mapping, &expected)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { what, .. } => ApiError::conflict(what),
            other => other.into(),
        })?;
    let previous = match outcome {
        MapOutcome::Written(previous) => previous,
        MapOutcome::Unchanged(current) => return Ok(unchanged(&current)),
    };
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
    Ok(Tagged(
        &mapping.tenant_id,
        json!({
            "mapping": to_json(&mapping),
            "previous": previous.as_ref().map(to_json),
        }),
    )
    .into_response())
}

/// The answer when the company is mapped to the tenant asked for already.
fn unchanged(current: &CustomerMapping) -> Response {
    let json = to_json(current);
    Tagged(
        &current.tenant_id,
        json!({"mapping": json, "previous": json}),
    )
    .into_response()
}

pub async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    MappingRead(expected): MappingRead,
) -> Result<Json<Value>, ApiError> {
    let company_id = company_id(path)?;
    if expected == ExpectedMapping::Unmapped {
        return Err(ApiError::field(
            "If-None-Match",
            "a mapping to remove exists; send If-Match with its tenant id instead",
        ));
    }
    let removed = state
        .ctx
        .store
        .delete_mapping(company_id, &expected)
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
    Ok(Json(json!({"removed": to_json(&removed)})))
}

/// How the tenant may be mapped: as a customer tenant the bridge may change, or as a
/// sub-partner (a partner tenant below the MSP's own). 400 for any other tenant (not
/// visible, folder, unit, the MSP's own tenant, a partner outside its tree), 422 for a
/// customer tenant the bridge may not change (the guide: self-service mode or support
/// access disabled).
async fn check_mappable(
    acronis: &AcronisClient,
    tenant_id: &str,
    ours: &str,
) -> Result<MappedTenantKind, ApiError> {
    let tenant = acronis.get_tenant(tenant_id).await.map_err(|e| match e {
        acronis::Error::NotFound { .. } | acronis::Error::Forbidden { .. } => ApiError::field(
            "tenant_id",
            format!("no Acronis tenant {tenant_id} is visible to the bridge's API client"),
        ),
        other => upstream("Acronis", other),
    })?;
    match tenant.kind {
        TenantKind::Customer => {
            check_manageable(&tenant, ours)?;
            Ok(MappedTenantKind::Customer)
        }
        TenantKind::Partner if tenant.id.eq_ignore_ascii_case(ours) => Err(ApiError::field(
            "tenant_id",
            format!(
                "tenant {tenant_id} is the MSP's own partner tenant; map one of its customers or sub-partners"
            ),
        )),
        TenantKind::Partner => {
            check_below(acronis, &tenant, ours).await?;
            Ok(MappedTenantKind::SubPartner)
        }
        other => Err(ApiError::field(
            "tenant_id",
            format!(
                "tenant {tenant_id} is a {} tenant; only customer tenants and sub-partners (partner tenants under the MSP's own) can be mapped",
                other.as_str()
            ),
        )),
    }
}

/// Parent levels followed up from a partner tenant before giving up: deeper than any
/// tenant tree, and a bound should the parents ever form a loop.
const MAX_DEPTH: usize = 32;

/// 400 unless the partner tenant sits below `ours` (directly, or through folders and
/// other partners). Its parents are read one by one; a parent the API client may not
/// see is above the client's own tenant, so the partner is outside the MSP's tree.
async fn check_below(acronis: &AcronisClient, tenant: &Tenant, ours: &str) -> Result<(), ApiError> {
    let mut parent = tenant.parent_id.clone();
    for _ in 0..MAX_DEPTH {
        let Some(id) = parent else {
            break;
        };
        if id.eq_ignore_ascii_case(ours) {
            return Ok(());
        }
        parent = match acronis.get_tenant(&id).await {
            Ok(t) => t.parent_id,
            Err(acronis::Error::NotFound { .. } | acronis::Error::Forbidden { .. }) => break,
            Err(other) => return Err(upstream("Acronis", other)),
        };
    }
    Err(ApiError::field(
        "tenant_id",
        format!(
            "partner tenant {} is not under the MSP's partner tenant {ours}; only its sub-partners can be mapped",
            tenant.id
        ),
    ))
}

/// 422 for a customer tenant the bridge may not change.
fn check_manageable(tenant: &Tenant, ours: &str) -> Result<(), ApiError> {
    let tenant_id = &tenant.id;
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
) -> Result<Response, ApiError> {
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
    let body = json!({"mapping": mapping.as_ref().map(to_json), "previous": null});
    Ok(match &mapping {
        Some(m) => Tagged(&m.tenant_id, body).into_response(),
        None => Json(body).into_response(),
    })
}

/// A mapping as answers and audit entries show it: with its `tenant_kind` always (the
/// store leaves a customer's out).
fn to_json(m: &CustomerMapping) -> Value {
    let mut value = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.insert("tenant_kind".into(), Value::from(m.tenant_kind.as_str()));
    }
    value
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
