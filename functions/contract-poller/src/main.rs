//! The contract poller's Lambda function: its schedules (`poll`, `sweep`) and run-now
//! requests go through the shared job entry point.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bridge_jobs::lambda::serve(&bridge_jobs::contract_poller::ContractPoller).await
}
