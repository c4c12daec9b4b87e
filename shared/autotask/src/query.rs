//! The typed query ("search") object of `/{Entity}/query`.
//!
//! Serialises to exactly the JSON of the API reference:
//! `{"MaxRecords": 500, "IncludeFields": [...], "Filter": [{"op": "eq", "field": ..,
//! "value": ..}, {"op": "or", "items": [...]}]}`. Top-level filters are ANDed.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// Most OR conditions one query may hold; each `in`/`notIn` value counts as one.
pub const MAX_OR_CONDITIONS: usize = 500;
/// Largest page (`MaxRecords`) the API serves.
pub const MAX_PAGE_SIZE: u32 = 500;

/// A comparison operator (the API's exact spellings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "eq")]
    Eq,
    #[serde(rename = "noteq")]
    NotEq,
    #[serde(rename = "gt")]
    Gt,
    #[serde(rename = "gte")]
    Gte,
    #[serde(rename = "lt")]
    Lt,
    #[serde(rename = "lte")]
    Lte,
    #[serde(rename = "beginsWith")]
    BeginsWith,
    #[serde(rename = "endsWith")]
    EndsWith,
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "exist")]
    Exist,
    #[serde(rename = "notExist")]
    NotExist,
    #[serde(rename = "in")]
    In,
    #[serde(rename = "notIn")]
    NotIn,
}

/// A filter node: a condition on one field, or an `and`/`or` group.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Condition {
        op: Op,
        field: String,
        /// Absent for `exist`/`notExist`; an array for `in`/`notIn`.
        value: Option<Value>,
        /// The field is a user-defined field (its display name).
        udf: bool,
    },
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

/// Anything that can stand on the right of a condition. Datetimes are sent in UTC with
/// `Z`, the form the API stores and documents.
pub trait FilterValue {
    fn into_value(self) -> Value;
}

macro_rules! filter_value_via_json {
    ($($t:ty),*) => {$(
        impl FilterValue for $t {
            fn into_value(self) -> Value {
                Value::from(self)
            }
        }
    )*};
}
filter_value_via_json!(i32, i64, u32, u64, f64, bool, String, &str, Value);

impl FilterValue for &String {
    fn into_value(self) -> Value {
        Value::from(self.as_str())
    }
}

impl FilterValue for DateTime<Utc> {
    fn into_value(self) -> Value {
        Value::from(self.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl FilterValue for NaiveDate {
    /// Date-like fields still want a time part.
    fn into_value(self) -> Value {
        Value::from(format!("{}T00:00:00Z", self.format("%Y-%m-%d")))
    }
}

fn condition(op: Op, field: impl Into<String>, value: Option<Value>) -> Filter {
    Filter::Condition {
        op,
        field: field.into(),
        value,
        udf: false,
    }
}

impl Filter {
    pub fn eq(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Eq, field, Some(value.into_value()))
    }
    pub fn noteq(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::NotEq, field, Some(value.into_value()))
    }
    pub fn gt(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Gt, field, Some(value.into_value()))
    }
    pub fn gte(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Gte, field, Some(value.into_value()))
    }
    pub fn lt(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Lt, field, Some(value.into_value()))
    }
    pub fn lte(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Lte, field, Some(value.into_value()))
    }
    pub fn begins_with(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::BeginsWith, field, Some(value.into_value()))
    }
    pub fn ends_with(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::EndsWith, field, Some(value.into_value()))
    }
    pub fn contains(field: impl Into<String>, value: impl FilterValue) -> Self {
        condition(Op::Contains, field, Some(value.into_value()))
    }
    /// The field is not null.
    pub fn exist(field: impl Into<String>) -> Self {
        condition(Op::Exist, field, None)
    }
    /// The field is null.
    pub fn not_exist(field: impl Into<String>) -> Self {
        condition(Op::NotExist, field, None)
    }
    /// `in`: the field equals one of `values` (each value is one OR condition).
    pub fn in_list<V: FilterValue>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let list = values.into_iter().map(FilterValue::into_value).collect();
        condition(Op::In, field, Some(Value::Array(list)))
    }
    /// `notIn`: the field equals none of `values`.
    pub fn not_in<V: FilterValue>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let list = values.into_iter().map(FilterValue::into_value).collect();
        condition(Op::NotIn, field, Some(Value::Array(list)))
    }
    pub fn and(items: impl IntoIterator<Item = Filter>) -> Self {
        Filter::And(items.into_iter().collect())
    }
    pub fn or(items: impl IntoIterator<Item = Filter>) -> Self {
        Filter::Or(items.into_iter().collect())
    }

    /// Marks a condition as being on a user-defined field (by display name).
    /// Groups are left unchanged.
    pub fn udf(mut self) -> Self {
        if let Filter::Condition { udf, .. } = &mut self {
            *udf = true;
        }
        self
    }

    /// OR conditions this node contributes toward [`MAX_OR_CONDITIONS`]: each value
    /// of an `in`/`notIn` list and each member of an `or` group (conservative: the
    /// documentation does not say whether a group of n counts n or n-1).
    pub fn or_conditions(&self) -> usize {
        match self {
            Filter::Condition {
                op: Op::In | Op::NotIn,
                value,
                ..
            } => value.as_ref().and_then(Value::as_array).map_or(0, Vec::len),
            Filter::Condition { .. } => 0,
            Filter::And(items) => items.iter().map(Filter::or_conditions).sum(),
            Filter::Or(items) => {
                items.len() + items.iter().map(Filter::or_conditions).sum::<usize>()
            }
        }
    }

    fn udf_conditions(&self) -> usize {
        match self {
            Filter::Condition { udf, .. } => usize::from(*udf),
            Filter::And(items) | Filter::Or(items) => {
                items.iter().map(Filter::udf_conditions).sum()
            }
        }
    }
}

