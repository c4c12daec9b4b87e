//! Reading outside JSON that is only loosely typed: alerts come from many producers
//! (built-in backup alerts, CyberApps, older agents), so a field the reference shows
//! as a string may arrive as a number, an object or not at all. These helpers turn
//! whatever came into text or nothing, and keep every echo of it bounded.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Longest text kept from one outside field, in characters.
pub(crate) const MAX_TEXT: usize = 2_000;

/// Rough size, in characters, of the raw JSON kept beside the typed fields.
pub(crate) const RAW_BUDGET: usize = 8_000;

/// At most `max` characters of `s` (cut on a character boundary, `…` marking the cut).
pub(crate) fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A scalar as text: strings as they are, numbers and booleans printed; `null`,
/// empty strings, arrays and objects give nothing.
pub(crate) fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(bounded(&s, MAX_TEXT))
}

/// `Option<String>` from any JSON value (see [`text`]); never an error.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text(&Value::deserialize(d)?))
}

/// `String` from any JSON value, empty when there is no usable text; never an error.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text(&Value::deserialize(d)?).unwrap_or_default())
}

/// A copy of `v` cut down to about `budget` characters: long strings shortened, and
/// once the budget is spent, further array items and object members left out.
pub(crate) fn bounded_json(v: &Value, budget: usize) -> Value {
    let mut left = budget;
    bound(v, &mut left, 0)
}

const MAX_DEPTH: usize = 8;

fn bound(v: &Value, left: &mut usize, depth: usize) -> Value {
    match v {
        Value::String(s) => {
            let cut = bounded(s, MAX_TEXT.min((*left).max(1)));
            *left = left.saturating_sub(cut.chars().count());
            Value::String(cut)
        }
        Value::Array(items) if depth < MAX_DEPTH => {
            let mut out = Vec::new();
            for item in items {
                if *left == 0 {
                    break;
                }
                *left = left.saturating_sub(1);
                out.push(bound(item, left, depth + 1));
            }
            Value::Array(out)
        }
        Value::Object(members) if depth < MAX_DEPTH => {
            let mut out = Map::new();
            for (k, item) in members {
                if *left == 0 {
                    break;
                }
                let key = bounded(k, 200);
                *left = left.saturating_sub(key.chars().count() + 1);
                out.insert(key, bound(item, left, depth + 1));
            }
            Value::Object(out)
        }
        Value::Array(_) | Value::Object(_) => Value::Null,
        scalar => {
            *left = left.saturating_sub(8);
            scalar.clone()
        }
    }
}

/// Whether `s` is a UUID in its textual 8-4-4-4-12 form (either case).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_become_text_and_the_rest_nothing() {
        assert_eq!(text(&json!("x")), Some("x".into()));
        assert_eq!(text(&json!(7)), Some("7".into()));
        assert_eq!(text(&json!(1.5)), Some("1.5".into()));
        assert_eq!(text(&json!(true)), Some("true".into()));
        for none in [
            json!(null),
            json!(""),
            json!("  "),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert_eq!(text(&none), None, "{none}");
        }
        let long = "é".repeat(MAX_TEXT + 10);
        let cut = text(&json!(long)).expect("text");
        assert_eq!(cut.chars().count(), MAX_TEXT);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn raw_json_is_bounded() {
        let big: Vec<Value> = (0..10_000)
            .map(|i| json!({"n": i, "s": "x".repeat(50)}))
            .collect();
        let cut = bounded_json(&json!({"items": big}), RAW_BUDGET);
        let size = cut.to_string().len();
        assert!(size < RAW_BUDGET * 2, "{size}");
        let small = json!({"a": [1, "b", {"c": null}]});
        assert_eq!(bounded_json(&small, RAW_BUDGET), small);
        let mut deep = json!(1);
        for _ in 0..20 {
            deep = json!([deep]);
        }
        assert!(bounded_json(&deep, RAW_BUDGET).to_string().contains("null"));
    }

    #[test]
    fn uuids_are_recognised() {
        assert!(is_uuid("1d1e5a08-0000-4000-8000-00000000abcd"));
        assert!(is_uuid("887E19F7-59F5-44DC-9721-64B1C48B4117"));
        for no in [
            "286",
            "",
            "1d1e5a08-0000-4000-8000-00000000abc",
            "1d1e5a08x0000-4000-8000-00000000abcd",
        ] {
            assert!(!is_uuid(no), "{no}");
        }
    }
}
