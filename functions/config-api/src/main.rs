//! The configuration endpoint as a Lambda behind a Function URL (`AWS_IAM` auth).
//!
//! Thin on purpose: JSON logs, the context built once per container from the
//! environment, and every request handed to the shared router.

use bridge_config_api::{ApiState, Auth, router};
use bridge_jobs::Context;
use std::sync::Arc;

/// Prefix of the schedule rule names (`<stack>-<function>-<schedule>`).
const STACK_NAME: &str = "BRIDGE_STACK_NAME";

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_jobs::telemetry::init_lambda_tracing();
    let ctx = Context::from_env().await?;
    let stack_name = std::env::var(STACK_NAME)
        .map_err(|_| anyhow::anyhow!("environment variable {STACK_NAME} is not set"))?;
    let state = ApiState::new(Arc::new(ctx), Auth::Iam, stack_name);
    lambda_http::run(router(state)).await
}
