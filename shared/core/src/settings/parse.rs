//! JSON → `Settings`, collecting every problem instead of stopping at the first.
//!
//! serde stops at the first error, and the structs deny unknown fields so that any other
//! reader (the store, a job) rejects a stray field too. To report them all, the document is
//! deserialized, the offending value (found by `serde_path_to_error`) is recorded and
//! removed, and deserialization runs again. Every struct takes defaults for missing fields,
//! so each round gets further; a document has few problems, so the rounds are few.

use super::Settings;
use crate::validation::{Problems, SettingsErrors};
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

/// A safety net; each round removes part of a finite document, so it ends anyway.
const MAX_ROUNDS: usize = 1000;

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

pub(super) fn parse(json: &str) -> Result<Settings, SettingsErrors> {
    let mut problems = Problems::default();
    let mut document: Value = match serde_json::from_str(json) {
        Ok(value) => value,
        Err(err) => {
            problems.push("", format!("not valid JSON: {err}"));
            return Err(problems.into_errors());
        }
    };
    // serde would read a struct from an array, positionally; nobody means that.
    if !document.is_object() {
        problems.push("", "the settings document must be a JSON object");
        return Err(problems.into_errors());
    }
    let mut removed: Vec<Vec<Step>> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        match serde_path_to_error::deserialize::<_, Settings>(document.clone()) {
            Ok(settings) => {
                if let Err(errors) = settings.validate() {
                    let removed: Vec<String> = removed.iter().map(|path| display(path)).collect();
                    for problem in errors.into_problems() {
                        // A value already reported as malformed was replaced by its default;
                        // what the rules say about that default is noise.
                        if !removed.iter().any(|bad| is_within(&problem.field, bad)) {
                            problems.push(problem.field, problem.message);
                        }
                    }
                }
                return problems.finish(settings);
            }
            Err(err) => {
                let Some(mut path) = steps(err.path()) else {
                    problems.push(err.path().to_string(), err.inner().to_string());
                    return Err(problems.into_errors());
                };
                // An error above a value removed earlier is a consequence of the removal
                // (e.g. an enum left without its variant), not a problem of its own.
                let consequence = removed.iter().any(|bad| bad.starts_with(&path));
                if !consequence {
                    problems.push(display(&path), err.inner().to_string());
                }
                while removed.contains(&path) {
                    path.pop();
                }
                if path.is_empty() || !remove(&mut document, &path) {
                    // Nothing left to remove: stop with what was found.
                    if problems.is_empty() {
                        problems.push(display(&path), err.inner().to_string());
                    }
                    return Err(problems.into_errors());
                }
                removed.push(path);
            }
        }
    }
    problems.push("", "too many problems to report");
    Err(problems.into_errors())
}

/// The path as steps into the JSON document; `None` if serde lost track of it.
fn steps(path: &serde_path_to_error::Path) -> Option<Vec<Step>> {
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => Some(Step::Index(*index)),
            // An externally tagged enum is an object keyed by its variant.
            Segment::Map { key } | Segment::Enum { variant: key } => Some(Step::Key(key.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

/// `a.b[3].c`, the form every settings problem uses.
fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Whether `field` is `path` or lies below it.
fn is_within(field: &str, path: &str) -> bool {
    field
        .strip_prefix(path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Removes the value at `path`: an object member is dropped (its default applies), an array
/// element is emptied to `{}` (its fields' defaults apply; indexes of the others stay).
fn remove(document: &mut Value, path: &[Step]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut value = document;
    for step in parents {
        let next = match (step, value) {
            (Step::Key(key), Value::Object(map)) => map.get_mut(key),
            (Step::Index(index), Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => value = next,
            None => return false,
        }
    }
    match (last, value) {
        (Step::Key(key), Value::Object(map)) => map.remove(key).is_some(),
        (Step::Index(index), Value::Array(items)) => match items.get_mut(*index) {
            Some(item) => {
                *item = Value::Object(Map::new());
                true
            }
            None => false,
        },
        _ => false,
    }
}
