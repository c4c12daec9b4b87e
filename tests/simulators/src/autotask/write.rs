//! Writes: binding a JSON body to an entity's fields, validating it (required fields,
//! picklists, references) and storing it — for API creates/updates (reference 3.6) and
//! for raw inserts/patches from seeds and tests.
//!
//! Like Autotask's JSON binder, property names bind case-insensitively and unknown or
//! read-only properties are ignored rather than rejected (unconfirmed). Create-only
//! fields (e.g. `contractType`) are ignored on update.

use super::error::ApiError;
use super::filter::{Row, UdfDef, prop};
use super::rules;
use super::schema::{self, ChildRoute, Entity, Field, Kind, udf_data_type};
use super::state::State;
use super::store::{Record, units_flavor};
use super::time;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Per-request context of a write.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    /// `ImpersonationResourceId`, when sent.
    pub impersonator: Option<i64>,
}

/// Whether a body comes from an API call (read-only fields ignored, unknown ignored) or
/// from a seed/test (everything settable, unknown fields are mistakes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Api,
    Raw,
}

struct Bound {
    fields: Record,
    udfs: Option<Vec<(String, Option<String>)>>,
}

/// Converts a body value to the field's type, as the .NET binder would (numbers from
/// numeric strings, datetimes normalised to UTC `Z`).
fn coerce(value: &Value, field: &Field) -> Result<Value, String> {
    let bad = || {
        format!(
            "Error converting value {value} to type '{}'. Path '{}'.",
            field.kind.dotnet(),
            field.name
        )
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    match field.kind {
        Kind::Int => {
            let n = match value {
                Value::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.map(Value::from).ok_or_else(bad)
        }
        Kind::Num => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .map(|f| json!(f))
                .ok_or_else(bad),
            _ => Err(bad()),
        },
        Kind::Str => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(bad()),
        },
        Kind::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        Kind::DateTime => value
            .as_str()
            .and_then(time::parse)
            .map(|at| Value::String(time::format(at)))
            .ok_or_else(bad),
    }
}

