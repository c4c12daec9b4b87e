//! Who may call the API, and who they are (the "who" of audit entries).
//!
//! Deployed, the Function URL already demands SigV4 (`AWS_IAM`); the handler checks again
//! that the request context names an IAM caller, so a URL misconfigured to `NONE` is still
//! closed. Locally, the runner's bearer token is compared in constant time. Missing and
//! wrong credentials get the same 401, so a caller learns nothing from the difference.

use crate::ApiState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bridge_core::secret::Secret;
use lambda_http::request::RequestContext;
use subtle::ConstantTimeEq;

/// How callers prove who they are.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Lambda Function URL with `AWS_IAM`: the caller's ARN from the request context.
    Iam,
    /// Local runner: `Authorization: Bearer <token>`.
    Bearer(Secret),
}

/// The authenticated caller, put into the request's extensions for the handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller(pub String);

/// The audit actor of a bearer-token caller (there is one operator locally).
pub const LOCAL_OPERATOR: &str = "local-operator";

impl Auth {
    /// The caller of a request, or `None` when it carries no valid credentials.
    pub fn caller(&self, request: &Request) -> Option<Caller> {
        match self {
            Auth::Iam => iam_caller(request).map(Caller),
            Auth::Bearer(token) => {
                bearer_matches(request, token).then(|| Caller(LOCAL_OPERATOR.into()))
            }
        }
    }
}

/// `requestContext.authorizer.iam.userArn` of a Function URL (or HTTP API) event.
fn iam_caller(request: &Request) -> Option<String> {
    let context = request.extensions().get::<RequestContext>()?;
    let iam = context.authorizer()?.iam.as_ref()?;
    iam.user_arn
        .as_deref()
        .map(str::trim)
        .filter(|arn| arn.starts_with("arn:"))
        .map(str::to_owned)
}

fn bearer_matches(request: &Request, token: &Secret) -> bool {
    if token.is_empty() {
        return false;
    }
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return false;
    };
    // The scheme is case-insensitive (RFC 9110); the token is taken exactly, so one with
    // whitespace around it is refused, not trimmed into a match.
    let bytes = value.as_bytes();
    let Some((scheme, given)) = bytes.split_at_checked(7) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case(b"Bearer ") {
        return false;
    }
    given.ct_eq(token.expose().as_bytes()).into()
}

/// Whether a route is open to everyone: liveness only.
fn is_open(request: &Request) -> bool {
    request.method() == Method::GET && request.uri().path() == "/health"
}

/// Refuses unauthenticated requests (401) and hands the caller to the handlers.
pub(crate) async fn require_caller(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_open(&request) {
        return next.run(request).await;
    }
    match state.auth.caller(&request) {
        Some(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        None => {
            let mut response = ApiError::unauthorized().into_response();
            if matches!(state.auth, Auth::Bearer(_)) {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            response
        }
    }
}

/// Handlers take the caller as an argument; without one (never past the middleware)
/// the request is refused rather than answered anonymously.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}
