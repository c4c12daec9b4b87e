//! Storages (infra components) and locations.

use crate::client::{AcronisClient, BATCH, api2, joined, seg};
use crate::error::Error;
use crate::transport::Call;
use serde::{Deserialize, Serialize};

/// A storage a tenant can back up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner_tenant_id: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub platform_owned: bool,
    /// `backup`, `disaster_recovery`, `files_cloud`, …
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// `azure` is confirmed; names for Amazon S3 and S3-compatible are not.
    #[serde(default)]
    pub backend_type: Option<String>,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub readonly: bool,
}

/// A location (data center region) holding storages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner_tenant_id: Option<String>,
    #[serde(default)]
    pub platform_owned: bool,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub readonly: bool,
}

#[derive(Deserialize)]
struct InfraIds {
    #[serde(default)]
    infras: Vec<String>,
}

#[derive(Deserialize)]
struct LocationIds {
    #[serde(default)]
    locations: Vec<String>,
}

impl AcronisClient {
    /// Ids of the storages available to a tenant (`{"infras": [...]}`).
    pub async fn tenant_infra(&self, tenant: &str) -> Result<Vec<String>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/infra", seg(tenant))));
        let ids: InfraIds = self.fetch(call, "tenant infra").await?;
        Ok(ids.infras)
    }

    /// `GET /infra?uuids=`, 100 ids per request.
    pub async fn infra(&self, uuids: &[String]) -> Result<Vec<Storage>, Error> {
        let mut storages = Vec::with_capacity(uuids.len());
        for chunk in uuids.chunks(BATCH) {
            let call = Call::get(api2("/infra")).query("uuids", joined(chunk));
            storages.extend(self.all_pages::<Storage>(call, "infra").await?);
        }
        Ok(storages)
    }

    /// The storages of a tenant, in two requests.
    pub async fn tenant_storages(&self, tenant: &str) -> Result<Vec<Storage>, Error> {
        let ids = self.tenant_infra(tenant).await?;
        self.infra(&ids).await
    }

    /// Ids of a tenant's locations (`{"locations": [...]}`).
    pub async fn tenant_locations(&self, tenant: &str) -> Result<Vec<String>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/locations", seg(tenant))));
        let ids: LocationIds = self.fetch(call, "tenant locations").await?;
        Ok(ids.locations)
    }

    /// `GET /locations?uuids=`, 100 ids per request.
    pub async fn locations(&self, uuids: &[String]) -> Result<Vec<Location>, Error> {
        let mut locations = Vec::with_capacity(uuids.len());
        for chunk in uuids.chunks(BATCH) {
            let call = Call::get(api2("/locations")).query("uuids", joined(chunk));
            locations.extend(self.all_pages::<Location>(call, "locations").await?);
        }
        Ok(locations)
    }
}
