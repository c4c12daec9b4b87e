//! `bridge console`: the operator console for a deployed bridge.
//!
//! A Function URL with `AWS_IAM` auth takes only SigV4-signed requests, which a browser
//! cannot make. So a loopback server serves the page itself and relays each of its API
//! calls to the endpoint, signed with the operator's AWS credentials by the same
//! [`ApiClient`] the other commands use. The server binds 127.0.0.1 on a free port and
//! relays only calls that carry a token made for this run; the printed URL hands the
//! token to the page in its fragment, which the browser never sends anywhere.

use crate::client::ApiClient;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bridge_core::secret::Secret;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A running console server.
pub struct Console {
    /// The address to open, with the one-time token: `http://127.0.0.1:PORT/console#token=…`.
    pub url: String,
    /// Where it listens, for tests: `http://127.0.0.1:PORT`.
    pub base: String,
    pub token: Secret,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

#[derive(Clone)]
struct Relay {
    api: Arc<ApiClient>,
    token: Secret,
}

/// Binds 127.0.0.1 on a free port and serves the page and the relay in the background.
pub async fn start(api: ApiClient) -> std::io::Result<Console> {
    let token = Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ));
    let relay = Relay {
        api: Arc::new(api),
        token: token.clone(),
    };
    let app = Router::new()
        .fallback(forward)
        .layer(DefaultBodyLimit::max(bridge_config_api::MAX_BODY_BYTES))
        .with_state(relay)
        .merge(bridge_config_api::console_router());
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Console {
        url: format!("{base}/console#token={}", token.expose()),
        base,
        token,
        server,
    })
}

/// Relays one call of the page: refused with 401 unless it carries this run's token;
/// otherwise sent on (signed) and the endpoint's answer passed back unchanged.
async fn forward(State(relay): State<Relay>, request: Request) -> Response {
    if !carries(request.headers(), &relay.token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"unauthorized","errors":[]}"#,
        )
            .into_response();
    }
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // The page's preconditions (what it read) go on with the call; other headers are
    // the relay's own.
    let conditions: Vec<(&str, String)> = [
        ("if-match", header::IF_MATCH),
        ("if-none-match", header::IF_NONE_MATCH),
    ]
    .into_iter()
    .filter_map(|(name, h)| {
        let value = request.headers().get(h)?.to_str().ok()?;
        Some((name, value.to_owned()))
    })
    .collect();
    let body =
        match axum::body::to_bytes(request.into_body(), bridge_config_api::MAX_BODY_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => return relay_error(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB"),
        };
    let body = (!body.is_empty()).then(|| body.to_vec());
    match relay.api.forward(method, &path, body, &conditions).await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut response = (status, Bytes::from(answer.body)).into_response();
            if let Some(value) = answer
                .content_type
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(e) => relay_error(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

fn relay_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"error": message, "errors": []});
    (status, axum::Json(body)).into_response()
}

/// Whether the request's bearer token is this run's (compared in constant time).
fn carries(headers: &HeaderMap, token: &Secret) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .unwrap_or_default();
    let expected = token.expose().as_bytes();
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
