//! The provisioning and deprovisioning planner: one company's situation in, a [`Plan`]
//! out. The contract poller gathers the inputs, applies the actions in order and
//! records them; a dry run prints the plan.
//!
//! Actions are ordered so that a job killed after any one of them converges on the next
//! sweep (e.g. the tenant is enabled before the clock stops, quotas are zeroed before
//! the clock starts).

use std::fmt;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::contracts::CompanySnapshot;
use crate::mapping::{DeletionWatch, MappedTenantKind, SUB_PARTNER_LEFT_ALONE};

/// Disable-after days when the operator turns disabling on (the guide's default).
pub const DEFAULT_DISABLE_AFTER_DAYS: u32 = 10;
/// Delete-after days when the operator turns deleting on.
pub const DEFAULT_DELETE_AFTER_DAYS: u32 = 30;

/// Autotask company id 0 is the MSP itself, never a customer.
const MSP_OWN_COMPANY: i64 = 0;

// ---------------------------------------------------------------------------------------
// Policies (the lead wires these from `Settings`)
// ---------------------------------------------------------------------------------------

/// How a new tenant is named and who receives the activation email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TenantNaming {
    /// Tenant named after the company; activation email to a configured address.
    CompanyName { activation_email: String },
    /// Tenant named after the company's primary contact, who gets the activation email.
    PrimaryContact,
}

/// Pricing mode new tenants get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingMode {
    Production,
    Trial,
}

/// Customer-provisioning settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningPolicy {
    /// Automatic mode; off means manual (operators map through the mapping API).
    pub auto_create: bool,
    pub naming: TenantNaming,
    /// Two-factor authentication for new tenants and their users.
    pub two_factor: bool,
    pub pricing: PricingMode,
}

/// Customer-deprovisioning settings. `None` = that step is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeprovisioningPolicy {
    pub quotas_to_zero: bool,
    pub disable_after_days: Option<u32>,
    pub delete_after_days: Option<u32>,
    /// Days a tenant must have been disabled, and its deletion listed in the forecast,
    /// before it is deleted.
    pub delete_notice_days: u32,
}

/// Everything off, with the settings' default notice.
impl Default for DeprovisioningPolicy {
    fn default() -> Self {
        crate::policy::deprovisioning(&crate::settings::Deprovisioning {
            disable_customer: false,
            delete_customer: false,
            set_quotas_to_zero: false,
            ..Default::default()
        })
    }
}

// ---------------------------------------------------------------------------------------
// The company's situation
// ---------------------------------------------------------------------------------------

/// The company's primary contact (`Contacts.primaryContact == true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryContact {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
}

/// The company's current mapping, with the deprovisioning clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentMapping {
    pub tenant_id: String,
    /// When the bridge took the tenant over (the mapping's `created_at`). A trial's
    /// month never counts from before it: an old trial tenant mapped by hand today is
    /// not switched to production tomorrow.
    pub mapped_at: DateTime<Utc>,
    /// First sweep that saw no active Acronis services; `None` while it has some.
    pub no_services_since: Option<DateTime<Utc>>,
    /// A sub-partner mapping is never provisioned nor deprovisioned.
    #[serde(default)]
    pub tenant_kind: MappedTenantKind,
    /// What the checks before a deletion look at (see [`DeletionWatch`]).
    #[serde(default)]
    pub deletion: Option<DeletionWatch>,
}

/// Trial or production, as the tenant reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TenantPricing {
    /// `since` is when the trial began as far as Acronis tells: it exposes no trial
    /// start, and new tenants start in trial, so the tenant's `created_at` serves. The
    /// planner counts the month from the later of it and [`CurrentMapping::mapped_at`].
    Trial {
        since: DateTime<Utc>,
    },
    Production,
}

/// What the poller observed of a mapped tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ObservedTenant {
    Exists {
        enabled: bool,
        /// `false` = self-service mode (the MSP's admins are locked out).
        ancestral_access: bool,
        /// The guide's "Support Access disabled". Its API field is unconfirmed; the lead
        /// fills it from whatever the Acronis adapter exposes.
        support_access_disabled: bool,
        pricing: TenantPricing,
    },
    /// Deleted in Acronis (or not found).
    Deleted,
}

