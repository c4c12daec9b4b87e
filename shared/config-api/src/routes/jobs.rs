//! `GET /jobs` and `POST /jobs/{job}/run`: every job with its schedules, whether it is
//! on, and its last run; and "run now", the answer to waiting for the next schedule.

use crate::ApiState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::envelope::current_or_default;
use crate::routes::pause::pause_document;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bridge_core::records::JobStatus;
use bridge_jobs::Invocation;
use bridge_jobs::audit::Audit;
use bridge_jobs::job::{self, SPECS, Timing};
use bridge_jobs::launch::Launched;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Plan lines, skips and failures a run-now answer carries (the counts give the rest).
const ANSWERED_NOTES: usize = 200;

pub async fn list(State(state): State<ApiState>, _caller: Caller) -> Result<Json<Value>, ApiError> {
    let settings = current_or_default(state.ctx.store.get_settings().await?).value;
    let statuses: BTreeMap<String, JobStatus> = state
        .ctx
        .store
        .list_job_statuses()
        .await?
        .into_iter()
        .map(|s| (s.job.clone(), s))
        .collect();
    let jobs: Vec<Value> = SPECS
        .iter()
        .map(|spec| {
            let status = statuses.get(spec.name);
            let schedules: Vec<Value> = spec
                .schedules
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name,
                        "rule": s.rule(&state.stack_name, spec.name),
                        "expression": s.expression(&settings),
                        "set_by": match s.timing {
                            Timing::Every(interval) => Some(format!("schedules.{}", interval.field())),
                            Timing::Fixed(_) => None,
                        },
                    })
                })
                .collect();
            json!({
                "name": spec.name,
                "description": spec.description,
                "on": (spec.switch.is_on)(&settings),
                "switch": spec.switch.setting,
                "schedules": schedules,
                "consumes_change_events": spec.consumes_change_events,
                "last_run": status.and_then(|s| s.last_run.as_ref()),
                "last_error": status.and_then(|s| s.last_error.as_ref()),
            })
        })
        .collect();
    let pause = state.ctx.store.get_pause().await?;
    // The Autotask database the jobs work on, and why they are stopped if another one
    // answers the saved credentials (`docs/safety.md`).
    let database = state.ctx.store.get_database_identity().await?;
    Ok(Json(json!({
        "pause": pause_document(pause.as_ref().map(|p| &p.value)),
        "database": database.map(|d| bridge_jobs::database::view(&d.value)),
        "jobs": jobs,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    dry_run: Option<String>,
}

pub async fn run(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<RunParams>, axum::extract::rejection::QueryRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Query(p) = params.map_err(crate::routes::params::rejected)?;
    let dry_run = match p.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("dry_run", "must be true or false")),
    };
    let spec = job::find_spec(&name).map_err(|e| ApiError::not_found(e.to_string()))?;
    Audit {
        actor: &caller.0,
        kind: "job.run_requested",
        subject: format!("job:{}", spec.name),
        before: None,
        after: Some(json!({ "dry_run": dry_run })),
        reason: Some("run now".into()),
    }
    .write(&state.ctx)
    .await?;
    let invocation = Invocation::run_now(dry_run, caller.0.clone());
    match state.launcher.launch(spec, invocation).await? {
        Launched::Finished(summary) => Ok((
            StatusCode::OK,
            Json(json!({
                "job": spec.name,
                // A paused bridge runs it as a dry run whatever was asked.
                "dry_run": summary.dry_run,
                "status": "finished",
                "text": summary.to_string(),
                "summary": summary.bounded(ANSWERED_NOTES),
            })),
        )),
        Launched::Started {
            function,
            log_group,
        } => Ok((
            StatusCode::ACCEPTED,
            Json(json!({
                "job": spec.name,
                "dry_run": dry_run,
                "status": "started",
                "function": function,
                "result": format!("GET /jobs shows the run as {}'s last_run when it is over", spec.name),
                "logs": log_group,
            })),
        )),
    }
}
