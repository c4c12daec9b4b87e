//! The API credentials the bridge keeps in its secret store.
//!
//! Both adapters (Secrets Manager, local file) store the same JSON shapes, documented in
//! `docs/secrets-and-events.md`. Decoding is hand-written on purpose: serde's own error
//! messages quote the offending value (`invalid type: string "…"`), and a stored value may
//! be a secret. Every error here carries only field names and fixed texts, so an error
//! can be logged or returned over HTTP without leaking anything.

use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The Autotask API-only user the bridge signs in as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct AutotaskCredentials {
    /// API user name (e-mail form), sent as the `UserName` header.
    pub username: String,
    /// The API user's secret, sent as the `Secret` header.
    pub secret: Secret,
    /// The tracking identifier of the custom (internal) integration, sent as
    /// `ApiIntegrationCode`.
    pub integration_code: String,
    /// The last zone found by zone lookup (`…/ATServicesRest/`), so a cold start skips the
    /// lookup; re-discovered when calls to it fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_url: Option<String>,
    /// When the credentials were saved through the config API; absent when the secret was
    /// filled in by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_at: Option<DateTime<Utc>>,
}

/// The Acronis API client (OAuth2 client credentials) of one data center.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct AcronisCredentials {
    /// Data-center base URL, e.g. `https://eu2-cloud.acronis.com` (no path).
    pub datacenter_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// When the credentials were saved through the config API; absent when the secret was
    /// filled in by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_at: Option<DateTime<Utc>>,
}

/// One problem with one field. Both texts are fixed: a value is never quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub problem: &'static str,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// Why stored or submitted credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Only the position is reported; the text around it may be a secret.
    #[error("not valid JSON (line {line}, column {column})")]
    Syntax { line: usize, column: usize },
    #[error("expected a JSON object")]
    NotAnObject,
    #[error("{}", join(.0))]
    Invalid(Vec<FieldProblem>),
}

impl CredentialsError {
    /// The field problems, empty for JSON-level errors.
    pub fn problems(&self) -> &[FieldProblem] {
        match self {
            CredentialsError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

fn join(problems: &[FieldProblem]) -> String {
    let parts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

/// Parses the text of a stored secret. `Ok(None)` means "not set": an empty text, `null`
/// or `{}` (infrastructure creates the secret with `{}` so it exists before the operator
/// saves credentials).
pub fn parse_stored(text: &str) -> Result<Option<Value>, CredentialsError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| CredentialsError::Syntax {
        line: e.line(),
        column: e.column(),
    })?;
    Ok((!is_unset(&value)).then_some(value))
}

/// Whether a stored JSON value means "no credentials yet".
pub fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

impl TryFrom<Value> for AutotaskCredentials {
    type Error = CredentialsError;

    fn try_from(value: Value) -> Result<Self, CredentialsError> {
        let mut f = Fields::new(value)?;
        let credentials = AutotaskCredentials {
            username: f.required("username"),
            secret: Secret::new(f.required("secret")),
            integration_code: f.required("integration_code"),
            zone_url: f.optional("zone_url"),
            saved_at: f.timestamp("saved_at"),
        };
        f.finish(credentials)
    }
}

impl TryFrom<Value> for AcronisCredentials {
    type Error = CredentialsError;

    fn try_from(value: Value) -> Result<Self, CredentialsError> {
        let mut f = Fields::new(value)?;
        let credentials = AcronisCredentials {
            datacenter_url: f.required("datacenter_url"),
            client_id: f.required("client_id"),
            client_secret: Secret::new(f.required("client_secret")),
            saved_at: f.timestamp("saved_at"),
        };
        f.finish(credentials)
    }
}

impl AutotaskCredentials {
    /// Every problem, each with its field, before the credentials are saved or used.
    pub fn validate(&self) -> Result<(), CredentialsError> {
        let mut p = Vec::new();
        check_token(&mut p, "username", &self.username, USERNAME_MAX_CHARS);
        if p.is_empty() && !looks_like_email(&self.username) {
            p.push(problem(
                "username",
                "must be the API user's e-mail-style user name",
            ));
        }
        check_token(&mut p, "secret", self.secret.expose(), SECRET_MAX_CHARS);
        check_token(
            &mut p,
            "integration_code",
            &self.integration_code,
            INTEGRATION_CODE_MAX_CHARS,
        );
        if let Some(zone_url) = &self.zone_url {
            check_url(&mut p, "zone_url", zone_url, true);
        }
        into_result(p)
    }
}

impl AcronisCredentials {
    /// Every problem, each with its field, before the credentials are saved or used.
    pub fn validate(&self) -> Result<(), CredentialsError> {
        let mut p = Vec::new();
        check_url(&mut p, "datacenter_url", &self.datacenter_url, false);
        check_token(&mut p, "client_id", &self.client_id, CLIENT_ID_MAX_CHARS);
        check_token(
            &mut p,
            "client_secret",
            self.client_secret.expose(),
            SECRET_MAX_CHARS,
        );
        into_result(p)
    }
}

fn problem(field: &'static str, problem: &'static str) -> FieldProblem {
    FieldProblem { field, problem }
}

fn into_result(problems: Vec<FieldProblem>) -> Result<(), CredentialsError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CredentialsError::Invalid(problems))
    }
}

