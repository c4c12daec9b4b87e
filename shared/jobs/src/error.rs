//! Why a job could not run at all. Per-customer failures are not errors of the job:
//! they are recorded in its [`crate::JobSummary`] and the job carries on.

use bridge_store::events::EventBusError;
use bridge_store::secrets::SecretError;
use bridge_store::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Credentials or settings the job needs have not been saved yet.
    #[error("not configured: {0}")]
    NotConfigured(String),
    #[error("Autotask: {0}")]
    Autotask(#[from] autotask::AutotaskError),
    #[error("Acronis: {0}")]
    Acronis(#[from] acronis::Error),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretError),
    #[error("event bus: {0}")]
    Bus(#[from] EventBusError),
    /// The saved credentials reach another Autotask database than the recorded one.
    #[error("stopped: {0}")]
    DatabaseChanged(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A run now could not be started (the job's function could not be invoked).
    #[error("cannot start the run: {0}")]
    Launch(String),
}
