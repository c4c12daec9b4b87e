//! What both simulators share: request log, fault injection, clock, control routes.

use axum::{
    Json, Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Locks a mutex, recovering the data if a panicking handler poisoned it: a simulator
/// must keep answering the rest of a test.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One request as the simulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// Entity or resource the simulator attributes the call to (e.g. `Companies`,
    /// `tenants`, `zoneInformation`).
    pub entity: String,
    /// Operation: `query`, `count`, `get`, `create`, `update`, `delete`, `token`, …
    pub verb: String,
    pub status: u16,
    pub at: DateTime<Utc>,
}

/// Tells which entity and verb a request is for; each simulator supplies its own.
pub type Classifier = fn(&Method, &str) -> (String, String);

/// Every request except the control routes, in arrival order.
#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<Vec<RequestRecord>>,
}

impl RequestLog {
    pub fn record(&self, r: RequestRecord) {
        lock(&self.entries).push(r);
    }
    pub fn entries(&self) -> Vec<RequestRecord> {
        lock(&self.entries).clone()
    }
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
    /// Requests whose entity and verb match (`None` matches any).
    pub fn count(&self, entity: Option<&str>, verb: Option<&str>) -> usize {
        lock(&self.entries)
            .iter()
            .filter(|r| entity.is_none_or(|e| r.entity.eq_ignore_ascii_case(e)))
            .filter(|r| verb.is_none_or(|v| r.verb == v))
            .count()
    }
    /// Counts keyed `"<entity> <verb>"`.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for r in lock(&self.entries).iter() {
            *out.entry(format!("{} {}", r.entity, r.verb)).or_insert(0) += 1;
        }
        out
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait this long, then serve the request normally.
    Latency { ms: u64 },
    /// Answer with this status (and optional `Retry-After` seconds and body) instead.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        body: Option<String>,
    },
    /// Send the headers, then break the connection mid-body.
    Drop,
    /// Answer 200 with a truncated JSON body.
    MalformedJson,
    /// Never answer: the request waits forever, before it is applied or (`applied`)
    /// after it is applied and before its response is sent. [`SimCore::hung`] tells the
    /// test, which then drops the caller, as a process killed at that await point.
    Hang {
        #[serde(default)]
        applied: bool,
    },
}

impl FaultKind {
    /// A 200 with this body in place of the real answer: what a hostile or broken
    /// server might send.
    pub fn answer(body: impl Into<String>) -> FaultKind {
        FaultKind::Status {
            status: 200,
            retry_after: None,
            body: Some(body.into()),
        }
    }
}

/// A fault applied to matching requests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultRule {
    /// Case-insensitive substring of the path; `*` or empty matches every route.
    #[serde(default)]
    pub route: String,
    /// Only this HTTP method, when set.
    #[serde(default)]
    pub method: Option<String>,
    /// Case-insensitive substring of the query string; when set, the request must also
    /// match it. The query is percent-decoded first, so `tenants=a,b` matches a
    /// client that encodes the comma. A request without a query string never matches.
    #[serde(default)]
    pub query: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Apply to this many matching requests, then expire; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// `kind` on the next `method` request to a path containing `route`, once.
    pub fn once(route: &str, method: &str, kind: FaultKind) -> FaultRule {
        FaultRule {
            route: route.into(),
            method: Some(method.into()),
            query: None,
            kind,
            times: Some(1),
        }
    }

    /// `query` is the request's raw query string (after `?`), if it has one.
    fn matches(&self, method: &Method, path: &str, query: Option<&str>) -> bool {
        let route_ok =
            self.route.is_empty() || self.route == "*" || contains_ignoring_case(path, &self.route);
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()));
        let query_ok = self.query.as_deref().is_none_or(|wanted| {
            query.is_some_and(|q| {
                let decoded = urlencoding::decode(q).unwrap_or(std::borrow::Cow::Borrowed(q));
                contains_ignoring_case(&decoded, wanted)
            })
        });
        route_ok && method_ok && query_ok
    }
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

