//! The bridge's settings: every option of the vendor guide in one document.
//!
//! `Default` is the guide's defaults where it states one, and "off" where it does not:
//! a freshly deployed bridge changes nothing until the MSP switches a feature on.
//! Missing fields take their defaults, unknown fields are errors, and
//! [`Settings::parse`] reports every problem of a document at once
//! (`docs/settings.md` lists each option).

mod parse;
mod schedules;

pub use schedules::{Job, Schedules};

use crate::catalog;
use crate::mapping::{
    AlertMapping, MappedTarget, PublicCloudMappings, ServiceMapping, StorageMapping,
};
use crate::provisioning::HoldThreshold;
use crate::validation::SettingsErrors;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// Every option, validated as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub features: Features,
    pub provisioning: Provisioning,
    pub deprovisioning: Deprovisioning,
    pub tickets: Tickets,
    pub usage_reporting: UsageReporting,
    pub schedules: Schedules,
    /// The guide's service-mapping rows (Cyber Protection items, advanced packs…).
    pub service_mappings: Vec<ServiceMapping>,
    /// Backup storage rows, one per storage (location).
    pub storage_mappings: Vec<StorageMapping>,
    pub public_cloud_mappings: PublicCloudMappings,
    /// Ticket fields per Acronis alert type.
    pub alert_mappings: Vec<AlertMapping>,
}

/// The guide's "Features" switches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// Billing and provisioning: quotas from prepaid contracts, usage into PAYG ones.
    pub billing: bool,
    /// Quotas changed by hand in Acronis flow back to the contract units. Needs billing.
    pub two_way_sync: bool,
    /// Autotask `BillingCodes.id` (allocation code) for services the bridge creates;
    /// required with two-way sync.
    pub allocation_code: Option<i64>,
    /// Period type for services the bridge creates; required with two-way sync.
    pub period_type: Option<PeriodType>,
    /// Tickets from Acronis alerts.
    pub ticket_creation: bool,
}

/// Autotask service period types offered by the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    Monthly,
    Quarterly,
    SemiAnnual,
    Yearly,
}

impl PeriodType {
    /// The picklist label in Autotask. The numeric `periodType` codes are tenant picklist
    /// values (unconfirmed which number is which), so jobs resolve the label at runtime.
    pub fn label(self) -> &'static str {
        match self {
            Self::Monthly => "Monthly",
            Self::Quarterly => "Quarterly",
            Self::SemiAnnual => "Semi-Annual",
            Self::Yearly => "Yearly",
        }
    }
}

/// The guide's "Customer provisioning" section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Provisioning {
    /// "Create accounts based on".
    pub create_accounts_based_on: AccountBasis,
    /// Where activation emails go; required when accounts are based on the company name.
    pub activation_email: Option<String>,
    /// "Automatically create customers": companies with mapped services in an active
    /// contract and no mapping get a new tenant. Off: map by hand.
    pub automatically_create_customers: bool,
    /// Two-factor authentication for new customers and all their users.
    pub two_factor_authentication: bool,
    /// "Provision customer tenants as"; trial tenants switch to production after a month.
    pub provision_as: PricingMode,
    /// Acronis infra id of the storage assigned when no storage service is in a contract;
    /// `None` = the partner's default storage.
    pub default_storage: Option<String>,
}

/// What a new customer tenant and its admin are created from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountBasis {
    /// Named after the company; the activation email goes to `activation_email`.
    CompanyName,
    /// Named after, and activated by, the company's primary contact.
    #[default]
    CompanyPrimaryContact,
}

/// Acronis pricing mode of new customer tenants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingMode {
    #[default]
    Production,
    Trial,
}

/// The guide's "Customer deprovisioning" section: what happens to a mapped company's
/// tenant once it has no active Acronis services. The day counts start at the first
/// sweep that sees no active services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deprovisioning {
    /// Zero every offering item quota (Free items stay unlimited).
    pub set_quotas_to_zero: bool,
    /// "Disable the customer" after `disable_after_days`.
    pub disable_customer: bool,
    pub disable_after_days: u32,
    /// "Delete the customer" after `delete_after_days`; destroys its backups.
    pub delete_customer: bool,
    pub delete_after_days: u32,
    /// A tenant is deleted only after it has been disabled, and its deletion date listed
    /// in the forecast, for this many days (`docs/safety.md`).
    pub delete_notice_days: u32,
    /// The blast-radius guard: a run that would deprovision more companies than this
    /// holds those actions until an operator releases them.
    pub hold_above: HoldThreshold,
}

impl Default for Deprovisioning {
    fn default() -> Self {
        Self {
            set_quotas_to_zero: false,
            disable_customer: false,
            disable_after_days: 10,
            delete_customer: false,
            delete_after_days: 30,
            delete_notice_days: 7,
            hold_above: HoldThreshold::default(),
        }
    }
}

/// The guide's "Tickets" section (ticket fields per alert type are `alert_mappings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tickets {
    /// The guide's "Ticket re-opening" check box. On: a repeat of an alert re-opens its
    /// ticket unless that ticket was closed more than `reopen_window_days` ago; then a new
    /// ticket is created. Off: the ticket is re-opened on every repeat, however old.
    pub reopen_window_enabled: bool,
    pub reopen_window_days: u32,
    /// "Ticket auto-closing": an alert cleared in Acronis moves its ticket to
    /// `auto_close_status` (e.g. Complete), with a note.
    pub auto_close: bool,
    /// Autotask ticket status picklist id; required with `auto_close`.
    pub auto_close_status: Option<i64>,
    /// Ticket source picklist id; `None` = Autotask's default source.
    pub source: Option<i64>,
    /// Note type picklist id for ticket notes; required with ticket creation.
    pub note_type: Option<i64>,
    /// Note publish picklist id (who sees the notes); required with ticket creation so
    /// internal notes never reach customers by accident.
    pub note_publish: Option<i64>,
}

