//! `GET /console` and its two assets: the operator's web page over these routes.
//!
//! The files are compiled in (a few KB, no build step) and open to everyone: they hold
//! nothing secret, and the page itself calls every other route with the caller's bearer
//! token. The policy header keeps the page to its own script and its own origin, so a
//! name from Autotask or Acronis cannot bring a script along even if one slipped into
//! the page as markup.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../console/index.html");
const STYLE: &str = include_str!("../../console/console.css");
const SCRIPT: &str = include_str!("../../console/console.js");

/// The page's paths, served without authentication.
pub const PATHS: [&str; 3] = ["/console", "/console/console.css", "/console/console.js"];

fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    let headers: [(HeaderName, HeaderValue); 4] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body)
}

pub async fn page() -> impl IntoResponse {
    file("text/html; charset=utf-8", PAGE)
}

pub async fn style() -> impl IntoResponse {
    file("text/css; charset=utf-8", STYLE)
}

pub async fn script() -> impl IntoResponse {
    file("text/javascript; charset=utf-8", SCRIPT)
}

/// The page alone, for a server that relays the API elsewhere (`bridge console`).
pub fn router() -> axum::Router {
    axum::Router::new()
        .route(PATHS[0], axum::routing::get(page))
        .route(PATHS[1], axum::routing::get(style))
        .route(PATHS[2], axum::routing::get(script))
}
