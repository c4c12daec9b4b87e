//! Usage reporting (PAYG): for one company, which contract service units to set from the
//! Acronis usage of its tenant, and the reporting period that applies on a given day.
//!
//! The usage job gathers the inputs (the company's stored snapshot, the settings, the
//! tenant's usage figures and public cloud storages, the ledger of what was reported),
//! re-reads the units of the contract services in the [`UsagePlan`] right before writing
//! (so the `unitChange` is never computed from a stale count) and records each write in
//! the ledger. Rules (DESIGN.md, "Usage (PAYG)"; the guide's "Reporting storage usage"):
//!
//! **What is written.** Only contract services of PAYG contracts. A prepaid item is never
//! written; usage above its units is an [`Overuse`] notice. An item held under both
//! billing types is skipped. An item held by several PAYG contract services gets its
//! usage on the first (lowest contract, then contract service id) only, so it is billed
//! once; the others are skipped with that reason. A line held through a service bundle
//! is skipped: the bundle's units count for every service in it.
//!
//! **Units.** Counts as they are; bytes as binary GB (`/ 2^30`), rounded up by default or
//! to the nearest (halves up) by setting, after summing.
//!
//! **Storage rows** (per storage, see [`StorageFigure`]): "Quota and Total usage" reports
//! the standard usage plus the geo-replicated copy (a storage without geo-replication has
//! no geo figure; that adds nothing); class 1 (free) and class 2 (billed) report their
//! part; "Geo-redundancy" reports the geo-replicated usage, its billed row the billed
//! part of it.
//!
//! **Public cloud** (Azure, Amazon S3, S3 compatible): one product per vendor; 1 unit
//! while the customer has at least one storage of that vendor, 0 when it has none (the
//! Autotask API cannot remove a contract service; the guide only says "enabled", and one
//! unit is what "enabled" bills once). Acronis-hosted storage is reported by its own rows,
//! and they go to 0 when the storage is no longer assigned to the customer (the guide's
//! "if Acronis storage is disabled, it has to be removed from the PSA contract").
//!
//! **Missing data.** A figure that is missing or older than `stale_after` skips its line
//! with that reason; it is never reported as 0. Public cloud lines are skipped when the
//! storages were not read.
//!
//! **Once per period.** A ledger entry for the contract service and period with the same
//! units means "already reported"; in a period reported once (custom billing month) any
//! entry does. Lines whose units already equal the usage are not written, only
//! [`Confirmed`] into the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Unit};
use crate::contracts::{
    BYTES_PER_GB, Billing, CompanySnapshot, Contribution, ItemBilling, ItemKind, OfferingItemRef,
    Origin,
};
use crate::mapping::{MappedTarget, PublicCloudVendor, StorageRow};
use crate::settings::{ReportingPeriod, Settings, UnitRounding, UsageReporting};

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/// One Acronis usage record: `item` is its `name` (edition prefix included) and
/// `infra_id`; `value` is the `absolute_value` (a count, or bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageFigure {
    pub item: OfferingItemRef,
    pub value: u64,
    pub measured_at: DateTime<Utc>,
}

/// The usage records reported beside a storage item, on the same infra id. Acronis
/// documents none of them (unconfirmed); the names follow the simulator:
/// `pw_base_storage` (standard usage), `pw_base_storage_class1` / `_class2` (its free and
/// billed parts), `pw_base_geo_storage` (the geo-replicated copy) and
/// `pw_base_geo_storage_class2` (the billed part of that copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageFigure {
    Standard,
    Class1Free,
    Class2Billed,
    GeoReplicated,
    GeoReplicatedBilled,
}

impl StorageFigure {
    /// The usage name of this figure for the storage item `storage` (`pw_base_storage`
    /// → `pw_base_geo_storage`; an item not ending in `storage` gets a `_geo` suffix).
    pub fn usage_name(self, storage: &str) -> String {
        let geo = || match storage.strip_suffix("storage") {
            Some(prefix) => format!("{prefix}geo_storage"),
            None => format!("{storage}_geo"),
        };
        match self {
            Self::Standard => storage.to_owned(),
            Self::Class1Free => format!("{storage}_class1"),
            Self::Class2Billed => format!("{storage}_class2"),
            Self::GeoReplicated => geo(),
            Self::GeoReplicatedBilled => format!("{}_class2", geo()),
        }
    }
}

