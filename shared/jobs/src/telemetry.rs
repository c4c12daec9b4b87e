//! Logging set-up shared by every Lambda: one JSON object per line for CloudWatch
//! (Lambda stamps the time itself), level from `RUST_LOG`, `info` by default.

pub fn init_lambda_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
}
