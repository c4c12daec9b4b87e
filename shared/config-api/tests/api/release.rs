//! `POST /deprovisioning/release` and how held deprovisioning shows in `GET /plan`,
//! `GET /accounts` and the deletion forecast.

use crate::common;

use axum::http::{Method, StatusCode};
use bridge_core::mapping::{CustomerMapping, MappedTenantKind, MappingOrigin};
use bridge_core::provisioning::{Action, DeprovisioningHold};
use chrono::Utc;
use common::Env;
use serde_json::{Value, json};

const FABRIKAM: i64 = 176;
const FABRIKAM_TENANT: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11";
const OTHER: i64 = 177;
const OTHER_TENANT: &str = "9d1e0000-0000-4000-8000-000000000177";

async fn held(env: &Env, company: i64, tenant: &str) {
    env.store
        .put_mapping(&CustomerMapping {
            company_id: company,
            tenant_id: tenant.into(),
            origin: MappingOrigin::Automatic,
            created_at: Utc::now(),
            no_services_since: None,
            tenant_kind: MappedTenantKind::Customer,
            deletion: None,
            held: Some(DeprovisioningHold {
                held_at: Utc::now(),
                actions: vec![
                    Action::ZeroQuotas {
                        tenant_id: tenant.into(),
                    },
                    Action::StartDeprovisioningClock {
                        tenant_id: tenant.into(),
                        since: Utc::now(),
                    },
                ],
                released_at: None,
                released_by: None,
            }),
        })
        .await
        .expect("mapping");
}

async fn release(env: &Env, body: Value) -> (StatusCode, Value) {
    env.call(Method::POST, "/deprovisioning/release", Some(body))
        .await
}

fn companies(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|h| h["company_id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn held_deprovisioning_shows_and_is_released_per_company_then_all() {
    let env = Env::sqlite().await;
    env.connect().await;
    held(&env, FABRIKAM, FABRIKAM_TENANT).await;
    held(&env, OTHER, OTHER_TENANT).await;

    let (status, forecast) = env.get("/deprovisioning/forecast").await;
    assert_eq!(status, StatusCode::OK, "{forecast}");
    assert_eq!(companies(&forecast["held"]), vec![FABRIKAM, OTHER]);
    assert_eq!(forecast["held"][0]["released"], false);
    assert_eq!(
        forecast["held"][0]["lines"][0],
        format!("set the quotas of tenant {FABRIKAM_TENANT} to zero")
    );

    let (status, plan) = env.get("/plan").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(companies(&plan["held"]), vec![FABRIKAM, OTHER]);
    let (status, plan) = env.get(&format!("/plan?company={OTHER}")).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(companies(&plan["held"]), vec![OTHER]);

    let (status, accounts) = env.get("/accounts?search=Fabrikam").await;
    assert_eq!(status, StatusCode::OK, "{accounts}");
    let fabrikam = accounts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["company_id"] == FABRIKAM)
        .expect("Fabrikam listed");
    assert_eq!(fabrikam["mapping"]["held"]["company_id"], FABRIKAM);

    // One company, plus one that is not held: only the held one is released.
    let (status, body) = release(&env, json!({"companies": [FABRIKAM, 999]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["released"], json!([FABRIKAM]));
    assert_eq!(companies(&body["held"]), vec![OTHER]);
    let stored = env
        .store
        .get_mapping_by_company(FABRIKAM)
        .await
        .expect("read")
        .expect("mapped")
        .held
        .expect("the hold stays until the poller applies it");
    assert!(stored.released_at.is_some());
    assert!(stored.released_by.is_some());
    let audited = env.audit("deprovisioning.released").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["subject"], format!("company:{FABRIKAM}"));

    // Releasing again changes nothing; then all.
    let (_, again) = release(&env, json!({"companies": [FABRIKAM]})).await;
    assert_eq!(again["released"], json!([]));
    let (status, body) = release(&env, json!({"all": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["released"], json!([OTHER]));
    assert_eq!(body["held"], json!([]));
    assert_eq!(env.audit("deprovisioning.released").await.len(), 2);
}

#[tokio::test]
async fn a_release_names_all_or_companies() {
    let env = Env::sqlite().await;
    for (body, field) in [
        (json!({}), ""),
        (json!({"all": false}), "all"),
        (json!({"all": true, "companies": [1]}), ""),
        (json!({"companies": []}), "companies"),
        (json!({"companies": "176"}), "companies"),
        (json!({"companies": [176, -2]}), "companies[1]"),
        (json!({"everyone": true}), "everyone"),
        (json!([176]), ""),
    ] {
        let (status, answer) = release(&env, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
    }
    let (status, body) = release(&env, json!({"all": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"released": [], "held": []}));
}
