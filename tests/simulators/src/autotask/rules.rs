//! Business rules that go beyond field validation: recurring-service contracts and their
//! adjustments (reference 5.4-5.8), service billing codes, UDF definitions and list
//! items, tickets.

use super::error::ApiError;
use super::schema::{Entity, udf_data_type};
use super::seed::USE_TYPE_RECURRING;
use super::state::State;
use super::store::Record;
use super::time;
use super::units::{self, ContractDates, Flavor};
use super::write::Ctx;
use chrono::DateTime;
use chrono::Utc;
use serde_json::{Value, json};

/// `contractType` of Recurring Service contracts (official).
pub const RECURRING_SERVICE: i64 = 7;
/// Ticket status "Complete" (system value).
pub const TICKET_COMPLETE: i64 = 5;
/// Most active UDFs per entity (reference 5.12): Company 200, Contact 100, Contract 50, Ticket 300.
fn udf_limit(udf_type: i64) -> usize {
    use super::schema::udf_type::*;
    match udf_type {
        COMPANY => 200,
        CONTACT => 100,
        CONTRACT => 50,
        TICKET => 300,
        _ => 200,
    }
}

fn int(row: &Record, field: &str) -> Option<i64> {
    row.get(field).and_then(Value::as_i64)
}

/// The adjustment flavor of an adjustments entity.
pub fn adjustment_flavor(entity: &str) -> Option<&'static Flavor> {
    [&units::SERVICE, &units::BUNDLE]
        .into_iter()
        .find(|f| f.adjustments_entity == entity)
}

fn owner_flavor(entity: &str) -> Option<&'static Flavor> {
    [&units::SERVICE, &units::BUNDLE]
        .into_iter()
        .find(|f| f.owner_entity == entity)
}

/// A contract's dates and period type, as the unit model needs them.
pub fn contract_dates(state: &State, contract_id: i64) -> Option<ContractDates> {
    let c = state.store.row("Contracts", contract_id)?;
    let day = |f: &str| c.get(f).and_then(Value::as_str).and_then(time::day_of);
    Some(ContractDates {
        id: contract_id,
        start: day("startDate")?,
        end: day("endDate")?,
        period_type: int(c, "contractPeriodType").unwrap_or(1),
    })
}

/// Prices of a new contract service default to the catalogue item's (unconfirmed).
pub fn fill_defaults(state: &State, entity: &Entity, row: &mut Record) {
    let Some(flavor) = owner_flavor(entity.name) else {
        return;
    };
    let item = int(row, flavor.item_field).and_then(|id| state.store.row(flavor.item_entity, id));
    for field in ["unitPrice", "unitCost"] {
        if row.get(field).is_none_or(Value::is_null)
            && entity.field(field).is_some()
            && let Some(v) = item.and_then(|i| i.get(field)).filter(|v| !v.is_null())
        {
            row.insert(field.into(), v.clone());
        }
    }
    let price = row.get("unitPrice").cloned().unwrap_or(Value::Null);
    row.insert("internalCurrencyUnitPrice".into(), price);
    let adjusted = row.get("adjustedPrice").cloned().unwrap_or(Value::Null);
    row.insert("internalCurrencyAdjustedPrice".into(), adjusted);
}