/// How many storages of each public cloud vendor the customer has; a vendor absent from
/// the map has none.
pub type PublicCloudStorages = BTreeMap<PublicCloudVendor, u32>;

/// The public cloud vendor of an Acronis storage's `backend_type`; `None` for
/// Acronis-hosted storage and unknown types.
pub fn public_cloud_vendor(backend_type: &str) -> Option<PublicCloudVendor> {
    match backend_type {
        "azure" => Some(PublicCloudVendor::MicrosoftAzure),
        "s3" => Some(PublicCloudVendor::AmazonS3),
        "s3_compatible" => Some(PublicCloudVendor::S3Compatible),
        _ => None,
    }
}

/// The storages assigned to the customer tenant, as read from Acronis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantStorages {
    /// Infra ids of every storage of the tenant, Acronis-hosted or not.
    pub infra_ids: BTreeSet<String>,
    pub public_cloud: PublicCloudStorages,
}

impl TenantStorages {
    /// From the tenant's storages as `(infra id, backend_type)`.
    pub fn from_backends<'a>(storages: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut out = TenantStorages::default();
        for (infra_id, backend_type) in storages {
            out.infra_ids.insert(infra_id.to_owned());
            if let Some(vendor) = public_cloud_vendor(backend_type) {
                *out.public_cloud.entry(vendor).or_default() += 1;
            }
        }
        out
    }
}

/// One ledger entry: `units` were written to a contract service for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedUsage {
    pub contract_service_id: i64,
    pub period_key: String,
    pub units: i64,
}

/// Everything the planner needs for one company.
#[derive(Debug, Clone, Copy)]
pub struct UsageInputs<'a> {
    pub snapshot: &'a CompanySnapshot,
    /// Mappings (what each contract service stands for) and `usage_reporting.rounding`.
    pub settings: &'a Settings,
    /// The usage figures of the company's tenant (aggregated for a sub-partner).
    pub figures: &'a [UsageFigure],
    /// `None` when the tenant's storages were not read: public cloud lines are skipped
    /// and storage rows are measured from the figures alone.
    pub storages: Option<&'a TenantStorages>,
    pub period: &'a Period,
    /// Ledger entries of this company (other periods are ignored).
    pub reported: &'a [ReportedUsage],
    pub now: DateTime<Utc>,
    /// A figure measured longer ago than this is stale.
    pub stale_after: Duration,
}

// ---------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------

/// Set a PAYG contract service's units to the usage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitUpdate {
    pub contract_id: i64,
    pub contract_service_id: i64,
    pub service_id: i64,
    /// What the units measure, e.g. `pw_base_storage@infra-1 class 2 (billed)`.
    pub what: String,
    /// Units in the stored snapshot; the job re-reads the current count before writing.
    pub from_units: i64,
    pub to_units: i64,
    pub reason: String,
}

impl UnitUpdate {
    /// One line for logs and dry runs.
    pub fn describe(&self) -> String {
        format!(
            "contract {} contract service {} ({}): {} -> {} units; {}",
            self.contract_id,
            self.contract_service_id,
            self.what,
            self.from_units,
            self.to_units,
            self.reason
        )
    }
}

/// A line left alone, with why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkippedUsage {
    pub what: String,
    pub reason: String,
}

/// Usage above the units of a prepaid item: shown, never written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Overuse {
    pub what: String,
    pub quota: i64,
    pub used: i64,
}

/// A PAYG contract service whose units already equal the usage, with no ledger entry
/// saying so for the period: the job records it, so the period counts as reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Confirmed {
    pub contract_id: i64,
    pub contract_service_id: i64,
    pub what: String,
    pub units: i64,
}

