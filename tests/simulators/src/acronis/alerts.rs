//! Alert Manager v1 (reference 7): alerts with cursor paging and operator filters,
//! dismissal (`DELETE`), creation, and the alert types (short names and CTI ids).
//!
//! Unconfirmed choices: the default order is `asc(created_at)`, the default page size
//! 100 (at most 1000), the dismissal timestamp is named `deletedAt`, built-in types use
//! short category names such as `Backup`, and the time filters refuse values that can
//! only be seconds, milliseconds or microseconds (see [`NS_FLOOR`]).
//!
//! Alerts name their tenant in one of the shapes of [`TenantShape`], chosen per alert
//! (`tenant_shape` when firing): both shapes seen in public captures, plus a
//! numbers-only one for tests of alerts whose tenant cannot be told.

use super::Shared;
use super::error::{ApiError, ApiResult};
use super::http::{csv, json_body};
use super::state::{Alert, Caller, TenantShape, World, alert_time};
use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const DOMAIN: &str = "AlertManager";
const SEVERITIES: &[&str] = &["ok", "information", "warning", "error", "critical"];
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Positive time-filter values below this (1973 in nanoseconds) are refused: they are
/// seconds, milliseconds or microseconds of a recent date, which a real server would
/// compare as nanoseconds and so answer with the wrong alerts (reference 9.10). The
/// real server's tolerance is unknown; refusing makes the unit mistake visible.
pub const NS_FLOOR: i64 = 100_000_000_000_000_000;

/// The CTI id of the malware alert, as in the reference's CyberApp example.
pub const CTI_MALWARE: &str =
    "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.application.malware_detected.v1.0";
/// A second CTI type, so type filters and mappings meet more than one.
pub const CTI_LICENSE: &str =
    "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.application.license_expiring.v1.0";
const CTI_SECURITY: &str = "cti.a.p.am.category.v1.0~vendor.application.security.v1.0";
const CTI_LICENSING: &str = "cti.a.p.am.category.v1.0~vendor.application.licensing.v1.0";

/// Alert types: (id, category, default severity).
const TYPES: &[(&str, &str, &str)] = &[
    ("NoBackupForXDays", "Backup", "warning"),
    ("BackupFailed", "Backup", "error"),
    ("BackupDidNotStart", "Backup", "error"),
    ("BackupNotResponding", "Backup", "warning"),
    ("BackupStatusUnknown", "Backup", "warning"),
    ("MachineOffline30", "Monitoring", "warning"),
    ("AgentAutoUpdateFailed", "Agent", "warning"),
    ("PlanDeploymentFailed", "Backup", "error"),
    ("DrStorageHardQuotaExceeds", "Disaster Recovery", "critical"),
    ("M365ApplicationConsentRequired", "Microsoft 365", "warning"),
    (CTI_MALWARE, CTI_SECURITY, "critical"),
    (CTI_LICENSE, CTI_LICENSING, "warning"),
];

pub fn builtin_types() -> Vec<Value> {
    TYPES
        .iter()
        .map(|(id, category, severity)| {
            json!({"id": id, "category": category, "severity": severity, "os_type": "any", "enabled": true})
        })
        .collect()
}

fn err(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError::new(status, status.as_u16().into(), message).in_domain(DOMAIN)
}

/// The alert's `tenant` object in the alert's shape.
fn tenant_json(w: &World, a: &Alert) -> Value {
    let Some(t) = w.tenants.get(&a.tenant_id) else {
        return json!({"id": "", "uuid": a.tenant_id, "locator": ""});
    };
    let legacy = t.legacy_id.to_string();
    match a.tenant_shape {
        TenantShape::Legacy => {
            json!({"id": legacy, "uuid": a.tenant_id, "locator": w.locator(&a.tenant_id)})
        }
        TenantShape::Uuid => json!({"id": a.tenant_id, "locator": w.uuid_locator(&a.tenant_id)}),
        TenantShape::Numeric => json!({"id": legacy, "locator": w.locator(&a.tenant_id)}),
    }
}

pub fn alert_json(w: &World, a: &Alert) -> Value {
    let mut v = json!({
        "id": a.id,
        "type": a.alert_type,
        "category": a.category,
        "severity": a.severity,
        "details": a.details,
        "receivedAt": alert_time(a.received_ns),
        "createdAt": alert_time(a.created_ns),
        "updatedAt": alert_time(a.updated_ns),
        "affinity": "",
        "tenant": tenant_json(w, a),
    });
    if let Some(d) = a.deleted_ns {
        v["deletedAt"] = json!(alert_time(d));
    }
    if let Some(s) = &a.source {
        v["source"] = json!(s);
    }
    v
}

