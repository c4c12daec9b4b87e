//! Hostile scenario files: the demo scenario with one member changed (wrong type,
//! missing, huge, nested, markup and control characters) or replaced by random bytes
//! must load and start both simulators, or be refused with a short message naming the
//! file and the field — never a panic.

use proptest::prelude::*;
use serde_json::{Value, json};
use simulators::hostile;
use simulators::scenario::Scenario;
use std::path::{Path, PathBuf};

/// The longest refusal a scenario file may produce.
const MAX_ERROR_CHARS: usize = 800;

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/demo")
}

fn demo(file: &str) -> Value {
    let text = std::fs::read_to_string(demo_dir().join(file)).expect("demo file");
    serde_json::from_str(&text).expect("demo json")
}

fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![hostile::value(100_000), Just(json!({})), Just(json!([])),]
}

/// Every path (as keys and indexes) to a member of `v`, at most `limit` of them.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    if out.len() > 4_000 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                prefix.push(json!(k));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().take(3) {
                prefix.push(json!(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn slot<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

#[derive(Debug, Clone)]
enum Spoil {
    /// Set the member at the n-th path (wrapping).
    Set(usize, Value),
    /// Remove the member at the n-th path.
    Remove(usize),
    Truncate(usize),
    Garbage(Vec<u8>),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        5 => (any::<usize>(), hostile_value()).prop_map(|(i, v)| Spoil::Set(i, v)),
        2 => any::<usize>().prop_map(Spoil::Remove),
        1 => any::<usize>().prop_map(Spoil::Truncate),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Spoil::Garbage),
    ]
}

/// The spoiled file's text and the name of the member changed, if any.
fn spoiled(file: &Value, how: &Spoil) -> (Vec<u8>, Option<String>) {
    let mut all = Vec::new();
    paths(file, &mut Vec::new(), &mut all);
    let mut file = file.clone();
    let mut changed = None;
    match how {
        Spoil::Set(i, v) => {
            let path = &all[i % all.len()];
            if let Some(target) = slot(&mut file, path) {
                *target = v.clone();
                changed = path.last().and_then(Value::as_str).map(str::to_owned);
            }
        }
        Spoil::Remove(i) => {
            let path = &all[i % all.len()];
            let (last, parent) = path.split_last().expect("non-empty path");
            if let (Some(Value::Object(map)), Some(k)) = (slot(&mut file, parent), last.as_str()) {
                map.remove(k);
            }
        }
        Spoil::Garbage(bytes) => return (bytes.clone(), None),
        Spoil::Truncate(_) => {}
    }
    let text = serde_json::to_vec_pretty(&file).expect("serialise");
    match how {
        Spoil::Truncate(n) => (text[..n % text.len()].to_vec(), None),
        _ => (text, changed),
    }
}

#[test]
fn hostile_scenario_files_load_or_are_refused_naming_file_and_field() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let files = [
        ("autotask.json", demo("autotask.json")),
        ("acronis.json", demo("acronis.json")),
    ];
    let dir = std::env::temp_dir().join(format!("scenario-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(which in 0..2usize, how in spoil())| {
        let (name, file) = &files[which];
        let (other, other_file) = &files[1 - which];
        let (text, changed) = spoiled(file, &how);
        std::fs::write(dir.join(name), &text).expect("write");
        std::fs::write(dir.join(other), other_file.to_string()).expect("write");
        match Scenario::load(&dir) {
            Ok(scenario) => {
                // What loads either starts, or the simulator refuses its seed naming
                // the record and field.
                let refusals = runtime.block_on(async {
                    let autotask = simulators::autotask::start(scenario.autotask).await.err();
                    let acronis = simulators::acronis::start(scenario.acronis).await.err();
                    [autotask, acronis]
                });
                for e in refusals.into_iter().flatten() {
                    let text = e.to_string();
                    prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{} chars: {}", text.len(), text.chars().take(300).collect::<String>());
                    prop_assert!(text.contains("seed"), "{text}");
                }
            }
            Err(e) => {
                let text = format!("{e:#}");
                prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{} chars: {}", text.len(), text.chars().take(300).collect::<String>());
                prop_assert!(text.contains(name), "{text}");
                if let Some(field) = &changed
                    && text.contains("invalid type")
                {
                    prop_assert!(text.contains(field.as_str()), "{field}: {text}");
                }
            }
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scenario_nested_a_hundred_thousand_deep_is_refused_as_too_deep() {
    let dir = std::env::temp_dir().join(format!("scenario-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let deep = format!(
        "{{\"companies\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("autotask.json"), deep).expect("write");
    let err = Scenario::load(&dir).expect_err("too deep");
    let text = format!("{err:#}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(text.contains("autotask.json"), "{text}");
    assert!(text.len() <= MAX_ERROR_CHARS, "{text}");
}