/// What to write for one company in one period. Every list is sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePlan {
    pub period: Period,
    pub updates: Vec<UnitUpdate>,
    pub confirmed: Vec<Confirmed>,
    /// Lines the ledger already holds for the period (a rerun changes nothing).
    pub already_reported: u32,
    pub skipped: Vec<SkippedUsage>,
    pub overuse: Vec<Overuse>,
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

/// What a contract line's units measure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Measure {
    /// Sum of the figures the item covers (every storage when it names none).
    Item {
        item: OfferingItemRef,
        bytes: bool,
        included_features: bool,
    },
    Storage {
        storage: OfferingItemRef,
        row: StorageRow,
    },
    PublicCloud(PublicCloudVendor),
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Item {
                item,
                included_features,
                ..
            } => {
                write!(f, "{item}")?;
                if *included_features {
                    f.write_str(" (included features)")?;
                }
                Ok(())
            }
            Self::Storage { storage, row } => {
                let row = match row {
                    StorageRow::QuotaAndTotal => "total",
                    StorageRow::Class1Free => "class 1 (free)",
                    StorageRow::Class2Billed => "class 2 (billed)",
                    StorageRow::GeoRedundancy => "geo-redundancy",
                    StorageRow::GeoRedundancyBilled => "geo-redundancy (billed)",
                };
                write!(f, "{storage} {row}")
            }
            Self::PublicCloud(vendor) => write!(f, "public cloud {}", vendor.label()),
        }
    }
}

/// Used units and the words that explain them.
struct Measured {
    units: i64,
    detail: String,
}

/// Bytes to whole GB units.
pub fn bytes_to_units(bytes: u64, rounding: UnitRounding) -> i64 {
    let gb = BYTES_PER_GB.unsigned_abs();
    let whole = bytes / gb;
    let rest = bytes % gb;
    let up = match rounding {
        UnitRounding::Up => rest > 0,
        UnitRounding::Nearest => rest >= gb / 2,
    };
    // At most 2^34 whole GB: always fits.
    i64::try_from(whole + u64::from(up)).unwrap_or(i64::MAX)
}

struct Ctx<'a> {
    figures: &'a [UsageFigure],
    storages: Option<&'a TenantStorages>,
    rounding: UnitRounding,
    now: DateTime<Utc>,
    stale_after: Duration,
}

