//! The `bridge` binary's library: the local runner and the operator client, shared by
//! `main` and the tests.
//!
//! - [`runner::start`] starts the local runner: the config routes on 127.0.0.1 behind a
//!   bearer token ([`state`]), every job of this build on its template schedule
//!   ([`schedule`], [`scheduler`]), and with `--demo` both API simulators ([`demo`]).
//! - [`runner::run_once`] runs each job once (`bridge run --once [--dry-run]`).
//! - [`operator`] is the thin client of the config endpoint (`bridge config …`), with
//!   the local token or SigV4 for a deployed Function URL ([`client`], `bridge_jobs::sigv4`).
//! - [`terminal::printable`] escapes the control characters of everything printed.
//! - [`console::start`] serves the operator page on loopback and relays its calls to the
//!   endpoint (`bridge console`).

pub mod args;
pub mod client;
pub mod console;
pub mod demo;
pub mod operator;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod state;
pub mod table;
pub mod terminal;
pub mod topology;

pub use runner::{RunOptions, Running, start};
