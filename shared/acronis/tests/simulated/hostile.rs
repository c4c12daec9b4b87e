//! Hostile answers: the simulator's real answers, mutated (wrong types, missing fields,
//! huge strings, nesting, markup and control characters) or replaced by random JSON,
//! must give records or an error that names the resource and the field — never a
//! panic, never an error carrying the whole answer — and answers too large or too deep
//! are refused with a bounded message.

use crate::{client, config, customer, sim};
use acronis::{AcronisClient, AlertQuery, Error, MAX_RESPONSE_BYTES};
use proptest::prelude::*;
use serde_json::{Value, json};
use simulators::acronis::AcronisSim;
use simulators::common::{FaultKind, FaultRule};
use simulators::hostile;

/// The longest error message an answer may produce.
const MAX_ERROR_CHARS: usize = 1_200;

/// The resources read, each with the path its answer comes from.
#[derive(Debug, Clone, Copy)]
enum Resource {
    Tenant,
    OfferingItems,
    Usages,
    Alerts,
}

const RESOURCES: [Resource; 4] = [
    Resource::Tenant,
    Resource::OfferingItems,
    Resource::Usages,
    Resource::Alerts,
];

impl Resource {
    fn path(self) -> String {
        match self {
            Resource::Tenant => format!("/api/2/tenants/{}", customer(1)),
            Resource::OfferingItems => {
                format!("/api/2/tenants/{}/offering_items?edition=*", customer(1))
            }
            Resource::Usages => format!("/api/2/tenants/{}/usages", customer(1)),
            Resource::Alerts => "/api/alert_manager/v1/alerts".into(),
        }
    }

    /// Whether the answer is a page (`items` + `paging`) rather than one record.
    fn paged(self) -> bool {
        !matches!(self, Resource::Tenant)
    }

    /// Reads the resource through the client; answers how many records came.
    async fn read(self, client: &AcronisClient) -> Result<usize, Error> {
        let tenant = customer(1);
        match self {
            Resource::Tenant => client.get_tenant(&tenant).await.map(|_| 1),
            Resource::OfferingItems => client.offering_items(&tenant, None).await.map(|v| v.len()),
            Resource::Usages => client.usages(&tenant).await.map(|v| v.len()),
            Resource::Alerts => client.alerts(&AlertQuery::default()).await.map(|v| v.len()),
        }
    }
}

/// The simulator's own answer at `path`, read with a fresh token.
async fn genuine(sim: &AcronisSim, path: &str) -> Value {
    let config = config(sim);
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/api/2/idp/token", sim.base_url()))
        .basic_auth(&config.client_id, Some(config.client_secret.expose()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"].as_str().expect("access token");
    http.get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json")
}

#[derive(Debug, Clone)]
enum Spoil {
    /// Set the n-th field (wrapping) of the first record.
    Field(usize, Value),
    /// Drop the n-th field of the first record.
    Drop(usize),
    /// Replace `items` or `paging`.
    Top(&'static str, Value),
    Body(Value),
    Truncate(usize),
    Garbage(Vec<u8>),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        4 => (any::<usize>(), hostile::value(200000)).prop_map(|(i, v)| Spoil::Field(i, v)),
        1 => any::<usize>().prop_map(Spoil::Drop),
        1 => (prop::sample::select(vec!["items", "paging"]), hostile::value(200000))
            .prop_map(|(k, v)| Spoil::Top(k, v)),
        1 => hostile::value(200000).prop_map(Spoil::Body),
        1 => (0usize..300).prop_map(Spoil::Truncate),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Spoil::Garbage),
    ]
}

/// The spoiled answer, and the name of the field changed (if one was).
fn answer(resource: Resource, genuine: &Value, how: &Spoil) -> (Vec<u8>, Option<String>) {
    let mut body = genuine.clone();
    let mut changed = None;
    let record = if resource.paged() {
        body.get_mut("items")
            .and_then(|items| items.get_mut(0))
            .and_then(Value::as_object_mut)
    } else {
        body.as_object_mut()
    };
    if let Some(record) = record
        && !record.is_empty()
    {
        match how {
            Spoil::Field(i, v) => {
                let key = record
                    .keys()
                    .nth(i % record.len())
                    .cloned()
                    .unwrap_or_default();
                record.insert(key.clone(), v.clone());
                changed = Some(key);
            }
            Spoil::Drop(i) => {
                let key = record
                    .keys()
                    .nth(i % record.len())
                    .cloned()
                    .unwrap_or_default();
                record.remove(&key);
            }
            _ => {}
        }
    }
    match how {
        Spoil::Top(k, v) => body[*k] = v.clone(),
        Spoil::Body(v) => body = v.clone(),
        Spoil::Garbage(bytes) => return (bytes.clone(), None),
        _ => {}
    }
    let text = body.to_string().into_bytes();
    match how {
        Spoil::Truncate(n) => (text[..(*n).min(text.len())].to_vec(), None),
        _ => (text, changed),
    }
}

fn serve(sim: &AcronisSim, resource: Resource, body: Vec<u8>) {
    let path = resource.path();
    let route = path.split('?').next().unwrap_or_default();
    answer_once(sim, route, "GET", &body);
}

/// The next `method` request to `route` gets `body` in a 200, and nothing else is faulted.
fn answer_once(sim: &AcronisSim, route: &str, method: &str, body: &[u8]) {
    sim.core().faults.clear();
    sim.core().faults.add(FaultRule::once(
        route,
        method,
        FaultKind::answer(String::from_utf8_lossy(body)),
    ));
}

#[test]
fn hostile_answers_give_records_or_a_bounded_error_naming_the_field() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (sim, genuine) = runtime.block_on(async {
        let sim = sim(2).await;
        let mut answers = Vec::new();
        for r in RESOURCES {
            let body = genuine(&sim, &r.path()).await;
            if r.paged() {
                assert!(
                    body["items"].as_array().is_some_and(|i| !i.is_empty()),
                    "{r:?} has records to spoil: {body}"
                );
            }
            answers.push(body);
        }
        (sim, answers)
    });
    let client = client(&sim);
    let config = ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(i in 0..RESOURCES.len(), how in spoil())| {
        let resource = RESOURCES[i];
        let (body, changed) = answer(resource, &genuine[i], &how);
        serve(&sim, resource, body);
        match runtime.block_on(resource.read(&client)) {
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                prop_assert!(
                    text.chars().count() <= MAX_ERROR_CHARS,
                    "{} chars: {}",
                    text.len(),
                    text.chars().take(300).collect::<String>()
                );
                if let (Some(field), Error::Decode { detail, .. }) = (&changed, &e) {
                    prop_assert!(detail.contains(field.as_str()), "{field}: {text}");
                }
            }
        }
    });
}

