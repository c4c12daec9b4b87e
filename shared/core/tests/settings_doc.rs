//! `docs/settings.md` stays true: its example parses and it names every option and every
//! catalogue item.

use bridge_core::catalog::CATALOG;
use bridge_core::settings::{AccountBasis, Settings};
use serde_json::Value;
use std::path::Path;

fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/settings.md");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The first ```json block after the "## Example" heading.
fn example(doc: &str) -> &str {
    let (_, after) = doc.split_once("## Example").expect("an Example section");
    let (_, block) = after.split_once("```json\n").expect("a json block");
    let (json, _) = block.split_once("```").expect("a closed block");
    json
}

#[test]
fn docs_example_parses() {
    let doc = doc();
    let settings = Settings::parse(example(&doc)).unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(settings.validate(), Ok(()));
    assert_eq!(
        settings.provisioning.create_accounts_based_on,
        AccountBasis::CompanyName
    );
    assert!(settings.features.two_way_sync);
    assert!(!settings.service_mappings.is_empty() && !settings.alert_mappings.is_empty());
    assert!(settings.storage_mappings.iter().all(|row| row.is_enabled()));
    assert_ne!(settings, Settings::default());
}

fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                out.push(key.clone());
                keys(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
        _ => {}
    }
}

#[test]
fn docs_name_every_option_and_catalogue_item() {
    let doc = doc();
    let example = Settings::parse(example(&doc)).unwrap_or_else(|errors| panic!("{errors}"));
    let mut names = Vec::new();
    for settings in [Settings::default(), example] {
        keys(
            &serde_json::to_value(settings).expect("serializes"),
            &mut names,
        );
    }
    names.sort();
    names.dedup();
    assert!(names.len() > 50, "the walk found the options: {names:?}");
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !doc.contains(&format!("`{name}`")) && !doc.contains(&format!("\"{name}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "options missing from docs/settings.md: {missing:?}"
    );
    for item in CATALOG {
        assert!(
            doc.contains(&format!("`{}`", item.name)),
            "{} missing from the catalogue table",
            item.name
        );
    }
}
