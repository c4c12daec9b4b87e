//! Query parameters several listings share, checked the same way everywhere.

use crate::error::ApiError;
use bridge_core::text::bounded;

/// The rejection of a query string that does not fit the route's parameters.
pub fn rejected(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::field("", bounded(&e.body_text(), 300))
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
