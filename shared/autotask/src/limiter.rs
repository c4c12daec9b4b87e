//! Per-entity concurrency cap.
//!
//! Autotask allows 3 requests in flight per integration code and entity endpoint and
//! rejects (or slows) the rest, so the client queues the surplus itself instead of
//! spending requests on rejections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(crate) struct EntityLimiter {
    per_entity: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl EntityLimiter {
    pub fn new(per_entity: usize) -> Self {
        Self {
            per_entity: per_entity.max(1),
            semaphores: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot on `entity` (case-insensitive, as the API's routes are).
    pub async fn acquire(&self, entity: &str) -> OwnedSemaphorePermit {
        let semaphore = {
            let mut map = self.semaphores.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(entity.to_ascii_lowercase())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_entity)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("entity semaphores are never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_in_flight_per_entity_not_across_entities() {
        let limiter = EntityLimiter::new(2);
        let a1 = limiter.acquire("Companies").await;
        let _a2 = limiter.acquire("companies").await;
        let third = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            limiter.acquire("Companies"),
        )
        .await;
        assert!(third.is_err(), "a third Companies slot must wait");
        let _other = limiter.acquire("Contacts").await;
        drop(a1);
        let _a3 = limiter.acquire("Companies").await;
    }
}