/// The longest Autotask API user name (an e-mail address).
pub const USERNAME_MAX_CHARS: usize = 254;
/// The longest API secret; both vendors issue far shorter ones.
pub const SECRET_MAX_CHARS: usize = 256;
/// The longest Autotask integration code (Autotask's are about 30 characters).
pub const INTEGRATION_CODE_MAX_CHARS: usize = 100;
/// The longest Acronis API client id (a UUID is 36).
pub const CLIENT_ID_MAX_CHARS: usize = 100;
/// The longest URL (zone, data center).
pub const URL_MAX_CHARS: usize = 255;

/// Non-empty, bounded, and printable ASCII without whitespace: every value is sent as an
/// HTTP header or form field, and a pasted value with a stray space or newline is the
/// most common reason an API answers 401. Checked before any call, so an oversized value
/// is a 400 on its field rather than a refusal by the remote server.
fn check_token(p: &mut Vec<FieldProblem>, field: &'static str, value: &str, max_chars: usize) {
    if value.is_empty() {
        p.push(problem(field, "is required"));
    } else if value.chars().any(char::is_whitespace) {
        p.push(problem(field, "must not contain spaces or line breaks"));
    } else if value.len() > max_chars {
        p.push(problem(field, too_long(max_chars)));
    } else if !value.chars().all(|c| c.is_ascii_graphic()) {
        p.push(problem(
            field,
            "may hold only printable ASCII characters (no control characters)",
        ));
    }
}

/// The fixed text of a length problem (the texts here are `'static`: no value is quoted).
fn too_long(max_chars: usize) -> &'static str {
    match max_chars {
        USERNAME_MAX_CHARS => "longer than 254 characters",
        SECRET_MAX_CHARS => "longer than 256 characters",
        URL_MAX_CHARS => "longer than 255 characters",
        _ => "longer than 100 characters",
    }
}

fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// `https://host[:port][/path]`; plain http only for a loopback host (simulators, local
/// mode). `allow_path` is false for a base URL such as the Acronis data center.
fn check_url(p: &mut Vec<FieldProblem>, field: &'static str, value: &str, allow_path: bool) {
    if value.is_empty() {
        p.push(problem(field, "is required"));
        return;
    }
    if value.chars().any(char::is_whitespace) {
        p.push(problem(field, "must not contain spaces or line breaks"));
        return;
    }
    if value.len() > URL_MAX_CHARS {
        p.push(problem(field, too_long(URL_MAX_CHARS)));
        return;
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) {
        p.push(problem(
            field,
            "may hold only printable ASCII characters (no control characters)",
        ));
        return;
    }
    let (secure, rest) = if let Some(rest) = value.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = value.strip_prefix("http://") {
        (false, rest)
    } else {
        p.push(problem(field, "must start with https://"));
        return;
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host = host_of(authority);
    if host.is_empty() || authority.contains('@') {
        p.push(problem(
            field,
            "must name a host, e.g. https://eu2-cloud.acronis.com",
        ));
        return;
    }
    if !secure && !is_loopback(host) {
        p.push(problem(
            field,
            "must use https (http only for a loopback host)",
        ));
    }
    if path.contains(['?', '#']) {
        p.push(problem(field, "must not have a query or fragment"));
    } else if !allow_path && !path.is_empty() && path != "/" {
        p.push(problem(field, "must be the base URL without a path"));
    }
}

fn host_of(authority: &str) -> &str {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}

/// Reads known fields out of a JSON object, collecting every problem. Unknown fields are
/// ignored so an operator may keep a note in a hand-edited secret.
struct Fields {
    map: Map<String, Value>,
    problems: Vec<FieldProblem>,
}

impl Fields {
    fn new(value: Value) -> Result<Self, CredentialsError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                problems: Vec::new(),
            }),
            _ => Err(CredentialsError::NotAnObject),
        }
    }

    fn required(&mut self, field: &'static str) -> String {
        match self.map.remove(field) {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => {
                self.problems.push(problem(field, "is required"));
                String::new()
            }
            Some(_) => {
                self.problems.push(problem(field, "must be a string"));
                String::new()
            }
        }
    }

    fn optional(&mut self, field: &'static str) -> Option<String> {
        match self.map.remove(field) {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.problems.push(problem(field, "must be a string"));
                None
            }
        }
    }

    fn timestamp(&mut self, field: &'static str) -> Option<DateTime<Utc>> {
        let text = self.optional(field)?;
        match DateTime::parse_from_rfc3339(&text) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.problems
                    .push(problem(field, "must be an RFC 3339 timestamp"));
                None
            }
        }
    }

    fn finish<T>(self, value: T) -> Result<T, CredentialsError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(CredentialsError::Invalid(self.problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AT_SECRET: &str = "Zq7$kP2!xW9m";
    const ACR_SECRET: &str = "5f2b9c0e7d4a41b8a3c6e1f0d9b8a7c6";

    fn autotask() -> AutotaskCredentials {
        AutotaskCredentials {
            username: "abc123xyz@example.com".into(),
            secret: Secret::new(AT_SECRET),
            integration_code: "HUCHGU3GJL5RIWEFXBZTGM5JVWG".into(),
            zone_url: Some("https://webservices15.autotask.net/ATServicesRest/".into()),
            saved_at: Some("2025-01-02T03:04:05Z".parse().expect("timestamp")),
        }
    }

    fn acronis() -> AcronisCredentials {
        AcronisCredentials {
            datacenter_url: "https://eu2-cloud.acronis.com".into(),
            client_id: "3a4b5c6d-0000-4000-8000-123456789abc".into(),
            client_secret: Secret::new(ACR_SECRET),
            saved_at: None,
        }
    }

    fn fields(err: CredentialsError) -> Vec<&'static str> {
        err.problems().iter().map(|p| p.field).collect()
    }

    #[test]
    fn debug_never_shows_secrets() {
        let at = format!("{:?} {:#?}", autotask(), autotask());
        let acr = format!("{:?} {:#?}", acronis(), acronis());
        assert!(!at.contains(AT_SECRET), "{at}");
        assert!(!acr.contains(ACR_SECRET), "{acr}");
        assert!(at.contains("abc123xyz@example.com") && at.contains("***"));
    }

    #[test]
    fn json_round_trips_with_the_documented_field_names() {
        let json = serde_json::to_value(autotask()).expect("serialize");
        assert_eq!(
            json,
            json!({
                "username": "abc123xyz@example.com",
                "secret": AT_SECRET,
                "integration_code": "HUCHGU3GJL5RIWEFXBZTGM5JVWG",
                "zone_url": "https://webservices15.autotask.net/ATServicesRest/",
                "saved_at": "2025-01-02T03:04:05Z"
            })
        );
        let back: AutotaskCredentials = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, autotask());

        let json = serde_json::to_value(acronis()).expect("serialize");
        assert_eq!(
            json.as_object().map(|m| m.len()),
            Some(3),
            "saved_at omitted"
        );
        let back: AcronisCredentials = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, acronis());
    }

    #[test]
    fn decode_errors_name_fields_and_never_quote_values() {
        let stored = json!({"username": 42, "secret": ["hunter2-very-secret"], "saved_at": "hunter2-not-a-date"});
        let err = AutotaskCredentials::try_from(stored).expect_err("invalid");
        assert_eq!(
            fields(err.clone()),
            ["username", "secret", "integration_code", "saved_at"]
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");

        // A bare secret string stored where JSON is expected (a common hand-editing slip).
        let err = serde_json::from_str::<AcronisCredentials>("\"hunter2-very-secret\"")
            .expect_err("not an object");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("expected a JSON object"), "{err}");
    }

    #[test]
    fn parse_stored_treats_empty_and_braces_as_not_set() {
        for text in ["", "  \n", "{}", " { } ", "null", "\"\""] {
            assert_eq!(parse_stored(text), Ok(None), "{text:?}");
        }
        assert!(matches!(parse_stored("{\"a\":1}"), Ok(Some(_))));
        let err = parse_stored("{\"secret\": \"hunter2").expect_err("truncated");
        assert!(matches!(err, CredentialsError::Syntax { line: 1, .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn valid_credentials_pass() {
        assert_eq!(autotask().validate(), Ok(()));
        assert_eq!(acronis().validate(), Ok(()));
        let local = AcronisCredentials {
            datacenter_url: "http://127.0.0.1:8123/".into(),
            ..acronis()
        };
        assert_eq!(local.validate(), Ok(()));
        let local_zone = AutotaskCredentials {
            zone_url: Some("http://localhost:9000/zone2/ATServicesRest/".into()),
            ..autotask()
        };
        assert_eq!(local_zone.validate(), Ok(()));
    }

    #[test]
    fn autotask_validation_reports_every_field() {
        // username, secret, integration code, zone url, fields expected to be refused
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            Option<&'static str>,
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (
                "",
                "",
                "",
                None,
                &["username", "secret", "integration_code"],
            ),
            ("not-an-email", "s", "c", None, &["username"]),
            ("a@b", "s", "c", None, &["username"]),
            ("a@@b.com", "s", "c", None, &["username"]),
            ("user @example.com", "s", "c", None, &["username"]),
            (
                "u@example.com",
                "s ecret",
                "c\n",
                None,
                &["secret", "integration_code"],
            ),
            (
                "u@example.com",
                "s",
                "c",
                Some("http://webservices2.autotask.net/"),
                &["zone_url"],
            ),
            ("u@example.com", "s", "c", Some("ftp://x"), &["zone_url"]),
        ];
        for (username, secret, code, zone, expected) in cases {
            let c = AutotaskCredentials {
                username: (*username).into(),
                secret: Secret::new(*secret),
                integration_code: (*code).into(),
                zone_url: zone.map(Into::into),
                saved_at: None,
            };
            let err = c.validate().expect_err("invalid");
            assert_eq!(fields(err), *expected, "{username:?} {zone:?}");
        }
    }

    #[test]
    fn acronis_validation_reports_every_field() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            (
                "",
                "",
                "",
                &["datacenter_url", "client_id", "client_secret"],
            ),
            ("eu2-cloud.acronis.com", "id", "s", &["datacenter_url"]),
            (
                "http://eu2-cloud.acronis.com",
                "id",
                "s",
                &["datacenter_url"],
            ),
            (
                "https://eu2-cloud.acronis.com/api/2",
                "id",
                "s",
                &["datacenter_url"],
            ),
            (
                "https://eu2-cloud.acronis.com?x=1",
                "id",
                "s",
                &["datacenter_url"],
            ),
            ("https://", "id", "s", &["datacenter_url"]),
            ("https://user@host.com", "id", "s", &["datacenter_url"]),
            (
                "https://eu2-cloud.acronis.com ",
                "id",
                "s",
                &["datacenter_url"],
            ),
            (
                "https://eu8.acronis.cloud",
                "id ",
                " s",
                &["client_id", "client_secret"],
            ),
        ];
        for (url, id, secret, expected) in cases {
            let c = AcronisCredentials {
                datacenter_url: (*url).into(),
                client_id: (*id).into(),
                client_secret: Secret::new(*secret),
                saved_at: None,
            };
            let err = c.validate().expect_err("invalid");
            assert_eq!(fields(err), *expected, "{url:?}");
        }
    }

    #[test]
    fn ipv6_loopback_may_use_http() {
        let c = AcronisCredentials {
            datacenter_url: "http://[::1]:8080".into(),
            ..acronis()
        };
        assert_eq!(c.validate(), Ok(()));
    }
}
