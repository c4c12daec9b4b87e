//! Quota push's Lambda function: change events, its `sweep` schedule and run-now
//! requests go through the shared job entry point.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_jobs::lambda::serve(&bridge_jobs::quota_push::QuotaPush).await
}
