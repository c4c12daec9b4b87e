//! The route table and the router built from it.
//!
//! [`routes`] and [`router`] read the same table, so the OpenAPI test can compare the
//! document with exactly what is served.

pub(crate) mod accounts;
mod alert_mappings;
mod audit;
pub(crate) mod console;
mod credentials;
mod customer_mappings;
mod database;
mod envelope;
mod forecast;
mod health;
mod jobs;
mod openapi;
mod params;
mod pause;
pub(crate) mod picklists;
mod plan;
mod release;
mod save;
mod service_mappings;
mod services;
mod settings;
mod tickets;

pub use credentials::NOT_API_USER;

use crate::error::ApiError;
use crate::{ApiState, MAX_BODY_BYTES, auth, limits};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodFilter, MethodRouter, on};

/// One served route.
struct Endpoint {
    method: Method,
    path: &'static str,
    handler: MethodRouter<ApiState>,
    /// Served without credentials (liveness and the console's static files).
    open: bool,
}

fn endpoint<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    // Only the standard methods below are used, all of which axum can filter on.
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
        open: false,
    }
}

/// A route anyone may read: it serves nothing that needs a caller.
fn open_endpoint<H, T>(path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    Endpoint {
        open: true,
        ..endpoint(Method::GET, path, handler)
    }
}

/// Every route: the single table the router and the OpenAPI check both read.
fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/health", health::get),
        endpoint(Method::GET, "/openapi.json", openapi::get),
        endpoint(Method::GET, "/settings", settings::get),
        endpoint(Method::PUT, "/settings", settings::put),
        endpoint(Method::PATCH, "/settings", settings::patch),
        endpoint(Method::GET, "/credentials", credentials::get),
        endpoint(
            Method::PUT,
            "/credentials/autotask",
            credentials::put_autotask,
        ),
        endpoint(
            Method::PUT,
            "/credentials/acronis",
            credentials::put_acronis,
        ),
        endpoint(Method::GET, "/service-mappings", service_mappings::get),
        endpoint(Method::PUT, "/service-mappings", service_mappings::put),
        endpoint(Method::GET, "/accounts", accounts::get),
        endpoint(
            Method::PUT,
            "/customer-mappings/{companyId}",
            customer_mappings::put,
        ),
        endpoint(
            Method::DELETE,
            "/customer-mappings/{companyId}",
            customer_mappings::delete,
        ),
        endpoint(Method::GET, "/alert-mappings", alert_mappings::get),
        endpoint(Method::PUT, "/alert-mappings", alert_mappings::put),
        endpoint(Method::GET, "/audit", audit::get),
        endpoint(Method::GET, "/deprovisioning/forecast", forecast::get),
        endpoint(Method::POST, "/deprovisioning/release", release::post),
        endpoint(Method::GET, "/plan", plan::get),
        endpoint(Method::GET, "/tickets", tickets::get),
        endpoint(Method::GET, "/jobs", jobs::list),
        endpoint(Method::POST, "/jobs/{job}/run", jobs::run),
        endpoint(Method::POST, "/pause", pause::pause),
        endpoint(Method::POST, "/resume", pause::resume),
        endpoint(Method::POST, "/database/adopt", database::adopt),
        open_endpoint(console::PATHS[0], console::page),
        open_endpoint(console::PATHS[1], console::style),
        open_endpoint(console::PATHS[2], console::script),
    ]
}

/// (method, path) of every route, paths in the router's `{param}` syntax.
pub fn routes() -> Vec<(Method, &'static str)> {
    endpoints()
        .into_iter()
        .map(|e| (e.method, e.path))
        .collect()
}

/// The whole API: every route behind the auth check (except `GET /health`, which the
/// check lets through, and the console's files, served beside it), bodies capped at
/// [`MAX_BODY_BYTES`], URL and headers at [`limits`] (the console's files too), JSON
/// answers for unknown routes and methods too.
pub fn router(state: ApiState) -> Router {
    let mut router: Router<ApiState> = Router::new();
    let mut open: Router<ApiState> = Router::new();
    for e in endpoints() {
        if e.open {
            open = open.route(e.path, e.handler);
        } else {
            router = router.route(e.path, e.handler);
        }
    }
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_caller,
        ))
        .merge(open)
        .layer(axum::middleware::from_fn(limits::check))
        .with_state(state)
}
