//! The jobs end to end, in one test binary: each job against both simulators and a real
//! store, the chaos suite, concurrent runs on DynamoDB, the pause switch and hostile
//! Lambda payloads. One binary links the dependencies once; a module per job keeps the
//! tests apart (`cargo nextest run -p bridge-jobs quota_push::` runs one job's).

mod alert_ingest;
mod chaos;
mod concurrency;
mod contract_poller;
mod kill_store;
mod pause;
mod payloads;
mod quota_push;
mod usage_report;

// The worlds every module builds on; each job's tests use only part of it.
#[allow(dead_code)]
mod support;
