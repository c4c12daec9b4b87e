//! Alerts of the Alert Manager (`/api/alert_manager/v1`).
//!
//! The alert job polls with `updated_since` = the newest `updatedAt` it has
//! committed; `updatedAt` changes on create, on repeat and on dismiss, so dismissals
//! (with `show_deleted`) arrive the same way as new alerts.
//!
//! Real alerts are less regular than the reference's example, so everything here is
//! read leniently and an alert never fails to decode for a field that is missing or
//! typed differently:
//! - `tenant` is `{"id": "<legacy number>", "uuid": "<uuid>", "locator": "/1/…/286/"}`
//!   or `{"id": "<uuid>", "locator": "/<uuid>/…/<uuid>/"}` without `uuid`
//!   ([`AlertTenant::tenant_id`] finds the uuid in either);
//! - `type` is a short name (`BackupFailed`) or a CTI id
//!   (`cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.application.malware_detected.v1.0`);
//! - `details` is `{title, description, fields{…}}` for CTI alerts and flat
//!   (`planName`, `resourceName`, `errorMessage`, …) for built-in backup alerts;
//! - timestamps carry milliseconds or nanoseconds; the raw text is kept.

use crate::client::{AcronisClient, Page, alert_manager, seg};
use crate::error::Error;
use crate::lenient::{self, MAX_TEXT, RAW_BUDGET, bounded, is_uuid, text};
use crate::transport::Call;
use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Filters of `GET /alerts` (parameter names of reference 7.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertQuery {
    /// Only alerts updated after this instant (`updated_at=gt(…)`), in Unix
    /// **nanoseconds** — the unit the Alert Manager's time filters take; seconds or
    /// microseconds silently match the wrong alerts. See [`AlertQuery::updated_after`].
    pub updated_since: Option<i64>,
    /// Only alerts of this tenant (uuid).
    pub tenant: Option<String>,
    /// Only these alert types (short names or CTI ids); empty = all.
    pub types: Vec<String>,
    /// Include dismissed alerts (`show_deleted`).
    pub show_deleted: bool,
    /// Page size (`limit`); the server's default when absent.
    pub limit: Option<u32>,
}

impl AlertQuery {
    /// Alerts updated after `at`, converted to the filter's nanoseconds.
    pub fn updated_after(at: DateTime<Utc>) -> Self {
        AlertQuery {
            updated_since: at.timestamp_nanos_opt(),
            ..AlertQuery::default()
        }
    }
}

/// One page of alerts and the cursor of the next (`None` on the last page).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertPage {
    pub items: Vec<Alert>,
    pub after: Option<String>,
}

/// The tenant an alert belongs to, in whichever shape it came.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertTenant {
    /// The legacy numeric id as a string, or (newer shape) the tenant's uuid.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The tenant's uuid; absent in the newer shape.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub uuid: Option<String>,
    /// Id path from the root, e.g. `/1/281/286/` or `/<uuid>/…/<uuid>/`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub locator: Option<String>,
}

impl AlertTenant {
    /// The tenant's uuid: `uuid` when present, else `id` when it is a uuid, else the
    /// last segment of `locator` when that is a uuid. A legacy number is never
    /// returned: the bridge knows tenants by uuid only, so a number would match
    /// nothing and hide the real problem.
    pub fn tenant_id(&self) -> Option<&str> {
        if let Some(uuid) = self.uuid.as_deref().map(str::trim)
            && !uuid.is_empty()
        {
            return Some(uuid);
        }
        if let Some(id) = self.id.as_deref().map(str::trim)
            && is_uuid(id)
        {
            return Some(id);
        }
        self.locator
            .as_deref()?
            .rsplit('/')
            .map(str::trim)
            .find(|s| !s.is_empty())
            .filter(|s| is_uuid(s))
    }
}

