//! Applications (services such as Cyber Protection) and which tenants have them.

use crate::client::{AcronisClient, api2, seg};
use crate::error::Error;
use crate::transport::Call;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// Stable id of Cyber Protection (Backup).
pub const BACKUP_APPLICATION_ID: &str = "6e6d758d-8e74-3ae3-ac84-50eb0dff12eb";
/// Stable id of File Sync & Share.
pub const FILES_CLOUD_APPLICATION_ID: &str = "dfd85a5f-a464-32ab-81fd-99bcc66a070f";

/// `GET /applications` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    /// `backup`, `files_cloud`, `platform`, …
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub api_base_url: Option<String>,
}

impl AcronisClient {
    /// Every application of the platform.
    pub async fn applications(&self) -> Result<Vec<Application>, Error> {
        self.all_pages(Call::get(api2("/applications")), "applications")
            .await
    }

    /// Ids of the applications enabled for a tenant.
    pub async fn tenant_applications(&self, tenant: &str) -> Result<Vec<String>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/applications", seg(tenant))));
        self.all_pages(call, "tenant applications").await
    }

    /// Enables an application for a tenant. Binding twice changes nothing, so it is
    /// retried like a read.
    pub async fn enable_application(
        &self,
        application_id: &str,
        tenant: &str,
    ) -> Result<(), Error> {
        let call = Call::new(
            Method::POST,
            api2(format!(
                "/applications/{}/bindings/tenants/{}",
                seg(application_id),
                seg(tenant)
            )),
        )
        .idempotent();
        self.send(call).await.map(drop)
    }
}
