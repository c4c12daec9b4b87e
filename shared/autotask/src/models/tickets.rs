//! Tickets raised from Acronis alerts, and their notes.

use super::model;
use chrono::{DateTime, Utc};

model! {
    /// `/Tickets`. Status, priority, queue, issue types, source and ticket type are
    /// tenant picklists: resolve them at runtime.
    Ticket = "Tickets" + user_defined_fields {
        ticket_number: String = "ticketNumber",
        title: String = "title",
        description: String = "description",
        company_id: i64 = "companyID",
        company_location_id: i64 = "companyLocationID",
        contact_id: i64 = "contactID",
        contract_id: i64 = "contractID",
        contract_service_id: i64 = "contractServiceID",
        contract_service_bundle_id: i64 = "contractServiceBundleID",
        configuration_item_id: i64 = "configurationItemID",
        status: i64 = "status",
        priority: i64 = "priority",
        queue_id: i64 = "queueID",
        issue_type: i64 = "issueType",
        sub_issue_type: i64 = "subIssueType",
        source: i64 = "source",
        ticket_type: i64 = "ticketType",
        ticket_category: i64 = "ticketCategory",
        assigned_resource_id: i64 = "assignedResourceID",
        assigned_resource_role_id: i64 = "assignedResourceRoleID",
        billing_code_id: i64 = "billingCodeID",
        creator_resource_id: i64 = "creatorResourceID",
        completed_by_resource_id: i64 = "completedByResourceID",
        external_id: String = "externalID",
        rmm_alert_id: String = "rmmAlertID",
        monitor_id: i64 = "monitorID",
        purchase_order_number: String = "purchaseOrderNumber",
        resolution: String = "resolution",
        estimated_hours: f64 = "estimatedHours",
        service_level_agreement_id: i64 = "serviceLevelAgreementID",
        #[serde(with = "crate::datetime::opt")]
        create_date: DateTime<Utc> = "createDate",
        #[serde(with = "crate::datetime::opt")]
        due_date_time: DateTime<Utc> = "dueDateTime",
        #[serde(with = "crate::datetime::opt")]
        completed_date: DateTime<Utc> = "completedDate",
        #[serde(with = "crate::datetime::opt")]
        resolved_date_time: DateTime<Utc> = "resolvedDateTime",
        #[serde(with = "crate::datetime::opt")]
        last_activity_date: DateTime<Utc> = "lastActivityDate",
        #[serde(with = "crate::datetime::opt")]
        last_tracked_modification_date_time: DateTime<Utc> = "lastTrackedModificationDateTime",
    }
}

model! {
    /// `/TicketNotes`; written through `/Tickets/{id}/Notes`. `publish` decides who
    /// sees the note — a tenant picklist, never hard-code it.
    TicketNote = "TicketNotes" {
        ticket_id: i64 = "ticketID",
        title: String = "title",
        description: String = "description",
        note_type: i64 = "noteType",
        publish: i64 = "publish",
        creator_resource_id: i64 = "creatorResourceID",
        created_by_contact_id: i64 = "createdByContactID",
        impersonator_creator_resource_id: i64 = "impersonatorCreatorResourceID",
        impersonator_updater_resource_id: i64 = "impersonatorUpdaterResourceID",
        #[serde(with = "crate::datetime::opt")]
        create_date_time: DateTime<Utc> = "createDateTime",
        #[serde(with = "crate::datetime::opt")]
        last_activity_date: DateTime<Utc> = "lastActivityDate",
    }
}

/// Longest values Autotask takes, in .NET characters (UTF-16 code units).
pub mod limits {
    /// `Tickets.title` (reference 5.13).
    pub const TICKET_TITLE: usize = 255;
    /// `Tickets.description` (reference 5.13).
    pub const TICKET_DESCRIPTION: usize = 8_000;
    /// `Tickets.externalID`. The reference gives no length; Autotask's entity
    /// documentation gives 50 (unconfirmed for REST, so held to the stricter value).
    pub const TICKET_EXTERNAL_ID: usize = 50;
    /// `TicketNotes.title` (reference 5.14).
    pub const NOTE_TITLE: usize = 250;
    /// `TicketNotes.description` (reference 5.14).
    pub const NOTE_DESCRIPTION: usize = 32_000;
}

