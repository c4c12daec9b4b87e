//! Picklists: tenant-specific code lists behind integer fields (ticket status, queue,
//! contract type …). Defaults are realistic; a seed may replace any field's list.
//! Codes other than those the reference confirms (contractType 7, companyType 1-4,
//! ticket status 1 New / 5 Complete) are this simulator's choice — clients must read
//! them from `entityInformation/fields`, as against a real tenant.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One picklist entry as `entityInformation/fields` shows it (`value` is a string).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PicklistValue {
    pub value: String,
    pub label: String,
    #[serde(default)]
    pub is_default_value: bool,
    #[serde(default)]
    pub sort_order: i64,
    /// For dependent picklists (sub-issue type → issue type): the parent's value.
    #[serde(default)]
    pub parent_value: String,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default = "yes")]
    pub is_system: bool,
}

fn yes() -> bool {
    true
}

/// Entity → field → values.
pub type Picklists = BTreeMap<String, BTreeMap<String, Vec<PicklistValue>>>;

/// The field whose value a dependent picklist's `parentValue` refers to.
pub fn parent_field(entity: &str, field: &str) -> Option<&'static str> {
    (entity == "Tickets" && field == "subIssueType").then_some("issueType")
}

/// The defaults, overlaid with `overrides` (a seed replaces whole fields' lists).
pub fn with_overrides(overrides: &Picklists) -> Picklists {
    let mut lists = defaults();
    for (entity, fields) in overrides {
        let slot = lists.entry(entity.clone()).or_default();
        for (field, values) in fields {
            slot.insert(field.clone(), values.clone());
        }
    }
    lists
}

fn values(items: &[(i64, &str)]) -> Vec<PicklistValue> {
    items
        .iter()
        .enumerate()
        .map(|(i, (value, label))| PicklistValue {
            value: value.to_string(),
            label: (*label).to_string(),
            is_default_value: false,
            sort_order: i64::try_from(i).unwrap_or_default(),
            parent_value: String::new(),
            is_active: true,
            is_system: true,
        })
        .collect()
}

fn with_default(mut list: Vec<PicklistValue>, value: &str) -> Vec<PicklistValue> {
    for v in &mut list {
        v.is_default_value = v.value == value;
    }
    list
}

fn sub_issues(items: &[(i64, &str, i64)]) -> Vec<PicklistValue> {
    let mut list = values(&items.iter().map(|(v, l, _)| (*v, *l)).collect::<Vec<_>>());
    for (entry, (_, _, parent)) in list.iter_mut().zip(items) {
        entry.parent_value = parent.to_string();
    }
    list
}

