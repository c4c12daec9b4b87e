//! The query ("search") object: parsing, validation with Autotask's error strings, and
//! evaluation against rows (reference 3.3).
//!
//! Property names (`Filter`/`filter`, `MaxRecords`, `IncludeFields`, `op`, `field` …)
//! and field names bind case-insensitively. String comparisons are case-insensitive,
//! as on Autotask's SQL Server collation (unconfirmed but the usual default). A null
//! field matches no comparison, `in` or text operator — only `notExist` — following SQL
//! NULL semantics (unconfirmed).

use super::schema::{Entity, Kind};
use super::time;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

/// Rows per page when `MaxRecords` is absent, and its maximum.
pub const MAX_RECORDS: usize = 500;
/// Most OR conditions one query may hold (each `in` element and each `or` item counts).
pub const MAX_OR_CONDITIONS: usize = 500;

/// A user-defined field as queries and writes need it: its name, how its values
/// compare and, for a list UDF, its items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UdfDef {
    pub name: String,
    pub data_type: i64,
    /// A list UDF's items in id order (empty for other data types).
    pub items: Vec<ListItem>,
}

/// One item of a list UDF: the value an entity stores (`valueForExport`) and the label
/// users see (`valueForDisplay`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub value: String,
    pub label: String,
    pub active: bool,
}

/// How a UDF's string values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdfKind {
    Text,
    Number,
    Date,
}

impl UdfKind {
    /// A list UDF compares as text: the value stored on the entity (its item's
    /// `valueForExport`) is what a filter names.
    pub fn of(data_type: i64) -> UdfKind {
        match data_type {
            super::schema::udf_data_type::NUMBER => UdfKind::Number,
            super::schema::udf_data_type::DATE => UdfKind::Date,
            _ => UdfKind::Text,
        }
    }
}

/// A validated query.
#[derive(Debug, Clone)]
pub struct Query {
    pub max_records: usize,
    pub include: Option<Projection>,
    pub filter: Cond,
    /// The search object as received, re-sent in `nextPageUrl`.
    pub raw: Value,
}

/// Which properties `IncludeFields` keeps (id is always kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub fields: Vec<&'static str>,
    pub udfs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Test(Target, Test),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Field(&'static str, Kind),
    Udf(String, UdfKind),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Cmp(CmpOp, Scalar),
    Text(TextOp, String),
    Exist(bool),
    In(Vec<Scalar>, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    BeginsWith,
    EndsWith,
    Contains,
}

/// A comparable value: numbers as f64 (ids stay exact below 2^53), strings lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Num(f64),
    Str(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// Read access to a stored row, whatever its storage.
pub trait Row {
    /// The field's value by canonical name (`Null` when unset).
    fn field(&self, name: &str) -> Cow<'_, Value>;
    /// The UDF's value (case-insensitive name), `None` when unset.
    fn udf(&self, name: &str) -> Option<String>;
}

impl Row for serde_json::Map<String, Value> {
    fn field(&self, name: &str) -> Cow<'_, Value> {
        self.get(name)
            .map(Cow::Borrowed)
            .unwrap_or(Cow::Owned(Value::Null))
    }
    fn udf(&self, name: &str) -> Option<String> {
        self.get("userDefinedFields")?
            .as_array()?
            .iter()
            .find(|u| {
                u.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|u| match u.get("value") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            })
    }
}

/// Case-insensitive property lookup on a JSON object.
pub fn prop<'a>(obj: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn not_found(field: &str, entity: &Entity) -> String {
    format!("Unable to find {field} in the {} Entity.", entity.name)
}