/// What a new tenant is to look like. Also stored as the pending-provisioning record
/// before anything is created, so a resumed run finishes the same tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTenant {
    pub company_id: i64,
    pub name: String,
    /// Login of the tenant's first admin user.
    pub admin_login: String,
    pub activation_email: String,
    pub mfa: bool,
    pub pricing: PricingMode,
    /// No storage item in any contract: assign the default storage.
    pub default_storage_needed: bool,
    /// Written to the tenant's searchable `customer_id` so a resumed run finds a tenant
    /// created just before a crash instead of creating a second one.
    pub customer_id: String,
}

/// A provisioning that started but may not have finished (crash between "tenant
/// created" and "mapping written").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingProvisioning {
    pub tenant: NewTenant,
    pub started_at: DateTime<Utc>,
    /// Set once the tenant exists.
    pub tenant_id: Option<String>,
}

/// Everything the planner needs to know about one company.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanySituation<'a> {
    pub company_id: i64,
    pub company_name: String,
    pub primary_contact: Option<PrimaryContact>,
    pub snapshot: &'a CompanySnapshot,
    pub mapping: Option<CurrentMapping>,
    /// `None` when mapped but the tenant could not be read this sweep.
    pub tenant: Option<ObservedTenant>,
    pub pending: Option<PendingProvisioning>,
}

// ---------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------

/// Why a company is left alone; shown to the operator and audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    ManualProvisioning,
    NoPrimaryContact,
    PrimaryContactWithoutName,
    PrimaryContactWithoutEmail,
    NoActivationEmail,
    EmptyCompanyName,
    SelfService,
    SupportAccessDisabled,
    TenantStateUnknown,
    MappedTenantDeleted,
    MspOwnCompany,
    /// Mapped to a sub-partner: its usage is aggregated, its tenant never changed.
    SubPartner,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ManualProvisioning => {
                "manual provisioning: map the company with the mapping API"
            }
            Self::NoPrimaryContact => {
                "tenants are named after the primary contact, but the company has none"
            }
            Self::PrimaryContactWithoutName => "the primary contact has no name",
            Self::PrimaryContactWithoutEmail => {
                "the primary contact has no email address for the activation email"
            }
            Self::NoActivationEmail => "no activation email address is configured",
            Self::EmptyCompanyName => "the company has no name",
            Self::SelfService => "tenant is in self-service mode; the bridge never changes it",
            Self::SupportAccessDisabled => {
                "tenant has support access disabled; the bridge never changes it"
            }
            Self::TenantStateUnknown => "the mapped tenant could not be read this sweep",
            Self::MappedTenantDeleted => {
                "the mapped tenant was deleted in Acronis while the company still has services; remap it with the mapping API"
            }
            Self::MspOwnCompany => "company 0 is the MSP itself",
            Self::SubPartner => SUB_PARTNER_LEFT_ALONE,
        })
    }
}

/// One step for the poller to apply, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Write the pending record, create tenant + admin user, send activation, set 2FA,
    /// pricing and (if needed) default storage, write the mapping, drop the record.
    CreateTenant(NewTenant),
    /// Finish an interrupted [`Action::CreateTenant`] without creating a second tenant.
    ResumePendingProvisioning {
        pending: PendingProvisioning,
    },
    SwitchToProduction {
        tenant_id: String,
    },
    ZeroQuotas {
        tenant_id: String,
    },
    StartDeprovisioningClock {
        tenant_id: String,
        since: DateTime<Utc>,
    },
    StopDeprovisioningClock {
        tenant_id: String,
    },
    DisableTenant {
        tenant_id: String,
    },
    EnableTenant {
        tenant_id: String,
    },
    /// Only ever planned for a tenant observed disabled (Acronis requires it) for the
    /// notice days, whose deletion date the forecast has listed as long. Apply re-reads
    /// the company's contracts from Autotask first, then deletes the tenant and the
    /// mapping.
    DeleteTenant {
        tenant_id: String,
    },
    /// Keeps what the checks before a deletion look at on the mapping (`None`: nothing
    /// to watch any more). Bookkeeping: changes nothing for the customer.
    WatchDeletion {
        tenant_id: String,
        watch: Option<DeletionWatch>,
    },
    /// The tenant is gone after deprovisioning: drop the mapping left behind.
    ForgetMapping {
        tenant_id: String,
    },
    Skip {
        reason: SkipReason,
    },
}

/// The planner's answer for one company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub company_id: i64,
    pub actions: Vec<Action>,
}

