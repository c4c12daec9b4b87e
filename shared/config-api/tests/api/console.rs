//! The console's static files: open (they hold nothing secret), with a policy that keeps
//! the page to its own script, while every API route stays closed.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Env, TOKEN, send};
use tower::ServiceExt;

async fn get(env: &Env, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .expect("request");
    let response = env.app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_without_a_token() {
    let env = Env::sqlite().await;
    for (path, content_type, marker) in [
        ("/console", "text/html", "/console/console.js"),
        ("/console/console.css", "text/css", "mark.date"),
        ("/console/console.js", "text/javascript", "textContent"),
    ] {
        let (status, headers, body) = get(&env, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let served_type = headers[header::CONTENT_TYPE].to_str().expect("ascii");
        assert!(
            served_type.starts_with(content_type),
            "{path}: {served_type}"
        );
        let policy = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(body.contains(marker), "{path} lacks {marker}");
    }
}

#[tokio::test]
async fn the_page_never_writes_html_from_data() {
    let (_, _, script) = get(&Env::sqlite().await, "/console/console.js").await;
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
    ] {
        assert!(!script.contains(sink), "console.js uses {sink}");
    }
}

#[tokio::test]
async fn opening_the_console_opens_nothing_else() {
    let env = Env::sqlite().await;
    for path in ["/settings", "/console/", "/console/other.js", "/console.js"] {
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let (status, _) = send(&env.app, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri("/console")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, _) = send(&env.app, request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
