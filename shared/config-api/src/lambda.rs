//! The configuration endpoint as a Lambda behind a Function URL (`AWS_IAM` auth):
//! `functions/config-api/src/main.rs` calls [`serve`] and nothing else.
//!
//! The context is built once per container from the environment; "run now" invokes
//! the job's function (`<stack>-<job>`) asynchronously with this function's role.

use crate::{ApiState, Auth, router};
use bridge_jobs::Context;
use bridge_jobs::launch::LambdaLauncher;
use std::sync::Arc;

/// Prefix of the schedule rule and function names (`<stack>-<function>[-<schedule>]`).
pub const STACK_NAME: &str = "BRIDGE_STACK_NAME";

/// Serves the config endpoint until Lambda stops the container.
pub async fn serve() -> Result<(), lambda_http::Error> {
    bridge_jobs::telemetry::init_lambda_tracing();
    let aws = bridge_jobs::context::aws_config().await;
    let ctx = Context::from_env_with(&aws).await?;
    let stack_name = std::env::var(STACK_NAME)
        .map_err(|_| format!("environment variable {STACK_NAME} is not set"))?;
    let launcher = LambdaLauncher::new(aws, stack_name.clone())?;
    let state =
        ApiState::new(Arc::new(ctx), Auth::Iam, stack_name).with_launcher(Arc::new(launcher));
    lambda_http::run(router(state)).await
}
