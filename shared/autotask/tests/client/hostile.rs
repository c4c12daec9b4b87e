//! Hostile answers: random and mutated JSON served by the simulator in place of a real
//! page must give records or an error that names the entity and the field — never a
//! panic, never an error carrying the whole answer — and answers too large or too deep
//! are refused with a bounded message.

use crate::support::{client, fault, logged, sim};
use autotask::models::{Company, Contract, Ticket};
use autotask::{AutotaskError, MAX_RESPONSE_BYTES, Query};
use proptest::prelude::*;
use serde_json::{Value, json};
use simulators::common::FaultKind;
use simulators::hostile;

/// The longest error message an answer may produce (field path, expectation, a short
/// quote of the value).
const MAX_ERROR_CHARS: usize = 1_000;

/// One realistic record per entity, the base of every mutation.
fn sample(entity: &str) -> Value {
    match entity {
        "Companies" => json!({
            "id": 174, "companyName": "Northwind Traders", "isActive": true, "companyType": 1,
            "lastActivityDate": "2026-11-02T06:15:00Z", "parentCompanyID": null,
            "userDefinedFields": [{"name": "Acronis tenant", "value": "x"}]
        }),
        "Contracts" => json!({
            "id": 9001, "companyID": 174, "contractName": "Acronis", "contractType": 7,
            "status": 1, "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-12-31T00:00:00",
            "setupFee": 0.0, "userDefinedFields": [{"name": "Acronis PAYG", "value": "Yes"}]
        }),
        _ => json!({
            "id": 1201, "ticketNumber": "T20261102.0001", "companyID": 174,
            "title": "Backup failed", "status": 5, "priority": 1,
            "createDate": "2026-11-02T06:15:00Z", "completedDate": null
        }),
    }
}

/// How one answer is spoiled.
#[derive(Debug, Clone)]
enum Spoil {
    /// Set a field of the first record.
    Field(String, Value),
    /// Drop a field of the first record.
    Drop(String),
    /// Replace `items` (or `pageDetails`) as a whole.
    Top(&'static str, Value),
    /// An entirely different body.
    Body(Value),
    /// The real answer cut short after this many bytes.
    Truncate(usize),
    /// Bytes that are not JSON at all.
    Garbage(Vec<u8>),
}

fn spoil(entity: &'static str) -> impl Strategy<Value = Spoil> {
    let fields: Vec<String> = sample(entity)
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let field = prop::sample::select(fields);
    prop_oneof![
        4 => (field.clone(), hostile::value(200000)).prop_map(|(f, v)| Spoil::Field(f, v)),
        1 => field.prop_map(Spoil::Drop),
        1 => (prop::sample::select(vec!["items", "pageDetails"]), hostile::value(200000))
            .prop_map(|(k, v)| Spoil::Top(k, v)),
        1 => hostile::value(200000).prop_map(Spoil::Body),
        1 => (0usize..200).prop_map(Spoil::Truncate),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Spoil::Garbage),
    ]
}

fn answer(entity: &str, how: &Spoil) -> Vec<u8> {
    let mut record = sample(entity);
    let mut page = json!({"items": [], "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}});
    match how {
        Spoil::Field(f, v) => record[f.as_str()] = v.clone(),
        Spoil::Drop(f) => {
            record.as_object_mut().map(|o| o.remove(f));
        }
        _ => {}
    }
    page["items"] = json!([record, sample(entity)]);
    match how {
        Spoil::Top(k, v) => page[*k] = v.clone(),
        Spoil::Body(v) => page = v.clone(),
        Spoil::Garbage(bytes) => return bytes.clone(),
        _ => {}
    }
    let text = page.to_string().into_bytes();
    match how {
        Spoil::Truncate(n) => text[..(*n).min(text.len())].to_vec(),
        _ => text,
    }
}

fn serve(sim: &simulators::autotask::AutotaskSim, entity: &str, body: Vec<u8>) {
    sim.core().faults.clear();
    sim.core().faults.add(fault(
        &format!("/{entity}/query"),
        Some("POST"),
        FaultKind::answer(String::from_utf8_lossy(&body)),
        1,
    ));
}

/// The outcome of one query as (records read, error text).
async fn query(client: &autotask::AutotaskClient, entity: &str) -> Result<usize, AutotaskError> {
    match entity {
        "Companies" => client
            .query::<Company>(&Query::all())
            .await
            .map(|r| r.len()),
        "Contracts" => client
            .query::<Contract>(&Query::all())
            .await
            .map(|r| r.len()),
        _ => client.query::<Ticket>(&Query::all()).await.map(|r| r.len()),
    }
}

#[test]
fn hostile_pages_give_records_or_a_bounded_error_naming_the_field() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime.block_on(sim(2));
    let client = client(&sim);
    let config = ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let entities = prop::sample::select(vec!["Companies", "Contracts", "Tickets"]);
    let cases = entities.prop_flat_map(|e| (Just(e), spoil(e)));
    proptest!(config, |((entity, how) in cases)| {
        serve(&sim, entity, answer(entity, &how));
        let outcome = runtime.block_on(query(&client, entity));
        match outcome {
            Ok(n) => prop_assert!(n <= 2, "{n} records from two"),
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{} chars: {}", text.len(), &text[..300]);
                prop_assert!(text.contains(entity), "{text}");
                if let Spoil::Field(f, _) = &how
                    && matches!(e, AutotaskError::Decode { .. })
                {
                    prop_assert!(text.contains(&format!("items[0].{f}")), "{text}");
                }
            }
        }
    });
}

