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
//! keeps the two equal): `GET /health` (open), `GET /openapi.json`, `GET|PUT|PATCH /settings`,
//! `GET /credentials`, `PUT /credentials/autotask`, `PUT /credentials/acronis`,
//! `GET|PUT /service-mappings`, `GET /accounts`, `PUT|DELETE /customer-mappings/{companyId}`,
//! `GET|PUT /alert-mappings`, `GET /audit`, `GET /deprovisioning/forecast`, and the
//! operator console's static files (`GET /console`, open; [`console_router`]).
//!
//! Schedules: saving settings whose `schedules.*` changed calls
//! `ctx.bus.set_schedule_rate(rule, minutes)` for each changed interval, with the rule
//! name the job registry gives it (`bridge_jobs::job::rule_for_interval`,
//! `<stack>-<job>-<schedule>`). Locally the runner reads the rates back from its
//! `InProcessBus` under the same names.
//!
//! Jobs: `GET /jobs` lists every job of the registry with its schedules, its switch
//! and its last run; `POST /jobs/{job}/run[?dry_run=true]` runs one now through the
//! state's [`Launcher`] (in-process locally: 200 with the summary; deployed: the job's
//! function invoked asynchronously, 202).

mod auth;
mod body;
mod error;
pub mod lambda;
mod limits;
mod routes;

use bridge_jobs::Context;
use bridge_jobs::launch::{Launcher, NoLauncher};
use std::sync::Arc;
use std::time::Duration;

pub use auth::{Auth, Caller};
pub use error::ApiError;
pub use limits::{MAX_HEADER_BYTES, MAX_URI_BYTES};
/// The operator console's page alone (`GET /console` and its assets), unauthenticated.
pub use routes::console::router as console_router;
pub use routes::{NOT_API_USER, router, routes};

/// Largest request body accepted; larger ones answer 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub ctx: Arc<Context>,
    pub auth: Auth,
    /// Prefix of the schedule rule names (`BRIDGE_STACK_NAME` when deployed).
    pub stack_name: String,
    /// How "run now" reaches a job: in the runner's process (local mode) or by invoking
    /// the job's function (deployed); none until one is given.
    pub launcher: Arc<dyn Launcher>,
    /// Autotask picklists (ticket fields, period types), read once per process.
    picklists: Arc<routes::picklists::PicklistCache>,
    /// Company listings `GET /accounts` pages through.
    accounts: Arc<routes::accounts::CompanyListings>,
    /// The longest a credential check (the live calls proving new credentials) may take
    /// before the request is answered with the host that did not answer.
    pub check_timeout: Duration,
}

/// The default [`ApiState::check_timeout`]: well inside the Function URL's and a
/// person's patience, and room for one retry of a slow answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

impl ApiState {
    pub fn new(ctx: Arc<Context>, auth: Auth, stack_name: impl Into<String>) -> Self {
        Self {
            launcher: Arc::new(NoLauncher),
            ctx,
            auth,
            stack_name: stack_name.into(),
            picklists: Arc::default(),
            accounts: Arc::default(),
            check_timeout: CHECK_TIMEOUT,
        }
    }

    /// Caps credential checks at `timeout` instead of [`CHECK_TIMEOUT`].
    pub fn with_check_timeout(mut self, timeout: Duration) -> Self {
        self.check_timeout = timeout;
        self
    }

    /// Runs jobs now through `launcher`.
    pub fn with_launcher(mut self, launcher: Arc<dyn Launcher>) -> Self {
        self.launcher = launcher;
        self
    }
}
