//! The configuration endpoint's Lambda function (Function URL, `AWS_IAM` auth).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    bridge_config_api::lambda::serve().await
}
