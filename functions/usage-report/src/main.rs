//! Usage reporting's Lambda function: its `report` schedule, change events and run-now
//! requests go through the shared job entry point.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_jobs::lambda::serve(&bridge_jobs::usage_report::UsageReport).await
}
