//! The REST surface: URL parsing (case-insensitive `ATServicesRest/V1.0` and entity
//! names), auth/threshold/thread checks, and dispatch to queries, reads and writes.

use super::access;
use super::error::ApiError;
use super::filter::{self, CmpOp, Cond, Scalar, Target, Test};
use super::metadata;
use super::schema::{self, ChildRoute, Entity, Kind};
use super::state::{Shared, State};
use super::store::Cursor;
use super::write::{self, Ctx};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What a path addresses.
#[derive(Debug, PartialEq)]
pub enum Endpoint<'a> {
    /// `/atservicesrest/versioninformation`
    Version,
    /// `/atservicesrest/v1.0/zoneInformation`
    ZoneInfo,
    /// `/zone{N}/ATServicesRest/V1.0/{rest…}`
    Api {
        zone: u32,
        rest: Vec<&'a str>,
    },
    Unknown,
}

pub fn endpoint(path: &str) -> Endpoint<'_> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is = |s: &str, w: &str| s.eq_ignore_ascii_case(w);
    match segs.as_slice() {
        [a, v] if is(a, "atservicesrest") && is(v, "versioninformation") => Endpoint::Version,
        [a, v, z] if is(a, "atservicesrest") && is(v, "v1.0") && is(z, "zoneinformation") => {
            Endpoint::ZoneInfo
        }
        [zone, a, v, rest @ ..] if is(a, "atservicesrest") && is(v, "v1.0") => zone
            .get(..4)
            .filter(|p| is(p, "zone"))
            .and_then(|_| zone[4..].parse().ok())
            .map_or(Endpoint::Unknown, |zone| Endpoint::Api {
                zone,
                rest: rest.to_vec(),
            }),
        _ => Endpoint::Unknown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    Page,
    Count,
    Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoKind {
    Entity,
    Fields,
    Udfs,
}

type Parent = Option<(&'static ChildRoute, i64)>;

/// The operation a request asks for.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Threshold,
    Query(&'static Entity, QueryKind),
    Get(&'static Entity, i64, Parent),
    List(&'static ChildRoute, i64),
    Create(&'static Entity, Parent),
    Update(&'static Entity, Parent, bool),
    Delete(&'static Entity, i64, Parent),
    Info(&'static Entity, InfoKind),
    NotAllowed(&'static str),
    NotFound,
}

impl Action {
    /// (entity, verb) for the request log; the entity also keys the thread limit.
    pub fn label(&self) -> (&'static str, &'static str) {
        match self {
            Action::Threshold => ("ThresholdInformation", "get"),
            Action::Query(e, QueryKind::Page) => (e.name, "query"),
            Action::Query(e, QueryKind::Count) => (e.name, "count"),
            Action::Query(e, QueryKind::Next) => (e.name, "next"),
            Action::Get(e, _, _) => (e.name, "get"),
            Action::List(r, _) => (r.entity, "list"),
            Action::Create(e, _) => (e.name, "create"),
            Action::Update(e, _, _) => (e.name, "update"),
            Action::Delete(e, _, _) => (e.name, "delete"),
            Action::Info(e, InfoKind::Entity) => (e.name, "entityInformation"),
            Action::Info(e, InfoKind::Fields) => (e.name, "fields"),
            Action::Info(e, InfoKind::Udfs) => (e.name, "userDefinedFields"),
            Action::NotAllowed(e) => (e, "notAllowed"),
            Action::NotFound => ("unknown", "notFound"),
        }
    }
}

fn id_of(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Maps method + path segments (after `V1.0`) to an action, per reference 3.1/3.2.
/// Queries on the write-only adjustment entities answer 405 (the reference only says
/// they cannot be queried; 405 is this simulator's choice).
pub fn resolve(method: &Method, rest: &[&str]) -> Action {
    use Action::*;
    let is = |s: &str, w: &str| s.eq_ignore_ascii_case(w);
    let m = method.as_str();
    if let [t] = rest
        && is(t, "ThresholdInformation")
    {
        return if m == "GET" {
            Threshold
        } else {
            NotAllowed("ThresholdInformation")
        };
    }
    // Child collections first: a parent's URL name need not be an entity
    // (`/UserDefinedFields/{udfId}/ListItems`).
    if let [parent, pid, seg, tail @ ..] = rest
        && let (Some(pid), Some(route)) = (id_of(pid), schema::child_route(parent, seg))
    {
        return resolve_child(m, route, pid, tail);
    }
    let Some(entity) = rest.first().and_then(|n| schema::find(n)) else {
        return NotFound;
    };
    let ops = entity.ops;
    let allow = |ok: bool, action: Action| if ok { action } else { NotAllowed(entity.name) };
    match rest {
        [_] => match m {
            "POST" => allow(ops.create, Create(entity, None)),
            "PATCH" => allow(ops.update, Update(entity, None, false)),
            "PUT" => allow(ops.update, Update(entity, None, true)),
            _ => NotAllowed(entity.name),
        },
        [_, q] if is(q, "query") => match m {
            "GET" | "POST" => allow(ops.query, Query(entity, QueryKind::Page)),
            _ => NotAllowed(entity.name),
        },
        [_, q, k] if is(q, "query") && (is(k, "count") || is(k, "next")) => {
            let kind = if is(k, "count") {
                QueryKind::Count
            } else {
                QueryKind::Next
            };
            match m {
                "GET" | "POST" => allow(ops.query, Query(entity, kind)),
                _ => NotAllowed(entity.name),
            }
        }
        [_, i] if is(i, "entityInformation") => allow(m == "GET", Info(entity, InfoKind::Entity)),
        [_, i, f] if is(i, "entityInformation") && is(f, "fields") => {
            allow(m == "GET", Info(entity, InfoKind::Fields))
        }
        [_, i, f] if is(i, "entityInformation") && is(f, "userDefinedFields") => {
            allow(m == "GET", Info(entity, InfoKind::Udfs))
        }
        [_, id] => match (m, id_of(id)) {
            (_, None) => NotFound,
            ("GET", Some(id)) => allow(ops.query, Get(entity, id, None)),
            ("DELETE", Some(id)) => allow(ops.delete, Delete(entity, id, None)),
            // No PATCH/PUT on /{Entity}/{id}: clients report 405.
            _ => NotAllowed(entity.name),
        },
        _ => NotFound,
    }
}

/// `/{parent}/{pid}/{segment}[/{cid}]`.
fn resolve_child(m: &str, route: &'static ChildRoute, pid: i64, tail: &[&str]) -> Action {
    use Action::*;
    let child = schema::get(route.entity);
    let parent = Some((route, pid));
    match (tail, m) {
        ([], "GET") => {
            if route.list {
                List(route, pid)
            } else {
                NotAllowed(child.name)
            }
        }
        ([], "POST") => {
            if route.create {
                Create(child, parent)
            } else {
                NotAllowed(child.name)
            }
        }
        ([], "PATCH") => {
            if route.update {
                Update(child, parent, false)
            } else {
                NotAllowed(child.name)
            }
        }
        ([], "PUT") => {
            if route.update {
                Update(child, parent, true)
            } else {
                NotAllowed(child.name)
            }
        }
        ([cid], "GET") => match id_of(cid) {
            Some(cid) if route.list => Get(child, cid, parent),
            Some(_) => NotAllowed(child.name),
            None => NotFound,
        },
        ([cid], "DELETE") => match id_of(cid) {
            Some(cid) if route.delete => Delete(child, cid, parent),
            Some(_) => NotAllowed(child.name),
            None => NotFound,
        },
        ([_], _) => NotAllowed(child.name),
        _ => NotFound,
    }
}

/// The request-log classifier handed to [`crate::common::SimCore`].
pub fn classify(method: &Method, path: &str) -> (String, String) {
    let (entity, verb) = match endpoint(path) {
        Endpoint::Version => ("versionInformation", "get"),
        Endpoint::ZoneInfo => ("zoneInformation", "get"),
        Endpoint::Api { rest, .. } => resolve(method, &rest).label(),
        Endpoint::Unknown => ("unknown", "notFound"),
    };
    (entity.to_string(), verb.to_string())
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// Query-string parameters, names lower-cased, values form-decoded.
fn params(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                urlencoding::decode(&s).map(|c| c.into_owned()).unwrap_or(s)
            };
            (decode(k).to_ascii_lowercase(), decode(v))
        })
        .collect()
}

/// `http://host:port` as the caller addressed us, so page URLs work behind port maps.
fn base_url(sim: &Shared, headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| crate::common::lock(&sim.base_url).clone())
}

async fn handle(
    AxState(sim): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let result = match endpoint(&path) {
        Endpoint::Version if method == Method::GET => Ok(json!({"apiVersions": ["V1.0"]})),
        Endpoint::ZoneInfo if method == Method::GET => zone_info(&sim, &uri, &headers),
        Endpoint::Version | Endpoint::ZoneInfo => {
            Err(ApiError::method_not_allowed(method.as_str()))
        }
        Endpoint::Api { zone, rest } => {
            let request = Request {
                method: &method,
                zone,
                rest: &rest,
                params: params(&uri),
                headers: &headers,
                body: &body,
            };
            api(&sim, request).await
        }
        Endpoint::Unknown => Err(ApiError::iis_not_found()),
    };
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Zone lookup: no auth, no threshold, no thread limit.
fn zone_info(sim: &Shared, uri: &Uri, headers: &HeaderMap) -> Result<Value, ApiError> {
    let user = params(uri).remove("user").unwrap_or_default();
    // Body reported (KelvinTegelaar/AutotaskAPI#17); the status is unconfirmed — 500,
    // like other server-side failures.
    zone_answer(sim, &user, &base_url(sim, headers))
        .ok_or_else(|| ApiError::server("Zone information could not be determined"))
}

/// This database's zone information for `user`, when `user` is one of its API users.
pub(super) fn zone_answer(sim: &Shared, user: &str, base: &str) -> Option<Value> {
    let state = sim.lock();
    if !state
        .users
        .iter()
        .any(|u| u.username.eq_ignore_ascii_case(user))
    {
        return None;
    }
    let zone = state.db.zone;
    Some(json!({
        "zoneName": state.db.zone_name,
        "url": format!("{base}/zone{zone}/ATServicesRest/"),
        "webUrl": format!("{base}/ww{zone}/"),
        "ci": state.db.ci,
    }))
}

struct Request<'a> {
    method: &'a Method,
    zone: u32,
    rest: &'a [&'a str],
    params: HashMap<String, String>,
    headers: &'a HeaderMap,
    body: &'a Bytes,
}

async fn api(sim: &Shared, req: Request<'_>) -> Result<Value, ApiError> {
    let now = sim.now();
    let action = resolve(req.method, req.rest);
    let (caller, delay, thread_limit, impersonator) = {
        let mut state = sim.lock();
        if req.zone != state.db.zone {
            // The database moved (or never lived here): IIS answers 404 with HTML.
            return Err(ApiError::iis_not_found());
        }
        let caller = access::authenticate(&state.users, req.headers)?;
        let limit = state.db.request_threshold;
        let used = state.budget.used(now);
        if used >= limit {
            // Status unconfirmed (clients handle 429); the message names the threshold.
            return Err(ApiError::new(
                429,
                format!(
                    "The request threshold of {limit} requests per 60 minutes has been exceeded for this database. API access is suspended until the rolling hour drops below the threshold."
                ),
            ));
        }
        state.budget.record(now);
        let mut delay = Duration::from_millis(state.db.processing_delay_ms);
        if state.db.latency_bands {
            let ratio = f64::from(used + 1) / f64::from(limit.max(1));
            if ratio >= 0.75 {
                delay += Duration::from_secs(1);
            } else if ratio >= 0.5 {
                delay += Duration::from_millis(500);
            }
        }
        let impersonator = impersonation(&state, req.headers)?;
        (caller, delay, state.db.thread_limit, impersonator)
    };
    let (endpoint_entity, _) = action.label();
    let _slot = sim
        .threads
        .acquire(&caller.integration_code, endpoint_entity, thread_limit)
        .ok_or_else(|| {
            ApiError::new(
                429,
                format!(
                    "Thread Threshold Exceeded: more than {thread_limit} concurrent requests to the {endpoint_entity} endpoint for this integration. (Itgenatr005)"
                ),
            )
        })?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let ctx = Ctx {
        now: sim.now(),
        impersonator,
    };
    let base = base_url(sim, req.headers);
    let mut state = sim.lock();
    execute(&mut state, action, &req, &base, ctx)
}

/// `ImpersonationResourceId`: must name an active resource.
fn impersonation(state: &State, headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(raw) = headers.get("ImpersonationResourceId") else {
        return Ok(None);
    };
    let id = raw.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok());
    let active = id
        .and_then(|id| state.store.row("Resources", id))
        .is_some_and(|r| r.get("isActive") != Some(&Value::Bool(false)));
    if active {
        Ok(id)
    } else {
        Err(ApiError::server(
            "The logged in Resource does not have the adequate permissions to impersonate the resource given in ImpersonationResourceId.",
        ))
    }
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::server(format!(
            "Unexpected character encountered while parsing value: {e}"
        ))
    })
}

fn parent_matches(item: &Value, parent: Parent) -> bool {
    parent.is_none_or(|(route, pid)| {
        item.get(route.parent_field).and_then(Value::as_i64) == Some(pid)
    })
}

fn execute(
    state: &mut State,
    action: Action,
    req: &Request<'_>,
    base: &str,
    ctx: Ctx,
) -> Result<Value, ApiError> {
    match action {
        Action::Threshold => {
            let used = state.budget.used(ctx.now);
            Ok(json!({
                "externalRequestThreshold": state.db.request_threshold,
                "requestThresholdTimeframe": 60,
                "currentTimeframeRequestCount": used,
            }))
        }
        Action::Query(entity, kind) => query(state, entity, kind, req, base),
        Action::Get(entity, id, parent) => {
            let item = state
                .store
                .get(entity, id)
                .filter(|item| parent_matches(item, parent))
                .ok_or_else(|| {
                    ApiError::new(404, format!("No {} with id {id} was found.", entity.name))
                })?;
            Ok(json!({ "item": item }))
        }
        Action::List(route, pid) => {
            let entity = schema::get(route.entity);
            let cond = Cond::All(vec![Cond::Test(
                Target::Field(route.parent_field, Kind::Int),
                Test::Cmp(CmpOp::Eq, Scalar::Num(pid as f64)),
            )]);
            let total = state.store.count(entity, &cond);
            let page = state
                .store
                .page(entity, &cond, Cursor::Start, total.max(1), None);
            Ok(json!({
                "items": page.items,
                "pageDetails": {"count": total, "requestCount": filter::MAX_RECORDS, "prevPageUrl": null, "nextPageUrl": null},
            }))
        }
        Action::Create(entity, parent) => {
            let id = write::create(state, entity, &body_json(req.body)?, parent, ctx)?;
            Ok(json!({ "itemId": id }))
        }
        Action::Update(entity, parent, put) => {
            let id = write::update(state, entity, &body_json(req.body)?, parent, put, ctx)?;
            Ok(json!({ "itemId": id }))
        }
        Action::Delete(entity, id, parent) => {
            let id = write::delete(state, entity, id, parent)?;
            Ok(json!({ "itemId": id }))
        }
        Action::Info(entity, kind) => Ok(match kind {
            InfoKind::Entity => metadata::info(entity),
            InfoKind::Fields => metadata::fields(state, entity),
            InfoKind::Udfs => metadata::udf_fields(state, entity),
        }),
        Action::NotAllowed(_) => Err(ApiError::method_not_allowed(req.method.as_str())),
        Action::NotFound => Err(ApiError::iis_not_found()),
    }
}

/// The search object: `?search=` on GET (and on `query/next` URLs), else the body.
fn search(req: &Request<'_>) -> Result<Value, ApiError> {
    if let Some(text) = req.params.get("search") {
        return serde_json::from_str(text).map_err(|e| {
            ApiError::server(format!(
                "Invalid query syntax: the search parameter is not valid JSON ({e})."
            ))
        });
    }
    match body_json(req.body)? {
        Value::Null => Err(ApiError::server(
            "Invalid query syntax: send the query in the 'search' parameter (GET) or as the request body (POST).",
        )),
        v => Ok(v),
    }
}

/// The `paging` parameter of `query/next`: `{"pageSize","previousIds","nextIds"}`; this
/// simulator puts the last id of the current page in `nextIds` (next page) or the first
/// id in `previousIds` (previous page) — keyset paging on id.
fn paging(req: &Request<'_>) -> Result<(Cursor, usize), ApiError> {
    let bad = || ApiError::server("Invalid paging parameter.");
    let text = req.params.get("paging").ok_or_else(bad)?;
    let p: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let obj = p.as_object().ok_or_else(bad)?;
    let size = filter::prop(obj, "pageSize")
        .and_then(Value::as_u64)
        .filter(|n| (1..=500).contains(n))
        .ok_or_else(bad)? as usize;
    let ids = |name: &str| -> Vec<i64> {
        filter::prop(obj, name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    let cursor = match (ids("nextIds").iter().max(), ids("previousIds").iter().min()) {
        (Some(after), _) => Cursor::After(*after),
        (None, Some(before)) => Cursor::Before(*before),
        (None, None) => Cursor::Start,
    };
    Ok((cursor, size))
}

fn query(
    state: &State,
    entity: &'static Entity,
    kind: QueryKind,
    req: &Request<'_>,
    base: &str,
) -> Result<Value, ApiError> {
    let raw = search(req)?;
    let udfs = state.store.udf_defs(entity);
    let q = filter::parse(&raw, entity, &udfs)?;
    let (cursor, size) = match kind {
        QueryKind::Count => {
            return Ok(json!({ "queryCount": state.store.count(entity, &q.filter) }));
        }
        QueryKind::Page => (Cursor::Start, q.max_records),
        QueryKind::Next => paging(req)?,
    };
    let page = state
        .store
        .page(entity, &q.filter, cursor, size, q.include.as_ref());
    let url = |cursor: Cursor| {
        let (prev, next) = match cursor {
            Cursor::After(id) => (vec![], vec![id]),
            Cursor::Before(id) => (vec![id], vec![]),
            Cursor::Start => (vec![], vec![]),
        };
        let paging = json!({"pageSize": size, "previousIds": prev, "nextIds": next}).to_string();
        format!(
            "{base}/zone{}/ATServicesRest/V1.0/{}/query/next?paging={}&search={}",
            req.zone,
            entity.name,
            urlencoding::encode(&paging),
            urlencoding::encode(&q.raw.to_string())
        )
    };
    let next = page
        .last_id
        .filter(|_| page.has_next)
        .map(|id| url(Cursor::After(id)));
    let prev = page
        .first_id
        .filter(|_| page.has_prev)
        .map(|id| url(Cursor::Before(id)));
    Ok(json!({
        "items": page.items,
        "pageDetails": {
            "count": page.items.len(),
            "requestCount": size,
            "prevPageUrl": prev,
            "nextPageUrl": next,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_case_insensitively() {
        assert_eq!(
            endpoint("/atservicesrest/versioninformation"),
            Endpoint::Version
        );
        assert_eq!(
            endpoint("/ATServicesRest/V1.0/zoneInformation"),
            Endpoint::ZoneInfo
        );
        assert_eq!(
            endpoint("/zone15/atservicesrest/v1.0/Companies/query"),
            Endpoint::Api {
                zone: 15,
                rest: vec!["Companies", "query"]
            }
        );
        assert_eq!(
            endpoint("/Zone3/ATServicesRest/V1.0/"),
            Endpoint::Api {
                zone: 3,
                rest: vec![]
            }
        );
        assert_eq!(
            endpoint("/zonex/ATServicesRest/V1.0/Companies"),
            Endpoint::Unknown
        );
        assert_eq!(endpoint("/favicon.ico"), Endpoint::Unknown);
    }

    #[test]
    fn classifier_names_entity_and_verb() {
        let c = |m: Method, p: &str| classify(&m, p);
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            c(Method::GET, "/atservicesrest/v1.0/zoneInformation"),
            s("zoneInformation", "get")
        );
        assert_eq!(
            c(
                Method::GET,
                "/zone1/ATServicesRest/V1.0/ThresholdInformation"
            ),
            s("ThresholdInformation", "get")
        );
        assert_eq!(
            c(Method::POST, "/zone1/ATServicesRest/V1.0/companies/query"),
            s("Companies", "query")
        );
        assert_eq!(
            c(
                Method::GET,
                "/zone1/ATServicesRest/V1.0/Companies/query/next"
            ),
            s("Companies", "next")
        );
        assert_eq!(
            c(
                Method::POST,
                "/zone1/ATServicesRest/V1.0/Companies/query/count"
            ),
            s("Companies", "count")
        );
        assert_eq!(
            c(Method::GET, "/zone1/ATServicesRest/V1.0/Contracts/12"),
            s("Contracts", "get")
        );
        assert_eq!(
            c(Method::POST, "/zone1/ATServicesRest/V1.0/Tickets"),
            s("Tickets", "create")
        );
        assert_eq!(
            c(Method::PATCH, "/zone1/ATServicesRest/V1.0/Tickets"),
            s("Tickets", "update")
        );
        assert_eq!(
            c(Method::POST, "/zone1/ATServicesRest/V1.0/Tickets/5/Notes"),
            s("TicketNotes", "create")
        );
        assert_eq!(
            c(
                Method::POST,
                "/zone1/ATServicesRest/V1.0/Contracts/5/ServiceAdjustments"
            ),
            s("ContractServiceAdjustments", "create")
        );
        assert_eq!(
            c(
                Method::GET,
                "/zone1/ATServicesRest/V1.0/Contracts/5/ServiceUnits"
            ),
            s("ContractServiceUnits", "list")
        );
        assert_eq!(
            c(Method::PATCH, "/zone1/ATServicesRest/V1.0/Companies/5"),
            s("Companies", "notAllowed")
        );
        assert_eq!(
            c(
                Method::POST,
                "/zone1/ATServicesRest/V1.0/UserDefinedFields/3/ListItems"
            ),
            s("UserDefinedFieldListItems", "create")
        );
        assert_eq!(
            c(
                Method::GET,
                "/zone1/ATServicesRest/V1.0/userdefinedfields/3/listitems/9"
            ),
            s("UserDefinedFieldListItems", "get")
        );
        assert_eq!(
            c(
                Method::POST,
                "/zone1/ATServicesRest/V1.0/UserDefinedFieldListItems/query"
            ),
            s("UserDefinedFieldListItems", "query")
        );
        assert_eq!(
            c(
                Method::DELETE,
                "/zone1/ATServicesRest/V1.0/UserDefinedFields/3/ListItems/9"
            ),
            s("UserDefinedFieldListItems", "notAllowed")
        );
        assert_eq!(
            c(
                Method::GET,
                "/zone1/ATServicesRest/V1.0/UserDefinedFields/query"
            ),
            s("unknown", "notFound")
        );
        assert_eq!(
            c(
                Method::POST,
                "/zone1/ATServicesRest/V1.0/ContractServiceAdjustments/query"
            ),
            s("ContractServiceAdjustments", "notAllowed")
        );
        assert_eq!(
            c(Method::GET, "/zone1/ATServicesRest/V1.0/Nope/query"),
            s("unknown", "notFound")
        );
    }

    #[test]
    fn child_entities_write_only_through_their_parent() {
        assert!(matches!(
            resolve(&Method::POST, &["Contacts"]),
            Action::NotAllowed("Contacts")
        ));
        assert!(matches!(
            resolve(&Method::PATCH, &["Contacts"]),
            Action::NotAllowed("Contacts")
        ));
        assert!(
            matches!(resolve(&Method::PATCH, &["Companies", "4", "Contacts"]), Action::Update(e, Some(_), false) if e.name == "Contacts")
        );
        assert!(matches!(
            resolve(&Method::PATCH, &["Companies", "4", "Contacts", "9"]),
            Action::NotAllowed(_)
        ));
        assert!(matches!(
            resolve(&Method::DELETE, &["Companies", "4", "Contacts", "9"]),
            Action::Delete(_, 9, Some(_))
        ));
        assert!(matches!(
            resolve(&Method::GET, &["Contracts", "4", "ServiceAdjustments"]),
            Action::NotAllowed(_)
        ));
        assert!(matches!(
            resolve(&Method::POST, &["BillingCodes"]),
            Action::NotAllowed(_)
        ));
        assert!(matches!(
            resolve(&Method::DELETE, &["ServiceBundles", "3"]),
            Action::Delete(_, 3, None)
        ));
        assert!(matches!(
            resolve(&Method::DELETE, &["Companies", "3"]),
            Action::NotAllowed(_)
        ));
    }
}
