//! Typed client of the Acronis Cyber Cloud APIs the bridge uses: Account Management
//! v2 (`/api/2`: tenants, users, applications, offering items, infra, usages) and
//! Alert Manager v1 (`/api/alert_manager/v1`).
//!
//! # Token
//! OAuth2 client credentials (`POST /api/2/idp/token`, Basic auth). The token is
//! cached and shared by all clones, refreshed 15 minutes before it expires (the
//! margin is configurable and never more than half the token's life), and fetched by
//! one caller at a time so concurrent calls do not stampede the token endpoint. A 401
//! on any call replaces the token once and repeats the call; a second 401 is
//! [`Error::Unauthorized`].
//!
//! # Retries
//! Exponential backoff with jitter ([`bridge_core::backoff::Backoff`]). 429 is
//! always retried, honouring `Retry-After`. 502/503/504, timeouts and dropped
//! connections are retried only for idempotent calls (GET, PUT, DELETE, the token
//! request, binding an application); a POST that creates something (tenant, user,
//! activation email) is not repeated, because the server may have acted on it.
//!
//! # Versions
//! Tenants carry a `version` that every PUT/DELETE must repeat, and quotas their own
//! (HTTP 426 when stale). [`AcronisClient::update_tenant_with_retry`] and
//! [`AcronisClient::update_quotas_with_retry`] re-read and retry a bounded number of
//! times; [`AcronisClient::disable_and_delete`] does the disable-then-delete that
//! Acronis requires.
//!
//! Every HTTP request is counted ([`AcronisClient::requests_made`]).

mod alerts;
mod applications;
mod client;
mod config;
mod error;
mod infra;
mod lenient;
mod mfa;
mod offering_items;
mod pricing;
mod search;
mod tenants;
mod token;
mod transport;
mod usages;
mod users;

pub use alerts::{
    Alert, AlertDetails, AlertPage, AlertQuery, AlertTenant, AlertType, parse_alert_time,
};
pub use applications::{Application, BACKUP_APPLICATION_ID, FILES_CLOUD_APPLICATION_ID};
pub use client::AcronisClient;
pub use config::AcronisConfig;
pub use error::Error;
pub use infra::{Location, Storage};
pub use mfa::MfaStatus;
pub use offering_items::{ItemKey, OfferingItem, OfferingItemUpdate, Quota};
pub use pricing::Pricing;
pub use search::SearchHit;
pub use tenants::{
    Contact, PricingMode, Tenant, TenantCreate, TenantKind, TenantUpdate, UpdateLock,
};
pub use transport::MAX_RESPONSE_BYTES;
pub use usages::{TenantUsages, Usage, UsageOfferingItem};
pub use users::{AccessPolicy, User, UserCreate};

/// Re-exported so callers can build an [`AcronisConfig`] without naming `bridge_core`.
pub use bridge_core::{backoff::Backoff, secret::Secret};
