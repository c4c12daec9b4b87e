//! Settings: the `settings` document.

use async_trait::async_trait;
use bridge_core::records::{DatabaseIdentity, PauseState, Versioned};
use bridge_core::settings::Settings;

use super::{SqliteStore, kind};
use crate::store::{SettingsStore, StoreResult};

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_settings(&self) -> StoreResult<Option<Versioned<Settings>>> {
        self.get_doc(kind::SETTINGS, String::new()).await
    }

    async fn put_settings(
        &self,
        settings: &Settings,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        self.put_doc(kind::SETTINGS, String::new(), settings, expected_version)
            .await
    }

    async fn get_pause(&self) -> StoreResult<Option<Versioned<PauseState>>> {
        self.get_doc(kind::PAUSE, String::new()).await
    }

    async fn put_pause(
        &self,
        pause: &PauseState,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        self.put_doc(kind::PAUSE, String::new(), pause, expected_version)
            .await
    }

    async fn get_database_identity(&self) -> StoreResult<Option<Versioned<DatabaseIdentity>>> {
        self.get_doc(kind::DATABASE, String::new()).await
    }

    async fn put_database_identity(
        &self,
        identity: &DatabaseIdentity,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        self.put_doc(kind::DATABASE, String::new(), identity, expected_version)
            .await
    }
}