/// Length of `s` as Autotask (.NET) counts it: UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s` cut to at most `max` UTF-16 code units on a character boundary, with `…`
/// marking a cut. Alert text comes from outside and may be any length; a title or
/// description that is too long would make Autotask refuse the whole ticket.
pub fn bounded_text(s: &str, max: usize) -> String {
    if utf16_len(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > max.saturating_sub(1) {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// A `Tickets.externalID` value that stands for `key` within the field's 50
/// characters: the key itself when it fits, else its first 17 characters, `~` and a
/// 128-bit hash of the whole key (lower-case hex). The same key always gives the same
/// value, so a ticket can be found again by it. Autotask compares text without regard
/// to case, so the hash is taken over the lower-cased key.
///
/// An alert key `<tenant uuid>/<alert id>` is 73 characters and always takes the
/// second form.
pub fn external_id_for(key: &str) -> String {
    if utf16_len(key) <= limits::TICKET_EXTERNAL_ID {
        return key.to_string();
    }
    const HASH_HEX: usize = 32;
    let prefix = bounded_prefix(key, limits::TICKET_EXTERNAL_ID - HASH_HEX - 1);
    format!("{prefix}~{:032x}", fnv1a_128(key.to_lowercase().as_bytes()))
}

/// The longest prefix of `s` of at most `max` UTF-16 code units.
fn bounded_prefix(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > max {
            return &s[..i];
        }
        used += c.len_utf16();
    }
    s
}

/// FNV-1a, 128-bit: stable across builds and platforms, no dependency.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME))
}

/// A primary resource for a ticket. Autotask refuses a resource without its role
/// ("When assigning a Resource, you must assign both a assignedResourceID and
/// assignedResourceRoleID."), so the two only travel together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AssignedResource {
    #[serde(rename = "assignedResourceID")]
    pub resource_id: i64,
    #[serde(rename = "assignedResourceRoleID")]
    pub role_id: i64,
}

/// The body of a new ticket: the fields Autotask needs (`companyID`, `title`,
/// `status`, `priority`, and `queueID` unless a primary resource routes it) and the
/// optional ones the alert mapping sets. Absent options are left out, so the tenant's
/// defaults apply. Status, priority, queue, issue types, source and ticket type are
/// tenant picklist codes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TicketCreate {
    #[serde(rename = "companyID")]
    pub company_id: i64,
    /// Cut to 255 characters when sent.
    pub title: String,
    /// Cut to 8,000 characters when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: i64,
    pub priority: i64,
    #[serde(rename = "queueID", skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<i64>,
    #[serde(rename = "issueType", skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<i64>,
    #[serde(rename = "subIssueType", skip_serializing_if = "Option::is_none")]
    pub sub_issue_type: Option<i64>,
    #[serde(rename = "ticketType", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<i64>,
    #[serde(rename = "contractID", skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<i64>,
    #[serde(rename = "contactID", skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<i64>,
    /// The caller's marker for finding the ticket again (at most 50 characters: see
    /// [`external_id_for`]); never cut, because a cut marker would match nothing.
    #[serde(rename = "externalID", skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(
        rename = "dueDateTime",
        with = "crate::datetime::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date_time: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub assigned: Option<AssignedResource>,
}

impl TicketCreate {
    /// A ticket with the always-required fields; add the rest with the `with_` methods
    /// or by setting fields.
    pub fn new(company_id: i64, title: impl Into<String>, status: i64, priority: i64) -> Self {
        TicketCreate {
            company_id,
            title: title.into(),
            status,
            priority,
            ..TicketCreate::default()
        }
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn with_queue(mut self, queue_id: i64) -> Self {
        self.queue_id = Some(queue_id);
        self
    }

    pub fn with_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// The body as sent: title and description cut to their limits. Errors name the
    /// field when the marker is too long or the title is empty.
    pub fn to_body(&self) -> Result<TicketCreate, String> {
        if self.title.trim().is_empty() {
            return Err("title: a ticket needs a title".into());
        }
        if let Some(id) = &self.external_id
            && utf16_len(id) > limits::TICKET_EXTERNAL_ID
        {
            return Err(format!(
                "externalID: {} characters, Autotask takes at most {} (see external_id_for)",
                utf16_len(id),
                limits::TICKET_EXTERNAL_ID
            ));
        }
        Ok(TicketCreate {
            title: bounded_text(&self.title, limits::TICKET_TITLE),
            description: self
                .description
                .as_deref()
                .map(|d| bounded_text(d, limits::TICKET_DESCRIPTION)),
            ..self.clone()
        })
    }
}

/// The body of a new ticket note. `note_type` and `publish` are tenant picklist codes;
/// `publish` decides whether the customer sees the note.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TicketNoteCreate {
    /// Cut to 250 characters when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Cut to 32,000 characters when sent.
    pub description: String,
    #[serde(rename = "noteType")]
    pub note_type: i64,
    pub publish: i64,
}

