//! The pure core of the bridge.
//!
//! Everything that *decides* lives here as plain functions over plain structs, so it can
//! be unit-tested with tables of cases and reused unchanged by dry runs. This crate has
//! no network, no AWS SDK and no clock: callers pass `now` in.

pub mod backoff;
pub mod catalog;
pub mod contracts;
pub mod credentials;
pub mod database;
pub mod events;
pub mod hash;
pub mod mapping;
pub mod policy;
pub mod provisioning;
pub mod quota;
pub mod quota_push;
pub mod records;
pub mod secret;
pub mod settings;
pub mod text;
pub mod tickets;
pub mod usage;
pub mod validation;
