//! What can go wrong in the store, in terms the jobs can act on.

/// A store failure. `Conflict`, `AlreadyExists` and `NotFound` are expected outcomes of
/// concurrent runs (re-read and decide); `Corrupt` and `Backend` are not.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the record changed since it was read, or the write
    /// would break an invariant (e.g. a tenant already mapped to another company).
    #[error("conflict on {what} (current version: {current_version:?})")]
    Conflict {
        what: String,
        current_version: Option<u64>,
    },
    /// A write-once record is already there; the first write stays.
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    /// The record to update or delete is not there.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The record is no longer what the caller read (a precondition failed): nothing
    /// was written.
    #[error("{what}")]
    NotAsRead { what: String },
    /// A stored record cannot be decoded.
    #[error("corrupt record {key}: {detail}")]
    Corrupt { key: String, detail: String },
    /// The caller passed something the store cannot accept (names the field).
    #[error("invalid {field}: {detail}")]
    Invalid { field: &'static str, detail: String },
    /// The database failed or could not be reached.
    #[error("store backend failed during {operation}: {detail}")]
    Backend {
        operation: &'static str,
        detail: String,
    },
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            detail: detail.into(),
        }
    }

    pub(crate) fn backend(operation: &'static str, detail: impl ToString) -> Self {
        StoreError::Backend {
            operation,
            detail: detail.to_string(),
        }
    }

    pub(crate) fn corrupt(key: impl Into<String>, detail: impl ToString) -> Self {
        StoreError::Corrupt {
            key: key.into(),
            detail: detail.to_string(),
        }
    }
}