fn text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

impl World {
    /// Creates an alert, or repeats the one with the same id: what the input gives
    /// replaces the old content (the rest stays), `updatedAt` and `receivedAt` move,
    /// the dismissal is cleared (unless `dismissed`) and the occurrence count grows.
    ///
    /// Input: `type` (required for a new alert), `severity`, `category`, `details`,
    /// `id`, `createdAt` (RFC 3339, new alerts only), `dismissed`, `_source`, the tenant
    /// as `tenantID` / `tenant_id` / `tenant.uuid` / `tenant.id` (default
    /// `default_tenant`), and `tenant_shape` (`legacy`, `uuid` or `numeric`; a `tenant`
    /// object with `id` but no `uuid` means `uuid`). Returns the id.
    pub fn upsert_alert(
        &mut self,
        input: &Value,
        default_tenant: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<String> {
        let id = text(input, "id")
            .filter(|i| !i.trim().is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string().to_uppercase());
        let old = self.alerts.get(&id).cloned();
        let alert_type = text(input, "type")
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or_else(|| old.as_ref().map(|a| a.alert_type.clone()))
            .ok_or_else(|| err(StatusCode::BAD_REQUEST, "field 'type' is required"))?;
        let known = TYPES.iter().find(|t| t.0 == alert_type);
        let severity = match text(input, "severity") {
            Some(s) if SEVERITIES.contains(&s) => s.to_string(),
            Some(s) => {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    format!("field 'severity': unknown severity '{s}'"),
                ));
            }
            None => old
                .as_ref()
                .filter(|a| a.alert_type == alert_type)
                .map(|a| a.severity.clone())
                .unwrap_or_else(|| known.map_or("warning", |t| t.2).to_string()),
        };
        let category = text(input, "category")
            .map(str::to_string)
            .or_else(|| {
                old.as_ref()
                    .filter(|a| a.alert_type == alert_type)
                    .map(|a| a.category.clone())
            })
            .unwrap_or_else(|| known.map_or("Backup", |t| t.1).to_string());
        let given_tenant = ["tenantID", "tenant_id"]
            .iter()
            .find_map(|k| text(input, k))
            .or_else(|| input.pointer("/tenant/uuid").and_then(Value::as_str))
            .or_else(|| input.pointer("/tenant/id").and_then(Value::as_str));
        let tenant_id = given_tenant
            .map(str::to_string)
            .or_else(|| old.as_ref().map(|a| a.tenant_id.clone()))
            .unwrap_or_else(|| default_tenant.to_string());
        if !self.tenants.contains_key(&tenant_id) {
            return Err(err(
                StatusCode::BAD_REQUEST,
                format!("field 'tenantID': unknown tenant '{tenant_id}'"),
            ));
        }
        let tenant_shape = match text(input, "tenant_shape") {
            Some(s) => TenantShape::parse(s).ok_or_else(|| {
                err(
                    StatusCode::BAD_REQUEST,
                    format!("field 'tenant_shape': '{s}' is not legacy, uuid or numeric"),
                )
            })?,
            None if input.pointer("/tenant/id").is_some()
                && input.pointer("/tenant/uuid").is_none() =>
            {
                TenantShape::Uuid
            }
            None => old.as_ref().map_or(TenantShape::Legacy, |a| a.tenant_shape),
        };
        let created_ns = match text(input, "createdAt") {
            Some(s) => Some(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| err(StatusCode::BAD_REQUEST, "field 'createdAt' must be RFC3339"))?
                    .with_timezone(&Utc)
                    .timestamp_nanos_opt()
                    .unwrap_or(0),
            ),
            None => None,
        };
        // A new alert may carry its history (`createdAt`); a repeat is stamped now.
        let stamp = match created_ns {
            Some(ns) if old.is_none() => ns,
            _ => self.stamp_ns(now),
        };
        let details = input
            .get("details")
            .cloned()
            .or_else(|| old.as_ref().map(|a| a.details.clone()))
            .unwrap_or_else(|| json!({}));
        let source = text(input, "_source")
            .or_else(|| text(input, "source"))
            .map(str::to_string)
            .or_else(|| old.as_ref().and_then(|a| a.source.clone()));
        let dismissed = input.get("dismissed") == Some(&Value::Bool(true));
        let alert = Alert {
            id: id.clone(),
            alert_type,
            category,
            severity,
            details,
            tenant_id,
            tenant_shape,
            occurrences: old.as_ref().map_or(1, |a| a.occurrences.saturating_add(1)),
            source,
            created_ns: old.as_ref().map_or(stamp, |a| a.created_ns),
            updated_ns: stamp,
            received_ns: stamp,
            deleted_ns: dismissed.then_some(stamp),
        };
        self.alerts.insert(id.clone(), alert);
        Ok(id)
    }

    /// Fires `count` new alerts from one template (see [`World::upsert_alert`]; its
    /// `id` is ignored), as a burst for load tests. Without `details` in the template
    /// each alert gets a backup plan and a resource `BURST-00001`… of its own.
    pub fn fire_burst(
        &mut self,
        count: usize,
        template: &Value,
        default_tenant: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Vec<String>> {
        let mut base = match template {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        base.remove("id");
        base.remove("count");
        base.entry("type").or_insert_with(|| json!("BackupFailed"));
        let own_details = !base.contains_key("details");
        let mut ids = Vec::with_capacity(count);
        for n in 1..=count {
            let mut input = base.clone();
            if own_details {
                input.insert(
                    "details".into(),
                    json!({"planName": "Burst plan", "resourceName": format!("BURST-{n:05}")}),
                );
            }
            ids.push(self.upsert_alert(&Value::Object(input), default_tenant, now)?);
        }
        Ok(ids)
    }

    /// Dismisses an alert: sets `deletedAt` and bumps `updatedAt` (once).
    pub fn dismiss_alert(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        if self.alerts.get(id).is_none_or(|a| a.deleted_ns.is_some()) {
            return self.alerts.contains_key(id);
        }
        let stamp = self.stamp_ns(now);
        if let Some(a) = self.alerts.get_mut(id) {
            a.deleted_ns = Some(stamp);
            a.updated_ns = stamp;
        }
        true
    }
}

/// `name(a,b)` → `("name", [a, b])`; a plain value → `("eq", [value])`.
fn operator(s: &str) -> (String, Vec<String>) {
    if let Some(open) = s.find('(')
        && s.ends_with(')')
    {
        let op = s[..open].to_ascii_lowercase();
        return (op, csv(&s[open + 1..s.len() - 1]));
    }
    ("eq".to_string(), csv(s))
}

/// Whether `value` passes `op(args)`; `rank` orders the values (ns or severity rank).
fn passes<T: PartialOrd>(op: &str, args: &[T], value: &T) -> bool {
    match op {
        "eq" | "or" | "in" => args.iter().any(|a| a == value),
        "ne" => args.iter().all(|a| a != value),
        "gt" => args.first().is_some_and(|a| value > a),
        "ge" => args.first().is_some_and(|a| value >= a),
        "lt" => args.first().is_some_and(|a| value < a),
        "le" => args.first().is_some_and(|a| value <= a),
        _ => false,
    }
}

fn severity_rank(s: &str) -> i64 {
    SEVERITIES
        .iter()
        .position(|x| *x == s)
        .map_or(-1, |p| p as i64)
}

/// The filters of a list or bulk-dismiss query, in a canonical map (stored in cursors).
fn filters_of(q: &HashMap<String, String>) -> BTreeMap<String, String> {
    q.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "limit" | "after" | "before"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn is_true(v: Option<&String>) -> bool {
    v.is_some_and(|v| v == "true" || v == "1")
}

/// The alerts matching `filters` that the caller may see.
fn select<'a>(
    w: &'a World,
    caller: &Caller,
    f: &BTreeMap<String, String>,
) -> ApiResult<Vec<&'a Alert>> {
    let ns_filter = |key: &str| -> ApiResult<Option<(String, Vec<i64>)>> {
        let Some(raw) = f.get(key) else {
            return Ok(None);
        };
        let (op, args) = operator(raw);
        let nums = args
            .iter()
            .map(|a| a.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                err(
                    StatusCode::BAD_REQUEST,
                    format!("'{key}' must be Unix nanoseconds, e.g. gt(1700000000000000000)"),
                )
            })?;
        if let Some(n) = nums.iter().find(|n| **n > 0 && **n < NS_FLOOR) {
            return Err(err(
                StatusCode::BAD_REQUEST,
                format!(
                    "'{key}' takes Unix nanoseconds; {n} looks like seconds, milliseconds or microseconds"
                ),
            ));
        }
        Ok(Some((op, nums)))
    };
    let updated = ns_filter("updated_at")?;
    let created = ns_filter("created_at")?;
    let deleted = ns_filter("deleted_at")?;
    let severity = match f.get("severity") {
        Some(raw) => {
            let (op, args) = operator(raw);
            let ranks: Vec<i64> = args.iter().map(|a| severity_rank(a)).collect();
            if ranks.contains(&-1) {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    format!("'severity' has an unknown value: {raw}"),
                ));
            }
            Some((op, ranks))
        }
        None => None,
    };
    let list = |key: &str| f.get(key).map(|raw| operator(raw).1);
    let (ids, skip, types, categories, tenants) = (
        list("id"),
        list("skip"),
        list("type"),
        list("category"),
        list("tenant"),
    );
    let show_deleted = is_true(f.get("show_deleted"));
    let only_deleted = is_true(f.get("show_deleted_only"));
    Ok(w.alerts
        .values()
        .filter(|a| w.tenants.contains_key(&a.tenant_id) && w.in_scope(caller, &a.tenant_id))
        .filter(|a| match (only_deleted, show_deleted) {
            (true, _) => a.deleted_ns.is_some(),
            (false, true) => true,
            (false, false) => a.deleted_ns.is_none(),
        })
        .filter(|a| ids.as_ref().is_none_or(|l| l.contains(&a.id)))
        .filter(|a| skip.as_ref().is_none_or(|l| !l.contains(&a.id)))
        .filter(|a| types.as_ref().is_none_or(|l| l.contains(&a.alert_type)))
        .filter(|a| categories.as_ref().is_none_or(|l| l.contains(&a.category)))
        .filter(|a| tenants.as_ref().is_none_or(|l| l.contains(&a.tenant_id)))
        .filter(|a| {
            severity
                .as_ref()
                .is_none_or(|(op, r)| passes(op, r, &severity_rank(&a.severity)))
        })
        .filter(|a| {
            updated
                .as_ref()
                .is_none_or(|(op, n)| passes(op, n, &a.updated_ns))
        })
        .filter(|a| {
            created
                .as_ref()
                .is_none_or(|(op, n)| passes(op, n, &a.created_ns))
        })
        .filter(|a| {
            deleted
                .as_ref()
                .is_none_or(|(op, n)| a.deleted_ns.is_some_and(|d| passes(op, n, &d)))
        })
        .collect())
}

