//! Turning an HTTP answer into a decision: done, retry, re-discover the zone, or fail.
//!
//! Autotask reports most problems as HTTP 500 with `{"errors": [...]}`, so the status
//! alone is not enough; the heuristics below read the text where they must:
//! - **Thread limit** ("Thread Threshold Exceeded", code `Itgenatr005`, "thread count")
//!   may come with any status; it is a rejection before processing, like a 429.
//! - **401** whose text mentions API-only users means the user is not an API user;
//!   any other 401 means a wrong secret (after one zone re-discovery).
//! - **500 on authentication** (unknown username or integration code) is told apart from
//!   a validation error by words only an authentication failure uses: "integration
//!   code", "tracking identifier", "username"/"user name", "authenticat", "credential",
//!   "API user". Validation messages name entity fields (`contactID`, …) instead.
//! - A **500 with an `errors` array** is a validation error: retrying cannot help. A 5xx
//!   without one (502/503/504, an HTML 500) is transient.
//! - A **404 with an HTML (or other non-JSON) body** is a missing route, which is how an
//!   old zone answers after the database moved; a 404 with a JSON or empty body is a
//!   missing record.
//!
//! Besides `{"errors": [...]}`, the web framework under the API answers some failures
//! (405 on a verb a route does not serve, some 404s) with `{"Message": "..."}`, capital
//! M, sometimes with a `MessageDetail`. That text is kept too: it is often the only hint
//! of what was wrong. Whatever is echoed is cut to a bounded length, so an error (and the
//! log line or HTTP answer it ends up in) never carries a whole page.

use crate::error::AutotaskError;
use std::time::Duration;

/// What the executor should do with one answer.
#[derive(Debug)]
pub(crate) enum Verdict {
    Success,
    /// The zone may have moved: re-discover once, then retry.
    ZoneSuspect(AutotaskError),
    /// Rejected before processing (429, thread limit): safe to retry any request.
    Throttled {
        retry_after: Option<Duration>,
    },
    /// A transient fault after which the request may or may not have been processed.
    Transient(AutotaskError),
    Fail(AutotaskError),
}

pub(crate) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    what: &str,
) -> Verdict {
    if (200..300).contains(&status) {
        return Verdict::Success;
    }
    let parsed = ErrorBody::parse(body);
    let text = parsed.joined().to_ascii_lowercase();
    if status == 429 || is_thread_limit(&text) {
        return Verdict::Throttled { retry_after };
    }
    match status {
        401 if is_not_api_user(&text) => Verdict::Fail(AutotaskError::NotApiUser),
        401 => Verdict::ZoneSuspect(AutotaskError::BadCredentials),
        404 if parsed.is_json || body.iter().all(u8::is_ascii_whitespace) => {
            Verdict::Fail(AutotaskError::NotFound {
                what: what.to_string(),
                message: parsed.joined(),
            })
        }
        404 => Verdict::ZoneSuspect(AutotaskError::Api {
            status,
            errors: vec![format!("no such route: {what}")],
        }),
        500 if parsed.has_errors && is_auth_failure(&text) => {
            Verdict::Fail(AutotaskError::UnknownUserOrIntegrationCode {
                message: parsed.joined(),
            })
        }
        500 if parsed.has_errors => Verdict::Fail(api(status, parsed)),
        500..=599 => Verdict::Transient(api(status, parsed)),
        _ => Verdict::Fail(api(status, parsed)),
    }
}

fn api(status: u16, parsed: ErrorBody) -> AutotaskError {
    AutotaskError::Api {
        status,
        errors: parsed.errors,
    }
}

fn is_thread_limit(text: &str) -> bool {
    [
        "thread threshold",
        "itgenatr005",
        "thread count",
        "thread limit",
    ]
    .iter()
    .any(|w| text.contains(w))
}

fn is_not_api_user(text: &str) -> bool {
    ["api only user", "api-only user", "apionly"]
        .iter()
        .any(|w| text.contains(w))
}

