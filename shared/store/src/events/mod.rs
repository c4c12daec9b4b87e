//! The event bus: change events from the contract poller to quota push, and the
//! schedules of the jobs: [`EventPublisher`] and [`ScheduleControl`], with [`EventBus`]
//! for both.
//!
//! Deployed, [`EventBridgeBus`] sends to the bridge's own custom bus and re-times the
//! schedule rules on the default bus; in local mode [`InProcessBus`] is a channel plus a
//! table of rates the local runner follows.

mod eventbridge;
mod in_process;

use async_trait::async_trait;
use bridge_core::events::CompanyContractsChanged;

pub use eventbridge::EventBridgeBus;
pub use in_process::InProcessBus;

/// Sends change events on to their consumers (the contract poller is the publisher).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Sends every event or fails naming the companies whose events were not sent (the
    /// caller keeps those companies pending; the nightly sweep catches anything lost).
    async fn publish(&self, events: &[CompanyContractsChanged]) -> Result<(), EventBusError>;
}

/// Re-times the jobs' schedules (the configuration API is the only caller).
#[async_trait]
pub trait ScheduleControl: Send + Sync {
    /// Runs the job behind `rule` every `minutes` minutes (at least 1).
    async fn set_schedule_rate(&self, rule: &str, minutes: u32) -> Result<(), EventBusError>;
}

/// Both halves of the bus, for code that holds an `Arc<dyn EventBus>`; implemented for
/// every type that implements both.
pub trait EventBus: EventPublisher + ScheduleControl + Send + Sync {}

impl<T: EventPublisher + ScheduleControl + Send + Sync> EventBus for T {}

#[derive(Debug, thiserror::Error)]
pub enum EventBusError {
    #[error("change events not sent for companies {company_ids:?}: {cause}")]
    NotSent {
        company_ids: Vec<i64>,
        cause: String,
    },
    #[error("schedule rate for {rule} must be at least 1 minute")]
    InvalidRate { rule: String },
    #[error("schedule rule {rule} not found on the default event bus")]
    RuleNotFound { rule: String },
    #[error("updating schedule rule {rule} failed: {detail}")]
    Schedule { rule: String, detail: String },
}

fn check_rate(rule: &str, minutes: u32) -> Result<(), EventBusError> {
    if minutes == 0 || rule.is_empty() {
        return Err(EventBusError::InvalidRate {
            rule: rule.to_owned(),
        });
    }
    Ok(())
}
