//! The account server's error envelope, and the OAuth-style body of the token endpoint.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

/// One error answer: `{"error":{"code","message","details","context","domain"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// HTTP code or platform code (1001 version mismatch, 1002 access denied, …).
    pub code: u32,
    pub message: String,
    pub context: Value,
    pub domain: &'static str,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            context: json!({}),
            domain: "PlatformAccountServer",
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, 400, message)
    }
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            404,
            format!("{what} '{id}' not found"),
        )
        .with_context(json!({"id": id}))
    }
    /// Code 1002: the caller may not touch this object.
    pub fn access_denied(id: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, 1002, "Access denied.").with_context(json!({"id": id}))
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, 401, message)
    }
    /// Code 1001. The HTTP status of a tenant version mismatch is unconfirmed; 409 is the
    /// natural reading of "conflict with the current state".
    pub fn version_mismatch(id: &str, sent: i64, current: i64) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            1001,
            format!("Version mismatch: sent {sent}, current {current}."),
        )
        .with_context(json!({"id": id}))
    }
    pub fn with_context(mut self, context: Value) -> ApiError {
        self.context = context;
        self
    }
    pub fn in_domain(mut self, domain: &'static str) -> ApiError {
        self.domain = domain;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "details": {"info": self.message, "addition": [self.context.clone()]},
            "context": self.context,
            "domain": self.domain,
        }});
        (self.status, Json(body)).into_response()
    }
}

/// Token endpoint errors are OAuth-style, not the account-server envelope.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut body = json!({"error": error, "error_description": description});
    if status == StatusCode::UNAUTHORIZED {
        // Shape of a third-party fixture for bad client credentials (unconfirmed).
        body["domain"] = json!("Access");
        body["reason"] = json!("InvalidClient");
    }
    (status, Json(body)).into_response()
}