/// The per-type `details` of an alert: the fields the bridge uses, each optional, plus
/// the raw JSON (bounded) for everything else.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertDetails {
    /// CTI alerts: a title chosen by the producing application.
    pub title: Option<String>,
    /// CTI alerts: a longer text.
    pub description: Option<String>,
    /// CTI alerts: the members of `fields`, as text (nested values as compact JSON).
    pub fields: Vec<(String, String)>,
    /// Backup alerts: the machine or resource the alert is about.
    pub resource_name: Option<String>,
    pub resource_id: Option<String>,
    /// Backup alerts: the protection plan.
    pub plan_name: Option<String>,
    pub plan_id: Option<String>,
    /// `errorMessage` as text: a string, or the `reason` / `message` / `text` of an
    /// object; else `error.text` / `error.message`.
    pub error_message: Option<String>,
    /// `NoBackupForXDays`, `MachineOffline…`: days since the last backup or contact.
    pub days_passed: Option<i64>,
    raw: Value,
}

/// Most members of `details.fields` kept.
const MAX_FIELDS: usize = 50;

impl AlertDetails {
    /// Reads details from whatever JSON came; anything not an object gives no fields.
    pub fn from_value(v: &Value) -> AlertDetails {
        let raw = lenient::bounded_json(v, RAW_BUDGET);
        let Some(obj) = v.as_object() else {
            return AlertDetails {
                raw,
                ..AlertDetails::default()
            };
        };
        let get = |k: &str| obj.get(k).and_then(text);
        let fields = obj
            .get("fields")
            .and_then(Value::as_object)
            .map(|f| {
                f.iter()
                    .filter_map(|(k, v)| {
                        let value = text(v).or_else(|| match v {
                            Value::Array(_) | Value::Object(_) => {
                                Some(bounded(&v.to_string(), MAX_TEXT))
                            }
                            _ => None,
                        })?;
                        Some((bounded(k, 200), value))
                    })
                    .take(MAX_FIELDS)
                    .collect()
            })
            .unwrap_or_default();
        AlertDetails {
            title: get("title"),
            description: get("description"),
            fields,
            resource_name: get("resourceName"),
            resource_id: get("resourceId"),
            plan_name: get("planName"),
            plan_id: get("planId"),
            error_message: error_text(obj),
            days_passed: obj.get("daysPassed").and_then(number),
            raw,
        }
    }

    /// The details as they came (cut down to about 8,000 characters).
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

/// The error text of backup alert details, wherever it is.
fn error_text(obj: &Map<String, Value>) -> Option<String> {
    let inner = |v: &Value| {
        text(v).or_else(|| {
            let o = v.as_object()?;
            ["reason", "message", "text", "description"]
                .iter()
                .find_map(|k| o.get(*k).and_then(text))
        })
    };
    obj.get("errorMessage")
        .and_then(inner)
        .or_else(|| obj.get("error").and_then(inner))
}

/// An integer from a number or a numeric string.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for AlertDetails {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AlertDetails::from_value(&Value::deserialize(d)?))
    }
}

impl Serialize for AlertDetails {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// A tenant object, or a bare tenant id; anything else is no tenant.
fn lenient_tenant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AlertTenant>, D::Error> {
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        v => text(&v).map(|id| AlertTenant {
            id: Some(id),
            ..AlertTenant::default()
        }),
    })
}

/// One alert. Every field but the id is optional, and even an alert without id or
/// tenant decodes, so the caller can skip it with a reason instead of failing a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Empty when the alert came without one.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// A short name (`BackupFailed`, `NoBackupForXDays`) or a CTI id; see
    /// [`Alert::type_name`] for display.
    #[serde(rename = "type", default, deserialize_with = "lenient::string")]
    pub alert_type: String,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub category: Option<String>,
    /// `ok`, `information`, `warning`, `error` or `critical`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub severity: Option<String>,
    #[serde(default)]
    pub details: AlertDetails,
    /// The timestamps as they came (RFC 3339, usually with nanoseconds and `Z`); see
    /// [`Alert::updated_time`] and friends for parsed values.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub received_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_at: Option<String>,
    /// Set once dismissed (field name unconfirmed; `deletedAt` assumed).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub deleted_at: Option<String>,
    #[serde(default, deserialize_with = "lenient_tenant")]
    pub tenant: Option<AlertTenant>,
}

