//! The rules a settings document must satisfy, and the error that lists every breach.
//!
//! Each problem names its field path (`service_mappings[3].offering_item`) so the config
//! API can return the list as its 400 body and a UI can point at the field.

use crate::catalog::{self, CatalogItem};
use crate::mapping::{ServiceRef, StorageRow};
use crate::settings::{AccountBasis, Job, Settings};
use crate::text::quoted;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::ops::RangeInclusive;

/// Bounds of the deprovisioning day counts (ten years).
pub const DEPROVISIONING_DAYS: RangeInclusive<u32> = 1..=3650;
/// Bounds of the blast-radius guard's company count.
pub const HOLD_ABOVE_COMPANIES: RangeInclusive<u32> = 0..=100_000;
/// Bounds of the blast-radius guard's share of the mapped companies.
pub const HOLD_ABOVE_PERCENT: RangeInclusive<u32> = 0..=100;
/// Days a tenant must have been disabled, and its deletion listed in the forecast,
/// before it is deleted.
pub const DELETE_NOTICE_DAYS: RangeInclusive<u32> = 1..=365;
/// Bounds of the ticket re-opening window.
pub const REOPEN_WINDOW_DAYS: RangeInclusive<u32> = 0..=365;
/// Bounds of the custom billing month's first day (every month has it).
pub const BILLING_MONTH_START_DAY: RangeInclusive<u32> = 1..=28;
/// Autotask `Services.name` is at most 100 characters.
const SERVICE_NAME_MAX_CHARS: usize = 100;
/// The longest e-mail address (RFC 5321: 254 octets on the wire).
pub const EMAIL_MAX_CHARS: usize = 254;
/// The longest Acronis infra id (a UUID is 36).
pub const INFRA_ID_MAX_CHARS: usize = 64;
/// The longest alert type (CTI ids are the long ones, about 60).
pub const ALERT_TYPE_MAX_CHARS: usize = 200;
/// The longest offering item name (the catalogue's are under 40).
pub const OFFERING_ITEM_MAX_CHARS: usize = 100;
/// The longest storage location label.
pub const LOCATION_MAX_CHARS: usize = 100;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsProblem {
    /// Path of the field, e.g. `deprovisioning.disable_after_days`; empty for the whole
    /// document.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Every problem of a settings document (malformed values and unknown fields first, then
/// broken rules); never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct SettingsErrors {
    errors: Vec<SettingsProblem>,
}

impl SettingsErrors {
    pub fn problems(&self) -> &[SettingsProblem] {
        &self.errors
    }

    pub fn into_problems(self) -> Vec<SettingsProblem> {
        self.errors
    }

    /// The fields with problems, for tests and logs.
    pub fn fields(&self) -> Vec<&str> {
        self.errors.iter().map(|p| p.field.as_str()).collect()
    }
}

/// One line per problem.
impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Collects problems while checking.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<SettingsProblem>);