fn is_auth_failure(text: &str) -> bool {
    [
        "integration code",
        "integrationcode",
        "tracking identifier",
        "username",
        "user name",
        "authenticat",
        "credential",
        "api user",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// Longest text kept from one message Autotask wrote for people: room for any real
/// message, yet a runaway body cannot bloat an error, a log line or an HTTP answer.
pub(crate) const MAX_MESSAGE_CHARS: usize = 500;

/// Longest snippet kept from a body that is not JSON (an IIS page, a proxy's text): its
/// head is enough to tell what answered.
pub(crate) const MAX_SNIPPET_CHARS: usize = 300;

/// `text` trimmed and cut to `max` characters (a cut is marked with `…`).
pub(crate) fn bounded(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// `text` with its middle cut out when longer than `max` characters: a decoder's
/// message quotes the offending value between what it found and what it expected, and
/// both ends are worth keeping.
pub(crate) fn bounded_middle(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let half = max.saturating_sub(1) / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}…{tail}")
}

/// An error body: `{"errors": [...]}` with string or `{"message"}` elements, a
/// top-level `{"Message", "MessageDetail"}` (any case), or anything else (HTML, plain
/// text, empty), kept as a short snippet.
#[derive(Debug, Default)]
pub(crate) struct ErrorBody {
    pub errors: Vec<String>,
    /// Only an `errors` array marks a validation error; a bare `Message` does not.
    pub has_errors: bool,
    pub is_json: bool,
}

impl ErrorBody {
    pub fn parse(body: &[u8]) -> Self {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => {
                let list = value.get("errors").and_then(|e| e.as_array());
                let errors: Vec<String> = match list {
                    Some(items) => items.iter().filter_map(error_text).collect(),
                    None => ["message", "messagedetail"]
                        .iter()
                        .filter_map(|name| text_field(&value, name))
                        .map(str::to_string)
                        .collect(),
                };
                Self {
                    has_errors: list.is_some(),
                    errors: errors
                        .iter()
                        .map(|e| bounded(e, MAX_MESSAGE_CHARS))
                        .filter(|e| !e.is_empty())
                        .collect(),
                    is_json: true,
                }
            }
            Err(_) => {
                let snippet = bounded(&String::from_utf8_lossy(body), MAX_SNIPPET_CHARS);
                Self {
                    errors: if snippet.is_empty() {
                        vec![]
                    } else {
                        vec![snippet]
                    },
                    has_errors: false,
                    is_json: false,
                }
            }
        }
    }

    pub fn joined(&self) -> String {
        self.errors.join("; ")
    }
}

/// The string value of `object[name]`, the name matched case-insensitively: the API's
/// own errors say `message`, its web framework says `Message`.
fn text_field<'a>(object: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    object
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.as_str())
}

