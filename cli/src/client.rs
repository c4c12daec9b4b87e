//! A thin HTTP client of the config endpoint: JSON in, JSON out, the server's error
//! message on any non-2xx answer.

use aws_credential_types::Credentials;
use bridge_core::secret::Secret;
use bridge_jobs::sigv4::{self, SignError};
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// How requests prove who sends them.
#[derive(Clone)]
pub enum ClientAuth {
    /// The local runner's token.
    Bearer(Secret),
    /// A deployed Function URL with `AWS_IAM` auth.
    SigV4 {
        region: String,
        credentials: Credentials,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The server refused; `message` is its `error` text with every listed problem.
    #[error("{status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the answer from {url} is not JSON: {detail}")]
    NotJson { url: String, detail: String },
    #[error(transparent)]
    Sign(#[from] SignError),
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    auth: ClientAuth,
}

impl ApiClient {
    pub fn new(base: &str, auth: ClientAuth) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: base.to_owned(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            auth,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    /// A `PUT` with extra headers (e.g. `If-Match`).
    pub async fn put_with(
        &self,
        path: &str,
        body: &Value,
        extra: &[(&str, String)],
    ) -> Result<Value, ClientError> {
        self.send(Method::PUT, path, Some(body), extra).await
    }

    pub async fn post(&self, path: &str) -> Result<Value, ClientError> {
        self.send(Method::POST, path, None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, ClientError> {
        self.send(Method::DELETE, path, None, &[]).await
    }

    /// A `DELETE` with extra headers (e.g. `If-Match`).
    pub async fn delete_with(
        &self,
        path: &str,
        extra: &[(&str, String)],
    ) -> Result<Value, ClientError> {
        self.send(Method::DELETE, path, None, extra).await
    }

    /// `path` starts with `/` and may carry a query string.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, String)],
    ) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut headers: Vec<(&str, &str)> = vec![("accept", "application/json")];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        headers.extend(extra.iter().map(|(n, v)| (*n, v.as_str())));
        let request = self.authorized(&method, &url, &headers, bytes, body.is_some())?;
        let response = request.send().await.map_err(|e| ClientError::Unreachable {
            url: url.clone(),
            detail: error_chain(&e),
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::Unreachable {
                url: url.clone(),
                detail: error_chain(&e),
            })?;
        if !status.is_success() {
            return Err(ClientError::Refused {
                status: status.as_u16(),
                message: server_message(&text),
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| ClientError::NotJson {
            url,
            detail: e.to_string(),
        })
    }
}

impl ApiClient {
    /// A request to `url` with `headers`, proven with the client's bearer token or SigV4
    /// (which covers the headers and the body, so both are set here).
    fn authorized(
        &self,
        method: &Method,
        url: &str,
        headers: &[(&str, &str)],
        bytes: Vec<u8>,
        with_body: bool,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let mut request = self.http.request(method.clone(), url);
        match &self.auth {
            ClientAuth::Bearer(token) => {
                request = request.bearer_auth(token.expose());
            }
            ClientAuth::SigV4 {
                region,
                credentials,
            } => {
                let signed = sigv4::signed_headers(
                    method.as_str(),
                    url,
                    headers,
                    &bytes,
                    region,
                    credentials.clone(),
                    SystemTime::now(),
                )?;
                for (name, value) in signed {
                    request = request.header(name, value);
                }
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if with_body {
            request = request.body(bytes);
        }
        Ok(request)
    }

    /// Passes one request on as it is (`path` with its query; a JSON body or none) and
    /// answers the server's status, content type and body unchanged, errors included:
    /// what `bridge console` relays between the page and the endpoint.
    pub async fn forward(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        extra: &[(&str, String)],
    ) -> Result<Forwarded, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut headers: Vec<(&str, &str)> = vec![("accept", "application/json")];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        headers.extend(extra.iter().map(|(n, v)| (*n, v.as_str())));
        let with_body = body.is_some();
        let request =
            self.authorized(&method, &url, &headers, body.unwrap_or_default(), with_body)?;
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: url.clone(),
            detail: error_chain(&e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(unreachable)?.to_vec();
        Ok(Forwarded {
            status,
            content_type,
            body,
        })
    }
}

/// The endpoint's answer to a forwarded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The server's `{"error": "...", "errors": [{"field", "message"}]}` as lines; any other
/// body as it is (shortened).
fn server_message(body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        let text = body.trim();
        return if text.is_empty() {
            "(no message)".to_owned()
        } else {
            text.chars().take(500).collect()
        };
    };
    let mut lines = Vec::new();
    if let Some(error) = json.get("error").and_then(Value::as_str) {
        lines.push(error.to_owned());
    } else if let Some(message) = json.get("message").and_then(Value::as_str) {
        lines.push(message.to_owned());
    }
    for problem in json
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let message = problem.get("message").and_then(Value::as_str);
        match (problem.get("field").and_then(Value::as_str), message) {
            (Some(field), Some(message)) if !field.is_empty() => {
                lines.push(format!("  {field}: {message}"));
            }
            (_, Some(message)) => lines.push(format!("  {message}")),
            _ => lines.push(format!("  {problem}")),
        }
    }
    if lines.is_empty() {
        json.to_string()
    } else {
        lines.join("\n")
    }
}

/// reqwest's error with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether `url` points at this machine (then the local token applies, not SigV4).
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost:8080/settings"));
        assert!(is_loopback("http://[::1]:8080/"));
        assert!(!is_loopback("https://abc.lambda-url.eu-west-1.on.aws/"));
        assert!(!is_loopback("https://127.0.0.1.example.com/"));
    }

    #[test]
    fn server_messages_list_every_problem() {
        let body = r#"{"error":"invalid settings","errors":[{"field":"schedules.contract_polling_minutes","message":"must be 1..=60 (got 0)"}]}"#;
        assert_eq!(
            server_message(body),
            "invalid settings\n  schedules.contract_polling_minutes: must be 1..=60 (got 0)"
        );
        assert_eq!(
            server_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(server_message(""), "(no message)");
    }
}