impl Serialize for Filter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Filter::Condition {
                op,
                field,
                value,
                udf,
            } => {
                map.serialize_entry("op", op)?;
                map.serialize_entry("field", field)?;
                if let Some(value) = value {
                    map.serialize_entry("value", value)?;
                }
                if *udf {
                    map.serialize_entry("udf", &true)?;
                }
            }
            Filter::And(items) => {
                map.serialize_entry("op", "and")?;
                map.serialize_entry("items", items)?;
            }
            Filter::Or(items) => {
                map.serialize_entry("op", "or")?;
                map.serialize_entry("items", items)?;
            }
        }
        map.end()
    }
}

/// A query: ANDed top-level filters, optional field list and page size.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    filter: Vec<Filter>,
    include_fields: Vec<String>,
    max_records: Option<u32>,
}

impl Query {
    /// A query with this one filter.
    pub fn new(filter: Filter) -> Self {
        Self {
            filter: vec![filter],
            ..Self::default()
        }
    }

    /// Every record: `id gte 0`, the API's idiom (a query must carry a filter).
    pub fn all() -> Self {
        Self::new(Filter::gte("id", 0i64))
    }

    /// Adds a filter, ANDed with the others.
    pub fn and(mut self, filter: Filter) -> Self {
        self.filter.push(filter);
        self
    }

    /// Returns only these fields (plus `id`, which paging needs and the API adds).
    pub fn include_fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.include_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Page size (`MaxRecords`, 1..=500); the default is 500.
    pub fn max_records(mut self, n: u32) -> Self {
        self.max_records = Some(n);
        self
    }

    pub fn filters(&self) -> &[Filter] {
        &self.filter
    }

    /// OR conditions of the whole query.
    pub fn or_conditions(&self) -> usize {
        self.filter.iter().map(Filter::or_conditions).sum()
    }

    /// The rules the API enforces with a 500, checked here so a bad query costs no
    /// request and gets a clear message.
    pub fn validate(&self) -> Result<(), String> {
        if self.filter.is_empty() {
            return Err("Filter: a query needs at least one filter (use Query::all())".into());
        }
        if let Some(n) = self.max_records
            && !(1..=MAX_PAGE_SIZE).contains(&n)
        {
            return Err(format!(
                "MaxRecords: {n} is not between 1 and {MAX_PAGE_SIZE}"
            ));
        }
        let ors = self.or_conditions();
        if ors > MAX_OR_CONDITIONS {
            return Err(format!(
                "Filter: {ors} OR conditions; the API allows at most {MAX_OR_CONDITIONS} \
                 (split the in-list, e.g. with query_in_chunks)"
            ));
        }
        let udfs: usize = self.filter.iter().map(Filter::udf_conditions).sum();
        if udfs > 1 {
            return Err(format!(
                "Filter: {udfs} user-defined-field conditions; the API allows one per query"
            ));
        }
        for f in &self.filter {
            check_groups(f)?;
        }
        Ok(())
    }
}

