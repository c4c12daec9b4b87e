//! SigV4 for AWS Lambda (service `lambda`): the config function invoking a job's
//! function, and the operator CLI calling a Function URL with `AWS_IAM` auth.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(
        "no AWS region for {url}: pass --region (Function URLs look like https://ID.lambda-url.REGION.on.aws/)"
    )]
    NoRegion { url: String },
    #[error("cannot sign the request: {0}")]
    Sign(String),
}

/// The region of a Function URL (`https://<id>.lambda-url.<region>.on.aws/`).
pub fn region_from_url(url: &str) -> Option<String> {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', ':', '?'])
        .next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let at = labels.iter().position(|l| *l == "lambda-url")?;
    labels
        .get(at + 1)
        .filter(|r| !r.is_empty() && labels.get(at + 2) == Some(&"on"))
        .map(|r| r.to_string())
}

/// The headers to add to the request (`authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials).
pub fn signed_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    region: &str,
    credentials: Credentials,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError::Sign(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SignError::Sign(e.to_string()))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| SignError::Sign(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn region_comes_from_the_function_url() {
        let url = "https://abcdefghij.lambda-url.eu-central-1.on.aws/settings";
        assert_eq!(region_from_url(url).as_deref(), Some("eu-central-1"));
        assert_eq!(
            region_from_url("https://x.lambda-url.us-east-2.on.aws").as_deref(),
            Some("us-east-2")
        );
        assert_eq!(region_from_url("https://config.example.com/"), None);
        assert_eq!(region_from_url("http://127.0.0.1:8080"), None);
    }

    #[test]
    fn signs_for_lambda_in_the_region_with_the_body() {
        let creds = || {
            Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                Some("session-token".into()),
                None,
                "test",
            )
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_072_000); // 2025-11-25T12:00:00Z
        let url = "https://abc.lambda-url.eu-west-1.on.aws/settings";
        let headers = [("content-type", "application/json")];
        let sign_body = |body: &[u8]| {
            signed_headers("PUT", url, &headers, body, "eu-west-1", creds(), at).expect("signs")
        };
        let signed = sign_body(b"{\"version\":1}");
        let get = |name: &str| {
            signed
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let auth = get("authorization");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251125/eu-west-1/lambda/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{auth}"
        );
        assert_eq!(get("x-amz-date"), "20251125T120000Z");
        assert_eq!(get("x-amz-security-token"), "session-token");
        // The body is part of the signature.
        let other = sign_body(b"{\"version\":2}");
        assert_ne!(
            other
                .iter()
                .find(|(n, _)| n == "authorization")
                .map(|(_, v)| v),
            Some(&auth)
        );
    }
}