impl Ctx<'_> {
    /// Sum of the fresh figures `item` covers; `Ok(None)` when there are none.
    fn sum(&self, item: &OfferingItemRef) -> Result<Option<u64>, String> {
        let mut sum: Option<u64> = None;
        for figure in self.figures.iter().filter(|f| item.covers(&f.item)) {
            if self.now - figure.measured_at > self.stale_after {
                return Err(format!(
                    "usage figure {} is stale (measured {})",
                    figure.item,
                    figure.measured_at.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            sum = Some(sum.unwrap_or(0).saturating_add(figure.value));
        }
        Ok(sum)
    }

    fn required(&self, item: &OfferingItemRef) -> Result<u64, String> {
        self.sum(item)?
            .ok_or_else(|| format!("no usage figure for {item}"))
    }

    fn gb(&self, bytes: u64) -> Measured {
        let rounding = match self.rounding {
            UnitRounding::Up => "rounded up",
            UnitRounding::Nearest => "rounded to nearest",
        };
        let units = bytes_to_units(bytes, self.rounding);
        Measured {
            units,
            detail: format!("{units} GB used ({bytes} bytes, {rounding})"),
        }
    }

    fn measure(&self, measure: &Measure) -> Result<Measured, String> {
        match measure {
            Measure::Item { item, bytes, .. } => {
                let value = self.required(item)?;
                if *bytes {
                    return Ok(self.gb(value));
                }
                let units = i64::try_from(value)
                    .map_err(|_| format!("usage {value} of {item} is too large"))?;
                Ok(Measured {
                    units,
                    detail: format!("{units} in use"),
                })
            }
            Measure::Storage { storage, row } => {
                let assigned = |s: &TenantStorages| {
                    storage
                        .infra_id
                        .as_ref()
                        .is_none_or(|infra| s.infra_ids.contains(infra))
                };
                if self.storages.is_some_and(|s| !assigned(s)) {
                    return Ok(Measured {
                        units: 0,
                        detail: "storage not assigned to the customer: disabled".to_owned(),
                    });
                }
                let figure = |f: StorageFigure| OfferingItemRef {
                    name: f.usage_name(&storage.name),
                    infra_id: storage.infra_id.clone(),
                };
                let bytes = match row {
                    StorageRow::QuotaAndTotal => {
                        let standard = self.required(&figure(StorageFigure::Standard))?;
                        let geo = self.sum(&figure(StorageFigure::GeoReplicated))?;
                        standard.saturating_add(geo.unwrap_or(0))
                    }
                    StorageRow::Class1Free => self.required(&figure(StorageFigure::Class1Free))?,
                    StorageRow::Class2Billed => {
                        self.required(&figure(StorageFigure::Class2Billed))?
                    }
                    StorageRow::GeoRedundancy => {
                        self.required(&figure(StorageFigure::GeoReplicated))?
                    }
                    StorageRow::GeoRedundancyBilled => {
                        self.required(&figure(StorageFigure::GeoReplicatedBilled))?
                    }
                };
                Ok(self.gb(bytes))
            }
            Measure::PublicCloud(vendor) => {
                let storages = self
                    .storages
                    .ok_or("the customer's storages were not read")?;
                let n = storages.public_cloud.get(vendor).copied().unwrap_or(0);
                Ok(if n > 0 {
                    Measured {
                        units: 1,
                        detail: format!("{n} {} storage(s): enabled", vendor.label()),
                    }
                } else {
                    Measured {
                        units: 0,
                        detail: format!("no {} storage: disabled", vendor.label()),
                    }
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Planner
// ---------------------------------------------------------------------------------------

/// What a reporting-only contract line measures, from the mapping of its service.
fn reporting_measure(settings: &Settings, service_id: i64) -> Option<Measure> {
    Some(match settings.target_of_service(service_id)? {
        MappedTarget::Item {
            offering_item,
            infra_id,
            included_features,
        } => {
            let name = catalog::canonical_name(offering_item);
            Measure::Item {
                bytes: catalog::find(name).is_some_and(|i| i.unit == Unit::Bytes),
                item: OfferingItemRef {
                    name: name.to_owned(),
                    infra_id: infra_id.map(str::to_owned),
                },
                included_features,
            }
        }
        MappedTarget::Storage {
            offering_item,
            infra_id,
            row,
        } => Measure::Storage {
            storage: OfferingItemRef::on_infra(catalog::canonical_name(offering_item), infra_id),
            row,
        },
        MappedTarget::PublicCloud(vendor) => Measure::PublicCloud(vendor),
    })
}

/// Plans the unit updates of one company's PAYG contract services (see the module doc).
pub fn plan_usage(inputs: &UsageInputs<'_>) -> UsagePlan {
    let ctx = Ctx {
        figures: inputs.figures,
        storages: inputs.storages,
        rounding: inputs.settings.usage_reporting.rounding,
        now: inputs.now,
        stale_after: inputs.stale_after,
    };
    let mut skipped = BTreeSet::new();
    let mut skip = |what: &dyn fmt::Display, reason: String| {
        skipped.insert(SkippedUsage {
            what: what.to_string(),
            reason,
        });
    };

    let mut groups: BTreeMap<Measure, Vec<&Contribution>> = BTreeMap::new();
    for entitlement in &inputs.snapshot.items {
        if let ItemBilling::Conflict {
            payg_contract_ids,
            prepaid_contract_ids,
        } = &entitlement.billing
        {
            skip(
                &entitlement.item,
                format!(
                    "held under PAYG contracts {payg_contract_ids:?} and prepaid contracts {prepaid_contract_ids:?}"
                ),
            );
            continue;
        }
        let storage_row = entitlement
            .contributions
            .iter()
            .find_map(|c| reporting_measure(inputs.settings, c.service_id))
            .filter(|m| {
                matches!(
                    m,
                    Measure::Storage {
                        row: StorageRow::QuotaAndTotal,
                        ..
                    }
                )
            });
        let measure = storage_row.unwrap_or_else(|| Measure::Item {
            item: entitlement.item.clone(),
            bytes: entitlement.kind == ItemKind::Storage,
            included_features: false,
        });
        groups
            .entry(measure)
            .or_default()
            .extend(&entitlement.contributions);
    }
    for line in &inputs.snapshot.reporting_lines {
        match reporting_measure(inputs.settings, line.service_id) {
            Some(measure) => groups.entry(measure).or_default().push(line),
            None => skip(
                &format!("service {}", line.service_id),
                "no longer mapped".to_owned(),
            ),
        }
    }

    let mut updates = Vec::new();
    let mut confirmed = Vec::new();
    let mut already_reported = 0;
    let mut overuse = Vec::new();
    for (measure, lines) in &groups {
        let payg: Vec<&Contribution> = lines
            .iter()
            .copied()
            .filter(|l| l.billing == Billing::Payg)
            .collect();
        let prepaid_units: Option<i64> = lines
            .iter()
            .filter(|l| l.billing == Billing::Prepaid)
            .map(|l| l.units)
            .reduce(i64::saturating_add);
        if !payg.is_empty() && prepaid_units.is_some() {
            skip(
                measure,
                "held under both PAYG and prepaid contracts".to_owned(),
            );
            continue;
        }
        let measured = ctx.measure(measure);
        if let Some(quota) = prepaid_units {
            if let Some(used) = measured.as_ref().ok().filter(|u| u.units > quota) {
                overuse.push(Overuse {
                    what: measure.to_string(),
                    quota,
                    used: used.units,
                });
            }
            continue;
        }
        let used = match measured {
            Ok(used) => used,
            Err(reason) => {
                skip(measure, reason);
                continue;
            }
        };
        let mut target = None;
        for line in payg {
            match (&line.origin, target) {
                (
                    Origin::Bundle {
                        contract_service_bundle_id,
                        ..
                    },
                    _,
                ) => skip(
                    measure,
                    format!(
                        "contract {} holds it through service bundle {contract_service_bundle_id}, whose units count for every service in it",
                        line.contract_id
                    ),
                ),
                (Origin::Service { .. }, Some((_, first))) => skip(
                    measure,
                    format!(
                        "contract {} also holds it; usage is reported once, on contract service {first}",
                        line.contract_id
                    ),
                ),
                (
                    Origin::Service {
                        contract_service_id,
                    },
                    None,
                ) => target = Some((line, *contract_service_id)),
            }
        }
        let Some((line, contract_service_id)) = target else {
            continue;
        };
        let ledger = inputs.reported.iter().find(|r| {
            r.contract_service_id == contract_service_id && r.period_key == inputs.period.key
        });
        if ledger.is_some_and(|e| e.units == used.units || inputs.period.report_once) {
            already_reported += 1;
            continue;
        }
        if line.units == used.units {
            confirmed.push(Confirmed {
                contract_id: line.contract_id,
                contract_service_id,
                what: measure.to_string(),
                units: used.units,
            });
            continue;
        }
        updates.push(UnitUpdate {
            contract_id: line.contract_id,
            contract_service_id,
            service_id: line.service_id,
            what: measure.to_string(),
            from_units: line.units,
            to_units: used.units,
            reason: used.detail,
        });
    }
    updates.sort();
    confirmed.sort();
    overuse.sort();
    UsagePlan {
        period: inputs.period.clone(),
        updates,
        confirmed,
        already_reported,
        skipped: skipped.into_iter().collect(),
        overuse,
    }
}

// ---------------------------------------------------------------------------------------
// Sub-partners
// ---------------------------------------------------------------------------------------

/// What was read from one tenant under a sub-partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantUsage {
    pub tenant_id: String,
    pub figures: Vec<UsageFigure>,
    /// `None` when its storages were not read.
    pub storages: Option<TenantStorages>,
}

/// The usage of a sub-partner's customers, reported as one to the sub-partner's
/// company. Tenants mapped to a company of their own are left out (their usage goes
/// to that company). Figures of the same item add up and carry the oldest measurement,
/// so one stale tenant makes the sum stale instead of silently short. Storages are
/// `None` as soon as one tenant's were not read. Sorted by item.
pub fn aggregate_sub_partner(
    tenants: &[TenantUsage],
    mapped_on_their_own: &BTreeSet<String>,
) -> (Vec<UsageFigure>, Option<TenantStorages>) {
    let mut sums: BTreeMap<&OfferingItemRef, (u64, DateTime<Utc>)> = BTreeMap::new();
    let mut storages = Some(TenantStorages::default());
    let included = tenants
        .iter()
        .filter(|t| !mapped_on_their_own.contains(&t.tenant_id));
    for tenant in included {
        for figure in &tenant.figures {
            let sum = sums.entry(&figure.item).or_insert((0, figure.measured_at));
            sum.0 = sum.0.saturating_add(figure.value);
            sum.1 = sum.1.min(figure.measured_at);
        }
        storages = match (storages, &tenant.storages) {
            (Some(mut acc), Some(own)) => {
                acc.infra_ids.extend(own.infra_ids.iter().cloned());
                for (vendor, n) in &own.public_cloud {
                    let count = acc.public_cloud.entry(*vendor).or_default();
                    *count = count.saturating_add(*n);
                }
                Some(acc)
            }
            _ => None,
        };
    }
    let figures = sums
        .into_iter()
        .map(|(item, (value, measured_at))| UsageFigure {
            item: item.clone(),
            value,
            measured_at,
        })
        .collect();
    (figures, storages)
}

// ---------------------------------------------------------------------------------------
// Reporting period
// ---------------------------------------------------------------------------------------

/// The period usage is reported for. `key` names it in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Inclusive.
    pub start: NaiveDate,
    /// Inclusive.
    pub end: NaiveDate,
    /// `2026-03` for a calendar month, `2026-02-15` (the start) for a custom billing
    /// month.
    pub key: String,
    /// Reported once (custom billing month), not daily.
    pub report_once: bool,
}

impl Period {
    /// Whether `day` falls inside the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// Whether the period is over on `today` (its figures come from the usage history).
    pub fn is_past(&self, today: NaiveDate) -> bool {
        self.end < today
    }

    /// The moment the period's figures are judged at: `now` while the period runs, the
    /// end of its last day once it is over (a figure is stale when it was measured
    /// longer than the stale limit before that).
    pub fn as_of(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let end = self
            .end
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc() - Duration::seconds(1));
        end.map_or(now, |end| end.min(now))
    }
}

fn calendar_month(first: NaiveDate) -> Option<Period> {
    let end = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some(Period {
        start: first,
        end,
        key: first.format("%Y-%m").to_string(),
        report_once: false,
    })
}

/// The period to report on `today`, or `None` when nothing is reported that day: a
/// custom billing month starting on day N is reported only on day N, for the month
/// before it (N outside 1–28 reports nothing; validation refuses it).
pub fn period_for(settings: &UsageReporting, today: NaiveDate) -> Option<Period> {
    let first = today.with_day(1)?;
    match settings.period {
        ReportingPeriod::CurrentCalendarMonth => calendar_month(first),
        ReportingPeriod::PreviousCalendarMonth => {
            calendar_month(first.checked_sub_months(Months::new(1))?)
        }
        ReportingPeriod::CustomBillingMonth => {
            let day = settings.billing_month_start_day;
            if !(1..=28).contains(&day) || today.day() != day {
                return None;
            }
            let start = today.checked_sub_months(Months::new(1))?;
            Some(Period {
                start,
                end: today.pred_opt()?,
                key: start.to_string(),
                report_once: true,
            })
        }
    }
}

#[cfg(test)]
mod tests;