impl Default for Tickets {
    fn default() -> Self {
        Self {
            reopen_window_enabled: true,
            reopen_window_days: 1,
            auto_close: false,
            auto_close_status: None,
            source: None,
            note_type: None,
            note_publish: None,
        }
    }
}

impl Tickets {
    /// Whether a repeat alert re-opens a ticket closed `closed_for` ago (else: a new one).
    pub fn reopens_ticket_closed_for(&self, closed_for: TimeDelta) -> bool {
        !self.reopen_window_enabled
            || closed_for <= TimeDelta::days(i64::from(self.reopen_window_days))
    }
}

/// The guide's "Usage reporting" for PAYG contracts, plus the unit rounding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageReporting {
    /// "Report effective usage of range offering items for".
    pub period: ReportingPeriod,
    /// "New billing month starts on the following day of the month" (1–28), used by
    /// `custom_billing_month`: usage is reported once, on that day, for the month before.
    pub billing_month_start_day: u32,
    /// How bytes (binary GB) become whole Autotask units.
    pub rounding: UnitRounding,
}

impl Default for UsageReporting {
    fn default() -> Self {
        Self {
            period: ReportingPeriod::CustomBillingMonth,
            billing_month_start_day: 1,
            rounding: UnitRounding::Up,
        }
    }
}

/// Which period PAYG usage is reported for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportingPeriod {
    /// The present month, reported daily.
    CurrentCalendarMonth,
    /// The past month, reported daily.
    PreviousCalendarMonth,
    /// A month starting on `billing_month_start_day`, reported once on that day.
    #[default]
    CustomBillingMonth,
}

/// Rounding of fractional units (storage GB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitRounding {
    #[default]
    Up,
    Nearest,
}

impl Settings {
    /// Reads a settings document, reporting every problem at once: malformed values,
    /// unknown fields and broken rules, each with its field path.
    pub fn parse(json: &str) -> Result<Settings, SettingsErrors> {
        parse::parse(json)
    }

    /// Checks every rule; see `crate::validation`.
    pub fn validate(&self) -> Result<(), SettingsErrors> {
        crate::validation::validate(self)
    }

    /// The service-mapping row for an offering item (name or alias) on a storage: the row
    /// for that infra id if there is one, else the row without infra id.
    pub fn service_mapping(
        &self,
        offering_item: &str,
        infra_id: Option<&str>,
    ) -> Option<&ServiceMapping> {
        let name = catalog::canonical_name(offering_item);
        let same_item = |row: &&ServiceMapping| catalog::canonical_name(&row.offering_item) == name;
        let rows = || self.service_mappings.iter().filter(same_item);
        infra_id
            .and_then(|infra| rows().find(|row| row.infra_id.as_deref() == Some(infra)))
            .or_else(|| rows().find(|row| row.infra_id.is_none()))
    }

    /// The storage mapping of a storage item on one storage.
    pub fn storage_mapping(&self, offering_item: &str, infra_id: &str) -> Option<&StorageMapping> {
        self.storage_mappings.iter().find(|row| {
            row.infra_id == infra_id
                && catalog::canonical_name(&row.offering_item)
                    == catalog::canonical_name(offering_item)
        })
    }

    /// The alert-mapping row of an Acronis alert type: the row naming the type itself,
    /// else, for a CTI id, the row naming its short name
    /// ([`cti_short_name`](crate::mapping::cti_short_name)), so one row covers every
    /// version of a CTI alert. Validation makes each name unique.
    pub fn alert_mapping(&self, alert_type: &str) -> Option<&AlertMapping> {
        let alert_type = alert_type.trim();
        let named = |name: &str| {
            self.alert_mappings
                .iter()
                .find(|row| row.alert_type.trim() == name)
        };
        named(alert_type).or_else(|| crate::mapping::cti_short_name(alert_type).and_then(named))
    }

    /// What an Autotask service stands for. Validation makes this unique.
    pub fn target_of_service(&self, service_id: i64) -> Option<MappedTarget<'_>> {
        let is = |service: Option<&crate::mapping::ServiceRef>| {
            service.and_then(|service| service.id()) == Some(service_id)
        };
        for row in &self.service_mappings {
            for (service, included_features) in
                [(&row.service, false), (&row.included_features, true)]
            {
                if is(service.as_ref()) {
                    return Some(MappedTarget::Item {
                        offering_item: &row.offering_item,
                        infra_id: row.infra_id.as_deref(),
                        included_features,
                    });
                }
            }
        }
        for row in &self.storage_mappings {
            if let Some((storage_row, _)) = row.rows().find(|(_, service)| is(Some(service))) {
                return Some(MappedTarget::Storage {
                    offering_item: &row.offering_item,
                    infra_id: &row.infra_id,
                    row: storage_row,
                });
            }
        }
        self.public_cloud_mappings
            .rows()
            .find(|(_, service)| is(Some(service)))
            .map(|(vendor, _)| MappedTarget::PublicCloud(vendor))
    }
}

#[cfg(test)]
mod tests;
