//! Reading JSON request bodies without ever answering 500: too large is 413, not JSON
//! is 415, malformed is 400 — each with the API's JSON error body.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::Value;

/// A request body parsed as a JSON value; handlers read their fields from it.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("request body over {} bytes", crate::MAX_BODY_BYTES),
                    )
                } else {
                    ApiError::field("", format!("cannot read the request body: {rejection}"))
                }
            })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            // Position only: the body may hold a secret (credentials routes).
            ApiError::field(
                "",
                format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            )
        })
    }
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}
