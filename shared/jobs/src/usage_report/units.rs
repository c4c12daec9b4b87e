//! Writing usage into PAYG contract services.
//!
//! The units rows of every contract service to write are read again in a few batched
//! queries right before writing; each line then gets `unitChange = usage − current`
//! from the row it lands in, and a ledger entry for its period. The row is the one
//! covering today, kept inside the contract's dates (a contract that ended takes the
//! change on its last row; one that starts later, on its first), never a row that was
//! approved and posted, and never a row outside the reported period's reach.

use crate::audit::Audit;
use crate::{Context, contract_units};
use autotask::AutotaskClient;
use autotask::models::ContractServiceUnit;
use bridge_core::records::{UsageLedgerEntry, Versioned};
use bridge_core::text::bounded;
use bridge_core::usage::Period;
use bridge_store::store::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde_json::json;
use std::collections::BTreeMap;

/// Adjustments in flight at once: Autotask serves three requests per endpoint at a time.
const WRITE_CONCURRENCY: usize = 3;

/// How long a run keeps starting writes. A first report of thousands of lines (or one
/// slowed by Autotask's hourly threshold) outlasts a Lambda run; rather than be killed
/// mid-write, the run stops starting new lines in time, and the next run carries on
/// from the ledger. Stays well below the function's timeout and the job's lease.
pub const WRITE_BUDGET: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// One contract service to bring to its usage.
#[derive(Debug, Clone)]
pub struct Line {
    pub company_id: i64,
    pub contract_id: i64,
    pub contract_service_id: i64,
    /// What the units measure, for the audit and the summary.
    pub what: String,
    pub to_units: i64,
    pub reason: String,
    /// The ledger entry of the period, if one exists (its version guards the write).
    pub ledger: Option<Versioned<UsageLedgerEntry>>,
}

/// What became of one line.
#[derive(Debug)]
pub enum Outcome {
    /// Units brought to the usage; `adjustment` is `None` when they already were.
    Written {
        /// The units the re-read found.
        before: i64,
        adjustment: Option<i64>,
    },
    /// Not written, with why (posted period, outside the contract's dates).
    Skipped(String),
    Failed(String),
    /// Not started: the run's write budget was spent; the next run writes it.
    Deferred,
}

/// The days whose units rows a line can land on: from the period's start (or today, if
/// earlier) to its end (or today, if later). Only rows overlapping them are re-read.
fn reach(period: &Period, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (period.start.min(today), period.end.max(today))
}

/// Where a change to a contract service lands: its effective date and the units the
/// row holds there.
pub fn placement(
    rows: &[ContractServiceUnit],
    today: NaiveDate,
    period: &Period,
) -> Result<(NaiveDate, i64), String> {
    let day = |t: Option<DateTime<Utc>>| t.map(|t| t.date_naive());
    let covering = |d: NaiveDate| {
        rows.iter().find(|r| {
            day(r.start_date).is_some_and(|s| s <= d) && day(r.end_date).is_none_or(|e| d <= e)
        })
    };
    let (date, row) = if let Some(row) = covering(today) {
        (today, row)
    } else if let Some(last) = rows
        .iter()
        .filter(|r| day(r.end_date).is_some_and(|e| e < today))
        .max_by_key(|r| r.end_date)
    {
        // The contract ended: its last day still bills the period.
        let end = day(last.end_date).unwrap_or(today);
        if end < period.start {
            return Err(format!(
                "the contract ended on {end}, before the period {} began",
                period.key
            ));
        }
        (end, last)
    } else if let Some(first) = rows.iter().min_by_key(|r| r.start_date) {
        let start = day(first.start_date).unwrap_or(today);
        if start > period.end {
            return Err(format!(
                "the contract starts on {start}, after the period {} ends",
                period.key
            ));
        }
        (start, first)
    } else {
        let (from, until) = reach(period, today);
        return Err(format!(
            "no units row from {from} to {until}: the period {} is outside the contract's dates",
            period.key
        ));
    };
    if let Some(posted) = row.approve_and_post_date {
        return Err(format!(
            "the units row of {date} was approved and posted on {}; nothing is written into a posted period",
            posted.date_naive()
        ));
    }
    Ok((date, row.units.unwrap_or(0)))
}

/// Writes every line: one batched re-read of the units, then the adjustments
/// [`WRITE_CONCURRENCY`] at a time, each followed by its ledger entry and audit entry.
/// Lines not started within `budget`, or by the run's deadline, are
/// [`Outcome::Deferred`].
#[allow(clippy::too_many_arguments)]
pub async fn write_all(
    ctx: &Context,
    autotask: &AutotaskClient,
    actor: &str,
    period: &Period,
    now: DateTime<Utc>,
    lines: Vec<Line>,
    budget: std::time::Duration,
    run_deadline: &crate::Deadline,
) -> Vec<(Line, Outcome)> {
    if lines.is_empty() {
        return Vec::new();
    }
    let today = now.date_naive();
    let ids: Vec<i64> = lines.iter().map(|l| l.contract_service_id).collect();
    let (from, until) = reach(period, today);
    let rows = match contract_units::rows_between(autotask, &ids, from, until).await {
        Ok(rows) => rows,
        Err(e) => {
            let why = format!("units could not be read: {}", bounded(&e.to_string(), 300));
            return lines
                .into_iter()
                .map(|l| (l, Outcome::Failed(why.clone())))
                .collect();
        }
    };
    let rows = &rows;
    let deadline = tokio::time::Instant::now() + budget;
    futures_util::stream::iter(lines)
        .map(|line| async move {
            if tokio::time::Instant::now() >= deadline || run_deadline.passed() {
                return (line, Outcome::Deferred);
            }
            let outcome = write_one(ctx, autotask, actor, period, now, rows, &line).await;
            (line, outcome)
        })
        .buffer_unordered(WRITE_CONCURRENCY)
        .collect()
        .await
}

