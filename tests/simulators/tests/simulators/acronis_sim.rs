//! HTTP-level tests of the Acronis simulator: real requests through reqwest.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use simulators::acronis::{self, AcronisSim, ClientSeed, Seed};
use simulators::scenario::Scenario;
use std::time::Duration;

const PARTNER: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e01";
const CONTOSO: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
const FABRIKAM: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11";
const NORTHWIND: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e12";
const WINGTIP: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e30";
const ACRONIS_STORAGE: &str = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60";
const AZURE_STORAGE: &str = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c61";

fn demo_seed() -> Seed {
    Scenario::demo().expect("demo scenario loads").acronis
}

/// A running simulator plus an HTTP client holding a bearer token.
struct Api {
    sim: AcronisSim,
    http: Client,
    token: String,
}

impl Api {
    async fn start(seed: Seed) -> Api {
        let sim = acronis::start(seed).await.expect("simulator starts");
        let http = Client::new();
        let token = token(&http, &sim.base_url(), "demo-client", "demo-client-secret")
            .await
            .1["access_token"]
            .as_str()
            .expect("token issued")
            .to_string();
        Api { sim, http, token }
    }
    /// A fresh token (after moving the clock past the old one's lifetime).
    async fn renew(&mut self) {
        let (_, body) = token(
            &self.http,
            &self.sim.base_url(),
            "demo-client",
            "demo-client-secret",
        )
        .await;
        self.token = body["access_token"]
            .as_str()
            .expect("token issued")
            .to_string();
    }
    async fn demo() -> Api {
        Api::start(demo_seed()).await
    }
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body read");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
    async fn item(&self, tenant: &str, name: &str, infra: Option<&str>) -> Value {
        let (_, body) = self
            .get(&format!("/api/2/tenants/{tenant}/offering_items?edition=*"))
            .await;
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["name"] == name && i["infra_id"].as_str() == infra)
            .cloned()
            .unwrap_or_else(|| panic!("item {name} not found"))
    }
}

