//! Alert → ticket records.

use super::*;

pub async fn alert_tickets_create_and_versioned_update(store: SharedStore) {
    let key = AlertTicket::key("tenant-1", "alert-9");
    assert!(store.get_alert_ticket(&key).await.expect("get").is_none());
    assert_eq!(
        store
            .put_alert_ticket(&ticket("tenant-1", "alert-9", 42), None)
            .await
            .expect("create"),
        1
    );

    // A second ingestion run racing to create the same alert's ticket loses.
    let err = store
        .put_alert_ticket(&ticket("tenant-1", "alert-9", 43), None)
        .await
        .expect_err("duplicate");
    assert_eq!(conflict_version(&err), Some(1));

    let mut closed = ticket("tenant-1", "alert-9", 42);
    closed.state = AlertTicketState::Closed;
    closed.closed_at = Some(t0() + secs(3600));
    closed.last_seen_at = t0() + secs(60);
    assert_eq!(
        store
            .put_alert_ticket(&closed, Some(1))
            .await
            .expect("update"),
        2
    );
    let err = store
        .put_alert_ticket(&ticket("tenant-1", "alert-9", 42), Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));

    let stored = store
        .get_alert_ticket(&key)
        .await
        .expect("get")
        .expect("present");
    assert_eq!((stored.value, stored.version), (closed, 2));
    let err = store
        .put_alert_ticket(&ticket("tenant-2", "alert-9", 1), Some(1))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}