impl Plan {
    pub fn skips(&self) -> impl Iterator<Item = SkipReason> + '_ {
        self.actions.iter().filter_map(|a| match a {
            Action::Skip { reason } => Some(*reason),
            _ => None,
        })
    }

    /// Actions that change something (skips excluded).
    pub fn changes(&self) -> impl Iterator<Item = &Action> {
        self.actions
            .iter()
            .filter(|a| !matches!(a, Action::Skip { .. }))
    }
}

// ---------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------

/// Plans provisioning or deprovisioning for one company at `now`.
pub fn plan_company(
    situation: &CompanySituation<'_>,
    provisioning: &ProvisioningPolicy,
    deprovisioning: &DeprovisioningPolicy,
    now: DateTime<Utc>,
) -> Plan {
    let actions = if situation.company_id == MSP_OWN_COMPANY {
        vec![skip(SkipReason::MspOwnCompany)]
    } else if let Some(pending) = &situation.pending {
        // Finish what was started before deciding anything else.
        vec![Action::ResumePendingProvisioning {
            pending: pending.clone(),
        }]
    } else {
        match &situation.mapping {
            None => plan_unmapped(situation, provisioning),
            Some(mapping) => plan_mapped(situation, mapping, deprovisioning, now),
        }
    };
    Plan {
        company_id: situation.company_id,
        actions,
    }
}

fn skip(reason: SkipReason) -> Action {
    Action::Skip { reason }
}

fn plan_unmapped(situation: &CompanySituation<'_>, policy: &ProvisioningPolicy) -> Vec<Action> {
    if !situation.snapshot.has_active_acronis_services() {
        return Vec::new();
    }
    if !policy.auto_create {
        return vec![skip(SkipReason::ManualProvisioning)];
    }
    match new_tenant_for(
        situation.company_id,
        &situation.company_name,
        situation.primary_contact.as_ref(),
        situation.snapshot,
        policy,
    ) {
        Ok(tenant) => vec![Action::CreateTenant(tenant)],
        Err(reason) => vec![skip(reason)],
    }
}

/// What a new tenant for a company looks like under `policy`: named after the company
/// or its primary contact, with that rule's activation email. The one naming rule, used
/// by the planner's `CreateTenant` and by a tenant created through the mapping API.
pub fn new_tenant_for(
    company_id: i64,
    company_name: &str,
    primary_contact: Option<&PrimaryContact>,
    snapshot: &CompanySnapshot,
    policy: &ProvisioningPolicy,
) -> Result<NewTenant, SkipReason> {
    if company_id == MSP_OWN_COMPANY {
        return Err(SkipReason::MspOwnCompany);
    }
    let (name, activation_email) = match &policy.naming {
        TenantNaming::CompanyName { activation_email } => {
            let name = company_name.trim();
            if name.is_empty() {
                return Err(SkipReason::EmptyCompanyName);
            }
            let email = activation_email.trim();
            if email.is_empty() {
                return Err(SkipReason::NoActivationEmail);
            }
            (name.to_owned(), email.to_owned())
        }
        TenantNaming::PrimaryContact => {
            let contact = primary_contact.ok_or(SkipReason::NoPrimaryContact)?;
            let name = format!("{} {}", contact.first_name.trim(), contact.last_name.trim());
            let name = name.trim();
            if name.is_empty() {
                return Err(SkipReason::PrimaryContactWithoutName);
            }
            let email = contact.email.as_deref().map(str::trim).unwrap_or_default();
            if email.is_empty() {
                return Err(SkipReason::PrimaryContactWithoutEmail);
            }
            (name.to_owned(), email.to_owned())
        }
    };
    Ok(NewTenant {
        company_id,
        admin_login: admin_login(&name, company_id),
        name,
        activation_email,
        mfa: policy.two_factor,
        pricing: policy.pricing,
        default_storage_needed: !snapshot.has_storage_item(),
        customer_id: company_id.to_string(),
    })
}

/// A deterministic admin login: the tenant name folded to `[a-z0-9._-]` plus the company
/// id, which keeps it unique across companies with similar names. Acronis' exact login
/// charset is unconfirmed; this subset is what its samples use.
pub fn admin_login(tenant_name: &str, company_id: i64) -> String {
    let mut slug = String::new();
    for c in tenant_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('.') {
            slug.push('.');
        }
    }
    let slug: String = slug.trim_end_matches('.').chars().take(40).collect();
    let slug = slug.trim_end_matches('.');
    if slug.is_empty() {
        format!("autotask.{company_id}")
    } else {
        format!("{slug}.{company_id}")
    }
}

