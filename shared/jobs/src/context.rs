//! Everything a job reaches the world through, built once per process (per Lambda
//! container) and shared by every run.

use crate::clock::{Clock, SystemClock};
use crate::error::JobError;
use acronis::{AcronisClient, AcronisConfig};
use autotask::{AutotaskClient, AutotaskConfig, Credentials};
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_store::events::{EventBridgeBus, EventBus};
use bridge_store::secrets::{SecretSource, SecretsManagerSource};
use bridge_store::store::{DynamoStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Environment variables a deployed function reads (set by `infra/template.yaml`).
pub mod env {
    pub const TABLE: &str = "BRIDGE_TABLE";
    pub const AUTOTASK_SECRET: &str = "BRIDGE_AUTOTASK_SECRET_ID";
    pub const ACRONIS_SECRET: &str = "BRIDGE_ACRONIS_SECRET_ID";
    pub const EVENT_BUS: &str = "BRIDGE_EVENT_BUS";
    /// Optional: where Autotask zone lookups go (default: Autotask's own host).
    pub const AUTOTASK_ZONE_LOOKUP_URL: &str = "BRIDGE_AUTOTASK_ZONE_LOOKUP_URL";
}

/// The AWS configuration of the environment (region and credentials of the Lambda role).
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

pub struct Context {
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn SecretSource>,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
    /// Where the Autotask zone lookup goes: Autotask's host when deployed, the
    /// simulator's in the demo and in tests.
    pub autotask_zone_lookup_url: String,
    autotask: Mutex<Option<(AutotaskCredentials, AutotaskClient)>>,
    acronis: Mutex<Option<(AcronisCredentials, AcronisClient)>>,
    /// When this process last found the cached Autotask client in the recorded
    /// database; forgotten with the client when the credentials change.
    database_checked: Mutex<Option<Instant>>,
}

impl Context {
    pub fn new(
        store: Arc<dyn Store>,
        secrets: Arc<dyn SecretSource>,
        bus: Arc<dyn EventBus>,
        clock: Arc<dyn Clock>,
        autotask_zone_lookup_url: impl Into<String>,
    ) -> Self {
        Self {
            store,
            secrets,
            bus,
            clock,
            autotask_zone_lookup_url: autotask_zone_lookup_url.into(),
            autotask: Mutex::new(None),
            acronis: Mutex::new(None),
            database_checked: Mutex::new(None),
        }
    }

    /// The deployed context: DynamoDB, Secrets Manager and EventBridge named by the
    /// environment (see [`env`]), with the credentials of the Lambda role.
    pub async fn from_env() -> Result<Context, JobError> {
        Self::from_env_with(&aws_config().await).await
    }

    /// [`Context::from_env`] with an AWS configuration already loaded.
    pub async fn from_env_with(aws: &aws_config::SdkConfig) -> Result<Context, JobError> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                JobError::NotConfigured(format!("environment variable {name} is not set"))
            })
        };
        let table = var(env::TABLE)?;
        let autotask_secret = var(env::AUTOTASK_SECRET)?;
        let acronis_secret = var(env::ACRONIS_SECRET)?;
        let bus_name = var(env::EVENT_BUS)?;
        let zone_lookup = std::env::var(env::AUTOTASK_ZONE_LOOKUP_URL)
            .unwrap_or_else(|_| autotask::DEFAULT_ZONE_LOOKUP_URL.to_string());
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), table);
        let secrets = SecretsManagerSource::new(
            aws_sdk_secretsmanager::Client::new(aws),
            autotask_secret,
            acronis_secret,
        );
        let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(aws), bus_name);
        Ok(Context::new(
            Arc::new(store),
            Arc::new(secrets),
            Arc::new(bus),
            Arc::new(SystemClock),
            zone_lookup,
        ))
    }

    /// The Autotask client for the saved credentials.
    ///
    /// Credentials are re-read on every call (one cheap secret read per run), so new
    /// credentials saved through the config API take effect at the next run; the client,
    /// with its zone and budget state, is kept while they stay the same.
    pub async fn autotask(&self) -> Result<AutotaskClient, JobError> {
        let creds = self.secrets.get_autotask().await?.ok_or_else(|| {
            JobError::NotConfigured("Autotask credentials (PUT /credentials/autotask)".into())
        })?;
        let mut cached = self.autotask.lock().await;
        if let Some((saved, client)) = cached.as_ref()
            && same_autotask(saved, &creds)
        {
            return Ok(client.clone());
        }
        let mut config = AutotaskConfig::new(Credentials {
            username: creds.username.clone(),
            secret: creds.secret.clone(),
            integration_code: creds.integration_code.clone(),
        });
        config.zone_lookup_url = self.autotask_zone_lookup_url.clone();
        config.zone_url = creds.zone_url.clone();
        let client = AutotaskClient::new(config)?;
        *cached = Some((creds, client.clone()));
        *self.database_checked.lock().await = None;
        Ok(client)
    }

    /// Whether the current Autotask client was found in the recorded database less than
    /// `within` ago.
    pub(crate) async fn database_checked_within(&self, within: Duration) -> bool {
        self.database_checked
            .lock()
            .await
            .is_some_and(|at| at.elapsed() < within)
    }

    pub(crate) async fn database_checked_now(&self) {
        *self.database_checked.lock().await = Some(Instant::now());
    }

    /// The Acronis client for the saved credentials (same caching rule as
    /// [`Context::autotask`]; the OAuth token lives in the client).
    pub async fn acronis(&self) -> Result<AcronisClient, JobError> {
        let creds = self.secrets.get_acronis().await?.ok_or_else(|| {
            JobError::NotConfigured("Acronis credentials (PUT /credentials/acronis)".into())
        })?;
        let mut cached = self.acronis.lock().await;
        if let Some((saved, client)) = cached.as_ref()
            && same_acronis(saved, &creds)
        {
            return Ok(client.clone());
        }
        let config = AcronisConfig::new(
            creds.datacenter_url.clone(),
            creds.client_id.clone(),
            creds.client_secret.clone(),
        );
        let client = AcronisClient::new(config)?;
        *cached = Some((creds, client.clone()));
        Ok(client)
    }
}

fn same_autotask(a: &AutotaskCredentials, b: &AutotaskCredentials) -> bool {
    a.username == b.username && a.secret == b.secret && a.integration_code == b.integration_code
}

fn same_acronis(a: &AcronisCredentials, b: &AcronisCredentials) -> bool {
    a.datacenter_url == b.datacenter_url
        && a.client_id == b.client_id
        && a.client_secret == b.client_secret
}
