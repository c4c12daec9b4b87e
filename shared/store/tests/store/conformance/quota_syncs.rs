//! Quota sync records: versioned per company, read in batches of up to 100, bounded.

use super::*;

use bridge_core::records::{JobErrorRecord, QuotaBaseRecord, QuotaSync, Versioned};
use bridge_store::store::{
    MAX_QUOTA_BASES, MAX_QUOTA_ERROR_CHARS, MAX_QUOTA_NAME_CHARS, MAX_QUOTA_SYNC_BYTES,
    MAX_QUOTA_SYNC_IDS,
};

const TENANT: &str = "c1000000-0000-4000-8000-000000000174";

fn base(name: &str, infra_id: Option<&str>, value: Option<u64>) -> QuotaBaseRecord {
    QuotaBaseRecord {
        name: name.to_owned(),
        infra_id: infra_id.map(str::to_owned),
        value,
        overage: value.map(|_| 0),
    }
}

/// A pushed record with bases on two storages and a failure.
pub(super) fn quota_sync(company_id: i64) -> QuotaSync {
    QuotaSync {
        company_id,
        tenant_id: TENANT.to_owned(),
        pushed_snapshot_version: Some(7),
        pushed_at: Some(t0() + secs(30)),
        bases: vec![
            base("workstations", None, Some(25)),
            base(
                "storage",
                Some("d6b1d9e2-0000-4000-8000-00000000aaaa"),
                Some(1 << 40),
            ),
            base(
                "storage",
                Some("d6b1d9e2-0000-4000-8000-00000000bbbb"),
                None,
            ),
        ],
        last_error: Some(JobErrorRecord {
            at: t0() + secs(31),
            message: "Acronis refused to disable servers: the tenant still uses 2".to_owned(),
        }),
        intent: Some(bridge_core::records::QuotaIntent {
            at: t0() + secs(29),
            snapshot_version: Some(7),
            changes: vec![bridge_core::records::IntendedQuota {
                item: "workstations".into(),
                before: serde_json::json!({"quota": {"value": 20}}),
                after: serde_json::json!({"quota": {"value": 25}}),
                reason: "prepaid: 25 units".into(),
            }],
        }),
    }
}

/// A mapped company quota push has not reached yet.
fn never_pushed(company_id: i64) -> QuotaSync {
    QuotaSync {
        company_id,
        tenant_id: format!("tenant-{company_id}"),
        pushed_snapshot_version: None,
        pushed_at: None,
        bases: Vec::new(),
        last_error: None,
        intent: None,
    }
}

fn assert_invalid(err: StoreError, expected_field: &str) {
    match err {
        StoreError::Invalid { field, .. } => assert_eq!(field, expected_field),
        other => panic!("expected Invalid {expected_field}, got {other:?}"),
    }
}

pub async fn quota_sync_round_trip_and_idempotent_delete(store: SharedStore) {
    assert_eq!(store.get_quota_sync(174).await.expect("get"), None);

    let pushed = quota_sync(174);
    assert_eq!(
        store.put_quota_sync(&pushed, None).await.expect("create"),
        1
    );
    let idle = never_pushed(9);
    assert_eq!(store.put_quota_sync(&idle, None).await.expect("create"), 1);
    assert_eq!(
        store.get_quota_sync(174).await.expect("get"),
        Some(Versioned {
            value: pushed.clone(),
            version: 1
        })
    );
    assert_eq!(
        store.get_quota_sync(9).await.expect("get"),
        Some(Versioned {
            value: idle,
            version: 1
        })
    );

    // A clean push clears the failure.
    let mut clean = pushed.clone();
    clean.pushed_snapshot_version = Some(8);
    clean.last_error = None;
    assert_eq!(
        store.put_quota_sync(&clean, Some(1)).await.expect("update"),
        2
    );
    assert_eq!(
        store.get_quota_sync(174).await.expect("get"),
        Some(Versioned {
            value: clean,
            version: 2
        })
    );

    store.delete_quota_sync(174).await.expect("delete");
    assert_eq!(store.get_quota_sync(174).await.expect("get"), None);
    store.delete_quota_sync(174).await.expect("delete again");
    store.delete_quota_sync(12_345).await.expect("never there");
    // The other company's record is untouched.
    assert!(store.get_quota_sync(9).await.expect("get").is_some());
    // Deleted means gone: a new record starts at version 1 again.
    assert_eq!(
        store.put_quota_sync(&pushed, None).await.expect("recreate"),
        1
    );
}

