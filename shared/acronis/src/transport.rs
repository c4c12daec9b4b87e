//! One HTTP call with authentication, retries and error mapping.
//!
//! Retry policy:
//! - 429: always retried (the server refused before doing anything), waiting at least
//!   its `Retry-After`; still 429 at the end gives [`Error::Throttled`].
//! - 502/503/504, timeouts and connections dropped mid-answer: retried only for
//!   idempotent calls (GET, PUT, DELETE, the token request). A POST that creates
//!   something may have been applied, so it is not repeated.
//! - A connection that could not be opened never reached the server: retried for
//!   every call.
//! - 401 on a bearer call: the token is replaced once and the call repeated; this does
//!   not count as a retry.

use crate::client::AcronisClient;
use crate::error::{Error, parse_error_body};
use bridge_core::backoff::parse_retry_after;
use bridge_core::secret::Secret;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// The cached OAuth2 access token.
    Bearer,
    /// The client id and secret (token endpoint only).
    Basic,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// A request as data, so it can be sent again.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Body,
    auth: Auth,
    idempotent: bool,
}

impl Call {
    /// GET, PUT and DELETE are idempotent; POST is not unless said so.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            auth: Auth::Bearer,
            idempotent,
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    pub fn form(mut self, fields: Vec<(&'static str, String)>) -> Self {
        self.body = Body::Form(fields);
        self
    }
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    /// Marks a POST as safe to repeat.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }
    /// `"PUT /api/2/tenants/…"` for errors and logs (no query: it may be long).
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// What one attempt produced.
enum Attempt {
    Answer {
        status: StatusCode,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    Failed {
        detail: String,
        /// The request never reached the server.
        unsent: bool,
    },
    /// The request could not even be built: the same request fails the same way every
    /// time, so it is never retried.
    Unbuildable(String),
    /// The answer was larger than [`MAX_RESPONSE_BYTES`]; asking again would not
    /// shrink it.
    Oversized { status: StatusCode },
}

/// The largest answer read, in bytes. The widest real answers (a batch of tenants'
/// usages, a page of alerts) are a few MB; anything far beyond is not an answer the
/// client can use, and reading it whole could exhaust a Lambda's memory.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Reads an answer's body: `None` when it is over [`MAX_RESPONSE_BYTES`] (checked
/// against the announced length first, then as the chunks arrive).
async fn read_body(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

impl AcronisClient {
    /// Sends `call` until it succeeds or the policy above gives up.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Reply, Error> {
        let backoff = self.inner.config.backoff;
        let mut retries = 0u32;
        let mut reauthenticated = false;
        let mut token = None;
        loop {
            if call.auth == Auth::Bearer && token.is_none() {
                token = Some(self.token().await?);
            }
            let (wait, last_error) = match self.attempt(call, token.as_ref()).await {
                Attempt::Answer { status, body, .. } if status.is_success() => {
                    return Ok(Reply { status, body });
                }
                Attempt::Answer {
                    status: StatusCode::UNAUTHORIZED,
                    ..
                } if call.auth == Auth::Bearer && !reauthenticated => {
                    reauthenticated = true;
                    if let Some(rejected) = token.take() {
                        tracing::debug!(endpoint = %call.endpoint(), "token rejected, re-authenticating once");
                        token = Some(self.token_after_rejection(&rejected).await?);
                    }
                    continue;
                }
                Attempt::Answer {
                    status,
                    retry_after,
                    body,
                } => {
                    let retryable = match status.as_u16() {
                        429 => true,
                        502..=504 => call.idempotent,
                        _ => false,
                    };
                    let error = error_for(call, status, &body, retry_after);
                    if !retryable {
                        return Err(error);
                    }
                    (backoff.delay(retries, fastrand::f64(), retry_after), error)
                }
                Attempt::Unbuildable(detail) => {
                    return Err(Error::Transport {
                        endpoint: call.endpoint(),
                        detail,
                    });
                }
                Attempt::Oversized { status } => {
                    return Err(Error::Decode {
                        resource: call.endpoint(),
                        detail: format!(
                            "the answer (HTTP {status}) is over {MAX_RESPONSE_BYTES} bytes"
                        ),
                    });
                }
                Attempt::Failed { detail, unsent } => {
                    let error = Error::Transport {
                        endpoint: call.endpoint(),
                        detail,
                    };
                    if !(call.idempotent || unsent) {
                        return Err(error);
                    }
                    (backoff.delay(retries, fastrand::f64(), None), error)
                }
            };
            if !backoff.should_retry(retries) {
                return Err(last_error);
            }
            tracing::warn!(
                endpoint = %call.endpoint(),
                retry = retries + 1,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %last_error,
                "retrying Acronis call"
            );
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(&self, call: &Call, token: Option<&Secret>) -> Attempt {
        let inner = &self.inner;
        let url = format!("{}{}", inner.base_url, call.path);
        let mut request = inner.http.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        request = match (call.auth, token) {
            (Auth::Bearer, Some(token)) => request.bearer_auth(token.expose()),
            (Auth::Basic, _) => request.basic_auth(
                &inner.config.client_id,
                Some(inner.config.client_secret.expose()),
            ),
            (Auth::Bearer, None) => request,
        };
        request = match &call.body {
            Body::Empty => request,
            Body::Json(value) => request.json(value),
            Body::Form(fields) => request.form(fields),
        };
        inner.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_builder() => return Attempt::Unbuildable(describe(&e)),
            Err(e) => {
                return Attempt::Failed {
                    unsent: e.is_connect(),
                    detail: describe(&e),
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        match read_body(response).await {
            Ok(Some(body)) => Attempt::Answer {
                status,
                retry_after,
                body,
            },
            Ok(None) => Attempt::Oversized { status },
            Err(e) => Attempt::Failed {
                unsent: false,
                detail: format!("answer HTTP {status} broke off: {}", describe(&e)),
            },
        }
    }

    /// Sends `call` and decodes its JSON answer as `T`.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        call: Call,
        resource: &str,
    ) -> Result<T, Error> {
        let reply = self.execute(&call).await?;
        decode(resource, &reply.body)
    }

    /// Sends `call` for its effect; the body, if any, is not needed.
    pub(crate) async fn send(&self, call: Call) -> Result<StatusCode, Error> {
        Ok(self.execute(&call).await?.status)
    }
}

/// reqwest's top-level message hides the cause ("error sending request"); add it.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}

/// The typed error for a failed answer.
fn error_for(call: &Call, status: StatusCode, body: &[u8], retry_after: Option<Duration>) -> Error {
    let (code, message) = parse_error_body(body);
    let endpoint = call.endpoint();
    // Tenant version mismatch is platform code 1001; its HTTP status is unconfirmed
    // (409 assumed): a 409 on a versioned write without another code counts too.
    let version_write = matches!(call.method, Method::PUT | Method::DELETE);
    let version_conflict = code.as_deref() == Some("1001")
        || (status == StatusCode::CONFLICT
            && version_write
            && code.as_deref().is_none_or(|c| c == "409"));
    match status.as_u16() {
        _ if version_conflict => Error::VersionConflict { endpoint, message },
        401 => Error::Unauthorized { message },
        403 => Error::Forbidden { endpoint, message },
        404 => Error::NotFound { endpoint, message },
        426 => Error::QuotaVersionConflict { endpoint, message },
        429 => Error::Throttled {
            endpoint,
            retry_after,
        },
        status => Error::Api {
            endpoint,
            status,
            code,
            message,
        },
    }
}

/// Decodes JSON, naming the field path of the first mismatch.
pub(crate) fn decode<T: DeserializeOwned>(resource: &str, body: &[u8]) -> Result<T, Error> {
    let fail = |detail: String| Error::Decode {
        resource: resource.to_string(),
        detail,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        fail(format!(
            "at `{}`: {}",
            bounded_middle(&e.path().to_string()),
            bounded_middle(&e.inner().to_string())
        ))
    })?;
    de.end()
        .map_err(|e| fail(format!("trailing data after the JSON: {e}")))?;
    Ok(value)
}

/// `text` with its middle cut out when longer than a few hundred characters: a
/// decoder's message quotes the offending value between what it found and what it
/// expected, and both ends are worth keeping.
fn bounded_middle(text: &str) -> String {
    const MAX: usize = 500;
    let count = text.chars().count();
    if count <= MAX {
        return text.to_string();
    }
    let half = (MAX - 1) / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        version: u64,
    }

    #[test]
    fn decode_names_the_field_path() {
        let err = decode::<Outer>("tenants", br#"{"items":[{"version":1},{"version":"x"}]}"#)
            .expect_err("bad version");
        let text = err.to_string();
        assert!(text.contains("items[1].version"), "{text}");
        assert!(text.contains("tenants"), "{text}");
    }

    #[test]
    fn decode_rejects_truncated_json() {
        let err =
            decode::<Outer>("tenants", br#"{"items": [{"version": 1"#).expect_err("truncated");
        assert!(matches!(err, Error::Decode { .. }), "{err}");
    }

    #[test]
    fn maps_statuses_to_variants() {
        let put = Call::new(Method::PUT, "/api/2/tenants/t");
        let get = Call::get("/api/2/users/check_login");
        let e = |call: &Call, status: u16, body: &str| {
            error_for(
                call,
                StatusCode::from_u16(status).expect("status"),
                body.as_bytes(),
                None,
            )
        };
        assert!(matches!(e(&put, 409, "{}"), Error::VersionConflict { .. }));
        assert!(matches!(
            e(
                &put,
                400,
                r#"{"error":{"code":1001,"message":"Version mismatch"}}"#
            ),
            Error::VersionConflict { .. }
        ));
        assert!(matches!(e(&get, 409, "{}"), Error::Api { status: 409, .. }));
        assert!(matches!(
            e(
                &put,
                409,
                r#"{"error":{"code":1004,"message":"name taken"}}"#
            ),
            Error::Api { status: 409, .. }
        ));
        assert!(matches!(
            e(&put, 426, "{}"),
            Error::QuotaVersionConflict { .. }
        ));
        assert!(matches!(e(&get, 403, "{}"), Error::Forbidden { .. }));
        assert!(matches!(e(&get, 404, "{}"), Error::NotFound { .. }));
        match e(
            &get,
            400,
            r#"{"error":{"code":1006,"message":"It is prohibited to delete a non-disabled tenant."}}"#,
        ) {
            Error::Api {
                status: 400,
                code: Some(code),
                message,
                ..
            } => {
                assert_eq!(code, "1006");
                assert!(message.contains("non-disabled"));
            }
            other => panic!("{other:?}"),
        }
    }
}