#[tokio::test]
async fn a_company_name_with_markup_and_control_characters_is_read_as_given() {
    let sim = sim(1).await;
    let client = client(&sim);
    let name = hostile::MARKUP_AND_CONTROLS;
    let mut record = sample("Companies");
    record["companyName"] = json!(name);
    serve(
        &sim,
        "Companies",
        json!({"items": [record], "pageDetails": {"count": 1, "requestCount": 500, "prevPageUrl": null, "nextPageUrl": null}})
            .to_string()
            .into_bytes(),
    );
    let companies = client.query::<Company>(&Query::all()).await.unwrap();
    assert_eq!(companies[0].company_name.as_deref(), Some(name));
}

#[tokio::test]
async fn a_page_nested_a_hundred_thousand_deep_is_refused_as_too_deep() {
    let sim = sim(1).await;
    let client = client(&sim);
    // A UDF value is read as any JSON, so the nesting reaches the parser's limit.
    let deep = format!(
        "{{\"items\": [{{\"id\": 1, \"userDefinedFields\": [{{\"name\": \"x\", \"value\": {}{}}}]}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    serve(&sim, "Companies", deep.into_bytes());
    let err = client.query::<Company>(&Query::all()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AutotaskError::Decode { .. }), "{text}");
    assert!(text.contains("recursion limit"), "{text}");
    assert!(
        text.contains("items[0].userDefinedFields[0].value"),
        "{text}"
    );
    assert!(text.len() <= MAX_ERROR_CHARS, "{text}");
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused_without_retrying() {
    let sim = sim(1).await;
    let client = client(&sim);
    let huge = format!(
        "{{\"items\": [{{\"id\": 1, \"companyName\": \"{}\"}}]}}",
        "x".repeat(MAX_RESPONSE_BYTES)
    );
    serve(&sim, "Companies", huge.into_bytes());
    let err = client.query::<Company>(&Query::all()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, AutotaskError::Decode { .. }), "{text}");
    assert!(
        text.contains("Companies") && text.contains("over"),
        "{text}"
    );
    assert_eq!(logged(&sim, "Companies", "query"), 1, "sent once");
}

#[test]
fn hostile_zone_answers_give_a_zone_or_a_bounded_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime.block_on(sim(1));
    let genuine = json!({"zoneName": "Simulated Zone", "url": sim.api_url(),
                         "webUrl": "https://ww1.autotask.net/", "ci": 12345});
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let fields = prop::sample::select(vec!["zoneName", "url", "webUrl", "ci"]);
    let spoiled = prop_oneof![
        3 => (fields, hostile::value(200000)).prop_map(move |(f, v)| {
            let mut z = genuine.clone();
            z[f] = v;
            z.to_string()
        }),
        1 => hostile::value(200000).prop_map(|v| v.to_string()),
        1 => ".{0,40}",
    ];
    proptest!(config, |(body in spoiled)| {
        sim.core().faults.clear();
        sim.core().faults.add(fault(
            "zoneInformation",
            Some("GET"),
            FaultKind::answer(body),
            1,
        ));
        // A fresh client looks its zone up first.
        if let Err(e) = runtime.block_on(client(&sim).lookup_zone()) {
            let text = e.to_string();
            prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{} chars", text.len());
        }
    });
}
