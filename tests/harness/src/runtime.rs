//! A Lambda Runtime API on loopback: what Lambda gives a function binary. Events are
//! queued with [`RuntimeApi::queue`]; the binary, started with
//! `AWS_LAMBDA_RUNTIME_API` = [`RuntimeApi::address`], takes them from
//! `GET /2018-06-01/runtime/invocation/next` and posts its answers back, which
//! [`RuntimeApi::outcome`] hands out in order.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::VecDeque;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Notify, mpsc};

/// What the function posted back for one invocation (`init` for an init error).
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

#[derive(Clone)]
struct Shared {
    queue: Arc<Mutex<VecDeque<(String, Value)>>>,
    queued: Arc<Notify>,
    first_next: Arc<Mutex<Option<Instant>>>,
    function_arn: Arc<str>,
    outcomes: mpsc::UnboundedSender<(String, Outcome)>,
}

/// The running API; its server stops when this is dropped.
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    shared: Shared,
    outcomes: mpsc::UnboundedReceiver<(String, Outcome)>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Serves the API on a free loopback port for the function `function_arn`.
    pub async fn start(function_arn: &str) -> std::io::Result<RuntimeApi> {
        let (tx, outcomes) = mpsc::unbounded_channel();
        let shared = Shared {
            queue: Arc::default(),
            queued: Arc::default(),
            first_next: Arc::default(),
            function_arn: function_arn.into(),
            outcomes: tx,
        };
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            shared,
            outcomes,
            server,
        })
    }

    /// Queues one invocation.
    pub async fn queue(&self, id: &str, payload: Value) {
        self.shared
            .queue
            .lock()
            .await
            .push_back((id.to_owned(), payload));
        self.shared.queued.notify_waiters();
    }

    /// The next answer, with its invocation id; `None` when none came `within`.
    pub async fn outcome(&mut self, within: Duration) -> Option<(String, Outcome)> {
        tokio::time::timeout(within, self.outcomes.recv())
            .await
            .ok()
            .flatten()
    }

    /// When the function first asked for an event: its initialisation ended then.
    pub async fn first_next(&self) -> Option<Instant> {
        *self.shared.first_next.lock().await
    }
}

/// A started function binary, killed when dropped.
pub struct Function(pub Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The next queued event, held until there is one; the deadline is Lambda's longest.
async fn next(State(api): State<Shared>) -> (HeaderMap, String) {
    api.first_next.lock().await.get_or_insert_with(Instant::now);
    loop {
        if let Some((id, payload)) = api.queue.lock().await.pop_front() {
            let mut headers = HeaderMap::new();
            let deadline = chrono::Utc::now().timestamp_millis() + 900_000;
            let pairs = [
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    api.function_arn.to_string(),
                ),
                ("lambda-runtime-trace-id", "Root=1-0-0".to_owned()),
            ];
            for (name, value) in pairs {
                if let Ok(value) = value.parse() {
                    headers.insert(name, value);
                }
            }
            return (headers, payload.to_string());
        }
        api.queued.notified().await;
    }
}

fn posted(body: String) -> Value {
    serde_json::from_str(&body).unwrap_or(Value::String(body))
}

async fn response(State(api): State<Shared>, Path(id): Path<String>, body: String) -> StatusCode {
    let _ = api.outcomes.send((id, Outcome::Response(posted(body))));
    StatusCode::ACCEPTED
}

async fn error(State(api): State<Shared>, Path(id): Path<String>, body: String) -> StatusCode {
    let _ = api.outcomes.send((id, Outcome::Error(posted(body))));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Shared>, body: String) -> StatusCode {
    let _ = api
        .outcomes
        .send(("init".into(), Outcome::Error(Value::String(body))));
    StatusCode::ACCEPTED
}
