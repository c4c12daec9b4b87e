//! The harness end to end at a tiny size and no latency, so it cannot rot: every case
//! runs in its own process against the simulators, and the table and its files hold
//! what the runs did.

#![allow(clippy::unwrap_used)]
use serde_json::Value;
use std::process::Command;

#[test]
fn a_tiny_run_measures_every_case() {
    let out = std::env::temp_dir().join(format!("bench-ci-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args([
            "--sizes",
            "20",
            "--autotask-latency-ms",
            "0",
            "--acronis-latency-ms",
            "0",
        ])
        .args(["--burst", "30", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("| 20 | contract-poller | first full sync |"),
        "{table}"
    );

    let rows: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let row = |job: &str, case: &str| -> Value {
        rows.iter()
            .find(|r| r["job"] == job && r["case"] == case)
            .cloned()
            .unwrap_or_else(|| panic!("no row {job} / {case} in {rows:#?}"))
    };
    let total = |r: &Value, api: &str| -> u64 {
        r[api]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    assert_eq!(rows.len(), 7, "{rows:#?}");
    for r in &rows {
        assert_eq!(r["failed"], 0, "{r:#}");
        assert!(r["peak_rss_mib"].as_f64().unwrap() > 1.0, "{r:#}");
        assert!(r["wall_s"].as_f64().unwrap() > 0.0, "{r:#}");
    }

    let sync = row("contract-poller", "first full sync");
    assert!(
        total(&sync, "autotask") >= sync["min_autotask"].as_u64().unwrap(),
        "{sync:#}"
    );
    assert!(
        sync["autotask"]
            .as_object()
            .unwrap()
            .contains_key("Contracts query"),
        "{sync:#}"
    );
    let push = row("quota-push", "first full sync");
    assert!(push["applied"].as_u64().unwrap() > 0, "{push:#}");
    assert!(total(&push, "acronis") > 0, "{push:#}");
    let idle = row("contract-poller", "idle poll");
    // A fresh process looks its zone up once; the poll itself spends at most 3.
    let lookups = idle["autotask"]["zoneInformation get"]
        .as_u64()
        .unwrap_or(0);
    assert!(total(&idle, "autotask") - lookups <= 3, "{idle:#}");
    assert_eq!(total(&idle, "acronis"), 0, "{idle:#}");
    let changed = row("contract-poller + quota-push", "1% changed");
    assert!(
        changed["applied"].as_u64().unwrap() > 0,
        "a changed unit was pushed: {changed:#}"
    );
    let burst = row("alert-ingest", "alert burst of 30");
    assert!(burst["applied"].as_u64().unwrap() >= 30, "{burst:#}");
    assert!(
        burst["autotask"]["Tickets create"].as_u64().unwrap() >= 30,
        "a ticket per alert: {burst:#}"
    );
    let hour = row("every job", "idle hour");
    assert_eq!(hour["runs"], 60 + 4 + 1 + 60, "{hour:#}");

    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 8, "{csv}");
    assert!(
        std::fs::read_to_string(out.join("results.md"))
            .unwrap()
            .contains("idle hour")
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_first_syncs_on_dynamodb_store_every_snapshot_in_the_table() {
    let out = std::env::temp_dir().join(format!("bench-ci-dynamo-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--sizes", "20", "--autotask-latency-ms", "0"])
        .args([
            "--acronis-latency-ms",
            "0",
            "--dynamo",
            "--first-syncs",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rows: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let cases: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["job"].as_str().unwrap(), r["case"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cases,
        [
            ("contract-poller", "first full sync"),
            ("quota-push", "first full sync")
        ]
    );
    for r in &rows {
        assert_eq!(r["failed"], 0, "{r:#}");
    }
    // A snapshot per company (each has Acronis services), then pushes read from them.
    assert_eq!(rows[0]["applied"], 20, "{:#}", rows[0]);
    assert!(rows[1]["applied"].as_u64().unwrap() > 0, "{:#}", rows[1]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_options_are_refused_by_name() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_bench"))
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run(&["--sizes", "10,x"]).contains("--sizes"));
    assert!(run(&["--sizes", "1000000"]).contains("at most"));
    assert!(run(&["--burst", "-1"]).contains("--burst"));
    assert!(run(&["--frobnicate"]).contains("unknown argument"));
}
