//! What an outside system might send in any field, for the property tests of every
//! parser of outside data (the clients' answers, Lambda payloads, scenario files): one
//! set of hostile values, so each parser is tried with the same ones.

use proptest::prelude::*;
use serde_json::{Value, json};

/// A text with markup, a BEL and an ANSI escape: stored as given, never shown raw.
pub const MARKUP_AND_CONTROLS: &str = "<script>alert(1)</script>\u{7}\u{1b}[31m";

/// An array nested `depth` arrays deep.
pub fn nested(depth: usize) -> Value {
    (0..depth).fold(json!([]), |inner, _| Value::Array(vec![inner]))
}

/// Any JSON value of a wrong type or shape: null, booleans, extreme numbers, short and
/// very long text (up to `max_len` characters), markup and control characters, an
/// impossible date, deep nesting, an unrelated object.
pub fn value(max_len: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        ".{0,40}".prop_map(Value::from),
        (1usize..max_len.max(2)).prop_map(|n| Value::from("x".repeat(n))),
        Just(json!(MARKUP_AND_CONTROLS)),
        Just(json!("2026-13-45T99:99:99Z")),
        (1usize..60).prop_map(nested),
        Just(json!({"nested": {"object": [1, "two", null]}})),
    ]
}