#[tokio::test]
async fn a_tenant_name_with_markup_and_control_characters_is_read_as_given() {
    let sim = sim(1).await;
    let mut tenant = genuine(&sim, &Resource::Tenant.path()).await;
    let name = hostile::MARKUP_AND_CONTROLS;
    tenant["name"] = json!(name);
    serve(&sim, Resource::Tenant, tenant.to_string().into_bytes());
    let read = client(&sim).get_tenant(&customer(1)).await.expect("tenant");
    assert_eq!(read.name, name);
}

#[tokio::test]
async fn an_answer_nested_a_hundred_thousand_deep_is_refused_as_too_deep() {
    let sim = sim(1).await;
    let deep = format!(
        "{{\"items\": [{{\"id\": \"a\", \"details\": {}{}}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    serve(&sim, Resource::Alerts, deep.into_bytes());
    let err = client(&sim)
        .alerts(&AlertQuery::default())
        .await
        .expect_err("too deep");
    let text = err.to_string();
    assert!(matches!(err, Error::Decode { .. }), "{text}");
    assert!(text.contains("recursion limit"), "{text}");
    assert!(text.len() <= MAX_ERROR_CHARS, "{text}");
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused_without_retrying() {
    let sim = sim(1).await;
    let huge = format!(
        "{{\"items\": [{{\"name\": \"{}\"}}]}}",
        "x".repeat(MAX_RESPONSE_BYTES)
    );
    serve(&sim, Resource::Usages, huge.into_bytes());
    let err = client(&sim)
        .usages(&customer(1))
        .await
        .expect_err("too large");
    let text = err.to_string();
    assert!(matches!(err, Error::Decode { .. }), "{text}");
    assert!(text.contains("usages") && text.contains("over"), "{text}");
    assert_eq!(crate::count(&sim, "usages", "get"), 1, "sent once");
}

#[test]
fn hostile_token_answers_are_refused_briefly_and_never_quote_the_token() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = runtime.block_on(sim(1));
    let genuine = json!({"access_token": "eyJhbGciOiJSUzI1NiJ9.secret-token-body.signature",
                         "token_type": "bearer", "expires_on": 4_102_444_800u64, "id_token": "x"});
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(how in spoil())| {
        let (body, _) = answer(Resource::Tenant, &genuine, &how);
        answer_once(&sim, "/idp/token", "POST", &body);
        // A fresh client asks for a token first.
        let outcome = runtime.block_on(client(&sim).get_tenant(&customer(1)));
        if let Err(e) = outcome {
            let text = e.to_string();
            prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{} chars", text.len());
            let served: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(token) = served["access_token"].as_str().filter(|t| t.len() >= 8) {
                prop_assert!(!text.contains(token), "the token is quoted: {text}");
            }
        }
    });
}
