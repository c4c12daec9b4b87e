//! Shared by the cli tests: a throw-away state folder and an in-process demo runner.
#![allow(dead_code)] // each module uses a part

use bridge_cli::{RunOptions, Running, start};
use std::path::{Path, PathBuf};

/// A state folder under the system temp dir, removed when dropped.
pub struct TempState(PathBuf);

impl TempState {
    pub fn new(label: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("bridge-cli-{label}-{}", uuid::Uuid::new_v4()));
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The runner with `--demo` on free ports; `schedule_jobs` off keeps a test's store
/// free of job runs it did not ask for.
pub async fn demo_runner(state: &TempState, schedule_jobs: bool) -> Running {
    let mut opts = RunOptions::new(state.path()).any_free_ports();
    opts.demo = true;
    opts.schedule_jobs = schedule_jobs;
    start(opts).await.expect("runner starts")
}
