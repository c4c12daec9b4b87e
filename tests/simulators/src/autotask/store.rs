//! The simulated database: one table per entity, rendering rows the way the API shows
//! them, and keyset scans for queries.

use super::filter::{self, Cond, ListItem, Projection, Row, UdfDef};
use super::schema::{self, Entity, udf_data_type};
use super::units::{self, UnitTable, UnitView};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// A stored row: canonical field names, only the fields that were set.
pub type Record = Map<String, Value>;

#[derive(Debug, Default)]
pub struct Table {
    pub rows: BTreeMap<i64, Record>,
    next_id: i64,
}

/// Where a page starts: the first page, after an id (next), or before one (previous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Start,
    After(i64),
    Before(i64),
}

/// One page of a query.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Value>,
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
    pub has_next: bool,
    pub has_prev: bool,
}

#[derive(Debug)]
pub struct Store {
    tables: HashMap<&'static str, Table>,
    pub service_units: UnitTable,
    pub bundle_units: UnitTable,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        let tables = schema::all()
            .iter()
            .filter(|e| units_flavor(e.name).is_none())
            .map(|e| {
                (
                    e.name,
                    Table {
                        rows: BTreeMap::new(),
                        next_id: 1,
                    },
                )
            })
            .collect();
        Store {
            tables,
            service_units: UnitTable::new(&units::SERVICE),
            bundle_units: UnitTable::new(&units::BUNDLE),
        }
    }

    /// The unit table behind a units entity, if `entity` is one.
    pub fn units(&self, entity: &str) -> Option<&UnitTable> {
        match units_flavor(entity)? {
            f if std::ptr::eq(f, &units::SERVICE) => Some(&self.service_units),
            _ => Some(&self.bundle_units),
        }
    }

    pub fn units_mut(&mut self, entity: &str) -> Option<&mut UnitTable> {
        match units_flavor(entity)? {
            f if std::ptr::eq(f, &units::SERVICE) => Some(&mut self.service_units),
            _ => Some(&mut self.bundle_units),
        }
    }

    fn table(&self, entity: &str) -> Option<&Table> {
        self.tables.get(entity)
    }

    pub fn row(&self, entity: &str, id: i64) -> Option<&Record> {
        self.table(entity)?.rows.get(&id)
    }

    pub fn row_mut(&mut self, entity: &str, id: i64) -> Option<&mut Record> {
        self.tables.get_mut(entity)?.rows.get_mut(&id)
    }

    /// Rows of a JSON-backed entity in id order (empty for units entities).
    pub fn rows(&self, entity: &str) -> impl Iterator<Item = (&i64, &Record)> {
        self.table(entity).into_iter().flat_map(|t| t.rows.iter())
    }

    /// Stores a row under `id` (or the next free id) and returns the id.
    pub fn insert(&mut self, entity: &'static str, id: Option<i64>, mut record: Record) -> i64 {
        let table = self.tables.entry(entity).or_default();
        let id = id.unwrap_or(table.next_id.max(1));
        table.next_id = table.next_id.max(id + 1);
        record.insert("id".into(), json!(id));
        table.rows.insert(id, record);
        id
    }

    pub fn remove(&mut self, entity: &str, id: i64) -> Option<Record> {
        self.tables.get_mut(entity)?.rows.remove(&id)
    }

    /// The active UDF definitions of an entity, in id order, list UDFs with their items.
    pub fn udf_defs(&self, entity: &Entity) -> Vec<UdfDef> {
        let Some(code) = entity.udf_type else {
            return Vec::new();
        };
        self.rows("UserDefinedFieldDefinitions")
            .filter(|(_, d)| d.get("udfType").and_then(Value::as_i64) == Some(code))
            .filter(|(_, d)| d.get("isActive") != Some(&Value::Bool(false)))
            .filter_map(|(id, d)| {
                let data_type = d
                    .get("dataType")
                    .and_then(Value::as_i64)
                    .unwrap_or(udf_data_type::TEXT);
                let items = if data_type == udf_data_type::LIST {
                    self.list_items(*id)
                } else {
                    Vec::new()
                };
                Some(UdfDef {
                    name: d.get("name")?.as_str()?.to_string(),
                    data_type,
                    items,
                })
            })
            .collect()
    }

    /// The items of the list UDF `udf_id`, in id order (inactive ones included).
    pub fn list_items(&self, udf_id: i64) -> Vec<ListItem> {
        let text = |row: &Record, field: &str| {
            row.get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        self.rows("UserDefinedFieldListItems")
            .filter(|(_, r)| r.get("udfFieldId").and_then(Value::as_i64) == Some(udf_id))
            .map(|(_, r)| ListItem {
                value: text(r, "valueForExport"),
                label: text(r, "valueForDisplay"),
                active: r.get("isActive") != Some(&Value::Bool(false)),
            })
            .collect()
    }

    /// A JSON row as the API shows it: every field (unset ones null) and, on UDF
    /// entities, `userDefinedFields` listing every defined UDF.
    pub fn render(
        &self,
        entity: &Entity,
        row: &Record,
        udfs: &[UdfDef],
        include: Option<&Projection>,
    ) -> Value {
        let mut out = Map::new();
        for f in &entity.fields {
            let keep = include.is_none_or(|p| f.name == "id" || p.fields.contains(&f.name));
            if keep {
                out.insert(
                    f.name.into(),
                    row.get(f.name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        if entity.has_udfs() {
            let list: Vec<Value> = udfs
                .iter()
                .filter(|u| include.is_none_or(|p| p.udfs.contains(&u.name)))
                .map(|u| json!({"name": u.name, "value": row.udf(&u.name)}))
                .collect();
            out.insert("userDefinedFields".into(), Value::Array(list));
        }
        Value::Object(out)
    }

    /// One row by id, rendered; `None` when missing.
    pub fn get(&self, entity: &Entity, id: i64) -> Option<Value> {
        if let Some(t) = self.units(entity.name) {
            return t.rows.get(&id).map(|row| {
                Value::Object(
                    UnitView {
                        row,
                        flavor: t.flavor,
                    }
                    .render(),
                )
            });
        }
        let row = self.row(entity.name, id)?;
        Some(self.render(entity, row, &self.udf_defs(entity), None))
    }

    /// Every row of an entity, rendered (test dumps).
    pub fn dump(&self, entity: &Entity) -> Vec<Value> {
        if let Some(t) = self.units(entity.name) {
            return t
                .rows
                .values()
                .map(|row| {
                    Value::Object(
                        UnitView {
                            row,
                            flavor: t.flavor,
                        }
                        .render(),
                    )
                })
                .collect();
        }
        let udfs = self.udf_defs(entity);
        self.rows(entity.name)
            .map(|(_, r)| self.render(entity, r, &udfs, None))
            .collect()
    }

    /// Ids of rows matching `cond` within `(lo, hi)`, ascending or descending. A
    /// top-level `eq`/`in` on an indexed field (id; contract or contract service of unit
    /// rows) narrows the candidates instead of scanning the table.
    fn matching<'a>(
        &'a self,
        entity: &'a Entity,
        cond: &'a Cond,
        lo: Bound<i64>,
        hi: Bound<i64>,
        descending: bool,
    ) -> Box<dyn Iterator<Item = i64> + 'a> {
        let units = self.units(entity.name);
        let pinned = match units {
            Some(t) => filter::pinned_ids(cond, "contractID")
                .map(|c| c.iter().flat_map(|c| t.ids_of_contract(*c)).collect())
                .or_else(|| {
                    filter::pinned_ids(cond, t.flavor.owner_field)
                        .map(|o| o.iter().flat_map(|o| t.ids_of_owner(*o)).collect())
                })
                .or_else(|| filter::pinned_ids(cond, "id")),
            None => filter::pinned_ids(cond, "id"),
        };
        let candidates: Box<dyn DoubleEndedIterator<Item = i64> + 'a> = match pinned {
            Some(mut ids) => {
                ids.retain(|id| std::ops::RangeBounds::contains(&(lo, hi), id));
                ids.sort_unstable();
                ids.dedup();
                Box::new(ids.into_iter())
            }
            None => match units {
                Some(t) => Box::new(t.rows.range((lo, hi)).map(|(id, _)| *id)),
                None => Box::new(
                    self.table(entity.name)
                        .into_iter()
                        .flat_map(move |t| t.rows.range((lo, hi)).map(|(id, _)| *id)),
                ),
            },
        };
        let check = move |id: &i64| match units {
            Some(t) => t.rows.get(id).is_some_and(|row| {
                filter::matches(
                    cond,
                    &UnitView {
                        row,
                        flavor: t.flavor,
                    },
                )
            }),
            None => self
                .row(entity.name, *id)
                .is_some_and(|row| filter::matches(cond, row)),
        };
        if descending {
            Box::new(candidates.rev().filter(check))
        } else {
            Box::new(candidates.filter(check))
        }
    }

    pub fn count(&self, entity: &Entity, cond: &Cond) -> usize {
        self.matching(entity, cond, Bound::Unbounded, Bound::Unbounded, false)
            .count()
    }

    /// One page of matching rows, ascending id, with whether more exist either side.
    pub fn page(
        &self,
        entity: &Entity,
        cond: &Cond,
        cursor: Cursor,
        size: usize,
        include: Option<&Projection>,
    ) -> Page {
        let (mut ids, has_next, has_prev) = match cursor {
            Cursor::Start | Cursor::After(_) => {
                let lo = match cursor {
                    Cursor::After(id) => Bound::Excluded(id),
                    _ => Bound::Unbounded,
                };
                let ids: Vec<i64> = self
                    .matching(entity, cond, lo, Bound::Unbounded, false)
                    .take(size + 1)
                    .collect();
                let more = ids.len() > size;
                (ids, more, matches!(cursor, Cursor::After(_)))
            }
            Cursor::Before(id) => {
                let mut ids: Vec<i64> = self
                    .matching(entity, cond, Bound::Unbounded, Bound::Excluded(id), true)
                    .take(size + 1)
                    .collect();
                let more = ids.len() > size;
                ids.truncate(size);
                ids.reverse();
                (ids, true, more)
            }
        };
        ids.truncate(size);
        let udfs = self.udf_defs(entity);
        let items = ids
            .iter()
            .filter_map(|id| {
                if let Some(t) = self.units(entity.name) {
                    let row = t.rows.get(id)?;
                    let full = UnitView {
                        row,
                        flavor: t.flavor,
                    }
                    .render();
                    Some(Value::Object(project(full, include)))
                } else {
                    let row = self.row(entity.name, *id)?;
                    Some(self.render(entity, row, &udfs, include))
                }
            })
            .collect();
        Page {
            items,
            first_id: ids.first().copied(),
            last_id: ids.last().copied(),
            has_next: has_next && !ids.is_empty(),
            has_prev: has_prev && !ids.is_empty(),
        }
    }
}

fn project(mut row: Map<String, Value>, include: Option<&Projection>) -> Map<String, Value> {
    if let Some(p) = include {
        row.retain(|k, _| k == "id" || p.fields.iter().any(|f| f == k));
    }
    row
}

/// The unit flavor behind a units entity name.
pub fn units_flavor(entity: &str) -> Option<&'static units::Flavor> {
    [&units::SERVICE, &units::BUNDLE]
        .into_iter()
        .find(|f| f.units_entity == entity)
}
