//! Typed client of the Autotask PSA REST API (`atservicesrest/v1.0`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), autotask::AutotaskError> {
//! use autotask::{AutotaskClient, AutotaskConfig, Credentials, Filter, Query, models::Company};
//! let client = AutotaskClient::new(AutotaskConfig::new(Credentials {
//!     username: "api@msp.example".into(),
//!     secret: "…".into(),
//!     integration_code: "…".into(),
//! }))?;
//! let customers: Vec<Company> = client
//!     .query(&Query::new(Filter::gt("id", 0)).and(Filter::eq("companyType", 1)))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Policies
//! - **Zone.** Looked up (`zoneInformation?user=`, no credentials sent) on the first
//!   call and cached — or, when the config names a known zone
//!   ([`AutotaskConfig::zone_url`], e.g. the one saved with the credentials), taken
//!   from there without a lookup. A 401, a 404 with a non-JSON (IIS) body, or a
//!   connection failure drops the cached zone once per call; the zone is looked up again
//!   and the call is resent once. That is how a database that moved zones keeps working.
//! - **Retries.** Exponential backoff with jitter ([`bridge_core::backoff::Backoff`])
//!   on 429 and thread-limit rejections (honouring `Retry-After`), on 502/503/504 and
//!   5xx without an `errors` array, and on timeouts or dropped connections. A 500
//!   *with* `errors` is a validation error and is returned at once. A create (POST of a
//!   new record, adjustments above all: they are additive) is resent only when the
//!   server provably did not process it — a 429, a thread-limit answer, or a connect
//!   failure — never after a timeout, a dropped connection or a 5xx. Queries, PATCH and
//!   DELETE are resent freely.
//! - **Throttling.** At most `max_concurrent_per_entity` (3) requests in flight per
//!   entity, the API's thread limit per integration code and endpoint; the surplus
//!   waits in the client. ThresholdInformation is read every N requests or T minutes
//!   (never before the first call, and right after any 429), and the last reading adds
//!   a pause per call above 50 % / 80 % of the hourly budget ([`BudgetPolicy`]).
//! - **Paging.** `nextPageUrl` is followed (POST with the same body after a POST query)
//!   until null, and only if its scheme, host and port equal the zone's: credentials
//!   ride on every request and must never reach another host.
//! - **Errors.** Autotask reports most failures as HTTP 500 with `{"errors": [...]}`;
//!   [`AutotaskError`] tells them apart by status and, where needed, text: "API Only
//!   users" on a 401 is [`AutotaskError::NotApiUser`], other 401s are
//!   [`AutotaskError::BadCredentials`]; a 500 mentioning the user name, integration code
//!   or tracking identifier is [`AutotaskError::UnknownUserOrIntegrationCode`];
//!   "Thread Threshold Exceeded"/`Itgenatr005` with any status is throttling. A 404 with
//!   a JSON body is a missing record (`get` gives `None`); an HTML 404 is a missing route.
//!   The text of `{"Message": ...}` bodies (405s, some 404s) is kept like that of
//!   `errors`; echoed text is cut at 500 characters per message (300 of a non-JSON body).
//! - **Tickets.** [`models::TicketCreate`] and [`models::TicketNoteCreate`] are the
//!   bodies the alert job sends: outside text is cut to Autotask's lengths (title 255,
//!   description 8,000, note 32,000 characters), a resource only travels with its role,
//!   and a ticket carries a marker (`externalID`, at most 50 characters:
//!   [`models::external_id_for`]) so it can be found again after a crash between
//!   creating it and recording it ([`AutotaskClient::tickets_by_external_id`]).
//! - **Secrets.** The secret lives in a [`Secret`](bridge_core::secret::Secret) and a
//!   sensitive header value; nothing here logs headers or credentials.

mod budget;
mod classify;
mod client;
mod config;
pub mod datetime;
mod error;
mod limiter;
pub mod models;
mod ops;
pub mod query;
mod tickets;
mod zone;

pub use client::{AutotaskClient, MAX_RESPONSE_BYTES};
pub use config::{AutotaskConfig, BudgetPolicy, Credentials, DEFAULT_ZONE_LOOKUP_URL};
pub use error::{AutotaskError, Result};
pub use models::{Entity, FieldInfo, PicklistValue, ThresholdInfo, UserDefinedField, ZoneInfo};
pub use ops::{child_entity, same_origin};
pub use query::{Filter, Op, Query};
