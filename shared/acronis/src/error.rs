//! What can go wrong talking to Acronis, and how error bodies are read.

use serde_json::Value;
use std::time::Duration;

/// Errors of the Acronis client. `endpoint` is `"<METHOD> <path>"` without the query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client credentials were refused, or a call was still 401 after one re-auth.
    #[error("Acronis refused the API client credentials: {message}")]
    Unauthorized { message: String },
    #[error("Acronis denied access on {endpoint}: {message}")]
    Forbidden { endpoint: String, message: String },
    #[error("not found in Acronis ({endpoint}): {message}")]
    NotFound { endpoint: String, message: String },
    /// The object's `version` changed since it was read (tenants, users, pricing).
    #[error("version conflict on {endpoint}: {message}")]
    VersionConflict { endpoint: String, message: String },
    /// A quota `version` in `PUT /offering_items` is stale (HTTP 426).
    #[error("offering-item quota version conflict on {endpoint}: {message}")]
    QuotaVersionConflict { endpoint: String, message: String },
    /// Still HTTP 429 after every retry.
    #[error("Acronis kept throttling {endpoint} (HTTP 429) after all retries")]
    Throttled {
        endpoint: String,
        retry_after: Option<Duration>,
    },
    /// Any other error answer; `code` is the platform code (e.g. `1006`) when given.
    #[error("Acronis answered HTTP {status} on {endpoint}{}: {message}", code.as_deref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Api {
        endpoint: String,
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// A body that is not the JSON we expect; `detail` starts with the field path.
    #[error("cannot decode {resource}: {detail}")]
    Decode { resource: String, detail: String },
    /// Timeout, refused or dropped connection, after the retries allowed.
    #[error("cannot reach Acronis ({endpoint}): {detail}")]
    Transport { endpoint: String, detail: String },
    #[error("invalid Acronis configuration: {field} {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// A call argument the API would reject anyway.
    #[error("invalid argument `{field}`: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
}

impl Error {
    /// The HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::QuotaVersionConflict { .. } => Some(426),
            Error::Throttled { .. } => Some(429),
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (throttling, outages, network).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Throttled { .. } | Error::Transport { .. } => true,
            Error::Api { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// The platform code and message of an error body, whatever its shape:
/// - account server `{"error":{"code":1006,"message":"..."}}`
/// - OAuth `{"error":"invalid_client","error_description":"..."}`
/// - validation `{"code":"InvalidObject","errors":[{"code":"ObjectExists",...}]}`
/// - anything else: the start of the raw text.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, String) {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return (None, raw_text(body));
    };
    match json.get("error") {
        Some(Value::Object(env)) => {
            let code = env.get("code").and_then(scalar);
            let message = env
                .get("message")
                .and_then(scalar)
                .unwrap_or_else(|| raw_text(body));
            return (code, message);
        }
        Some(Value::String(code)) => {
            let message = json
                .get("error_description")
                .and_then(scalar)
                .unwrap_or_else(|| code.clone());
            return (Some(code.clone()), message);
        }
        _ => {}
    }
    let code = json.get("code").and_then(scalar);
    let message = match json.get("errors") {
        Some(Value::Array(errors)) if !errors.is_empty() => errors
            .iter()
            .map(|e| match e {
                Value::Object(o) => ["code", "message", "field"]
                    .iter()
                    .filter_map(|k| o.get(*k).and_then(scalar))
                    .collect::<Vec<_>>()
                    .join(": "),
                other => scalar(other).unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => json
            .get("message")
            .and_then(scalar)
            .unwrap_or_else(|| raw_text(body)),
    };
    (code, message)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Error pages can be large HTML; keep the start only.
fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_error_shape() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                r#"{"error":{"code":1006,"message":"It is prohibited to delete a non-disabled tenant.","domain":"PlatformAccountServer"}}"#,
                Some("1006"),
                "It is prohibited to delete a non-disabled tenant.",
            ),
            (
                r#"{"error":"invalid_client","error_description":"invalid client credentials"}"#,
                Some("invalid_client"),
                "invalid client credentials",
            ),
            (
                r#"{"code":"InvalidObject","errors":[{"code":"ObjectExists","message":"login taken"}]}"#,
                Some("InvalidObject"),
                "ObjectExists: login taken",
            ),
            (
                r#"{"errors":["injected fault: HTTP 500"]}"#,
                None,
                "injected fault: HTTP 500",
            ),
            ("<html>Bad gateway</html>", None, "<html>Bad gateway</html>"),
            ("", None, "(empty body)"),
        ];
        for (body, code, message) in cases {
            let (c, m) = parse_error_body(body.as_bytes());
            assert_eq!(c.as_deref(), *code, "{body}");
            assert_eq!(m, *message, "{body}");
        }
    }
}
