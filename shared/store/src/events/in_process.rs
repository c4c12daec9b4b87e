//! The local-mode bus: a broadcast channel and a table of schedule rates.

use super::{EventBusError, EventPublisher, ScheduleControl, check_rate};
use async_trait::async_trait;
use bridge_core::events::CompanyContractsChanged;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Events a slow subscriber may fall behind by before it starts missing some (it then
/// gets `RecvError::Lagged`; the nightly sweep re-sends every company anyway).
const CAPACITY: usize = 1024;

/// Cheap to clone; every clone is the same bus.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    events: broadcast::Sender<CompanyContractsChanged>,
    rates: Arc<watch::Sender<BTreeMap<String, u32>>>,
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::with_rates([])
    }

    /// Starts with the given rates (job name → minutes), e.g. the defaults of each job.
    pub fn with_rates(rates: impl IntoIterator<Item = (String, u32)>) -> Self {
        let (events, _) = broadcast::channel(CAPACITY);
        let (rates, _) = watch::channel(rates.into_iter().collect());
        Self {
            events,
            rates: Arc::new(rates),
        }
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CompanyContractsChanged> {
        self.events.subscribe()
    }

    /// The current rates in minutes, by job (rule) name.
    pub fn rates(&self) -> BTreeMap<String, u32> {
        self.rates.borrow().clone()
    }

    /// Notified whenever a rate changes, so the local runner can re-time its jobs.
    pub fn watch_rates(&self) -> watch::Receiver<BTreeMap<String, u32>> {
        self.rates.subscribe()
    }
}

#[async_trait]
impl EventPublisher for InProcessBus {
    async fn publish(&self, events: &[CompanyContractsChanged]) -> Result<(), EventBusError> {
        for event in events {
            // No subscriber means no consumer is running; like an EventBridge bus without
            // rules, the event is simply dropped.
            if self.events.send(event.clone()).is_err() {
                tracing::debug!(
                    company_id = event.company_id,
                    "no subscriber for change event"
                );
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ScheduleControl for InProcessBus {
    async fn set_schedule_rate(&self, rule: &str, minutes: u32) -> Result<(), EventBusError> {
        check_rate(rule, minutes)?;
        self.rates
            .send_if_modified(|rates| rates.insert(rule.to_owned(), minutes) != Some(minutes));
        tracing::info!(rule, minutes, "schedule rate set");
        Ok(())
    }
}