/// Position in an ordering: (number, text); the alert id breaks ties.
type SortKey = (i64, String);

/// Filters of the query a cursor continues.
type Filters = BTreeMap<String, String>;

/// Sort key of an alert for an order column: (number, text), then the id breaks ties.
fn sort_key(a: &Alert, column: &str) -> SortKey {
    match column {
        "updated_at" => (a.updated_ns, String::new()),
        "deleted_at" => (a.deleted_ns.unwrap_or(i64::MIN), String::new()),
        "severity" => (severity_rank(&a.severity), String::new()),
        "type" => (0, a.alert_type.clone()),
        "category" => (0, a.category.clone()),
        _ => (a.created_ns, String::new()),
    }
}

fn order_of(f: &BTreeMap<String, String>) -> ApiResult<(bool, String)> {
    let raw = f.get("order").map_or("asc(created_at)", String::as_str);
    let (dir, cols) = operator(raw);
    let col = cols.first().cloned().unwrap_or_default();
    let known = [
        "created_at",
        "updated_at",
        "deleted_at",
        "severity",
        "type",
        "category",
    ];
    if !matches!(dir.as_str(), "asc" | "desc") || !known.contains(&col.as_str()) {
        return Err(err(
            StatusCode::BAD_REQUEST,
            format!("'order' must be asc(<column>) or desc(<column>) over {known:?}"),
        ));
    }
    Ok((dir == "asc", col))
}