impl TicketNoteCreate {
    /// The body as sent to `/Tickets/{ticket_id}/Notes`: texts cut to their limits and
    /// `ticketID` repeated in the body, as integrators' working calls do.
    pub fn to_body(&self, ticket_id: i64) -> Result<serde_json::Value, String> {
        if self.description.trim().is_empty() {
            return Err("description: a note needs a description".into());
        }
        let bounded = TicketNoteCreate {
            title: self
                .title
                .as_deref()
                .map(|t| bounded_text(t, limits::NOTE_TITLE)),
            description: bounded_text(&self.description, limits::NOTE_DESCRIPTION),
            ..self.clone()
        };
        let mut body = serde_json::to_value(&bounded).map_err(|e| e.to_string())?;
        body["ticketID"] = serde_json::json!(ticket_id);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_bodies_carry_only_what_is_set() {
        let t = TicketCreate::new(7, "Backup failed", 1, 2)
            .with_queue(29682833)
            .with_external_id("abc");
        assert_eq!(
            serde_json::to_value(t.to_body().expect("valid")).expect("json"),
            json!({"companyID": 7, "title": "Backup failed", "status": 1, "priority": 2,
                   "queueID": 29682833, "externalID": "abc"})
        );
        let full = TicketCreate {
            issue_type: Some(10),
            sub_issue_type: Some(101),
            ticket_type: Some(1),
            source: Some(4),
            contract_id: Some(3),
            due_date_time: crate::datetime::parse("2024-05-01T10:00:00Z"),
            assigned: Some(AssignedResource {
                resource_id: 29682885,
                role_id: 29683461,
            }),
            ..TicketCreate::new(7, "x", 1, 2).with_description("d")
        };
        assert_eq!(
            serde_json::to_value(&full).expect("json"),
            json!({"companyID": 7, "title": "x", "description": "d", "status": 1, "priority": 2,
                   "issueType": 10, "subIssueType": 101, "ticketType": 1, "source": 4,
                   "contractID": 3, "dueDateTime": "2024-05-01T10:00:00Z",
                   "assignedResourceID": 29682885, "assignedResourceRoleID": 29683461})
        );
    }

    #[test]
    fn texts_are_cut_and_markers_refused() {
        let long = TicketCreate::new(1, "t".repeat(300), 1, 1).with_description("😀".repeat(5000));
        let body = long.to_body().expect("cut, not refused");
        assert_eq!(utf16_len(&body.title), limits::TICKET_TITLE);
        assert!(body.title.ends_with('…'));
        let d = body.description.expect("description");
        assert!(
            utf16_len(&d) <= limits::TICKET_DESCRIPTION,
            "emoji count twice"
        );
        assert!(d.starts_with('😀'));
        let marker = TicketCreate::new(1, "t", 1, 1).with_external_id("x".repeat(51));
        assert!(
            marker
                .to_body()
                .expect_err("too long")
                .contains("externalID")
        );
        assert!(TicketCreate::new(1, " ", 1, 1).to_body().is_err());
        assert_eq!(bounded_text("abc", 3), "abc");
        assert_eq!(bounded_text("abcd", 3), "ab…");
    }

    #[test]
    fn external_ids_fit_and_stay_stable() {
        assert_eq!(external_id_for("short/key"), "short/key");
        let key = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10/4B1C2D3E-0001-4F5A-9B6C-7D8E9F0A1B01";
        let id = external_id_for(key);
        assert_eq!(utf16_len(&id), 50);
        assert!(id.starts_with("3f2a7c10-5b1e-4d2~"));
        assert_eq!(id, external_id_for(key), "stable");
        assert_eq!(
            id,
            external_id_for(&key.to_lowercase()),
            "case-blind like Autotask"
        );
        let other = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10/4B1C2D3E-0001-4F5A-9B6C-7D8E9F0A1B02";
        assert_ne!(id, external_id_for(other));
        assert_eq!(
            id,
            "3f2a7c10-5b1e-4d2~".to_string()
                + &format!("{:032x}", fnv1a_128(key.to_lowercase().as_bytes()))
        );
        // The well-known FNV-1a 128 test vector.
        assert_eq!(fnv1a_128(b""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
        let wide = "é".repeat(60);
        assert!(utf16_len(&external_id_for(&wide)) <= 50);
    }

    #[test]
    fn note_bodies_repeat_the_ticket_and_cut_texts() {
        let note = TicketNoteCreate {
            title: Some("n".repeat(300)),
            description: "Alert cleared".into(),
            note_type: 1,
            publish: 2,
        };
        let body = note.to_body(42).expect("valid");
        assert_eq!(body["ticketID"], 42);
        assert_eq!(body["noteType"], 1);
        assert_eq!(
            body["title"].as_str().map(utf16_len),
            Some(limits::NOTE_TITLE)
        );
        let empty = TicketNoteCreate {
            description: "".into(),
            ..note
        };
        assert!(empty.to_body(42).is_err());
    }
}
