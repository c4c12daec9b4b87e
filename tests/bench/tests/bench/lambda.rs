//! Each function's binary handles its real first event through the Lambda Runtime API
//! (the harness's loopback emulator, moto for AWS, the simulators for the APIs).

#![allow(clippy::unwrap_used)]
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const FUNCTIONS: [&str; 5] = [
    "contract-poller",
    "quota-push",
    "usage-report",
    "alert-ingest",
    "config-api",
];

#[test]
fn every_function_handles_its_real_event_through_the_runtime_api() {
    // The function binaries beside this package's own, built if need be (a no-op when
    // the workspace is built already).
    let bin_dir: PathBuf = PathBuf::from(env!("CARGO_BIN_EXE_bench"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut build = Command::new(env!("CARGO"));
    build.arg("build").arg("--quiet");
    for f in FUNCTIONS {
        build.args(["-p", f]);
    }
    assert!(build.status().unwrap().success(), "building the functions");

    let out = std::env::temp_dir().join(format!("bench-lambda-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("lambda")
        .arg("--bin-dir")
        .arg(&bin_dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rows: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("lambda.json")).unwrap()).unwrap();
    assert_eq!(rows.len(), FUNCTIONS.len(), "{rows:#?}");
    for row in &rows {
        assert_eq!(row["outcome"], "response", "{row:#}");
        assert!(row["first_event_ms"].as_f64().unwrap() >= row["init_ms"].as_f64().unwrap());
        let function = row["function"].as_str().unwrap();
        if function == "config-api" {
            assert_eq!(row["body"]["statusCode"], 200, "{row:#}");
            let jobs = row["body"]["body"].as_str().unwrap();
            assert!(jobs.contains("contract-poller"), "{jobs}");
        } else {
            assert_eq!(row["body"]["job"], function, "{row:#}");
            assert_eq!(row["body"]["failed"], serde_json::json!([]), "{row:#}");
        }
    }
    let quota = rows.iter().find(|r| r["function"] == "quota-push").unwrap();
    assert_eq!(quota["body"]["dry_run"], false);
    let _ = std::fs::remove_dir_all(&out);
}