/// A service (or bundle) may join only a Recurring Service contract, once.
pub fn check_contract_item(state: &State, flavor: &Flavor, row: &Record) -> Result<(), ApiError> {
    let contract_id = int(row, "contractID")
        .ok_or_else(|| ApiError::server("Missing Required Field: contractID"))?;
    let item_id = int(row, flavor.item_field).ok_or_else(|| {
        ApiError::server(format!("Missing Required Field: {}", flavor.item_field))
    })?;
    let contract = state
        .store
        .row("Contracts", contract_id)
        .ok_or_else(|| ApiError::server(format!("Reference value on field: contractID of type: Contract does not exist or is invalid. (value {contract_id})")))?;
    if int(contract, "contractType") != Some(RECURRING_SERVICE) {
        return Err(ApiError::server(format!(
            "{} can only be added to Recurring Service contracts (contractType 7); contract {contract_id} is not one.",
            flavor.owner_entity
        )));
    }
    if state.store.row(flavor.item_entity, item_id).is_none() {
        return Err(ApiError::server(format!(
            "Reference value on field: {} of type: {} does not exist or is invalid.",
            flavor.item_field, flavor.item_entity
        )));
    }
    let duplicate = state
        .store
        .units(flavor.units_entity)
        .and_then(|t| t.owner_of(contract_id, item_id));
    if duplicate.is_some() {
        return Err(ApiError::server(format!(
            "{} {item_id} is already part of contract {contract_id}; adjust its units instead.",
            flavor.item_field.trim_end_matches("ID")
        )));
    }
    Ok(())
}

/// Services and bundles need an active Recurring Contract Service allocation code.
fn check_billing_code(state: &State, row: &Record) -> Result<(), ApiError> {
    let ok = int(row, "billingCodeID")
        .and_then(|id| state.store.row("BillingCodes", id))
        .is_some_and(|code| {
            int(code, "useType") == Some(USE_TYPE_RECURRING)
                && code.get("isActive") != Some(&Value::Bool(false))
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::server(
            "billingCodeID must reference an active Recurring Contract Service allocation code.",
        ))
    }
}

