//! Alert → ticket: `alert_ticket` documents keyed by alert key.

use async_trait::async_trait;
use bridge_core::records::{AlertTicket, Versioned};

use super::{SqliteStore, kind};
use crate::store::{AlertTicketStore, StoreResult, validate};

#[async_trait]
impl AlertTicketStore for SqliteStore {
    async fn get_alert_ticket(
        &self,
        alert_key: &str,
    ) -> StoreResult<Option<Versioned<AlertTicket>>> {
        validate::name("alert_key", alert_key)?;
        self.get_doc(kind::ALERT_TICKET, alert_key.to_owned()).await
    }

    async fn put_alert_ticket(
        &self,
        ticket: &AlertTicket,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        validate::name("alert_key", &ticket.alert_key)?;
        let key = ticket.alert_key.clone();
        self.put_doc(kind::ALERT_TICKET, key, ticket, expected_version)
            .await
    }
}