/// Realistic defaults for every picklist field the simulated entities have.
pub fn defaults() -> Picklists {
    let period = values(&[
        (1, "Monthly"),
        (2, "Quarterly"),
        (3, "Semi-Annual"),
        (4, "Yearly"),
    ]);
    let yes_no = values(&[(0, "No"), (1, "Yes")]);
    let mut lists = Picklists::new();
    let mut put = |entity: &str, field: &str, list: Vec<PicklistValue>| {
        lists
            .entry(entity.to_string())
            .or_default()
            .insert(field.to_string(), list);
    };
    put(
        "Companies",
        "companyType",
        values(&[
            (1, "Customer"),
            (2, "Lead"),
            (3, "Prospect"),
            (4, "Dead"),
            (6, "Cancellation"),
            (7, "Vendor"),
            (8, "Partner"),
        ]),
    );
    put(
        "Contracts",
        "contractType",
        values(&[
            (1, "Time & Materials"),
            (3, "Fixed Price"),
            (4, "Block Hours"),
            (6, "Retainer"),
            (7, "Recurring Service"),
            (8, "Per Ticket"),
        ]),
    );
    put(
        "Contracts",
        "status",
        values(&[(0, "Inactive"), (1, "Active")]),
    );
    put(
        "Contracts",
        "contractPeriodType",
        with_default(period.clone(), "1"),
    );
    put(
        "Contracts",
        "billingPreference",
        with_default(
            values(&[(1, "Manual"), (2, "Reconcile"), (3, "Timesheet Approval")]),
            "2",
        ),
    );
    put(
        "Contracts",
        "timeReportingRequiresStartAndStopTimes",
        yes_no,
    );
    put(
        "Contracts",
        "contractCategory",
        values(&[
            (1, "Standard"),
            (2, "Managed Services"),
            (3, "Backup & Recovery"),
        ]),
    );
    put("Services", "periodType", period.clone());
    put("ServiceBundles", "periodType", period);
    let use_type = values(&[
        (1, "Work Type"),
        (2, "Material"),
        (3, "Internal Time"),
        (4, "Expense Category"),
        (5, "Recurring Contract Service"),
        (6, "Milestone"),
    ]);
    put("BillingCodes", "useType", use_type.clone());
    put("BillingCodes", "billingCodeType", use_type);
    put(
        "UserDefinedFieldDefinitions",
        "udfType",
        values(&[
            (1, "Company"),
            (2, "Contact"),
            (3, "Configuration Item"),
            (4, "Opportunity"),
            (5, "Product"),
            (6, "Project"),
            (7, "Ticket"),
            (8, "Task"),
            (9, "Sales Order"),
            (10, "Contract"),
            (11, "Site Configuration"),
        ]),
    );
    put(
        "UserDefinedFieldDefinitions",
        "dataType",
        values(&[(1, "Text"), (2, "Number"), (3, "Date"), (4, "List")]),
    );
    put(
        "Tickets",
        "status",
        with_default(
            values(&[
                (1, "New"),
                (5, "Complete"),
                (7, "Waiting Customer"),
                (8, "In Progress"),
                (9, "Waiting Materials"),
                (13, "Re-Opened"),
            ]),
            "1",
        ),
    );
    put(
        "Tickets",
        "priority",
        with_default(
            values(&[(4, "Critical"), (1, "High"), (2, "Medium"), (3, "Low")]),
            "2",
        ),
    );
    put(
        "Tickets",
        "queueID",
        values(&[
            (29682833, "Monitoring Alert"),
            (29682969, "Level I Support"),
            (29683354, "Level II Support"),
            (29683481, "Client Portal"),
        ]),
    );
    put(
        "Tickets",
        "issueType",
        values(&[(10, "Backup"), (11, "Security"), (12, "Storage")]),
    );
    put(
        "Tickets",
        "subIssueType",
        sub_issues(&[
            (101, "Backup failed", 10),
            (102, "Backup missed", 10),
            (103, "Recovery", 10),
            (111, "Malware detected", 11),
            (112, "Protection agent offline", 11),
            (121, "Quota exceeded", 12),
        ]),
    );
    put(
        "Tickets",
        "source",
        values(&[
            (1, "Other"),
            (2, "Phone"),
            (4, "Email"),
            (8, "Monitoring Alert"),
            (11, "Client Portal"),
        ]),
    );
    put(
        "Tickets",
        "ticketType",
        with_default(
            values(&[
                (1, "Service Request"),
                (2, "Incident"),
                (3, "Problem"),
                (4, "Change Request"),
                (5, "Alert"),
            ]),
            "1",
        ),
    );
    put(
        "Tickets",
        "ticketCategory",
        values(&[(2, "Standard"), (3, "Alert"), (4, "RMA")]),
    );
    put(
        "TicketNotes",
        "noteType",
        values(&[
            (1, "Task Detail"),
            (2, "Task Notes"),
            (3, "Task Summary"),
            (13, "Internal Notes"),
        ]),
    );
    put(
        "TicketNotes",
        "publish",
        values(&[
            (1, "All Autotask Users"),
            (2, "Internal Only"),
            (3, "Internal & Co-Managed"),
        ]),
    );
    lists
}
