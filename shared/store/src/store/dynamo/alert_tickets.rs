//! Alert → ticket: one versioned item per alert key.

use async_trait::async_trait;
use bridge_core::records::{AlertTicket, Versioned};

use super::DynamoStore;
use super::item::key;
use crate::store::{AlertTicketStore, StoreResult, validate};

#[async_trait]
impl AlertTicketStore for DynamoStore {
    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        let what = format!("alert ticket {alert_key}");
        self.get_doc(key::alert(alert_key), key::ALERT_SK, &what)
            .await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("alert_key", &ticket.alert_key)?;
        let what = format!("alert ticket {}", ticket.alert_key);
        let pk = key::alert(&ticket.alert_key);
        self.put_doc(pk, key::ALERT_SK, what, ticket, expected_version)
            .await
    }
}
