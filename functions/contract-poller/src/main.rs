//! The contract poller as a Lambda, invoked by its two schedules with the constant
//! input `{"schedule": "poll"}` (every minute) or `{"schedule": "sweep"}` (nightly).
//!
//! Thin on purpose: JSON logs, the context built once per container from the
//! environment (clients and their caches survive between invocations), every event
//! handed to `bridge_jobs::run_job`, the run's summary logged and returned.

use bridge_jobs::contract_poller::JOB;
use bridge_jobs::{Context, Trigger, run_job};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_jobs::telemetry::init_lambda_tracing();
    let ctx = Arc::new(Context::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = Arc::clone(&ctx);
        async move { handle(&ctx, event.payload).await }
    }))
    .await
}

async fn handle(ctx: &Context, payload: Value) -> Result<Value, lambda_runtime::Error> {
    let trigger = Trigger::from_lambda_payload(&payload)
        .map_err(|e| anyhow::anyhow!("{JOB}: unexpected input: {e}"))?;
    let summary = run_job(JOB, ctx, &trigger, false).await.map_err(|e| {
        tracing::error!(job = JOB, error = %e, "run failed");
        anyhow::anyhow!("{JOB}: {e}")
    })?;
    summary.log();
    Ok(serde_json::to_value(&summary)?)
}
