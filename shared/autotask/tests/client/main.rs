//! The client against the Autotask simulator: every endpoint it uses, the failure
//! modes it must survive, and the request counts it promises.
//!
//! One test binary (modules below) keeps link time down on small machines.

#![allow(clippy::unwrap_used)]

mod budget;
mod crud;
mod hostile;
mod paging;
mod resilience;
mod support;
mod tickets;
mod zone_and_auth;
