//! The contract poller end to end: both simulators, a real store, the in-process bus.

mod contracts;
mod database;
mod demo;
mod deprovisioning;
mod dynamo;
mod events;
mod guard;
mod payg_udf;
mod provisioning;
mod resilience;
