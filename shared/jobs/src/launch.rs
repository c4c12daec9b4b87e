//! "Run now": how an operator's request to run a job reaches it.
//!
//! In local mode the job runs at once in the same process and the answer carries its
//! summary ([`InProcess`]). Deployed, the config function invokes the job's function
//! asynchronously ([`LambdaLauncher`]) and the result shows in `GET /jobs` (and the
//! function's log) when the run is over: the config function's 30-second timeout is
//! far below a sweep's minutes.

use crate::harness::{self, Invocation};
use crate::job::{self, JobSpec};
use crate::sigv4;
use crate::{Context, JobError, JobSummary};
use async_trait::async_trait;
use aws_credential_types::provider::ProvideCredentials;
use bridge_core::text::bounded;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What a run-now request led to.
#[derive(Debug)]
pub enum Launched {
    /// The run happened here; this is its summary.
    Finished(JobSummary),
    /// The job's function was invoked and runs on its own.
    Started {
        /// The Lambda function that runs it.
        function: String,
        /// Where its logs go.
        log_group: String,
    },
}

/// Starts a run of a job now.
#[async_trait]
pub trait Launcher: Send + Sync {
    async fn launch(
        &self,
        job: &'static JobSpec,
        invocation: Invocation,
    ) -> Result<Launched, JobError>;
}

/// Runs the job in this process (local mode, tests).
pub struct InProcess {
    pub ctx: Arc<Context>,
}

#[async_trait]
impl Launcher for InProcess {
    async fn launch(
        &self,
        job: &'static JobSpec,
        invocation: Invocation,
    ) -> Result<Launched, JobError> {
        harness::run(job::find(job.name)?, &self.ctx, &invocation)
            .await
            .map(Launched::Finished)
    }
}

/// Where no way to run a job was given.
pub struct NoLauncher;

#[async_trait]
impl Launcher for NoLauncher {
    async fn launch(&self, job: &'static JobSpec, _: Invocation) -> Result<Launched, JobError> {
        Err(JobError::Launch(format!(
            "this endpoint cannot start {} (no launcher configured)",
            job.name
        )))
    }
}

/// The payload a job's function receives for a run now (see
/// [`Invocation::from_lambda_payload`]).
pub fn run_now_payload(invocation: &Invocation) -> Value {
    json!({
        "run_now": {
            "dry_run": invocation.dry_run,
            "requested_by": invocation.requested_by,
        }
    })
}

/// Invokes `<stack>-<job>` asynchronously through the Lambda API
/// (`POST /2015-03-31/functions/{name}/invocations`, `X-Amz-Invocation-Type: Event`),
/// signed with the config function's own role.
pub struct LambdaLauncher {
    http: reqwest::Client,
    sdk: aws_config::SdkConfig,
    stack: String,
    /// `https://lambda.<region>.amazonaws.com`, or a stand-in in tests.
    endpoint: Option<String>,
}

/// How long an asynchronous invoke may take to be accepted.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

impl LambdaLauncher {
    pub fn new(sdk: aws_config::SdkConfig, stack: impl Into<String>) -> Result<Self, JobError> {
        let http = reqwest::Client::builder()
            .timeout(INVOKE_TIMEOUT)
            .build()
            .map_err(|e| JobError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            sdk,
            stack: stack.into(),
            endpoint: None,
        })
    }

    /// Sends invocations to `endpoint` instead of the region's Lambda API.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    fn launch_error(message: String) -> JobError {
        JobError::Launch(message)
    }
}

#[async_trait]
impl Launcher for LambdaLauncher {
    async fn launch(
        &self,
        job: &'static JobSpec,
        invocation: Invocation,
    ) -> Result<Launched, JobError> {
        let function = format!("{}-{}", self.stack, job.name);
        let region = self
            .sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| Self::launch_error("no AWS region in the environment".into()))?;
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            endpoint.trim_end_matches('/')
        );
        let body = serde_json::to_vec(&run_now_payload(&invocation))
            .map_err(|e| Self::launch_error(format!("cannot encode the payload: {e}")))?;
        let provider = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| Self::launch_error("no AWS credentials in the environment".into()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| Self::launch_error(format!("no AWS credentials: {e}")))?;
        let headers = [
            ("content-type", "application/json"),
            ("x-amz-invocation-type", "Event"),
        ];
        let signed = sigv4::signed_headers(
            "POST",
            &url,
            &headers,
            &body,
            &region,
            credentials,
            SystemTime::now(),
        )
        .map_err(|e| Self::launch_error(e.to_string()))?;
        let mut request = self.http.post(&url).body(body);
        for (name, value) in headers.iter().copied() {
            request = request.header(name, value);
        }
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let answer = request.send().await.map_err(|e| {
            Self::launch_error(format!("Lambda did not answer for {function}: {e}"))
        })?;
        let status = answer.status();
        if status.as_u16() != 202 {
            let text = answer.text().await.unwrap_or_default();
            return Err(Self::launch_error(format!(
                "Lambda refused to invoke {function}: HTTP {status}: {}",
                bounded(&text, 300)
            )));
        }
        Ok(Launched::Started {
            log_group: format!("/aws/lambda/{function}"),
            function,
        })
    }
}
