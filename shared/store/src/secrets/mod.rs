//! Where the bridge keeps its API credentials.
//!
//! Deployed, [`SecretsManagerSource`] reads two Secrets Manager secrets (one per API);
//! in local mode [`FileSecretSource`] keeps both in one JSON file of the state folder.
//! Both store the JSON shapes of `bridge_core::credentials` (docs/secrets-and-events.md),
//! validate before saving, and never put a secret value into an error or a log line.

mod file;
mod secrets_manager;

use async_trait::async_trait;
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials, CredentialsError};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

pub use file::{FileSecretSource, write_private};
pub use secrets_manager::SecretsManagerSource;

/// Reads and saves the credentials of both APIs. `None` means "not set yet".
#[async_trait]
pub trait SecretSource: Send + Sync {
    async fn get_autotask(&self) -> Result<Option<AutotaskCredentials>, SecretError>;
    /// Validates, then saves; invalid credentials are refused and nothing is written.
    async fn put_autotask(&self, credentials: &AutotaskCredentials) -> Result<(), SecretError>;
    async fn get_acronis(&self) -> Result<Option<AcronisCredentials>, SecretError>;
    /// Validates, then saves; invalid credentials are refused and nothing is written.
    async fn put_acronis(&self, credentials: &AcronisCredentials) -> Result<(), SecretError>;
}

/// Why credentials could not be read or saved. `secret` names the Secrets Manager secret
/// or the file and key; no variant ever carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("stored secret {secret} cannot be read: {problem}")]
    Corrupt {
        secret: String,
        problem: CredentialsError,
    },
    #[error("credentials for {secret} refused: {problem}")]
    Invalid {
        secret: String,
        problem: CredentialsError,
    },
    #[error(
        "secret {secret} does not exist: the infrastructure creates it \
         (or enable create_if_missing)"
    )]
    Missing { secret: String },
    #[error("Secrets Manager {operation} on {secret} failed: {detail}")]
    Aws {
        operation: &'static str,
        secret: String,
        detail: String,
    },
    #[error("local secret file {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Which of the two credentials; also the key in the local file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Autotask,
    Acronis,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Autotask => "autotask",
            Kind::Acronis => "acronis",
        }
    }
}

/// What the adapters need of a credentials type, so each adapter has one `get` and one
/// `put` for both kinds.
trait Stored: Serialize + TryFrom<Value, Error = CredentialsError> {
    fn check(&self) -> Result<(), CredentialsError>;
}

impl Stored for AutotaskCredentials {
    fn check(&self) -> Result<(), CredentialsError> {
        self.validate()
    }
}

impl Stored for AcronisCredentials {
    fn check(&self) -> Result<(), CredentialsError> {
        self.validate()
    }
}

/// A stored JSON value (already known to be set) as credentials.
fn decode<T: Stored>(secret: &str, value: Value) -> Result<T, SecretError> {
    T::try_from(value).map_err(|problem| SecretError::Corrupt {
        secret: secret.to_owned(),
        problem,
    })
}

/// Validated credentials as the JSON value to store.
fn encode<T: Stored>(secret: &str, credentials: &T) -> Result<Value, SecretError> {
    let invalid = |problem| SecretError::Invalid {
        secret: secret.to_owned(),
        problem,
    };
    credentials.check().map_err(invalid)?;
    // Plain strings and a timestamp: serializing cannot fail; if it ever did, the field
    // list is the only thing worth reporting.
    serde_json::to_value(credentials).map_err(|_| invalid(CredentialsError::NotAnObject))
}
