//! Usage figures of tenants (current billing period only).
//!
//! Usage is a periodic snapshot that lags by hours; the usage job skips missing or
//! stale figures rather than reporting them as zero.

use crate::client::{AcronisClient, BATCH, api2, joined, seg};
use crate::error::Error;
use crate::offering_items::Quota;
use crate::transport::Call;
use serde::{Deserialize, Serialize};

/// One usage figure of one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Item name with edition prefix, e.g. `pw_base_storage`.
    pub name: String,
    /// Name without prefix, e.g. `storage`.
    #[serde(default)]
    pub usage_name: Option<String>,
    #[serde(default)]
    pub tenant_uuid: Option<String>,
    /// `count`, `feature` or `infra`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub edition: Option<String>,
    #[serde(default)]
    pub infra_id: Option<String>,
    #[serde(default)]
    pub measurement_unit: Option<String>,
    /// Start of the current period.
    #[serde(default)]
    pub range_start: Option<String>,
    /// The figure billing uses: for gauges equal to `value`; for cumulative items
    /// (compute points) counted since enablement.
    pub absolute_value: u64,
    #[serde(default)]
    pub value: u64,
    /// When the figure was last refreshed, if the server says (usage lags by hours).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The related offering item, when one exists.
    #[serde(default)]
    pub offering_item: Option<UsageOfferingItem>,
}

/// The state of the item a usage belongs to (`{"status": 0}` when off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageOfferingItem {
    #[serde(default)]
    pub status: u8,
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// The usages of one tenant in a batch answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantUsages {
    pub tenant: String,
    #[serde(default)]
    pub usages: Vec<Usage>,
}

impl AcronisClient {
    /// `GET /tenants/{id}/usages`.
    pub async fn usages(&self, tenant: &str) -> Result<Vec<Usage>, Error> {
        let call = Call::get(api2(format!("/tenants/{}/usages", seg(tenant))));
        self.all_pages(call, "usages").await
    }

    /// `GET /tenants/usages?tenants=`, at most 100 tenants per request (the server
    /// limit is undocumented).
    pub async fn usages_batch(&self, tenants: &[String]) -> Result<Vec<TenantUsages>, Error> {
        let mut out = Vec::with_capacity(tenants.len());
        for chunk in tenants.chunks(BATCH) {
            let call = Call::get(api2("/tenants/usages")).query("tenants", joined(chunk));
            out.extend(self.all_pages::<TenantUsages>(call, "usages batch").await?);
        }
        Ok(out)
    }
}