/// `GET /alerts` with filters, `order`, `limit` and an opaque `after` cursor that also
/// carries the query, so the next page needs only `after`.
pub async fn list_alerts(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| {
                err(
                    StatusCode::BAD_REQUEST,
                    "'limit' must be a positive integer",
                )
            })?
            .min(MAX_LIMIT),
        None => DEFAULT_LIMIT,
    };
    let (filters, position) = match q.get("after") {
        Some(c) => {
            let (f, k, id) = decode_cursor(c)?;
            (f, Some((k, id)))
        }
        None => (filters_of(&q), None),
    };
    let (asc, column) = order_of(&filters)?;
    let w = sh.world();
    let mut found = select(&w, &caller, &filters)?;
    found.sort_by(|a, b| {
        let ka = (sort_key(a, &column), &a.id);
        let kb = (sort_key(b, &column), &b.id);
        if asc { ka.cmp(&kb) } else { kb.cmp(&ka) }
    });
    if let Some((key, id)) = &position {
        found.retain(|a| {
            let k = (sort_key(a, &column), &a.id);
            if asc {
                k > (key.clone(), id)
            } else {
                k < (key.clone(), id)
            }
        });
    }
    let more = found.len() > limit;
    found.truncate(limit);
    let mut cursors = Map::new();
    if more && let Some(last) = found.last() {
        cursors.insert(
            "after".into(),
            json!(encode_cursor(&filters, &sort_key(last, &column), &last.id)),
        );
    }
    let items: Vec<Value> = found.iter().map(|a| alert_json(&w, a)).collect();
    Ok(Json(
        json!({"items": items, "paging": {"cursors": cursors}}),
    ))
}

