//! The one Lambda entry point of every job function: `functions/<job>/src/main.rs`
//! calls [`serve`] with its job and nothing else (the job itself, not its name, so a
//! function links its own job's code only).
//!
//! The context (store, secrets, bus, clients and their caches) is built once per
//! container from the environment; each event is read as an [`Invocation`], run through
//! the harness, and the run's summary is logged and returned.

use crate::harness::{self, Invocation};
use crate::job::Job;
use crate::{Context, telemetry};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use std::sync::Arc;

/// Serves `job`'s function until Lambda stops the container.
pub async fn serve(job: &'static dyn Job) -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda_tracing();
    let ctx = Arc::new(Context::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = Arc::clone(&ctx);
        let deadline = crate::Deadline::from_lambda(event.context.deadline);
        async move { handle(job, &ctx, &event.payload, deadline).await }
    }))
    .await
}

/// One invocation: a schedule, a change event or a run now, to stop taking on work at
/// `deadline`. A run that could not work at all is an error (Lambda retries it, then
/// sends it to the dead-letter queue); per-customer failures are in the returned summary.
pub async fn handle(
    job: &dyn Job,
    ctx: &Context,
    payload: &Value,
    deadline: crate::Deadline,
) -> Result<Value, lambda_runtime::Error> {
    let name = job.spec().name;
    let invocation = Invocation::from_lambda_payload(payload)
        .map_err(|e| anyhow::anyhow!("{name}: unexpected input: {e}"))?
        .with_deadline(deadline);
    let summary = harness::run(job, ctx, &invocation).await.map_err(|e| {
        tracing::error!(job = name, error = %e, "run failed");
        anyhow::anyhow!("{name}: {e}")
    })?;
    summary.log();
    Ok(serde_json::to_value(&summary)?)
}
