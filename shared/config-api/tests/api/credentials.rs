//! The credentials routes: live validation against both simulators before saving, and
//! nothing secret ever answered or audited.

use crate::common;

use axum::http::StatusCode;
use bridge_config_api::NOT_API_USER;
use common::{Env, acronis_creds, autotask_creds};
use serde_json::json;

fn fields(body: &serde_json::Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn valid_credentials_are_saved_with_their_zone_and_never_shown() {
    let env = Env::sqlite().await;
    let (status, body) = env.get("/credentials").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"autotask": {"set": false}, "acronis": {"set": false}})
    );

    env.connect().await;
    let (status, body) = env.get("/credentials").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["autotask"]["set"], true);
    assert_eq!(body["autotask"]["username"], "bridge-api@example.com");
    assert_eq!(body["autotask"]["zone_url"], env.autotask.api_url());
    assert!(body["autotask"]["saved_at"].is_string());
    assert_eq!(body["acronis"]["client_id"], "demo-client");
    let text = body.to_string();
    assert!(
        !text.contains("demo-secret") && !text.contains("demo-client-secret"),
        "{text}"
    );

    let saved = env
        .secrets
        .get_autotask()
        .await
        .expect("read")
        .expect("set");
    assert_eq!(saved.secret.expose(), "demo-secret");
    assert_eq!(
        saved.zone_url.as_deref(),
        Some(env.autotask.api_url().as_str())
    );
    let audit = env.audit("credentials.autotask.saved").await;
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].to_string().contains("demo-secret"));
    // The jobs' context picks the new credentials up.
    env.ctx
        .autotask()
        .await
        .expect("client from saved credentials");
}

#[tokio::test]
async fn a_user_that_is_not_an_api_user_gets_the_guides_message() {
    let env = Env::sqlite().await;
    let (status, body) = env
        .put(
            "/credentials/autotask",
            json!({"username": "office.manager@demo-msp.example", "secret": "office-secret",
                   "integration_code": "DEMOINTEGRATIONCODE"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "username");
    assert_eq!(body["errors"][0]["message"], NOT_API_USER);
    assert!(NOT_API_USER.starts_with("Please create an API user"));
    assert!(
        env.secrets.get_autotask().await.expect("read").is_none(),
        "nothing saved"
    );
}

#[tokio::test]
async fn a_wrong_secret_or_integration_code_names_the_field() {
    let env = Env::sqlite().await;
    let mut creds = autotask_creds();
    creds["secret"] = json!("not-the-secret");
    let (status, body) = env.put("/credentials/autotask", creds).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(fields(&body), ["secret"]);
    assert!(!body.to_string().contains("not-the-secret"));

    let mut creds = autotask_creds();
    creds["integration_code"] = json!("UNKNOWNCODE");
    let (status, body) = env.put("/credentials/autotask", creds).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        fields(&body).contains(&"integration_code".to_owned()),
        "{body}"
    );
    assert!(env.secrets.get_autotask().await.expect("read").is_none());
}

#[tokio::test]
async fn malformed_credentials_list_every_field_without_a_live_call() {
    let env = Env::sqlite().await;
    let (status, body) = env
        .put(
            "/credentials/autotask",
            json!({"username": "not an email", "secret": 7, "zone_url": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(fields(&body), ["zone_url"]);
    let (status, body) = env
        .put(
            "/credentials/autotask",
            json!({"username": "not an email", "secret": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let f = fields(&body);
    assert!(
        f.contains(&"secret".to_owned()) && f.contains(&"integration_code".to_owned()),
        "{f:?}"
    );
    let logged = env.autotask.core().log.len();
    assert_eq!(logged, 0, "no request reached Autotask");
}

#[tokio::test]
async fn acronis_credentials_are_proven_with_a_token() {
    let env = Env::sqlite().await;
    let mut creds = acronis_creds(&env.acronis);
    creds["client_secret"] = json!("wrong");
    let (status, body) = env.put("/credentials/acronis", creds).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        fields(&body).contains(&"client_secret".to_owned()),
        "{body}"
    );
    assert!(env.secrets.get_acronis().await.expect("read").is_none());

    let mut creds = acronis_creds(&env.acronis);
    // A server that is up but is not Acronis (the Autotask simulator).
    creds["datacenter_url"] = json!(env.autotask.base_url());
    let (status, body) = env.put("/credentials/acronis", creds).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(fields(&body), ["datacenter_url"]);

    let (status, body) = env
        .put("/credentials/acronis", acronis_creds(&env.acronis))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["datacenter_url"], env.acronis.base_url());
    let saved = env.secrets.get_acronis().await.expect("read").expect("set");
    assert_eq!(saved.client_secret.expose(), "demo-client-secret");
}

#[tokio::test]
async fn the_first_save_records_the_database_and_a_move_is_followed() {
    let env = Env::sqlite().await;
    env.connect().await;
    let (_, body) = env.get("/credentials").await;
    let database = &body["autotask"]["database"];
    let ci = database["ci"].as_i64().expect("the zone lookup's ci");
    assert_eq!(database["zone_url"], env.autotask.api_url());
    assert_eq!(database["recorded_by"], "local-operator");
    assert_eq!(env.audit("autotask.database.recorded").await.len(), 1);

    // The same database in the same zone: nothing to record.
    let (status, _) = env.put("/credentials/autotask", autotask_creds()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(env.audit("autotask.database.recorded").await.len(), 1);
    assert!(env.audit("autotask.database.moved").await.is_empty());

    // Autotask moved the database to another server: same ci, new zone, followed.
    let first_zone = env.autotask.api_url();
    env.autotask.move_zone(7);
    let (status, body) = env.put("/credentials/autotask", autotask_creds()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = env.get("/credentials").await;
    let database = &body["autotask"]["database"];
    assert_eq!(database["ci"], ci);
    assert_eq!(database["zone_url"], env.autotask.api_url());
    assert_ne!(database["zone_url"], first_zone);
    let moved = env.audit("autotask.database.moved").await;
    assert_eq!(moved.len(), 1);
    assert_ne!(
        moved[0]["before"]["zone_url"],
        moved[0]["after"]["zone_url"]
    );
}
