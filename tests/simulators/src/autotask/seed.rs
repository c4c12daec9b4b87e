//! The scenario file shape (`tests/scenarios/<name>/autotask.json`) and the generator of
//! large deterministic scenarios.
//!
//! Entity records are plain JSON objects with the API's field names. Two seed-only keys
//! exist on `ContractServices` and `ContractServiceBundles`: `units` (the unit count of
//! every billing period, default 0) and `postedThrough` (a date: periods ending on or
//! before it are approved and posted). Unit rows are never seeded directly.

use super::picklists::Picklists;
use super::schema::{udf_data_type, udf_type};
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One seeded row.
pub type Record = Map<String, Value>;

/// The Autotask database (tenant) being simulated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Database {
    /// Zone number N: the API lives under `/zone{N}/ATServicesRest/`.
    #[serde(default = "default_zone")]
    pub zone: u32,
    #[serde(default = "default_zone_name")]
    pub zone_name: String,
    /// The database identifier `ci` that zoneInformation reports.
    #[serde(default = "default_ci")]
    pub ci: i64,
    /// Requests per rolling 60 minutes (`externalRequestThreshold`).
    #[serde(default = "default_threshold")]
    pub request_threshold: u32,
    /// Concurrent requests per (integration code, endpoint).
    #[serde(default = "default_threads")]
    pub thread_limit: u32,
    /// Add +0.5 s per call from 50 % of the threshold and +1 s from 75 %.
    #[serde(default)]
    pub latency_bands: bool,
    /// Time each API call takes while holding its thread slot (tests of the thread limit).
    #[serde(default)]
    pub processing_delay_ms: u64,
}

fn default_zone() -> u32 {
    15
}
fn default_zone_name() -> String {
    "America West 2".into()
}
fn default_ci() -> i64 {
    123456
}
fn default_threshold() -> u32 {
    10_000
}
fn default_threads() -> u32 {
    3
}

impl Default for Database {
    fn default() -> Self {
        Database {
            zone: default_zone(),
            zone_name: default_zone_name(),
            ci: default_ci(),
            request_threshold: default_threshold(),
            thread_limit: default_threads(),
            latency_bands: false,
            processing_delay_ms: 0,
        }
    }
}

/// An Autotask user allowed (or not) to call the REST API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiUser {
    pub username: String,
    pub secret: String,
    /// The tracking identifier sent as `ApiIntegrationCode`.
    pub integration_code: String,
    /// Only API-only users may use REST; a regular user gets the "API Only users" error.
    #[serde(default = "yes")]
    pub api_only: bool,
}

fn yes() -> bool {
    true
}

/// A whole Autotask scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub database: Database,
    #[serde(default, rename = "apiUsers")]
    pub api_users: Vec<ApiUser>,
    /// Replaces the default list of any (entity, field) given here.
    #[serde(default)]
    pub picklists: Picklists,
    #[serde(default, rename = "Resources")]
    pub resources: Vec<Record>,
    #[serde(default, rename = "BillingCodes")]
    pub billing_codes: Vec<Record>,
    #[serde(default, rename = "UserDefinedFieldDefinitions")]
    pub user_defined_field_definitions: Vec<Record>,
    /// Items of list UDFs (`dataType` 4): `udfFieldId`, `valueForDisplay`,
    /// `valueForExport`, optional `isActive`.
    #[serde(default, rename = "UserDefinedFieldListItems")]
    pub user_defined_field_list_items: Vec<Record>,
    #[serde(default, rename = "Companies")]
    pub companies: Vec<Record>,
    #[serde(default, rename = "Contacts")]
    pub contacts: Vec<Record>,
    #[serde(default, rename = "Services")]
    pub services: Vec<Record>,
    #[serde(default, rename = "ServiceBundles")]
    pub service_bundles: Vec<Record>,
    #[serde(default, rename = "ServiceBundleServices")]
    pub service_bundle_services: Vec<Record>,
    #[serde(default, rename = "Contracts")]
    pub contracts: Vec<Record>,
    #[serde(default, rename = "ContractServices")]
    pub contract_services: Vec<Record>,
    #[serde(default, rename = "ContractServiceBundles")]
    pub contract_service_bundles: Vec<Record>,
    #[serde(default, rename = "Tickets")]
    pub tickets: Vec<Record>,
    #[serde(default, rename = "TicketNotes")]
    pub ticket_notes: Vec<Record>,
}

/// The demo's API user, also used by generated scenarios.
pub const DEMO_USER: &str = "bridge-api@example.com";
pub const DEMO_SECRET: &str = "demo-secret";
pub const DEMO_INTEGRATION_CODE: &str = "DEMOINTEGRATIONCODE";

