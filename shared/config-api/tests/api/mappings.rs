//! Service, alert and customer mappings, accounts and the deletion forecast, through
//! HTTP against both simulators and the SQLite store.

use crate::common;

use acronis::{TenantCreate, TenantKind};
use axum::http::{Method, StatusCode};
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
use chrono::{Duration, Utc};
use common::{Env, whole};
use serde_json::{Value, json};
use simulators::acronis::TenantSeed;
use simulators::scenario::Scenario;

const CONTOSO: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
const NORTHWIND_SELF_SERVICE: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e12";
const TAILSPIN: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e13";
const FOLDER: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e20";
const MSP: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e01";
/// A partner under the MSP, and one of its customers.
const WINGTIP_RESELLER: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e30";
const LITWARE: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e31";
/// A partner beside the MSP, under the platform root (added to the demo scenario).
const OTHER_MSP: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e90";
const RECURRING_ALLOCATION_CODE: i64 = 29682801;

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn connected() -> Env {
    let env = Env::sqlite().await;
    env.connect().await;
    env
}

fn services_named(env: &Env, name: &str) -> Vec<Value> {
    env.autotask
        .records("Services")
        .into_iter()
        .filter(|s| s["name"] == name)
        .collect()
}

// --- service mappings ---------------------------------------------------------------