impl Problems {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(SettingsProblem {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` if nothing was found, else every problem.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, SettingsErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }

    pub(crate) fn into_errors(self) -> SettingsErrors {
        SettingsErrors { errors: self.0 }
    }

    fn in_range(&mut self, field: &str, value: u32, range: RangeInclusive<u32>) {
        if !range.contains(&value) {
            self.push(
                field,
                format!("must be {}..={} (got {value})", range.start(), range.end()),
            );
        }
    }

    /// Autotask ids (picklist values, services, billing codes) are positive.
    fn positive_id(&mut self, field: &str, value: Option<i64>) {
        if let Some(id) = value.filter(|id| *id <= 0) {
            self.push(field, format!("must be a positive Autotask id (got {id})"));
        }
    }

    fn required<T>(&mut self, field: &str, value: &Option<T>, why: &str) {
        if value.is_none() {
            self.push(field, format!("required {why}"));
        }
    }
}

/// Checks every rule of `docs/settings.md`.
pub(crate) fn validate(settings: &Settings) -> Result<(), SettingsErrors> {
    let mut problems = Problems::default();
    features(settings, &mut problems);
    provisioning(settings, &mut problems);
    deprovisioning(settings, &mut problems);
    tickets(settings, &mut problems);
    usage_and_schedules(settings, &mut problems);
    service_mappings(settings, &mut problems);
    storage_mappings(settings, &mut problems);
    public_cloud_mappings(settings, &mut problems);
    unique_services(settings, &mut problems);
    alert_mappings(settings, &mut problems);
    problems.finish(())
}

fn features(settings: &Settings, problems: &mut Problems) {
    let features = &settings.features;
    if features.two_way_sync {
        if !features.billing {
            problems.push(
                "features.two_way_sync",
                "requires features.billing: it syncs quotas and contract units",
            );
        }
        let why = "when two-way sync is on (used for new Autotask services)";
        problems.required("features.allocation_code", &features.allocation_code, why);
        problems.required("features.period_type", &features.period_type, why);
    }
    problems.positive_id("features.allocation_code", features.allocation_code);
}

fn provisioning(settings: &Settings, problems: &mut Problems) {
    let provisioning = &settings.provisioning;
    const FIELD: &str = "provisioning.activation_email";
    match &provisioning.activation_email {
        None if provisioning.create_accounts_based_on == AccountBasis::CompanyName => problems
            .push(
                FIELD,
                "required when accounts are based on the company name",
            ),
        Some(email) if email.chars().count() > EMAIL_MAX_CHARS => {
            problems.push(FIELD, format!("longer than {EMAIL_MAX_CHARS} characters"))
        }
        Some(email) if !is_email(email) => problems.push(
            FIELD,
            format!("not a valid email address: {}", quoted(email)),
        ),
        _ => {}
    }
    if let Some(infra) = provisioning.default_storage.as_deref() {
        if infra.trim().is_empty() {
            problems.push(
                "provisioning.default_storage",
                "must not be empty; omit it for the partner's default",
            );
        } else {
            infra_id("provisioning.default_storage", infra, problems);
        }
    }
}

fn deprovisioning(settings: &Settings, problems: &mut Problems) {
    let d = &settings.deprovisioning;
    problems.in_range(
        "deprovisioning.disable_after_days",
        d.disable_after_days,
        DEPROVISIONING_DAYS,
    );
    problems.in_range(
        "deprovisioning.delete_after_days",
        d.delete_after_days,
        DEPROVISIONING_DAYS,
    );
    problems.in_range(
        "deprovisioning.delete_notice_days",
        d.delete_notice_days,
        DELETE_NOTICE_DAYS,
    );
    problems.in_range(
        "deprovisioning.hold_above.companies",
        d.hold_above.companies,
        HOLD_ABOVE_COMPANIES,
    );
    problems.in_range(
        "deprovisioning.hold_above.percent",
        d.hold_above.percent,
        HOLD_ABOVE_PERCENT,
    );
    if d.disable_customer && d.delete_customer && d.delete_after_days < d.disable_after_days {
        problems.push(
            "deprovisioning.delete_after_days",
            format!(
                "must be at least deprovisioning.disable_after_days ({}): Acronis deletes only disabled customers",
                d.disable_after_days
            ),
        );
    }
}

fn tickets(settings: &Settings, problems: &mut Problems) {
    let t = &settings.tickets;
    problems.in_range(
        "tickets.reopen_window_days",
        t.reopen_window_days,
        REOPEN_WINDOW_DAYS,
    );
    if t.auto_close {
        problems.required(
            "tickets.auto_close_status",
            &t.auto_close_status,
            "when auto-closing is on",
        );
    }
    if settings.features.ticket_creation {
        let why = "when ticket creation is on (ticket notes need it)";
        problems.required("tickets.note_type", &t.note_type, why);
        problems.required("tickets.note_publish", &t.note_publish, why);
    }
    problems.positive_id("tickets.auto_close_status", t.auto_close_status);
    problems.positive_id("tickets.source", t.source);
    problems.positive_id("tickets.note_type", t.note_type);
    problems.positive_id("tickets.note_publish", t.note_publish);
}

fn usage_and_schedules(settings: &Settings, problems: &mut Problems) {
    problems.in_range(
        "usage_reporting.billing_month_start_day",
        settings.usage_reporting.billing_month_start_day,
        BILLING_MONTH_START_DAY,
    );
    for job in Job::ALL {
        let field = format!("schedules.{}", job.field());
        problems.in_range(&field, settings.schedules.minutes(job), job.bounds());
    }
}

/// The catalogue entry of a row's offering item, or a problem saying why there is none.
fn known_item(field: &str, name: &str, problems: &mut Problems) -> Option<&'static CatalogItem> {
    if name.trim().is_empty() {
        problems.push(field, "required");
        return None;
    }
    let item = (name.chars().count() <= OFFERING_ITEM_MAX_CHARS)
        .then(|| catalog::find(name))
        .flatten();
    if item.is_none() {
        problems.push(field, format!("unknown offering item {}", quoted(name)));
    }
    item
}

/// An Acronis infra id: letters, digits and `-`, `_`, `.`, at most
/// [`INFRA_ID_MAX_CHARS`].
fn infra_id(field: &str, infra: &str, problems: &mut Problems) {
    if infra.trim().is_empty() {
        problems.push(field, "must not be empty");
    } else if infra.chars().count() > INFRA_ID_MAX_CHARS {
        problems.push(
            field,
            format!("longer than {INFRA_ID_MAX_CHARS} characters; an infra id is a UUID"),
        );
    } else if !is_id(infra, "-_.") {
        problems.push(
            field,
            "may hold only letters, digits, '-', '_' and '.' (an Acronis infra id)",
        );
    }
}

/// A label shown to people: bounded, and free of control characters and markup.
fn label(field: &str, text: &str, max_chars: usize, problems: &mut Problems) {
    if text.chars().count() > max_chars {
        problems.push(field, format!("longer than {max_chars} characters"));
    } else if text
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        problems.push(field, "must not hold control characters, '<' or '>'");
    }
}

/// ASCII letters and digits plus the given punctuation: the shape of an API id.
fn is_id(text: &str, punctuation: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || punctuation.contains(c))
}

fn service_ref(field: &str, service: Option<&ServiceRef>, problems: &mut Problems) {
    match service {
        Some(ServiceRef::Id(id)) => problems.positive_id(&format!("{field}.id"), Some(*id)),
        Some(ServiceRef::Create(name)) => {
            let field = format!("{field}.create");
            if name.trim().is_empty() {
                problems.push(field, "service name must not be empty");
            } else {
                label(&field, name, SERVICE_NAME_MAX_CHARS, problems);
            }
        }
        None => {}
    }
}

fn service_mappings(settings: &Settings, problems: &mut Problems) {
    let mut seen: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for (i, row) in settings.service_mappings.iter().enumerate() {
        let at = format!("service_mappings[{i}]");
        service_ref(&format!("{at}.service"), row.service.as_ref(), problems);
        service_ref(
            &format!("{at}.included_features"),
            row.included_features.as_ref(),
            problems,
        );
        if let Some(infra) = &row.infra_id {
            infra_id(&format!("{at}.infra_id"), infra, problems);
        }
        let Some(item) = known_item(&format!("{at}.offering_item"), &row.offering_item, problems)
        else {
            continue;
        };
        if item.group == catalog::Group::Storage {
            problems.push(
                format!("{at}.offering_item"),
                format!(
                    "{} is backup storage: map it under storage_mappings",
                    item.name
                ),
            );
            continue;
        }
        if row.infra_id.is_some() && !item.per_storage {
            problems.push(
                format!("{at}.infra_id"),
                format!("offering item {} is not bound to a storage", item.name),
            );
        }
        if row.free && !item.free_applies {
            problems.push(
                format!("{at}.free"),
                format!("the Free option does not apply to {}", item.name),
            );
        }
        if row.included_features.is_some() && !item.included_features {
            problems.push(
                format!("{at}.included_features"),
                format!("{} has no \"(included features)\" row", item.name),
            );
        }
        if let Some(first) = seen.insert((item.name, row.infra_id.as_deref()), i) {
            problems.push(
                format!("{at}.offering_item"),
                format!(
                    "{} is already mapped at service_mappings[{first}]",
                    describe(item.name, row.infra_id.as_deref())
                ),
            );
        }
    }
}

fn storage_mappings(settings: &Settings, problems: &mut Problems) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, row) in settings.storage_mappings.iter().enumerate() {
        let at = format!("storage_mappings[{i}]");
        infra_id(&format!("{at}.infra_id"), &row.infra_id, problems);
        if let Some(location) = &row.location {
            label(
                &format!("{at}.location"),
                location,
                LOCATION_MAX_CHARS,
                problems,
            );
        }
        for storage_row in StorageRow::ALL {
            service_ref(
                &format!("{at}.{}", storage_row.field()),
                row.service(storage_row),
                problems,
            );
        }
        let Some(item) = known_item(&format!("{at}.offering_item"), &row.offering_item, problems)
        else {
            continue;
        };
        if item.group != catalog::Group::Storage {
            problems.push(
                format!("{at}.offering_item"),
                format!(
                    "{} is not a backup storage item: map it under service_mappings",
                    item.name
                ),
            );
            continue;
        }
        if let Some(first) = seen.insert((item.name, row.infra_id.as_str()), i) {
            problems.push(
                format!("{at}.infra_id"),
                format!(
                    "{} is already mapped at storage_mappings[{first}]",
                    describe(item.name, Some(&row.infra_id))
                ),
            );
        }
    }
}

fn public_cloud_mappings(settings: &Settings, problems: &mut Problems) {
    for (vendor, service) in settings.public_cloud_mappings.rows() {
        service_ref(
            &format!("public_cloud_mappings.{}", vendor.field()),
            Some(service),
            problems,
        );
    }
}

/// One Autotask service stands for one thing: with two-way sync (and in usage reporting)
/// a contract service must lead back to exactly one item, storage row or vendor.
fn unique_services(settings: &Settings, problems: &mut Problems) {
    let mut refs: Vec<(String, &ServiceRef)> = Vec::new();
    for (i, row) in settings.service_mappings.iter().enumerate() {
        let at = format!("service_mappings[{i}]");
        refs.extend(row.service.as_ref().map(|s| (format!("{at}.service"), s)));
        refs.extend(
            row.included_features
                .as_ref()
                .map(|s| (format!("{at}.included_features"), s)),
        );
    }
    for (i, row) in settings.storage_mappings.iter().enumerate() {
        refs.extend(
            row.rows()
                .map(|(r, s)| (format!("storage_mappings[{i}].{}", r.field()), s)),
        );
    }
    refs.extend(
        settings
            .public_cloud_mappings
            .rows()
            .map(|(vendor, s)| (format!("public_cloud_mappings.{}", vendor.field()), s)),
    );

    let mut seen: HashMap<String, &str> = HashMap::new();
    for (field, service) in &refs {
        let key = match service {
            ServiceRef::Id(id) => format!("id:{id}"),
            ServiceRef::Create(name) => format!("create:{}", name.trim().to_lowercase()),
        };
        if let Some(first) = seen.get(&key) {
            let what = match service {
                ServiceRef::Id(id) => format!("Autotask service {id}"),
                ServiceRef::Create(name) => format!("a service named {:?}", name.trim()),
            };
            problems.push(
                field.clone(),
                format!(
                    "{what} is already mapped at {first}: two-way sync could not tell them apart"
                ),
            );
        } else {
            seen.insert(key, field);
        }
    }
}

fn alert_mappings(settings: &Settings, problems: &mut Problems) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, row) in settings.alert_mappings.iter().enumerate() {
        let at = format!("alert_mappings[{i}]");
        let alert_type = row.alert_type.trim();
        if alert_type.is_empty() {
            problems.push(format!("{at}.alert_type"), "required");
        } else if alert_type.chars().count() > ALERT_TYPE_MAX_CHARS {
            problems.push(
                format!("{at}.alert_type"),
                format!("longer than {ALERT_TYPE_MAX_CHARS} characters"),
            );
        } else if !is_id(alert_type, "-_.~:/") {
            problems.push(
                format!("{at}.alert_type"),
                "may hold only letters, digits and '-', '_', '.', '~', ':', '/' (an Acronis alert type)",
            );
        } else if let Some(first) = seen.insert(alert_type, i) {
            problems.push(
                format!("{at}.alert_type"),
                format!(
                    "alert type {} is already mapped at alert_mappings[{first}]",
                    quoted(alert_type)
                ),
            );
        }
        if row.enabled {
            let why = "for an enabled alert type (Autotask requires it on new tickets)";
            problems.required(&format!("{at}.priority"), &row.priority, why);
            problems.required(&format!("{at}.status"), &row.status, why);
        }
        if row.sub_issue_type.is_some() && row.issue_type.is_none() {
            problems.push(
                format!("{at}.sub_issue_type"),
                "needs issue_type: a sub-issue type belongs to an issue type",
            );
        }
        for (field, id) in [
            ("priority", row.priority),
            ("status", row.status),
            ("queue", row.queue),
            ("issue_type", row.issue_type),
            ("sub_issue_type", row.sub_issue_type),
            ("ticket_type", row.ticket_type),
        ] {
            problems.positive_id(&format!("{at}.{field}"), id);
        }
    }
}

fn describe(item: &str, infra: Option<&str>) -> String {
    match infra {
        Some(infra) => format!("{item} on storage {}", quoted(infra)),
        None => item.to_owned(),
    }
}

/// A deliberately plain check: one `@`; a local part of RFC 5322 "atext" characters and
/// dots; a dotted domain of letters, digits and `-` without empty labels. No quoted local
/// parts or address literals: nobody sends activation mail to those. The real proof is
/// the activation email arriving.
fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && address.len() <= EMAIL_MAX_CHARS
        && is_id(local, ".!#$%&'*+/=?^_`{|}~-")
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && is_id(label, "-")
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
