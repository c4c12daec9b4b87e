//! The Autotask simulator driven over HTTP, as the bridge's client will drive it.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use simulators::autotask::{self, ApiUser, AutotaskSim, Seed};
use simulators::scenario::Scenario;
use std::time::Duration;

const USER: &str = autotask::DEMO_USER;
const SECRET: &str = autotask::DEMO_SECRET;
const CODE: &str = autotask::DEMO_INTEGRATION_CODE;

/// A bare-bones client: the three auth headers on every call, JSON in and out.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    /// `{base}/zone{N}/ATServicesRest/V1.0/`
    root: String,
    user: String,
    secret: String,
    code: String,
}

impl Api {
    async fn discover(sim: &AutotaskSim) -> Api {
        let http = reqwest::Client::new();
        let zone: Value = http
            .get(format!("{}v1.0/zoneInformation", sim.zone_lookup_url()))
            .query(&[("user", USER)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Api {
            http,
            root: format!("{}V1.0/", zone["url"].as_str().unwrap()),
            user: USER.into(),
            secret: SECRET.into(),
            code: CODE.into(),
        }
    }

    fn with(&self, user: &str, secret: &str, code: &str) -> Api {
        Api {
            user: user.into(),
            secret: secret.into(),
            code: code.into(),
            ..self.clone()
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = if url.starts_with("http") {
            url
        } else {
            format!("{}{url}", self.root)
        };
        let mut req = self
            .http
            .request(method, url)
            .header("ApiIntegrationCode", &self.code)
            .header("UserName", &self.user)
            .header("Secret", &self.secret);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path.into(), None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path.into(), Some(body))
            .await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path.into(), Some(body))
            .await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path.into(), Some(body))
            .await
    }
    async fn query(&self, entity: &str, search: Value) -> (u16, Value) {
        self.post(&format!("{entity}/query"), search).await
    }
    /// Items of a query that must succeed.
    async fn items(&self, entity: &str, filter: Value) -> Vec<Value> {
        let (status, body) = self.query(entity, json!({ "filter": filter })).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().unwrap().clone()
    }
}

fn first_error(body: &Value) -> String {
    body["errors"][0].as_str().unwrap_or_default().to_string()
}

async fn demo() -> (AutotaskSim, Api) {
    let scenario = Scenario::demo().unwrap();
    let sim = autotask::start(scenario.autotask).await.unwrap();
    let api = Api::discover(&sim).await;
    (sim, api)
}

#[tokio::test]
async fn demo_scenario_loads_and_answers_queries() {
    let (sim, api) = demo().await;
    assert_eq!(sim.records("Companies").len(), 8);
    let customers = api
        .items("Companies", json!([{"op": "gt", "field": "id", "value": 0}, {"op": "eq", "field": "companyType", "value": 1}]))
        .await;
    assert_eq!(customers.len(), 6);
    assert_eq!(customers[0]["companyName"], "Northwind Traders");
    let payg = api
        .items(
            "Contracts",
            json!([{"op": "eq", "field": "Acronis PAYG", "udf": true, "value": "yes"}]),
        )
        .await;
    assert_eq!(
        payg.iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![802]
    );
    assert_eq!(
        payg[0]["userDefinedFields"],
        json!([{"name": "Acronis PAYG", "value": "Yes"}])
    );
    // Every period row exists: 60 months for the 2026-2030 contract service.
    let units = api
        .items(
            "ContractServiceUnits",
            json!([{"op": "eq", "field": "contractServiceID", "value": 901}]),
        )
        .await;
    assert_eq!(units.len(), 60);
    assert!(units.iter().all(|u| u["units"] == 25));
    assert_eq!(units[8]["approveAndPostDate"], "2026-09-30T00:00:00Z");
    assert_eq!(units[9]["approveAndPostDate"], Value::Null);
    assert_eq!(sim.core().log.count(Some("Companies"), Some("query")), 1);
}

