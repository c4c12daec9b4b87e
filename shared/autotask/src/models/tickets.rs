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