async fn token(http: &Client, base: &str, id: &str, secret: &str) -> (StatusCode, Value) {
    let resp = http
        .post(format!("{base}/api/2/idp/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request sent");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The account-server envelope with the fields every error carries.
fn assert_envelope(body: &Value, code: u64) {
    let e = &body["error"];
    assert_eq!(e["code"], code, "error code in {body}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(e["details"].is_object(), "details in {body}");
    assert!(e["context"].is_object(), "context in {body}");
    assert!(e["domain"].is_string(), "domain in {body}");
}

#[tokio::test]
async fn demo_scenario_loads_and_client_is_bound_to_the_partner() {
    let api = Api::demo().await;
    let names: Vec<String> = api
        .sim
        .tenants()
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    for expected in [
        "Demo MSP",
        "Contoso Ltd",
        "Northwind Traders",
        "Wingtip Reseller",
        "Key Accounts",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let (status, client) = api.get("/api/2/clients/demo-client").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(client["tenant_id"], PARTNER);
    assert!(
        client.get("client_secret").is_none(),
        "secret never returned"
    );
    assert_eq!(
        api.sim.tenant(NORTHWIND).expect("northwind")["ancestral_access"],
        false
    );
}

#[tokio::test]
async fn token_is_issued_expires_after_two_hours_and_bad_clients_are_refused() {
    let api = Api::demo().await;
    let base = api.sim.base_url();
    let (status, body) = token(&api.http, &base, "demo-client", "demo-client-secret").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert!(body["id_token"].is_string());
    let expires_on = body["expires_on"].as_i64().expect("expires_on");
    let lifetime = expires_on - api.sim.core().clock.now().timestamp();
    assert!(
        (7190..=7200).contains(&lifetime),
        "2 h lifetime, got {lifetime}s"
    );
    assert_eq!(
        body["access_token"].as_str().map(|t| t.split('.').count()),
        Some(3)
    );

    let (status, bad) = token(&api.http, &base, "demo-client", "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad["error"], "invalid_client");

    assert_eq!(
        api.get(&format!("/api/2/tenants/{PARTNER}")).await.0,
        StatusCode::OK
    );
    // The query-parameter form works on /api/2 too.
    let via_query = api
        .http
        .get(format!(
            "{base}/api/2/tenants/{PARTNER}?access_token={}",
            api.token
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(via_query.status(), StatusCode::OK);
    let anonymous = api
        .http
        .get(format!("{base}/api/2/tenants/{PARTNER}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    api.sim
        .core()
        .clock
        .advance(Duration::from_secs(2 * 3600 + 1));
    let (status, body) = api.get(&format!("/api/2/tenants/{PARTNER}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_envelope(&body, 401);
}

#[tokio::test]
async fn expired_tokens_by_control_route_are_refused() {
    let api = Api::demo().await;
    let resp = api
        .http
        .post(format!("{}/_sim/acronis/tokens/expire", api.sim.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("/api/2/tenants/{PARTNER}")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.sim.core().log.count(Some("tenants"), Some("get")), 1);
}

#[tokio::test]
async fn tenant_create_validates_and_detects_name_conflicts() {
    let api = Api::demo().await;
    let (status, body) = api
        .post(
            "/api/2/tenants",
            json!({"kind": "customer", "parent_id": PARTNER}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("name")
    );

    let new = json!({"name": "Alpine Ski House", "kind": "customer", "parent_id": PARTNER,
                     "customer_id": "29683501", "contact": {"email": "it@alpineskihouse.example"}});
    let (status, created) = api.post("/api/2/tenants", new.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["version"], 1);
    assert_eq!(created["pricing_mode"], "trial");
    assert_eq!(created["customer_id"], "29683501");
    assert_eq!(created["ancestral_access"], true);

    let (status, body) = api.post("/api/2/tenants", new).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_envelope(&body, 1004);

    let outside = json!({"name": "X", "kind": "customer", "parent_id": acronis::ROOT_ID});
    let (status, body) = api.post("/api/2/tenants", outside).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_envelope(&body, 1002);
}

#[tokio::test]
async fn tenant_update_needs_the_current_version_and_accepts_lenient_values() {
    let api = Api::demo().await;
    let path = format!("/api/2/tenants/{CONTOSO}");
    let (status, body) = api
        .put(&path, json!({"version": 7, "internal_tag": "x"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_envelope(&body, 1001);

    let (status, body) = api
        .put(
            &path,
            json!({"version": "1", "enabled": "false", "internal_tag": "at:42"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["enabled"], false);
    assert_eq!(body["internal_tag"], "at:42");
    assert_eq!(api.sim.tenant(CONTOSO).expect("contoso")["version"], 2);

    let (status, body) = api.put(&path, json!({"internal_tag": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("version")
    );
}

#[tokio::test]
async fn delete_requires_disable_first_and_the_current_version() {
    let api = Api::demo().await;
    let path = format!("/api/2/tenants/{CONTOSO}");
    let (status, body) = api.delete(&format!("{path}?version=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 1006);

    let (status, _) = api
        .put(&path, json!({"version": 1, "enabled": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.delete(&format!("{path}?version=1")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_envelope(&body, 1001);
    let (status, _) = api.delete(&format!("{path}?version=2")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_envelope(&body, 1005);
    assert!(api.sim.tenant(CONTOSO).is_none());
}

#[tokio::test]
async fn self_service_tenants_refuse_changes_from_the_partner() {
    let api = Api::demo().await;
    let (status, t) = api.get(&format!("/api/2/tenants/{NORTHWIND}")).await;
    assert_eq!(status, StatusCode::OK, "reads still work");
    let (status, body) = api
        .put(
            &format!("/api/2/tenants/{NORTHWIND}"),
            json!({"version": t["version"], "enabled": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_envelope(&body, 1002);
    let item = api.item(NORTHWIND, "pw_base_workstations", None).await;
    let (status, _) = api
        .put(
            &format!("/api/2/tenants/{NORTHWIND}/offering_items"),
            json!({"offering_items": [{"name": "pw_base_workstations", "quota": {"value": 1, "version": item["quota"]["version"]}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The customer's admin switches Contoso to self-service in the console.
    api.sim
        .set_tenant_fields(CONTOSO, json!({"ancestral_access": false}));
    let version = api.sim.tenant(CONTOSO).expect("contoso")["version"].clone();
    assert_eq!(version, 2);
    let (status, _) = api
        .put(
            &format!("/api/2/tenants/{CONTOSO}"),
            json!({"version": version, "internal_tag": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_sub_partner_client_cannot_reach_outside_its_subtree() {
    let mut seed = demo_seed();
    seed.clients.push(ClientSeed {
        client_id: "wingtip".into(),
        client_secret: "wingtip-secret".into(),
        tenant_id: WINGTIP.into(),
        name: None,
    });
    let sim = acronis::start(seed).await.expect("starts");
    let http = Client::new();
    let (_, tok) = token(&http, &sim.base_url(), "wingtip", "wingtip-secret").await;
    let tok = tok["access_token"].as_str().expect("token").to_string();
    let get = |id: &str| {
        http.get(format!("{}/api/2/tenants/{id}", sim.base_url()))
            .bearer_auth(&tok)
            .send()
    };
    assert_eq!(
        get(CONTOSO).await.expect("sent").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(WINGTIP).await.expect("sent").status(), StatusCode::OK);
}

#[tokio::test]
async fn tenant_lists_need_a_selector_and_page_with_cursors() {
    let api = Api::demo().await;
    let (status, body) = api.get("/api/2/tenants").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 400);

    let mut seen = Vec::new();
    let mut next = format!("/api/2/tenants?parent_id={PARTNER}&limit=2");
    let mut pages = 0;
    loop {
        let (status, body) = api.get(&next).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        for t in body["items"].as_array().expect("items") {
            seen.push(t["name"].as_str().expect("name").to_string());
        }
        match body["paging"]["cursors"]["after"].as_str() {
            Some(after) => next = format!("/api/2/tenants?after={after}&limit=2"),
            None => break,
        }
    }
    let (_, children) = api.get(&format!("/api/2/tenants/{PARTNER}/children")).await;
    let direct = children["items"].as_array().expect("ids").len();
    assert_eq!(seen.len(), direct);
    assert_eq!(pages, direct.div_ceil(2));
    assert!(seen.contains(&"Key Accounts".to_string()));

    let (_, body) = api
        .get(&format!(
            "/api/2/tenants?uuids={CONTOSO},00000000-0000-0000-0000-00000000dead,{FABRIKAM}"
        ))
        .await;
    assert_eq!(
        body["items"].as_array().map(Vec::len),
        Some(2),
        "unknown uuids skipped"
    );

    let (_, body) = api
        .get(&format!("/api/2/tenants?subtree_root_id={WINGTIP}"))
        .await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn stale_quota_version_gets_426_and_edits_move_the_version() {
    let api = Api::demo().await;
    let path = format!("/api/2/tenants/{CONTOSO}/offering_items");
    let item = api.item(CONTOSO, "pw_base_workstations", None).await;
    let version = item["quota"]["version"].as_i64().expect("version");
    assert!(
        version > 1_000_000_000_000,
        "edited quotas carry an ms-epoch-like version"
    );

    let stale = json!({"offering_items": [{"name": "pw_base_workstations", "status": 1,
                      "quota": {"value": 20, "overage": 0, "version": 0}}]});
    let (status, body) = api.put(&path, stale).await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED);
    assert_envelope(&body, 426);

    let fresh = json!({"offering_items": [{"name": "pw_base_workstations", "status": 1,
                      "quota": {"value": 20, "overage": 0, "version": version}}]});
    let (status, body) = api.put(&path, fresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let updated = &body["items"][0];
    assert_eq!(updated["quota"]["value"], 20);
    let new_version = updated["quota"]["version"].as_i64().expect("version");
    assert!(new_version > version);

    let unlimited = json!({"offering_items": [{"name": "pw_base_workstations",
                          "quota": {"value": null, "overage": 5, "version": new_version}}]});
    let (_, body) = api.put(&path, unlimited).await;
    assert_eq!(
        body["items"][0]["quota"],
        json!({"value": null, "overage": null, "version": 0})
    );

    let (status, body) = api
        .put(
            &path,
            json!({"offering_items": [{"name": "pw_base_nonexistent", "status": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 1021);
}

#[tokio::test]
async fn items_with_usage_cannot_be_turned_off() {
    let api = Api::demo().await;
    let path = format!("/api/2/tenants/{CONTOSO}/offering_items");
    let off = |name: &str, infra: Option<&str>| json!({"offering_items": [{"name": name, "infra_id": infra, "status": 0}]});
    let (status, body) = api
        .put(&path, off("pw_base_storage", Some(ACRONIS_STORAGE)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 1009);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("pw_base_storage")
    );

    let (status, body) = api.put(&path, off("pw_base_servers", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 1027);

    let (status, body) = api.put(&path, off("pw_base_mobiles", None)).await;
    assert_eq!(status, StatusCode::OK, "no usage: {body}");
    assert_eq!(body["items"][0]["status"], 0);

    api.sim
        .set_usage(CONTOSO, json!({"name": "pw_base_servers", "value": 0}));
    assert_eq!(
        api.put(&path, off("pw_base_servers", None)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn offering_item_edition_filter_and_provisioning_a_new_customer() {
    let api = Api::demo().await;
    let (_, default) = api
        .get(&format!("/api/2/tenants/{CONTOSO}/offering_items"))
        .await;
    let editions: Vec<Value> = default["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["edition"].clone())
        .collect();
    assert!(
        editions.iter().all(|e| e.is_null() || *e == "standard"),
        "{editions:?}"
    );
    let (_, pw) = api
        .get(&format!(
            "/api/2/tenants/{CONTOSO}/offering_items?edition=pck_per_workload"
        ))
        .await;
    let pw_items = pw["items"].as_array().expect("items");
    assert!(
        pw_items
            .iter()
            .any(|i| i["name"] == "pw_base_storage" && i["type"] == "infra")
    );
    assert!(pw_items.iter().any(|i| i["name"] == "local_storage"));

    let (_, created) = api
        .post(
            "/api/2/tenants",
            json!({"name": "Blue Yonder Airlines", "kind": "customer", "parent_id": PARTNER}),
        )
        .await;
    let id = created["id"].as_str().expect("id");
    let (_, available) = api
        .get(&format!(
            "/api/2/tenants/{PARTNER}/offering_items/available_for_child?kind=customer&edition=*"
        ))
        .await;
    let grant: Vec<Value> = available["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["name"] == "pw_base_workstations" || i["name"] == "pw_base_storage")
        .map(|i| {
            let mut i = i.clone();
            i["status"] = json!(1);
            i
        })
        .collect();
    assert_eq!(
        grant.len(),
        3,
        "workstations + storage per partner storage (2)"
    );
    let (status, body) = api
        .put(
            &format!("/api/2/tenants/{id}/offering_items"),
            json!({"offering_items": grant}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let on: Vec<Value> = api
        .sim
        .offering_items(id)
        .into_iter()
        .filter(|i| i["status"] == 1)
        .collect();
    assert_eq!(on.len(), 3);
    let (_, infra) = api.get(&format!("/api/2/tenants/{id}/infra")).await;
    assert_eq!(infra["infras"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn storages_show_their_backend_type() {
    let api = Api::demo().await;
    let (_, infra) = api.get(&format!("/api/2/tenants/{FABRIKAM}/infra")).await;
    let ids: Vec<&str> = infra["infras"]
        .as_array()
        .expect("infras")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ids, vec![ACRONIS_STORAGE, AZURE_STORAGE]);
    let (_, storages) = api
        .get(&format!("/api/2/infra?uuids={}", ids.join(",")))
        .await;
    let backends: Vec<&str> = storages["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["backend_type"].as_str())
        .collect();
    assert_eq!(backends, vec!["acronis", "azure"]);

    let s3 = api.sim.add_storage(
        CONTOSO,
        json!({"name": "Amazon S3 (eu-west-1)", "backend_type": "s3"}),
    );
    let (_, infra) = api.get(&format!("/api/2/tenants/{CONTOSO}/infra")).await;
    assert!(
        infra["infras"]
            .as_array()
            .expect("infras")
            .iter()
            .any(|i| *i == s3)
    );
    let (_, storage) = api.get(&format!("/api/2/infra/{s3}")).await;
    assert_eq!(storage["backend_type"], "s3");
}

#[tokio::test]
async fn usages_come_batched_with_limits_and_filters() {
    let api = Api::demo().await;
    let (status, body) = api
        .get(&format!(
            "/api/2/tenants/usages?tenants={CONTOSO},{FABRIKAM}&usage_names=storage,geo_storage"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let fabrikam = items
        .iter()
        .find(|i| i["tenant"] == FABRIKAM)
        .expect("fabrikam");
    let usages = fabrikam["usages"].as_array().expect("usages");
    assert_eq!(usages.len(), 3, "two storages + geo copy: {usages:?}");
    let azure = usages
        .iter()
        .find(|u| u["infra_id"] == AZURE_STORAGE)
        .expect("azure usage");
    assert_eq!(azure["absolute_value"], 1_099_511_627_776_i64);
    assert_eq!(azure["measurement_unit"], "bytes");
    assert_eq!(azure["offering_item"]["status"], 1);
    let range_start = azure["range_start"].as_str().expect("range_start");
    assert!(range_start.ends_with("-01T00:00:00Z"), "{range_start}");

    let many: Vec<String> = (0..101)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let (status, body) = api
        .get(&format!("/api/2/tenants/usages?tenants={}", many.join(",")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 400);

    api.sim.core().clock.advance(Duration::from_secs(3600));
    api.sim
        .set_usage(CONTOSO, json!({"name": "pw_base_workstations", "value": 9}));
    let (_, body) = api.get(&format!("/api/2/tenants/{CONTOSO}/usages")).await;
    let ws = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["name"] == "pw_base_workstations")
        .cloned()
        .expect("workstations");
    assert_eq!(ws["value"], 9);
    let storage = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["name"] == "pw_base_storage")
        .cloned()
        .expect("storage");
    assert!(
        ws["updated_at"].as_str() > storage["updated_at"].as_str(),
        "fresh vs stale stamp"
    );
}

/// A fault can single out one tenant of a batched call by the query string.
#[tokio::test]
async fn a_fault_matching_the_query_fails_only_the_batches_naming_that_tenant() {
    let api = Api::demo().await;
    let (status, _) = api
        .post(
            "/_sim/faults",
            json!({"route": "/tenants/usages", "query": FABRIKAM.to_uppercase(),
                   "kind": "status", "status": 503}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let usages = |tenants: &str| format!("/api/2/tenants/usages?tenants={tenants}");

    let (status, body) = api.get(&usages(&format!("{CONTOSO},{NORTHWIND}"))).await;
    assert_eq!(status, StatusCode::OK, "a batch without the tenant: {body}");
    let (status, _) = api.get(&usages(&format!("{CONTOSO},{FABRIKAM}"))).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the tenant in the batch"
    );
    let (status, _) = api.get(&usages(&format!("{NORTHWIND}%2C{FABRIKAM}"))).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "an encoded comma is decoded before matching"
    );
    // The same tenant on another route, or the route without a query, is served.
    let (status, _) = api.get(&format!("/api/2/tenants/{FABRIKAM}/usages")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.get(&format!("/api/2/tenants?uuids={FABRIKAM}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.get("/api/2/tenants/usages").await;
    assert_ne!(status, StatusCode::SERVICE_UNAVAILABLE, "no query string");

    let (status, _) = api.delete("/_sim/faults").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get(&usages(FABRIKAM)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn page_all(api: &Api, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = first.to_string();
    loop {
        let (status, body) = api.get(&next).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        items.extend(body["items"].as_array().expect("items").iter().cloned());
        match body["paging"]["cursors"]["after"].as_str() {
            Some(after) => {
                next = format!(
                    "/api/alert_manager/v1/alerts?limit=2&after={}",
                    urlencode(after)
                )
            }
            None => return (items, pages),
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ns(rfc3339: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().expect("timestamp"))
        .expect("RFC3339")
        .timestamp_nanos_opt()
        .expect("in range")
}

#[tokio::test]
async fn alerts_page_with_cursors_filter_by_update_time_and_dismiss() {
    let api = Api::demo().await;
    for n in 0..3 {
        api.sim.fire_alert(
            json!({"type": "BackupFailed", "severity": "error", "tenant_id": CONTOSO,
                                  "details": {"resourceName": format!("CONTOSO-PC{n}")}}),
        );
    }
    // 5 seeded visible + 3 fired = 8 → 4 pages of 2.
    let (items, pages) = page_all(
        &api,
        "/api/alert_manager/v1/alerts?limit=2&order=asc(updated_at)",
    )
    .await;
    assert_eq!(items.len(), 8);
    assert_eq!(pages, 4);
    let stamps: Vec<i64> = items.iter().map(|a| ns(&a["updatedAt"])).collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "ascending by updatedAt"
    );
    let a = &items[0];
    assert!(
        a["tenant"]["uuid"].is_string()
            && a["tenant"]["locator"]
                .as_str()
                .is_some_and(|l| l.starts_with("/1/"))
    );
    assert_eq!(
        a["createdAt"]
            .as_str()
            .map(|s| s.split('.').nth(1).map(str::len)),
        Some(Some(10)),
        "ns + Z"
    );

    let mark = stamps[6];
    let (_, newer) = api
        .get(&format!(
            "/api/alert_manager/v1/alerts?updated_at=gt({mark})"
        ))
        .await;
    assert_eq!(newer["items"].as_array().map(Vec::len), Some(1));
    assert!(newer["paging"]["cursors"].get("after").is_none());

    let id = items[0]["id"].as_str().expect("id").to_string();
    let (status, _) = api
        .delete(&format!("/api/alert_manager/v1/alerts/{id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, visible) = api.get("/api/alert_manager/v1/alerts").await;
    assert!(
        visible["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|a| a["id"] != id.as_str())
    );
    let (_, changed) = api
        .get(&format!(
            "/api/alert_manager/v1/alerts?show_deleted=true&updated_at=gt({})",
            stamps[7]
        ))
        .await;
    let dismissed = &changed["items"][0];
    assert_eq!(dismissed["id"], id.as_str());
    assert!(dismissed["deletedAt"].is_string());

    // A repeat of the alert brings it back.
    api.sim.fire_alert(
        json!({"id": id, "type": "BackupFailed", "severity": "critical", "tenant_id": CONTOSO}),
    );
    let (_, again) = api.get(&format!("/api/alert_manager/v1/alerts/{id}")).await;
    assert!(again.get("deletedAt").is_none());
    assert_eq!(again["severity"], "critical");
    assert!(ns(&again["updatedAt"]) > ns(&dismissed["updatedAt"]));
}

#[tokio::test]
async fn alert_filters_by_severity_type_and_tenant() {
    let api = Api::demo().await;
    let count = |body: &Value| body["items"].as_array().map_or(0, Vec::len);
    let (_, errors) = api
        .get("/api/alert_manager/v1/alerts?severity=gt(warning)")
        .await;
    assert_eq!(
        count(&errors),
        3,
        "Contoso's and Proseware's BackupFailed and Northwind's malware (Litware's error is dismissed)"
    );
    let (_, typed) = api
        .get("/api/alert_manager/v1/alerts?type=NoBackupForXDays")
        .await;
    assert_eq!(count(&typed), 1);
    let (_, tenants) = api
        .get(&format!(
            "/api/alert_manager/v1/alerts?tenant=or({CONTOSO},{FABRIKAM})"
        ))
        .await;
    assert_eq!(count(&tenants), 2);
    let (_, all) = api
        .get("/api/alert_manager/v1/alerts?show_deleted=true")
        .await;
    assert_eq!(count(&all), 6);
    let (status, body) = api
        .get("/api/alert_manager/v1/alerts?updated_at=gt(yesterday)")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 400);
    let (_, types) = api.get("/api/alert_manager/v1/types").await;
    assert!(
        types["items"]
            .as_array()
            .expect("types")
            .iter()
            .any(|t| t["id"] == "M365ApplicationConsentRequired")
    );
    let (status, created) = api
        .post(
            "/api/alert_manager/v1/alerts",
            json!({"type": "BackupFailed", "tenantID": FABRIKAM, "details": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(created["id"].is_string());
}

#[tokio::test]
async fn trial_switches_to_production_after_a_full_month_or_by_request() {
    let mut api = Api::demo().await;
    let (_, t) = api
        .post(
            "/api/2/tenants",
            json!({"name": "Trey Research", "kind": "customer", "parent_id": PARTNER}),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_string();
    let (_, pricing) = api.get(&format!("/api/2/tenants/{id}/pricing")).await;
    assert_eq!(pricing["mode"], "trial");
    api.sim
        .core()
        .clock
        .advance(Duration::from_secs(27 * 86400));
    api.renew().await;
    assert_eq!(
        api.get(&format!("/api/2/tenants/{id}")).await.1["pricing_mode"],
        "trial"
    );
    // Two calendar months later at most, the trial is over.
    api.sim
        .core()
        .clock
        .advance(Duration::from_secs(35 * 86400));
    api.renew().await;
    let (_, t) = api.get(&format!("/api/2/tenants/{id}")).await;
    assert_eq!(t["pricing_mode"], "production");

    let tailspin = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e13";
    api.sim
        .set_tenant_fields(tailspin, json!({"pricing_mode": "trial"}));
    let (_, p) = api.get(&format!("/api/2/tenants/{tailspin}/pricing")).await;
    let (status, p2) = api
        .put(
            &format!("/api/2/tenants/{tailspin}/pricing"),
            json!({"mode": "production", "version": p["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p2}");
    assert_eq!(p2["mode"], "production");
    let (status, body) = api
        .put(
            &format!("/api/2/tenants/{tailspin}/pricing"),
            json!({"mode": "trial", "version": p2["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "one way: {body}");
}

#[tokio::test]
async fn users_are_created_once_and_get_activation_mail() {
    let api = Api::demo().await;
    let (status, _) = api
        .get("/api/2/users/check_login?username=contoso-admin")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        api.get("/api/2/users/check_login?username=new-admin")
            .await
            .0,
        StatusCode::NO_CONTENT
    );

    let body = json!({"tenant_id": FABRIKAM, "login": "new-admin",
                      "contact": {"email": "new-admin@fabrikam.example", "firstname": "Pat"}});
    let (status, user) = api.post("/api/2/users", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["activated"], false);
    let (status, err) = api.post("/api/2/users", body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_envelope(&err, 409);

    let id = user["id"].as_str().expect("id");
    let (status, _) = api
        .post(
            &format!("/api/2/users/{id}/send-activation-email"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mails = api.sim.activation_emails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["email"], "new-admin@fabrikam.example");
    assert_eq!(mails[0]["tenant_id"], FABRIKAM);

    let (status, policies) = api
        .put(&format!("/api/2/users/{id}/access_policies"),
             json!({"items": [{"role_id": "company_admin", "tenant_id": FABRIKAM, "trustee_type": "user"}]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(policies["items"][0]["trustee_id"], id);
    let (_, users) = api.get(&format!("/api/2/tenants/{FABRIKAM}/users")).await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn search_matches_token_prefixes_and_skips_self_service_contents() {
    let api = Api::demo().await;
    let (status, body) = api
        .get(&format!("/api/2/search?tenant={PARTNER}&text=ab"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_envelope(&body, 400);
    let (_, body) = api
        .get(&format!("/api/2/search?tenant={PARTNER}&text=conto"))
        .await;
    let hits = body["items"].as_array().expect("items");
    assert!(
        hits.iter()
            .any(|h| h["obj_type"] == "tenant" && h["id"] == CONTOSO)
    );
    assert!(
        hits.iter()
            .any(|h| h["obj_type"] == "user" && h["login"] == "contoso-admin")
    );
    let (_, body) = api
        .get(&format!(
            "/api/2/search?tenant={PARTNER}&text=adventure work"
        ))
        .await;
    assert_eq!(
        body["items"][0]["path"],
        json!(["Key Accounts", "Adventure Works"])
    );
}

#[tokio::test]
async fn errors_use_the_account_server_envelope() {
    let api = Api::demo().await;
    let (status, body) = api
        .get("/api/2/tenants/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_envelope(&body, 1005);
    assert_eq!(body["error"]["domain"], "PlatformAccountServer");
    let resp = api
        .http
        .post(format!("{}/api/2/tenants", api.sim.base_url()))
        .bearer_auth(&api.token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_envelope(&resp.json::<Value>().await.expect("json"), 415);
    let (status, body) = api.get("/api/alert_manager/v1/alerts/NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["domain"], "AlertManager");
}

#[tokio::test]
async fn request_log_classifies_calls() {
    let api = Api::demo().await;
    api.get(&format!("/api/2/tenants/{CONTOSO}/offering_items"))
        .await;
    api.get(&format!("/api/2/tenants/usages?tenants={CONTOSO}"))
        .await;
    api.get("/api/alert_manager/v1/alerts").await;
    let log = &api.sim.core().log;
    assert_eq!(log.count(Some("token"), Some("create")), 1);
    assert_eq!(log.count(Some("offering_items"), Some("get")), 1);
    assert_eq!(log.count(Some("usages"), Some("get")), 1);
    assert_eq!(log.count(Some("alerts"), Some("list")), 1);
}

#[tokio::test]
async fn generated_scenario_is_large_fast_and_consistent() {
    let started = std::time::Instant::now();
    let seed = Seed::generate(10_000);
    let api = Api::start(seed).await;
    // Generous for unoptimised test builds; a release build takes a fraction of this.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(api.sim.tenants().len(), 10_001);
    let first = &acronis::generated_customer_id(1);
    let t = api.sim.tenant(first).expect("first company");
    assert_eq!(t["parent_id"], acronis::GENERATED_PARTNER_ID);
    assert_eq!(t["name"], "Company 00001");
    assert_eq!(t["customer_id"], acronis::generated_company_id(1));
    let (_, body) = api.get(&format!("/api/2/tenants/{first}/usages")).await;
    assert!(
        body["items"]
            .as_array()
            .expect("usages")
            .iter()
            .any(|u| u["name"] == "pw_base_storage"
                && u["infra_id"] == acronis::GENERATED_STORAGE_ID)
    );
    assert_eq!(Seed::generate(3).tenants.len(), 4);
    assert_eq!(
        serde_json::to_string(&Seed::generate(5)).expect("json"),
        serde_json::to_string(&Seed::generate(5)).expect("json"),
        "deterministic"
    );
}

#[tokio::test]
async fn control_routes_act_like_the_console() {
    let api = Api::demo().await;
    let base = api.sim.base_url();
    let ctl = |m: Method, p: &str| api.http.request(m, format!("{base}/_sim/acronis{p}"));

    let fired: Value = ctl(Method::POST, "/alerts")
        .json(&json!({"type": "AgentAutoUpdateFailed", "tenant_id": FABRIKAM}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = fired["id"].as_str().expect("id");
    assert_eq!(
        api.get(&format!("/api/alert_manager/v1/alerts/{id}"))
            .await
            .1["severity"],
        "warning"
    );
    let resp = ctl(Method::DELETE, &format!("/alerts/{id}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(
        api.get(&format!("/api/alert_manager/v1/alerts/{id}"))
            .await
            .1["deletedAt"]
            .is_string()
    );

    let resp = ctl(Method::PUT, &format!("/tenants/{FABRIKAM}/usages"))
        .json(&json!({"name": "pw_base_storage_class2", "infra_id": AZURE_STORAGE, "value": 42}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let split = api
        .sim
        .usages(FABRIKAM)
        .into_iter()
        .find(|u| u["usage_name"] == "storage_class2")
        .expect("split usage");
    assert_eq!(
        (split["type"].as_str(), split["measurement_unit"].as_str()),
        (Some("infra"), Some("bytes"))
    );

    let resp = ctl(Method::PATCH, &format!("/tenants/{FABRIKAM}"))
        .json(&json!({"ancestral_access": "false"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        api.get(&format!("/api/2/tenants/{FABRIKAM}")).await.1["ancestral_access"],
        false
    );
    let resp = ctl(
        Method::PATCH,
        "/tenants/00000000-0000-0000-0000-000000000000",
    )
    .json(&json!({"enabled": false}))
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let added: Value = ctl(Method::POST, &format!("/tenants/{CONTOSO}/storages"))
        .json(&json!({"name": "Wasabi", "backend_type": "s3_compatible"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let sid = added["id"].as_str().expect("id");
    let items: Value = ctl(Method::GET, &format!("/tenants/{CONTOSO}/offering_items"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(
        items["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["infra_id"] == sid && i["status"] == 1)
    );
    // The partner got it too, so the customer's item stays available from the parent.
    assert!(
        api.sim
            .offering_items(PARTNER)
            .iter()
            .any(|i| i["infra_id"] == sid)
    );

    let mails: Value = ctl(Method::GET, "/activation_emails")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(mails["items"], json!([]));
    assert_eq!(
        api.sim.core().log.count(None, None),
        4,
        "token + three API reads; control routes are not logged"
    );
}

#[tokio::test]
async fn applications_have_stable_ids_and_bindings() {
    let api = Api::demo().await;
    let (_, apps) = api.get("/api/2/applications").await;
    assert!(
        apps["items"]
            .as_array()
            .expect("apps")
            .iter()
            .any(|a| a["id"] == acronis::BACKUP_APP && a["type"] == "backup")
    );
    let (_, bound) = api
        .get(&format!("/api/2/tenants/{CONTOSO}/applications"))
        .await;
    assert!(
        bound["items"]
            .as_array()
            .expect("ids")
            .iter()
            .any(|a| *a == acronis::BACKUP_APP)
    );
    let fss = "dfd85a5f-a464-32ab-81fd-99bcc66a070f";
    let (status, _) = api
        .post(
            &format!("/api/2/applications/{fss}/bindings/tenants/{CONTOSO}"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, bound) = api
        .get(&format!("/api/2/tenants/{CONTOSO}/applications"))
        .await;
    assert!(
        bound["items"]
            .as_array()
            .expect("ids")
            .iter()
            .any(|a| *a == fss)
    );
}

#[tokio::test]
async fn demo_alerts_name_their_tenant_in_both_shapes_and_use_cti_types() {
    let api = Api::demo().await;
    let (_, all) = api
        .get("/api/alert_manager/v1/alerts?show_deleted=true")
        .await;
    let items = all["items"].as_array().expect("items");
    let legacy = items
        .iter()
        .find(|a| a["id"] == "4B1C2D3E-0001-4F5A-9B6C-7D8E9F0A1B01")
        .expect("Contoso's alert");
    assert_eq!(legacy["tenant"]["uuid"], CONTOSO);
    assert!(
        legacy["tenant"]["id"]
            .as_str()
            .is_some_and(|id| id.parse::<u64>().is_ok())
    );
    let malware = items
        .iter()
        .find(|a| a["id"] == "4B1C2D3E-0005-4F5A-9B6C-7D8E9F0A1B05")
        .expect("Northwind's malware alert");
    assert_eq!(malware["tenant"]["id"], NORTHWIND);
    assert!(malware["tenant"].get("uuid").is_none());
    assert_eq!(
        malware["tenant"]["locator"],
        format!("/{}/{PARTNER}/{NORTHWIND}/", acronis::ROOT_ID)
    );
    assert_eq!(malware["type"], acronis::CTI_MALWARE);
    assert_eq!(malware["details"]["fields"]["Action"], "Quarantined");
    let proseware = items
        .iter()
        .find(|a| a["id"] == "4B1C2D3E-0006-4F5A-9B6C-7D8E9F0A1B06")
        .expect("Proseware's alert");
    assert_eq!(
        proseware["tenant"]["locator"],
        format!(
            "/{}/{PARTNER}/{WINGTIP}/3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e32/",
            acronis::ROOT_ID
        ),
        "a customer of a sub-partner: every ancestor"
    );

    let (_, by_type) = api
        .get(&format!(
            "/api/alert_manager/v1/alerts?type={}",
            urlencode(acronis::CTI_MALWARE)
        ))
        .await;
    assert_eq!(by_type["items"].as_array().map(Vec::len), Some(1));
    let (_, types) = api.get("/api/alert_manager/v1/types").await;
    let ids: Vec<&str> = types["items"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(ids.contains(&"BackupFailed") && ids.contains(&acronis::CTI_MALWARE));
    assert!(ids.contains(&acronis::CTI_LICENSE));
    let (status, one) = api
        .get(&format!(
            "/api/alert_manager/v1/types/{}",
            urlencode(acronis::CTI_MALWARE)
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        one["category"]
            .as_str()
            .is_some_and(|c| c.starts_with("cti."))
    );
}

#[tokio::test]
async fn time_filters_refuse_values_that_are_not_nanoseconds() {
    let api = Api::demo().await;
    for small in ["1705300000", "1705300000000", "1705300000000000"] {
        let (status, body) = api
            .get(&format!(
                "/api/alert_manager/v1/alerts?updated_at=gt({small})"
            ))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{small}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("nanoseconds")),
            "{body}"
        );
    }
    let (status, body) = api
        .get("/api/alert_manager/v1/alerts?updated_at=gt(0)")
        .await;
    assert_eq!(status, StatusCode::OK, "zero means everything");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(5));
    let (status, _) = api
        .get("/api/alert_manager/v1/alerts?created_at=lt(1705300000000000000)")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn repeats_bursts_and_shapes_through_the_control_api() {
    let api = Api::demo().await;
    let base = api.sim.base_url();
    let ctl = |m: Method, p: &str| api.http.request(m, format!("{base}/_sim/acronis{p}"));

    let first = api
        .sim
        .alert("4B1C2D3E-0002-4F5A-9B6C-7D8E9F0A1B02")
        .expect("seeded");
    assert_eq!(
        api.sim
            .alert_occurrences("4B1C2D3E-0002-4F5A-9B6C-7D8E9F0A1B02"),
        Some(1)
    );
    api.sim.repeat_alert("4B1C2D3E-0002-4F5A-9B6C-7D8E9F0A1B02");
    let again = api
        .sim
        .alert("4B1C2D3E-0002-4F5A-9B6C-7D8E9F0A1B02")
        .expect("still there");
    assert_eq!(
        api.sim
            .alert_occurrences("4B1C2D3E-0002-4F5A-9B6C-7D8E9F0A1B02"),
        Some(2)
    );
    assert!(ns(&again["updatedAt"]) > ns(&first["updatedAt"]));
    assert_eq!(
        again["createdAt"], first["createdAt"],
        "a repeat keeps its history"
    );
    assert_eq!(again["details"], first["details"], "and its content");
    assert_eq!(again["type"], "NoBackupForXDays");

    let resp = ctl(Method::POST, "/alerts/burst")
        .json(
            &json!({"count": 25, "tenant_id": FABRIKAM, "tenant_shape": "uuid",
                      "type": acronis::CTI_LICENSE}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    let ids = body["ids"].as_array().expect("ids");
    assert_eq!(ids.len(), 25);
    let one = api.sim.alert(ids[0].as_str().expect("id")).expect("fired");
    assert_eq!(one["tenant"]["id"], FABRIKAM);
    assert_eq!(one["severity"], "warning", "the type's default");
    assert_eq!(one["details"]["resourceName"], "BURST-00001");
    let (_, fab) = api
        .get(&format!(
            "/api/alert_manager/v1/alerts?tenant={FABRIKAM}&limit=1000"
        ))
        .await;
    assert_eq!(fab["items"].as_array().map(Vec::len), Some(26));

    let ids = api.sim.fire_alerts(3, NORTHWIND);
    assert_eq!(ids.len(), 3);
    let numeric = api.sim.fire_alert(
        json!({"type": "BackupFailed", "tenant_id": NORTHWIND, "tenant_shape": "numeric"}),
    );
    let numeric = api.sim.alert(&numeric).expect("fired");
    assert!(numeric["tenant"].get("uuid").is_none());
    assert!(
        numeric["tenant"]["locator"]
            .as_str()
            .is_some_and(|l| l.starts_with("/1/") && !l.contains('-'))
    );

    let resp = ctl(Method::POST, "/alerts/burst")
        .json(&json!({"tenant_id": FABRIKAM}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "count is required");
    let resp = ctl(Method::POST, "/alerts")
        .json(&json!({"type": "BackupFailed", "tenant_id": FABRIKAM, "tenant_shape": "round"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn generated_scenario_alerts_cover_both_tenant_shapes() {
    let alerts = acronis::generated_alerts(250);
    assert_eq!(alerts.len(), 6, "customers 1, 2, 101, 102, 201, 202");
    assert_eq!(alerts[0]["tenant_shape"], "legacy");
    assert_eq!(alerts[1]["tenant_shape"], "uuid");
    assert_eq!(alerts[1]["type"], acronis::CTI_MALWARE);
    assert_eq!(Seed::generate(2).alerts.len(), 2);
    assert!(Seed::generate(0).alerts.is_empty());
}
