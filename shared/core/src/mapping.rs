//! Mappings between Autotask and Acronis objects.
//!
//! NOTE: the settings/mapping helper owns this file and extends it (service mappings,
//! alert mappings, validation). `CustomerMapping` keeps its name and fields' meaning:
//! the store persists it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a company came to be mapped to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingOrigin {
    /// Created by an operator through the mapping API.
    Manual,
    /// Created by automatic provisioning.
    Automatic,
}

/// One Autotask company mapped to one Acronis customer tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerMapping {
    /// Autotask `Companies.id`.
    pub company_id: i64,
    /// Acronis tenant uuid.
    pub tenant_id: String,
    pub origin: MappingOrigin,
    pub created_at: DateTime<Utc>,
    /// When the deprovisioning clock started (first sweep that saw no active Acronis
    /// services); `None` while the company has services.
    #[serde(default)]
    pub no_services_since: Option<DateTime<Utc>>,
}