impl Alert {
    /// The tenant's uuid, whichever shape `tenant` came in; `None` when it cannot be
    /// told (see [`AlertTenant::tenant_id`]).
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant.as_ref()?.tenant_id()
    }

    /// The dedup key `<tenant uuid>/<alert id>` (alert ids are only unique together
    /// with their tenant); `None` when either part is unknown.
    pub fn key(&self) -> Option<String> {
        let id = self.id.trim();
        if id.is_empty() {
            return None;
        }
        Some(bridge_core::records::AlertTicket::key(
            self.tenant_id()?,
            id,
        ))
    }

    /// Whether `type` is a CTI identifier rather than a short name.
    pub fn is_cti_type(&self) -> bool {
        is_cti(&self.alert_type)
    }

    /// A readable name of the alert type: `BackupFailed` → "Backup failed",
    /// `…~vendor.application.malware_detected.v1.0` → "Malware detected".
    pub fn type_name(&self) -> String {
        type_name(&self.alert_type)
    }

    /// `updatedAt`, parsed; see [`parse_alert_time`].
    pub fn updated_time(&self) -> Option<DateTime<Utc>> {
        self.updated_at.as_deref().and_then(parse_alert_time)
    }

    /// `createdAt`, parsed.
    pub fn created_time(&self) -> Option<DateTime<Utc>> {
        self.created_at.as_deref().and_then(parse_alert_time)
    }

    /// `receivedAt`, parsed.
    pub fn received_time(&self) -> Option<DateTime<Utc>> {
        self.received_at.as_deref().and_then(parse_alert_time)
    }

    /// `deletedAt` (the dismissal), parsed.
    pub fn deleted_time(&self) -> Option<DateTime<Utc>> {
        self.deleted_at.as_deref().and_then(parse_alert_time)
    }

    /// `updatedAt` in Unix nanoseconds, the unit of the `updated_since` filter.
    pub fn updated_at_ns(&self) -> Option<i64> {
        self.updated_time()?.timestamp_nanos_opt()
    }

    /// Dismissed (cleared) in Acronis.
    pub fn is_dismissed(&self) -> bool {
        self.deleted_at.is_some()
    }
}

fn is_cti(t: &str) -> bool {
    t.starts_with("cti.") || t.contains('~')
}

/// See [`Alert::type_name`].
fn type_name(t: &str) -> String {
    let t = t.trim();
    let words: Vec<String> = if is_cti(t) {
        // The last CTI segment names the type, followed by its version:
        // `vendor.application.malware_detected.v1.0` → `malware_detected`.
        let last = t.rsplit('~').next().unwrap_or(t);
        let parts: Vec<&str> = last.split('.').collect();
        let version = parts.iter().rposition(|p| {
            p.strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        let name = match version {
            Some(i) if i > 0 => parts[i - 1],
            _ => parts.last().copied().unwrap_or_default(),
        };
        name.split(['_', '-', ' '])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        camel_words(t)
    };
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let keep = w.chars().all(|c| !c.is_lowercase()) || w.chars().any(|c| c.is_ascii_digit());
        if i == 0 {
            let mut chars = w.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                if keep {
                    out.push_str(chars.as_str());
                } else {
                    out.push_str(&chars.as_str().to_lowercase());
                }
            }
        } else if keep {
            out.push_str(w);
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    if out.is_empty() {
        return "Unknown alert".to_string();
    }
    bounded(&out, 200)
}

/// `NoBackupForXDays` → `No Backup For X Days`; `MachineOffline30` → `… Offline 30`;
/// `M365ApplicationConsentRequired` keeps `M365` whole.
fn camel_words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            None => false,
            Some(p) if !p.is_alphanumeric() => false,
            Some(p) => {
                (c.is_uppercase() && (p.is_lowercase() || p.is_ascii_digit()))
                    || (c.is_uppercase()
                        && p.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (c.is_ascii_digit() && p.is_lowercase())
            }
        };
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// An alert timestamp, as leniently as possible: RFC 3339 with any number of
/// fractional digits (`Z` or an offset), the same without a zone (taken as UTC), or a
/// bare Unix number whose unit is guessed from its size (s, ms, µs or ns).
pub fn parse_alert_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Some(at.with_timezone(&Utc));
    }
    if let Some(at) = parse_long_fraction(t) {
        return Some(at);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(t, format) {
            return Some(at.and_utc());
        }
    }
    if let Ok(n) = t.parse::<i64>() {
        let abs = n.unsigned_abs();
        return if abs >= 100_000_000_000_000_000 {
            Some(DateTime::from_timestamp_nanos(n))
        } else if abs >= 100_000_000_000_000 {
            DateTime::from_timestamp_micros(n)
        } else if abs >= 100_000_000_000 {
            DateTime::from_timestamp_millis(n)
        } else {
            DateTime::from_timestamp(n, 0)
        };
    }
    None
}

