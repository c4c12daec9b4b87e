//! The shape shared by the settings routes: a JSON object carrying the `version` it was
//! read at, plus the settings sections the route covers.

use crate::error::{ApiError, FieldError};
use axum::Json;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bridge_core::records::Versioned;
use bridge_core::settings::Settings;
use serde_json::{Map, Value};

/// The version a client read, sent as `If-Match: "N"` (the `ETag` of the GET answer);
/// `None` without the header.
pub(crate) struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        value
            .to_str()
            .ok()
            .and_then(|v| v.trim().strip_prefix('"')?.strip_suffix('"'))
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|version| IfMatch(Some(version)))
            .ok_or_else(|| {
                ApiError::field(
                    "If-Match",
                    "must be the ETag you read, a quoted version such as \"7\"",
                )
            })
    }
}

/// An answer with its `ETag` (a settings version, or a mapping's tenant), quoted, for a
/// later `If-Match`.
pub(crate) struct Tagged<T = u64>(pub T, pub Value);

impl<T: std::fmt::Display> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.1).into_response();
        if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", self.0)) {
            response.headers_mut().insert(header::ETAG, tag);
        }
        response
    }
}

/// A stale version answers 409 when it came in the body and 412 (the convention of
/// `If-Match`) when it came only in the header.
pub(crate) fn precondition(err: ApiError, if_match: &IfMatch, body_version: bool) -> ApiError {
    if err.status == StatusCode::CONFLICT && if_match.0.is_some() && !body_version {
        ApiError {
            status: StatusCode::PRECONDITION_FAILED,
            ..err
        }
    } else {
        err
    }
}

/// The stored settings, or the defaults at version 0 ("never saved").
pub(crate) fn current_or_default(stored: Option<Versioned<Settings>>) -> Versioned<Settings> {
    stored.unwrap_or_else(|| Versioned {
        value: Settings::default(),
        version: 0,
    })
}

/// The settings as one JSON object with its `version` beside the sections.
pub(crate) fn settings_document(current: &Versioned<Settings>) -> Value {
    let mut doc = to_object(&current.value);
    doc.insert("version".into(), Value::from(current.version));
    Value::Object(doc)
}

/// Only the given sections of the settings, with the version.
pub(crate) fn sections_document(
    current: &Versioned<Settings>,
    sections: &[&str],
) -> Map<String, Value> {
    let all = to_object(&current.value);
    let mut doc: Map<String, Value> = sections
        .iter()
        .filter_map(|s| all.get(*s).map(|v| ((*s).to_owned(), v.clone())))
        .collect();
    doc.insert("version".into(), Value::from(current.version));
    doc
}

fn to_object(settings: &Settings) -> Map<String, Value> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// What a PUT or PATCH body says about the version it was read at.
pub(crate) struct Expected {
    pub version: u64,
    /// Whether the body carried `version` (otherwise only `If-Match` did).
    pub in_body: bool,
}

/// The version from the body's `version` member and/or `If-Match`: at least one is
/// required, and when both are sent they must agree.
fn expected_version(
    body: &mut Map<String, Value>,
    if_match: &IfMatch,
    errors: &mut Vec<FieldError>,
) -> Option<Expected> {
    let in_body = match body.remove("version") {
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => {
            errors.push(FieldError::new(
                "version",
                "must be the version you read (an integer, 0 before the first save)",
            ));
            return None;
        }
        None => None,
    };
    match (in_body, if_match.0) {
        (Some(body), Some(header)) if body != header => {
            errors.push(FieldError::new(
                "version",
                format!("is {body} but If-Match says {header}; send one version"),
            ));
            None
        }
        (Some(version), _) => Some(Expected {
            version,
            in_body: true,
        }),
        (None, Some(version)) => Some(Expected {
            version,
            in_body: false,
        }),
        (None, None) => {
            errors.push(FieldError::new(
                "version",
                "required: the version you read (0 before the first save), in the body or as If-Match",
            ));
            None
        }
    }
}

/// The top-level sections of a settings document.
pub(crate) fn all_sections() -> Vec<String> {
    to_object(&Settings::default()).keys().cloned().collect()
}

/// A PUT body split into the version the client read and the settings it sends.
///
/// `sections` are the members the route replaces (the others keep their stored value;
/// `None` = the whole document, every section required, so a partial document cannot
/// reset the rest to defaults); `ignored` are read-only members a GET answer carries,
/// so a GET body can be edited and sent back. Every problem, envelope and settings
/// alike, is reported in one 400.
pub(crate) fn read_put(
    body: Value,
    if_match: &IfMatch,
    current: &Settings,
    sections: Option<&[&str]>,
    ignored: &[&str],
) -> Result<(Expected, Settings), ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::field("", "the body must be a JSON object"));
    };
    let mut errors = Vec::new();
    let version = expected_version(&mut body, if_match, &mut errors);
    for key in ignored {
        body.remove(*key);
    }
    let document = match sections {
        None => {
            for section in all_sections() {
                if !body.contains_key(&section) {
                    errors.push(FieldError::new(
                        section,
                        "missing: PUT /settings replaces the whole document; send every section, or change part of it with PATCH /settings",
                    ));
                }
            }
            body
        }
        Some(sections) => {
            let mut merged = to_object(current);
            for (key, value) in body {
                if sections.contains(&key.as_str()) {
                    merged.insert(key, value);
                } else {
                    errors.push(FieldError::new(
                        key,
                        format!(
                            "unknown field; this route takes version, {}",
                            sections.join(", ")
                        ),
                    ));
                }
            }
            merged
        }
    };
    finish(version, document, errors)
}

/// A PATCH body (JSON merge patch, RFC 7396) applied to the stored settings: members
/// replace, `null` restores a member's default, objects merge, arrays replace whole.
pub(crate) fn read_patch(
    body: Value,
    if_match: &IfMatch,
    current: &Settings,
    ignored: &[&str],
) -> Result<(Expected, Settings), ApiError> {
    let Value::Object(mut patch) = body else {
        return Err(ApiError::field(
            "",
            "the body must be a JSON object (a merge patch of the settings)",
        ));
    };
    let mut errors = Vec::new();
    let version = expected_version(&mut patch, if_match, &mut errors);
    for key in ignored {
        patch.remove(*key);
    }
    let mut document = Value::Object(to_object(current));
    merge_patch(&mut document, Value::Object(patch));
    let document = match document {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    finish(version, document, errors)
}

/// RFC 7396 section 2.
fn merge_patch(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(&key);
            } else {
                merge_patch(map.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

fn finish(
    version: Option<Expected>,
    document: Map<String, Value>,
    mut errors: Vec<FieldError>,
) -> Result<(Expected, Settings), ApiError> {
    let parsed = Settings::parse(&Value::Object(document).to_string());
    match (version, parsed) {
        (Some(version), Ok(settings)) if errors.is_empty() => Ok((version, settings)),
        (_, parsed) => {
            if let Err(problems) = parsed {
                errors.extend(
                    problems
                        .into_problems()
                        .into_iter()
                        .map(|p| FieldError::new(p.field, p.message)),
                );
            }
            Err(ApiError::invalid(errors))
        }
    }
}
