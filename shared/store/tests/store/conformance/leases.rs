//! Leases and cursors.

use super::*;

pub async fn lease_race_has_one_winner(store: SharedStore) {
    let holders = 6;
    let barrier = Arc::new(Barrier::new(holders));
    let tasks: Vec<_> = (0..holders)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .acquire_lease(
                        "usage-reporting",
                        &format!("holder-{i}"),
                        Duration::from_secs(60),
                        t0(),
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Some(lease) = task.await.expect("task").expect("acquire") {
            winners.push(lease);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one holder gets the lease: {winners:?}"
    );
    let winner = &winners[0];
    assert_eq!(winner.expires_at, t0() + secs(60));
    // The loser's view is the winner's: nobody else can take it while it is live.
    let late = store
        .acquire_lease(
            "usage-reporting",
            "latecomer",
            Duration::from_secs(60),
            t0() + secs(59),
        )
        .await
        .expect("acquire");
    assert!(late.is_none());
}

pub async fn lease_of_crashed_holder_is_taken_after_ttl(store: SharedStore) {
    let ttl = Duration::from_secs(30);
    let a = store
        .acquire_lease("contract-polling", "a", ttl, t0())
        .await
        .expect("acquire");
    assert_eq!(a.expect("free lease").holder, "a");
    // "a" crashes: it never renews nor releases.
    let early = store
        .acquire_lease("contract-polling", "b", ttl, t0() + secs(29))
        .await
        .expect("acquire");
    assert!(early.is_none(), "live lease must not be taken");
    let b = store
        .acquire_lease("contract-polling", "b", ttl, t0() + secs(30))
        .await
        .expect("acquire")
        .expect("expired lease is taken");
    assert_eq!(
        (b.holder.as_str(), b.acquired_at, b.expires_at),
        ("b", t0() + secs(30), t0() + secs(60))
    );
    // The crashed holder coming back has lost it.
    assert!(
        store
            .renew_lease("contract-polling", "a", ttl, t0() + secs(31))
            .await
            .expect("renew")
            .is_none()
    );
    assert!(
        !store
            .release_lease("contract-polling", "a")
            .await
            .expect("release")
    );
    // Other jobs' leases are independent.
    assert!(
        store
            .acquire_lease("alert-ingestion", "a", ttl, t0() + secs(31))
            .await
            .expect("acquire")
            .is_some()
    );
}

pub async fn lease_renew_and_release_only_by_holder(store: SharedStore) {
    let ttl = Duration::from_secs(30);
    let job = "quota-push";
    store
        .acquire_lease(job, "a", ttl, t0())
        .await
        .expect("acquire")
        .expect("free");

    assert!(
        store
            .renew_lease(job, "b", ttl, t0() + secs(10))
            .await
            .expect("renew")
            .is_none()
    );
    assert!(!store.release_lease(job, "b").await.expect("release"));

    let renewed = store
        .renew_lease(job, "a", ttl, t0() + secs(20))
        .await
        .expect("renew")
        .expect("ours");
    assert_eq!(
        (renewed.acquired_at, renewed.expires_at),
        (t0(), t0() + secs(50))
    );
    // The renewal holds past the original expiry.
    assert!(
        store
            .acquire_lease(job, "b", ttl, t0() + secs(40))
            .await
            .expect("acquire")
            .is_none()
    );
    // Re-acquiring one's own live lease is allowed (a retried invocation).
    let again = store
        .acquire_lease(job, "a", ttl, t0() + secs(41))
        .await
        .expect("acquire")
        .expect("ours");
    assert_eq!(again.expires_at, t0() + secs(71));

    assert!(store.release_lease(job, "a").await.expect("release"));
    assert!(!store.release_lease(job, "a").await.expect("release twice"));
    assert!(
        store
            .renew_lease(job, "a", ttl, t0() + secs(42))
            .await
            .expect("renew")
            .is_none()
    );
    let b = store
        .acquire_lease(job, "b", ttl, t0() + secs(42))
        .await
        .expect("acquire");
    assert_eq!(b.expect("released lease is free").holder, "b");
}

pub async fn cursors_are_versioned(store: SharedStore) {
    let name = "contracts.modified-since";
    assert!(store.get_cursor(name).await.expect("get").is_none());
    let err = store
        .put_cursor(name, "x", Some(1))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    assert_eq!(
        store
            .put_cursor(name, "2026-10-01T08:00:00Z", None)
            .await
            .expect("create"),
        1
    );
    assert_eq!(
        store
            .put_cursor(name, "2026-10-01T08:01:00Z", Some(1))
            .await
            .expect("advance"),
        2
    );
    let err = store
        .put_cursor(name, "2026-10-01T07:00:00Z", Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));

    let cursor = store.get_cursor(name).await.expect("get").expect("present");
    assert_eq!(
        (cursor.value.as_str(), cursor.version),
        ("2026-10-01T08:01:00Z", 2)
    );
    assert!(
        store
            .get_cursor("alerts.updated-since")
            .await
            .expect("get")
            .is_none()
    );
    let err = store.get_cursor("").await.expect_err("blank name");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
}
