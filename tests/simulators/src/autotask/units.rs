//! The recurring-service unit model (reference 5.4-5.8): ContractServiceUnits rows, one
//! per billing period from contract start to end, split by adjustments.
//!
//! Rows are kept as typed structs rather than JSON (a 10,000-company scenario holds
//! hundreds of thousands of them). Dates are calendar days at midnight UTC; a row covers
//! day D when `startDate <= D <= endDate`. The same code serves bundles.

use super::filter::Row;
use super::time;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Names that differ between the service and the bundle variants.
#[derive(Debug)]
pub struct Flavor {
    /// `ContractServiceUnits` / `ContractServiceBundleUnits`.
    pub units_entity: &'static str,
    /// `ContractServices` / `ContractServiceBundles`.
    pub owner_entity: &'static str,
    /// `contractServiceID` / `contractServiceBundleID`.
    pub owner_field: &'static str,
    /// `serviceID` / `serviceBundleID`.
    pub item_field: &'static str,
    /// `Services` / `ServiceBundles`.
    pub item_entity: &'static str,
    /// `ContractServiceAdjustments` / `ContractServiceBundleAdjustments`.
    pub adjustments_entity: &'static str,
}

pub static SERVICE: Flavor = Flavor {
    units_entity: "ContractServiceUnits",
    owner_entity: "ContractServices",
    owner_field: "contractServiceID",
    item_field: "serviceID",
    item_entity: "Services",
    adjustments_entity: "ContractServiceAdjustments",
};

pub static BUNDLE: Flavor = Flavor {
    units_entity: "ContractServiceBundleUnits",
    owner_entity: "ContractServiceBundles",
    owner_field: "contractServiceBundleID",
    item_field: "serviceBundleID",
    item_entity: "ServiceBundles",
    adjustments_entity: "ContractServiceBundleAdjustments",
};

/// One ContractServiceUnits (or bundle units) row.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub id: i64,
    pub contract_id: i64,
    pub owner_id: i64,
    pub item_id: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub units: i64,
    pub price: Option<f64>,
    pub cost: Option<f64>,
    pub posted: Option<DateTime<Utc>>,
}

/// What the unit model needs to know about a contract.
#[derive(Debug, Clone, Copy)]
pub struct ContractDates {
    pub id: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// `contractPeriodType` code: 1 monthly (default), 2 quarterly, 3 semi-annual, 4 yearly
    /// (codes unconfirmed; the simulator publishes them as a picklist).
    pub period_type: i64,
}

/// A unit row seen through the filter engine and rendered to JSON.
pub struct UnitView<'a> {
    pub row: &'a UnitRow,
    pub flavor: &'static Flavor,
}

impl UnitView<'_> {
    pub fn render(&self) -> Map<String, Value> {
        let r = self.row;
        let mut m = Map::new();
        m.insert("id".into(), json!(r.id));
        m.insert(
            "approveAndPostDate".into(),
            r.posted
                .map(time::format)
                .map_or(Value::Null, Value::String),
        );
        m.insert("contractID".into(), json!(r.contract_id));
        m.insert(self.flavor.owner_field.into(), json!(r.owner_id));
        m.insert(self.flavor.item_field.into(), json!(r.item_id));
        m.insert("cost".into(), json!(r.cost));
        m.insert(
            "startDate".into(),
            json!(time::format(time::midnight(r.start))),
        );
        m.insert("endDate".into(), json!(time::format(time::midnight(r.end))));
        m.insert("internalCurrencyPrice".into(), json!(r.price));
        m.insert("organizationalLevelAssociationID".into(), Value::Null);
        m.insert("price".into(), json!(r.price));
        m.insert("units".into(), json!(r.units));
        if std::ptr::eq(self.flavor, &SERVICE) {
            m.insert("vendorCompanyID".into(), Value::Null);
        }
        m
    }
}

impl Row for UnitView<'_> {
    fn field(&self, name: &str) -> Cow<'_, Value> {
        let r = self.row;
        let v = match name {
            "id" => json!(r.id),
            "contractID" => json!(r.contract_id),
            "units" => json!(r.units),
            "startDate" => json!(time::format(time::midnight(r.start))),
            "endDate" => json!(time::format(time::midnight(r.end))),
            "price" | "internalCurrencyPrice" => json!(r.price),
            "cost" => json!(r.cost),
            "approveAndPostDate" => r
                .posted
                .map(time::format)
                .map_or(Value::Null, Value::String),
            n if n == self.flavor.owner_field => json!(r.owner_id),
            n if n == self.flavor.item_field => json!(r.item_id),
            _ => Value::Null,
        };
        Cow::Owned(v)
    }
    fn udf(&self, _name: &str) -> Option<String> {
        None
    }
}