fn error_text(item: &serde_json::Value) -> Option<String> {
    match item {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(_) => text_field(item, "message")
            .map(str::to_string)
            .or_else(|| Some(item.to_string())),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(status: u16, body: &str) -> Verdict {
        classify(status, None, body.as_bytes(), "Companies/1")
    }

    #[test]
    fn success_statuses() {
        assert!(matches!(verdict(200, "{}"), Verdict::Success));
    }

    #[test]
    fn errors_may_be_strings_or_message_objects() {
        let b = ErrorBody::parse(br#"{"errors":["a",{"message":"b"},{"code":1}]}"#);
        assert_eq!(b.errors, vec!["a", "b", r#"{"code":1}"#]);
        assert!(b.has_errors);
        let html = ErrorBody::parse(b"<html><body>Server Error</body></html>");
        assert!(!html.is_json && !html.has_errors);
        assert_eq!(html.errors.len(), 1);
    }

    #[test]
    fn a_capital_m_message_body_keeps_its_text() {
        let body = r#"{"Message":"The requested resource does not support http method 'PUT'."}"#;
        match verdict(405, body) {
            Verdict::Fail(err @ AutotaskError::Api { status: 405, .. }) => assert!(
                err.to_string().ends_with(
                    "HTTP 405: The requested resource does not support http method 'PUT'."
                ),
                "{err}"
            ),
            other => panic!("expected a final 405, got {other:?}"),
        }
        let b = ErrorBody::parse(
            br#"{"Message":"No HTTP resource was found that matches the request URI 'x'.","MessageDetail":"No type was found that matches the controller named 'x'."}"#,
        );
        assert_eq!(b.errors.len(), 2, "{b:?}");
        assert!(!b.has_errors, "a bare Message is not a validation error");
        assert_eq!(
            ErrorBody::parse(br#"{"message":"lower case too"}"#).errors,
            vec!["lower case too"]
        );
        assert_eq!(
            ErrorBody::parse(br#"{"errors":[{"Message":"in a list"}]}"#).errors,
            vec!["in a list"]
        );
    }

    #[test]
    fn a_json_404_keeps_its_text_and_stays_a_missing_record() {
        match verdict(404, r#"{"Message":"No HTTP resource was found."}"#) {
            Verdict::Fail(err @ AutotaskError::NotFound { .. }) => {
                assert_eq!(
                    err.to_string(),
                    "not found: Companies/1: No HTTP resource was found."
                );
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        match verdict(404, "") {
            Verdict::Fail(err) => assert_eq!(err.to_string(), "not found: Companies/1"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    #[test]
    fn echoed_text_is_bounded() {
        let long = "é".repeat(2 * MAX_MESSAGE_CHARS);
        let body = serde_json::json!({ "Message": long }).to_string();
        let kept = ErrorBody::parse(body.as_bytes()).joined();
        assert_eq!(kept.chars().count(), MAX_MESSAGE_CHARS + 1, "500 and the …");
        assert!(kept.ends_with('…'));
        let body = serde_json::json!({ "errors": [long.clone(), "short"] }).to_string();
        let b = ErrorBody::parse(body.as_bytes());
        assert!(b.errors[0].chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert_eq!(b.errors[1], "short");
        let html = format!("<html>{}</html>", "x".repeat(5_000));
        let b = ErrorBody::parse(html.as_bytes());
        assert_eq!(b.errors[0].chars().count(), MAX_SNIPPET_CHARS + 1);
        assert_eq!(bounded("  exactly  ", 7), "exactly");
    }

    #[test]
    fn validation_500_is_final_but_html_500_and_503_are_transient() {
        let v = verdict(
            500,
            r#"{"errors":["Reference value on field: contactID of type: Contact does not exist or is invalid."]}"#,
        );
        assert!(matches!(
            v,
            Verdict::Fail(AutotaskError::Api { status: 500, .. })
        ));
        assert!(matches!(
            verdict(500, "<html>oops</html>"),
            Verdict::Transient(_)
        ));
        assert!(matches!(verdict(503, ""), Verdict::Transient(_)));
        assert!(matches!(verdict(504, "{}"), Verdict::Transient(_)));
    }

    #[test]
    fn thread_limit_text_is_throttling_whatever_the_status() {
        let v = verdict(
            500,
            r#"{"errors":["Thread Threshold Exceeded (Itgenatr005)"]}"#,
        );
        assert!(matches!(v, Verdict::Throttled { .. }));
        let v = classify(429, Some(Duration::from_secs(3)), b"", "x");
        assert!(
            matches!(v, Verdict::Throttled { retry_after: Some(d) } if d == Duration::from_secs(3))
        );
    }

    #[test]
    fn auth_failures_are_told_apart() {
        let v = verdict(
            401,
            r#"{"errors":["The REST API is only accessible to API Only users."]}"#,
        );
        assert!(matches!(v, Verdict::Fail(AutotaskError::NotApiUser)));
        assert!(matches!(
            verdict(401, ""),
            Verdict::ZoneSuspect(AutotaskError::BadCredentials)
        ));
        let v = verdict(500, r#"{"errors":["Invalid integration code."]}"#);
        assert!(matches!(
            v,
            Verdict::Fail(AutotaskError::UnknownUserOrIntegrationCode { .. })
        ));
    }

    #[test]
    fn json_404_is_a_missing_record_html_404_a_missing_route() {
        assert!(matches!(
            verdict(404, r#"{"errors":["not found"]}"#),
            Verdict::Fail(AutotaskError::NotFound { .. })
        ));
        assert!(matches!(
            verdict(404, ""),
            Verdict::Fail(AutotaskError::NotFound { .. })
        ));
        assert!(matches!(
            verdict(404, "<html>404 - File or directory not found.</html>"),
            Verdict::ZoneSuspect(_)
        ));
    }
}
