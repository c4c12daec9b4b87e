//! Every failure answer of the API: a status and one JSON shape,
//! `{"error": "…", "errors": [{"field", "message"}…], …}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bridge_core::text::bounded;
use bridge_core::validation::SettingsErrors;
use bridge_jobs::JobError;
use bridge_store::store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};

/// The most field errors one answer lists.
pub const MAX_LISTED_ERRORS: usize = 20;
/// The longest field path an answer shows (a path may hold a key the caller sent).
const MAX_FIELD_CHARS: usize = 200;
/// The longest message an answer shows: a fixed text plus a quote of at most
/// [`bridge_core::text::QUOTE_MAX_CHARS`] characters fits.
const MAX_MESSAGE_CHARS: usize = 400;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A failed request: status, message, field problems and any extra members (e.g. the
/// current version on a 409).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub errors: Vec<FieldError>,
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: Vec::new(),
            extra: Map::new(),
        }
    }

    /// 400 listing the bad fields: the first [`MAX_LISTED_ERRORS`], then one entry
    /// saying how many more there are, each text bounded so no input makes the answer
    /// large.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let total = errors.len();
        let mut errors: Vec<FieldError> = errors
            .into_iter()
            .take(MAX_LISTED_ERRORS)
            .map(|e| FieldError {
                field: bounded(&e.field, MAX_FIELD_CHARS),
                message: bounded(&e.message, MAX_MESSAGE_CHARS),
            })
            .collect();
        if total > MAX_LISTED_ERRORS {
            errors.push(FieldError::new(
                "",
                format!("and {} more", total - MAX_LISTED_ERRORS),
            ));
        }
        let message = match errors.as_slice() {
            [one] if one.field.is_empty() => one.message.clone(),
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{total} invalid fields"),
        };
        Self {
            errors,
            ..Self::new(StatusCode::BAD_REQUEST, message)
        }
    }

    /// 400 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// The one 401 answer, the same for missing and for wrong credentials.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// A fault of ours or of a backend: logged in full, answered briefly (backend
    /// details are for the operator's logs, not for every caller).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "config-api internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the function's logs have the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "error".into(),
            Value::String(bounded(&self.message, MAX_MESSAGE_CHARS)),
        );
        body.insert(
            "errors".into(),
            serde_json::to_value(&self.errors).unwrap_or(Value::Array(Vec::new())),
        );
        body.extend(self.extra);
        (self.status, Json(Value::Object(body))).into_response()
    }
}

impl From<SettingsErrors> for ApiError {
    fn from(errors: SettingsErrors) -> Self {
        Self::invalid(
            errors
                .into_problems()
                .into_iter()
                .map(|p| FieldError::new(p.field, p.message))
                .collect(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::Conflict {
                current_version, ..
            } => Self::conflict(err.to_string()).with(
                "current_version",
                current_version.map_or(Value::Null, Value::from),
            ),
            StoreError::NotFound { .. } => Self::not_found(err.to_string()),
            StoreError::NotAsRead { .. } => {
                Self::new(StatusCode::PRECONDITION_FAILED, err.to_string())
            }
            StoreError::Invalid { field, detail } => {
                Self::field(field.to_string(), detail.to_string())
            }
            _ => Self::internal(err),
        }
    }
}

impl From<JobError> for ApiError {
    fn from(err: JobError) -> Self {
        match err {
            JobError::NotConfigured(what) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not configured yet: {what}"),
            ),
            JobError::Store(e) => e.into(),
            JobError::Invalid(message) => Self::field("", message),
            JobError::Autotask(e) => upstream("Autotask", e),
            JobError::Acronis(e) => upstream("Acronis", e),
            JobError::Launch(message) => upstream("Lambda", message),
            JobError::DatabaseChanged(message) => Self::new(StatusCode::CONFLICT, message),
            other => Self::internal(other),
        }
    }
}

/// A failure of Autotask or Acronis while serving a request: 502, with their words.
pub fn upstream(api: &str, err: impl std::fmt::Display) -> ApiError {
    tracing::warn!(api, error = %err, "upstream call failed");
    ApiError::new(StatusCode::BAD_GATEWAY, format!("{api}: {err}"))
}
