//! `scripts/demo` as a newcomer runs it, with a stand-in `cargo` on the PATH that records
//! how it was called and "builds" a stand-in `bridge`: the first start says what the
//! wait is for and lets cargo's progress show; every start runs `bridge run --demo` with
//! the arguments given.

use crate::common;

use common::TempState;
use std::path::Path;
use std::process::{Command, Output};

const FAKE_CARGO: &str = r#"#!/bin/sh
echo "cargo $*" >> "$FAKE_LOG"
echo "   Compiling bridge-cli (fake)" >&2
mkdir -p "$CARGO_TARGET_DIR/debug"
printf '#!/bin/sh\necho "bridge $*"\n' > "$CARGO_TARGET_DIR/debug/bridge"
chmod +x "$CARGO_TARGET_DIR/debug/bridge"
"#;

fn demo(dir: &Path, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo");
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(script)
        .args(args)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("FAKE_LOG", dir.join("cargo.log"))
        .output()
        .expect("scripts/demo runs")
}

#[cfg(unix)]
#[test]
fn the_first_demo_start_says_it_is_building_and_shows_cargos_progress() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempState::new("demo-script");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, FAKE_CARGO).expect("fake cargo");
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("mode");

    let first = demo(dir.path(), &["--port", "0"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(
        stderr.contains("building the bridge, first time only"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Compiling bridge-cli (fake)"),
        "cargo's progress shows: {stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("cargo.log")).expect("cargo called");
    assert!(!log.contains("--quiet") && !log.contains(" -q"), "{log}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "bridge run --demo --port 0\n"
    );

    let again = demo(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(!stderr.contains("first time"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "bridge run --demo\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cargo.log"))
            .expect("log")
            .lines()
            .count(),
        2,
        "built (up to date or not) on every start"
    );
}
