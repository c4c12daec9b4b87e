//! Typed ticket operations for the alert job: create, find again by marker, read in
//! batches, add notes, change status. Each is one request per call (per 500 ids for
//! the batch reads), so the hourly budget stays predictable.

use crate::client::AutotaskClient;
use crate::error::{AutotaskError, Result};
use crate::models::{Ticket, TicketCreate, TicketNoteCreate};
use crate::query::{Filter, MAX_OR_CONDITIONS, Query};

impl AutotaskClient {
    /// Creates a ticket; returns its id. Title and description are cut to Autotask's
    /// limits; a marker longer than `externalID` takes is refused before any request.
    /// Like every create, it is not resent once it may have reached the server: to
    /// survive a crash between creating and recording, look the marker up with
    /// [`tickets_by_external_id`](Self::tickets_by_external_id) before creating.
    pub async fn create_ticket(&self, ticket: &TicketCreate) -> Result<i64> {
        let body = ticket
            .to_body()
            .map_err(|e| AutotaskError::InvalidBody(format!("Tickets: {e}")))?;
        self.create("Tickets", &body).await
    }

    /// Tickets whose `externalID` is one of `markers` (`eq` for one, `in` for several,
    /// at most 500 per request). Autotask compares text without regard to case.
    pub async fn tickets_by_external_id(&self, markers: &[String]) -> Result<Vec<Ticket>> {
        let mut markers: Vec<&str> = markers
            .iter()
            .map(String::as_str)
            .filter(|m| !m.trim().is_empty())
            .collect();
        markers.sort_unstable();
        markers.dedup();
        let mut found = Vec::new();
        for chunk in markers.chunks(MAX_OR_CONDITIONS) {
            let filter = match chunk {
                [one] => Filter::eq("externalID", *one),
                many => Filter::in_list("externalID", many.iter().copied()),
            };
            found.extend(self.query::<Ticket>(&Query::new(filter)).await?);
        }
        Ok(found)
    }

    /// The tickets with these ids (`id in [...]`, at most 500 per request): status,
    /// ticket number, `completedDate`, `lastActivityDate` and the rest. Missing ids
    /// are simply absent from the answer (deleted, or outside the API user's scope).
    pub async fn tickets_by_id(&self, ids: &[i64]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.query_in_chunks::<Ticket>("id", ids, &Query::default())
            .await
    }

    /// Adds a note to a ticket (`POST /Tickets/{id}/Notes`); returns the note's id.
    /// Texts are cut to Autotask's limits. Not resent once it may have reached the
    /// server, like every create.
    pub async fn add_ticket_note(&self, ticket_id: i64, note: &TicketNoteCreate) -> Result<i64> {
        let body = note
            .to_body(ticket_id)
            .map_err(|e| AutotaskError::InvalidBody(format!("TicketNotes: {e}")))?;
        self.create_child("Tickets", ticket_id, "Notes", &body)
            .await
    }

    /// Moves a ticket to `status` (a tenant picklist code) with a PATCH that touches
    /// nothing else. Autotask sets `completedDate` when the status is Complete.
    pub async fn set_ticket_status(&self, ticket_id: i64, status: i64) -> Result<()> {
        let patch = Ticket {
            id: ticket_id,
            status: Some(status),
            ..Ticket::default()
        };
        self.update("Tickets", &patch).await.map(drop)
    }
}