fn check_udf_definition(state: &State, row: &Record, own_id: Option<i64>) -> Result<(), ApiError> {
    let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
    let udf_type = int(row, "udfType").unwrap_or_default();
    let same_type: Vec<&Record> = state
        .store
        .rows("UserDefinedFieldDefinitions")
        .filter(|(id, r)| Some(**id) != own_id && int(r, "udfType") == Some(udf_type))
        .map(|(_, r)| r)
        .collect();
    // Name uniqueness per entity (unconfirmed but expected).
    if same_type.iter().any(|r| {
        r.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) {
        return Err(ApiError::server(format!(
            "A user-defined field named '{name}' already exists for this entity type."
        )));
    }
    let active = same_type
        .iter()
        .filter(|r| r.get("isActive") != Some(&Value::Bool(false)))
        .count();
    if row.get("isActive") != Some(&Value::Bool(false)) && active >= udf_limit(udf_type) {
        return Err(ApiError::server(format!(
            "The maximum number of active user-defined fields ({}) for this entity type has been reached.",
            udf_limit(udf_type)
        )));
    }
    Ok(())
}

/// A list item belongs to a list UDF, and its display and export values are set and
/// unique within that UDF (compared without regard to case, like the database's
/// collation; unconfirmed).
pub fn check_list_item(state: &State, row: &Record, own_id: Option<i64>) -> Result<(), ApiError> {
    let udf_id = int(row, "udfFieldId").unwrap_or_default();
    let udf = state
        .store
        .row("UserDefinedFieldDefinitions", udf_id)
        .ok_or_else(|| {
            ApiError::server(format!(
                "Reference value on field: udfFieldId of type: UserDefinedFieldDefinition does not exist or is invalid. (value {udf_id})"
            ))
        })?;
    let name = udf.get("name").and_then(Value::as_str).unwrap_or_default();
    if int(udf, "dataType") != Some(udf_data_type::LIST) {
        return Err(ApiError::server(format!(
            "List items can only be added to list user-defined fields; {name} is not one."
        )));
    }
    let mut errors = Vec::new();
    for field in ["valueForDisplay", "valueForExport"] {
        let value = row.get(field).and_then(Value::as_str).unwrap_or_default();
        if value.trim().is_empty() {
            errors.push(format!("Missing Required Field: {field}"));
            continue;
        }
        let taken = state
            .store
            .rows("UserDefinedFieldListItems")
            .any(|(id, r)| {
                Some(*id) != own_id
                    && int(r, "udfFieldId") == Some(udf_id)
                    && r.get(field)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(value))
            });
        if taken {
            errors.push(format!(
                "The {field} {value:?} is already used by another item of the user-defined field {name}."
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::many(errors))
    }
}

/// A primary resource needs its role, and the ticket's contact and contract must
/// belong to its company.
fn check_ticket(state: &State, row: &Record, old: Option<&Record>) -> Result<(), ApiError> {
    // The message integrators report from the real API.
    if int(row, "assignedResourceID").is_some() && int(row, "assignedResourceRoleID").is_none() {
        return Err(ApiError::server(
            "When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.",
        ));
    }
    let company = int(row, "companyID");
    let changed = |f: &str| old.is_none_or(|o| o.get(f) != row.get(f));
    for (field, entity) in [("contactID", "Contacts"), ("contractID", "Contracts")] {
        if !(changed(field) || changed("companyID")) {
            continue;
        }
        if let Some(id) = int(row, field)
            && state
                .store
                .row(entity, id)
                .and_then(|r| int(r, "companyID"))
                != company
        {
            return Err(ApiError::server(format!(
                "Value does not reference an existing entity for {field}: {id} does not belong to company {}. | Error updating entity for record number [1].",
                company.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

fn ticket_number(state: &mut State, now: DateTime<Utc>) -> String {
    let day = now.date_naive();
    let seq = state.ticket_numbers.entry(day).or_insert(0);
    *seq += 1;
    format!("T{}.{:04}", day.format("%Y%m%d"), seq)
}

/// Follows the ticket status into `completedDate` (set on Complete, cleared on re-open).
fn track_completion(row: &mut Record, old: Option<&Record>, now: DateTime<Utc>) {
    let complete = int(row, "status") == Some(TICKET_COMPLETE);
    let was = old.is_some_and(|o| int(o, "status") == Some(TICKET_COMPLETE));
    if complete && !was {
        row.insert("completedDate".into(), json!(time::format(now)));
    } else if !complete {
        row.insert("completedDate".into(), Value::Null);
    }
}

fn check_dates(row: &Record) -> Result<(), ApiError> {
    let day = |f: &str| row.get(f).and_then(Value::as_str).and_then(time::day_of);
    match (day("startDate"), day("endDate")) {
        (Some(s), Some(e)) if e < s => Err(ApiError::server(
            "The contract endDate must not be before its startDate.",
        )),
        _ => Ok(()),
    }
}

pub fn before_create(
    state: &mut State,
    entity: &Entity,
    row: &mut Record,
    ctx: Ctx,
) -> Result<(), ApiError> {
    if let Some(flavor) = owner_flavor(entity.name) {
        fill_defaults(state, entity, row);
        return check_contract_item(state, flavor, row);
    }
    match entity.name {
        "Services" | "ServiceBundles" => check_billing_code(state, row),
        "Contracts" => check_dates(row),
        "UserDefinedFieldDefinitions" => check_udf_definition(state, row, None),
        "UserDefinedFieldListItems" => check_list_item(state, row, None),
        "ServiceBundleServices" => {
            let dup = state.store.rows("ServiceBundleServices").any(|(_, r)| {
                int(r, "serviceBundleID") == int(row, "serviceBundleID")
                    && int(r, "serviceID") == int(row, "serviceID")
            });
            if dup {
                Err(ApiError::server(
                    "The service is already part of this service bundle.",
                ))
            } else {
                Ok(())
            }
        }
        "Tickets" => {
            check_ticket(state, row, None)?;
            let number = ticket_number(state, ctx.now);
            row.insert("ticketNumber".into(), json!(number));
            track_completion(row, None, ctx.now);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Side effects of a stored create: unit rows for contract services (a service created
/// through the API starts at 0 units — unconfirmed), ticket activity for notes.
pub fn after_create(
    state: &mut State,
    entity: &Entity,
    id: i64,
    units: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(flavor) = owner_flavor(entity.name) {
        let row = state
            .store
            .row(entity.name, id)
            .cloned()
            .unwrap_or_default();
        let contract_id = int(&row, "contractID").unwrap_or_default();
        let dates = contract_dates(state, contract_id).ok_or_else(|| {
            ApiError::server(format!(
                "Contract {contract_id} has no valid start and end dates."
            ))
        })?;
        let item = int(&row, flavor.item_field).unwrap_or_default();
        let price = row.get("unitPrice").and_then(Value::as_f64);
        let cost = row.get("unitCost").and_then(Value::as_f64);
        if let Some(table) = state.store.units_mut(flavor.units_entity) {
            table.create_rows(&dates, id, item, units, price, cost);
        }
    }
    if entity.name == "TicketNotes"
        && let Some(ticket) = state
            .store
            .row("TicketNotes", id)
            .and_then(|n| int(n, "ticketID"))
        && let Some(t) = state.store.row_mut("Tickets", ticket)
    {
        t.insert("lastActivityDate".into(), json!(time::format(now)));
    }
    Ok(())
}

pub fn before_update(
    state: &mut State,
    entity: &Entity,
    old: &Record,
    row: &mut Record,
    ctx: Ctx,
) -> Result<(), ApiError> {
    match entity.name {
        "Contracts" => check_dates(row),
        "UserDefinedFieldDefinitions" => check_udf_definition(state, row, int(old, "id")),
        "UserDefinedFieldListItems" => check_list_item(state, row, int(old, "id")),
        // An existing service may keep an inactive code but cannot switch to a bad one.
        "Services" | "ServiceBundles" if old.get("billingCodeID") != row.get("billingCodeID") => {
            check_billing_code(state, row)
        }
        "Tickets" => {
            check_ticket(state, row, Some(old))?;
            track_completion(row, Some(old), ctx.now);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Contract date changes move the unit rows with them.
pub fn after_update(state: &mut State, entity: &Entity, id: i64, old: &Record) {
    if entity.name != "Contracts" {
        return;
    }
    let Some(new) = state.store.row("Contracts", id) else {
        return;
    };
    if new.get("startDate") == old.get("startDate") && new.get("endDate") == old.get("endDate") {
        return;
    }
    if let Some(dates) = contract_dates(state, id) {
        state.store.service_units.resync(&dates);
        state.store.bundle_units.resync(&dates);
    }
}

pub fn before_delete(state: &State, entity: &Entity, id: i64) -> Result<(), ApiError> {
    match entity.name {
        "Contacts" => {
            let contact = state.store.row("Contacts", id);
            if contact.and_then(|c| c.get("primaryContact")) == Some(&Value::Bool(true)) {
                return Err(ApiError::server(
                    "The primary contact of a company cannot be deleted.",
                ));
            }
            if state
                .store
                .rows("Tickets")
                .any(|(_, t)| int(t, "contactID") == Some(id))
            {
                return Err(ApiError::server(
                    "The contact cannot be deleted because it is referenced by tickets.",
                ));
            }
            Ok(())
        }
        "ServiceBundles" => {
            if state
                .store
                .rows("ContractServiceBundles")
                .any(|(_, b)| int(b, "serviceBundleID") == Some(id))
            {
                return Err(ApiError::server(
                    "The service bundle is used by a contract and cannot be deleted.",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Applies a ContractServiceAdjustment (or bundle adjustment) whose fields are already
/// bound and validated: creates the contract service when missing, splits and lifts the
/// unit rows, stores the adjustment (write-only through the API) and returns its id.
pub fn adjust(
    state: &mut State,
    flavor: &'static Flavor,
    mut record: Record,
    ctx: Ctx,
) -> Result<i64, ApiError> {
    let contract_id = int(&record, "contractID").unwrap_or_default();
    let contract = state.store.row("Contracts", contract_id).ok_or_else(|| {
        ApiError::server(
            "Reference value on field: contractID of type: Contract does not exist or is invalid.",
        )
    })?;
    if int(contract, "contractType") != Some(RECURRING_SERVICE) {
        return Err(ApiError::server(format!(
            "Adjustments can only be made on Recurring Service contracts (contractType 7); contract {contract_id} is not one."
        )));
    }
    let dates = contract_dates(state, contract_id).ok_or_else(|| {
        ApiError::server(format!(
            "Contract {contract_id} has no valid start and end dates."
        ))
    })?;
    // Adjustments are day-granular; a time of day is ignored (unconfirmed).
    let day = record
        .get("effectiveDate")
        .and_then(Value::as_str)
        .and_then(time::day_of)
        .ok_or_else(|| ApiError::server("Missing Required Field: effectiveDate"))?;
    if day < dates.start || day > dates.end {
        return Err(ApiError::server(format!(
            "The effectiveDate {day} must be within the contract's start date {} and end date {}.",
            dates.start, dates.end
        )));
    }
    let change = int(&record, "unitChange").unwrap_or_default();
    let given_item = int(&record, flavor.item_field);
    let (owner, item) = match int(&record, flavor.owner_field) {
        Some(owner_id) => {
            let owner = state
                .store
                .row(flavor.owner_entity, owner_id)
                .filter(|o| int(o, "contractID") == Some(contract_id))
                .ok_or_else(|| {
                    ApiError::server(format!(
                        "{} {owner_id} does not belong to contract {contract_id}.",
                        flavor.owner_field
                    ))
                })?;
            let item = int(owner, flavor.item_field).unwrap_or_default();
            if given_item.is_some_and(|g| g != item) {
                return Err(ApiError::server(format!(
                    "{} {} does not match {} {owner_id}.",
                    flavor.item_field,
                    given_item.unwrap_or_default(),
                    flavor.owner_field
                )));
            }
            (Some(owner_id), item)
        }
        None => {
            let item = given_item.ok_or_else(|| {
                ApiError::server(format!("Missing Required Field: {}", flavor.item_field))
            })?;
            let owner = state
                .store
                .units(flavor.units_entity)
                .and_then(|t| t.owner_of(contract_id, item));
            (owner, item)
        }
    };
    let owner_id = match owner {
        Some(id) => {
            if let Some(t) = state.store.units(flavor.units_entity) {
                t.check_adjustment(id, day, change)
                    .map_err(ApiError::server)?;
            }
            id
        }
        None => {
            if change < 0 {
                return Err(ApiError::server(format!(
                    "The adjustment would leave {change} units; units cannot be negative."
                )));
            }
            let owner_entity = super::schema::get(flavor.owner_entity);
            let mut row = Record::new();
            row.insert("contractID".into(), json!(contract_id));
            row.insert(flavor.item_field.into(), json!(item));
            // A service adjustment's prices seed the new contract service; bundle
            // adjustments never change price (reference 5.4).
            if std::ptr::eq(flavor, &units::SERVICE) {
                for (from, to) in [
                    ("adjustedUnitPrice", "unitPrice"),
                    ("adjustedUnitCost", "unitCost"),
                ] {
                    if let Some(v) = record.get(from).filter(|v| !v.is_null()) {
                        row.insert(to.into(), v.clone());
                    }
                }
            }
            fill_defaults(state, owner_entity, &mut row);
            check_contract_item(state, flavor, &row)?;
            let id = state.store.insert(owner_entity.name, None, row);
            after_create(state, owner_entity, id, 0, ctx.now)?;
            id
        }
    };
    if let Some(t) = state.store.units_mut(flavor.units_entity) {
        t.adjust(owner_id, day, change).map_err(ApiError::server)?;
    }
    record.insert(flavor.owner_field.into(), json!(owner_id));
    record.insert(flavor.item_field.into(), json!(item));
    Ok(state.store.insert(flavor.adjustments_entity, None, record))
}
