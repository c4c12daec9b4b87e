//! Autotask's global zone lookup over several simulated databases: one
//! `zoneInformation` answers for every user of any of them, as
//! `webservices.autotask.net` does for every database, so a client whose credentials
//! move to another database finds it the way it would in production.

use super::AutotaskSim;
use super::routes::zone_answer;
use super::state::Shared;
use crate::common::{Running, lock, serve};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// A running zone directory; stops when dropped.
pub struct ZoneDirectory {
    running: Running,
}

impl ZoneDirectory {
    /// What a client is configured with as its zone lookup URL.
    pub fn zone_lookup_url(&self) -> String {
        format!("{}/atservicesrest/", self.running.base_url())
    }
}

/// Serves the zone lookup of `databases` on a free loopback port.
pub async fn directory(databases: &[&AutotaskSim]) -> std::io::Result<ZoneDirectory> {
    let shared: Vec<Arc<Shared>> = databases.iter().map(|d| d.shared.clone()).collect();
    let router = Router::new()
        .route("/atservicesrest/v1.0/zoneInformation", get(lookup))
        .route("/atservicesrest/v1.0/zoneinformation", get(lookup))
        .with_state(Arc::new(shared));
    Ok(ZoneDirectory {
        running: serve(router, 0).await?,
    })
}

async fn lookup(
    State(databases): State<Arc<Vec<Arc<Shared>>>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = params.get("user").map(String::as_str).unwrap_or_default();
    for sim in databases.iter() {
        let base = lock(&sim.base_url).clone();
        if let Some(answer) = zone_answer(sim, user, &base) {
            return Json(answer).into_response();
        }
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"errors": ["Zone information could not be determined"]})),
    )
        .into_response()
}
