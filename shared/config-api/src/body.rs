//! Reading JSON request bodies without ever answering 500: too large is 413, not JSON
//! is 415, malformed is 400 — each with the API's JSON error body.
//!
//! Only the exact media type counts (`application/json`, optionally with
//! `charset=utf-8`): another `+json` type is another format, not plain JSON.

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
        if !has_content_type(&request, "application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        read(request, state).await.map(JsonBody)
    }
}

/// A JSON merge patch (RFC 7396): `application/merge-patch+json`, or plain
/// `application/json` for clients that cannot set another type.
pub struct MergePatchBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for MergePatchBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !has_content_type(&request, "application/merge-patch+json")
            && !has_content_type(&request, "application/json")
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as a JSON merge patch with Content-Type: application/merge-patch+json",
            ));
        }
        read(request, state).await.map(MergePatchBody)
    }
}

async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Value, ApiError> {
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
    serde_json::from_slice(&bytes).map_err(|e| {
        // Position only: the body may hold a secret (credentials routes).
        let what = if e.to_string().starts_with("recursion limit exceeded") {
            "nested too deep (at most 128 levels)"
        } else {
            "not valid JSON"
        };
        ApiError::field(
            "",
            format!("{what} (line {}, column {})", e.line(), e.column()),
        )
    })
}

/// Whether the request's `Content-Type` is `mime`, with no parameter other than
/// `charset=utf-8`.
pub(crate) fn has_content_type(request: &Request, mime: &str) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    parts.next().is_some_and(|m| m.eq_ignore_ascii_case(mime))
        && parts.all(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("charset")
                    && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            })
        })
}
