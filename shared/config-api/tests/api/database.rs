//! The Autotask database identity through the API: credentials of another database are
//! saved but stop the jobs, `GET /jobs` says why, and `POST /database/adopt` starts over.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use simulators::autotask::{self, DEMO_INTEGRATION_CODE};

const SANDBOX_USER: &str = "bridge-api@sandbox.example.com";

fn sandbox_creds() -> Value {
    json!({"username": SANDBOX_USER, "secret": "sandbox-secret", "integration_code": DEMO_INTEGRATION_CODE})
}

async fn sandbox() -> autotask::AutotaskSim {
    let seed = autotask::Seed::another_database(777, SANDBOX_USER, "sandbox-secret");
    autotask::start(seed).await.expect("sandbox sim")
}

#[tokio::test]
async fn another_database_stops_the_jobs_until_adopted_or_left() {
    let mut env = Env::sqlite().await;
    let sandbox = sandbox().await;
    let directory = autotask::directory(&[&env.autotask, &sandbox])
        .await
        .expect("directory");
    env.use_zone_lookup(directory.zone_lookup_url());
    env.connect().await;
    let mut settings = bridge_core::settings::Settings::default();
    settings.features.billing = true;
    env.store
        .put_settings(&settings, None)
        .await
        .expect("settings");
    let (_, jobs) = env.get("/jobs").await;
    let recorded = jobs["database"]["ci"].as_i64().expect("recorded");
    assert_eq!(jobs["database"]["jobs_stopped"], false);
    let (status, body) = env
        .put("/customer-mappings/174", json!({"new_tenant": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Adopting with nothing to adopt is refused.
    let (status, body) = env
        .call(Method::POST, "/database/adopt", Some(json!({"ci": 777})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The sandbox's credentials work, so they are saved; the answer says what follows.
    let (status, body) = env.put("/credentials/autotask", sandbox_creds()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["jobs_stopped"], true);
    assert_eq!(body["database"]["mismatch"]["ci"], 777);
    let message = body["database"]["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("database {recorded}")),
        "{message}"
    );
    assert_eq!(env.audit("autotask.database.changed").await.len(), 1);

    // Every job that writes is stopped, and says why.
    let (status, body) = env
        .call(Method::POST, "/jobs/contract-poller/run", None)
        .await;
    assert_ne!(status, StatusCode::OK, "{body}");
    let (_, jobs) = env.get("/jobs").await;
    assert_eq!(jobs["database"]["jobs_stopped"], true);
    let poller = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["name"] == "contract-poller")
        .expect("poller");
    let error = poller["last_error"]["message"].as_str().expect("error");
    assert!(error.contains("database 777"), "{error}");

    // Bad requests name what was wrong.
    for (bad, field) in [
        (json!({}), "ci"),
        (json!({"ci": "777"}), "ci"),
        (json!({"ci": 0}), "ci"),
        (json!({"ci": 777, "force": true}), "force"),
    ] {
        let (status, body) = env
            .call(Method::POST, "/database/adopt", Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{bad}: {body}");
    }
    // Only the database the credentials reach.
    let (status, body) = env
        .call(Method::POST, "/database/adopt", Some(json!({"ci": 778})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("777"), "{body}");

    // Starting over: the mapping goes, the audit log stays.
    let (status, body) = env
        .call(Method::POST, "/database/adopt", Some(json!({"ci": 777})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["ci"], 777);
    assert_eq!(body["database"]["jobs_stopped"], false);
    assert_eq!(body["forgotten"]["customer_mappings"], 1);
    assert!(
        env.store
            .get_mapping_by_company(174)
            .await
            .expect("store")
            .is_none()
    );
    assert_eq!(env.audit("autotask.database.adopted").await.len(), 1);
    assert_eq!(env.audit("autotask.database.changed").await.len(), 1);
    let (_, credentials) = env.get("/credentials").await;
    assert_eq!(credentials["autotask"]["database"]["ci"], 777);

    // Going back is saving the other credentials again: a mismatch with 777 now.
    let (status, body) = env.put("/credentials/autotask", autotask_creds()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["mismatch"]["ci"], recorded);
}