#[tokio::test]
async fn service_mappings_show_the_guides_groups() {
    let env = Env::sqlite().await;
    let (status, body) = env.get("/service-mappings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 0);
    let groups: Vec<&str> = body["catalog"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["group"].as_str().expect("key"))
        .collect();
    assert_eq!(
        groups,
        [
            "standard_protection",
            "microsoft_365",
            "google_workspace",
            "advanced_packs",
            "advanced_disaster_recovery",
            "storage"
        ]
    );
    let first = &body["catalog"]["groups"][0]["items"][0];
    assert_eq!(first["offering_item"], "pw_base_workstations");
    assert_eq!(first["included_features"], true);
    assert_eq!(
        body["catalog"]["public_cloud_vendors"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(body["service_mappings"], json!([]));
}

#[tokio::test]
async fn create_rows_become_autotask_services_once() {
    let env = connected().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "features": {"allocation_code": RECURRING_ALLOCATION_CODE, "period_type": "monthly"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mapping = json!({
        "version": 1,
        "service_mappings": [
            {"offering_item": "pw_base_workstations", "service": {"id": 501}, "free": false},
            {"offering_item": "pw_base_mobiles", "service": {"create": "Acronis Mobile devices"}, "free": true}
        ],
        "storage_mappings": [
            {"infra_id": "9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60", "location": "EU Cloud",
             "quota_and_total": {"id": 506}, "class1_free": {"id": 507}, "class2_billed": {"id": 508}}
        ],
        "public_cloud_mappings": {"microsoft_azure": {"id": 509}}
    });
    let (status, body) = env.put("/service-mappings", mapping.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = services_named(&env, "Acronis Mobile devices");
    assert_eq!(created.len(), 1);
    let new_id = created[0]["id"].as_i64().expect("id");
    assert_eq!(created[0]["billingCodeID"], RECURRING_ALLOCATION_CODE);
    assert_eq!(
        created[0]["periodType"], 1,
        "Monthly in the simulator's picklist"
    );
    assert_eq!(created[0]["unitPrice"].as_f64(), Some(0.0));
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["service_mappings"][1]["service"],
        json!({"id": new_id})
    );
    assert_eq!(
        body["storage_mappings"][0]["class2_billed"],
        json!({"id": 508})
    );
    assert_eq!(env.audit("service.created").await.len(), 1);
    assert_eq!(env.audit("service_mappings.updated").await.len(), 1);

    // Sent again (a retry after a lost answer): the existing service is reused.
    let mut again = mapping;
    again["version"] = json!(2);
    let (status, body) = env.put("/service-mappings", again).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(services_named(&env, "Acronis Mobile devices").len(), 1);
    assert_eq!(
        body["service_mappings"][1]["service"],
        json!({"id": new_id})
    );

    // The other settings were left as they were.
    let (_, settings) = env.get("/settings").await;
    assert_eq!(
        settings["features"]["allocation_code"],
        RECURRING_ALLOCATION_CODE
    );
}

#[tokio::test]
async fn unknown_items_and_services_answer_400_and_write_nothing() {
    let env = connected().await;
    let (status, body) = env
        .put(
            "/service-mappings",
            json!({"version": 0, "service_mappings": [
                {"offering_item": "pw_base_workstations", "service": {"id": 999999}},
                {"offering_item": "pw_base_servers", "service": {"id": 502}}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(fields(&body), ["service_mappings[0].service.id"]);

    let (status, body) = env
        .put(
            "/service-mappings",
            json!({"version": 0, "service_mappings": [{"offering_item": "pw_base_teleporters"}],
                   "features": {"billing": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let f = fields(&body);
    assert!(
        f.contains(&"service_mappings[0].offering_item".to_owned()),
        "{f:?}"
    );
    assert!(
        f.contains(&"features".to_owned()),
        "other sections are refused: {f:?}"
    );

    let (status, body) = env
        .put(
            "/service-mappings",
            json!({"version": 0, "service_mappings": [
                {"offering_item": "pw_base_servers", "service": {"create": "Acronis Servers 2"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        fields(&body),
        ["features.allocation_code", "features.period_type"]
    );
    assert!(services_named(&env, "Acronis Servers 2").is_empty());
    assert_eq!(env.version().await, 0);
}

// --- alert mappings -------------------------------------------------------------------

#[tokio::test]
async fn alert_mappings_offer_types_and_picklists_and_check_them() {
    let env = connected().await;
    let (status, body) = env.get("/alert-mappings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let types = body["alert_types"].as_array().expect("types");
    assert!(types.contains(&json!("BackupFailed")), "{types:?}");
    let priorities = body["picklists"]["priority"].as_array().expect("priority");
    assert!(priorities.contains(&json!({"value": 1, "label": "High"})));
    assert!(
        !priorities.iter().any(|p| p["value"] == 6),
        "inactive values are not offered"
    );

    let good = json!({"alert_type": "BackupFailed", "priority": 1, "status": 1, "queue": 29683354,
                      "issue_type": 10, "sub_issue_type": 101, "ticket_type": 1});
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 0, "alert_mappings": [good.clone()]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["alert_mappings"][0]["queue"], 29683354);

    let bad = json!({"version": 1, "alert_mappings": [
        good,
        {"alert_type": "NoBackupForXDays", "priority": 6, "status": 1, "issue_type": 10, "sub_issue_type": 111},
        {"alert_type": "TeleporterJammed", "priority": 1, "status": 1}
    ]});
    let (status, body) = env.put("/alert-mappings", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let f = fields(&body);
    for expected in [
        "alert_mappings[1].priority",
        "alert_mappings[1].sub_issue_type",
        "alert_mappings[2].alert_type",
    ] {
        assert!(
            f.contains(&expected.to_owned()),
            "{expected} missing from {f:?}"
        );
    }
    assert_eq!(env.version().await, 1);
}

#[tokio::test]
async fn alert_mappings_read_without_credentials_say_what_is_missing() {
    let env = Env::sqlite().await;
    let (status, body) = env.get("/alert-mappings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["alert_types"], Value::Null);
    assert_eq!(
        body["unavailable"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    let (status, body) = env
        .put("/alert-mappings", json!({"version": 0, "alert_mappings": [{"alert_type": "BackupFailed", "priority": 1, "status": 1}]}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(env.version().await, 0);
}

// --- accounts and customer mappings ----------------------------------------------------

#[tokio::test]
async fn accounts_filter_page_and_show_mapping_state() {
    let env = connected().await;
    let (status, body) = env.get("/accounts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["company_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [174, 175, 176, 177, 178, 179, 180],
        "company 0 (the MSP) is not listed"
    );

    let (_, body) = env.get("/accounts?type=3").await;
    assert_eq!(body["items"][0]["company_name"], "Litware Prospects");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    let (_, body) = env.get("/accounts?search=Toys").await;
    assert_eq!(body["items"][0]["company_id"], 177);

    let (status, body) = env
        .put("/customer-mappings/175", json!({"tenant_id": CONTOSO}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = env.get("/accounts?mapped=mapped").await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1));
    let tenant = &body["items"][0]["mapping"]["tenant"];
    assert_eq!(tenant["name"], "Contoso Ltd");
    assert_eq!(tenant["self_service"], false);
    let (_, body) = env.get("/accounts?mapped=unmapped").await;
    assert!(
        !body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["company_id"] == 175)
    );

    // Paging: three at a time, no overlap, one Autotask listing for all pages.
    let queries = || env.autotask.core().log.count(Some("Companies"), None);
    let before = queries();
    let (_, first) = env.get("/accounts?limit=3").await;
    let token = first["next_page_token"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let (_, second) = env
        .get(&format!("/accounts?limit=3&page_token={token}"))
        .await;
    assert_eq!(first["items"][2]["company_id"], 176);
    assert_eq!(second["items"][0]["company_id"], 177);
    let token = second["next_page_token"].as_str().expect("more").to_owned();
    let (_, third) = env
        .get(&format!("/accounts?limit=3&page_token={token}"))
        .await;
    assert_eq!(third["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(third["next_page_token"], Value::Null);
    assert!(queries() - before <= 1, "pages come from one listing");

    let (status, body) = env.get("/accounts?mapped=some&limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fields(&body), ["mapped", "limit"]);
}

#[tokio::test]
async fn mapping_an_existing_tenant_guards_every_rule() {
    let env = connected().await;
    let (status, body) = env
        .put("/customer-mappings/175", json!({"tenant_id": CONTOSO}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["origin"], "manual");
    let audit = env.audit("mapping.created").await;
    assert_eq!(audit[0]["subject"], "company:175");
    assert_eq!(audit[0]["actor"], "local-operator");

    let (status, body) = env
        .put("/customer-mappings/176", json!({"tenant_id": CONTOSO}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["company_id"], 175);

    let (status, body) = env
        .put(
            "/customer-mappings/174",
            json!({"tenant_id": NORTHWIND_SELF_SERVICE}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["reason"], "self_service");

    env.acronis.set_tenant_fields(
        TAILSPIN,
        json!({"update_lock": {"enabled": true, "owner_id": TAILSPIN}}),
    );
    let (status, body) = env
        .put("/customer-mappings/177", json!({"tenant_id": TAILSPIN}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["reason"], "support_access_disabled");

    let (status, body) = env
        .put("/customer-mappings/176", json!({"tenant_id": FOLDER}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = env
        .put(
            "/customer-mappings/176",
            json!({"tenant_id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = env
        .put("/customer-mappings/99999", json!({"tenant_id": CONTOSO}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = env
        .put(
            "/customer-mappings/abc",
            json!({"tenant_id": CONTOSO, "x": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let mappings = env
        .store
        .list_mappings(100, None)
        .await
        .expect("list")
        .items;
    assert_eq!(mappings.len(), 1, "only the first mapping was written");
}

/// A mapping request with extra headers; answers the status, the `ETag` and the body.
async fn send_with(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, String)],
) -> (StatusCode, Option<String>, Value) {
    let mut request = common::request(method, path, body);
    for (name, value) in headers {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            axum::http::HeaderValue::from_str(value).expect("value"),
        );
    }
    let (status, answer, body) = common::send_for_headers(&env.app, request).await;
    let etag = answer
        .get(axum::http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, etag, body)
}

#[tokio::test]
async fn a_mapping_changed_since_it_was_read_is_not_overwritten() {
    let env = connected().await;
    let call = |method: Method, body: Option<Value>, headers: Vec<(&'static str, String)>| {
        let env = &env;
        async move { send_with(env, method, "/customer-mappings/175", body, &headers).await }
    };
    let put =
        |tenant: &str, headers| call(Method::PUT, Some(json!({"tenant_id": tenant})), headers);
    let delete = |headers| call(Method::DELETE, None, headers);
    let tag = |tenant: &str| format!("\"{tenant}\"");

    // "Only if not mapped": the first operator maps; the answer's ETag is the tenant.
    let (status, etag, body) = put(CONTOSO, vec![("if-none-match", "*".into())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(etag, Some(tag(CONTOSO)));
    let (status, _, body) = put(TAILSPIN, vec![("if-none-match", "*".into())]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains(CONTOSO),
        "{body}"
    );

    // Two operators read "Contoso"; one remaps to Tailspin, the other's remap on the
    // same read is refused, and the mapping stays Tailspin.
    let (status, etag, body) = put(TAILSPIN, vec![("if-match", tag(CONTOSO))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(etag, Some(tag(TAILSPIN)));
    assert_eq!(body["previous"]["tenant_id"], CONTOSO);
    let (status, _, body) = put(WINGTIP_RESELLER, vec![("if-match", tag(CONTOSO))]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    let stored = env
        .store
        .get_mapping_by_company(175)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(stored.tenant_id, TAILSPIN, "the stale remap wrote nothing");
    assert_eq!(env.audit("mapping.changed").await.len(), 1);

    // A new tenant on a stale read is refused before anything is created.
    let (status, _, body) = call(
        Method::PUT,
        Some(json!({"new_tenant": true})),
        vec![("if-match", tag(CONTOSO))],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");

    // Removal on a stale read is refused; on the current one it goes through.
    let (status, _, body) = delete(vec![("if-match", tag(CONTOSO))]).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    let (status, _, body) = delete(vec![("if-none-match", "*".into())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = delete(vec![("if-match", tag(TAILSPIN))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"]["tenant_id"], TAILSPIN);

    // Headers that say nothing usable are refused, naming the header.
    for headers in [
        vec![("if-match", "7".to_owned())],
        vec![("if-match", "\"not a tenant!\"".to_owned())],
        vec![("if-none-match", "\"x\"".to_owned())],
        vec![("if-match", tag(CONTOSO)), ("if-none-match", "*".into())],
    ] {
        let (status, _, body) = put(CONTOSO, headers.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{headers:?}: {body}");
        let named = fields(&body);
        assert!(
            named
                .iter()
                .any(|f| f == "If-Match" || f == "If-None-Match"),
            "{headers:?}: {body}"
        );
    }
    assert!(
        env.store
            .get_mapping_by_company(175)
            .await
            .expect("read")
            .is_none(),
        "nothing written by a refused request"
    );
}

#[tokio::test]
async fn a_sub_partner_is_mapped_with_its_kind_and_left_alone_by_the_push() {
    let env = connected().await;
    let (status, body) = env
        .put(
            "/customer-mappings/176",
            json!({"tenant_id": WINGTIP_RESELLER}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["tenant_kind"], "sub_partner", "{body}");
    assert_eq!(body["mapping"]["tenant_id"], WINGTIP_RESELLER);
    assert_eq!(body["previous"], Value::Null);
    let audit = env.audit("mapping.created").await;
    assert_eq!(audit[0]["subject"], "company:176");
    assert_eq!(audit[0]["after"]["tenant_kind"], "sub_partner");
    let stored = env
        .store
        .get_mapping_by_company(176)
        .await
        .expect("read")
        .expect("mapped");
    assert_eq!(stored.tenant_kind, MappedTenantKind::SubPartner);

    // A customer of the mapped sub-partner can still be mapped to a company of its own.
    let (status, body) = env
        .put("/customer-mappings/180", json!({"tenant_id": LITWARE}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["tenant_kind"], "customer");

    // A partner deeper in the tree, under a folder, is a sub-partner too.
    let acronis = env.ctx.acronis().await.expect("client");
    let deep = acronis
        .create_tenant(&TenantCreate::new(
            "Deep Reseller",
            TenantKind::Partner,
            FOLDER,
        ))
        .await
        .expect("partner under the folder")
        .id;
    let (status, body) = env
        .put("/customer-mappings/177", json!({"tenant_id": deep}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["tenant_kind"], "sub_partner");

    let (_, body) = env.get("/accounts?mapped=mapped").await;
    let kinds: Vec<(i64, &str)> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["company_id"].as_i64().expect("id"),
                i["mapping"]["tenant_kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (176, "sub_partner"),
            (177, "sub_partner"),
            (180, "customer")
        ]
    );

    let (status, body) = env.get("/plan?company=176").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan = &body["items"][0];
    assert_eq!(plan["tenant_kind"], "sub_partner");
    assert!(
        plan["skipped"]
            .as_str()
            .is_some_and(|s| s.starts_with("sub-partner tenant: usage is aggregated")),
        "{plan}"
    );
    assert_eq!(plan["changes"], json!([]));

    let (status, body) = env
        .call(Method::DELETE, "/customer-mappings/176", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"]["tenant_kind"], "sub_partner");
}

#[tokio::test]
async fn only_customers_and_partners_under_the_msp_can_be_mapped() {
    let mut scenario = Scenario::demo().expect("demo scenario");
    scenario.acronis.tenants.push(TenantSeed {
        id: OTHER_MSP.into(),
        name: "Other MSP".into(),
        kind: "partner".into(),
        ..TenantSeed::default()
    });
    let env = Env::sqlite_with(scenario).await;
    env.connect().await;
    let acronis = env.ctx.acronis().await.expect("client");
    let unit = acronis
        .create_tenant(&TenantCreate::new(
            "Contoso Finance",
            TenantKind::Unit,
            CONTOSO,
        ))
        .await
        .expect("unit")
        .id;
    let cases = [
        (FOLDER, "is a folder tenant"),
        (unit.as_str(), "is a unit tenant"),
        (MSP, "is the MSP's own partner tenant"),
        (OTHER_MSP, "is visible to the bridge's API client"),
    ];
    for (tenant, says) in cases {
        let (status, body) = env
            .put("/customer-mappings/176", json!({"tenant_id": tenant}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tenant}: {body}");
        assert_eq!(fields(&body), ["tenant_id"], "{tenant}: {body}");
        assert!(body.to_string().contains(says), "{tenant}: {body}");
    }
    assert!(
        env.store
            .list_mappings(100, None)
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(env.audit("mapping.created").await.is_empty());

    // A new tenant is always a customer tenant.
    let (status, body) = env
        .put("/customer-mappings/177", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["tenant_kind"], "customer");
}

#[tokio::test]
async fn a_new_tenant_is_created_once_and_a_mapping_can_be_removed() {
    let env = connected().await;
    let (status, body) = env
        .put("/customer-mappings/177", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tenant_id = body["mapping"]["tenant_id"]
        .as_str()
        .expect("tenant")
        .to_owned();
    let tenant = env.acronis.tenant(&tenant_id).expect("created in Acronis");
    assert_eq!(
        tenant["name"], "Tom Spinner",
        "named after the primary contact (default)"
    );
    assert_eq!(tenant["customer_id"], "177");
    assert_eq!(body["mapping"]["origin"], "manual");
    assert_eq!(env.audit("tenant.created").await.len(), 1);
    assert_eq!(env.audit("mapping.created").await.len(), 1);
    // The full provisioning: an admin user who got the activation email.
    let mails = env.acronis.activation_emails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["tenant_id"], tenant_id.as_str());
    assert_eq!(mails[0]["login"], "tom.spinner.177");
    assert!(
        env.store
            .get_pending_provisioning(177)
            .await
            .expect("pending")
            .is_none(),
        "the pending record is dropped once mapped"
    );

    let (status, _) = env
        .put("/customer-mappings/177", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already mapped");

    let (status, body) = env
        .call(Method::DELETE, "/customer-mappings/177", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"]["tenant_id"], tenant_id.as_str());
    assert_eq!(env.audit("mapping.removed").await.len(), 1);
    let (status, _) = env
        .call(Method::DELETE, "/customer-mappings/177", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Asked again: the tenant made for this company is found, not duplicated.
    let count = env.acronis.tenants().len();
    let (status, body) = env
        .put("/customer-mappings/177", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mapping"]["tenant_id"], tenant_id.as_str());
    assert_eq!(env.acronis.tenants().len(), count);
    // The same admin user, not a second one; never activated, so it is mailed again.
    let mails = env.acronis.activation_emails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1]["user_id"], mails[0]["user_id"]);
}

#[tokio::test]
async fn a_new_tenant_needs_what_the_naming_rule_needs() {
    let env = connected().await;
    let count = env.acronis.tenants().len();
    // Litware (180) has no primary contact; tenants are named after it by default.
    let (status, body) = env
        .put("/customer-mappings/180", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["reason"], "no_primary_contact");
    assert_eq!(env.acronis.tenants().len(), count, "nothing created");
    assert!(
        env.store
            .get_mapping_by_company(180)
            .await
            .expect("read")
            .is_none()
    );
    assert!(env.audit("tenant.created").await.is_empty());
}

// --- deletion forecast -------------------------------------------------------------------

#[tokio::test]
async fn the_forecast_lists_tenants_due_for_deletion() {
    let env = Env::sqlite().await;
    let started = Utc::now() - Duration::days(25);
    env.store
        .put_mapping(&CustomerMapping {
            held: None,
            // The deletion notices served on time (`docs/safety.md`).
            deletion: Some(bridge_core::mapping::DeletionWatch {
                listed_for: started.date_naive() + Duration::days(30),
                listed_since: started,
                disabled_since: Some(started + Duration::days(10)),
            }),
            company_id: 175,
            tenant_id: CONTOSO.into(),
            origin: MappingOrigin::Automatic,
            created_at: started,
            no_services_since: Some(started),
            tenant_kind: MappedTenantKind::Customer,
        })
        .await
        .expect("mapping");
    let (_, body) = env.get("/deprovisioning/forecast?days=30").await;
    assert_eq!(body["items"], json!([]), "deletion is off by default");

    env.put(
        "/settings",
        whole(json!({"version": 0, "deprovisioning": {"disable_customer": true, "delete_customer": true}})),
    )
    .await;
    // A sub-partner's tenant is never deleted, whatever its mapping holds.
    env.store
        .put_mapping(&CustomerMapping {
            held: None,
            deletion: None,
            company_id: 176,
            tenant_id: WINGTIP_RESELLER.into(),
            origin: MappingOrigin::Manual,
            created_at: started,
            no_services_since: Some(started),
            tenant_kind: MappedTenantKind::SubPartner,
        })
        .await
        .expect("mapping");
    let (status, body) = env.get("/deprovisioning/forecast?days=10").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["items"][0]["company_id"], 175);
    assert_eq!(
        body["items"][0]["delete_on"],
        (started.date_naive() + Duration::days(30)).to_string()
    );
    assert_eq!(
        body["items"][0]["disable_on"],
        (started.date_naive() + Duration::days(10)).to_string()
    );
    let (_, body) = env.get("/deprovisioning/forecast?days=2").await;
    assert_eq!(body["items"], json!([]));
    let (status, _) = env.get("/deprovisioning/forecast?days=-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A CTI alert type can be mapped by its id or by its short name; both are offered.
#[tokio::test]
async fn alert_mappings_name_cti_types_by_id_or_short_name() {
    let env = connected().await;
    let (_, body) = env.get("/alert-mappings").await;
    let types = body["alert_types"].as_array().expect("types");
    let cti = types
        .iter()
        .filter_map(|t| t.as_str())
        .find(|t| t.starts_with("cti.") && t.contains("malware_detected"))
        .expect("a CTI type is offered")
        .to_owned();
    let row = |alert_type: &str| json!({"alert_type": alert_type, "priority": 4, "status": 1, "queue": 29683354});
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 0, "alert_mappings": [row(&cti)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 1, "alert_mappings": [row("malware_detected")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = env
        .put(
            "/alert-mappings",
            json!({"version": 2, "alert_mappings": [row("malware_undetected")]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