/// RFC 3339 with more than nine fractional digits: the extra ones are dropped.
fn parse_long_fraction(t: &str) -> Option<DateTime<Utc>> {
    let dot = t.find('.')?;
    let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return None;
    }
    let shortened = format!("{}{}", &t[..dot + 10], &t[dot + 1 + digits..]);
    DateTime::parse_from_rfc3339(&shortened)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// An alert type; only `id` is relied on, the rest is kept as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertType {
    pub id: String,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AcronisClient {
    /// Every alert matching `query`, oldest update first, following
    /// `paging.cursors.after` until it is absent.
    pub async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, Error> {
        self.all_pages(alerts_call(query)?, "alerts").await
    }

    /// One page of [`alerts`](Self::alerts): the first when `after` is `None`, else the
    /// page that cursor points to. Lets a caller commit its progress page by page.
    pub async fn alerts_page(
        &self,
        query: &AlertQuery,
        after: Option<&str>,
    ) -> Result<AlertPage, Error> {
        let mut call = alerts_call(query)?;
        if let Some(cursor) = after {
            call = call.query("after", cursor.to_string());
        }
        let page: Page<Alert> = self.fetch(call, "alerts").await?;
        let after = page.next_cursor();
        Ok(AlertPage {
            items: page.items,
            after,
        })
    }

    /// `GET /alerts/{id}`.
    pub async fn alert(&self, id: &str) -> Result<Alert, Error> {
        let call = Call::get(alert_manager(format!("/alerts/{}", seg(id))));
        self.fetch(call, "alert").await
    }

    /// Dismisses (clears) an alert: `DELETE /alerts/{id}`.
    pub async fn dismiss_alert(&self, id: &str) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            alert_manager(format!("/alerts/{}", seg(id))),
        );
        self.send(call).await.map(drop)
    }

    /// `GET /types`: the alert types the Alert Manager knows (short names and CTI ids).
    pub async fn alert_types(&self) -> Result<Vec<AlertType>, Error> {
        self.all_pages(Call::get(alert_manager("/types")), "alert types")
            .await
    }
}

