//! `POST /deprovisioning/release`: the operator lets deprovisioning the blast-radius
//! guard held go ahead, for every held company (`{"all": true}`) or the ones named
//! (`{"companies": [ids]}`). The next contract poller run applies their actions; the
//! answer lists the companies released and those still held.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::accounts::all_mappings;
use axum::Json;
use axum::extract::State;
use bridge_jobs::provisioning::{Release, held_json, release};
use serde_json::{Value, json};

/// Companies one request may name.
const MAX_COMPANIES: usize = 1000;

pub async fn post(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let which = which(&body)?;
    let released = release(&state.ctx, &which, &caller.0, state.ctx.clock.now()).await?;
    let still_held: Vec<Value> = all_mappings(&state)
        .await?
        .values()
        .filter(|m| m.held.as_ref().is_some_and(|h| !h.is_released()))
        .filter_map(held_json)
        .collect();
    Ok(Json(json!({
        "released": released,
        "held": still_held,
    })))
}

fn which(body: &Value) -> Result<Release, ApiError> {
    let Some(fields) = body.as_object() else {
        return Err(ApiError::field(
            "",
            r#"send {"companies": [ids]} or {"all": true}"#,
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| *k != "all" && *k != "companies") {
        return Err(ApiError::field(
            unknown.as_str(),
            "unknown field (all, companies)",
        ));
    }
    match (fields.get("all"), fields.get("companies")) {
        (Some(Value::Bool(true)), None) => Ok(Release::All),
        (Some(_), None) => Err(ApiError::field(
            "all",
            "must be true (or name the companies instead)",
        )),
        (None, Some(Value::Array(ids))) => {
            if ids.is_empty() || ids.len() > MAX_COMPANIES {
                return Err(ApiError::field(
                    "companies",
                    format!("must name 1..={MAX_COMPANIES} company ids"),
                ));
            }
            ids.iter()
                .enumerate()
                .map(|(i, id)| {
                    id.as_i64().filter(|id| *id > 0).ok_or_else(|| {
                        ApiError::field(
                            format!("companies[{i}]"),
                            "must be a positive Autotask company id",
                        )
                    })
                })
                .collect::<Result<Vec<i64>, _>>()
                .map(Release::Companies)
        }
        (None, Some(_)) => Err(ApiError::field(
            "companies",
            "must be a list of Autotask company ids",
        )),
        (Some(_), Some(_)) => Err(ApiError::field(
            "",
            "send either all or companies, not both",
        )),
        (None, None) => Err(ApiError::field(
            "",
            r#"send {"companies": [ids]} or {"all": true}"#,
        )),
    }
}
