//! `bridge console`'s relay against a loopback endpoint (which takes a bearer token, as
//! the local runner's does; a deployed one gets the same requests signed with SigV4).

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use bridge_cli::client::{ApiClient, ClientAuth};
use bridge_core::secret::Secret;
use serde_json::{Value, json};

const ENDPOINT_TOKEN: &str = "endpoint-token-0123456789";

/// An endpoint that answers what it was asked, and 401 without its own token.
async fn endpoint() -> String {
    async fn echo(headers: HeaderMap, request: Request) -> impl IntoResponse {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if auth != format!("Bearer {ENDPOINT_TOKEN}") {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "unauthorized"})),
            );
        }
        let method = request.method().to_string();
        let uri = request.uri().to_string();
        let if_match = headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let status = if uri.starts_with("/settings") {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        let body = String::from_utf8_lossy(&body).into_owned();
        (
            status,
            axum::Json(json!({"method": method, "uri": uri, "body": body, "if_match": if_match})),
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, Router::new().fallback(echo)).await });
    url
}

async fn console() -> bridge_cli::console::Console {
    let api = ApiClient::new(
        &endpoint().await,
        ClientAuth::Bearer(Secret::new(ENDPOINT_TOKEN)),
    )
    .expect("client");
    bridge_cli::console::start(api).await.expect("console")
}

#[tokio::test]
async fn the_page_is_served_on_loopback_and_the_url_hands_over_a_fresh_token() {
    let c = console().await;
    assert!(c.base.starts_with("http://127.0.0.1:"), "{}", c.base);
    let token = c.token.expose().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(c.url, format!("{}/console#token={token}", c.base));
    assert_ne!(token, console().await.token.expose(), "a token per run");
    let page = reqwest::get(format!("{}/console", c.base))
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("text").contains("console.js"));
}

#[tokio::test]
async fn calls_with_the_token_are_relayed_with_the_endpoints_own_credentials() {
    let c = console().await;
    let http = reqwest::Client::new();
    let answer = http
        .put(format!("{}/customer-mappings/180?x=1", c.base))
        .bearer_auth(c.token.expose())
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"t-0\"")
        .body(r#"{"tenant_id":"t-1"}"#)
        .send()
        .await
        .expect("relayed");
    assert_eq!(answer.status(), 200);
    let echoed: Value = answer.json().await.expect("json");
    assert_eq!(
        echoed,
        json!({"method": "PUT", "uri": "/customer-mappings/180?x=1", "body": r#"{"tenant_id":"t-1"}"#,
               "if_match": "\"t-0\""}),
        "the page's If-Match goes on with the call"
    );
    // The endpoint's refusals come back as they are, status and body.
    let conflict = http
        .get(format!("{}/settings", c.base))
        .bearer_auth(c.token.expose())
        .send()
        .await
        .expect("relayed");
    assert_eq!(conflict.status(), 409);
}

#[tokio::test]
async fn calls_without_the_token_go_nowhere() {
    let c = console().await;
    let http = reqwest::Client::new();
    for auth in [
        None,
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {ENDPOINT_TOKEN}")),
        Some(format!("Bearer {}x", c.token.expose())),
    ] {
        let mut request = http.get(format!("{}/settings", c.base));
        if let Some(auth) = auth.clone() {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let answer = request.send().await.expect("answer");
        assert_eq!(answer.status(), 401, "{auth:?}");
        let body: Value = answer.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized");
    }
}
