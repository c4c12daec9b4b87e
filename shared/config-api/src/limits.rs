//! Request-line and header size limits, answered with the API's JSON error.
//!
//! The HTTP server in front of the router has limits of its own, far larger, which it
//! answers with an empty body; these smaller ones catch every request that gets past
//! it, so a client sees the usual `{"error": …}` for a long URL or oversized headers.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest request target (path and query) accepted; longer answers 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values) accepted; more answers 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub(crate) async fn check(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("request URL over {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("request headers over {MAX_HEADER_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(request).await
}
