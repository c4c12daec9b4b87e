//! Full-text search over a tenant's subtree (`GET /search`).

use crate::client::{AcronisClient, api2};
use crate::error::Error;
use crate::tenants::TenantKind;
use crate::transport::Call;
use serde::{Deserialize, Serialize};

/// How many hits one search returns (server default 10, maximum 300).
const SEARCH_LIMIT: u32 = 100;

/// A tenant or user matching a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `tenant` or `user`.
    pub obj_type: String,
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub kind: Option<TenantKind>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

impl AcronisClient {
    /// Tenants and users under `tenant` whose name, customer id, login or contact
    /// starts with the words of `text` (at least 3 characters).
    pub async fn search(&self, tenant: &str, text: &str) -> Result<Vec<SearchHit>, Error> {
        if text.trim().chars().count() < 3 {
            return Err(Error::InvalidArgument {
                field: "text",
                reason: "Acronis search needs at least 3 characters".into(),
            });
        }
        let call = Call::get(api2("/search"))
            .query("tenant", tenant)
            .query("text", text.trim())
            .query("limit", SEARCH_LIMIT.to_string());
        self.all_pages(call, "search results").await
    }
}