fn bind(
    entity: &Entity,
    body: &Record,
    source: Source,
    udfs: &[UdfDef],
) -> Result<Bound, Vec<String>> {
    let mut fields = Record::new();
    let mut errors = Vec::new();
    let mut udf_values = None;
    for (key, value) in body {
        if key.eq_ignore_ascii_case("id") {
            continue;
        }
        if key.eq_ignore_ascii_case("userDefinedFields") && entity.has_udfs() {
            match bind_udfs(entity, value, udfs) {
                Ok(v) => udf_values = Some(v),
                Err(mut e) => errors.append(&mut e),
            }
            continue;
        }
        let Some(field) = entity.field(key) else {
            if source == Source::Raw {
                errors.push(format!("{}: unknown field '{key}'", entity.name));
            }
            continue;
        };
        if field.read_only && source == Source::Api {
            continue;
        }
        match coerce(value, field) {
            Ok(v) => {
                if let (Some(max), Some(text)) = (field.max_len, v.as_str())
                    && source == Source::Api
                    && text.encode_utf16().count() > max
                {
                    errors.push(too_long(entity, field, max));
                    continue;
                }
                fields.insert(field.name.to_string(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Bound {
            fields,
            udfs: udf_values,
        })
    } else {
        Err(errors)
    }
}

/// A string over its field's length. Whether Autotask refuses or cuts such a value is
/// unconfirmed; refusing shows a client that does not bound outside text.
fn too_long(entity: &Entity, field: &Field, max: usize) -> String {
    format!(
        "The value of field {} of the {} entity exceeds its maximum length of {max} characters.",
        field.name, entity.name
    )
}

/// `userDefinedFields: [{name, value}]`: names must be defined for the entity; values are
/// strings (numbers and booleans are converted); numeric and date UDFs must parse.
fn bind_udfs(
    entity: &Entity,
    value: &Value,
    udfs: &[UdfDef],
) -> Result<Vec<(String, Option<String>)>, Vec<String>> {
    let Some(items) = value.as_array() else {
        return Err(vec![
            "userDefinedFields must be an array of {name, value} objects.".into(),
        ]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let Some(obj) = item.as_object() else {
            errors.push("userDefinedFields must be an array of {name, value} objects.".into());
            continue;
        };
        let Some(name) = prop(obj, "name").and_then(Value::as_str) else {
            errors.push("A user-defined field in userDefinedFields has no name.".into());
            continue;
        };
        let Some(def) = udfs.iter().find(|u| u.name.eq_ignore_ascii_case(name)) else {
            errors.push(format!(
                "Unable to find {name} in the {} Entity.",
                entity.name
            ));
            continue;
        };
        let text = match prop(obj, "value") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(other) => {
                errors.push(format!(
                    "The value {other} of the user-defined field {name} is not valid."
                ));
                continue;
            }
        };
        let valid = match (&text, def.data_type) {
            (Some(t), udf_data_type::NUMBER) => t.trim().parse::<f64>().is_ok(),
            (Some(t), udf_data_type::DATE) => time::parse(t).is_some(),
            _ => true,
        };
        if !valid {
            errors.push(format!(
                "The value {:?} of the user-defined field {name} does not match its data type.",
                text.unwrap_or_default()
            ));
            continue;
        }
        out.push((def.name.clone(), text));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Values sent for list UDFs: the `valueForExport` of one of the UDF's active items,
/// or nothing (null or an empty string clears it). A value the row already holds may be
/// sent again after its item was deactivated, as with picklist fields.
fn check_list_values(
    udfs: &[UdfDef],
    values: &mut Option<Vec<(String, Option<String>)>>,
    old: Option<&Record>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (name, value) in values.iter_mut().flatten() {
        let Some(def) = udfs
            .iter()
            .find(|u| u.name == *name && u.data_type == udf_data_type::LIST)
        else {
            continue;
        };
        if value.as_deref().is_some_and(str::is_empty) {
            *value = None;
        }
        let Some(v) = value.as_deref() else { continue };
        if old.and_then(|o| o.udf(name)).as_deref() == Some(v) {
            continue;
        }
        if !def.items.iter().any(|i| i.active && i.value == v) {
            let allowed: Vec<&str> = def
                .items
                .iter()
                .filter(|i| i.active)
                .map(|i| i.value.as_str())
                .collect();
            errors.push(format!(
                "The value {v:?} is not an active item of the list user-defined field {name}: send the valueForExport of one of its items ({}) or null.",
                if allowed.is_empty() { "it has none".to_string() } else { allowed.join(", ") }
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::many(errors))
    }
}

/// Sets UDF values on a record; `replace` first clears every value (PUT).
fn apply_udfs(record: &mut Record, values: &[(String, Option<String>)], replace: bool) {
    let mut list: Vec<Value> = if replace {
        Vec::new()
    } else {
        record
            .get("userDefinedFields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (name, value) in values {
        list.retain(|u| {
            u.get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| !n.eq_ignore_ascii_case(name))
        });
        list.push(json!({"name": name, "value": value}));
    }
    record.insert("userDefinedFields".into(), Value::Array(list));
}

fn defaults(entity: &Entity) -> Record {
    entity
        .fields
        .iter()
        .filter_map(|f| f.default.clone().map(|v| (f.name.to_string(), v)))
        .collect()
}

/// Sets the maintained timestamps: creation stamps on create, modification stamps always.
fn stamp(entity: &Entity, record: &mut Record, now: DateTime<Utc>, created: bool) {
    let at = Value::String(time::format(now));
    for f in &entity.fields {
        if f.modified_stamp || (created && f.created_stamp) {
            record.insert(f.name.to_string(), at.clone());
        }
    }
}

/// The singular type name used in Autotask's reference errors (`Company`, `Contact`…).
fn singular(entity: &str) -> String {
    if let Some(stem) = entity.strip_suffix("ies") {
        format!("{stem}y")
    } else {
        entity.strip_suffix('s').unwrap_or(entity).to_string()
    }
}

fn is_inactive(row: &Record) -> bool {
    matches!(row.get("isActive"), Some(Value::Bool(false)))
        || row.get("isActive") == Some(&json!(0))
}

/// Required fields, picklist values and references of a record about to be stored;
/// `old` limits the picklist/reference checks to values that change.
fn validate(state: &State, entity: &Entity, record: &Record, old: Option<&Record>) -> Vec<String> {
    let mut errors = Vec::new();
    let value = |name: &str| record.get(name).filter(|v| !v.is_null());
    for f in entity.fields.iter().filter(|f| f.required) {
        if value(f.name).is_none() {
            errors.push(format!("Missing Required Field: {}", f.name));
        }
    }
    for f in &entity.fields {
        let Some(v) = value(f.name) else { continue };
        if old.is_some_and(|o| o.get(f.name) == Some(v)) {
            continue;
        }
        if let Some(list) = state.picklists.get(entity.name).and_then(|p| p.get(f.name)) {
            let code = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match list.iter().find(|p| p.value == code) {
                None => errors.push(format!(
                    "Reference value on field: {} of type: picklist does not exist or is invalid. (value {code})",
                    f.name
                )),
                Some(p) if !p.is_active => errors.push(format!(
                    "The picklist value {code} ({}) of field {} is inactive and cannot be set.",
                    p.label, f.name
                )),
                Some(p) => {
                    if let Some(parent) = super::picklists::parent_field(entity.name, f.name) {
                        let parent_code = value(parent).map(|v| v.to_string()).unwrap_or_default();
                        if p.parent_value != parent_code {
                            errors.push(format!(
                                "The value {code} of {} does not belong to {parent} {parent_code}.",
                                f.name
                            ));
                        }
                    }
                }
            }
        }
        if let Some(target) = f.reference {
            let ok = v
                .as_i64()
                .and_then(|id| state.store.row(target, id))
                .is_some_and(|row| !is_inactive(row));
            if !ok {
                errors.push(format!(
                    "Reference value on field: {} of type: {} does not exist or is invalid.",
                    f.name,
                    singular(target)
                ));
            }
        }
    }
    errors
}

fn body_object(body: &Value) -> Result<&Record, ApiError> {
    body.as_object().ok_or_else(|| {
        ApiError::server("The request body must be a JSON object describing the entity.")
    })
}

/// `POST /{Entity}` or `POST /{Parent}/{id}/{Child}`: returns the new id.
pub fn create(
    state: &mut State,
    entity: &'static Entity,
    body: &Value,
    parent: Option<(&ChildRoute, i64)>,
    ctx: Ctx,
) -> Result<i64, ApiError> {
    let obj = body_object(body)?;
    let udfs = state.store.udf_defs(entity);
    let mut bound = bind(entity, obj, Source::Api, &udfs)?;
    check_list_values(&udfs, &mut bound.udfs, None)?;
    let mut record = defaults(entity);
    record.extend(bound.fields);
    if let Some((route, parent_id)) = parent {
        record.insert(route.parent_field.into(), json!(parent_id));
    }
    if let Some(values) = &bound.udfs {
        apply_udfs(&mut record, values, false);
    }
    let errors = validate(state, entity, &record, None);
    if !errors.is_empty() {
        return Err(ApiError::many(errors));
    }
    if let Some(flavor) = rules::adjustment_flavor(entity.name) {
        return rules::adjust(state, flavor, record, ctx);
    }
    rules::before_create(state, entity, &mut record, ctx)?;
    stamp(entity, &mut record, ctx.now, true);
    if let Some(resource) = ctx.impersonator
        && entity.field("impersonatorCreatorResourceID").is_some()
    {
        record.insert("impersonatorCreatorResourceID".into(), json!(resource));
    }
    let id = state.store.insert(entity.name, None, record);
    rules::after_create(state, entity, id, 0, ctx.now)?;
    Ok(id)
}

/// `PATCH`/`PUT` on the collection (or child collection) URL with `id` in the body.
/// PATCH changes only the properties sent; PUT resets every omitted writable one.
pub fn update(
    state: &mut State,
    entity: &'static Entity,
    body: &Value,
    parent: Option<(&ChildRoute, i64)>,
    put: bool,
    ctx: Ctx,
) -> Result<i64, ApiError> {
    let obj = body_object(body)?;
    let id = prop(obj, "id")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .ok_or_else(|| {
            ApiError::server(format!(
                "An id is required to update a {} entity.",
                singular(entity.name)
            ))
        })?;
    let old = state.store.row(entity.name, id).cloned().ok_or_else(|| {
        ApiError::server(format!(
            "No {} with id {id} was found.",
            singular(entity.name)
        ))
    })?;
    if let Some((route, parent_id)) = parent
        && old.get(route.parent_field).and_then(Value::as_i64) != Some(parent_id)
    {
        return Err(ApiError::server(format!(
            "The {} {id} does not belong to the {} {parent_id}.",
            singular(entity.name),
            singular(route.parent),
        )));
    }
    let udfs = state.store.udf_defs(entity);
    let mut bound = bind(entity, obj, Source::Api, &udfs)?;
    check_list_values(&udfs, &mut bound.udfs, Some(&old))?;
    let mut record = if put {
        old.iter()
            .filter(|(k, _)| {
                entity
                    .field(k)
                    .is_some_and(|f| f.read_only || f.create_only)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    } else {
        old.clone()
    };
    for (k, v) in bound.fields {
        if !entity.field(&k).is_some_and(|f| f.create_only) {
            record.insert(k, v);
        }
    }
    if entity.has_udfs() && (put || bound.udfs.is_some()) {
        apply_udfs(&mut record, bound.udfs.as_deref().unwrap_or_default(), put);
    }
    let errors = validate(state, entity, &record, Some(&old));
    if !errors.is_empty() {
        return Err(ApiError::many(errors));
    }
    rules::before_update(state, entity, &old, &mut record, ctx)?;
    stamp(entity, &mut record, ctx.now, false);
    if let Some(resource) = ctx.impersonator
        && entity.field("impersonatorUpdaterResourceID").is_some()
    {
        record.insert("impersonatorUpdaterResourceID".into(), json!(resource));
    }
    state.store.insert(entity.name, Some(id), record);
    rules::after_update(state, entity, id, &old);
    Ok(id)
}

/// `DELETE /{Entity}/{id}` or `/{Parent}/{pid}/{Child}/{id}`.
pub fn delete(
    state: &mut State,
    entity: &'static Entity,
    id: i64,
    parent: Option<(&ChildRoute, i64)>,
) -> Result<i64, ApiError> {
    let row = state.store.row(entity.name, id).ok_or_else(|| {
        ApiError::new(
            404,
            format!("No {} with id {id} was found.", singular(entity.name)),
        )
    })?;
    if let Some((route, parent_id)) = parent
        && row.get(route.parent_field).and_then(Value::as_i64) != Some(parent_id)
    {
        return Err(ApiError::new(
            404,
            format!(
                "No {} with id {id} was found under {} {parent_id}.",
                singular(entity.name),
                singular(route.parent)
            ),
        ));
    }
    rules::before_delete(state, entity, id)?;
    state.store.remove(entity.name, id);
    Ok(id)
}

/// Seed-only keys of contract services and bundles: initial units and posted history.
struct SeedUnits {
    units: i64,
    posted_through: Option<chrono::NaiveDate>,
}

fn take_seed_units(entity: &Entity, record: &mut Record) -> Result<SeedUnits, String> {
    let mut out = SeedUnits {
        units: 0,
        posted_through: None,
    };
    if units_flavor_of_owner(entity.name).is_none() {
        return Ok(out);
    }
    if let Some(v) = record.remove("units") {
        out.units = v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
            format!(
                "{}: 'units' must be a whole number >= 0, got {v}",
                entity.name
            )
        })?;
    }
    if let Some(v) = record.remove("postedThrough") {
        out.posted_through =
            Some(v.as_str().and_then(time::day_of).ok_or_else(|| {
                format!("{}: 'postedThrough' must be a date, got {v}", entity.name)
            })?);
    }
    Ok(out)
}

fn units_flavor_of_owner(entity: &str) -> Option<&'static super::units::Flavor> {
    [&super::units::SERVICE, &super::units::BUNDLE]
        .into_iter()
        .find(|f| f.owner_entity == entity)
}

/// Inserts a row as a seed or test would: any field may be set (ids, timestamps,
/// read-only ones), no required/picklist checks; unknown fields are errors. Contract
/// services get their unit rows (`units`, `postedThrough`); list items must belong to a
/// list UDF and be unique within it, as through the API.
pub fn raw_insert(
    state: &mut State,
    entity_name: &str,
    mut record: Record,
    now: DateTime<Utc>,
) -> Result<i64, String> {
    let entity =
        schema::find(entity_name).ok_or_else(|| format!("unknown entity '{entity_name}'"))?;
    if units_flavor(entity.name).is_some() {
        return Err(format!(
            "{} rows are derived: seed ContractServices/ContractServiceBundles with 'units' instead",
            entity.name
        ));
    }
    let seed_units = take_seed_units(entity, &mut record)?;
    let id = match record.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| format!("{}: 'id' must be an integer, got {v}", entity.name))?,
        ),
    };
    if let Some(id) = id
        && state.store.row(entity.name, id).is_some()
    {
        return Err(format!("{} {id} already exists", entity.name));
    }
    let udfs = state.store.udf_defs(entity);
    let bound = bind(entity, &record, Source::Raw, &udfs).map_err(|e| e.join("; "))?;
    let mut row = defaults(entity);
    row.extend(bound.fields);
    if let Some(values) = &bound.udfs {
        apply_udfs(&mut row, values, false);
    }
    let at = Value::String(time::format(now));
    for f in entity
        .fields
        .iter()
        .filter(|f| f.created_stamp || f.modified_stamp)
    {
        row.entry(f.name).or_insert_with(|| at.clone());
    }
    rules::fill_defaults(state, entity, &mut row);
    if entity.name == "UserDefinedFieldListItems" {
        rules::check_list_item(state, &row, None).map_err(|e| e.errors.join("; "))?;
    }
    if let Some(flavor) = units_flavor_of_owner(entity.name) {
        rules::check_contract_item(state, flavor, &row).map_err(|e| e.errors.join("; "))?;
    }
    let id = state.store.insert(entity.name, id, row);
    rules::after_create(state, entity, id, seed_units.units, now)
        .map_err(|e| e.errors.join("; "))?;
    if let (Some(flavor), Some(day)) = (
        units_flavor_of_owner(entity.name),
        seed_units.posted_through,
    ) && let Some(table) = state.store.units_mut(flavor.units_entity)
    {
        table.post_through(id, day);
    }
    Ok(id)
}

/// Changes fields of a stored row as a test would (the Autotask UI, say): any field,
/// modification timestamps bumped unless given. Unit rows accept `units` and
/// `approveAndPostDate`.
pub fn raw_patch(
    state: &mut State,
    entity_name: &str,
    id: i64,
    fields: &Value,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let entity =
        schema::find(entity_name).ok_or_else(|| format!("unknown entity '{entity_name}'"))?;
    let obj = fields
        .as_object()
        .ok_or("the patch must be a JSON object")?;
    if let Some(table) = state.store.units_mut(entity.name) {
        let row = table
            .rows
            .get_mut(&id)
            .ok_or_else(|| format!("{} {id} not found", entity.name))?;
        for (k, v) in obj {
            match k.as_str() {
                "units" => row.units = v.as_i64().ok_or("units must be an integer")?,
                "approveAndPostDate" => {
                    row.posted = match v {
                        Value::Null => None,
                        _ => Some(
                            v.as_str()
                                .and_then(time::parse)
                                .ok_or("approveAndPostDate must be a datetime")?,
                        ),
                    }
                }
                other => {
                    return Err(format!(
                        "{}: only units and approveAndPostDate can be patched, not '{other}'",
                        entity.name
                    ));
                }
            }
        }
        return Ok(());
    }
    let old = state
        .store
        .row(entity.name, id)
        .cloned()
        .ok_or_else(|| format!("{} {id} not found", entity.name))?;
    let udfs = state.store.udf_defs(entity);
    let bound = bind(entity, obj, Source::Raw, &udfs).map_err(|e| e.join("; "))?;
    let mut row = old.clone();
    let explicit: Vec<String> = bound.fields.keys().cloned().collect();
    row.extend(bound.fields);
    if let Some(values) = &bound.udfs {
        apply_udfs(&mut row, values, false);
    }
    let at = Value::String(time::format(now));
    for f in entity.fields.iter().filter(|f| f.modified_stamp) {
        if !explicit.iter().any(|k| k == f.name) {
            row.insert(f.name.into(), at.clone());
        }
    }
    state.store.insert(entity.name, Some(id), row);
    rules::after_update(state, entity, id, &old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercion_follows_the_binder() {
        let contacts = schema::get("Contacts");
        let is_active = contacts.field("isActive").unwrap();
        assert_eq!(coerce(&json!(1), is_active), Ok(json!(1)));
        assert_eq!(coerce(&json!("1"), is_active), Ok(json!(1)));
        let err = coerce(&json!(true), is_active).unwrap_err();
        assert!(
            err.contains("System.Int32") && err.contains("isActive"),
            "{err}"
        );
        let companies = schema::get("Companies");
        assert_eq!(
            coerce(&json!("false"), companies.field("isActive").unwrap()),
            Ok(json!(false))
        );
        assert!(coerce(&json!(1), companies.field("isActive").unwrap()).is_err());
        let contracts = schema::get("Contracts");
        assert_eq!(
            coerce(&json!("2026-01-01"), contracts.field("startDate").unwrap()),
            Ok(json!("2026-01-01T00:00:00Z"))
        );
        assert!(coerce(&json!("next week"), contracts.field("startDate").unwrap()).is_err());
        assert_eq!(
            coerce(&json!(42), companies.field("phone").unwrap()),
            Ok(json!("42"))
        );
    }

    #[test]
    fn singular_names() {
        assert_eq!(singular("Companies"), "Company");
        assert_eq!(singular("Contacts"), "Contact");
        assert_eq!(singular("ContractServices"), "ContractService");
    }
}
