//! Request parsing shared by the handlers: JSON bodies with enveloped errors, lenient
//! scalars (samples send `"false"` and `"1"` and the real server accepts them), query lists.

use super::error::{ApiError, ApiResult};
use axum::http::HeaderMap;
use serde_json::Value;

/// Parses a JSON request body; a wrong content type is 415 and bad JSON 400, both enveloped.
/// An empty body reads as `{}`.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.to_ascii_lowercase().contains("json") {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            "Content-Type must be application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// A boolean given as `true`, `"true"`, `"1"`, `1` (and the negatives).
pub fn lenient_bool(v: &Value, field: &str) -> ApiResult<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(bad_field(field, "a boolean")),
        },
        _ => Err(bad_field(field, "a boolean")),
    }
}

/// An integer given as a number or a numeric string.
pub fn lenient_i64(v: &Value, field: &str) -> ApiResult<i64> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| bad_field(field, "an integer")),
        Value::String(s) => s.trim().parse().map_err(|_| bad_field(field, "an integer")),
        _ => Err(bad_field(field, "an integer")),
    }
}

/// A required string field of a JSON object.
pub fn required_str<'a>(body: &'a Value, field: &str) -> ApiResult<&'a str> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Null) | None => Err(ApiError::bad_request(format!(
            "field '{field}' is required"
        ))
        .with_context(serde_json::json!({"field": field}))),
        Some(_) => Err(bad_field(field, "a non-empty string")),
    }
}

pub fn bad_field(field: &str, expected: &str) -> ApiError {
    ApiError::bad_request(format!("field '{field}' must be {expected}"))
        .with_context(serde_json::json!({"field": field}))
}

/// `a,b,c` → `["a","b","c"]`, ignoring blanks.
pub fn csv(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}