fn plan_mapped(
    situation: &CompanySituation<'_>,
    mapping: &CurrentMapping,
    policy: &DeprovisioningPolicy,
    now: DateTime<Utc>,
) -> Vec<Action> {
    if mapping.tenant_kind == MappedTenantKind::SubPartner {
        return vec![skip(SkipReason::SubPartner)];
    }
    let tenant_id = mapping.tenant_id.clone();
    let has_services = situation.snapshot.has_active_acronis_services();
    let (enabled, pricing) = match &situation.tenant {
        None => return vec![skip(SkipReason::TenantStateUnknown)],
        Some(ObservedTenant::Deleted) if has_services => {
            return vec![skip(SkipReason::MappedTenantDeleted)];
        }
        Some(ObservedTenant::Deleted) => return vec![Action::ForgetMapping { tenant_id }],
        Some(ObservedTenant::Exists {
            ancestral_access: false,
            ..
        }) => return vec![skip(SkipReason::SelfService)],
        Some(ObservedTenant::Exists {
            support_access_disabled: true,
            ..
        }) => return vec![skip(SkipReason::SupportAccessDisabled)],
        Some(ObservedTenant::Exists {
            enabled, pricing, ..
        }) => (*enabled, *pricing),
    };

    let mut actions = Vec::new();
    if has_services {
        if mapping.no_services_since.is_some() {
            // Services returned: undo what deprovisioning did, then stop the clock.
            if !enabled {
                actions.push(Action::EnableTenant {
                    tenant_id: tenant_id.clone(),
                });
            }
            actions.push(Action::StopDeprovisioningClock {
                tenant_id: tenant_id.clone(),
            });
        }
        let trial_done = match pricing {
            TenantPricing::Trial { since } => {
                trial_complete(trial_clock_start(since, mapping.mapped_at), now)
            }
            TenantPricing::Production => false,
        };
        if trial_done {
            actions.push(Action::SwitchToProduction { tenant_id });
        }
        return actions;
    }

    let since = match mapping.no_services_since {
        Some(since) => since,
        None => {
            if policy.quotas_to_zero {
                actions.push(Action::ZeroQuotas {
                    tenant_id: tenant_id.clone(),
                });
            }
            actions.push(Action::StartDeprovisioningClock {
                tenant_id: tenant_id.clone(),
                since: now,
            });
            now
        }
    };
    let today = now.date_naive();
    let due = |days: Option<u32>| {
        days.and_then(|n| day_after(since, n))
            .is_some_and(|on| today >= on)
    };
    let delete_due = due(policy.delete_after_days);
    // Watched from the first run that finds the clock already running, so a clock
    // started (or held) in this run lists nothing yet.
    let watch = match mapping.no_services_since {
        Some(_) => watch_deletion(mapping.deletion.as_ref(), since, enabled, policy, now),
        None => mapping.deletion.clone(),
    };
    if watch != mapping.deletion {
        actions.push(Action::WatchDeletion {
            tenant_id: tenant_id.clone(),
            watch: watch.clone(),
        });
    }
    if enabled && (due(policy.disable_after_days) || delete_due) {
        // Deleting needs a disabled tenant: disable now, delete on a later sweep.
        actions.push(Action::DisableTenant { tenant_id });
    } else if !enabled && delete_due && notice_served(watch.as_ref(), policy, today) {
        actions.push(Action::DeleteTenant { tenant_id });
    }
    actions
}

/// The watch a running clock calls for: the deletion date listed (a new date lists
/// anew), and since when the tenant has been seen disabled. `None` when deleting is off.
fn watch_deletion(
    old: Option<&DeletionWatch>,
    since: DateTime<Utc>,
    enabled: bool,
    policy: &DeprovisioningPolicy,
    now: DateTime<Utc>,
) -> Option<DeletionWatch> {
    let listed_for = policy.delete_after_days.and_then(|n| day_after(since, n))?;
    let listed_since = match old {
        Some(o) if o.listed_for == listed_for => o.listed_since,
        _ => now,
    };
    let disabled_since = match (enabled, old.and_then(|o| o.disabled_since)) {
        (true, _) => None,
        (false, Some(seen)) => Some(seen),
        (false, None) => Some(now),
    };
    Some(DeletionWatch {
        listed_for,
        listed_since,
        disabled_since,
    })
}

