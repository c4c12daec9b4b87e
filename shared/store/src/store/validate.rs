//! Checks on what callers pass in, shared by both adapters so they reject the same input.

use chrono::{Datelike, NaiveDate};

use super::StoreError;

/// Longest name or key accepted (DynamoDB allows 2 KB partition keys; keep well below).
const MAX_NAME_BYTES: usize = 512;

/// A non-blank name (job, holder, cursor, period, alert key) of sane length.
pub(crate) fn name(field: &'static str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be blank"));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {MAX_NAME_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A non-blank text of at most `max_chars` characters (a record's bounded field).
pub(crate) fn text(field: &'static str, value: &str, max_chars: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be blank"));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(StoreError::invalid(
            field,
            format!("{chars} characters, over the limit of {max_chars}"),
        ));
    }
    Ok(())
}

/// Autotask ids are never negative; keeping them so makes key order numeric order.
pub(crate) fn id(field: &'static str, value: i64) -> Result<(), StoreError> {
    if value < 0 {
        return Err(StoreError::invalid(field, format!("{value} is negative")));
    }
    Ok(())
}

/// Page size for listings.
pub(crate) fn limit(value: u32) -> Result<u32, StoreError> {
    if !(1..=1000).contains(&value) {
        return Err(StoreError::invalid(
            "limit",
            format!("{value} is not in 1..=1000"),
        ));
    }
    Ok(value)
}

/// A calendar day of years 1970–9999: keys hold it as `yyyy-mm-dd`, so string order is
/// date order, and its epoch seconds are positive.
pub(crate) fn day(field: &'static str, value: NaiveDate) -> Result<(), StoreError> {
    if !(1970..=9999).contains(&value.year()) {
        return Err(StoreError::invalid(
            field,
            format!("{value} is outside the years 1970 to 9999"),
        ));
    }
    Ok(())
}
