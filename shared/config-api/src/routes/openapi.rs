//! `GET /openapi.json`: the hand-written OpenAPI 3 document kept in the repo.

use axum::http::header;
use axum::response::IntoResponse;

/// The document, compiled in.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub async fn get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