#[tokio::test]
async fn version_and_zone_lookup_need_no_auth_and_cost_nothing() {
    let (sim, _) = demo().await;
    let http = reqwest::Client::new();
    let v: Value = http
        .get(format!(
            "{}/ATServicesRest/versioninformation",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"apiVersions": ["V1.0"]}));
    let zone: Value = http
        .get(format!(
            "{}v1.0/zoneInformation?user=BRIDGE-API%40example.com",
            sim.zone_lookup_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        zone["url"],
        format!("{}/zone15/ATServicesRest/", sim.base_url())
    );
    assert_eq!(zone["ci"], 781245);
    assert_eq!(zone["zoneName"], "America West 2");
    let unknown = http
        .get(format!(
            "{}v1.0/zoneInformation?user=nobody%40example.com",
            sim.zone_lookup_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 500);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(
        body,
        json!({"errors": ["Zone information could not be determined"]})
    );
    assert_eq!(sim.threshold_used(), 0);
    assert_eq!(
        sim.core().log.count(Some("zoneInformation"), Some("get")),
        3,
        "incl. the discovery in demo()"
    );
}

#[tokio::test]
async fn auth_errors_follow_the_reference() {
    let (sim, api) = demo().await;
    let (s, _) = api.get("Companies/174").await;
    assert_eq!(s, 200);
    let (s, b) = api.with(USER, "wrong", CODE).get("Companies/174").await;
    assert_eq!(s, 401, "{b}");
    let (s, b) = api
        .with("ghost@example.com", SECRET, CODE)
        .get("Companies/174")
        .await;
    assert_eq!(s, 500, "{b}");
    let (s, b) = api
        .with(USER, SECRET, "NOTACODE")
        .get("Companies/174")
        .await;
    assert_eq!(s, 500, "{b}");
    let (s, b) = api
        .with("office.manager@demo-msp.example", "office-secret", CODE)
        .get("Companies/174")
        .await;
    assert_eq!(s, 401);
    assert!(first_error(&b).contains("API Only users"), "{b}");
    // Promoting the user to API-only fixes it.
    sim.add_user(ApiUser {
        username: "office.manager@demo-msp.example".into(),
        secret: "office-secret".into(),
        integration_code: CODE.into(),
        api_only: true,
    });
    let (s, _) = api
        .with("office.manager@demo-msp.example", "office-secret", CODE)
        .get("Companies/174")
        .await;
    assert_eq!(s, 200);
    // Failed authentications are not counted against the hourly threshold.
    assert_eq!(sim.threshold_used(), 2);
}

#[tokio::test]
async fn paging_1200_records_takes_three_pages_and_ends_with_null() {
    let sim = autotask::start(Seed::generate(1199)).await.unwrap();
    let api = Api::discover(&sim).await;
    let search = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
    let (s, first) = api.query("Companies", search.clone()).await;
    assert_eq!(s, 200);
    let details = &first["pageDetails"];
    assert_eq!(details["count"], 500);
    assert_eq!(details["requestCount"], 500);
    assert_eq!(details["prevPageUrl"], Value::Null);
    let mut ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let mut next = details["nextPageUrl"].as_str().map(String::from);
    let mut pages = 1;
    let mut last_prev = Value::Null;
    while let Some(url) = next {
        assert!(
            url.starts_with(&api.root),
            "absolute url on the caller's zone: {url}"
        );
        // Follow with GET (the URL embeds search) for page 2, POST + same body for page 3.
        let (s, page) = if pages == 1 {
            api.get(&url).await
        } else {
            api.send(reqwest::Method::POST, url, Some(search.clone()))
                .await
        };
        assert_eq!(s, 200, "{page}");
        pages += 1;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        next = page["pageDetails"]["nextPageUrl"]
            .as_str()
            .map(String::from);
        last_prev = page["pageDetails"]["prevPageUrl"].clone();
        if next.is_none() {
            assert_eq!(page["pageDetails"]["count"], 200);
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids, (0..1200).collect::<Vec<i64>>());
    // The previous-page link of page 3 returns page 2.
    let (_, prev) = api.get(last_prev.as_str().unwrap()).await;
    assert_eq!(prev["items"][0]["id"], 500);
    assert_eq!(prev["items"].as_array().unwrap().len(), 500);
    assert_eq!(sim.core().log.count(Some("Companies"), Some("next")), 3);
    let (_, count) = api.post("Companies/query/count", search).await;
    assert_eq!(count, json!({"queryCount": 1200}));
}

#[tokio::test]
async fn exactly_1000_rows_cost_two_requests() {
    let sim = autotask::start(Seed::generate(999)).await.unwrap();
    let api = Api::discover(&sim).await;
    sim.core().log.clear();
    let (_, p1) = api
        .query(
            "Companies",
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
        .await;
    let (_, p2) = api
        .get(p1["pageDetails"]["nextPageUrl"].as_str().unwrap())
        .await;
    assert_eq!(p2["pageDetails"]["count"], 500);
    assert_eq!(p2["pageDetails"]["nextPageUrl"], Value::Null);
    assert_eq!(sim.core().log.len(), 2);
}

#[tokio::test]
async fn get_query_case_insensitive_paths_and_include_fields() {
    let (_sim, api) = demo().await;
    let search = json!({"Filter": [{"op": "beginsWith", "field": "COMPANYNAME", "value": "north"}], "IncludeFields": ["companyName", "Customer Ranking"]});
    let encoded = urlencoding::encode(&search.to_string()).into_owned();
    let lower_root = api
        .root
        .replace("ATServicesRest/V1.0", "atservicesrest/v1.0");
    let (s, body) = api
        .get(&format!("{lower_root}companies/query?search={encoded}"))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["items"],
        json!([{"id": 174, "companyName": "Northwind Traders", "userDefinedFields": [{"name": "Customer Ranking", "value": "Gold"}]}])
    );
    assert_eq!(body["pageDetails"]["nextPageUrl"], Value::Null);
    let (s, body) = api
        .query(
            "Companies",
            json!({"filter": [{"op": "eq", "field": "bogus", "value": 1}]}),
        )
        .await;
    assert_eq!(s, 500);
    assert_eq!(
        first_error(&body),
        "Unable to find bogus in the Companies Entity."
    );
    let (s, body) = api
        .query("Companies", json!({"MaxRecords": 0, "filter": []}))
        .await;
    assert_eq!(
        (s, first_error(&body)),
        (
            500,
            "maxCountOfRecordsToReturn must be between 1 and 500".into()
        )
    );
    let (s, _) = api.query("Companies", json!({"MaxRecords": 5})).await;
    assert_eq!(s, 500, "a query without a filter fails");
    let (s, body) = api
        .query("Companies", json!({"filter": [], "MaxRecords": 3}))
        .await;
    assert_eq!((s, body["items"].as_array().unwrap().len()), (200, 3));
}

#[tokio::test]
async fn create_read_update_with_timestamps_and_errors() {
    let (sim, api) = demo().await;
    let (s, body) = api
        .post("Companies", json!({"companyName": "New Co"}))
        .await;
    assert_eq!(s, 500);
    let errors: Vec<String> = serde_json::from_value(body["errors"].clone()).unwrap();
    assert!(
        errors.iter().any(|e| e.contains("ownerResourceID")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("phone")), "{errors:?}");
    let (s, body) = api.post("Companies", json!({"companyName": "New Co", "companyType": 1, "ownerResourceID": 424242, "phone": "1"})).await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("ownerResourceID"), "{body}");
    let (s, body) = api
        .post("Companies", json!({"companyName": "New Co", "companyType": 1, "ownerResourceID": 29682885, "phone": "+1 555 0199"}))
        .await;
    assert_eq!(s, 200, "{body}");
    let id = body["itemId"].as_i64().unwrap();
    let (s, got) = api.get(&format!("Companies/{id}")).await;
    assert_eq!(s, 200);
    let created = got["item"]["lastTrackedModifiedDateTime"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created.ends_with('Z'));
    assert_eq!(got["item"]["isActive"], true);
    assert_eq!(
        got["item"]["userDefinedFields"],
        json!([{"name": "Customer Ranking", "value": null}])
    );

    sim.core().clock.advance(Duration::from_secs(60));
    let (s, body) = api
        .patch("Companies", json!({"id": id, "city": "Olympia"}))
        .await;
    assert_eq!((s, body), (200, json!({"itemId": id})));
    let changed = api
        .items(
            "Companies",
            json!([{"op": "gt", "field": "lastTrackedModifiedDateTime", "value": created}]),
        )
        .await;
    assert_eq!(
        changed
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![id]
    );
    assert_eq!(
        changed[0]["phone"], "+1 555 0199",
        "PATCH keeps other fields"
    );

    let (s, body) = api
        .patch(&format!("Companies/{id}"), json!({"id": id, "city": "X"}))
        .await;
    assert_eq!(s, 405);
    assert_eq!(
        body,
        json!({"Message": "The requested resource does not support http method 'PATCH'."}),
        "a 405 comes from the web framework, capital M, no errors array"
    );
    let (s, body) = api.put("Companies", json!({"id": id, "companyName": "New Co", "companyType": 1, "ownerResourceID": 29682885})).await;
    assert_eq!(s, 500, "PUT nulls the omitted required phone: {body}");
    let (s, _) = api.put("Companies", json!({"id": id, "companyName": "Renamed Co", "companyType": 1, "ownerResourceID": 29682885, "phone": "2"})).await;
    assert_eq!(s, 200);
    let (_, got) = api.get(&format!("Companies/{id}")).await;
    assert_eq!(got["item"]["city"], Value::Null, "PUT cleared city");
    assert_eq!(got["item"]["companyName"], "Renamed Co");
    let (s, _) = api.get("Companies/99999").await;
    assert_eq!(s, 404);
    let (s, _) = api.post("BillingCodes", json!({"name": "x"})).await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn contacts_are_written_through_their_company() {
    let (_sim, api) = demo().await;
    let (s, body) = api
        .post(
            "Companies/176/Contacts",
            json!({"firstName": "Gus", "lastName": "Green", "isActive": true}),
        )
        .await;
    assert_eq!(s, 500, "isActive is an integer on Contacts");
    assert!(first_error(&body).contains("isActive"), "{body}");
    let (s, body) = api
        .post(
            "Companies/176/Contacts",
            json!({"firstName": "Gus", "lastName": "Green", "isActive": 1}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let id = body["itemId"].as_i64().unwrap();
    let (_, got) = api.get(&format!("Contacts/{id}")).await;
    assert_eq!(got["item"]["companyID"], 176);
    let (s, _) = api
        .patch("Contacts", json!({"id": id, "title": "CTO"}))
        .await;
    assert_eq!(s, 405);
    let (s, _) = api
        .patch("Companies/175/Contacts", json!({"id": id, "title": "CTO"}))
        .await;
    assert_eq!(s, 500, "wrong parent");
    let (s, _) = api
        .patch("Companies/176/Contacts", json!({"id": id, "title": "CTO"}))
        .await;
    assert_eq!(s, 200);
    let (_, list) = api.get("Companies/176/Contacts").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (s, _) = api
        .send(
            reqwest::Method::DELETE,
            "Companies/176/Contacts/303".into(),
            None,
        )
        .await;
    assert_eq!(s, 500, "the primary contact cannot be deleted");
    let (s, body) = api
        .send(
            reqwest::Method::DELETE,
            format!("Companies/176/Contacts/{id}"),
            None,
        )
        .await;
    assert_eq!((s, body), (200, json!({"itemId": id})));
}

#[tokio::test]
async fn zone_move_makes_the_old_prefix_answer_html_404() {
    let (sim, api) = demo().await;
    sim.move_zone(29);
    let resp = reqwest::Client::new()
        .get(format!("{}Companies/174", api.root))
        .header("ApiIntegrationCode", CODE)
        .header("UserName", USER)
        .header("Secret", SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let text = resp.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not JSON: {text}"
    );
    let moved = Api::discover(&sim).await;
    assert!(moved.root.contains("/zone29/"), "{}", moved.root);
    let (s, _) = moved.get("Companies/174").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn fourth_concurrent_request_per_code_and_entity_is_rejected() {
    let (sim, api) = demo().await;
    sim.set_processing_delay(400);
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.get("Companies/174").await })
        })
        .collect();
    let other = {
        let api = api.clone();
        tokio::spawn(async move { api.get("Contracts/801").await })
    };
    let mut statuses = Vec::new();
    let mut rejection = Value::Null;
    for c in calls {
        let (s, b) = c.await.unwrap();
        if s == 429 {
            rejection = b;
        }
        statuses.push(s);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    assert!(
        first_error(&rejection).contains("Thread Threshold Exceeded"),
        "{rejection}"
    );
    assert!(first_error(&rejection).contains("Itgenatr005"));
    assert_eq!(
        other.await.unwrap().0,
        200,
        "other entities have their own slots"
    );
    // Slots are released: sequential calls pass.
    sim.set_processing_delay(0);
    assert_eq!(api.get("Companies/174").await.0, 200);
}

#[tokio::test]
async fn hourly_threshold_answers_429_until_the_window_rolls() {
    let (sim, api) = demo().await;
    sim.set_threshold(100, 98);
    let (s, info) = api.get("ThresholdInformation").await;
    assert_eq!(s, 200);
    assert_eq!(
        info,
        json!({"externalRequestThreshold": 100, "requestThresholdTimeframe": 60, "currentTimeframeRequestCount": 99})
    );
    assert_eq!(api.get("Companies/174").await.0, 200);
    let (s, body) = api.get("Companies/174").await;
    assert_eq!(s, 429);
    assert!(first_error(&body).contains("threshold"), "{body}");
    // Zone lookups still work and cost nothing.
    let again = Api::discover(&sim).await;
    assert_eq!(again.root, api.root);
    sim.core().clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(api.get("Companies/174").await.0, 200);
    assert_eq!(sim.threshold_used(), 1);
}

#[tokio::test]
async fn adjustment_splits_units_and_creates_missing_services() {
    let (sim, api) = demo().await;
    let (s, body) = api
        .post("ContractServiceAdjustments", json!({"contractID": 801, "serviceID": 501, "unitChange": 5, "effectiveDate": "2027-03-15T00:00:00Z"}))
        .await;
    assert_eq!(s, 200, "{body}");
    let units = api
        .items(
            "ContractServiceUnits",
            json!([
            {"op": "eq", "field": "contractServiceID", "value": 901},
            {"op": "gte", "field": "startDate", "value": "2027-03-01T00:00:00Z"},
            {"op": "lte", "field": "startDate", "value": "2027-04-01T00:00:00Z"}]),
        )
        .await;
    let spans: Vec<(String, String, i64)> = units
        .iter()
        .map(|u| {
            (
                u["startDate"].as_str().unwrap().into(),
                u["endDate"].as_str().unwrap().into(),
                u["units"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        spans,
        vec![
            (
                "2027-03-01T00:00:00Z".into(),
                "2027-03-14T00:00:00Z".into(),
                25
            ),
            (
                "2027-04-01T00:00:00Z".into(),
                "2027-04-30T00:00:00Z".into(),
                30
            ),
            (
                "2027-03-15T00:00:00Z".into(),
                "2027-03-31T00:00:00Z".into(),
                30
            ),
        ],
        "ascending id: the split-off row is newest"
    );
    // Through the parent URL, by contract service id, for a service not yet on the contract.
    let (s, body) = api
        .post("Contracts/801/ServiceAdjustments", json!({"contractID": 801, "serviceID": 509, "unitChange": 12, "effectiveDate": "2027-01-01"}))
        .await;
    assert_eq!(s, 200, "{body}");
    let created = api
        .items("ContractServices", json!([{"op": "eq", "field": "contractID", "value": 801}, {"op": "eq", "field": "serviceID", "value": 509}]))
        .await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0]["unitPrice"], 0.03,
        "price defaults from the service"
    );
    let cs = created[0]["id"].as_i64().unwrap();
    let rows = api
        .items("ContractServiceUnits", json!([{"op": "eq", "field": "contractServiceID", "value": cs}, {"op": "eq", "field": "startDate", "value": "2026-12-01"}]))
        .await;
    assert_eq!(
        rows[0]["units"], 0,
        "units before the effective date stay 0"
    );
    let (_, list) = api.get("Contracts/801/ServiceUnits").await;
    assert!(list["items"].as_array().unwrap().len() > 200);

    for (body, wanted) in [
        (
            json!({"contractID": 801, "serviceID": 501, "unitChange": -31, "effectiveDate": "2027-03-20"}),
            "negative",
        ),
        (
            json!({"contractID": 801, "serviceID": 501, "unitChange": 1, "effectiveDate": "2026-05-10"}),
            "approved and posted",
        ),
        (
            json!({"contractID": 801, "serviceID": 501, "unitChange": 1, "effectiveDate": "2031-01-10"}),
            "within the contract",
        ),
        (
            json!({"contractID": 806, "serviceID": 501, "unitChange": 1, "effectiveDate": "2026-05-10"}),
            "Recurring Service",
        ),
        (
            json!({"contractID": 801, "unitChange": 1, "effectiveDate": "2027-05-10"}),
            "serviceID",
        ),
        (
            json!({"contractID": 801, "contractServiceID": 907, "unitChange": 1, "effectiveDate": "2027-05-10"}),
            "does not belong",
        ),
    ] {
        let (s, err) = api.post("ContractServiceAdjustments", body.clone()).await;
        assert_eq!(s, 500, "{body}");
        assert!(first_error(&err).contains(wanted), "{body}: {err}");
    }
    let (s, _) = api
        .query(
            "ContractServiceAdjustments",
            json!({"filter": [{"op": "gte", "field": "id", "value": 0}]}),
        )
        .await;
    assert_eq!(s, 405, "adjustments are write-only");
    assert_eq!(sim.records("ContractServiceAdjustments").len(), 2);

    // Bundles behave the same.
    let (s, body) = api
        .post("ContractServiceBundleAdjustments", json!({"contractID": 803, "contractServiceBundleID": 951, "unitChange": -2, "effectiveDate": "2027-02-01"}))
        .await;
    assert_eq!(s, 200, "{body}");
    let bundle_units = api
        .items("ContractServiceBundleUnits", json!([{"op": "eq", "field": "contractID", "value": 803}, {"op": "eq", "field": "startDate", "value": "2027-02-01"}]))
        .await;
    assert_eq!(bundle_units[0]["units"], 3);
}

#[tokio::test]
async fn contract_services_need_recurring_contracts_and_are_unique() {
    let (_sim, api) = demo().await;
    let (s, body) = api
        .post("Contracts/806/Services", json!({"serviceID": 501}))
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("Recurring Service"), "{body}");
    let (s, body) = api
        .post("Contracts/801/Services", json!({"serviceID": 501}))
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("already"), "{body}");
    let (s, body) = api
        .post(
            "Contracts/801/Services",
            json!({"serviceID": 505, "unitPrice": 1.75}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let id = body["itemId"].as_i64().unwrap();
    let units = api
        .items(
            "ContractServiceUnits",
            json!([{"op": "eq", "field": "contractServiceID", "value": id}]),
        )
        .await;
    assert_eq!(units.len(), 60);
    assert!(units.iter().all(|u| u["units"] == 0 && u["price"] == 1.75));
    let (s, body) = api
        .post(
            "Services",
            json!({"name": "X", "billingCodeID": 29682802, "periodType": 1, "unitPrice": 1}),
        )
        .await;
    assert_eq!(
        s, 500,
        "services need a recurring contract service billing code: {body}"
    );
    let (s, body) = api.post("Services", json!({"name": "Acronis Websites", "billingCodeID": 29682801, "periodType": 1, "unitPrice": 1})).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn udf_definitions_extend_contracts() {
    let (sim, api) = demo().await;
    let (_, fields) = api
        .get("UserDefinedFieldDefinitions/entityInformation/fields")
        .await;
    let udf_type = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "udfType")
        .unwrap();
    let contract_code: i64 = udf_type["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == "Contract")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (s, body) = api
        .post(
            "UserDefinedFieldDefinitions",
            json!({"name": "acronis payg", "udfType": contract_code, "dataType": 1}),
        )
        .await;
    assert_eq!(s, 500, "names are unique per entity: {body}");
    let (s, body) = api
        .post(
            "UserDefinedFieldDefinitions",
            json!({"name": "Acronis Tenant", "udfType": contract_code, "dataType": 1}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, c) = api.get("Contracts/801").await;
    assert_eq!(
        c["item"]["userDefinedFields"],
        json!([{"name": "Acronis PAYG", "value": "No"}, {"name": "Acronis Tenant", "value": null}])
    );
    let (s, _) = api
        .patch(
            "Contracts",
            json!({"id": 801, "userDefinedFields": [{"name": "Acronis Tenant", "value": "t-123"}]}),
        )
        .await;
    assert_eq!(s, 200);
    let found = api
        .items(
            "Contracts",
            json!([{"op": "eq", "field": "Acronis Tenant", "udf": true, "value": "t-123"}]),
        )
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["userDefinedFields"],
        json!([{"name": "Acronis PAYG", "value": "No"}, {"name": "Acronis Tenant", "value": "t-123"}]),
        "PATCH touched only the named UDF"
    );
    let (s, body) = api
        .query(
            "Contracts",
            json!({"filter": [
            {"op": "exist", "field": "Acronis Tenant", "udf": true},
            {"op": "eq", "field": "Acronis PAYG", "udf": true, "value": "No"}]}),
        )
        .await;
    assert_eq!(s, 500, "one UDF condition per query: {body}");
    let (_, udfs) = api
        .get("Contracts/entityInformation/userDefinedFields")
        .await;
    assert_eq!(udfs["fields"].as_array().unwrap().len(), 2);
    assert_eq!(sim.records("UserDefinedFieldDefinitions").len(), 3);
}

/// The code of a picklist label of `UserDefinedFieldDefinitions` (`udfType`, `dataType`).
async fn udf_code(api: &Api, field: &str, label: &str) -> i64 {
    let (_, fields) = api
        .get("UserDefinedFieldDefinitions/entityInformation/fields")
        .await;
    let field = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == field)
        .unwrap()
        .clone();
    field["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == label)
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn list_udfs_take_their_items_export_values() {
    let (sim, api) = demo().await;
    let contract = udf_code(&api, "udfType", "Contract").await;
    let list = udf_code(&api, "dataType", "List").await;
    let (s, body) = api
        .post(
            "UserDefinedFieldDefinitions",
            json!({"name": "Acronis Tier", "udfType": contract, "dataType": list}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let udf = body["itemId"].as_i64().unwrap();
    let items_url = format!("UserDefinedFields/{udf}/ListItems");
    let (s, body) = api.get(&items_url).await;
    assert_eq!((s, body["items"].clone()), (200, json!([])));

    let (s, body) = api
        .post(
            &items_url,
            json!({"valueForDisplay": "Gold", "valueForExport": "G", "isActive": true}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let gold = body["itemId"].as_i64().unwrap();
    let (s, body) = api
        .post(
            &items_url,
            json!({"valueForDisplay": "Silver", "valueForExport": "S"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let silver = body["itemId"].as_i64().unwrap();

    // Both values required, at most 128 characters, unique within the UDF.
    let refused = [
        (
            json!({"valueForDisplay": "Bronze"}),
            "Missing Required Field: valueForExport",
        ),
        (
            json!({"valueForDisplay": "", "valueForExport": "B"}),
            "Missing Required Field: valueForDisplay",
        ),
        (
            json!({"valueForDisplay": "x".repeat(129), "valueForExport": "B"}),
            "maximum length of 128",
        ),
        (
            json!({"valueForDisplay": "Gilded", "valueForExport": "g"}),
            "valueForExport \"g\" is already used",
        ),
        (
            json!({"valueForDisplay": "GOLD", "valueForExport": "Au"}),
            "valueForDisplay \"GOLD\" is already used",
        ),
    ];
    for (item, wanted) in refused {
        let (s, body) = api.post(&items_url, item.clone()).await;
        assert_eq!(s, 500, "{item}: {body}");
        assert!(
            first_error(&body).contains(wanted),
            "{item}: {body}, wanted {wanted:?}"
        );
    }
    // Items only exist on list UDFs (the demo's "Acronis PAYG" is text), and on UDFs
    // that exist.
    let (s, body) = api
        .post(
            "UserDefinedFields/1/ListItems",
            json!({"valueForDisplay": "Yes", "valueForExport": "Yes"}),
        )
        .await;
    assert_eq!(s, 500);
    assert!(
        first_error(&body).contains("list user-defined fields"),
        "{body}"
    );
    let (s, body) = api
        .post(
            "UserDefinedFields/999/ListItems",
            json!({"valueForDisplay": "Yes", "valueForExport": "Yes"}),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("udfFieldId"), "{body}");

    let (s, body) = api.get(&items_url).await;
    assert_eq!(s, 200);
    let listed = body["items"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let mut keys: Vec<&str> = listed[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "createDate",
            "id",
            "isActive",
            "udfFieldId",
            "valueForDisplay",
            "valueForExport"
        ]
    );
    assert_eq!(
        (
            &listed[0]["valueForDisplay"],
            &listed[0]["valueForExport"],
            &listed[0]["isActive"],
            &listed[0]["udfFieldId"]
        ),
        (&json!("Gold"), &json!("G"), &json!(true), &json!(udf))
    );
    let (s, one) = api.get(&format!("{items_url}/{silver}")).await;
    assert_eq!((s, &one["item"]["valueForExport"]), (200, &json!("S")));
    let queried = api
        .items(
            "UserDefinedFieldListItems",
            json!([{"op": "eq", "field": "udfFieldId", "value": udf},
                   {"op": "beginsWith", "field": "valueForDisplay", "value": "s"}]),
        )
        .await;
    assert_eq!(queried.len(), 1);
    assert_eq!(queried[0]["id"], json!(silver));
    let (s, _) = api
        .send(reqwest::Method::DELETE, format!("{items_url}/{gold}"), None)
        .await;
    assert_eq!(s, 405, "list items are never deleted");

    // The UDF reads as a picklist: value = valueForExport, label = valueForDisplay.
    let (_, udfs) = api
        .get("Contracts/entityInformation/userDefinedFields")
        .await;
    let udfs = udfs["fields"].as_array().unwrap();
    let tier = udfs.iter().find(|f| f["name"] == "Acronis Tier").unwrap();
    assert_eq!(tier["isPickList"], true);
    assert_eq!(
        tier["picklistValues"],
        json!([
            {"value": "G", "label": "Gold", "isDefaultValue": false, "sortOrder": 0, "parentValue": "", "isActive": true, "isSystem": false},
            {"value": "S", "label": "Silver", "isDefaultValue": false, "sortOrder": 1, "parentValue": "", "isActive": true, "isSystem": false}
        ])
    );
    let payg = udfs.iter().find(|f| f["name"] == "Acronis PAYG").unwrap();
    assert_eq!(
        (&payg["isPickList"], &payg["picklistValues"]),
        (&json!(false), &Value::Null)
    );

    // An entity stores an item's export value; a label or an unknown value is refused.
    let set = |value: Value| json!({"id": 801, "userDefinedFields": [{"name": "Acronis Tier", "value": value}]});
    let (s, body) = api.patch("Contracts", set(json!("Gold"))).await;
    assert_eq!(s, 500);
    assert!(
        first_error(&body)
            .contains("not an active item of the list user-defined field Acronis Tier")
            && first_error(&body).contains("(G, S)"),
        "{body}"
    );
    let (s, body) = api
        .post(
            "Contracts",
            json!({"companyID": 174, "contractName": "Tiered", "contractType": 7, "status": 1,
                   "startDate": "2026-01-01", "endDate": "2026-12-31",
                   "timeReportingRequiresStartAndStopTimes": 0,
                   "userDefinedFields": [{"name": "acronis tier", "value": "Platinum"}]}),
        )
        .await;
    assert_eq!(s, 500, "creates are checked too: {body}");
    assert!(first_error(&body).contains("\"Platinum\""), "{body}");
    let (s, body) = api.patch("Contracts", set(json!("G"))).await;
    assert_eq!(s, 200, "{body}");
    let (_, c) = api.get("Contracts/801").await;
    assert_eq!(
        c["item"]["userDefinedFields"],
        json!([{"name": "Acronis PAYG", "value": "No"}, {"name": "Acronis Tier", "value": "G"}])
    );
    // Queries compare the stored value (without regard to case), never the label.
    let tier_is =
        |value: &str| json!([{"op": "eq", "field": "Acronis Tier", "udf": true, "value": value}]);
    let found = api.items("Contracts", tier_is("g")).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], json!(801));
    assert!(api.items("Contracts", tier_is("Gold")).await.is_empty());

    // A deactivated item stays listed and readable but can no longer be chosen.
    let (s, body) = api
        .patch(&items_url, json!({"id": silver, "isActive": false}))
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, udfs) = api
        .get("Contracts/entityInformation/userDefinedFields")
        .await;
    let tier = udfs["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Acronis Tier")
        .unwrap()
        .clone();
    assert_eq!(tier["picklistValues"][1]["isActive"], false);
    let (s, body) = api.patch("Contracts", set(json!("S"))).await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("(G)"), "{body}");
    let (s, body) = api.patch("Contracts", set(json!("G"))).await;
    assert_eq!(s, 200, "the value it holds may be sent again: {body}");
    // Null or an empty string clears it.
    let (s, _) = api.patch("Contracts", set(json!(""))).await;
    assert_eq!(s, 200);
    let (_, c) = api.get("Contracts/801").await;
    assert_eq!(
        c["item"]["userDefinedFields"][1],
        json!({"name": "Acronis Tier", "value": null})
    );
    assert_eq!(sim.records("UserDefinedFieldListItems").len(), 2);
}

#[tokio::test]
async fn seeds_declare_list_udfs_with_items() {
    let mut seed = Seed::generate(1);
    let payg = &mut seed.user_defined_field_definitions[0];
    payg.insert("dataType".into(), json!(4));
    for (display, export) in [("Yes", "1"), ("No", "0")] {
        seed.user_defined_field_list_items.push(
            json!({"udfFieldId": 1, "valueForDisplay": display, "valueForExport": export})
                .as_object()
                .unwrap()
                .clone(),
        );
    }
    seed.contracts[0].insert(
        "userDefinedFields".into(),
        json!([{"name": autotask::PAYG_UDF, "value": "0"}]),
    );
    let sim = autotask::start(seed.clone()).await.unwrap();
    let api = Api::discover(&sim).await;
    let (_, udfs) = api
        .get("Contracts/entityInformation/userDefinedFields")
        .await;
    let values = udfs["fields"][0]["picklistValues"].clone();
    assert_eq!(
        (values[0]["value"].clone(), values[0]["label"].clone()),
        (json!("1"), json!("Yes"))
    );
    let (_, c) = api.get("Contracts/1").await;
    assert_eq!(c["item"]["userDefinedFields"][0]["value"], "0");

    // An item on a text UDF, or a second item with the same value, is a seed mistake.
    let mut text = Seed::generate(1);
    text.user_defined_field_list_items = seed.user_defined_field_list_items.clone();
    let err = autotask::start(text).await.err().unwrap().to_string();
    assert!(
        err.contains("UserDefinedFieldListItems[0]") && err.contains("list user-defined fields"),
        "{err}"
    );
    let mut twice = seed;
    let again = twice.user_defined_field_list_items[0].clone();
    twice.user_defined_field_list_items.push(again);
    let err = autotask::start(twice).await.err().unwrap().to_string();
    assert!(err.contains("already used"), "{err}");
}

#[tokio::test]
async fn picklists_and_entity_information() {
    let (_sim, api) = demo().await;
    let (s, body) = api.get("Tickets/entityInformation/fields").await;
    assert_eq!(s, 200);
    let fields = body["fields"].as_array().unwrap();
    let field = |name: &str| fields.iter().find(|f| f["name"] == name).unwrap().clone();
    let status = field("status");
    assert_eq!(status["isPickList"], true);
    assert_eq!(status["isRequired"], true);
    assert_eq!(
        status["picklistValues"][0],
        json!({"value": "1", "label": "New", "isDefaultValue": true, "sortOrder": 0, "parentValue": "", "isActive": true, "isSystem": true})
    );
    let sub = field("subIssueType");
    assert_eq!(sub["picklistParentValueField"], "issueType");
    assert_eq!(sub["picklistValues"][0]["parentValue"], "10");
    assert_eq!(field("priority")["picklistValues"][4]["isActive"], false);
    assert_eq!(field("title")["picklistValues"], Value::Null);
    let (_, notes) = api.get("TicketNotes/entityInformation/fields").await;
    assert!(
        notes["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "publish" && f["isPickList"] == true)
    );
    let (_, info) = api.get("Contacts/entityInformation").await;
    assert_eq!(
        info["info"]["canCreate"], true,
        "via /Companies/{{id}}/Contacts"
    );
    assert_eq!(info["info"]["hasUserDefinedFields"], true);
    let (_, info) = api.get("Contracts/entityInformation").await;
    assert_eq!(info["info"]["canDelete"], false);
    assert_eq!(info["info"]["supportsWebhookCallouts"], false);
    let (_, contract_fields) = api.get("Contracts/entityInformation/fields").await;
    let types = contract_fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "contractType")
        .unwrap()
        .clone();
    assert!(
        types["picklistValues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "7" && v["label"] == "Recurring Service")
    );
}

#[tokio::test]
async fn tickets_notes_and_completion() {
    let (sim, api) = demo().await;
    let base = json!({"companyID": 174, "title": "Backup failed", "status": 1, "priority": 1});
    let (s, body) = api.post("Tickets", base.clone()).await;
    assert_eq!(s, 500);
    assert!(first_error(&body).contains("queueID"), "{body}");
    let mut t = base.clone();
    t["queueID"] = json!(29682833);
    t["priority"] = json!(6);
    let (s, body) = api.post("Tickets", t.clone()).await;
    assert_eq!(s, 500, "inactive priority: {body}");
    t["priority"] = json!(1);
    t["contactID"] = json!(302);
    let (s, body) = api.post("Tickets", t.clone()).await;
    assert_eq!(s, 500, "contact of another company: {body}");
    t["contactID"] = json!(301);
    t["issueType"] = json!(10);
    t["subIssueType"] = json!(111);
    let (s, body) = api.post("Tickets", t.clone()).await;
    assert_eq!(s, 500, "sub-issue of another issue type: {body}");
    t["subIssueType"] = json!(101);
    let (s, body) = api.post("Tickets", t).await;
    assert_eq!(s, 200, "{body}");
    let id = body["itemId"].as_i64().unwrap();
    let (_, got) = api.get(&format!("Tickets/{id}")).await;
    assert!(
        got["item"]["ticketNumber"]
            .as_str()
            .unwrap()
            .starts_with('T')
    );
    assert_eq!(got["item"]["completedDate"], Value::Null);
    let (s, body) = api
        .post(&format!("Tickets/{id}/Notes"), json!({"title": "Alert", "description": "Backup failed again", "noteType": 1, "publish": 1}))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = api.patch("Tickets", json!({"id": id, "status": 5})).await;
    assert_eq!(s, 200);
    let (_, got) = api.get(&format!("Tickets/{id}")).await;
    assert!(got["item"]["completedDate"].is_string());
    let notes = api
        .items(
            "TicketNotes",
            json!([{"op": "eq", "field": "ticketID", "value": id}]),
        )
        .await;
    assert_eq!(notes.len(), 1);
    assert_eq!(sim.core().log.count(Some("TicketNotes"), Some("create")), 1);
    assert_eq!(sim.core().log.count(Some("Tickets"), Some("create")), 5);
}

#[tokio::test]
async fn control_routes_mirror_the_helpers() {
    let (sim, api) = demo().await;
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let r: Value = http
        .post(format!("{base}/_sim/autotask/records/Companies"))
        .json(&json!({"companyName": "Raw Co", "companyType": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["id"].as_i64().unwrap();
    let resp = http
        .patch(format!("{base}/_sim/autotask/records/Contracts/801"))
        .json(&json!({"endDate": "2031-06-30T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let units = api
        .items(
            "ContractServiceUnits",
            json!([{"op": "eq", "field": "contractServiceID", "value": 901}]),
        )
        .await;
    assert_eq!(units.len(), 66, "extending the contract adds periods");
    let rows: Value = http
        .get(format!("{base}/_sim/autotask/records/Companies"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(rows.as_array().unwrap().iter().any(|c| c["id"] == id));
    let bad = http
        .post(format!("{base}/_sim/autotask/records/Nope"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    http.post(format!("{base}/_sim/autotask/threshold"))
        .json(&json!({"limit": 5, "used": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.get("Companies/174").await.0, 429);
    http.post(format!("{base}/_sim/autotask/zone"))
        .json(&json!({"zone": 3}))
        .send()
        .await
        .unwrap();
    assert!(Api::discover(&sim).await.root.contains("/zone3/"));
    // Control routes are not in the request log.
    assert!(
        sim.core()
            .log
            .entries()
            .iter()
            .all(|r| !r.path.starts_with("/_sim"))
    );
}

#[tokio::test]
async fn ten_thousand_companies_start_and_serve_batched_reads() {
    let started = std::time::Instant::now();
    let sim = autotask::start(Seed::generate(10_000)).await.unwrap();
    let boot = started.elapsed();
    let api = Api::discover(&sim).await;
    let started = std::time::Instant::now();
    let ids: Vec<i64> = (9_501..=10_000).collect();
    let contracts = api
        .items(
            "Contracts",
            json!([{"op": "in", "field": "id", "value": ids}]),
        )
        .await;
    assert_eq!(contracts.len(), 500);
    let units = api
        .items(
            "ContractServiceUnits",
            json!([
            {"op": "in", "field": "contractID", "value": (9_990..=10_000).collect::<Vec<i64>>()},
            {"op": "lte", "field": "startDate", "value": "2099-01-01"}]),
        )
        .await;
    assert!(!units.is_empty());
    let (_, page) = api
        .query(
            "Companies",
            json!({"filter": [{"op": "gt", "field": "id", "value": 9_000}]}),
        )
        .await;
    assert_eq!(page["pageDetails"]["count"], 500);
    let reads = started.elapsed();
    eprintln!("10k scenario: boot {boot:?}, three reads {reads:?}");
    // Generous bounds for unoptimised builds on a shared 2-core machine.
    assert!(boot < Duration::from_secs(30), "boot took {boot:?}");
    assert!(reads < Duration::from_secs(5), "reads took {reads:?}");
}

#[tokio::test]
async fn latency_bands_slow_calls_from_half_the_threshold() {
    let (sim, api) = demo().await;
    let timed = |api: Api| async move {
        let started = std::time::Instant::now();
        let (s, _) = api.get("Companies/174").await;
        assert_eq!(s, 200);
        started.elapsed()
    };
    sim.set_latency_bands(true);
    sim.set_threshold(100, 10);
    assert!(timed(api.clone()).await < Duration::from_millis(400));
    sim.set_threshold(100, 55);
    let half = timed(api.clone()).await;
    assert!(
        half >= Duration::from_millis(500) && half < Duration::from_millis(1000),
        "{half:?}"
    );
    sim.set_threshold(100, 80);
    assert!(timed(api.clone()).await >= Duration::from_millis(1000));
    sim.set_latency_bands(false);
    assert!(timed(api).await < Duration::from_millis(400));
}

#[tokio::test]
async fn impersonation_attributes_notes_to_a_resource() {
    let (_sim, api) = demo().await;
    let note = |resource: &str| {
        reqwest::Client::new()
            .post(format!("{}Tickets/1202/Notes", api.root))
            .header("ApiIntegrationCode", CODE)
            .header("UserName", USER)
            .header("Secret", SECRET)
            .header("ImpersonationResourceId", resource)
            .json(&json!({"description": "Checked remotely", "noteType": 1, "publish": 1}))
            .send()
    };
    let resp = note("29682886").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let id = resp.json::<Value>().await.unwrap()["itemId"]
        .as_i64()
        .unwrap();
    let (_, got) = api.get(&format!("TicketNotes/{id}")).await;
    assert_eq!(got["item"]["impersonatorCreatorResourceID"], 29682886);
    let resp = note("424242").await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let body: Value = resp.json().await.unwrap();
    assert!(
        first_error(&body).contains("adequate permissions"),
        "{body}"
    );
}