#[derive(Default)]
pub struct Faults {
    /// Each rule with the matching requests it still lets pass before it fires.
    rules: Mutex<Vec<(FaultRule, u32)>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.add_after(0, rule);
    }
    /// Adds `rule` to fire only once `skip` matching requests have passed: the Nth
    /// call of a run, as a seeded chaos test picks it.
    pub fn add_after(&self, skip: u32, rule: FaultRule) {
        lock(&self.rules).push((rule, skip));
    }
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }
    /// Rules still active: a test sees a `times`-limited rule go when the request it
    /// waits for has arrived (before it is answered).
    pub fn active(&self) -> usize {
        lock(&self.rules).len()
    }
    /// The rules still active, so a test can tell which of its faults fired.
    pub fn rules(&self) -> Vec<FaultRule> {
        lock(&self.rules).iter().map(|(r, _)| r.clone()).collect()
    }
    /// The first matching rule, consuming one of its `times`.
    fn take(&self, method: &Method, path: &str, query: Option<&str>) -> Option<FaultKind> {
        let mut rules = lock(&self.rules);
        let mut found = None;
        for (idx, (rule, skip)) in rules.iter_mut().enumerate() {
            if !rule.matches(method, path, query) {
                continue;
            }
            if *skip > 0 {
                *skip -= 1;
                continue;
            }
            found = Some(idx);
            break;
        }
        let idx = found?;
        let kind = rules[idx].0.kind.clone();
        if let Some(times) = rules[idx].0.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                rules.remove(idx);
            }
        }
        Some(kind)
    }
}

/// The simulator's notion of now: real time plus an offset that tests move forward
/// (token expiry, hourly budgets, trial months) instead of sleeping.
#[derive(Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
    /// Puts the clock at `at` (past or future), as a test that replays a date does.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::SeqCst);
    }
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

/// The parts every simulator embeds in its state.
pub struct SimCore {
    pub name: &'static str,
    pub log: RequestLog,
    pub faults: Faults,
    pub clock: SimClock,
    /// Notified when a [`FaultKind::Hang`] holds a request.
    pub hung: tokio::sync::Notify,
    classify: Classifier,
}

impl SimCore {
    /// Runs `caller` until a [`FaultKind::Hang`] holds one of its requests, then drops
    /// it, as a process killed at that await point. Panics when `caller` finishes
    /// first: the fault it was meant to meet never came.
    pub async fn kill_when_held<F: std::future::Future>(&self, caller: F) {
        tokio::select! {
            _ = caller => panic!("{}: no request was held, the caller finished", self.name),
            () = self.hung.notified() => {}
        }
    }

    pub fn new(name: &'static str, classify: Classifier) -> Arc<SimCore> {
        Arc::new(SimCore {
            name,
            log: RequestLog::default(),
            faults: Faults::default(),
            clock: SimClock::default(),
            hung: tokio::sync::Notify::new(),
            classify,
        })
    }
}