/// Whether the tenant has been disabled, and its deletion listed, for the notice days.
fn notice_served(
    watch: Option<&DeletionWatch>,
    policy: &DeprovisioningPolicy,
    today: NaiveDate,
) -> bool {
    notice_refusal(watch, policy, today).is_none()
}

/// Why a deletion may not go ahead yet by its notices, if it may not: the tenant must
/// have been seen disabled, and the deletion date listed in the forecast, for
/// `delete_notice_days`.
pub fn notice_refusal(
    watch: Option<&DeletionWatch>,
    policy: &DeprovisioningPolicy,
    today: NaiveDate,
) -> Option<String> {
    let days = policy.delete_notice_days;
    let served = |from: DateTime<Utc>| day_after(from, days).is_some_and(|on| today >= on);
    let Some(watch) = watch else {
        return Some("its deletion has not been listed in the forecast yet".into());
    };
    if !served(watch.listed_since) {
        return Some(format!(
            "its deletion has been listed in the forecast since {}, not yet {days} days",
            watch.listed_since.date_naive()
        ));
    }
    match watch.disabled_since {
        None => Some("the tenant has not been seen disabled".into()),
        Some(at) if !served(at) => Some(format!(
            "the tenant has been disabled since {}, not yet {days} days",
            at.date_naive()
        )),
        Some(_) => None,
    }
}

/// The date a tenant whose clock started at `since` will be deleted: the later of the
/// clock's delete date and the end of the two notices (counted from today for a
/// notice not started yet). `None` when deleting is off. The forecast lists this date.
pub fn deletion_date(
    since: DateTime<Utc>,
    watch: Option<&DeletionWatch>,
    policy: &DeprovisioningPolicy,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let notice = Days::new(u64::from(policy.delete_notice_days));
    let delete_on = policy.delete_after_days.and_then(|n| day_after(since, n))?;
    let listed = match watch {
        Some(w) if w.listed_for == delete_on => w.listed_since.date_naive(),
        _ => today,
    };
    // Not disabled yet: the disable is due on its own date (or on the delete date when
    // disabling is off), and the notice runs from then.
    let disabled = match watch.and_then(|w| w.disabled_since) {
        Some(at) => at.date_naive(),
        None => policy
            .disable_after_days
            .and_then(|n| day_after(since, n))
            .map_or(delete_on, |d| d.min(delete_on))
            .max(today),
    };
    let latest = delete_on
        .max(listed.checked_add_days(notice)?)
        .max(disabled.checked_add_days(notice)?);
    Some(latest)
}

/// The UTC date `days` after the clock started; the step is due from that date on.
fn day_after(since: DateTime<Utc>, days: u32) -> Option<NaiveDate> {
    since
        .date_naive()
        .checked_add_days(Days::new(u64::from(days)))
}

/// The date from which a trial that began at `trial_start` has completed one full
/// calendar month, i.e. contained every day of some calendar month (UTC dates).
///
/// A trial starting on the 1st completes that month, so it is due on the 1st of the
/// next month (Jan 1 → Feb 1). A trial starting on any other day completes the
/// following month, so it is due on the 1st of the month after that (Jan 15 → Mar 1;
/// Jan 31 → Mar 1; not yet on Feb 14 nor Feb 29). Switching on a 1st also never bills a
/// partial production month (Acronis bills a mid-month switch as a full month).
pub fn production_due_on(trial_start: DateTime<Utc>) -> Option<NaiveDate> {
    let start = trial_start.date_naive();
    let months = if start.day() == 1 { 1 } else { 2 };
    start.with_day(1)?.checked_add_months(Months::new(months))
}

/// Where the bridge's trial month starts: the tenant's trial start, but never before the
/// bridge took the tenant over (a tenant that sat in trial for months before it was
/// mapped gets its full month from the mapping).
pub fn trial_clock_start(trial_since: DateTime<Utc>, mapped_at: DateTime<Utc>) -> DateTime<Utc> {
    trial_since.max(mapped_at)
}

fn trial_complete(trial_start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    production_due_on(trial_start).is_some_and(|due| now.date_naive() >= due)
}

// ---------------------------------------------------------------------------------------
// Deletion forecast
// ---------------------------------------------------------------------------------------

/// A mapping whose deprovisioning clock may be running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockedMapping {
    pub company_id: i64,
    pub tenant_id: String,
    pub no_services_since: Option<DateTime<Utc>>,
    /// The deletion notices so far (see [`deletion_date`]).
    pub deletion: Option<DeletionWatch>,
}

