//! Failure responses: `{"errors":[strings]}` with the status Autotask uses, the
//! `{"Message": "..."}` of the web framework under the API (405 on a verb a route does
//! not serve), or the non-JSON IIS 404 page that unknown routes and abandoned zones
//! answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub errors: Vec<String>,
    pub shape: Shape,
}

/// How the body of a failure looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"errors": [...]}`: what the API's own code answers.
    Errors,
    /// `{"Message": "..."}` (capital M, the errors joined): what the web framework
    /// answers before the API's code runs, e.g. a 405.
    Message,
    /// The IIS HTML 404 page.
    IisHtml,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            errors: vec![message.into()],
            shape: Shape::Errors,
        }
    }
    /// Validation and business failures: HTTP 500 with error strings (reference 3.7).
    pub fn server(message: impl Into<String>) -> ApiError {
        ApiError::new(500, message)
    }
    pub fn many(errors: Vec<String>) -> ApiError {
        ApiError {
            status: 500,
            errors,
            shape: Shape::Errors,
        }
    }
    /// A verb the route does not serve. The reference reports the text; the body is
    /// ASP.NET Web API's own `{"Message"}`, since the framework refuses the verb before
    /// the API's code (which writes `errors`) runs.
    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError {
            shape: Shape::Message,
            ..ApiError::new(
                405,
                format!("The requested resource does not support http method '{method}'."),
            )
        }
    }
    /// Unknown routes and zones this database no longer lives in (unconfirmed body; IIS-like).
    pub fn iis_not_found() -> ApiError {
        ApiError {
            status: 404,
            errors: Vec::new(),
            shape: Shape::IisHtml,
        }
    }
}

impl From<String> for ApiError {
    fn from(message: String) -> Self {
        ApiError::server(message)
    }
}

impl From<Vec<String>> for ApiError {
    fn from(errors: Vec<String>) -> Self {
        ApiError::many(errors)
    }
}

const IIS_404: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n\
<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n\
<title>404 - File or directory not found.</title>\r\n</head>\r\n<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n\
<div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n  <h2>404 - File or directory not found.</h2>\r\n\
  <h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>\r\n\
 </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self.shape {
            Shape::IisHtml => (status, [("content-type", "text/html")], IIS_404).into_response(),
            Shape::Message => (
                status,
                axum::Json(json!({ "Message": self.errors.join(" ") })),
            )
                .into_response(),
            Shape::Errors => (status, axum::Json(json!({ "errors": self.errors }))).into_response(),
        }
    }
}
