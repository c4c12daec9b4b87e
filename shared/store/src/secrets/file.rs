//! The local-mode secret source: one JSON file in the state folder.
//!
//! File shape: `{"autotask": {…AutotaskCredentials…}, "acronis": {…AcronisCredentials…}}`;
//! a missing file, a missing key, `null` or `{}` mean "not set".

use super::{Kind, SecretError, SecretSource, Stored, decode, encode};
use async_trait::async_trait;
use bridge_core::credentials::{
    AcronisCredentials, AutotaskCredentials, CredentialsError, is_unset, parse_stored,
};
use serde_json::{Map, Value};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Keeps both credentials in one file, replaced atomically (temp file + rename) and
/// readable by the owner only (0600 on unix).
#[derive(Debug, Clone)]
pub struct FileSecretSource {
    path: PathBuf,
    /// Serializes read-modify-write, so saving both kinds at once loses neither.
    write_lock: Arc<Mutex<()>>,
}

impl FileSecretSource {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            write_lock: Arc::new(Mutex::new(())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn name(&self, kind: Kind) -> String {
        format!("{} ({})", self.path.display(), kind.key())
    }

    async fn get<T: Stored>(&self, kind: Kind) -> Result<Option<T>, SecretError> {
        let path = self.path.clone();
        let mut all = blocking(&self.path, move || read_all(&path)).await?;
        let name = self.name(kind);
        match all.remove(kind.key()) {
            Some(value) if !is_unset(&value) => decode(&name, value).map(Some),
            _ => Ok(None),
        }
    }

    async fn put<T: Stored>(&self, kind: Kind, credentials: &T) -> Result<(), SecretError> {
        let value = encode(&self.name(kind), credentials)?;
        let path = self.path.clone();
        let lock = Arc::clone(&self.write_lock);
        blocking(&self.path, move || {
            // A poisoned lock only means another save panicked; the file is still whole.
            let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut all = read_all(&path)?;
            all.insert(kind.key().to_owned(), value);
            write_atomically(&path, &Value::Object(all))
        })
        .await?;
        tracing::info!(file = %self.path.display(), kind = kind.key(), "credentials saved");
        Ok(())
    }
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| SecretError::File {
            path: path.to_owned(),
            source: io::Error::other(join.to_string()),
        })?
}

/// The file's object; empty when the file does not exist yet. A corrupt file is an error
/// (never silently replaced, which would drop the other kind's credentials).
fn read_all(path: &Path) -> Result<Map<String, Value>, SecretError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(source) => {
            return Err(SecretError::File {
                path: path.to_owned(),
                source,
            });
        }
    };
    let corrupt = |problem| SecretError::Corrupt {
        secret: path.display().to_string(),
        problem,
    };
    match parse_stored(&text).map_err(corrupt)? {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(corrupt(CredentialsError::NotAnObject)),
    }
}

fn write_atomically(path: &Path, value: &Value) -> Result<(), SecretError> {
    let file_error = |source| SecretError::File {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(file_error)?;
    let file_name = path.file_name().map_or_else(
        || "secrets.json".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = dir.join(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4()));
    let text = serde_json::to_vec_pretty(value).map_err(|e| file_error(io::Error::other(e)))?;
    let written = write_private(&temp, &text).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(file_error(e));
    }
    // Make the rename itself durable; not possible (nor needed) on every platform.
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Creates `path` readable by the owner only, before any byte is written to it (also
/// used for the local runner's token).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[async_trait]
impl SecretSource for FileSecretSource {
    async fn get_autotask(&self) -> Result<Option<AutotaskCredentials>, SecretError> {
        self.get(Kind::Autotask).await
    }

    async fn put_autotask(&self, credentials: &AutotaskCredentials) -> Result<(), SecretError> {
        self.put(Kind::Autotask, credentials).await
    }

    async fn get_acronis(&self) -> Result<Option<AcronisCredentials>, SecretError> {
        self.get(Kind::Acronis).await
    }

    async fn put_acronis(&self, credentials: &AcronisCredentials) -> Result<(), SecretError> {
        self.put(Kind::Acronis, credentials).await
    }
}