/// Billing periods `[start, end]` (inclusive days) covering the contract.
pub fn periods(contract: &ContractDates) -> Vec<(NaiveDate, NaiveDate)> {
    let months = match contract.period_type {
        2 => 3,
        3 => 6,
        4 => 12,
        _ => 1,
    };
    let mut out = Vec::new();
    let mut k = 0u32;
    while let Some(start) = contract.start.checked_add_months(Months::new(k * months)) {
        if start > contract.end {
            break;
        }
        let next = contract
            .start
            .checked_add_months(Months::new((k + 1) * months))
            .and_then(|d| d.pred_opt())
            .unwrap_or(contract.end);
        out.push((start, next.min(contract.end)));
        k += 1;
    }
    out
}

/// All unit rows of one flavor, with indexes by contract and by owner.
#[derive(Debug)]
pub struct UnitTable {
    pub flavor: &'static Flavor,
    pub rows: BTreeMap<i64, UnitRow>,
    by_contract: HashMap<i64, Vec<i64>>,
    by_owner: HashMap<i64, Vec<i64>>,
    /// (contract, service or bundle) → contract service (bundle) id.
    owners: HashMap<(i64, i64), i64>,
    next_id: i64,
}

impl UnitTable {
    pub fn new(flavor: &'static Flavor) -> UnitTable {
        UnitTable {
            flavor,
            rows: BTreeMap::new(),
            by_contract: HashMap::new(),
            by_owner: HashMap::new(),
            owners: HashMap::new(),
            next_id: 1,
        }
    }

    /// The contract service (bundle) holding `item` on `contract_id`, if any.
    pub fn owner_of(&self, contract_id: i64, item_id: i64) -> Option<i64> {
        self.owners.get(&(contract_id, item_id)).copied()
    }

