//! The audit log.

use super::*;

pub async fn audit_newest_first_with_filters(store: SharedStore) {
    // Ten entries a minute apart, alternating kinds; ids deliberately not in time order.
    let kinds = ["quota.changed", "mapping.created"];
    for i in 0..10i64 {
        let entry = audit(
            &format!("e{}", 9 - i),
            t0() + secs(60 * i),
            kinds[(i % 2) as usize],
        );
        store.append_audit(&entry).await.expect("append");
    }
    // Same instant, two entries: ordered by id, both kept.
    store
        .append_audit(&audit("z-same", t0() + secs(60 * 9), "quota.changed"))
        .await
        .expect("append");
    let err = store
        .append_audit(&audit("e0", t0() + secs(60 * 9), "quota.changed"))
        .await
        .expect_err("dup");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");

    let now = t0() + secs(86_400);
    let all = store
        .list_audit(&AuditQuery::default(), now)
        .await
        .expect("list");
    assert_eq!(all.next_page_token, None);
    assert_eq!(
        ids(&all.items),
        [
            "z-same", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"
        ]
    );
    assert_eq!(
        all.items[1],
        audit("e0", t0() + secs(540), "mapping.created"),
        "round trip"
    );

    let quota = AuditQuery {
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    let quota = store.list_audit(&quota, now).await.expect("list");
    assert_eq!(ids(&quota.items), ["z-same", "e1", "e3", "e5", "e7", "e9"]);

    // since is inclusive, until exclusive.
    let window = AuditQuery {
        since: Some(t0() + secs(120)),
        until: Some(t0() + secs(360)),
        ..AuditQuery::default()
    };
    let window = store.list_audit(&window, now).await.expect("list");
    assert_eq!(ids(&window.items), ["e4", "e5", "e6", "e7"]);

    let both = AuditQuery {
        since: Some(t0() + secs(120)),
        kind: Some("mapping.created".to_owned()),
        ..AuditQuery::default()
    };
    let both = store.list_audit(&both, now).await.expect("list");
    assert_eq!(ids(&both.items), ["e0", "e2", "e4", "e6"]);

    let only_until = AuditQuery {
        until: Some(t0() + secs(60)),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&store
            .list_audit(&only_until, now)
            .await
            .expect("list")
            .items),
        ["e9"]
    );

    // Small pages continue exactly where the previous one stopped.
    let paged = AuditQuery {
        limit: Some(3),
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    let pages = all_audit_pages(&store, paged, now).await;
    let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(flat, ["z-same", "e1", "e3", "e5", "e7", "e9"]);
    assert!(pages.iter().all(|p| p.len() <= 3));
}

pub async fn audit_pages_beyond_one_megabyte(store: SharedStore) {
    // ~300 entries of ~4 KB: well past DynamoDB's 1 MB page.
    let count = 300usize;
    let blob = "x".repeat(4096);
    let writes: Vec<_> = (0..count)
        .map(|i| {
            let mut entry = audit(
                &format!("big-{i:03}"),
                t0() + secs(i as i64),
                "usage.reported",
            );
            entry.after = Some(serde_json::json!({ "i": i, "blob": blob }));
            entry
        })
        .collect();
    for chunk in writes.chunks(25) {
        let tasks: Vec<_> = chunk
            .iter()
            .cloned()
            .map(|entry| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.append_audit(&entry).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("append");
        }
    }
    let now = t0() + secs(86_400);
    let newest_first: Vec<String> = (0..count).rev().map(|i| format!("big-{i:03}")).collect();

    // One call whose page is larger than 1 MB: the adapter must follow the backend's
    // continuation itself.
    let one = AuditQuery {
        limit: Some(1000),
        ..AuditQuery::default()
    };
    let page = store.list_audit(&one, now).await.expect("list");
    assert_eq!(ids(&page.items), newest_first);
    assert_eq!(
        page.items[0].after.as_ref().expect("after")["blob"]
            .as_str()
            .map(str::len),
        Some(4096)
    );

    // Many pages, by kind (the index) and without: all entries, none twice.
    for kind in [None, Some("usage.reported".to_owned())] {
        let query = AuditQuery {
            limit: Some(70),
            kind: kind.clone(),
            ..AuditQuery::default()
        };
        let pages = all_audit_pages(&store, query, now).await;
        let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
        let unique: HashSet<&String> = flat.iter().collect();
        assert_eq!(unique.len(), flat.len(), "no entry twice ({kind:?})");
        assert_eq!(flat, newest_first, "all entries in order ({kind:?})");
        assert!(pages.len() >= 5, "{} pages ({kind:?})", pages.len());
    }
}

pub async fn audit_hides_expired_entries(store: SharedStore) {
    let now = t0() + secs(1000);
    let mut expired = audit("expired", t0(), "quota.changed");
    expired.expires_at = Some(now - secs(1));
    let mut at_now = audit("expires-now", t0() + secs(1), "quota.changed");
    at_now.expires_at = Some(now);
    let mut live = audit("live", t0() + secs(2), "quota.changed");
    live.expires_at = Some(now + TimeDelta::milliseconds(1));
    let forever = audit("forever", t0() + secs(3), "mapping.created");
    for entry in [&expired, &at_now, &live, &forever] {
        store.append_audit(entry).await.expect("append");
    }

    let listed = store
        .list_audit(&AuditQuery::default(), now)
        .await
        .expect("list");
    assert_eq!(
        ids(&listed.items),
        ["forever", "live"],
        "expires_at <= now is gone"
    );
    let by_kind = AuditQuery {
        kind: Some("quota.changed".to_owned()),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&store.list_audit(&by_kind, now).await.expect("list").items),
        ["live"]
    );

    // Expired entries do not use up a page either.
    let one = AuditQuery {
        limit: Some(1),
        ..AuditQuery::default()
    };
    let pages = all_audit_pages(&store, one, now).await;
    let flat: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
    assert_eq!(flat, ["forever", "live"]);

    let later = now + secs(1);
    assert_eq!(
        ids(&store
            .list_audit(&AuditQuery::default(), later)
            .await
            .expect("list")
            .items),
        ["forever"]
    );
}
