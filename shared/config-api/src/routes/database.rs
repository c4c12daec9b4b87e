//! `POST /database/adopt`: the operator starts over with the Autotask database the
//! saved credentials now reach (`{"ci": N}`, the number `GET /jobs` shows under
//! `database.mismatch`). Going back instead is saving the old credentials again.

use crate::ApiState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use bridge_jobs::database::{self, AdoptError};
use serde_json::{Value, json};

pub async fn adopt(
    State(state): State<ApiState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let ci = ci(&body)?;
    let adopted = match database::adopt(&state.ctx, ci, &caller.0).await {
        Ok(adopted) => adopted,
        Err(AdoptError::Refused(why)) => return Err(ApiError::conflict(why)),
        Err(AdoptError::Job(e)) => return Err(e.into()),
    };
    state.picklists.clear().await;
    Ok(Json(json!({
        "database": database::view(&adopted.identity),
        "forgotten": adopted.forgotten,
        "settings_cleared": adopted.cleared,
    })))
}

fn ci(body: &Value) -> Result<i64, ApiError> {
    let Some(fields) = body.as_object() else {
        return Err(ApiError::field("", r#"send {"ci": <database number>}"#));
    };
    if let Some(unknown) = fields.keys().find(|k| *k != "ci") {
        return Err(ApiError::field(
            bridge_core::text::bounded(unknown, 100),
            "unknown field (ci)",
        ));
    }
    match fields.get("ci").and_then(Value::as_i64) {
        Some(ci) if ci > 0 => Ok(ci),
        _ => Err(ApiError::field(
            "ci",
            "required: the positive database number GET /jobs shows under database.mismatch.ci",
        )),
    }
}