pub async fn quota_sync_puts_are_conditional(store: SharedStore) {
    let mut record = quota_sync(174);
    assert_eq!(store.put_quota_sync(&record, None).await.expect("new"), 1);

    let again = store
        .put_quota_sync(&record, None)
        .await
        .expect_err("exists already");
    assert_eq!(conflict_version(&again), Some(1));

    record.pushed_snapshot_version = Some(8);
    assert_eq!(
        store
            .put_quota_sync(&record, Some(1))
            .await
            .expect("at version"),
        2
    );

    let mut stale = record.clone();
    stale.pushed_snapshot_version = Some(99);
    let err = store
        .put_quota_sync(&stale, Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));
    let err = store
        .put_quota_sync(&stale, Some(3))
        .await
        .expect_err("ahead");
    assert_eq!(conflict_version(&err), Some(2));
    assert_eq!(
        store.get_quota_sync(174).await.expect("get"),
        Some(Versioned {
            value: record,
            version: 2
        }),
        "a lost write changes nothing"
    );

    let absent = store
        .put_quota_sync(&never_pushed(175), Some(1))
        .await
        .expect_err("no such record");
    assert!(matches!(absent, StoreError::NotFound { .. }), "{absent:?}");
    assert_eq!(store.get_quota_sync(175).await.expect("get"), None);
}

