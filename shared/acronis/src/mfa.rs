//! Two-factor authentication of a tenant's users (`/tenants/{id}/mfa/status`).

use crate::client::{AcronisClient, api2, seg};
use crate::error::Error;
use crate::transport::Call;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `GET /tenants/{id}/mfa/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfaStatus {
    /// `enabled`, `disabled` or `disable_in_progress`.
    pub mfa_status: String,
    #[serde(default)]
    pub users: u64,
    #[serde(default)]
    pub users_with_totp_enabled: u64,
    #[serde(default)]
    pub update_allowed: bool,
}

impl MfaStatus {
    pub fn is_enabled(&self) -> bool {
        self.mfa_status == "enabled"
    }
}

impl AcronisClient {
    pub async fn mfa_status(&self, tenant: &str) -> Result<MfaStatus, Error> {
        let call = Call::get(api2(format!("/tenants/{}/mfa/status", seg(tenant))));
        self.fetch(call, "MFA status").await
    }

    /// `PUT /tenants/{id}/mfa/status {"enabled": ..}`.
    pub async fn set_mfa(&self, tenant: &str, enabled: bool) -> Result<(), Error> {
        let call = Call::new(
            Method::PUT,
            api2(format!("/tenants/{}/mfa/status", seg(tenant))),
        )
        .json(json!({ "enabled": enabled }));
        self.send(call).await.map(drop)
    }
}