/// `GET /alerts` with the query's filters, ordered by `updated_at` so a poller can keep
/// the newest stamp it has committed as its cursor.
fn alerts_call(query: &AlertQuery) -> Result<Call, Error> {
    let mut call = Call::get(alert_manager("/alerts")).query("order", "asc(updated_at)");
    if let Some(since) = query.updated_since {
        call = call.query("updated_at", format!("gt({since})"));
    }
    if let Some(tenant) = &query.tenant {
        call = call.query("tenant", tenant.clone());
    }
    match query.types.as_slice() {
        [] => {}
        [one] => call = call.query("type", one.clone()),
        // List filters use the operator syntax, like `tenant=or(a,b)`.
        many => call = call.query("type", format!("or({})", many.join(","))),
    }
    if query.show_deleted {
        call = call.query("show_deleted", "true");
    }
    match query.limit {
        Some(0) => {
            return Err(Error::InvalidArgument {
                field: "limit",
                reason: "must be at least 1".into(),
            });
        }
        Some(limit) => call = call.query("limit", limit.to_string()),
        None => {}
    }
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(v: Value) -> Alert {
        serde_json::from_value(v).expect("alerts always decode")
    }

    #[test]
    fn tenant_comes_from_uuid_id_or_locator() {
        let legacy = alert(json!({"id": "A", "tenant": {
            "id": "286", "uuid": "1d1e5a08-0000-4000-8000-000000000286", "locator": "/1/281/286/"}}));
        assert_eq!(
            legacy.tenant_id(),
            Some("1d1e5a08-0000-4000-8000-000000000286")
        );
        assert_eq!(
            legacy.key().as_deref(),
            Some("1d1e5a08-0000-4000-8000-000000000286/A")
        );
        let newer = alert(json!({"id": "B", "tenant": {
            "id": "c1000000-0000-4000-8000-000000000002",
            "locator": "/f0000000-0000-4000-8000-000000000001/c1000000-0000-4000-8000-000000000002/"}}));
        assert_eq!(
            newer.tenant_id(),
            Some("c1000000-0000-4000-8000-000000000002")
        );
        let by_locator = alert(json!({"id": "C", "tenant": {
            "id": 286, "locator": "/f0000000-0000-4000-8000-000000000001/c1000000-0000-4000-8000-000000000003/"}}));
        assert_eq!(
            by_locator.tenant_id(),
            Some("c1000000-0000-4000-8000-000000000003")
        );
        assert_eq!(
            by_locator.tenant.as_ref().and_then(|t| t.id.as_deref()),
            Some("286")
        );
        for unknown in [
            json!({"id": "D", "tenant": {"id": "286", "locator": "/1/281/286/"}}),
            json!({"id": "D", "tenant": {}}),
            json!({"id": "D", "tenant": null}),
            json!({"id": "D", "tenant": [1, 2]}),
            json!({"id": "D"}),
        ] {
            let a = alert(unknown.clone());
            assert_eq!(a.tenant_id(), None, "{unknown}");
            assert_eq!(a.key(), None, "{unknown}");
        }
        let bare = alert(json!({"id": "E", "tenant": "c1000000-0000-4000-8000-000000000004"}));
        assert_eq!(
            bare.tenant_id(),
            Some("c1000000-0000-4000-8000-000000000004")
        );
        let no_id = alert(json!({"tenant": {"uuid": "c1000000-0000-4000-8000-000000000004"}}));
        assert_eq!(no_id.id, "");
        assert_eq!(no_id.key(), None);
    }

    #[test]
    fn type_names_read_well() {
        for (t, name) in [
            ("BackupFailed", "Backup failed"),
            ("NoBackupForXDays", "No backup for X days"),
            ("MachineOffline30", "Machine offline 30"),
            (
                "M365ApplicationConsentRequired",
                "M365 application consent required",
            ),
            ("DrStorageHardQuotaExceeds", "Dr storage hard quota exceeds"),
            (
                "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.application.malware_detected.v1.0",
                "Malware detected",
            ),
            (
                "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~x.y.quota-exceeded.v2.13",
                "Quota exceeded",
            ),
            (
                "cti.a.p.am.alert.v1.0~a.p.basic.v1.0~vendor.app.no_version",
                "No version",
            ),
            ("", "Unknown alert"),
        ] {
            assert_eq!(type_name(t), name, "{t}");
        }
        assert!(alert(json!({"type": "cti.a.p.am.alert.v1.0~a.b.c.v1.0"})).is_cti_type());
        assert!(!alert(json!({"type": "BackupFailed"})).is_cti_type());
    }

    #[test]
    fn details_of_both_kinds_and_odd_types_decode() {
        let backup = alert(json!({"id": "1", "type": "BackupFailed", "details": {
            "planName": "Nightly", "resourceName": "SRV-01", "resourceId": 42,
            "errorMessage": {"reason": "Storage unreachable", "code": 17}, "daysPassed": "3"}}));
        let d = &backup.details;
        assert_eq!(d.plan_name.as_deref(), Some("Nightly"));
        assert_eq!(d.resource_name.as_deref(), Some("SRV-01"));
        assert_eq!(
            d.resource_id.as_deref(),
            Some("42"),
            "a number where text was expected"
        );
        assert_eq!(d.error_message.as_deref(), Some("Storage unreachable"));
        assert_eq!(d.days_passed, Some(3));
        assert_eq!(d.raw()["errorMessage"]["code"], 17);
        assert_eq!(d.title, None);

        let flat_error = alert(json!({"details": {"errorMessage": "Access denied"}}));
        assert_eq!(
            flat_error.details.error_message.as_deref(),
            Some("Access denied")
        );
        let nested_error = alert(json!({"details": {"error": {"text": "Disk full"}}}));
        assert_eq!(
            nested_error.details.error_message.as_deref(),
            Some("Disk full")
        );

        let cti = alert(json!({"id": "2", "details": {
            "title": "Malware detected", "description": "Trojan found on FAB-LT-042",
            "category": "cti.a.p.am.category.v1.0~a.p.security.v1.0",
            "fields": {"File": "C:\\x.exe", "Threats": 2, "Paths": ["a", "b"], "Empty": null}}}));
        let d = &cti.details;
        assert_eq!(d.title.as_deref(), Some("Malware detected"));
        assert_eq!(d.description.as_deref(), Some("Trojan found on FAB-LT-042"));
        let mut fields = d.fields.clone();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                ("File".to_string(), "C:\\x.exe".to_string()),
                ("Paths".to_string(), "[\"a\",\"b\"]".to_string()),
                ("Threats".to_string(), "2".to_string()),
            ]
        );
        assert_eq!(d.resource_name, None);

        for odd in [
            json!(null),
            json!("text"),
            json!(7),
            json!([1]),
            json!({"title": {"x": 1}, "fields": "no"}),
        ] {
            let a = alert(json!({"id": "3", "details": odd.clone()}));
            assert_eq!(a.details.title, None, "{odd}");
            assert!(a.details.fields.is_empty(), "{odd}");
        }
        assert_eq!(alert(json!({"id": "4"})).details, AlertDetails::default());
        let round = serde_json::to_value(&backup).expect("json");
        assert_eq!(round["details"]["planName"], "Nightly");
        assert_eq!(alert(round), backup);
    }

    #[test]
    fn odd_top_level_fields_never_fail() {
        let a = alert(
            json!({"id": 17, "type": null, "severity": 3, "category": {"x": 1},
            "updatedAt": 1_700_000_000_123_456_789_i64, "tenant": {"id": 286, "uuid": null}}),
        );
        assert_eq!(a.id, "17");
        assert_eq!(a.alert_type, "");
        assert_eq!(a.severity.as_deref(), Some("3"));
        assert_eq!(a.category, None);
        assert_eq!(a.updated_at_ns(), Some(1_700_000_000_123_456_789));
        assert_eq!(a.tenant_id(), None);
        assert!(serde_json::from_value::<Alert>(json!("not an object")).is_err());
    }

    #[test]
    fn timestamps_parse_leniently() {
        let ns = |s: &str| parse_alert_time(s).and_then(|t| t.timestamp_nanos_opt());
        assert_eq!(
            ns("2023-11-07T14:39:57.556577425Z"),
            Some(1_699_367_997_556_577_425)
        );
        assert_eq!(
            ns("2023-11-07T14:39:57.556Z"),
            Some(1_699_367_997_556_000_000)
        );
        assert_eq!(ns("2023-11-07T14:39:57Z"), Some(1_699_367_997_000_000_000));
        assert_eq!(
            ns("2023-11-07T15:39:57.5+01:00"),
            Some(1_699_367_997_500_000_000)
        );
        assert_eq!(
            ns("2023-11-07T14:39:57.5565774251234Z"),
            Some(1_699_367_997_556_577_425)
        );
        assert_eq!(
            ns("2023-11-07T14:39:57.556"),
            Some(1_699_367_997_556_000_000)
        );
        assert_eq!(ns("1699367997"), Some(1_699_367_997_000_000_000));
        assert_eq!(ns("1699367997556"), Some(1_699_367_997_556_000_000));
        assert_eq!(ns("1699367997556577"), Some(1_699_367_997_556_577_000));
        assert_eq!(ns("1699367997556577425"), Some(1_699_367_997_556_577_425));
        assert_eq!(ns("yesterday"), None);
        assert_eq!(ns(""), None);
        let a = alert(json!({"updatedAt": "soon", "deletedAt": "2023-11-07T14:39:57Z"}));
        assert_eq!(
            a.updated_at.as_deref(),
            Some("soon"),
            "the raw text is kept"
        );
        assert_eq!(a.updated_time(), None);
        assert!(a.is_dismissed());
        assert!(a.deleted_time().is_some());
    }

    #[test]
    fn query_parameters_follow_the_reference() {
        let at = DateTime::from_timestamp(1_700_000_000, 5).expect("time");
        let q = AlertQuery::updated_after(at);
        assert_eq!(q.updated_since, Some(1_700_000_000_000_000_005));
        let bad = AlertQuery {
            limit: Some(0),
            ..AlertQuery::default()
        };
        assert!(matches!(
            alerts_call(&bad),
            Err(Error::InvalidArgument { field: "limit", .. })
        ));
    }
}
