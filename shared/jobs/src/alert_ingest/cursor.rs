//! Where alert ingestion resumes: the `updatedAt` up to which every alert's ticket work is
//! committed. Stored as JSON in the store's cursor family under [`NAME`].

use crate::{Context, JobError};
use bridge_store::store::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "alert-ingest";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertCursor {
    /// Every alert updated at or before this is handled; `None` before the first run,
    /// which takes every alert still active.
    pub handled_through: Option<DateTime<Utc>>,
}

/// The cursor and its version (`None`: never saved).
pub async fn load(ctx: &Context) -> Result<(AlertCursor, Option<u64>), JobError> {
    match ctx.store.get_cursor(NAME).await? {
        None => Ok((AlertCursor::default(), None)),
        Some(stored) => {
            let cursor = serde_json::from_str(&stored.value).map_err(|e| {
                JobError::Invalid(format!("the stored {NAME} cursor is not readable: {e}"))
            })?;
            Ok((cursor, Some(stored.version)))
        }
    }
}

/// Saves the cursor at the version read; another run's newer save wins (its progress
/// covers this one's, since runs hold the job's lease).
pub async fn save(
    ctx: &Context,
    cursor: &AlertCursor,
    version: Option<u64>,
) -> Result<(), JobError> {
    let text = serde_json::to_string(cursor)
        .map_err(|e| JobError::Invalid(format!("cannot encode the {NAME} cursor: {e}")))?;
    match ctx.store.put_cursor(NAME, &text, version).await {
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
