//! Settings: one versioned document.

use super::*;

pub async fn settings_create_update_and_stale_conflict(store: SharedStore) {
    assert!(store.get_settings().await.expect("get").is_none());
    let settings = Settings::default();

    let err = store
        .put_settings(&settings, Some(1))
        .await
        .expect_err("nothing at v1");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    assert_eq!(
        store.put_settings(&settings, None).await.expect("create"),
        1
    );
    let read = store.get_settings().await.expect("get").expect("present");
    assert_eq!((read.version, &read.value), (1, &settings));

    let err = store
        .put_settings(&settings, None)
        .await
        .expect_err("exists");
    assert_eq!(conflict_version(&err), Some(1));

    assert_eq!(
        store
            .put_settings(&settings, Some(1))
            .await
            .expect("update"),
        2
    );
    let err = store
        .put_settings(&settings, Some(1))
        .await
        .expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));
    let err = store
        .put_settings(&settings, Some(9))
        .await
        .expect_err("from the future");
    assert_eq!(conflict_version(&err), Some(2));
    assert_eq!(
        store
            .get_settings()
            .await
            .expect("get")
            .expect("present")
            .version,
        2
    );
}

pub async fn settings_race_has_one_winner(store: SharedStore) {
    // Round 0 races on creation, later rounds on the same expected version.
    for round in 0..5u64 {
        let expected = (round > 0).then_some(round);
        let barrier = Arc::new(Barrier::new(2));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.put_settings(&Settings::default(), expected).await
                })
            })
            .collect();
        let mut wins = 0;
        for writer in writers {
            match writer.await.expect("writer task") {
                Ok(version) => {
                    assert_eq!(version, round + 1);
                    wins += 1;
                }
                Err(err) => assert_eq!(conflict_version(&err), Some(round + 1), "round {round}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one writer wins");
    }
}

/// The pause switch: its own versioned document beside the settings, untouched by
/// settings saves and leaving them untouched.
pub async fn pause_switch_is_versioned_and_apart_from_the_settings(store: SharedStore) {
    use bridge_core::records::PauseState;
    assert!(store.get_pause().await.expect("get").is_none());
    let paused = PauseState {
        paused: true,
        by: "arn:aws:iam::1:user/ops".to_owned(),
        at: t0(),
        reason: Some("Autotask migration tonight".to_owned()),
    };
    assert_eq!(store.put_pause(&paused, None).await.expect("create"), 1);
    let err = store.put_pause(&paused, None).await.expect_err("exists");
    assert_eq!(conflict_version(&err), Some(1));

    // Saving the settings neither reads nor moves the pause switch.
    store
        .put_settings(&Settings::default(), None)
        .await
        .expect("settings");
    let read = store.get_pause().await.expect("get").expect("present");
    assert_eq!((read.version, &read.value), (1, &paused));

    let resumed = PauseState {
        paused: false,
        by: "ops@example.com".to_owned(),
        at: t0() + secs(60),
        reason: None,
    };
    assert_eq!(store.put_pause(&resumed, Some(1)).await.expect("resume"), 2);
    let err = store.put_pause(&paused, Some(1)).await.expect_err("stale");
    assert_eq!(conflict_version(&err), Some(2));
    let read = store.get_pause().await.expect("get").expect("present");
    assert_eq!((read.version, &read.value), (2, &resumed));
    assert_eq!(
        store.get_settings().await.expect("get").map(|s| s.version),
        Some(1)
    );
}

/// The Autotask database identity: a versioned document of its own.
pub async fn database_identity_is_versioned(store: SharedStore) {
    use bridge_core::records::DatabaseIdentity;
    assert!(store.get_database_identity().await.expect("get").is_none());
    let first = DatabaseIdentity {
        ci: 123_456,
        zone_url: "https://webservices15.autotask.net/ATServicesRest/".to_owned(),
        recorded_at: t0(),
        recorded_by: "ops@example.com".to_owned(),
        mismatch: None,
    };
    assert_eq!(
        store
            .put_database_identity(&first, None)
            .await
            .expect("create"),
        1
    );
    let err = store
        .put_database_identity(&first, None)
        .await
        .expect_err("exists");
    assert_eq!(conflict_version(&err), Some(1));
    let moved = DatabaseIdentity {
        zone_url: "https://webservices2.autotask.net/ATServicesRest/".to_owned(),
        ..first.clone()
    };
    assert_eq!(
        store
            .put_database_identity(&moved, Some(1))
            .await
            .expect("update"),
        2
    );
    let read = store
        .get_database_identity()
        .await
        .expect("get")
        .expect("present");
    assert_eq!((read.version, &read.value), (2, &moved));
    assert!(store.get_pause().await.expect("get").is_none());
}
