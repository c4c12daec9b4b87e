//! The usage ledger: versioned per contract service and period, read in batches of one
//! period.

use super::*;

use bridge_core::records::Versioned;
use bridge_store::store::MAX_LEDGER_IDS;

pub(super) fn entry(contract_service_id: i64, period: &str, units: i64) -> UsageLedgerEntry {
    UsageLedgerEntry {
        contract_service_id,
        period: period.to_owned(),
        company_id: 174,
        units,
        unit_change: units,
        recorded_at: t0(),
    }
}

fn assert_invalid(err: StoreError, expected_field: &str) {
    match err {
        StoreError::Invalid { field, .. } => assert_eq!(field, expected_field),
        other => panic!("expected Invalid {expected_field}, got {other:?}"),
    }
}

pub async fn ledger_entry_and_its_audit_entry_are_written_together(store: SharedStore) {
    let reported = audit("report-9101", t0(), "usage.reported");
    let first = entry(9101, "2026-10", 12);
    assert_eq!(
        store
            .put_usage(&first, None, &reported)
            .await
            .expect("both"),
        1
    );
    let listed = |kind: &str| AuditQuery {
        kind: Some(kind.into()),
        ..AuditQuery::default()
    };
    let entries = |kind: &'static str| {
        let store = Arc::clone(&store);
        async move {
            store
                .list_audit(&listed(kind), t0())
                .await
                .expect("audit")
                .items
        }
    };
    assert_eq!(entries("usage.reported").await, vec![reported.clone()]);

    // A stale version writes neither the entry nor its audit entry.
    let corrected = audit("correct-9101", t0() + secs(1), "usage.corrected");
    let stale = store
        .put_usage(&entry(9101, "2026-10", 14), None, &corrected)
        .await
        .expect_err("stale");
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale:?}");
    assert!(entries("usage.corrected").await.is_empty());
    assert_eq!(
        store
            .get_usage(9101, "2026-10")
            .await
            .expect("get")
            .map(|v| v.value.units),
        Some(12)
    );

    // An audit entry already there (same id and instant) writes no ledger entry either.
    let again = store
        .put_usage(&entry(9101, "2026-10", 14), Some(1), &reported)
        .await
        .expect_err("audited already");
    assert!(
        matches!(again, StoreError::AlreadyExists { .. }),
        "{again:?}"
    );
    assert_eq!(
        store
            .get_usage(9101, "2026-10")
            .await
            .expect("get")
            .map(|v| v.version),
        Some(1)
    );

    // At the current version with a new entry: both are written.
    assert_eq!(
        store
            .put_usage(&entry(9101, "2026-10", 14), Some(1), &corrected)
            .await
            .expect("corrected"),
        2
    );
    assert_eq!(entries("usage.corrected").await, vec![corrected]);
}

pub async fn ledger_entries_are_versioned(store: SharedStore) {
    assert_eq!(store.get_usage(9001, "2026-10").await.expect("get"), None);
    let first = entry(9001, "2026-10", 12);
    assert_eq!(
        store
            .put_usage(&first, None, &usage_audit())
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store.get_usage(9001, "2026-10").await.expect("get"),
        Some(Versioned {
            value: first.clone(),
            version: 1
        })
    );

    // A rerun that would create it again loses and learns the current version.
    let again = store
        .put_usage(&first, None, &usage_audit())
        .await
        .expect_err("exists already");
    assert_eq!(conflict_version(&again), Some(1));

    // A correction inside the open period replaces the entry.
    let corrected = UsageLedgerEntry {
        units: 14,
        unit_change: 2,
        recorded_at: t0() + secs(3600),
        ..first.clone()
    };
    assert_eq!(
        store
            .put_usage(&corrected, Some(1), &usage_audit())
            .await
            .expect("correct"),
        2
    );
    let stale = store
        .put_usage(&first, Some(1), &usage_audit())
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&stale), Some(2));
    let ahead = store
        .put_usage(&first, Some(3), &usage_audit())
        .await
        .expect_err("ahead");
    assert_eq!(conflict_version(&ahead), Some(2));
    assert_eq!(
        store.get_usage(9001, "2026-10").await.expect("get"),
        Some(Versioned {
            value: corrected.clone(),
            version: 2
        }),
        "a lost write changes nothing"
    );

    // Another period, or another contract service, is another entry.
    let absent = store
        .put_usage(&entry(9001, "2026-11", 5), Some(1), &usage_audit())
        .await
        .expect_err("no such entry");
    assert!(matches!(absent, StoreError::NotFound { .. }), "{absent:?}");
    assert_eq!(store.get_usage(9001, "2026-11").await.expect("get"), None);
    assert_eq!(store.get_usage(9002, "2026-10").await.expect("get"), None);
    assert_eq!(
        store
            .put_usage(&entry(9001, "2026-11", 5), None, &usage_audit())
            .await
            .expect("next period"),
        1
    );
    assert_eq!(
        store
            .get_usage(9001, "2026-10")
            .await
            .expect("get")
            .map(|e| e.version),
        Some(2)
    );
}

