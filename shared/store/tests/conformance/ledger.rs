//! The usage ledger: write-once.

use super::*;

pub async fn ledger_race_keeps_first_entry(store: SharedStore) {
    let writers = 5;
    let barrier = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let entry = UsageLedgerEntry {
                contract_service_id: 9001,
                period: "2026-10".to_owned(),
                company_id: 174,
                units: 10 + i as i64,
                unit_change: i as i64,
                recorded_at: t0(),
            };
            tokio::spawn(async move {
                barrier.wait().await;
                store.record_usage(&entry).await.map(|()| entry)
            })
        })
        .collect();
    let mut winner = None;
    for task in tasks {
        match task.await.expect("task") {
            Ok(entry) => {
                assert!(winner.is_none(), "two writers won");
                winner = Some(entry);
            }
            Err(err) => assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}"),
        }
    }
    let winner = winner.expect("one writer wins");
    let stored = store
        .get_usage(9001, "2026-10")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored, winner, "the first write stays");

    // Another period or contract service is a different entry.
    assert!(
        store
            .get_usage(9001, "2026-09")
            .await
            .expect("get")
            .is_none()
    );
    let next = UsageLedgerEntry {
        period: "2026-11".to_owned(),
        ..winner.clone()
    };
    store.record_usage(&next).await.expect("next period");
    let err = store.record_usage(&next).await.expect_err("rerun");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(
        store.get_usage(9001, "2026-10").await.expect("get"),
        Some(winner)
    );
}