pub async fn quota_sync_race_has_one_winner(store: SharedStore) {
    let barrier = Arc::new(Barrier::new(4));
    let mut runs = Vec::new();
    for _ in 0..4 {
        let (store, barrier) = (store.clone(), barrier.clone());
        runs.push(tokio::spawn(async move {
            barrier.wait().await;
            store.put_quota_sync(&quota_sync(42), None).await
        }));
    }
    let mut won = 0;
    for run in runs {
        match run.await.expect("join") {
            Ok(1) => won += 1,
            Err(StoreError::Conflict { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one run creates the record");
}

pub async fn quota_syncs_batch_read_leaves_out_missing_ids(store: SharedStore) {
    assert!(
        store
            .get_quota_syncs(&[])
            .await
            .expect("nothing asked")
            .is_empty()
    );
    assert!(
        store
            .get_quota_syncs(&[1, 2, 3])
            .await
            .expect("none there")
            .is_empty()
    );

    for company_id in [3, 10, 174] {
        store
            .put_quota_sync(&quota_sync(company_id), None)
            .await
            .expect("put");
    }
    store
        .put_quota_sync(&quota_sync(10), Some(1))
        .await
        .expect("second version");

    // Missing ids are absent; a repeated id is read once.
    let read = store
        .get_quota_syncs(&[174, 4, 10, 3, 0, 174])
        .await
        .expect("batch");
    assert_eq!(read.keys().copied().collect::<Vec<_>>(), [3, 10, 174]);
    assert_eq!(read[&10].version, 2);
    assert_eq!(read[&3].version, 1);
    assert_eq!(read[&174].value, quota_sync(174));
    assert_eq!(
        store.get_quota_sync(174).await.expect("get").as_ref(),
        Some(&read[&174]),
        "one at a time and in a batch agree"
    );
}

pub async fn quota_syncs_batch_read_of_100_ids(store: SharedStore) {
    let ids: Vec<i64> = (1..=MAX_QUOTA_SYNC_IDS as i64).map(|i| i * 1_000).collect();
    // Every third company was never written.
    let stored: Vec<i64> = ids.iter().copied().filter(|id| id % 3_000 != 0).collect();
    for &company_id in &stored {
        let mut record = quota_sync(company_id);
        record.pushed_snapshot_version = Some(company_id as u64);
        store.put_quota_sync(&record, None).await.expect("put");
    }
    assert_eq!(ids.len(), 100);

    let read = store.get_quota_syncs(&ids).await.expect("batch of 100");
    assert_eq!(read.keys().copied().collect::<Vec<_>>(), stored);
    for (company_id, record) in &read {
        assert_eq!(record.version, 1);
        assert_eq!(record.value.company_id, *company_id);
        assert_eq!(
            record.value.pushed_snapshot_version,
            Some(*company_id as u64)
        );
    }
}

pub async fn quota_syncs_batch_read_refuses_over_100_ids(store: SharedStore) {
    store
        .put_quota_sync(&quota_sync(1), None)
        .await
        .expect("put");
    let ids: Vec<i64> = (1..=MAX_QUOTA_SYNC_IDS as i64 + 1).collect();
    let err = store.get_quota_syncs(&ids).await.expect_err("101 ids");
    assert!(err.to_string().contains("101"), "{err}");
    assert_invalid(err, "company_ids");
    assert_invalid(
        store
            .get_quota_syncs(&[1, -5])
            .await
            .expect_err("negative id"),
        "company_ids",
    );
}

pub async fn quota_sync_invalid_records_write_nothing(store: SharedStore) {
    let company_id = 174;
    let long = |n: usize| "n".repeat(n);
    let with = |change: &dyn Fn(&mut QuotaSync)| {
        let mut record = quota_sync(company_id);
        change(&mut record);
        record
    };
    let cases: Vec<(&str, QuotaSync)> = vec![
        ("company_id", with(&|r| r.company_id = -1)),
        ("tenant_id", with(&|r| r.tenant_id = "  ".to_owned())),
        ("tenant_id", with(&|r| r.tenant_id = long(513))),
        (
            "bases",
            with(&|r| {
                r.bases = (0..=MAX_QUOTA_BASES)
                    .map(|i| base(&format!("i{i}"), None, None))
                    .collect()
            }),
        ),
        ("bases.name", with(&|r| r.bases[1].name = String::new())),
        (
            "bases.name",
            with(&|r| r.bases[1].name = long(MAX_QUOTA_NAME_CHARS + 1)),
        ),
        (
            "bases.infra_id",
            with(&|r| r.bases[1].infra_id = Some(long(MAX_QUOTA_NAME_CHARS + 1))),
        ),
        (
            "bases.infra_id",
            with(&|r| r.bases[1].infra_id = Some(String::new())),
        ),
        (
            "bases",
            with(&|r| r.bases.push(base("workstations", None, Some(3)))),
        ),
        (
            "last_error.message",
            with(&|r| {
                if let Some(error) = r.last_error.as_mut() {
                    error.message = long(MAX_QUOTA_ERROR_CHARS + 1);
                }
            }),
        ),
        (
            "quota_sync",
            with(&|r| {
                r.bases = (0..400)
                    .map(|i| base(&format!("{i:03}{}", long(190)), None, Some(i)))
                    .collect()
            }),
        ),
    ];

    // Refused when new: nothing appears.
    for (field, record) in &cases {
        let err = store
            .put_quota_sync(record, None)
            .await
            .expect_err("invalid record");
        assert_invalid(err, field);
        assert_eq!(
            store.get_quota_sync(company_id).await.expect("get"),
            None,
            "{field}"
        );
    }

    // Refused as an update: the stored record stays at its version.
    let good = quota_sync(company_id);
    store.put_quota_sync(&good, None).await.expect("valid");
    for (field, record) in cases.iter().filter(|(field, _)| *field != "company_id") {
        let err = store
            .put_quota_sync(record, Some(1))
            .await
            .expect_err("invalid update");
        assert_invalid(err, field);
    }
    assert_eq!(
        store.get_quota_sync(company_id).await.expect("get"),
        Some(Versioned {
            value: good,
            version: 1
        })
    );

    // Bounds count characters, not bytes.
    let wide = with(&|r| {
        r.bases[1].name = "é".repeat(MAX_QUOTA_NAME_CHARS);
        r.bases[1].infra_id = Some("ü".repeat(MAX_QUOTA_NAME_CHARS));
        if let Some(error) = r.last_error.as_mut() {
            error.message = "ß".repeat(MAX_QUOTA_ERROR_CHARS);
        }
    });
    assert_eq!(
        store
            .put_quota_sync(&wide, Some(1))
            .await
            .expect("at the bounds"),
        2
    );
    assert_eq!(
        store
            .get_quota_sync(company_id)
            .await
            .expect("get")
            .map(|r| r.value),
        Some(wide)
    );

    // A negative id is refused by every call.
    assert_invalid(
        store.get_quota_sync(-1).await.expect_err("negative"),
        "company_id",
    );
    assert_invalid(
        store.delete_quota_sync(-1).await.expect_err("negative"),
        "company_id",
    );
}

pub async fn quota_sync_over_the_size_limit_is_refused(store: SharedStore) {
    // Bases of the longest names, then the failure message pads the JSON to exactly the
    // limit, then one byte over.
    let with = |bases: usize, pad: usize| {
        let mut record = quota_sync(174);
        record.bases = (0..bases)
            .map(|i| {
                let name = format!("{i:04}{}", "n".repeat(MAX_QUOTA_NAME_CHARS - 4));
                base(&name, None, Some(i as u64))
            })
            .collect();
        if let Some(error) = record.last_error.as_mut() {
            error.message = "x".repeat(pad);
        }
        record
    };
    let size = |record: &QuotaSync| serde_json::to_string(record).expect("serializes").len();
    let mut bases = 0;
    while size(&with(bases + 1, 0)) <= MAX_QUOTA_SYNC_BYTES {
        bases += 1;
    }
    let pad = MAX_QUOTA_SYNC_BYTES - size(&with(bases, 0));
    assert!(
        pad < MAX_QUOTA_ERROR_CHARS,
        "the message stays within its bound"
    );
    let at_limit = with(bases, pad);
    let over = with(bases, pad + 1);
    assert_eq!(size(&at_limit), MAX_QUOTA_SYNC_BYTES);

    store
        .put_quota_sync(&at_limit, None)
        .await
        .expect("at the limit");
    assert_eq!(
        store.get_quota_sync(174).await.expect("get"),
        Some(Versioned {
            value: at_limit.clone(),
            version: 1
        })
    );
    assert_eq!(
        store
            .get_quota_syncs(&[174])
            .await
            .expect("batch")
            .get(&174)
            .map(|r| &r.value),
        Some(&at_limit)
    );

    let err = store
        .put_quota_sync(&over, Some(1))
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("65536"), "{err}");
    assert_invalid(err, "quota_sync");
    assert_eq!(
        store.get_quota_sync(174).await.expect("get"),
        Some(Versioned {
            value: at_limit,
            version: 1
        })
    );
}