fn check_groups(f: &Filter) -> Result<(), String> {
    match f {
        Filter::And(items) | Filter::Or(items) if items.is_empty() => {
            Err("Filter: an and/or group has no items".into())
        }
        Filter::And(items) | Filter::Or(items) => items.iter().try_for_each(check_groups),
        Filter::Condition { field, .. } if field.trim().is_empty() => {
            Err("Filter: a condition has an empty field name".into())
        }
        Filter::Condition { .. } => Ok(()),
    }
}

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(n) = self.max_records {
            map.serialize_entry("MaxRecords", &n)?;
        }
        if !self.include_fields.is_empty() {
            map.serialize_entry("IncludeFields", &self.include_fields)?;
        }
        map.serialize_entry("Filter", &self.filter)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_json(q: &Query) -> Value {
        serde_json::to_value(q).expect("serialise")
    }

    #[test]
    fn all_is_the_id_gte_0_idiom() {
        assert_eq!(
            to_json(&Query::all()),
            json!({"Filter": [{"op": "gte", "field": "id", "value": 0}]})
        );
    }

    #[test]
    fn reference_example_round_trips_exactly() {
        let q = Query::new(Filter::eq("isActive", true))
            .and(Filter::or([
                Filter::in_list("companyType", [1, 3]),
                Filter::begins_with("companyName", "Acme"),
            ]))
            .and(Filter::exist("Customer Ranking").udf())
            .include_fields(["id", "companyName", "Customer Ranking"])
            .max_records(500);
        assert_eq!(
            to_json(&q),
            json!({
              "MaxRecords": 500,
              "IncludeFields": ["id", "companyName", "Customer Ranking"],
              "Filter": [
                {"op": "eq", "field": "isActive", "value": true},
                {"op": "or", "items": [
                  {"op": "in", "field": "companyType", "value": [1, 3]},
                  {"op": "beginsWith", "field": "companyName", "value": "Acme"}
                ]},
                {"op": "exist", "field": "Customer Ranking", "udf": true}
              ]
            })
        );
    }

    #[test]
    fn every_operator_has_its_exact_spelling() {
        let q = Query::new(Filter::and([
            Filter::eq("a", 1),
            Filter::noteq("a", 2),
            Filter::gt("a", 3),
            Filter::gte("a", 4),
            Filter::lt("a", 5),
            Filter::lte("a", 6),
            Filter::begins_with("s", "x"),
            Filter::ends_with("s", "y"),
            Filter::contains("s", "z"),
            Filter::exist("s"),
            Filter::not_exist("s"),
            Filter::in_list("a", [7i64, 8]),
            Filter::not_in("s", ["p", "q"]),
        ]));
        let ops: Vec<String> = to_json(&q)["Filter"][0]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|f| f["op"].as_str().expect("op").to_string())
            .collect();
        assert_eq!(
            ops,
            [
                "eq",
                "noteq",
                "gt",
                "gte",
                "lt",
                "lte",
                "beginsWith",
                "endsWith",
                "contains",
                "exist",
                "notExist",
                "in",
                "notIn"
            ]
        );
        assert_eq!(to_json(&q)["Filter"][0]["op"], "and");
        assert!(to_json(&q)["Filter"][0]["items"][9].get("value").is_none());
    }

    #[test]
    fn datetimes_are_sent_in_utc_with_z() {
        let at = DateTime::parse_from_rfc3339("2024-05-01T10:20:30+02:00")
            .expect("dt")
            .with_timezone(&Utc);
        let f = Filter::gt("lastModifiedDateTime", at);
        let v = serde_json::to_value(&f).expect("json");
        assert_eq!(v["value"], "2024-05-01T08:20:30Z");
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
        assert_eq!(
            serde_json::to_value(Filter::lte("startDate", d)).expect("json")["value"],
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn udf_condition_on_a_string_value() {
        let f = Filter::eq("Acronis PAYG", "Yes").udf();
        assert_eq!(
            serde_json::to_value(&f).expect("json"),
            json!({"op": "eq", "field": "Acronis PAYG", "value": "Yes", "udf": true})
        );
    }

    #[test]
    fn validation_catches_what_the_api_would_reject() {
        assert!(Query::default().validate().is_err());
        assert!(Query::all().max_records(0).validate().is_err());
        assert!(Query::all().max_records(501).validate().is_err());
        assert!(Query::all().max_records(500).validate().is_ok());
        let many = Query::new(Filter::in_list("id", 0..501i64));
        let err = many.validate().expect_err("too many ORs");
        assert!(err.contains("501 OR conditions"), "{err}");
        assert!(
            Query::new(Filter::in_list("id", 0..500i64))
                .validate()
                .is_ok()
        );
        let two_udfs = Query::new(Filter::exist("A").udf()).and(Filter::exist("B").udf());
        assert!(
            two_udfs
                .validate()
                .expect_err("udfs")
                .contains("user-defined")
        );
        assert!(Query::new(Filter::or([])).validate().is_err());
    }

    #[test]
    fn or_groups_count_their_members() {
        let f = Filter::or([Filter::eq("a", 1), Filter::in_list("b", [1i64, 2, 3])]);
        assert_eq!(f.or_conditions(), 5);
    }
}
