//! The conformance suite against the embedded SQLite adapter (a file in WAL mode, as
//! local mode uses it), plus what only this adapter has: reopening a file.
//!
//! The adapter is behind bridge-store's `embedded` feature, which the crate's
//! dev-dependency on itself turns on for every test build. Should that ever be lost,
//! the cases below compile out and `sqlite_half_is_compiled_in` fails instead of the
//! suite passing with half of it missing.

#[cfg(feature = "embedded")]
use std::path::PathBuf;
#[cfg(feature = "embedded")]
use std::sync::Arc;

#[cfg(feature = "embedded")]
use crate::conformance::{SharedStore, conformance_suite};
#[cfg(feature = "embedded")]
use bridge_core::settings::Settings;
#[cfg(feature = "embedded")]
use bridge_store::store::SqliteStore;
#[cfg(feature = "embedded")]
use bridge_store::store::prelude::*;

#[test]
#[allow(
    clippy::assertions_on_constants,
    reason = "the constant is the build's feature set: that is what is checked"
)]
fn sqlite_half_is_compiled_in() {
    assert!(
        cfg!(feature = "embedded"),
        "bridge-store's `embedded` feature is off, so the SQLite conformance tests were \
         compiled out; keep `bridge-store = {{ workspace = true, features = [\"embedded\"] }}` \
         in its [dev-dependencies] (or run with `--features embedded`)"
    );
}

/// A private folder removed when the test ends.
#[cfg(feature = "embedded")]
struct TempDir(PathBuf);

#[cfg(feature = "embedded")]
impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("bridge-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

#[cfg(feature = "embedded")]
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "embedded")]
async fn sqlite_store() -> (TempDir, SharedStore) {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.0.join("store.db"))
        .await
        .expect("open store");
    (dir, Arc::new(store))
}

#[cfg(feature = "embedded")]
conformance_suite!(sqlite_store);

#[cfg(feature = "embedded")]
#[tokio::test]
async fn reopened_file_keeps_state_and_runs_in_wal_mode() {
    let dir = TempDir::new();
    let path = dir.0.join("store.db");
    {
        let store = SqliteStore::open(&path).await.expect("open");
        store
            .put_settings(&Settings::default(), None)
            .await
            .expect("put");
        store.put_cursor("alerts", "c1", None).await.expect("put");
    }
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(
        store.get_settings().await.expect("get").map(|s| s.version),
        Some(1)
    );
    assert_eq!(
        store
            .get_cursor("alerts")
            .await
            .expect("get")
            .map(|c| c.value),
        Some("c1".to_owned())
    );
    assert!(dir.0.join("store.db-wal").exists(), "WAL journal in use");
}

#[cfg(feature = "embedded")]
#[tokio::test]
async fn in_memory_store_is_private() {
    let a = SqliteStore::open_in_memory().await.expect("open");
    let b = SqliteStore::open_in_memory().await.expect("open");
    a.put_cursor("x", "1", None).await.expect("put");
    assert!(b.get_cursor("x").await.expect("get").is_none());
    assert!(a.get_cursor("x").await.expect("get").is_some());
}

#[cfg(feature = "embedded")]
#[tokio::test]
async fn expired_usage_days_are_deleted_by_the_next_write() {
    use bridge_core::records::UsageDay;
    use bridge_store::store::USAGE_HISTORY_DAYS;
    use chrono::{Days, NaiveDate};

    let record = |tenant: &str, day: NaiveDate| UsageDay {
        tenant_id: tenant.to_owned(),
        day,
        figures: Vec::new(),
        seen_at: day.and_hms_opt(12, 0, 0).expect("noon").and_utc(),
    };
    let first = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let after = |n: i64| {
        first
            .checked_add_days(Days::new(n.unsigned_abs()))
            .expect("date")
    };
    let store = SqliteStore::open_in_memory().await.expect("open");
    store
        .put_usage_days(&[record("a", first), record("b", after(1))])
        .await
        .expect("put");
    let (from, to) = (first, after(USAGE_HISTORY_DAYS + 1));
    let kept = async |store: &SqliteStore| {
        let tenants = ["a".to_owned(), "b".to_owned()];
        store
            .latest_usage_days(&tenants, from, to)
            .await
            .expect("read")
            .into_keys()
            .collect::<Vec<_>>()
    };

    // Read on the last day of `a`'s retention: both are kept.
    store
        .put_usage_days(&[record("c", after(USAGE_HISTORY_DAYS - 1))])
        .await
        .expect("put");
    assert_eq!(kept(&store).await, ["a", "b"]);

    // A day later `a` has expired and goes with that write; `b` stays a day longer.
    store
        .put_usage_days(&[record("c", after(USAGE_HISTORY_DAYS))])
        .await
        .expect("put");
    assert_eq!(kept(&store).await, ["b"]);
}
