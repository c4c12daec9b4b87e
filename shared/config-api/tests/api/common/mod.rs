//! A config API wired to real adapters: both simulators (demo scenario), the SQLite
//! store (or DynamoDB on moto), the file (or Secrets Manager) secret source and the
//! in-process bus. Requests go through the router as HTTP requests.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use bridge_config_api::{ApiState, Auth, router};
use bridge_core::secret::Secret;
use bridge_jobs::{Context, SystemClock};
use bridge_store::events::InProcessBus;
use bridge_store::secrets::{FileSecretSource, SecretSource};
use bridge_store::store::{SqliteStore, Store};
use serde_json::{Value, json};
use simulators::acronis::AcronisSim;
use simulators::autotask::AutotaskSim;
use simulators::scenario::Scenario;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const STACK: &str = "bridge";

/// The demo scenario's API user and API client.
pub fn autotask_creds() -> Value {
    json!({"username": "bridge-api@example.com", "secret": "demo-secret", "integration_code": "DEMOINTEGRATIONCODE"})
}

pub fn acronis_creds(sim: &AcronisSim) -> Value {
    json!({"datacenter_url": sim.base_url(), "client_id": "demo-client", "client_secret": "demo-client-secret"})
}

pub struct Env {
    pub autotask: AutotaskSim,
    pub acronis: AcronisSim,
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn SecretSource>,
    pub bus: InProcessBus,
    pub ctx: Arc<Context>,
    pub app: axum::Router,
    /// The local secret file's folder, removed on drop.
    dir: Option<PathBuf>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("config-api-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Env {
    /// SQLite in memory and a secret file in a temp folder, with the bearer token.
    pub async fn sqlite() -> Env {
        Env::sqlite_with(Scenario::demo().expect("demo scenario")).await
    }

    /// [`Env::sqlite`] on another scenario than the demo's.
    pub async fn sqlite_with(scenario: Scenario) -> Env {
        let dir = temp_dir();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().await.expect("sqlite"));
        let secrets: Arc<dyn SecretSource> =
            Arc::new(FileSecretSource::new(dir.join("secrets.json")));
        let mut env =
            Env::with_scenario(scenario, store, secrets, Auth::Bearer(Secret::new(TOKEN))).await;
        env.dir = Some(dir);
        env
    }

    pub async fn with(store: Arc<dyn Store>, secrets: Arc<dyn SecretSource>, auth: Auth) -> Env {
        let scenario = Scenario::demo().expect("demo scenario");
        Env::with_scenario(scenario, store, secrets, auth).await
    }

    pub async fn with_scenario(
        scenario: Scenario,
        store: Arc<dyn Store>,
        secrets: Arc<dyn SecretSource>,
        auth: Auth,
    ) -> Env {
        let autotask = simulators::autotask::start(scenario.autotask)
            .await
            .expect("autotask sim");
        let acronis = simulators::acronis::start(scenario.acronis)
            .await
            .expect("acronis sim");
        let bus = InProcessBus::new();
        let ctx = Arc::new(Context::new(
            store.clone(),
            secrets.clone(),
            Arc::new(bus.clone()),
            Arc::new(SystemClock),
            autotask.zone_lookup_url(),
        ));
        let launcher = Arc::new(bridge_jobs::launch::InProcess { ctx: ctx.clone() });
        let app = router(ApiState::new(ctx.clone(), auth, STACK).with_launcher(launcher));
        Env {
            autotask,
            acronis,
            store,
            secrets,
            bus,
            ctx,
            app,
            dir: None,
        }
    }

    /// The same environment with zone lookups sent to `url` (a fresh process, bearer
    /// token auth).
    pub fn use_zone_lookup(&mut self, url: String) {
        self.ctx = Arc::new(Context::new(
            self.store.clone(),
            self.secrets.clone(),
            Arc::new(self.bus.clone()),
            Arc::new(SystemClock),
            url,
        ));
        let launcher = Arc::new(bridge_jobs::launch::InProcess {
            ctx: self.ctx.clone(),
        });
        self.app = router(
            ApiState::new(self.ctx.clone(), Auth::Bearer(Secret::new(TOKEN)), STACK)
                .with_launcher(launcher),
        );
    }

    /// Sends a request with the bearer token; answers the status and the JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        send(&self.app, request(method, path, body)).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// Saves both demo credentials through the API.
    pub async fn connect(&self) {
        let (status, body) = self.put("/credentials/autotask", autotask_creds()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self
            .put("/credentials/acronis", acronis_creds(&self.acronis))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The current settings version.
    pub async fn version(&self) -> u64 {
        self.store
            .get_settings()
            .await
            .expect("settings")
            .map_or(0, |s| s.version)
    }

    /// Every audit entry, newest first (at most 1,000).
    pub async fn audit_entries(&self) -> Vec<Value> {
        let (status, body) = self.get("/audit?limit=1000").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Audit entries of one kind, newest first.
    pub async fn audit(&self, kind: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/audit?kind={kind}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }
}

/// A whole settings document for `PUT /settings`: the defaults with `changes` merged
/// in (objects merge, anything else replaces), `version` included.
pub fn whole(changes: Value) -> Value {
    let mut document =
        serde_json::to_value(bridge_core::settings::Settings::default()).expect("defaults");
    merge(&mut document, changes);
    document
}

fn merge(target: &mut Value, changes: Value) {
    match (target, changes) {
        (Value::Object(target), Value::Object(changes)) => {
            for (key, value) in changes {
                match target.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// A request with the bearer token and, given a body, JSON content.
pub fn request(method: Method, path: &str, body: Option<Value>) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    request.body(body).expect("request")
}

/// Runs one request through the router.
pub async fn send<B>(app: &axum::Router, request: Request<B>) -> (StatusCode, Value)
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let (status, _, value) = send_for_headers(app, request).await;
    (status, value)
}

/// [`send`], with the answer's headers.
pub async fn send_for_headers<B>(
    app: &axum::Router,
    request: Request<B>,
) -> (StatusCode, axum::http::HeaderMap, Value)
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, headers, value)
}