/// Parses and validates a search object against `entity` and its UDFs.
pub fn parse(raw: &Value, entity: &Entity, udfs: &[UdfDef]) -> Result<Query, String> {
    let Some(obj) = raw.as_object() else {
        return Err("Invalid query syntax: the search must be a JSON object.".into());
    };
    let max_records = match prop(obj, "MaxRecords") {
        None | Some(Value::Null) => MAX_RECORDS,
        Some(v) => {
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            match n {
                Some(n @ 1..=500) => usize::try_from(n).unwrap_or(MAX_RECORDS),
                _ => return Err("maxCountOfRecordsToReturn must be between 1 and 500".into()),
            }
        }
    };
    let include = match prop(obj, "IncludeFields") {
        None | Some(Value::Null) => None,
        Some(Value::Array(names)) if names.is_empty() => None,
        Some(Value::Array(names)) => Some(projection(names, entity, udfs)?),
        Some(_) => return Err("IncludeFields must be an array of field names.".into()),
    };
    let items = match prop(obj, "Filter") {
        Some(Value::Array(items)) => items,
        // Reported: a query without a filter answers HTTP 500 (Servosity/msp-skills#257).
        None | Some(Value::Null) => {
            return Err("Invalid query syntax: a filter is required (e.g. {\"op\":\"gte\",\"field\":\"id\",\"value\":0}).".into());
        }
        Some(_) => return Err("Invalid query syntax: Filter must be an array.".into()),
    };
    let mut budget = Budget::default();
    let filter = Cond::All(
        items
            .iter()
            .map(|item| compile(item, entity, udfs, &mut budget))
            .collect::<Result<_, _>>()?,
    );
    if budget.or_conditions > MAX_OR_CONDITIONS {
        return Err(
            "Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions.".into(),
        );
    }
    if budget.udf_conditions > 1 {
        return Err(
            "Invalid query syntax. Only one user-defined field condition is allowed per query."
                .into(),
        );
    }
    Ok(Query {
        max_records,
        include,
        filter,
        raw: raw.clone(),
    })
}

fn projection(names: &[Value], entity: &Entity, udfs: &[UdfDef]) -> Result<Projection, String> {
    let mut out = Projection::default();
    for name in names {
        let Some(name) = name.as_str() else {
            return Err("IncludeFields must be an array of field names.".into());
        };
        if let Some(f) = entity.field(name) {
            if !out.fields.contains(&f.name) {
                out.fields.push(f.name);
            }
        } else if let Some(u) = udfs.iter().find(|u| u.name.eq_ignore_ascii_case(name)) {
            out.udfs.push(u.name.clone());
        } else {
            return Err(not_found(name, entity));
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Budget {
    or_conditions: usize,
    udf_conditions: usize,
}

fn compile(
    item: &Value,
    entity: &Entity,
    udfs: &[UdfDef],
    budget: &mut Budget,
) -> Result<Cond, String> {
    let Some(obj) = item.as_object() else {
        return Err("Invalid query syntax: each filter item must be an object.".into());
    };
    // Operator names bind case-insensitively (unconfirmed; .NET enum binding usually does).
    let op = prop(obj, "op")
        .and_then(Value::as_str)
        .ok_or("Invalid query syntax: a filter item has no 'op'.")?
        .to_ascii_lowercase();
    if op == "and" || op == "or" {
        let items = match prop(obj, "items") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(format!(
                    "Invalid query syntax: '{op}' needs an 'items' array."
                ));
            }
        };
        if op == "or" {
            budget.or_conditions += items.len();
        }
        let inner = items
            .iter()
            .map(|i| compile(i, entity, udfs, budget))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(if op == "or" {
            Cond::Any(inner)
        } else {
            Cond::All(inner)
        });
    }
    let field = prop(obj, "field")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("Invalid query syntax: the '{op}' condition has no 'field'."))?;
    let is_udf = match prop(obj, "udf") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("Invalid query syntax: 'udf' must be true or false.".into()),
    };
    let target = if is_udf {
        budget.udf_conditions += 1;
        let def = entity
            .has_udfs()
            .then(|| udfs.iter().find(|u| u.name.eq_ignore_ascii_case(field)))
            .flatten()
            .ok_or_else(|| not_found(field, entity))?;
        Target::Udf(def.name.clone(), UdfKind::of(def.data_type))
    } else {
        let f = entity
            .field(field)
            .ok_or_else(|| not_found(field, entity))?;
        if !f.queryable {
            return Err(format!(
                "The field {} in the {} Entity is not queryable.",
                f.name, entity.name
            ));
        }
        Target::Field(f.name, f.kind)
    };
    let value = prop(obj, "value").unwrap_or(&Value::Null);
    let test = match op.as_str() {
        "exist" => Test::Exist(true),
        "notexist" => Test::Exist(false),
        "eq" | "noteq" | "gt" | "gte" | "lt" | "lte" => {
            let cmp = match op.as_str() {
                "eq" => CmpOp::Eq,
                "noteq" => CmpOp::NotEq,
                "gt" => CmpOp::Gt,
                "gte" => CmpOp::Gte,
                "lt" => CmpOp::Lt,
                _ => CmpOp::Lte,
            };
            let scalar = scalar(value, &target, field)?;
            if matches!(scalar, Scalar::Bool(_)) && !matches!(cmp, CmpOp::Eq | CmpOp::NotEq) {
                return Err(format!(
                    "Invalid query syntax: '{op}' cannot compare the boolean field {field}."
                ));
            }
            Test::Cmp(cmp, scalar)
        }
        "beginswith" | "endswith" | "contains" => {
            let text = match value {
                Value::String(s) => s.to_lowercase(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(format!(
                        "Invalid query syntax: '{op}' on {field} needs a string value."
                    ));
                }
            };
            let op = match op.as_str() {
                "beginswith" => TextOp::BeginsWith,
                "endswith" => TextOp::EndsWith,
                _ => TextOp::Contains,
            };
            Test::Text(op, text)
        }
        "in" | "notin" => {
            let Value::Array(values) = value else {
                return Err(format!(
                    "Invalid query syntax: '{op}' on {field} needs an array value."
                ));
            };
            if op == "in" {
                // Each element is an OR condition; notIn is a conjunction and does not count
                // (unconfirmed).
                budget.or_conditions += values.len();
            }
            let scalars = values
                .iter()
                .map(|v| scalar(v, &target, field))
                .collect::<Result<Vec<_>, _>>()?;
            Test::In(scalars, op == "in")
        }
        other => return Err(format!("Invalid query syntax: unknown operator '{other}'.")),
    };
    Ok(Cond::Test(target, test))
}