/// Middleware: logs each non-control request with its final status and applies the
/// first matching fault rule.
pub async fn observe(State(core): State<Arc<SimCore>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if path.starts_with("/_sim") {
        return next.run(req).await;
    }
    let (entity, verb) = (core.classify)(&method, &path);
    let fault = core.faults.take(&method, &path, req.uri().query());
    let response = match fault {
        Some(FaultKind::Latency { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(FaultKind::Status {
            status,
            retry_after,
            body,
        }) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = body.unwrap_or_else(|| {
                serde_json::json!({"errors": [format!("injected fault: HTTP {status}")]})
                    .to_string()
            });
            let mut resp = (code, body).into_response();
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut().insert("retry-after", v);
            }
            resp
        }
        Some(FaultKind::Drop) => {
            let stream = futures_util::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected dropped connection",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Some(FaultKind::MalformedJson) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"items\": [{\"id\": 1, \"name\": \"trunc",
        )
            .into_response(),
        Some(FaultKind::Hang { applied }) => {
            let response = if applied {
                Some(next.run(req).await)
            } else {
                None
            };
            core.hung.notify_one();
            std::future::pending::<()>().await;
            response.unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        None => next.run(req).await,
    };
    core.log.record(RequestRecord {
        method: method.to_string(),
        path,
        entity,
        verb,
        status: response.status().as_u16(),
        at: core.clock.now(),
    });
    response
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

#[derive(Serialize)]
struct RequestsView {
    total: usize,
    counts: BTreeMap<String, usize>,
    requests: Vec<RequestRecord>,
}

/// Control routes shared by both simulators:
/// - `GET /_sim/requests` — the log with counts per `"<entity> <verb>"`;
///   `DELETE /_sim/requests` clears it.
/// - `POST /_sim/faults` — add a [`FaultRule`]; `DELETE /_sim/faults` clears them.
/// - `POST /_sim/clock/advance` `{"seconds": N}` — move the clock forward.
pub fn control_routes(core: Arc<SimCore>) -> Router {
    Router::new()
        .route(
            "/_sim/requests",
            get(|State(c): State<Arc<SimCore>>| async move {
                Json(RequestsView {
                    total: c.log.len(),
                    counts: c.log.counts(),
                    requests: c.log.entries(),
                })
            })
            .delete(|State(c): State<Arc<SimCore>>| async move {
                c.log.clear();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/faults",
            post(
                |State(c): State<Arc<SimCore>>, Json(rule): Json<FaultRule>| async move {
                    c.faults.add(rule);
                    StatusCode::NO_CONTENT
                },
            )
            .delete(|State(c): State<Arc<SimCore>>| async move {
                c.faults.clear();
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/clock/advance",
            post(
                |State(c): State<Arc<SimCore>>, Json(a): Json<Advance>| async move {
                    c.clock.advance(Duration::from_secs(a.seconds));
                    Json(serde_json::json!({"now": c.clock.now()}))
                },
            ),
        )
        .with_state(core)
}

/// Wraps a simulator's routes with the control routes and the observing middleware.
pub fn finish(routes: Router, core: Arc<SimCore>) -> Router {
    routes
        .merge(control_routes(core.clone()))
        .layer(axum::middleware::from_fn_with_state(core, observe))
}

/// A simulator listening on loopback; the server task stops when this is dropped.
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on `127.0.0.1:port` (0 = any free port).
pub async fn serve(router: Router, port: u16) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "simulator server stopped");
        }
    });
    Ok(Running { addr, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(route: &str, kind: FaultKind) -> FaultRule {
        FaultRule {
            route: route.into(),
            method: None,
            query: None,
            kind,
            times: Some(1),
        }
    }

    #[test]
    fn a_rule_added_after_n_matches_fires_on_the_next_one_only() {
        let faults = Faults::default();
        faults.add_after(2, rule("tenants", FaultKind::Drop));
        let get = Method::GET;
        assert_eq!(faults.take(&get, "/api/2/users", None), None, "no match");
        assert_eq!(
            faults.take(&get, "/api/2/tenants", None),
            None,
            "1st passes"
        );
        assert_eq!(
            faults.take(&get, "/api/2/tenants/x", None),
            None,
            "2nd passes"
        );
        assert_eq!(
            faults.take(&get, "/api/2/tenants", None),
            Some(FaultKind::Drop)
        );
        assert_eq!(faults.active(), 0, "spent");
        assert!(faults.rules().is_empty());
        assert_eq!(faults.take(&get, "/api/2/tenants", None), None);
    }

    #[test]
    fn a_waiting_rule_lets_a_later_rule_fire_meanwhile() {
        let faults = Faults::default();
        faults.add_after(1, rule("*", FaultKind::Drop));
        faults.add(rule("*", FaultKind::MalformedJson));
        let get = Method::GET;
        assert_eq!(
            faults.take(&get, "/a", None),
            Some(FaultKind::MalformedJson)
        );
        assert_eq!(faults.take(&get, "/a", None), Some(FaultKind::Drop));
    }

    #[tokio::test]
    async fn a_hung_request_is_applied_or_not_and_never_answered() {
        let core = SimCore::new("test", |_, path| (path.to_owned(), "get".to_owned()));
        let hits = Arc::new(AtomicI64::new(0));
        let counted = hits.clone();
        let routes = Router::new().route(
            "/thing",
            post(move || {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    StatusCode::CREATED
                }
            }),
        );
        let sim = serve(finish(routes, core.clone()), 0).await.expect("serve");
        let http = reqwest::Client::new();
        for (applied, expected_hits) in [(false, 0), (true, 1)] {
            core.faults.add(rule("/thing", FaultKind::Hang { applied }));
            let call = http.post(format!("{}/thing", sim.base_url())).send();
            tokio::select! {
                _ = call => panic!("a hung request was answered"),
                () = core.hung.notified() => {}
            }
            assert_eq!(
                hits.load(Ordering::SeqCst),
                expected_hits,
                "applied: {applied}"
            );
        }
        let answered = http
            .post(format!("{}/thing", sim.base_url()))
            .send()
            .await
            .expect("answered once the rule is spent");
        assert_eq!(answered.status(), 201);
    }
}
