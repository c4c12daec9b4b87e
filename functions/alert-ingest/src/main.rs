//! Alert ingestion's Lambda function: its `poll` schedule and run-now requests go
//! through the shared job entry point.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_jobs::lambda::serve(&bridge_jobs::alert_ingest::AlertIngest).await
}
