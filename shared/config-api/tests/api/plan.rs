//! `GET /plan` on the demo scenario: what the next quota push would change for a customer
//! mapped by hand, computed by the push's own planner; after a push, nothing; and the
//! accounts route shows what the push did.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{Env, request, send, whole};
use serde_json::json;

const FABRIKAM: i64 = 176;
const FABRIKAM_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11";

async fn run(env: &Env, job: &str) -> serde_json::Value {
    let (status, body) = send(
        &env.app,
        request(Method::POST, &format!("/jobs/{job}/run"), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn the_plan_shows_the_next_push_and_nothing_once_it_ran() {
    let env = Env::sqlite().await;
    env.connect().await;
    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "features": {"billing": true},
                   "service_mappings": [
                       {"offering_item": "pw_base_workstations", "service": {"id": 501}},
                       {"offering_item": "pw_base_servers", "service": {"id": 502}}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = env
        .put(
            &format!("/customer-mappings/{FABRIKAM}"),
            json!({"tenant_id": FABRIKAM_TENANT}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The poller stores Fabrikam's contract snapshot (servers 2 and a bundle of 5).
    run(&env, "contract-poller").await;

    let (status, plan) = env.get(&format!("/plan?company={FABRIKAM}")).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let item = &plan["items"][0];
    assert_eq!(item["tenant_id"], FABRIKAM_TENANT);
    let lines: Vec<&str> = item["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pw_base_servers:") && l.contains("→ 2")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pw_base_workstations:") && l.contains("→ 5")),
        "{lines:?}"
    );
    // Planning changed nothing.
    let servers = env
        .acronis
        .offering_items(FABRIKAM_TENANT)
        .into_iter()
        .find(|i| i["name"] == "pw_base_servers")
        .expect("servers");
    assert_ne!(servers["quota"]["value"], json!(2));

    let pushed = run(&env, "quota-push").await;
    assert!(pushed["summary"]["applied"].as_u64() >= Some(2), "{pushed}");
    let (_, after) = env.get(&format!("/plan?company={FABRIKAM}")).await;
    assert_eq!(after["items"][0]["lines"], json!([]), "{after}");

    // The listing pages through mapped customers; the accounts route shows the push.
    let (status, page) = env.get("/plan?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let (_, accounts) = env.get("/accounts?mapped=mapped").await;
    let fabrikam = accounts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["company_id"] == FABRIKAM)
        .expect("Fabrikam listed");
    let push = &fabrikam["mapping"]["quota_push"];
    assert!(push["pushed_at"].is_string(), "{fabrikam}");
    assert!(push["last_error"].is_null(), "{fabrikam}");
}

#[tokio::test]
async fn bad_plan_requests_are_named() {
    let env = Env::sqlite().await;
    env.connect().await;
    let (status, body) = env.get("/plan?company=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = env.get("/plan?company=-3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "company");
    let (status, body) = env.get("/plan?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "limit");
    let (status, body) = env.get("/plan?nope=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// `GET /tickets` lists what alert ingestion recorded; a company filter and bad
/// parameters are answered.
#[tokio::test]
async fn tickets_are_listed_by_company() {
    let env = Env::sqlite().await;
    env.connect().await;
    let settings = json!({"version": 0,
        "features": {"ticket_creation": true},
        "tickets": {"note_type": 1, "note_publish": 1},
        "alert_mappings": [{"alert_type": "BackupFailed", "priority": 1, "status": 1, "queue": 29682833}]});
    let (status, body) = env.put("/settings", whole(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Contoso (175) is mapped to its tenant, which has an open BackupFailed alert.
    let (status, body) = env
        .put(
            "/customer-mappings/175",
            json!({"tenant_id": "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    run(&env, "alert-ingest").await;
    let (status, listed) = env.get("/tickets?company=175").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let items = listed["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{listed}");
    assert!(items.iter().all(|t| t["company_id"] == 175));
    assert!(
        items
            .iter()
            .any(|t| t["alert_type"] == "BackupFailed" && t["ticket_id"].is_i64())
    );
    let (_, none) = env.get("/tickets?company=174").await;
    assert_eq!(none["items"], json!([]));
    let (status, body) = env.get("/tickets?limit=5000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "limit");
}

/// Contoso's PAYG contract in the demo scenario: the plan shows the usage each contract
/// service would get, the job writes it, then the plan shows nothing pending and the
/// accounts route shows the report.
#[tokio::test]
async fn the_plan_shows_pending_usage_and_the_accounts_route_the_report() {
    const CONTOSO: i64 = 175;
    let env = Env::sqlite().await;
    env.connect().await;
    let settings = json!({"version": 0, "features": {"billing": true},
        "usage_reporting": {"period": "current_calendar_month"},
        "service_mappings": [{"offering_item": "pw_base_o365_seats", "service": {"id": 504}}],
        "storage_mappings": [{"offering_item": "pw_base_storage",
            "infra_id": "9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60", "class2_billed": {"id": 508}}],
        "public_cloud_mappings": {"microsoft_azure": {"id": 509}}});
    let (status, body) = env.put("/settings", whole(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = env
        .put(
            &format!("/customer-mappings/{CONTOSO}"),
            json!({"tenant_id": "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    run(&env, "contract-poller").await;

    let (status, plan) = env.get(&format!("/plan?company={CONTOSO}")).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let usage = &plan["items"][0]["usage"];
    let lines: Vec<&str> = usage["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("usage lines: {plan}"))
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    let expect = [
        "contract service 904 (pw_base_o365_seats): 0 -> 12 units",
        "contract service 905 (pw_base_storage@9b8a7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c60 class 2 (billed)): 0 -> 200 units",
        "contract service 906 (public cloud Microsoft Azure): 0 -> 1 units",
    ];
    for want in expect {
        assert!(lines.iter().any(|l| l.contains(want)), "{want}\n{lines:#?}");
    }

    let reported = run(&env, "usage-report").await;
    assert_eq!(reported["summary"]["applied"], json!(3), "{reported}");
    let (_, after) = env.get(&format!("/plan?company={CONTOSO}")).await;
    assert_eq!(after["items"][0]["usage"]["lines"], json!([]), "{after}");
    assert_eq!(
        after["items"][0]["usage"]["already_reported"],
        json!(3),
        "{after}"
    );

    let (_, accounts) = env.get("/accounts?mapped=mapped").await;
    let contoso = accounts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["company_id"] == CONTOSO)
        .expect("Contoso listed");
    let report = &contoso["mapping"]["usage_report"];
    assert_eq!(report["written"], json!(3), "{contoso}");
    assert!(report["period"].is_string(), "{contoso}");
    assert!(report["last_error"].is_null(), "{contoso}");
}
