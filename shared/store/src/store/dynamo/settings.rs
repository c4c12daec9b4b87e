//! Settings: one versioned item.

use async_trait::async_trait;
use bridge_core::records::{DatabaseIdentity, PauseState, Versioned};
use bridge_core::settings::Settings;

use super::DynamoStore;
use super::item::key;
use crate::store::{SettingsStore, StoreResult};

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn get_settings(&self) -> StoreResult<Option<Versioned<Settings>>> {
        let (pk, sk) = key::SETTINGS;
        self.get_doc(pk.to_owned(), sk, "settings").await
    }

    async fn put_settings(
        &self,
        settings: &Settings,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let (pk, sk) = key::SETTINGS;
        self.put_doc(
            pk.to_owned(),
            sk,
            "settings".to_owned(),
            settings,
            expected_version,
        )
        .await
    }

    async fn get_pause(&self) -> StoreResult<Option<Versioned<PauseState>>> {
        let (pk, sk) = key::PAUSE;
        self.get_doc(pk.to_owned(), sk, "pause switch").await
    }

    async fn put_pause(
        &self,
        pause: &PauseState,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let (pk, sk) = key::PAUSE;
        self.put_doc(
            pk.to_owned(),
            sk,
            "pause switch".to_owned(),
            pause,
            expected_version,
        )
        .await
    }

    async fn get_database_identity(&self) -> StoreResult<Option<Versioned<DatabaseIdentity>>> {
        let (pk, sk) = key::DATABASE;
        self.get_doc(pk.to_owned(), sk, "database identity").await
    }

    async fn put_database_identity(
        &self,
        identity: &DatabaseIdentity,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let (pk, sk) = key::DATABASE;
        self.put_doc(
            pk.to_owned(),
            sk,
            "database identity".to_owned(),
            identity,
            expected_version,
        )
        .await
    }
}