    /// Row ids of one contract (ascending).
    pub fn ids_of_contract(&self, contract_id: i64) -> Vec<i64> {
        self.by_contract
            .get(&contract_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Row ids of one contract service (bundle).
    pub fn ids_of_owner(&self, owner_id: i64) -> Vec<i64> {
        self.by_owner.get(&owner_id).cloned().unwrap_or_default()
    }

    /// Rows of one contract service, in date order.
    pub fn rows_of_owner(&self, owner_id: i64) -> Vec<&UnitRow> {
        let mut rows: Vec<_> = self
            .by_owner
            .get(&owner_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.rows.get(id))
            .collect();
        rows.sort_by_key(|r| r.start);
        rows
    }

    fn push(&mut self, mut row: UnitRow) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        row.id = id;
        self.by_contract
            .entry(row.contract_id)
            .or_default()
            .push(id);
        self.by_owner.entry(row.owner_id).or_default().push(id);
        self.rows.insert(id, row);
        id
    }

    fn remove(&mut self, id: i64) {
        if let Some(row) = self.rows.remove(&id) {
            for index in [
                self.by_contract.get_mut(&row.contract_id),
                self.by_owner.get_mut(&row.owner_id),
            ]
            .into_iter()
            .flatten()
            {
                index.retain(|x| *x != id);
            }
        }
    }

    /// Creates one row per billing period for a new contract service.
    pub fn create_rows(
        &mut self,
        contract: &ContractDates,
        owner_id: i64,
        item_id: i64,
        units: i64,
        price: Option<f64>,
        cost: Option<f64>,
    ) {
        self.owners.insert((contract.id, item_id), owner_id);
        for (start, end) in periods(contract) {
            self.push(UnitRow {
                id: 0,
                contract_id: contract.id,
                owner_id,
                item_id,
                start,
                end,
                units,
                price,
                cost,
                posted: None,
            });
        }
    }

    /// Marks rows ending on or before `through` as approved and posted (seeded history).
    pub fn post_through(&mut self, owner_id: i64, through: NaiveDate) {
        let ids = self.by_owner.get(&owner_id).cloned().unwrap_or_default();
        for id in ids {
            if let Some(row) = self.rows.get_mut(&id)
                && row.end <= through
            {
                row.posted = Some(time::midnight(through));
            }
        }
    }

    /// Checks that `change` units from `day` on are allowed, without changing anything.
    pub fn check_adjustment(
        &self,
        owner_id: i64,
        day: NaiveDate,
        change: i64,
    ) -> Result<(), String> {
        let rows = self.rows_of_owner(owner_id);
        if !rows.iter().any(|r| r.start <= day && day <= r.end) {
            return Err(format!(
                "The effective date {day} is not within a billing period of the contract service."
            ));
        }
        for r in rows.iter().filter(|r| r.end >= day) {
            if r.posted.is_some() {
                return Err(format!(
                    "The effective date {day} falls in a period that has already been approved and posted ({} to {}).",
                    r.start, r.end
                ));
            }
            if r.units + change < 0 {
                return Err(format!(
                    "The adjustment would leave {} units from {}; units cannot be negative.",
                    r.units + change,
                    r.start.max(day)
                ));
            }
        }
        Ok(())
    }

    /// Adds `change` units from `day` on: the row covering `day` is split into
    /// `[start, day)` and `[day, end]`, and every row from `day` on gains `change`.
    pub fn adjust(&mut self, owner_id: i64, day: NaiveDate, change: i64) -> Result<(), String> {
        self.check_adjustment(owner_id, day, change)?;
        let covering = self
            .rows_of_owner(owner_id)
            .into_iter()
            .find(|r| r.start <= day && day <= r.end)
            .cloned();
        if let Some(row) = covering
            && row.start < day
        {
            if let Some(r) = self.rows.get_mut(&row.id) {
                r.end = day.pred_opt().unwrap_or(day);
            }
            self.push(UnitRow { start: day, ..row });
        }
        let later: Vec<i64> = self
            .rows_of_owner(owner_id)
            .iter()
            .filter(|r| r.start >= day)
            .map(|r| r.id)
            .collect();
        for id in later {
            if let Some(r) = self.rows.get_mut(&id) {
                r.units += change;
            }
        }
        Ok(())
    }

    /// Follows a change of the contract's dates: rows outside drop out, edge rows are
    /// clamped, and new periods continue with the nearest row's units.
    pub fn resync(&mut self, contract: &ContractDates) {
        let owners: Vec<i64> = self
            .ids_of_contract(contract.id)
            .iter()
            .filter_map(|id| self.rows.get(id).map(|r| r.owner_id))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for owner in owners {
            let rows: Vec<UnitRow> = self.rows_of_owner(owner).into_iter().cloned().collect();
            let (Some(first), Some(last)) = (rows.first().cloned(), rows.last().cloned()) else {
                continue;
            };
            for r in &rows {
                if r.end < contract.start || r.start > contract.end {
                    self.remove(r.id);
                } else if let Some(row) = self.rows.get_mut(&r.id) {
                    row.start = row.start.max(contract.start);
                    row.end = row.end.min(contract.end);
                }
            }
            for (start, end) in periods(contract) {
                let template = if end < first.start {
                    &first
                } else if start > last.end {
                    &last
                } else if start < first.start {
                    // A period straddling the old start: cover its uncovered head.
                    self.push(UnitRow {
                        start,
                        end: first.start.pred_opt().unwrap_or(first.start),
                        posted: None,
                        ..first.clone()
                    });
                    continue;
                } else if start <= last.end && end > last.end {
                    self.push(UnitRow {
                        start: last.end.succ_opt().unwrap_or(last.end),
                        end,
                        posted: None,
                        ..last.clone()
                    });
                    continue;
                } else {
                    continue;
                };
                self.push(UnitRow {
                    start,
                    end,
                    posted: None,
                    ..template.clone()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn contract(start: &str, end: &str, period_type: i64) -> ContractDates {
        ContractDates {
            id: 7,
            start: d(start),
            end: d(end),
            period_type,
        }
    }

    fn spans(t: &UnitTable, owner: i64) -> Vec<(String, String, i64)> {
        t.rows_of_owner(owner)
            .iter()
            .map(|r| (r.start.to_string(), r.end.to_string(), r.units))
            .collect()
    }

    #[test]
    fn periods_follow_the_period_type_and_stop_at_the_end() {
        let monthly = periods(&contract("2024-01-31", "2024-04-15", 1));
        assert_eq!(
            monthly,
            vec![
                (d("2024-01-31"), d("2024-02-28")),
                (d("2024-02-29"), d("2024-03-30")),
                (d("2024-03-31"), d("2024-04-15")),
            ]
        );
        let quarterly = periods(&contract("2024-01-01", "2024-12-31", 2));
        assert_eq!(quarterly.len(), 4);
        assert_eq!(quarterly[3], (d("2024-10-01"), d("2024-12-31")));
        assert_eq!(periods(&contract("2024-01-01", "2025-12-31", 4)).len(), 2);
        assert!(periods(&contract("2024-02-01", "2024-01-01", 1)).is_empty());
    }

    #[test]
    fn adjustment_splits_the_covering_period_and_lifts_later_ones() {
        let mut t = UnitTable::new(&SERVICE);
        t.create_rows(
            &contract("2024-01-01", "2024-03-31", 1),
            5,
            9,
            10,
            Some(2.5),
            None,
        );
        t.adjust(5, d("2024-02-10"), 3).unwrap();
        assert_eq!(
            spans(&t, 5),
            vec![
                ("2024-01-01".into(), "2024-01-31".into(), 10),
                ("2024-02-01".into(), "2024-02-09".into(), 10),
                ("2024-02-10".into(), "2024-02-29".into(), 13),
                ("2024-03-01".into(), "2024-03-31".into(), 13),
            ]
        );
        // On a period start: no split.
        t.adjust(5, d("2024-03-01"), -13).unwrap();
        assert_eq!(spans(&t, 5).len(), 4);
        assert_eq!(spans(&t, 5)[3].2, 0);
        assert_eq!(t.ids_of_contract(7).len(), 4);
    }

    #[test]
    fn adjustments_are_refused_below_zero_in_posted_periods_and_outside_dates() {
        let mut t = UnitTable::new(&SERVICE);
        t.create_rows(
            &contract("2024-01-01", "2024-03-31", 1),
            5,
            9,
            2,
            None,
            None,
        );
        let before = spans(&t, 5);
        assert!(
            t.adjust(5, d("2024-02-01"), -3)
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            t.adjust(5, d("2024-04-01"), 1)
                .unwrap_err()
                .contains("not within")
        );
        t.post_through(5, d("2024-01-31"));
        assert!(
            t.adjust(5, d("2024-01-15"), 1)
                .unwrap_err()
                .contains("approved and posted")
        );
        assert_eq!(spans(&t, 5), before, "failed adjustments change nothing");
        t.adjust(5, d("2024-02-01"), 1).unwrap();
        assert_eq!(spans(&t, 5)[1].2, 3);
    }

    #[test]
    fn resync_follows_contract_date_changes() {
        let mut t = UnitTable::new(&SERVICE);
        let c = contract("2024-01-01", "2024-03-31", 1);
        t.create_rows(&c, 5, 9, 4, None, None);
        t.adjust(5, d("2024-03-15"), 1).unwrap();
        t.resync(&ContractDates {
            end: d("2024-05-31"),
            ..c
        });
        let s = spans(&t, 5);
        assert_eq!(s.len(), 6);
        assert_eq!(s[5], ("2024-05-01".into(), "2024-05-31".into(), 5));
        t.resync(&ContractDates {
            start: d("2024-02-01"),
            end: d("2024-03-20"),
            ..c
        });
        assert_eq!(
            spans(&t, 5),
            vec![
                ("2024-02-01".into(), "2024-02-29".into(), 4),
                ("2024-03-01".into(), "2024-03-14".into(), 4),
                ("2024-03-15".into(), "2024-03-20".into(), 5),
            ]
        );
    }

    #[test]
    fn views_render_and_filter_like_json_rows() {
        let mut t = UnitTable::new(&BUNDLE);
        t.create_rows(
            &contract("2024-01-01", "2024-01-31", 1),
            3,
            4,
            6,
            Some(1.0),
            Some(0.5),
        );
        let row = t.rows.values().next().unwrap();
        let view = UnitView {
            row,
            flavor: &BUNDLE,
        };
        let json = view.render();
        assert_eq!(json["contractServiceBundleID"], json!(3));
        assert_eq!(json["serviceBundleID"], json!(4));
        assert_eq!(json["startDate"], json!("2024-01-01T00:00:00Z"));
        assert_eq!(view.field("units").as_ref(), &json!(6));
        assert!(!json.contains_key("vendorCompanyID"));
    }
}
