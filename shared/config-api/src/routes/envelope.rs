//! The shape shared by the settings routes: a JSON object carrying the `version` it was
//! read at, plus the settings sections the route covers.

use crate::error::{ApiError, FieldError};
use bridge_core::records::Versioned;
use bridge_core::settings::Settings;
use serde_json::{Map, Value};

/// The stored settings, or the defaults at version 0 ("never saved").
pub(crate) fn current_or_default(stored: Option<Versioned<Settings>>) -> Versioned<Settings> {
    stored.unwrap_or_else(|| Versioned {
        value: Settings::default(),
        version: 0,
    })
}

/// The settings as one JSON object with its `version` beside the sections.
pub(crate) fn settings_document(current: &Versioned<Settings>) -> Value {
    let mut doc = to_object(&current.value);
    doc.insert("version".into(), Value::from(current.version));
    Value::Object(doc)
}

/// Only the given sections of the settings, with the version.
pub(crate) fn sections_document(
    current: &Versioned<Settings>,
    sections: &[&str],
) -> Map<String, Value> {
    let all = to_object(&current.value);
    let mut doc: Map<String, Value> = sections
        .iter()
        .filter_map(|s| all.get(*s).map(|v| ((*s).to_owned(), v.clone())))
        .collect();
    doc.insert("version".into(), Value::from(current.version));
    doc
}

fn to_object(settings: &Settings) -> Map<String, Value> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A PUT body split into the version the client read and the settings it sends.
///
/// `sections` are the members the route replaces (the others keep their stored value;
/// `None` = the whole document); `ignored` are read-only members a GET answer carries,
/// so a GET body can be edited and sent back. Every problem, envelope and settings
/// alike, is reported in one 400.
pub(crate) fn read_put(
    body: Value,
    current: &Settings,
    sections: Option<&[&str]>,
    ignored: &[&str],
) -> Result<(u64, Settings), ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::field("", "the body must be a JSON object"));
    };
    let mut errors = Vec::new();
    let version = match body.remove("version") {
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(_) => {
            errors.push(FieldError::new(
                "version",
                "must be the version you read (an integer, 0 before the first save)",
            ));
            None
        }
        None => {
            errors.push(FieldError::new(
                "version",
                "required: the version you read (0 before the first save)",
            ));
            None
        }
    };
    for key in ignored {
        body.remove(*key);
    }
    let document = match sections {
        None => body,
        Some(sections) => {
            let mut merged = to_object(current);
            for (key, value) in body {
                if sections.contains(&key.as_str()) {
                    merged.insert(key, value);
                } else {
                    errors.push(FieldError::new(
                        key,
                        format!(
                            "unknown field; this route takes version, {}",
                            sections.join(", ")
                        ),
                    ));
                }
            }
            merged
        }
    };
    let parsed = Settings::parse(&Value::Object(document).to_string());
    match (version, parsed) {
        (Some(version), Ok(settings)) if errors.is_empty() => Ok((version, settings)),
        (_, parsed) => {
            if let Err(problems) = parsed {
                errors.extend(
                    problems
                        .into_problems()
                        .into_iter()
                        .map(|p| FieldError::new(p.field, p.message)),
                );
            }
            Err(ApiError::invalid(errors))
        }
    }
}
