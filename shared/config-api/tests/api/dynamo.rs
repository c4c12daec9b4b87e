//! The deployed adapters: DynamoDB and Secrets Manager (moto's server) behind the same
//! routes, so the conditional writes and secret saves are the real ones.

use crate::common;

use axum::http::{Method, StatusCode};
use bridge_config_api::Auth;
use bridge_core::secret::Secret;
use bridge_store::secrets::SecretsManagerSource;
use bridge_store::store::DynamoStore;
use common::{Env, TOKEN, acronis_creds, autotask_creds, whole};
use serde_json::json;
use std::sync::Arc;
use test_harness::Moto;

const TABLE: &str = "bridge";
const AUTOTASK_SECRET: &str = "acronis-autotask-bridge/autotask";
const ACRONIS_SECRET: &str = "acronis-autotask-bridge/acronis";

#[tokio::test]
async fn settings_credentials_mappings_and_audit_on_dynamodb_and_secrets_manager() {
    let moto = Moto::start().await;
    let aws = moto.sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    DynamoStore::create_table(&dynamo, TABLE)
        .await
        .expect("table");
    let sm = aws_sdk_secretsmanager::Client::new(&aws);
    // As the infrastructure does: both secrets exist, empty, before anything is saved.
    for name in [AUTOTASK_SECRET, ACRONIS_SECRET] {
        sm.create_secret()
            .name(name)
            .secret_string("{}")
            .send()
            .await
            .expect("secret");
    }
    let env = Env::with(
        Arc::new(DynamoStore::new(dynamo, TABLE)),
        Arc::new(SecretsManagerSource::new(
            sm.clone(),
            AUTOTASK_SECRET,
            ACRONIS_SECRET,
        )),
        Auth::Bearer(Secret::new(TOKEN)),
    )
    .await;

    let (status, body) = env.get("/credentials").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["autotask"]["set"], false);
    env.connect().await;
    let stored = sm
        .get_secret_value()
        .secret_id(AUTOTASK_SECRET)
        .send()
        .await
        .expect("read secret");
    let stored: serde_json::Value =
        serde_json::from_str(stored.secret_string().expect("string")).expect("json");
    assert_eq!(stored["username"], autotask_creds()["username"]);
    assert_eq!(stored["zone_url"], env.autotask.api_url());
    assert_eq!(
        env.secrets
            .get_acronis()
            .await
            .expect("read")
            .expect("set")
            .datacenter_url,
        acronis_creds(&env.acronis)["datacenter_url"]
            .as_str()
            .expect("url")
    );

    let (status, body) = env
        .put(
            "/settings",
            whole(json!({"version": 0, "features": {"billing": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = env.put("/settings", whole(json!({"version": 0}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["current_version"], 1);

    let contoso = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
    let (status, body) = env
        .put("/customer-mappings/175", json!({"tenant_id": contoso}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = env
        .put("/customer-mappings/176", json!({"tenant_id": contoso}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, accounts) = env.get("/accounts?mapped=mapped").await;
    assert_eq!(accounts["items"][0]["company_id"], 175);
    let (status, _) = env
        .call(Method::DELETE, "/customer-mappings/175", None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, audit) = env.get("/audit?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit["items"][0]["kind"], "mapping.removed", "newest first");
    let token = audit["next_page_token"].as_str().expect("more").to_owned();
    let (status, more) = env.get(&format!("/audit?limit=2&page_token={token}")).await;
    assert_eq!(status, StatusCode::OK, "{more}");
    assert_eq!(more["items"][0]["kind"], "settings.updated");
}