pub async fn ledger_race_has_one_winner(store: SharedStore) {
    let writers = 5;
    let barrier = Arc::new(Barrier::new(writers));
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let entry = entry(9001, "2026-10", 10 + i as i64);
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .put_usage(&entry, None, &usage_audit())
                    .await
                    .map(|v| (v, entry))
            })
        })
        .collect();
    let mut winner = None;
    for task in tasks {
        match task.await.expect("task") {
            Ok((version, entry)) => {
                assert_eq!(version, 1);
                assert!(winner.is_none(), "two writers won");
                winner = Some(entry);
            }
            Err(err) => assert_eq!(conflict_version(&err), Some(1)),
        }
    }
    let winner = winner.expect("one writer wins");
    assert_eq!(
        store.get_usage(9001, "2026-10").await.expect("get"),
        Some(Versioned {
            value: winner,
            version: 1
        }),
        "the winner's entry is stored"
    );
}

pub async fn ledger_batch_read_of_one_period(store: SharedStore) {
    assert!(
        store
            .get_usages("2026-10", &[])
            .await
            .expect("nothing asked")
            .is_empty()
    );
    let ids: Vec<i64> = (1..=MAX_LEDGER_IDS as i64).map(|i| i * 10).collect();
    // Every third contract service has no entry for the period, only for the next one.
    let reported: Vec<i64> = ids.iter().copied().filter(|id| id % 30 != 0).collect();
    for &id in &ids {
        let period = if reported.contains(&id) {
            "2026-10"
        } else {
            "2026-11"
        };
        store
            .put_usage(&entry(id, period, id), None, &usage_audit())
            .await
            .expect("put");
    }
    store
        .put_usage(&entry(10, "2026-10", 11), Some(1), &usage_audit())
        .await
        .expect("second version");

    let read = store
        .get_usages("2026-10", &ids)
        .await
        .expect("batch of 100");
    assert_eq!(read.keys().copied().collect::<Vec<_>>(), reported);
    assert_eq!(read[&10].version, 2);
    assert_eq!(read[&10].value.units, 11);
    for (id, entry) in read.iter().filter(|(id, _)| **id != 10) {
        assert_eq!((entry.version, entry.value.units), (1, *id));
        assert_eq!(entry.value.period, "2026-10");
    }
    assert_eq!(
        store.get_usage(20, "2026-10").await.expect("get").as_ref(),
        Some(&read[&20]),
        "one at a time and in a batch agree"
    );

    // Missing ids are absent; a repeated id is read once.
    let few = store
        .get_usages("2026-11", &[30, 7, 30, 60, 10])
        .await
        .expect("batch");
    assert_eq!(few.keys().copied().collect::<Vec<_>>(), [30, 60]);

    let over: Vec<i64> = (1..=MAX_LEDGER_IDS as i64 + 1).collect();
    let err = store
        .get_usages("2026-10", &over)
        .await
        .expect_err("101 ids");
    assert!(err.to_string().contains("101"), "{err}");
    assert_invalid(err, "contract_service_ids");
    assert_invalid(
        store
            .get_usages("2026-10", &[1, -5])
            .await
            .expect_err("negative id"),
        "contract_service_ids",
    );
    assert_invalid(
        store.get_usages(" ", &[1]).await.expect_err("blank period"),
        "period",
    );
}

pub async fn ledger_invalid_entries_write_nothing(store: SharedStore) {
    let cases = [
        ("contract_service_id", entry(-1, "2026-10", 1)),
        ("period", entry(9001, "  ", 1)),
        ("period", entry(9001, &"p".repeat(513), 1)),
        (
            "company_id",
            UsageLedgerEntry {
                company_id: -3,
                ..entry(9001, "2026-10", 1)
            },
        ),
    ];
    for (field, entry) in &cases {
        assert_invalid(
            store
                .put_usage(entry, None, &usage_audit())
                .await
                .expect_err("invalid"),
            field,
        );
    }
    assert_eq!(store.get_usage(9001, "2026-10").await.expect("get"), None);
    assert_invalid(
        store.get_usage(-1, "2026-10").await.expect_err("negative"),
        "contract_service_id",
    );
}