/// A tenant the bridge will delete, with its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionForecast {
    pub company_id: i64,
    pub tenant_id: String,
    /// `None` when disabling is off (the tenant is then disabled on `delete_on`).
    pub disable_on: Option<NaiveDate>,
    /// Overdue dates (before today) are listed too: deletion is imminent.
    pub delete_on: NaiveDate,
}

/// Tenants due for deletion within `horizon_days` of `now` (or overdue), soonest
/// first, so the config endpoint can warn days ahead that backups will be destroyed.
pub fn deletion_forecast(
    mappings: &[ClockedMapping],
    policy: &DeprovisioningPolicy,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> Vec<DeletionForecast> {
    let Some(delete_after) = policy.delete_after_days else {
        return Vec::new();
    };
    let today = now.date_naive();
    let horizon = today.checked_add_days(Days::new(u64::from(horizon_days)));
    let mut forecast: Vec<DeletionForecast> = mappings
        .iter()
        .filter_map(|m| {
            let since = m.no_services_since?;
            let clock_delete_on = day_after(since, delete_after)?;
            let delete_on = deletion_date(since, m.deletion.as_ref(), policy, today)?;
            if horizon.is_some_and(|h| delete_on > h) {
                return None;
            }
            Some(DeletionForecast {
                company_id: m.company_id,
                tenant_id: m.tenant_id.clone(),
                disable_on: policy
                    .disable_after_days
                    .and_then(|n| day_after(since, n))
                    .map(|on| on.min(clock_delete_on)),
                delete_on,
            })
        })
        .collect();
    forecast.sort_by(|a, b| {
        (a.delete_on, a.company_id, &a.tenant_id).cmp(&(b.delete_on, b.company_id, &b.tenant_id))
    });
    forecast
}

/// A tenant the bridge will disable, with its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisableForecast {
    pub company_id: i64,
    pub tenant_id: String,
    /// Overdue dates (before today) are listed too: the tenant is disabled already, or
    /// at the next sweep.
    pub disable_on: NaiveDate,
    /// `None` when deleting is off.
    pub delete_on: Option<NaiveDate>,
}

/// Tenants whose disable date falls within `horizon_days` of `now` (or is past), soonest
/// first: disabling stops the customer's backups, so it is announced like a deletion.
/// Empty when disabling is off (a deletion then disables on its delete date, which
/// [`deletion_forecast`] lists).
pub fn disable_forecast(
    mappings: &[ClockedMapping],
    policy: &DeprovisioningPolicy,
    now: DateTime<Utc>,
    horizon_days: u32,
) -> Vec<DisableForecast> {
    let Some(disable_after) = policy.disable_after_days else {
        return Vec::new();
    };
    let horizon = now
        .date_naive()
        .checked_add_days(Days::new(u64::from(horizon_days)));
    let mut forecast: Vec<DisableForecast> = mappings
        .iter()
        .filter_map(|m| {
            let since = m.no_services_since?;
            let clock_delete_on = policy.delete_after_days.and_then(|n| day_after(since, n));
            // The planner disables by the clock's delete date at the latest.
            let disable_on =
                day_after(since, disable_after)?.min(clock_delete_on.unwrap_or(NaiveDate::MAX));
            let delete_on = deletion_date(since, m.deletion.as_ref(), policy, now.date_naive());
            if horizon.is_some_and(|h| disable_on > h) {
                return None;
            }
            Some(DisableForecast {
                company_id: m.company_id,
                tenant_id: m.tenant_id.clone(),
                disable_on,
                delete_on,
            })
        })
        .collect();
    forecast.sort_by(|a, b| {
        (a.disable_on, a.company_id, &a.tenant_id).cmp(&(b.disable_on, b.company_id, &b.tenant_id))
    });
    forecast
}

// ---------------------------------------------------------------------------------------
// Blast-radius guard
// ---------------------------------------------------------------------------------------

/// A company's deprovisioning held by the blast-radius guard, kept on its mapping.
///
/// While held, none of the company's deprovisioning actions is applied, the start of
/// its clock included: a company that has not started deprovisioning keeps
/// `no_services_since` unset, one whose clock already ran keeps it unchanged. Days
/// therefore count from the run that applies the released actions, never from the run
/// that held them, so a release never makes a disable or delete due at once that the
/// hold would have pushed back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprovisioningHold {
    /// The first run that held the company (kept while it stays held).
    pub held_at: DateTime<Utc>,
    /// The actions the latest run held.
    pub actions: Vec<Action>,
    /// Set by an operator's release: the next run applies the actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
}

