//! Alerts of the Alert Manager (`/api/alert_manager/v1`).
//!
//! The alert job polls with `updated_since` = the newest `updatedAt` it has
//! committed; `updatedAt` changes on create and on dismiss, so dismissals (with
//! `show_deleted`) arrive the same way as new alerts.

use crate::client::{AcronisClient, alert_manager, seg};
use crate::error::Error;
use crate::transport::Call;
use chrono::DateTime;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Filters of `GET /alerts`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertQuery {
    /// Only alerts updated after this instant, in Unix **nanoseconds**.
    pub updated_since: Option<i64>,
    /// Only alerts of this tenant (uuid).
    pub tenant: Option<String>,
    /// Only these alert types; empty = all.
    pub types: Vec<String>,
    /// Include dismissed alerts.
    pub show_deleted: bool,
    /// Page size.
    pub limit: Option<u32>,
}

/// The tenant an alert belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTenant {
    pub uuid: String,
    /// Legacy numeric id, as a string.
    #[serde(default)]
    pub id: Option<String>,
    /// Id path from the root, e.g. `/1/281/286/`.
    #[serde(default)]
    pub locator: Option<String>,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: String,
    /// e.g. `BackupFailed`, `NoBackupForXDays`, or a CTI id.
    #[serde(rename = "type")]
    pub alert_type: String,
    #[serde(default)]
    pub category: Option<String>,
    /// `ok`, `information`, `warning`, `error` or `critical`.
    #[serde(default)]
    pub severity: Option<String>,
    /// Free-form per type (`planName`, `resourceName`, `daysPassed`, …).
    #[serde(default)]
    pub details: Value,
    #[serde(default)]
    pub received_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Set once dismissed (field name unconfirmed; `deletedAt` assumed).
    #[serde(default)]
    pub deleted_at: Option<String>,
    #[serde(default)]
    pub tenant: Option<AlertTenant>,
}

impl Alert {
    /// `updatedAt` in Unix nanoseconds, the unit of the `updated_since` filter.
    pub fn updated_at_ns(&self) -> Option<i64> {
        let text = self.updated_at.as_deref()?;
        DateTime::parse_from_rfc3339(text)
            .ok()?
            .timestamp_nanos_opt()
    }

    /// Dismissed (cleared) in Acronis.
    pub fn is_dismissed(&self) -> bool {
        self.deleted_at.is_some()
    }

    pub fn tenant_uuid(&self) -> Option<&str> {
        self.tenant.as_ref().map(|t| t.uuid.as_str())
    }
}

/// An alert type; only `id` is relied on, the rest is kept as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertType {
    pub id: String,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AcronisClient {
    /// Every alert matching `query`, oldest update first, following
    /// `paging.cursors.after` until it is absent.
    pub async fn alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, Error> {
        let mut call = Call::get(alert_manager("/alerts")).query("order", "asc(updated_at)");
        if let Some(since) = query.updated_since {
            call = call.query("updated_at", format!("gt({since})"));
        }
        if let Some(tenant) = &query.tenant {
            call = call.query("tenant", tenant.clone());
        }
        match query.types.as_slice() {
            [] => {}
            [one] => call = call.query("type", one.clone()),
            // List filters use the operator syntax, like `tenant=or(a,b)`.
            many => call = call.query("type", format!("or({})", many.join(","))),
        }
        if query.show_deleted {
            call = call.query("show_deleted", "true");
        }
        if let Some(limit) = query.limit {
            call = call.query("limit", limit.to_string());
        }
        self.all_pages(call, "alerts").await
    }

    /// `GET /alerts/{id}`.
    pub async fn alert(&self, id: &str) -> Result<Alert, Error> {
        let call = Call::get(alert_manager(format!("/alerts/{}", seg(id))));
        self.fetch(call, "alert").await
    }

    /// Dismisses (clears) an alert: `DELETE /alerts/{id}`.
    pub async fn dismiss_alert(&self, id: &str) -> Result<(), Error> {
        let call = Call::new(
            Method::DELETE,
            alert_manager(format!("/alerts/{}", seg(id))),
        );
        self.send(call).await.map(drop)
    }

    /// `GET /types`: the alert types the Alert Manager knows.
    pub async fn alert_types(&self) -> Result<Vec<AlertType>, Error> {
        self.all_pages(Call::get(alert_manager("/types")), "alert types")
            .await
    }
}