/// Converts a filter value to the target's type, with the error Autotask-style clients see.
fn scalar(value: &Value, target: &Target, field: &str) -> Result<Scalar, String> {
    if value.is_null() {
        return Err(format!(
            "Invalid query syntax: the condition on {field} needs a value."
        ));
    }
    let kind = match target {
        Target::Field(_, kind) => *kind,
        Target::Udf(_, UdfKind::Number) => Kind::Num,
        Target::Udf(_, UdfKind::Date) => Kind::DateTime,
        Target::Udf(_, UdfKind::Text) => Kind::Str,
    };
    let bad = || {
        format!(
            "Unable to convert the value {value} of {field} to {}.",
            kind.data_type()
        )
    };
    match kind {
        Kind::Int | Kind::Num => number(value).map(Scalar::Num).ok_or_else(bad),
        Kind::Str => match value {
            Value::String(s) => Ok(Scalar::Str(s.to_lowercase())),
            Value::Number(n) => Ok(Scalar::Str(n.to_string())),
            Value::Bool(b) => Ok(Scalar::Str(b.to_string())),
            _ => Err(bad()),
        },
        // Booleans must be JSON true/false (official basic-query article).
        Kind::Bool => match value {
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            _ => Err(format!(
                "Invalid value for the boolean field {field}: use true or false."
            )),
        },
        Kind::DateTime => value
            .as_str()
            .and_then(time::parse)
            .map(Scalar::Time)
            .ok_or_else(bad),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The row's value of `target` as a comparable scalar (`None` when null).
fn actual(target: &Target, row: &dyn Row) -> Option<Scalar> {
    match target {
        Target::Field(name, kind) => {
            let v = row.field(name);
            match (kind, v.as_ref()) {
                (_, Value::Null) => None,
                (Kind::Int | Kind::Num, v) => number(v).map(Scalar::Num),
                (Kind::Bool, Value::Bool(b)) => Some(Scalar::Bool(*b)),
                (Kind::DateTime, Value::String(s)) => time::parse(s).map(Scalar::Time),
                (_, Value::String(s)) => Some(Scalar::Str(s.to_lowercase())),
                (_, other) => Some(Scalar::Str(other.to_string().to_lowercase())),
            }
        }
        Target::Udf(name, kind) => {
            let v = row.udf(name)?;
            match kind {
                UdfKind::Number => v.trim().parse().ok().map(Scalar::Num),
                UdfKind::Date => time::parse(&v).map(Scalar::Time),
                UdfKind::Text => Some(Scalar::Str(v.to_lowercase())),
            }
        }
    }
}

/// The row's value as text for beginsWith/endsWith/contains.
fn text(target: &Target, row: &dyn Row) -> Option<String> {
    match target {
        Target::Field(name, _) => match row.field(name).as_ref() {
            Value::Null => None,
            Value::String(s) => Some(s.to_lowercase()),
            other => Some(other.to_string().to_lowercase()),
        },
        Target::Udf(name, _) => row.udf(name).map(|s| s.to_lowercase()),
    }
}

fn order(a: &Scalar, b: &Scalar) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(y),
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(y)),
        (Scalar::Time(x), Scalar::Time(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether `row` satisfies `cond`.
pub fn matches(cond: &Cond, row: &dyn Row) -> bool {
    use std::cmp::Ordering::*;
    match cond {
        Cond::All(items) => items.iter().all(|c| matches(c, row)),
        Cond::Any(items) => items.iter().any(|c| matches(c, row)),
        Cond::Test(target, Test::Exist(wanted)) => actual_is_set(target, row) == *wanted,
        Cond::Test(target, Test::Text(op, needle)) => text(target, row).is_some_and(|t| match op {
            TextOp::BeginsWith => t.starts_with(needle.as_str()),
            TextOp::EndsWith => t.ends_with(needle.as_str()),
            TextOp::Contains => t.contains(needle.as_str()),
        }),
        Cond::Test(target, Test::In(values, positive)) => actual(target, row).is_some_and(|a| {
            let found = values.iter().any(|v| order(&a, v) == Some(Equal));
            found == *positive
        }),
        Cond::Test(target, Test::Cmp(op, value)) => {
            actual(target, row).is_some_and(|a| match (op, order(&a, value)) {
                (_, None) => false,
                (CmpOp::Eq, Some(o)) => o == Equal,
                (CmpOp::NotEq, Some(o)) => o != Equal,
                (CmpOp::Gt, Some(o)) => o == Greater,
                (CmpOp::Gte, Some(o)) => o != Less,
                (CmpOp::Lt, Some(o)) => o == Less,
                (CmpOp::Lte, Some(o)) => o != Greater,
            })
        }
    }
}

fn actual_is_set(target: &Target, row: &dyn Row) -> bool {
    match target {
        Target::Field(name, _) => !row.field(name).is_null(),
        Target::Udf(name, _) => row.udf(name).is_some(),
    }
}

/// Ids a top-level `field eq N` / `field in [...]` condition pins the result to, so the
/// store can look rows up instead of scanning (keeps 10,000-company scenarios fast).
pub fn pinned_ids(cond: &Cond, field: &str) -> Option<Vec<i64>> {
    let Cond::All(items) = cond else { return None };
    items.iter().find_map(|c| {
        let Cond::Test(Target::Field(name, Kind::Int), test) = c else {
            return None;
        };
        if *name != field {
            return None;
        }
        let as_id = |s: &Scalar| match s {
            Scalar::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            _ => None,
        };
        match test {
            Test::Cmp(CmpOp::Eq, v) => Some(as_id(v).into_iter().collect()),
            Test::In(values, true) => Some(values.iter().filter_map(as_id).collect()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::schema;
    use super::*;
    use serde_json::json;

    fn udfs() -> Vec<UdfDef> {
        vec![
            UdfDef {
                name: "Customer Ranking".into(),
                data_type: 1,
                ..UdfDef::default()
            },
            UdfDef {
                name: "Seats".into(),
                data_type: 2,
                ..UdfDef::default()
            },
        ]
    }

    fn companies() -> Vec<serde_json::Map<String, Value>> {
        let rows = json!([
            {"id": 1, "companyName": "Acme Corp", "companyType": 1, "isActive": true,
             "createDate": "2024-01-10T09:00:00Z", "phone": "555-0100",
             "userDefinedFields": [{"name": "Customer Ranking", "value": "Gold"}, {"name": "Seats", "value": "20.0000"}]},
            {"id": 2, "companyName": "Beta Industries", "companyType": 3, "isActive": false,
             "createDate": "2024-03-01T00:00:00Z", "phone": null,
             "userDefinedFields": [{"name": "Customer Ranking", "value": null}, {"name": "Seats", "value": "5"}]},
            {"id": 3, "companyName": "acme labs", "companyType": 1, "isActive": true,
             "createDate": "2024-03-01T12:30:00.5Z", "phone": "555-0199",
             "userDefinedFields": [{"name": "Customer Ranking", "value": "silver"}]},
            {"id": 10, "companyName": "Gamma", "companyType": 2, "isActive": true,
             "createDate": "2023-12-31T23:59:59Z"}
        ]);
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn ids(filter: Value) -> Result<Vec<i64>, String> {
        let e = schema::get("Companies");
        let q = parse(&json!({ "filter": filter }), e, &udfs())?;
        Ok(companies()
            .iter()
            .filter(|r| matches(&q.filter, *r))
            .map(|r| r["id"].as_i64().unwrap())
            .collect())
    }

    #[test]
    fn operator_table() {
        let cases: Vec<(Value, Vec<i64>)> = vec![
            (json!([{"op": "eq", "field": "id", "value": 2}]), vec![2]),
            (json!([{"op": "eq", "field": "id", "value": "2"}]), vec![2]),
            (
                json!([{"op": "noteq", "field": "companyType", "value": 1}]),
                vec![2, 10],
            ),
            (
                json!([{"op": "gt", "field": "id", "value": 2}]),
                vec![3, 10],
            ),
            (
                json!([{"op": "gte", "field": "id", "value": 2}]),
                vec![2, 3, 10],
            ),
            (json!([{"op": "lt", "field": "id", "value": 3}]), vec![1, 2]),
            (
                json!([{"op": "lte", "field": "id", "value": 3}]),
                vec![1, 2, 3],
            ),
            (
                json!([{"op": "eq", "field": "companyName", "value": "ACME CORP"}]),
                vec![1],
            ),
            (
                json!([{"op": "beginsWith", "field": "companyName", "value": "acme"}]),
                vec![1, 3],
            ),
            (
                json!([{"op": "endsWith", "field": "companyName", "value": "LABS"}]),
                vec![3],
            ),
            (
                json!([{"op": "contains", "field": "companyName", "value": "ust"}]),
                vec![2],
            ),
            (json!([{"op": "exist", "field": "phone"}]), vec![1, 3]),
            (json!([{"op": "notExist", "field": "phone"}]), vec![2, 10]),
            (
                json!([{"op": "in", "field": "companyType", "value": [2, 3]}]),
                vec![2, 10],
            ),
            (
                json!([{"op": "notIn", "field": "companyType", "value": [2, 3]}]),
                vec![1, 3],
            ),
            (json!([{"op": "in", "field": "id", "value": []}]), vec![]),
            (
                json!([{"op": "eq", "field": "isActive", "value": false}]),
                vec![2],
            ),
            (
                json!([{"op": "noteq", "field": "isActive", "value": false}]),
                vec![1, 3, 10],
            ),
            // Datetimes compare as instants, whatever the spelling.
            (
                json!([{"op": "gt", "field": "createDate", "value": "2024-03-01T00:00:00Z"}]),
                vec![3],
            ),
            (
                json!([{"op": "gte", "field": "createDate", "value": "2024-03-01"}]),
                vec![2, 3],
            ),
            (
                json!([{"op": "lt", "field": "createDate", "value": "2024-01-01T02:00:00+02:00"}]),
                vec![10],
            ),
            // Top-level items are ANDed; groups nest.
            (
                json!([{"op": "eq", "field": "companyType", "value": 1}, {"op": "gt", "field": "id", "value": 1}]),
                vec![3],
            ),
            (
                json!([{"op": "or", "items": [
                {"op": "eq", "field": "id", "value": 1},
                {"op": "and", "items": [
                    {"op": "eq", "field": "isActive", "value": true},
                    {"op": "beginsWith", "field": "companyName", "value": "g"}]}]}]),
                vec![1, 10],
            ),
            (json!([{"op": "or", "items": []}]), vec![]),
            (json!([]), vec![1, 2, 3, 10]),
            // Case-insensitive field, operator and property names.
            (
                json!([{"Op": "EQ", "Field": "COMPANYTYPE", "Value": 3}]),
                vec![2],
            ),
            // UDFs: by display name, strings compare case-insensitively, numbers numerically.
            (
                json!([{"op": "eq", "field": "customer ranking", "udf": true, "value": "gold"}]),
                vec![1],
            ),
            (
                json!([{"op": "exist", "field": "Customer Ranking", "udf": true}]),
                vec![1, 3],
            ),
            (
                json!([{"op": "notExist", "field": "Customer Ranking", "udf": true}]),
                vec![2, 10],
            ),
            (
                json!([{"op": "gt", "field": "Seats", "udf": true, "value": 6}]),
                vec![1],
            ),
            (
                json!([{"op": "eq", "field": "Seats", "udf": true, "value": 20}]),
                vec![1],
            ),
        ];
        for (filter, expected) in cases {
            assert_eq!(ids(filter.clone()), Ok(expected), "filter {filter}");
        }
    }

    #[test]
    fn error_table() {
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"filter": [{"op": "eq", "field": "nope", "value": 1}]}),
                "Unable to find nope in the Companies Entity.",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "Customer Ranking", "value": "x"}]}),
                "Unable to find Customer Ranking in the Companies Entity.",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "Missing", "udf": true, "value": "x"}]}),
                "Unable to find Missing in the Companies Entity.",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "isActive", "value": "true"}]}),
                "boolean",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "isActive", "value": 1}]}),
                "boolean",
            ),
            (
                json!({"filter": [{"op": "ne", "field": "id", "value": 1}]}),
                "unknown operator 'ne'",
            ),
            (
                json!({"filter": [{"op": "isNull", "field": "id"}]}),
                "unknown operator",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "id"}]}),
                "needs a value",
            ),
            (
                json!({"filter": [{"op": "in", "field": "id", "value": 3}]}),
                "needs an array",
            ),
            (
                json!({"filter": [{"op": "eq", "field": "id", "value": "abc"}]}),
                "Unable to convert",
            ),
            (
                json!({"filter": [{"op": "gt", "field": "createDate", "value": "soon"}]}),
                "Unable to convert",
            ),
            (json!({"filter": [{"op": "or", "field": "id"}]}), "'items'"),
            (json!({"maxRecords": 10}), "a filter is required"),
            (json!({"filter": {"op": "eq"}}), "Filter must be an array"),
            (
                json!({"filter": [], "MaxRecords": 0}),
                "maxCountOfRecordsToReturn must be between 1 and 500",
            ),
            (
                json!({"filter": [], "MaxRecords": 501}),
                "maxCountOfRecordsToReturn must be between 1 and 500",
            ),
            (
                json!({"filter": [], "IncludeFields": ["id", "bogus"]}),
                "Unable to find bogus in the Companies Entity.",
            ),
            (
                json!({"filter": [
                {"op": "eq", "field": "Customer Ranking", "udf": true, "value": "a"},
                {"op": "exist", "field": "Seats", "udf": true}]}),
                "Only one user-defined field",
            ),
            (
                json!({"filter": [{"op": "in", "field": "id", "value": (0..501).collect::<Vec<_>>()}]}),
                "500 or fewer 'OR' conditions",
            ),
            (
                json!({"filter": [
                {"op": "in", "field": "id", "value": (0..300).collect::<Vec<_>>()},
                {"op": "or", "items": (0..201).map(|i| json!({"op": "eq", "field": "id", "value": i})).collect::<Vec<_>>()}]}),
                "500 or fewer 'OR' conditions",
            ),
            (json!("not an object"), "JSON object"),
        ];
        let e = schema::get("Companies");
        for (search, wanted) in cases {
            let err = parse(&search, e, &udfs()).expect_err(&search.to_string());
            assert!(
                err.contains(wanted),
                "{search}: got {err:?}, wanted {wanted:?}"
            );
        }
    }

    #[test]
    fn limits_and_projection_are_accepted_at_the_edges() {
        let e = schema::get("Companies");
        let ok = json!({"Filter": [{"op": "in", "field": "id", "value": (0..500).collect::<Vec<_>>()}], "MaxRecords": 500});
        assert_eq!(parse(&ok, e, &udfs()).unwrap().max_records, 500);
        let q = parse(
            &json!({"filter": [], "maxrecords": "7", "includeFields": ["COMPANYNAME", "seats"]}),
            e,
            &udfs(),
        )
        .unwrap();
        assert_eq!(q.max_records, 7);
        assert_eq!(
            q.include,
            Some(Projection {
                fields: vec!["companyName"],
                udfs: vec!["Seats".into()]
            })
        );
        assert_eq!(
            parse(&json!({"filter": []}), e, &udfs())
                .unwrap()
                .max_records,
            500
        );
    }

    #[test]
    fn non_queryable_fields_are_rejected() {
        let e = schema::get("Contacts");
        let err = parse(
            &json!({"filter": [{"op": "eq", "field": "surveyOptOut", "value": true}]}),
            e,
            &[],
        )
        .unwrap_err();
        assert!(err.contains("not queryable"), "{err}");
    }

    #[test]
    fn pinned_ids_come_from_top_level_eq_or_in() {
        let e = schema::get("Companies");
        let q = parse(&json!({"filter": [{"op": "in", "field": "id", "value": [3, 1]}, {"op": "exist", "field": "phone"}]}), e, &[]).unwrap();
        assert_eq!(pinned_ids(&q.filter, "id"), Some(vec![3, 1]));
        let q = parse(
            &json!({"filter": [{"op": "or", "items": [{"op": "eq", "field": "id", "value": 1}]}]}),
            e,
            &[],
        )
        .unwrap();
        assert_eq!(pinned_ids(&q.filter, "id"), None);
    }
}
