//! The conformance suite against the embedded SQLite adapter (a file in WAL mode, as
//! local mode uses it), plus what only this adapter has: reopening a file.

mod conformance;

use std::path::PathBuf;
use std::sync::Arc;

use bridge_core::settings::Settings;
use bridge_store::store::SqliteStore;
use bridge_store::store::prelude::*;
use conformance::{SharedStore, conformance_suite};

/// A private folder removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("bridge-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn sqlite_store() -> (TempDir, SharedStore) {
    let dir = TempDir::new();
    let store = SqliteStore::open(dir.0.join("store.db"))
        .await
        .expect("open store");
    (dir, Arc::new(store))
}

conformance_suite!(sqlite_store);

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

#[tokio::test]
async fn in_memory_store_is_private() {
    let a = SqliteStore::open_in_memory().await.expect("open");
    let b = SqliteStore::open_in_memory().await.expect("open");
    a.put_cursor("x", "1", None).await.expect("put");
    assert!(b.get_cursor("x").await.expect("get").is_none());
    assert!(a.get_cursor("x").await.expect("get").is_some());
}
