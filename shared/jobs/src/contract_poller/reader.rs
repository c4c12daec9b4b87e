//! Reading Autotask: what changed since the cursor (three requests when nothing did),
//! the contracts of some companies (batched `in` filters, 500 ids a query), or
//! of every company (the nightly sweep: plain paged reads, so no page is wasted on
//! chunking).
//!
//! Contract services and bundles are not read at all: the unit rows covering today carry
//! the contract, the contract service (bundle) and the service (bundle) ids, and a
//! contract in effect has a row covering every day of its term.

use super::cursor::{PollCursor, ReadMarks};
use crate::{JobError, JobSummary};
use autotask::models::{
    Contract as AtContract, ContractServiceBundleUnit, ContractServiceUnit,
    ServiceBundleService as AtBundleService,
};
use autotask::{AutotaskClient, Filter, Query};
use bridge_core::contracts::{
    BundleUnits, Contract, ContractInputs, ContractService, ContractServiceBundle, PAYG_UDF,
    RECURRING_SERVICE, ServiceBundleService, ServiceUnits,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// `contractType` of Recurring Service contracts, as the filter value.
const RECURRING: i64 = RECURRING_SERVICE as i64;

/// What a poll found changed since the cursor.
#[derive(Debug, Default)]
pub struct Changes {
    pub companies: BTreeSet<i64>,
    pub marks: ReadMarks,
}

/// Contracts modified since the cursor, plus unit rows (service and bundle) with ids
/// above it: each is one request when nothing changed. Contracts named only by new unit
/// rows are looked up (batched) to find their companies.
pub async fn detect_changes(
    autotask: &AutotaskClient,
    cursor: &PollCursor,
    summary: &mut JobSummary,
) -> Result<Changes, JobError> {
    let mut marks = ReadMarks {
        contracts_modified: cursor.contracts_modified,
        service_units_id: cursor.service_units_id,
        bundle_units_id: cursor.bundle_units_id,
    };
    let mut query = recurring().include_fields(["id", "companyID", "lastModifiedDateTime"]);
    if let Some(since) = cursor.contracts_modified {
        query = query.and(Filter::gt("lastModifiedDateTime", since));
    }
    let contracts: Vec<AtContract> = autotask.query(&query).await?;
    let units: Vec<ContractServiceUnit> = autotask
        .query(
            &Query::new(Filter::gt("id", cursor.service_units_id))
                .include_fields(["id", "contractID"]),
        )
        .await?;
    let bundle_units: Vec<ContractServiceBundleUnit> = autotask
        .query(
            &Query::new(Filter::gt("id", cursor.bundle_units_id))
                .include_fields(["id", "contractID"]),
        )
        .await?;
    summary.read("changed contracts", contracts.len() as u64);
    summary.read("new unit rows", (units.len() + bundle_units.len()) as u64);

    let mut changes = Changes::default();
    let mut known = BTreeSet::new();
    for c in &contracts {
        known.insert(c.id);
        if let Some(company) = c.company_id {
            changes.companies.insert(company);
        }
        marks.contracts_modified = marks.contracts_modified.max(c.last_modified_date_time);
    }
    let mut unknown = BTreeSet::new();
    for (id, contract) in units.iter().map(|u| (u.id, u.contract_id)) {
        marks.service_units_id = marks.service_units_id.max(id);
        unknown.extend(contract.filter(|c| !known.contains(c)));
    }
    for (id, contract) in bundle_units.iter().map(|u| (u.id, u.contract_id)) {
        marks.bundle_units_id = marks.bundle_units_id.max(id);
        unknown.extend(contract.filter(|c| !known.contains(c)));
    }
    if !unknown.is_empty() {
        let ids: Vec<i64> = unknown.into_iter().collect();
        let owners: Vec<AtContract> = autotask
            .query_in_chunks("id", &ids, &recurring().include_fields(["id", "companyID"]))
            .await?;
        changes
            .companies
            .extend(owners.iter().filter_map(|c| c.company_id));
    }
    changes.marks = marks;
    Ok(changes)
}

/// The recurring-service contracts of `companies` and what is in effect in them today.
pub async fn read_companies(
    autotask: &AutotaskClient,
    companies: &BTreeSet<i64>,
    today: NaiveDate,
    summary: &mut JobSummary,
) -> Result<ContractInputs, JobError> {
    let mut inputs = ContractInputs::default();
    if companies.is_empty() {
        return Ok(inputs);
    }
    let ids: Vec<i64> = companies.iter().copied().collect();
    let contracts: Vec<AtContract> = autotask
        .query_in_chunks("companyID", &ids, &recurring())
        .await?;
    add_contracts(&mut inputs, &contracts, summary);
    let in_effect: Vec<i64> = inputs
        .contracts
        .iter()
        .filter(|c| c.is_in_effect(today))
        .map(|c| c.id)
        .collect();
    if in_effect.is_empty() {
        return Ok(inputs);
    }
    let units: Vec<ContractServiceUnit> = autotask
        .query_in_chunks("contractID", &in_effect, &covering(today))
        .await?;
    let bundle_units: Vec<ContractServiceBundleUnit> = autotask
        .query_in_chunks("contractID", &in_effect, &covering(today))
        .await?;
    add_units(&mut inputs, &units, &bundle_units, summary);
    add_bundle_contents(autotask, &mut inputs, summary).await?;
    Ok(inputs)
}

/// Every recurring-service contract and every unit row covering today (the sweep), with
/// the high-water marks of what was read.
pub async fn read_everything(
    autotask: &AutotaskClient,
    today: NaiveDate,
    summary: &mut JobSummary,
) -> Result<(ContractInputs, ReadMarks), JobError> {
    let mut inputs = ContractInputs::default();
    let contracts: Vec<AtContract> = autotask.query(&recurring()).await?;
    add_contracts(&mut inputs, &contracts, summary);
    let units: Vec<ContractServiceUnit> = autotask.query(&covering(today)).await?;
    let bundle_units: Vec<ContractServiceBundleUnit> = autotask.query(&covering(today)).await?;
    // Rows created after these reads get higher ids, so they are seen by the next poll.
    let service_units_id = units.iter().map(|u| u.id).max().unwrap_or(0);
    let bundle_units_id = bundle_units.iter().map(|u| u.id).max().unwrap_or(0);
    let marks = ReadMarks {
        contracts_modified: contracts
            .iter()
            .filter_map(|c| c.last_modified_date_time)
            .max(),
        service_units_id: past_future_rows::<ContractServiceUnit>(
            autotask,
            service_units_id,
            today,
            |u| (u.id, u.start_date),
        )
        .await?,
        bundle_units_id: past_future_rows::<ContractServiceBundleUnit>(
            autotask,
            bundle_units_id,
            today,
            |u| (u.id, u.start_date),
        )
        .await?,
    };
    add_units(&mut inputs, &units, &bundle_units, summary);
    add_bundle_contents(autotask, &mut inputs, summary).await?;
    Ok((inputs, marks))
}

/// The mark after a sweep that read rows up to id `read`: moved on over the rows of
/// future periods just above it (one cheap request, ids and start dates only), which
/// the sweep needs nothing from today, so the polls after it do not read them as new.
/// It stops at the first row above `read` that starts today or earlier: one created
/// since the sweep read, which the next poll must see.
async fn past_future_rows<T: autotask::Entity>(
    autotask: &AutotaskClient,
    read: i64,
    today: NaiveDate,
    id_and_start: impl Fn(&T) -> (i64, Option<DateTime<Utc>>),
) -> Result<i64, JobError> {
    let rows: Vec<T> = autotask
        .query(&Query::new(Filter::gt("id", read)).include_fields(["id", "startDate"]))
        .await?;
    let mut rows: Vec<(i64, Option<DateTime<Utc>>)> = rows.iter().map(id_and_start).collect();
    rows.sort_unstable_by_key(|(id, _)| *id);
    let mut mark = read;
    for (id, start) in rows {
        if start.is_none_or(|s| s.date_naive() <= today) {
            break;
        }
        mark = id;
    }
    Ok(mark)
}

fn recurring() -> Query {
    Query::new(Filter::eq("contractType", RECURRING))
}

/// Unit rows whose dates cover `today` (both ends inclusive).
fn covering(today: NaiveDate) -> Query {
    Query::new(Filter::lte("startDate", today)).and(Filter::gte("endDate", today))
}

fn add_contracts(inputs: &mut ContractInputs, rows: &[AtContract], summary: &mut JobSummary) {
    summary.read("contracts", rows.len() as u64);
    for row in rows {
        match to_contract(row) {
            Some(contract) => inputs.contracts.push(contract),
            None => summary.skip(
                format!("contract:{}", row.id),
                "lacks companyID, contractType, status, startDate or endDate; ignored",
            ),
        }
    }
}

fn to_contract(c: &AtContract) -> Option<Contract> {
    Some(Contract {
        id: c.id,
        company_id: c.company_id?,
        contract_type: i32::try_from(c.contract_type?).ok()?,
        status: i32::try_from(c.status?).ok()?,
        start_date: c.start_date?.date_naive(),
        end_date: c.end_date?.date_naive(),
        acronis_payg: c.udf(PAYG_UDF).map(str::to_owned),
    })
}

/// Unit rows become the contract services (bundles) they belong to plus their counts.
fn add_units(
    inputs: &mut ContractInputs,
    units: &[ContractServiceUnit],
    bundle_units: &[ContractServiceBundleUnit],
    summary: &mut JobSummary,
) {
    summary.read("contract service units", units.len() as u64);
    summary.read("contract service bundle units", bundle_units.len() as u64);
    let mut services = BTreeMap::new();
    for u in units {
        let (Some(cs), Some(contract), Some(service), Some(start), Some(end)) = (
            u.contract_service_id,
            u.contract_id,
            u.service_id,
            u.start_date,
            u.end_date,
        ) else {
            continue;
        };
        services.insert(
            cs,
            ContractService {
                id: cs,
                contract_id: contract,
                service_id: service,
            },
        );
        inputs.service_units.push(ServiceUnits {
            contract_service_id: cs,
            start_date: start.date_naive(),
            end_date: end.date_naive(),
            units: u.units.unwrap_or(0),
        });
    }
    inputs.services.extend(services.into_values());
    let mut bundles = BTreeMap::new();
    for u in bundle_units {
        let (Some(csb), Some(contract), Some(bundle), Some(start), Some(end)) = (
            u.contract_service_bundle_id,
            u.contract_id,
            u.service_bundle_id,
            u.start_date,
            u.end_date,
        ) else {
            continue;
        };
        bundles.insert(
            csb,
            ContractServiceBundle {
                id: csb,
                contract_id: contract,
                service_bundle_id: bundle,
            },
        );
        inputs.bundle_units.push(BundleUnits {
            contract_service_bundle_id: csb,
            start_date: start.date_naive(),
            end_date: end.date_naive(),
            units: u.units.unwrap_or(0),
        });
    }
    inputs.bundles.extend(bundles.into_values());
}

/// What the bundles in use contain (read only when some contract holds a bundle).
async fn add_bundle_contents(
    autotask: &AutotaskClient,
    inputs: &mut ContractInputs,
    summary: &mut JobSummary,
) -> Result<(), JobError> {
    let ids: Vec<i64> = inputs
        .bundles
        .iter()
        .map(|b| b.service_bundle_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<AtBundleService> = autotask
        .query_in_chunks("serviceBundleID", &ids, &Query::all())
        .await?;
    summary.read("service bundle services", rows.len() as u64);
    inputs.bundle_contents.extend(rows.iter().filter_map(|row| {
        Some(ServiceBundleService {
            service_bundle_id: row.service_bundle_id?,
            service_id: row.service_id?,
        })
    }));
    Ok(())
}
