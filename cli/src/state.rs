//! The local state folder (`.local/` by default): everything local mode keeps between
//! runs, readable by its owner only.
//!
//! | file | what |
//! | --- | --- |
//! | `bridge.db` | the embedded store (`SqliteStore`) |
//! | `secrets.json` | the API credentials (`FileSecretSource`) |
//! | `token` | the bearer token of the local config routes (0600) |
//! | `url` | where the running runner serves the config routes (for the operator client) |

use bridge_core::secret::Secret;
use bridge_store::secrets::write_private;
use std::io;
use std::path::{Path, PathBuf};

/// The folder used when `--state` is not given, relative to the working directory
/// (`scripts/demo` runs from the repository root; git ignores it).
pub const DEFAULT_DIR: &str = ".local";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state folder {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is empty: delete it and restart the runner to generate a new token", path.display())]
    EmptyToken { path: PathBuf },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A token the runner generated or found.
pub struct Token {
    pub value: Secret,
    /// True on the first start: the only time the token is printed.
    pub created: bool,
}

#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The folder at `root`; nothing is created until [`StateDir::create`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates the folder (owner-only on unix) if it does not exist yet.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = Self::new(root);
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir.root).map_err(io_error(&dir.root))?;
        // A folder made by hand keeps the store and secrets from other users as well.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir.root, std::fs::Permissions::from_mode(0o700))
                .map_err(io_error(&dir.root))?;
        }
        Ok(dir)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn store_path(&self) -> PathBuf {
        self.root.join("bridge.db")
    }

    pub fn secrets_path(&self) -> PathBuf {
        self.root.join("secrets.json")
    }

    pub fn token_path(&self) -> PathBuf {
        self.root.join("token")
    }

    pub fn url_path(&self) -> PathBuf {
        self.root.join("url")
    }

    pub fn zone_lookup_path(&self) -> PathBuf {
        self.root.join("zone-lookup-url")
    }

    /// The saved token, or a new one written 0600 on first use.
    ///
    /// 64 hex characters from two v4 uuids: 244 bits from the operating system's random
    /// source (uuid uses `getrandom`), so no extra dependency is needed for it.
    pub fn load_or_create_token(&self) -> Result<Token, StateError> {
        let path = self.token_path();
        if let Some(value) = self.read_token()? {
            restrict(&path).map_err(io_error(&path))?;
            return Ok(Token {
                value,
                created: false,
            });
        }
        let value = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        match write_private(&path, value.as_bytes()) {
            Ok(()) => Ok(Token {
                value: Secret::new(value),
                created: true,
            }),
            // Another runner created it between our read and write: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(Token {
                value: self
                    .read_token()?
                    .ok_or(StateError::EmptyToken { path: path.clone() })?,
                created: false,
            }),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// The token if one was generated; `None` before the runner's first start.
    pub fn read_token(&self) -> Result<Option<Secret>, StateError> {
        let path = self.token_path();
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().is_empty() => Err(StateError::EmptyToken { path }),
            Ok(text) => Ok(Some(Secret::new(text.trim()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    /// Records where the config routes listen, for `bridge config …` without `--url`.
    pub fn write_url(&self, url: &str) -> Result<(), StateError> {
        let path = self.url_path();
        std::fs::write(&path, format!("{url}\n")).map_err(io_error(&path))
    }

    pub fn read_url(&self) -> Result<Option<String>, StateError> {
        read_line(&self.url_path())
    }

    /// Records the Autotask zone lookup a run used when it was not Autotask's own (the
    /// demo's simulator, `--zone-lookup-url`), so later runs on this folder use it too:
    /// every job run looks the zone up to check the database (`docs/safety.md`).
    pub fn write_zone_lookup(&self, url: &str) -> Result<(), StateError> {
        let path = self.zone_lookup_path();
        std::fs::write(&path, format!("{url}\n")).map_err(io_error(&path))
    }

    pub fn read_zone_lookup(&self) -> Result<Option<String>, StateError> {
        read_line(&self.zone_lookup_path())
    }
}

/// The first line of a small state file; `None` when it is absent or blank.
fn read_line(path: &Path) -> Result<Option<String>, StateError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|u| !u.is_empty())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Puts a token file copied or touched by hand back to owner-only.
fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode != 0o600 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
