//! Ports and adapters for everything the bridge remembers or sends on.
//!
//! - [`store`]: one trait per record family (settings, mappings, snapshots, leases and
//!   cursors, audit log, usage ledger, alert tickets, job runs, quota sync), `Store` for
//!   all of them, with its DynamoDB adapter and its embedded (SQLite) adapter for local
//!   mode. The embedded adapter is behind the `embedded` feature, so the Lambdas carry no
//!   SQLite.
//! - [`secrets`]: the `SecretSource` trait with Secrets Manager and local-file adapters.
//! - [`events`]: `EventPublisher` and `ScheduleControl` (with `EventBus` for both), with
//!   the EventBridge adapter and an in-process one.

pub mod events;
pub mod secrets;
pub mod store;
