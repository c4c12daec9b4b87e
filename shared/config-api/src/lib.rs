//! The configuration endpoint: one axum [`Router`](axum::Router) that serves the MSP's
//! settings, credentials, mappings and audit log as JSON.
//!
//! The same router runs in two places, which is why it is a library:
//!
//! * **Deployed**: `functions/config-api` hands it to `lambda_http::run` behind a Lambda
//!   Function URL with `AWS_IAM` auth; build the state with [`Auth::Iam`].
//! * **Locally**: the local runner (`cli/`) serves it with `axum::serve` on localhost,
//!   guarded by a bearer token it generated; build the state with [`Auth::Bearer`].
//!
//! ```no_run
//! # async fn demo(ctx: std::sync::Arc<bridge_jobs::Context>) -> std::io::Result<()> {
//! use bridge_config_api::{ApiState, Auth, router};
//! use bridge_core::secret::Secret;
//! let state = ApiState::new(ctx, Auth::Bearer(Secret::new("token printed once")), "local");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, router(state)).await
//! # }
//! ```
//!
//! Routes (the single table is [`routes`]; `openapi.json` documents each, and a test
//! keeps the two equal): `GET /health` (open), `GET /openapi.json`, `GET|PUT /settings`,
//! `GET /credentials`, `PUT /credentials/autotask`, `PUT /credentials/acronis`,
//! `GET|PUT /service-mappings`, `GET /accounts`, `PUT|DELETE /customer-mappings/{companyId}`,
//! `GET|PUT /alert-mappings`, `GET /audit`, `GET /deprovisioning/forecast`.
//!
//! Schedules: saving settings whose `schedules.*` changed calls
//! `ctx.bus.set_schedule_rate(rule, minutes)` for each changed job, with the rule name
//! from [`schedule_rule`] (`<stack>-<function>-<schedule>`); [`schedule_of`] is the
//! job → (function, schedule) table. Locally the runner reads the rates back from its
//! `InProcessBus` under the same names.

mod auth;
mod body;
mod error;
mod routes;
mod schedules;

use bridge_jobs::Context;
use std::sync::Arc;

pub use auth::{Auth, Caller};
pub use error::ApiError;
pub use routes::{NOT_API_USER, router, routes};
pub use schedules::{schedule_of, schedule_rule};

/// Largest request body accepted; larger ones answer 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub ctx: Arc<Context>,
    pub auth: Auth,
    /// Prefix of the schedule rule names (`BRIDGE_STACK_NAME` when deployed).
    pub stack_name: String,
    /// Autotask picklists (ticket fields, period types), read once per process.
    picklists: Arc<routes::picklists::PicklistCache>,
    /// Company listings `GET /accounts` pages through.
    accounts: Arc<routes::accounts::CompanyListings>,
}

impl ApiState {
    pub fn new(ctx: Arc<Context>, auth: Auth, stack_name: impl Into<String>) -> Self {
        Self {
            ctx,
            auth,
            stack_name: stack_name.into(),
            picklists: Arc::default(),
            accounts: Arc::default(),
        }
    }
}
