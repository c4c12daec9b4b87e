//! The simulator's mutable state and the operations tests and control routes perform on it.

use super::access::{Budget, Threads};
use super::picklists::{self, Picklists};
use super::schema;
use super::seed::{ApiUser, Database, Seed};
use super::store::Store;
use super::write;
use crate::common::{SimCore, lock};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything behind the API, guarded by one lock.
#[derive(Debug)]
pub struct State {
    pub db: Database,
    pub users: Vec<ApiUser>,
    pub picklists: Picklists,
    pub store: Store,
    pub budget: Budget,
    /// Ticket numbers issued per day (`T20190109.0020`).
    pub ticket_numbers: HashMap<NaiveDate, u32>,
}

impl State {
    /// Loads a seed; errors name the entity, the row's position and the problem.
    pub fn from_seed(seed: &Seed, now: DateTime<Utc>) -> Result<State, String> {
        let mut state = State {
            db: seed.database.clone(),
            users: seed.api_users.clone(),
            picklists: picklists::with_overrides(&seed.picklists),
            store: Store::new(),
            budget: Budget::default(),
            ticket_numbers: HashMap::new(),
        };
        for (entity, rows) in seed.records() {
            for (i, row) in rows.iter().enumerate() {
                write::raw_insert(&mut state, entity, row.clone(), now).map_err(|e| {
                    let e = crate::scenario::bounded(&e.to_string());
                    format!("autotask seed {entity}[{i}]: {e}")
                })?;
            }
        }
        state.check_references()?;
        Ok(state)
    }

    /// Every reference in the seeded rows points at an existing row (catches scenario typos).
    fn check_references(&self) -> Result<(), String> {
        for entity in schema::all() {
            let refs: Vec<_> = entity
                .fields
                .iter()
                .filter_map(|f| f.reference.map(|target| (f.name, target)))
                .collect();
            for (id, row) in self.store.rows(entity.name) {
                for (field, target) in &refs {
                    let Some(value) = row.get(*field).filter(|v| !v.is_null()) else {
                        continue;
                    };
                    if value
                        .as_i64()
                        .and_then(|r| self.store.row(target, r))
                        .is_none()
                    {
                        return Err(format!(
                            "autotask seed {} {id}: {field} {} refers to no {target} row",
                            entity.name,
                            crate::scenario::bounded(&value.to_string())
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds a user, or replaces the one with the same user name.
    pub fn upsert_user(&mut self, user: ApiUser) {
        self.users
            .retain(|u| !u.username.eq_ignore_ascii_case(&user.username));
        self.users.push(user);
    }
}

/// What the HTTP handlers and the test handle share.
pub struct Shared {
    pub core: Arc<SimCore>,
    pub state: Mutex<State>,
    pub threads: Threads,
    /// `http://127.0.0.1:PORT`, used when a request carries no Host header.
    pub base_url: Mutex<String>,
}

impl Shared {
    pub fn new(core: Arc<SimCore>, seed: &Seed) -> Result<Shared, String> {
        let state = State::from_seed(seed, core.clock.now())?;
        Ok(Shared {
            core,
            state: Mutex::new(state),
            threads: Threads::default(),
            base_url: Mutex::new(String::new()),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.core.clock.now()
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn insert(&self, entity: &str, record: Value) -> Result<i64, String> {
        let Value::Object(record) = record else {
            return Err(format!("{entity}: a record must be a JSON object"));
        };
        let now = self.now();
        write::raw_insert(&mut self.lock(), entity, record, now)
    }

    pub fn patch(&self, entity: &str, id: i64, fields: &Value) -> Result<(), String> {
        let now = self.now();
        write::raw_patch(&mut self.lock(), entity, id, fields, now)
    }

    pub fn records(&self, entity: &str) -> Result<Vec<Value>, String> {
        let e = schema::find(entity).ok_or_else(|| format!("unknown entity '{entity}'"))?;
        Ok(self.lock().store.dump(e))
    }

    pub fn move_zone(&self, zone: u32) {
        self.lock().db.zone = zone;
    }

    pub fn set_threshold(&self, limit: u32, used: u32) {
        let now = self.now();
        let mut state = self.lock();
        state.db.request_threshold = limit;
        state.budget.set(now, used);
    }

    pub fn add_user(&self, user: ApiUser) {
        self.lock().upsert_user(user);
    }

    pub fn set_processing_delay(&self, ms: u64) {
        self.lock().db.processing_delay_ms = ms;
    }

    pub fn set_latency_bands(&self, on: bool) {
        self.lock().db.latency_bands = on;
    }

    pub fn set_thread_limit(&self, limit: u32) {
        self.lock().db.thread_limit = limit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed(extra: serde_json::Value) -> Seed {
        let mut base = serde_json::to_value(Seed::generate(2)).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn seeds_load_with_unit_rows() {
        let state = State::from_seed(&Seed::generate(3), Utc::now()).unwrap();
        let services = state.store.rows("ContractServices").count();
        assert_eq!(services, 1 + 2 + 3);
        assert_eq!(state.store.service_units.rows.len(), services * 24);
    }

    #[test]
    fn seed_errors_name_the_entity_and_problem() {
        let bad_ref = seed(
            json!({"Contacts": [{"id": 9, "companyID": 77, "firstName": "A", "lastName": "B", "isActive": 1}]}),
        );
        let err = State::from_seed(&bad_ref, Utc::now()).unwrap_err();
        assert!(
            err.contains("Contacts 9") && err.contains("companyID"),
            "{err}"
        );
        let bad_field = seed(json!({"Companies": [{"id": 1, "companyNme": "X"}]}));
        let err = State::from_seed(&bad_field, Utc::now()).unwrap_err();
        assert!(
            err.contains("Companies[0]") && err.contains("companyNme"),
            "{err}"
        );
        let bad_type =
            seed(json!({"Contracts": [{"id": 1, "companyID": 1, "contractType": "seven"}]}));
        let err = State::from_seed(&bad_type, Utc::now()).unwrap_err();
        assert!(err.contains("contractType"), "{err}");
        let not_recurring = seed(
            json!({"Contracts": [{"id": 1, "companyID": 1, "contractType": 1, "startDate": "2026-01-01", "endDate": "2026-12-31"}]}),
        );
        let err = State::from_seed(&not_recurring, Utc::now()).unwrap_err();
        assert!(
            err.contains("ContractServices[0]") && err.contains("Recurring Service"),
            "{err}"
        );
    }
}
