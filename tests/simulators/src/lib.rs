//! Simulators of the two APIs the bridge talks to.
//!
//! Each is an axum server holding its state in memory, seeded from a scenario file
//! (`tests/scenarios/`), speaking the paths, JSON shapes, paging, errors and limits
//! recorded in `../shared/reference/`. Both share [`common`]: a request log with
//! counts per entity and verb, per-route fault injection (latency, 429, 5xx, dropped
//! connections, malformed JSON, requests held forever, from the Nth match on), a
//! movable clock, and the `/_sim/` control routes.

pub mod acronis;
pub mod autotask;
pub mod common;
#[cfg(feature = "hostile")]
pub mod hostile;
pub mod scenario;
