//! Query parameters several listings share, checked the same way everywhere.

use crate::error::ApiError;
use bridge_core::text::bounded;

/// The rejection of a query string that does not fit the route's parameters: an
/// unknown parameter is named as the field (its value is not quoted).
pub fn rejected(e: axum::extract::rejection::QueryRejection) -> ApiError {
    let text = e.body_text();
    match unknown_field(&text) {
        Some((name, expected)) => ApiError::field(
            bounded(name, 100),
            format!(
                "unknown query parameter; this route takes {}",
                bounded(expected, 200)
            ),
        ),
        None => ApiError::field("", bounded(&text, 300)),
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`": the name and the list.
fn unknown_field(text: &str) -> Option<(&str, &str)> {
    let rest = text.split_once("unknown field `")?.1;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected ")
        .map_or("no parameters", |(_, list)| {
            list.trim_start_matches("one of ")
        });
    Some((name, expected))
}

/// `limit`: `default` when absent, else a number in `1..=max`.
pub fn limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    match text.map(str::parse::<u32>) {
        None => Ok(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field("limit", format!("must be 1..={max}"))),
    }
}

/// `company`: an Autotask company id, when given.
pub fn company(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        t.parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .ok_or_else(|| ApiError::field("company", "must be an Autotask company id"))
    })
    .transpose()
}