async fn write_one(
    ctx: &Context,
    autotask: &AutotaskClient,
    actor: &str,
    period: &Period,
    now: DateTime<Utc>,
    rows: &BTreeMap<i64, Vec<ContractServiceUnit>>,
    line: &Line,
) -> Outcome {
    let none = Vec::new();
    let rows = rows.get(&line.contract_service_id).unwrap_or(&none);
    let (effective, before) = match placement(rows, now.date_naive(), period) {
        Ok(placed) => placed,
        Err(why) => return Outcome::Skipped(why),
    };
    let unit_change = line.to_units - before;
    let adjustment = if unit_change == 0 {
        None
    } else {
        match contract_units::adjust(
            autotask,
            line.contract_id,
            line.contract_service_id,
            effective,
            unit_change,
        )
        .await
        {
            Ok(id) => Some(id),
            Err(e) => return Outcome::Failed(bounded(&e.to_string(), 500)),
        }
    };
    let entry = UsageLedgerEntry {
        contract_service_id: line.contract_service_id,
        period: period.key.clone(),
        company_id: line.company_id,
        units: line.to_units,
        unit_change,
        recorded_at: now,
    };
    let corrected = line.ledger.as_ref().map(|l| l.value.units);
    let kind = if corrected.is_some() {
        "usage.corrected"
    } else {
        "usage.reported"
    };
    let audit = Audit {
        actor,
        kind,
        subject: format!("company:{}", line.company_id),
        before: Some(json!({
            "contract_id": line.contract_id,
            "contract_service_id": line.contract_service_id,
            "units": before,
            "reported": corrected,
        })),
        after: Some(json!({
            "contract_id": line.contract_id,
            "contract_service_id": line.contract_service_id,
            "units": line.to_units,
            "unit_change": unit_change,
            "effective_date": effective.to_string(),
            "adjustment_id": adjustment,
            "period": period.key,
            "what": line.what,
        })),
        reason: Some(line.reason.clone()),
    };
    // The ledger entry and its audit entry in one transaction: a run that dies here
    // leaves both or neither (then the next run finds the units at the usage and
    // records both).
    match ctx
        .store
        .put_usage(
            &entry,
            line.ledger.as_ref().map(|l| l.version),
            &audit.entry_now(ctx),
        )
        .await
    {
        Ok(_) => {}
        // Another run recorded the period meanwhile, with its own audit entry; the
        // units were brought to the usage from a fresh read either way.
        Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => {}
        Err(e) => {
            tracing::warn!(contract_service_id = line.contract_service_id, error = %e, "usage ledger and audit entries not written")
        }
    }
    Outcome::Written { before, adjustment }
}

#[cfg(test)]
#[allow(clippy::type_complexity)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(start: &str, end: &str, units: i64, posted: bool) -> ContractServiceUnit {
        let at = |d: &str| {
            let d: NaiveDate = d.parse().expect("test date");
            Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")))
        };
        ContractServiceUnit {
            start_date: at(start),
            end_date: at(end),
            units: Some(units),
            approve_and_post_date: if posted { at(end) } else { None },
            ..ContractServiceUnit::default()
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn november() -> Period {
        Period {
            start: d("2026-11-01"),
            end: d("2026-11-30"),
            key: "2026-11".into(),
            report_once: false,
        }
    }

    #[test]
    fn a_change_lands_on_today_inside_the_contract_and_never_in_a_posted_row() {
        let today = d("2026-12-03");
        let nov = row("2026-11-01", "2026-11-30", 4, false);
        let dec = row("2026-12-01", "2026-12-31", 5, false);
        let cases: Vec<(
            &str,
            Vec<ContractServiceUnit>,
            Result<(NaiveDate, i64), &str>,
        )> = vec![
            (
                "today's row",
                vec![nov.clone(), dec.clone()],
                Ok((today, 5)),
            ),
            (
                "contract ended inside the period: its last day",
                vec![row("2026-11-01", "2026-11-20", 4, false)],
                Ok((d("2026-11-20"), 4)),
            ),
            (
                "contract starts after today but inside the period's reach",
                vec![row("2026-12-10", "2026-12-31", 2, false)],
                Err("the contract starts on 2026-12-10, after the period 2026-11 ends"),
            ),
            (
                "no rows",
                vec![],
                Err(
                    "no units row from 2026-11-01 to 2026-12-03: the period 2026-11 is outside the contract's dates",
                ),
            ),
            (
                "today's row posted",
                vec![row("2026-12-01", "2026-12-31", 5, true)],
                Err(
                    "the units row of 2026-12-03 was approved and posted on 2026-12-31; nothing is written into a posted period",
                ),
            ),
        ];
        for (name, rows, want) in cases {
            let got = placement(&rows, today, &november());
            assert_eq!(got, want.map_err(str::to_owned), "{name}");
        }
        let current = Period {
            start: d("2026-12-01"),
            end: d("2026-12-31"),
            key: "2026-12".into(),
            report_once: false,
        };
        assert_eq!(
            placement(
                &[row("2026-12-10", "2026-12-31", 0, false)],
                today,
                &current
            ),
            Ok((d("2026-12-10"), 0)),
            "a contract starting later this period takes the change on its first day"
        );
    }
}
