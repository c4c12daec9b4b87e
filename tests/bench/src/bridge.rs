//! The bridge as the harness runs it: the embedded store and the secrets file in one
//! folder, which the setup fills once and every job process then opens.

use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials};
use bridge_core::mapping::{
    AlertMapping, CustomerMapping, MappedTenantKind, MappingOrigin, ServiceMapping, ServiceRef,
    StorageMapping,
};
use bridge_core::settings::{Features, ReportingPeriod, Settings, Tickets};
use bridge_jobs::{Clock, Context, SystemClock};
use bridge_store::events::InProcessBus;
use bridge_store::secrets::{FileSecretSource, SecretSource};
use bridge_store::store::prelude::*;
use bridge_store::store::{DynamoStore, SqliteStore};
use simulators::acronis::{GENERATED_STORAGE_ID, generated_customer_id};
use simulators::autotask::{DEMO_INTEGRATION_CODE, DEMO_SECRET, DEMO_USER};
use std::path::Path;
use std::sync::Arc;

/// Where the simulators are, as every job process is told.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub zone_lookup: String,
    pub acronis: String,
    /// A DynamoDB-protocol server (moto) and the table to keep the bridge's state in;
    /// `None`: the embedded store.
    pub dynamo: Option<Dynamo>,
}

#[derive(Debug, Clone)]
pub struct Dynamo {
    pub endpoint: String,
    pub table: String,
}

impl Dynamo {
    /// A client of the server with moto's dummy credentials.
    pub async fn client(&self) -> aws_sdk_dynamodb::Client {
        let credentials = aws_credential_types::Credentials::new(
            test_harness::ACCESS_KEY,
            test_harness::SECRET_KEY,
            None,
            None,
            "moto",
        );
        let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(test_harness::REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await;
        aws_sdk_dynamodb::Client::new(&aws)
    }
}

/// The store the endpoints name: the embedded one in `dir`, or the DynamoDB table.
async fn store(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &endpoints.dynamo {
        Some(dynamo) => Arc::new(DynamoStore::new(dynamo.client().await, &dynamo.table)),
        None => Arc::new(SqliteStore::open(dir.join("bridge.db")).await?),
    })
}

/// Saves the settings and both credentials, and maps each of the `companies` to its
/// tenant (the steady state of a large MSP).
pub async fn set_up(dir: &Path, endpoints: &Endpoints, companies: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    if let Some(dynamo) = &endpoints.dynamo {
        DynamoStore::create_table(&dynamo.client().await, &dynamo.table).await?;
    }
    let store = store(dir, endpoints).await?;
    let secrets = FileSecretSource::new(dir.join("secrets.json"));
    secrets
        .put_autotask(&AutotaskCredentials {
            username: DEMO_USER.into(),
            secret: DEMO_SECRET.into(),
            integration_code: DEMO_INTEGRATION_CODE.into(),
            zone_url: None,
            saved_at: None,
        })
        .await?;
    secrets
        .put_acronis(&AcronisCredentials {
            datacenter_url: endpoints.acronis.clone(),
            client_id: "demo-client".into(),
            client_secret: "demo-client-secret".into(),
            saved_at: None,
        })
        .await?;
    store.put_settings(&settings(), None).await?;
    let now = SystemClock.now();
    for i in 1..=companies {
        store
            .put_mapping(&CustomerMapping {
                held: None,
                deletion: None,
                company_id: i as i64,
                tenant_id: generated_customer_id(i),
                origin: MappingOrigin::Manual,
                created_at: now,
                no_services_since: None,
                tenant_kind: MappedTenantKind::Customer,
            })
            .await?;
    }
    Ok(())
}

/// The context a job process runs with, and the bus it announces changes on.
pub async fn open(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<(Context, InProcessBus)> {
    let store = store(dir, endpoints).await?;
    let bus = InProcessBus::new();
    let ctx = Context::new(
        store,
        Arc::new(FileSecretSource::new(dir.join("secrets.json"))),
        Arc::new(bus.clone()),
        Arc::new(SystemClock),
        endpoints.zone_lookup.clone(),
    );
    Ok((ctx, bus))
}

/// Every job on: billing with the generated catalogue's services mapped (workstations,
/// servers, M365 seats, the storage's total), tickets for `BackupFailed` alerts, usage
/// reported for the current month; provisioning manual.
pub fn settings() -> Settings {
    let row = |item: &str, id: i64| ServiceMapping {
        offering_item: item.into(),
        service: Some(ServiceRef::Id(id)),
        ..ServiceMapping::default()
    };
    let mut settings = Settings {
        features: Features {
            billing: true,
            ticket_creation: true,
            ..Features::default()
        },
        service_mappings: vec![
            row("pw_base_workstations", 1),
            row("pw_base_servers", 2),
            row("pw_base_o365_seats", 4),
        ],
        storage_mappings: vec![StorageMapping {
            infra_id: GENERATED_STORAGE_ID.into(),
            quota_and_total: Some(ServiceRef::Id(6)),
            ..StorageMapping::default()
        }],
        tickets: Tickets {
            note_type: Some(1),
            note_publish: Some(1),
            auto_close: true,
            auto_close_status: Some(5),
            ..Tickets::default()
        },
        alert_mappings: vec![AlertMapping {
            alert_type: "BackupFailed".into(),
            priority: Some(1),
            status: Some(1),
            queue: Some(29682833),
            ..AlertMapping::default()
        }],
        ..Settings::default()
    };
    settings.usage_reporting.period = ReportingPeriod::CurrentCalendarMonth;
    settings
}