impl DeprovisioningHold {
    pub fn is_released(&self) -> bool {
        self.released_at.is_some()
    }
}

/// The guard's threshold: a run holds its deprovisioning when more companies than the
/// larger of `companies` and `percent` % of the mapped ones (rounded down) would start
/// or continue it.
///
/// It is the settings' `deprovisioning.hold_above`; a document without it reads with
/// the default, 5 companies and 10 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HoldThreshold {
    pub companies: u32,
    pub percent: u32,
}

impl Default for HoldThreshold {
    fn default() -> Self {
        Self {
            companies: 5,
            percent: 10,
        }
    }
}

impl HoldThreshold {
    /// How many companies a run may deprovision at once.
    pub fn limit(&self, mapped: usize) -> usize {
        let share = mapped.saturating_mul(self.percent as usize) / 100;
        share.max(self.companies as usize)
    }
}

/// Actions the guard counts and holds: the ones that take something from a customer or
/// start the clock that will.
pub fn is_deprovisioning(action: &Action) -> bool {
    matches!(
        action,
        Action::ZeroQuotas { .. }
            | Action::StartDeprovisioningClock { .. }
            | Action::DisableTenant { .. }
            | Action::DeleteTenant { .. }
    )
}

/// What the guard decided for a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guarded {
    /// Companies held this run, with the actions taken out of their plans.
    pub held: Vec<Plan>,
    /// Companies with a stored hold that no longer applies: released ones whose actions
    /// go ahead this run, and ones with nothing left to deprovision (services returned).
    /// Their hold is dropped once their actions are applied.
    pub cleared: Vec<i64>,
    /// Held or released companies the planner skipped this run (a tenant that could not be read, a
    /// guarded tenant): their hold stays as stored, neither counted nor dropped.
    pub untouched: Vec<i64>,
    /// Companies whose deprovisioning was new, held or released this run, and the limit.
    pub deprovisioning: usize,
    pub limit: usize,
}

/// The blast-radius guard over one run's plans.
///
/// `holds` is each company's stored hold. A released company's actions go ahead and
/// are not counted. A company still held stays held (its actions are taken out), and is
/// counted. The other companies with deprovisioning actions go ahead only when, counted
/// with the held ones, they are no more than `threshold.limit(mapped)`; otherwise they
/// are held too. Held actions are removed from `plans`; other actions (a trial switch,
/// an enable, a skip) stay.
pub fn guard_deprovisioning(
    plans: &mut [Plan],
    holds: &std::collections::BTreeMap<i64, DeprovisioningHold>,
    mapped: usize,
    threshold: HoldThreshold,
) -> Guarded {
    let limit = threshold.limit(mapped);
    let deprovisions = |p: &Plan| p.actions.iter().any(is_deprovisioning);
    let mut counted = 0;
    let mut new = Vec::new();
    let mut still_held = Vec::new();
    let mut cleared = Vec::new();
    let mut untouched = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let hold = holds.get(&plan.company_id);
        if !deprovisions(plan) {
            match hold {
                // Skipped this run (e.g. its tenant could not be read): nothing was
                // decided, so the hold stays as it is.
                Some(_) if plan.skips().next().is_some() => {
                    untouched.push(plan.company_id);
                }
                Some(_) => cleared.push(plan.company_id),
                None => {}
            }
            continue;
        }
        match hold {
            Some(h) if h.is_released() => cleared.push(plan.company_id),
            Some(_) => {
                counted += 1;
                still_held.push(i);
            }
            None => {
                counted += 1;
                new.push(i);
            }
        }
    }
    let mut to_hold = still_held;
    if counted > limit {
        to_hold.extend(new);
        to_hold.sort_unstable();
    }
    let held = to_hold
        .into_iter()
        .map(|i| {
            let plan = &mut plans[i];
            let (taken, kept) = plan.actions.drain(..).partition(is_deprovisioning);
            plan.actions = kept;
            Plan {
                company_id: plan.company_id,
                actions: taken,
            }
        })
        .collect();
    Guarded {
        held,
        cleared,
        untouched,
        deprovisioning: counted,
        limit,
    }
}

#[cfg(test)]
mod tests;