fn encode_cursor(filters: &Filters, key: &SortKey, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!({"q": filters, "k": [key.0, key.1], "id": id}).to_string())
}

fn decode_cursor(c: &str) -> ApiResult<(Filters, SortKey, String)> {
    let bad = || err(StatusCode::BAD_REQUEST, "'after' is not a valid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(c.trim()).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let filters: BTreeMap<String, String> =
        serde_json::from_value(v["q"].clone()).map_err(|_| bad())?;
    let key = (
        v["k"][0].as_i64().ok_or_else(bad)?,
        v["k"][1].as_str().ok_or_else(bad)?.to_string(),
    );
    Ok((filters, key, v["id"].as_str().ok_or_else(bad)?.to_string()))
}

fn visible_alert<'a>(w: &'a World, caller: &Caller, id: &str) -> ApiResult<&'a Alert> {
    w.alerts
        .get(id)
        .filter(|a| w.tenants.contains_key(&a.tenant_id) && w.in_scope(caller, &a.tenant_id))
        .ok_or_else(|| err(StatusCode::NOT_FOUND, format!("Alert '{id}' not found")))
}

pub async fn get_alert(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    Ok(Json(alert_json(&w, visible_alert(&w, &caller, &id)?)))
}

/// `DELETE /alerts/{id}` → 204: dismissal.
pub async fn dismiss_alert(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let now = sh.now();
    let mut w = sh.world();
    visible_alert(&w, &caller, &id)?;
    w.dismiss_alert(&id, now);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /alerts?<filters>` → 204: dismisses every matching alert.
pub async fn dismiss_matching(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let now = sh.now();
    let mut w = sh.world();
    let ids: Vec<String> = select(&w, &caller, &filters_of(&q))?
        .iter()
        .map(|a| a.id.clone())
        .collect();
    for id in ids {
        w.dismiss_alert(&id, now);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /alerts` → 200 `{"id"}`; the type must be a known one.
pub async fn create_alert(
    State(sh): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_body(&headers, &body).map_err(|e| e.in_domain(DOMAIN))?;
    let alert_type = body.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut w = sh.world();
    if !w.alert_types.iter().any(|t| t["id"] == alert_type) {
        return Err(err(
            StatusCode::BAD_REQUEST,
            format!("field 'type': unknown alert type '{alert_type}'"),
        ));
    }
    if let Some(t) = body.get("tenantID").and_then(Value::as_str)
        && !w.in_scope(&caller, t)
    {
        return Err(err(
            StatusCode::FORBIDDEN,
            format!("tenant '{t}' is not accessible"),
        ));
    }
    let now = sh.now();
    let id = w.upsert_alert(&body, &caller.tenant_id, now)?;
    Ok(Json(json!({"id": id})))
}

pub async fn list_types(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let w = sh.world();
    let items: Vec<&Value> = w
        .alert_types
        .iter()
        .filter(|t| {
            q.get("category")
                .is_none_or(|c| t["category"] == c.as_str())
        })
        .collect();
    Json(json!({"items": items}))
}

pub async fn get_type(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let w = sh.world();
    w.alert_types
        .iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| Json(t.clone()))
        .ok_or_else(|| {
            err(
                StatusCode::NOT_FOUND,
                format!("Alert type '{id}' not found"),
            )
        })
}