/// Billing code id of the "Recurring Contract Service" allocation code in generated seeds.
pub const RECURRING_BILLING_CODE: i64 = 1;
/// `useType` of recurring contract service allocation codes (simulator's code, see picklists).
pub const USE_TYPE_RECURRING: i64 = 5;
/// The contract UDF that marks pay-as-you-go contracts.
pub const PAYG_UDF: &str = "Acronis PAYG";

/// The Acronis service catalogue: (id, name, unit price) — shared by the demo and generator.
pub const CATALOGUE: &[(i64, &str, f64)] = &[
    (1, "Acronis Workstations", 4.5),
    (2, "Acronis Servers", 18.0),
    (3, "Acronis Virtual machines", 12.0),
    (4, "Acronis Microsoft 365 seats", 2.5),
    (5, "Acronis Google Workspace seats", 2.0),
    (6, "Acronis pw base storage", 0.05),
    (7, "Acronis pw base storage free", 0.0),
    (8, "Acronis pw base storage billed", 0.05),
    (9, "Acronis Microsoft Azure storage", 0.03),
    (10, "Acronis Amazon S3 storage", 0.03),
    (11, "Acronis S3 compatible storage", 0.02),
];

impl Seed {
    /// Entity records in load order (referenced entities first).
    pub fn records(&self) -> [(&'static str, &Vec<Record>); 14] {
        [
            ("Resources", &self.resources),
            ("BillingCodes", &self.billing_codes),
            (
                "UserDefinedFieldDefinitions",
                &self.user_defined_field_definitions,
            ),
            (
                "UserDefinedFieldListItems",
                &self.user_defined_field_list_items,
            ),
            ("Companies", &self.companies),
            ("Contacts", &self.contacts),
            ("Services", &self.services),
            ("ServiceBundles", &self.service_bundles),
            ("ServiceBundleServices", &self.service_bundle_services),
            ("Contracts", &self.contracts),
            ("ContractServices", &self.contract_services),
            ("ContractServiceBundles", &self.contract_service_bundles),
            ("Tickets", &self.tickets),
            ("TicketNotes", &self.ticket_notes),
        ]
    }

    /// Another Autotask database (a sandbox, another MSP entity) with the generated
    /// catalogue and no customers: database number `ci`, zone 4, and one API user of its
    /// own (`username`, `secret`, the demo integration code). Company ids are numbered
    /// from 1 in every database, so its companies may carry the ids of another's.
    pub fn another_database(ci: i64, username: &str, secret: &str) -> Seed {
        let mut seed = Seed::generate(0);
        seed.database.ci = ci;
        seed.database.zone = 4;
        seed.api_users = vec![ApiUser {
            username: username.into(),
            secret: secret.into(),
            integration_code: DEMO_INTEGRATION_CODE.into(),
            api_only: true,
        }];
        seed
    }

    /// The MSP (company 0) plus `companies` customers (ids 1..=n, "Company 00001"…), each
    /// with a primary contact and a recurring-service contract of 1-3 services; every
    /// fourth contract is PAYG. Contracts run from January 1 of the current year to
    /// December 31 of the next (deterministic for a given year), monthly periods.
    pub fn generate(companies: usize) -> Seed {
        let year = Utc::now().year();
        let start = NaiveDate::from_ymd_opt(year, 1, 1)
            .map_or_else(String::new, |d| format!("{d}T00:00:00Z"));
        let end = NaiveDate::from_ymd_opt(year + 1, 12, 31)
            .map_or_else(String::new, |d| format!("{d}T00:00:00Z"));
        let mut seed = Seed::catalogue();
        seed.companies.reserve(companies + 1);
        seed.companies.push(company(0, "Example MSP", 8));
        for i in 1..=companies as i64 {
            let n = format!("{i:05}");
            seed.companies.push(company(i, &format!("Company {n}"), 1));
            seed.contacts.push(obj(json!({
                "id": i, "companyID": i, "firstName": "Contact", "lastName": n,
                "emailAddress": format!("contact{n}@company{n}.example"),
                "isActive": 1, "primaryContact": true,
            })));
            let payg = i % 4 == 0;
            seed.contracts.push(obj(json!({
                "id": i, "companyID": i, "contractName": format!("Acronis Services {n}"),
                "contractType": 7, "contractPeriodType": 1, "status": 1,
                "startDate": start, "endDate": end, "timeReportingRequiresStartAndStopTimes": 0,
                "userDefinedFields": [{"name": PAYG_UDF, "value": if payg { "Yes" } else { "No" }}],
            })));
            for k in 0..(1 + i % 3) {
                // Workstations, servers, M365 seats, then storage: distinct per contract.
                let service = [1, 2, 4, 6][((i + k) % 4) as usize];
                let units = if payg { 0 } else { 1 + (i * 7 + k * 3) % 25 };
                seed.contract_services.push(obj(json!({
                    "contractID": i, "serviceID": service, "unitPrice": CATALOGUE[(service - 1) as usize].2,
                    "units": units,
                })));
            }
        }
        seed
    }

    /// An MSP-shaped variant of [`Seed::generate`] for benchmarks: each company holds 1-3
    /// recurring-service contracts and 2-6 services in all. Its first contract bills 2-4
    /// of workstations, servers, M365 seats and storage (PAYG for every fourth company,
    /// else prepaid); a second one, of the other billing type, bills 1-2 of virtual
    /// machines and Google Workspace seats; a third, prepaid, holds the protection bundle.
    /// Contract ids: `i` for the first of company `i`, then `n + 2(i-1) + 1` and `+ 2`.
    pub fn generate_msp(companies: usize) -> Seed {
        let mut seed = Seed::generate(companies);
        seed.contract_services.clear();
        let template = seed.contracts.clone();
        let n = companies as i64;
        for (idx, first) in template.iter().enumerate() {
            let i = idx as i64 + 1;
            let payg = i % 4 == 0;
            let lines = |contract: i64, services: &[i64], count: i64, payg: bool| {
                (0..count)
                    .map(|k| {
                        let service = services[((i + k) % services.len() as i64) as usize];
                        let units = if payg { 0 } else { 1 + (i * 7 + k * 3) % 25 };
                        obj(json!({
                            "contractID": contract, "serviceID": service,
                            "unitPrice": CATALOGUE[(service - 1) as usize].2, "units": units,
                        }))
                    })
                    .collect::<Vec<_>>()
            };
            seed.contract_services
                .extend(lines(i, &[1, 2, 4, 6], 2 + i % 3, payg));
            let contracts = 1 + i % 3;
            for extra in 1..contracts {
                let id = n + 2 * (i - 1) + extra;
                let extra_payg = extra == 1 && !payg;
                let mut contract = first.clone();
                contract.insert("id".into(), json!(id));
                contract.insert(
                    "contractName".into(),
                    json!(format!("Acronis Services {i:05}-{}", extra + 1)),
                );
                contract.insert(
                    "userDefinedFields".into(),
                    json!([{"name": PAYG_UDF, "value": if extra_payg { "Yes" } else { "No" }}]),
                );
                seed.contracts.push(contract);
                if extra == 1 {
                    seed.contract_services
                        .extend(lines(id, &[3, 5], 1 + i % 2, extra_payg));
                } else {
                    seed.contract_service_bundles.push(obj(json!({
                        "contractID": id, "serviceBundleID": 1, "unitPrice": 6.0,
                        "units": 1 + i % 10,
                    })));
                }
            }
        }
        seed
    }

    /// What every generated scenario shares: database, API user, resources, the recurring
    /// billing code, the "Acronis PAYG" UDF, the Acronis services and one bundle.
    fn catalogue() -> Seed {
        let services = CATALOGUE
            .iter()
            .map(|(id, name, price)| {
                obj(json!({
                    "id": id, "name": name, "billingCodeID": RECURRING_BILLING_CODE, "periodType": 1,
                    "unitPrice": price, "unitCost": price / 2.0, "isActive": true,
                    "description": format!("{name} (Acronis Cyber Cloud)"),
                }))
            })
            .collect();
        Seed {
            api_users: vec![ApiUser {
                username: DEMO_USER.into(),
                secret: DEMO_SECRET.into(),
                integration_code: DEMO_INTEGRATION_CODE.into(),
                api_only: true,
            }],
            resources: vec![
                obj(
                    json!({"id": 1, "firstName": "Alex", "lastName": "Admin", "email": "admin@msp.example", "userName": "admin", "isActive": true, "resourceType": "Employee"}),
                ),
                obj(
                    json!({"id": 2, "firstName": "Bridge", "lastName": "API", "email": DEMO_USER, "userName": DEMO_USER, "isActive": true, "resourceType": "API User"}),
                ),
            ],
            billing_codes: vec![
                obj(
                    json!({"id": RECURRING_BILLING_CODE, "name": "Recurring Contract Service", "useType": USE_TYPE_RECURRING, "billingCodeType": USE_TYPE_RECURRING, "isActive": true}),
                ),
                obj(
                    json!({"id": 2, "name": "Remote Support", "useType": 1, "billingCodeType": 1, "isActive": true}),
                ),
            ],
            user_defined_field_definitions: vec![obj(json!({
                "id": 1, "name": PAYG_UDF, "udfType": udf_type::CONTRACT, "dataType": udf_data_type::TEXT,
                "description": "Yes: the contract is billed pay-as-you-go from Acronis usage", "isActive": true,
            }))],
            services,
            service_bundles: vec![obj(json!({
                "id": 1, "name": "Acronis Protection Bundle", "billingCodeID": RECURRING_BILLING_CODE,
                "periodType": 1, "unitPrice": 6.0, "isActive": true,
            }))],
            service_bundle_services: vec![
                obj(json!({"id": 1, "serviceBundleID": 1, "serviceID": 1})),
                obj(json!({"id": 2, "serviceBundleID": 1, "serviceID": 6})),
            ],
            ..Seed::default()
        }
    }
}

fn company(id: i64, name: &str, company_type: i64) -> Record {
    obj(json!({
        "id": id, "companyName": name, "companyType": company_type, "isActive": true,
        "ownerResourceID": 1, "phone": format!("+1 555 {:07}", id),
        "city": "Springfield", "countryID": 237,
    }))
}

fn obj(v: Value) -> Record {
    match v {
        Value::Object(m) => m,
        _ => Record::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_is_deterministic_and_shaped() {
        let a = Seed::generate(50);
        let b = Seed::generate(50);
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::to_value(&b).unwrap()
        );
        assert_eq!(a.companies.len(), 51);
        assert_eq!(a.companies[0]["id"], json!(0));
        assert_eq!(a.companies[1]["companyName"], json!("Company 00001"));
        assert_eq!(a.contacts.len(), 50);
        assert_eq!(a.contracts.len(), 50);
        let per_contract = |c: i64| {
            a.contract_services
                .iter()
                .filter(|s| s["contractID"] == json!(c))
                .count()
        };
        assert!((1..=50).all(|c| (1..=3).contains(&per_contract(c))));
        for c in 1..=50 {
            let mut services: Vec<_> = a
                .contract_services
                .iter()
                .filter(|s| s["contractID"] == json!(c))
                .map(|s| s["serviceID"].clone())
                .collect();
            let n = services.len();
            services.dedup();
            assert_eq!(services.len(), n, "contract {c} has a duplicate service");
        }
    }

    #[test]
    fn generate_msp_mixes_contracts_services_and_bundles() {
        let seed = Seed::generate_msp(60);
        assert_eq!(seed.companies.len(), 61);
        let contracts_of = |company: i64| -> Vec<i64> {
            seed.contracts
                .iter()
                .filter(|c| c["companyID"] == json!(company))
                .filter_map(|c| c["id"].as_i64())
                .collect()
        };
        let payg = |contract: i64| {
            seed.contracts.iter().any(|c| {
                c["id"] == json!(contract) && c["userDefinedFields"][0]["value"] == json!("Yes")
            })
        };
        let mut mixed = 0;
        for company in 1..=60 {
            let contracts = contracts_of(company);
            assert!((1..=3).contains(&contracts.len()), "company {company}");
            let services = seed
                .contract_services
                .iter()
                .filter(|s| {
                    s["contractID"]
                        .as_i64()
                        .is_some_and(|c| contracts.contains(&c))
                })
                .count();
            assert!((2..=6).contains(&services), "company {company}: {services}");
            let kinds: std::collections::BTreeSet<bool> =
                contracts.iter().map(|c| payg(*c)).collect();
            mixed += usize::from(kinds.len() == 2);
        }
        assert!(mixed > 10, "{mixed} companies mix PAYG and prepaid");
        assert_eq!(seed.contract_service_bundles.len(), 20);
        let ids: std::collections::BTreeSet<_> =
            seed.contracts.iter().map(|c| c["id"].as_i64()).collect();
        assert_eq!(ids.len(), seed.contracts.len(), "contract ids are unique");
    }

    #[test]
    fn generate_10k_is_fast() {
        let started = std::time::Instant::now();
        let seed = Seed::generate(10_000);
        assert_eq!(seed.companies.len(), 10_001);
        // Generous for debug builds on a loaded 2-core machine; release is far faster.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn seed_json_round_trips_and_rejects_unknown_keys() {
        let seed = Seed::generate(2);
        let text = serde_json::to_string(&seed).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back.contracts.len(), 2);
        let err = serde_json::from_str::<Seed>(r#"{"Compnies": []}"#).unwrap_err();
        assert!(err.to_string().contains("Compnies"), "{err}");
    }
}
