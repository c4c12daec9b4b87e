//! Settings: defaults, every validation rule, unknown fields, round trips and the guide's
//! examples of options.

use super::*;
use crate::mapping::{MappedTarget, PublicCloudVendor, ServiceRef, StorageRow};
use serde_json::json;

/// Parses `doc` and returns the fields with problems (empty when it is valid).
fn problem_fields(doc: serde_json::Value) -> Vec<String> {
    match Settings::parse(&doc.to_string()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.problems().iter().map(|p| p.field.clone()).collect(),
    }
}

fn problems(doc: serde_json::Value) -> Vec<(String, String)> {
    match Settings::parse(&doc.to_string()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_problems()
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect(),
    }
}

#[test]
fn defaults_are_the_guides() {
    let s = Settings::default();
    // Stated by the guide.
    assert_eq!(s.provisioning.provision_as, PricingMode::Production);
    assert!(!s.deprovisioning.set_quotas_to_zero);
    assert!(!s.deprovisioning.disable_customer);
    assert_eq!(s.deprovisioning.disable_after_days, 10);
    assert!(!s.deprovisioning.delete_customer);
    assert_eq!(s.deprovisioning.delete_after_days, 30);
    assert_eq!(
        s.usage_reporting.period,
        ReportingPeriod::CustomBillingMonth
    );
    assert_eq!(s.usage_reporting.billing_month_start_day, 1);
    // Stated by the design.
    assert_eq!(s.tickets.reopen_window_days, 1);
    assert!(s.tickets.reopen_window_enabled);
    assert_eq!(s.usage_reporting.rounding, UnitRounding::Up);
    // Not stated: off, so a fresh deployment changes nothing.
    assert!(!s.features.billing && !s.features.two_way_sync && !s.features.ticket_creation);
    assert!(!s.provisioning.automatically_create_customers);
    assert!(!s.provisioning.two_factor_authentication);
    assert_eq!(
        s.provisioning.create_accounts_based_on,
        AccountBasis::CompanyPrimaryContact
    );
    assert!(!s.tickets.auto_close);
    assert!(s.service_mappings.is_empty() && s.alert_mappings.is_empty());
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn saved_settings_without_the_guard_read_with_its_default() {
    let parsed = Settings::parse(
        r#"{"deprovisioning": {"set_quotas_to_zero": true, "disable_customer": false,
            "disable_after_days": 10, "delete_customer": false, "delete_after_days": 30}}"#,
    )
    .expect("valid");
    assert_eq!(
        parsed.deprovisioning.hold_above,
        crate::provisioning::HoldThreshold {
            companies: 5,
            percent: 10
        }
    );
    let parsed =
        Settings::parse(r#"{"deprovisioning": {"hold_above": {"percent": 20}}}"#).expect("valid");
    assert_eq!(parsed.deprovisioning.hold_above.companies, 5);
    assert_eq!(parsed.deprovisioning.hold_above.percent, 20);
    assert!(Settings::parse(r#"{"deprovisioning": {"hold_above": {"share": 20}}}"#).is_err());
}

#[test]
fn an_empty_document_and_missing_fields_take_the_defaults() {
    assert_eq!(Settings::parse("{}"), Ok(Settings::default()));
    let parsed =
        Settings::parse(r#"{"deprovisioning": {"disable_customer": true}}"#).expect("valid");
    assert!(parsed.deprovisioning.disable_customer);
    assert_eq!(
        parsed.deprovisioning.disable_after_days, 10,
        "when on, default 10"
    );
    let parsed = Settings::parse(
        r#"{"alert_mappings": [{"alert_type": "BackupFailed", "priority": 2, "status": 1}]}"#,
    )
    .expect("valid");
    assert!(parsed.alert_mappings[0].enabled, "a listed alert row is on");
}

#[test]
fn each_rule_reports_its_field() {
    // (case, document, fields expected to have a problem — exactly these)
    let cases: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "company-name accounts need an activation email",
            json!({"provisioning": {"create_accounts_based_on": "company_name"}}),
            vec!["provisioning.activation_email"],
        ),
        (
            "activation email must be well-formed",
            json!({"provisioning": {"create_accounts_based_on": "company_name", "activation_email": "ops at msp"}}),
            vec!["provisioning.activation_email"],
        ),
        (
            "a set activation email is checked in either mode",
            json!({"provisioning": {"activation_email": "ops@msp"}}),
            vec!["provisioning.activation_email"],
        ),
        (
            "default storage must not be blank",
            json!({"provisioning": {"default_storage": " "}}),
            vec!["provisioning.default_storage"],
        ),
        (
            "an activation email carries no markup",
            json!({"provisioning": {"activation_email": "a@b.co<script>alert(1)</script>"}}),
            vec!["provisioning.activation_email"],
        ),
        (
            "an activation email is at most 254 characters",
            json!({"provisioning": {"activation_email": format!("{}@msp.example", "a".repeat(250))}}),
            vec!["provisioning.activation_email"],
        ),
        (
            "a default storage is shaped as an infra id",
            json!({"provisioning": {"default_storage": "eu 1/<x>"}}),
            vec!["provisioning.default_storage"],
        ),
        (
            "an infra id is at most 64 characters",
            json!({"storage_mappings": [{"infra_id": "x".repeat(65)}]}),
            vec!["storage_mappings[0].infra_id"],
        ),
        (
            "a location is a plain label",
            json!({"storage_mappings": [{"infra_id": "s1", "location": "XYZ\u{1b}[31m"}]}),
            vec!["storage_mappings[0].location"],
        ),
        (
            "a location is at most 100 characters",
            json!({"storage_mappings": [{"infra_id": "s1", "location": "L".repeat(101)}]}),
            vec!["storage_mappings[0].location"],
        ),
        (
            "an alert type is shaped as an id",
            json!({"alert_mappings": [{"alert_type": "Backup Failed<b>", "enabled": false}]}),
            vec!["alert_mappings[0].alert_type"],
        ),
        (
            "a new service's name is a plain label",
            json!({"public_cloud_mappings": {"microsoft_azure": {"create": "Azure\u{0}"}}}),
            vec!["public_cloud_mappings.microsoft_azure.create"],
        ),
        (
            "two-way sync needs billing, allocation code and period type",
            json!({"features": {"two_way_sync": true}}),
            vec![
                "features.two_way_sync",
                "features.allocation_code",
                "features.period_type",
            ],
        ),
        (
            "allocation code is a positive id",
            json!({"features": {"billing": true, "two_way_sync": true, "allocation_code": 0, "period_type": "monthly"}}),
            vec!["features.allocation_code"],
        ),
        (
            "deprovisioning day counts are bounded",
            json!({"deprovisioning": {"disable_after_days": 0, "delete_after_days": 3651}}),
            vec![
                "deprovisioning.disable_after_days",
                "deprovisioning.delete_after_days",
            ],
        ),
        (
            "the blast-radius guard's share is a percentage",
            json!({"deprovisioning": {"hold_above": {"companies": 100001, "percent": 101}}}),
            vec![
                "deprovisioning.hold_above.companies",
                "deprovisioning.hold_above.percent",
            ],
        ),
        (
            "delete before disable is refused when both are on",
            json!({"deprovisioning": {"disable_customer": true, "disable_after_days": 20,
                                      "delete_customer": true, "delete_after_days": 15}}),
            vec!["deprovisioning.delete_after_days"],
        ),
        (
            "custom billing day is 1-28",
            json!({"usage_reporting": {"billing_month_start_day": 29}}),
            vec!["usage_reporting.billing_month_start_day"],
        ),
        (
            "billing day 0 is out of range too",
            json!({"usage_reporting": {"billing_month_start_day": 0}}),
            vec!["usage_reporting.billing_month_start_day"],
        ),
        (
            "re-open window is 0-365",
            json!({"tickets": {"reopen_window_days": 366}}),
            vec!["tickets.reopen_window_days"],
        ),
        (
            "auto-close needs a status",
            json!({"tickets": {"auto_close": true}}),
            vec!["tickets.auto_close_status"],
        ),
        (
            "ticket creation needs note type and publish",
            json!({"features": {"ticket_creation": true}}),
            vec!["tickets.note_type", "tickets.note_publish"],
        ),
        (
            "ticket picklist ids are positive",
            json!({"tickets": {"source": -4, "note_type": 0, "note_publish": 1, "auto_close_status": 0}}),
            vec![
                "tickets.auto_close_status",
                "tickets.source",
                "tickets.note_type",
            ],
        ),
        (
            "intervals are bounded per job",
            json!({"schedules": {"contract_polling_minutes": 0, "quota_push_sweep_minutes": 4,
                                 "usage_reporting_minutes": 1441, "alert_ingestion_minutes": 61}}),
            vec![
                "schedules.contract_polling_minutes",
                "schedules.quota_push_sweep_minutes",
                "schedules.usage_reporting_minutes",
                "schedules.alert_ingestion_minutes",
            ],
        ),
        (
            "unknown and missing offering items",
            json!({"service_mappings": [
                {"offering_item": "pw_base_workstations", "service": {"id": 1}},
                {"offering_item": "", "service": {"id": 2}},
                {"offering_item": "pw_base_servers", "service": {"id": 3}},
                {"offering_item": "pw_base_foo", "service": {"id": 4}}]}),
            vec![
                "service_mappings[1].offering_item",
                "service_mappings[3].offering_item",
            ],
        ),
        (
            "storage is mapped under storage_mappings, workloads under service_mappings",
            json!({"service_mappings": [{"offering_item": "pw_base_storage", "infra_id": "s1", "service": {"id": 1}}],
                   "storage_mappings": [{"offering_item": "pw_base_servers", "infra_id": "s1"}]}),
            vec![
                "service_mappings[0].offering_item",
                "storage_mappings[0].offering_item",
            ],
        ),
        (
            "duplicate (item, infra) rows, aliases included",
            json!({"service_mappings": [
                {"offering_item": "pw_base_o365_seats", "service": {"id": 1}},
                {"offering_item": "pw_base_m365_seats", "service": {"id": 2}},
                {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr1", "service": {"id": 3}},
                {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr2", "service": {"id": 4}},
                {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr1", "service": {"id": 5}}]}),
            vec![
                "service_mappings[1].offering_item",
                "service_mappings[4].offering_item",
            ],
        ),
        (
            "infra id only on storage-bound items, never blank",
            json!({"service_mappings": [
                {"offering_item": "pw_base_servers", "infra_id": "s1"},
                {"offering_item": "pw_base_adv_dr_cloud_servers", "infra_id": ""}]}),
            vec![
                "service_mappings[0].infra_id",
                "service_mappings[1].infra_id",
            ],
        ),
        (
            "Free and included features only where the guide offers them",
            json!({"service_mappings": [
                {"offering_item": "pw_base_o365_shared_seats", "free": true},
                {"offering_item": "pw_base_mobiles", "included_features": {"id": 9}},
                {"offering_item": "pw_base_workstations", "free": true, "included_features": {"id": 8}}]}),
            vec![
                "service_mappings[0].free",
                "service_mappings[1].included_features",
            ],
        ),
        (
            "service ids positive, created names non-blank and short",
            json!({"service_mappings": [
                {"offering_item": "pw_base_servers", "service": {"id": -1}},
                {"offering_item": "pw_base_vms", "service": {"create": "  "}},
                {"offering_item": "pw_base_mobiles", "service": {"create": "x".repeat(101)}}]}),
            vec![
                "service_mappings[0].service.id",
                "service_mappings[1].service.create",
                "service_mappings[2].service.create",
            ],
        ),
        (
            "one Autotask service is mapped once, across every kind of row",
            json!({"service_mappings": [
                    {"offering_item": "pw_base_servers", "service": {"id": 7}},
                    {"offering_item": "pw_base_vms", "service": {"create": "Acronis VMs"},
                     "included_features": {"id": 7}}],
                   "storage_mappings": [{"infra_id": "s1", "quota_and_total": {"id": 8},
                                         "class2_billed": {"create": "acronis vms "}}],
                   "public_cloud_mappings": {"amazon_s3": {"id": 8}}}),
            vec![
                "service_mappings[1].included_features",
                "storage_mappings[0].class2_billed",
                "public_cloud_mappings.amazon_s3",
            ],
        ),
        (
            "storage rows need an infra id and are unique per storage",
            json!({"storage_mappings": [
                {"infra_id": "", "quota_and_total": {"id": 1}},
                {"infra_id": "s1", "quota_and_total": {"id": 2}},
                {"infra_id": "s1", "class1_free": {"id": 3}},
                {"offering_item": "pw_base_nope", "infra_id": "s2"}]}),
            vec![
                "storage_mappings[0].infra_id",
                "storage_mappings[2].infra_id",
                "storage_mappings[3].offering_item",
            ],
        ),
        (
            "alert types not empty, not duplicated",
            json!({"alert_mappings": [
                {"alert_type": "BackupFailed", "priority": 1, "status": 1},
                {"alert_type": " ", "enabled": false},
                {"alert_type": "BackupFailed", "enabled": false}]}),
            vec![
                "alert_mappings[1].alert_type",
                "alert_mappings[2].alert_type",
            ],
        ),
        (
            "enabled alerts need priority and status; sub-issue needs issue; ids positive",
            json!({"alert_mappings": [
                {"alert_type": "NoBackupForXDays", "sub_issue_type": 4, "queue": 0},
                {"alert_type": "BackupFailed", "enabled": false, "ticket_type": -1}]}),
            vec![
                "alert_mappings[0].priority",
                "alert_mappings[0].status",
                "alert_mappings[0].sub_issue_type",
                "alert_mappings[0].queue",
                "alert_mappings[1].ticket_type",
            ],
        ),
    ];
    for (case, doc, expected) in cases {
        let mut fields = problem_fields(doc);
        fields.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(fields, expected, "{case}");
    }
}

#[test]
fn boundary_values_are_accepted() {
    let cases = [
        json!({"deprovisioning": {"disable_customer": true, "disable_after_days": 1,
                                  "delete_customer": true, "delete_after_days": 1}}),
        json!({"deprovisioning": {"disable_after_days": 3650, "delete_after_days": 3650}}),
        // Delete before disable is fine while disabling is off: the job disables first.
        json!({"deprovisioning": {"disable_after_days": 40, "delete_customer": true, "delete_after_days": 5}}),
        json!({"usage_reporting": {"billing_month_start_day": 28, "period": "previous_calendar_month"}}),
        json!({"tickets": {"reopen_window_days": 0}}),
        json!({"tickets": {"reopen_window_days": 365}}),
        json!({"schedules": {"contract_polling_minutes": 60, "quota_push_sweep_minutes": 5,
                             "usage_reporting_minutes": 15, "alert_ingestion_minutes": 1}}),
        json!({"provisioning": {"create_accounts_based_on": "company_name",
                                "activation_email": "billing+acronis@msp.example.com"}}),
        json!({"service_mappings": [{"offering_item": "pw_base_vms", "service": {"create": "x".repeat(100)}}]}),
        // A row with only the Free flag: the guide's "service not selected".
        json!({"service_mappings": [{"offering_item": "pw_base_o365_mailboxes", "free": true}]}),
        // The same item on two storages, and a generic row beside a specific one.
        json!({"service_mappings": [
            {"offering_item": "pw_base_adv_dr_storage", "service": {"id": 1}},
            {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr1", "service": {"id": 2}}]}),
    ];
    for doc in cases {
        assert_eq!(problems(doc.clone()), Vec::new(), "{doc}");
    }
}

#[test]
fn every_unknown_field_is_reported_with_its_path() {
    let doc = json!({
        "featurez": {},
        "features": {"billing": true, "biling": true},
        "deprovisioning": {"disable_after_dayz": 4},
        "service_mappings": [
            {"offering_item": "pw_base_servers", "service": {"id": 3}},
            {"offering_item": "pw_base_vms", "servise": {"id": 4}, "colour": "red"}
        ],
        "storage_mappings": [{"infra_id": "s1", "class_3": {"id": 5}}],
        "public_cloud_mappings": {"amazon_s3": {"id": 6}, "google_cloud": {"id": 7}},
        "alert_mappings": [{"alert_type": "BackupFailed", "priority": 1, "status": 1, "severity": "x"}]
    });
    let problems = problems(doc);
    let mut fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "alert_mappings[0].severity",
            "deprovisioning.disable_after_dayz",
            "features.biling",
            "featurez",
            "public_cloud_mappings.google_cloud",
            "service_mappings[1].colour",
            "service_mappings[1].servise",
            "storage_mappings[0].class_3",
        ]
    );
    assert!(
        problems
            .iter()
            .all(|(_, message)| message.starts_with("unknown field"))
    );
}

#[test]
fn a_free_flag_on_a_public_cloud_vendor_is_an_unknown_field() {
    // Guide: "Free provisioning option is not required for the product mapping".
    let fields = problem_fields(
        json!({"public_cloud_mappings": {"microsoft_azure": {"id": 1}, "free": true}}),
    );
    assert_eq!(fields, ["public_cloud_mappings.free"]);
}

#[test]
fn malformed_values_unknown_fields_and_rules_are_reported_together_without_noise() {
    let doc = json!({
        "features": {"billing": "yes"},
        "provisioning": {"create_accounts_based_on": "company_name", "activation_email": 42},
        "deprovisioning": {"disable_after_days": -3, "delete_after_days": 0},
        "usage_reporting": {"period": "weekly", "rounding": "down"},
        "tickets": {"mystery": 1},
        "service_mappings": [
            5,
            {"offering_item": "pw_base_foo"},
            {"offering_item": "pw_base_vms", "service": {"id": "seven"}},
            {"offering_item": "pw_base_servers", "service": {"name": "x"}}
        ]
    });
    let problems = problems(doc);
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    let mut sorted = fields.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "deprovisioning.delete_after_days",  // rule: out of range
            "deprovisioning.disable_after_days", // malformed: negative
            "features.billing",                  // malformed: not a bool
            "provisioning.activation_email",     // malformed: not a string (rule not repeated)
            "service_mappings[0]",               // malformed: not an object
            "service_mappings[1].offering_item", // rule: unknown item
            "service_mappings[2].service.id",    // malformed id (enum not repeated)
            "service_mappings[3].service",       // unknown variant `name`
            "tickets.mystery",                   // unknown field
            "usage_reporting.period",            // unknown variant
            "usage_reporting.rounding",          // unknown variant
        ],
        "{problems:#?}"
    );
    let message = |field: &str| &problems.iter().find(|(f, _)| f == field).expect(field).1;
    assert!(message("usage_reporting.period").contains("weekly"));
    assert!(
        message("service_mappings[1].offering_item")
            .contains("unknown offering item \"pw_base_foo\"")
    );
    assert!(message("deprovisioning.delete_after_days").contains("must be 1..=3650"));
}

#[test]
fn documents_that_are_not_settings_give_one_clear_problem() {
    for (doc, fragment) in [
        ("[1, 2]", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("{\"features\": ", "not valid JSON"),
        ("", "not valid JSON"),
    ] {
        let errors = Settings::parse(doc).expect_err(doc);
        assert_eq!(errors.problems().len(), 1, "{doc}: {errors}");
        assert!(errors.to_string().contains(fragment), "{doc}: {errors}");
    }
}

#[test]
fn errors_print_one_line_per_problem_and_serialize_for_the_api() {
    let errors = Settings::parse(
        r#"{"deprovisioning": {"disable_after_days": 0}, "service_mappings": [{}, {}, {}, {"offering_item": "pw_base_foo"}]}"#,
    )
    .expect_err("invalid");
    let text = errors.to_string();
    assert!(
        text.lines()
            .any(|l| l.starts_with("deprovisioning.disable_after_days: must be 1..=3650")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l
                == r#"service_mappings[3].offering_item: unknown offering item "pw_base_foo""#),
        "{text}"
    );
    assert_eq!(text.lines().count(), errors.problems().len());
    let body = serde_json::to_value(&errors).expect("serializes");
    assert_eq!(
        body["errors"][0]["field"],
        "deprovisioning.disable_after_days"
    );
    assert!(body["errors"][0]["message"].is_string());
}

/// The guide's settings screenshot ("Autotask integration settings"), completed with the
/// values its text makes mandatory once those switches are on.
fn guide_screenshot() -> Settings {
    Settings::parse(
        &json!({
            "features": {"billing": true, "two_way_sync": true, "allocation_code": 29682801,
                         "period_type": "monthly", "ticket_creation": true},
            "provisioning": {"create_accounts_based_on": "company_primary_contact",
                             "automatically_create_customers": true,
                             "two_factor_authentication": false},
            "deprovisioning": {"set_quotas_to_zero": true, "disable_customer": false,
                               "delete_customer": false},
            "tickets": {"note_type": 1, "note_publish": 1}
        })
        .to_string(),
    )
    .expect("the guide's example is valid")
}

#[test]
fn the_guides_settings_screenshot_parses() {
    let s = guide_screenshot();
    assert!(s.features.billing && s.features.two_way_sync && s.features.ticket_creation);
    assert_eq!(
        s.features.period_type.map(PeriodType::label),
        Some("Monthly")
    );
    assert!(s.provisioning.automatically_create_customers);
    assert!(s.deprovisioning.set_quotas_to_zero);
}

/// Scenario 2 of "Reporting storage usage" (location XYZ-1), plus scenario 3's vendors.
fn guide_storage_example() -> Settings {
    Settings::parse(
        &json!({
            "features": {"billing": true},
            "service_mappings": [
                {"offering_item": "pw_base_workstations", "service": {"id": 101},
                 "included_features": {"id": 102}},
                {"offering_item": "pw_base_o365_seats", "service": {"id": 103}, "free": false},
                {"offering_item": "pw_base_o365_mailboxes", "free": true},
                {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr-1", "service": {"id": 104}}
            ],
            "storage_mappings": [{
                "infra_id": "019097a6-114f-4418-bd54-e01ef049f209", "location": "XYZ-1",
                "quota_and_total": {"create": "Acronis pw base storage XYZ-1"},
                "geo_redundancy": {"id": 201},
                "class1_free": {"id": 202},
                "class2_billed": {"id": 203},
                "geo_redundancy_billed": {"id": 204}
            }],
            "public_cloud_mappings": {"microsoft_azure": {"id": 301}, "amazon_s3": {"id": 302},
                                      "s3_compatible": {"id": 303}}
        })
        .to_string(),
    )
    .expect("the guide's storage example is valid")
}

#[test]
fn the_guides_storage_scenarios_parse_and_enable_the_storage() {
    let s = guide_storage_example();
    let storage = &s.storage_mappings[0];
    assert_eq!(
        storage.offering_item, "pw_base_storage",
        "the default storage item"
    );
    assert!(storage.is_enabled());
    assert_eq!(storage.rows().count(), 5);
    // Scenario 1 only reports class 2: still enabled; no rows at all: disabled.
    let class2_only = crate::mapping::StorageMapping {
        class2_billed: Some(ServiceRef::Id(1)),
        ..Default::default()
    };
    assert!(class2_only.is_enabled());
    assert!(!crate::mapping::StorageMapping::default().is_enabled());
}

#[test]
fn usage_reporting_options_of_the_guide() {
    let cases = [
        (json!({}), ReportingPeriod::CustomBillingMonth, 1),
        (
            json!({"period": "current_calendar_month"}),
            ReportingPeriod::CurrentCalendarMonth,
            1,
        ),
        (
            json!({"period": "previous_calendar_month"}),
            ReportingPeriod::PreviousCalendarMonth,
            1,
        ),
        (
            json!({"period": "custom_billing_month", "billing_month_start_day": 15}),
            ReportingPeriod::CustomBillingMonth,
            15,
        ),
    ];
    for (usage, period, day) in cases {
        let s = Settings::parse(&json!({"usage_reporting": usage}).to_string()).expect("valid");
        assert_eq!(
            (
                s.usage_reporting.period,
                s.usage_reporting.billing_month_start_day
            ),
            (period, day)
        );
    }
}

#[test]
fn full_settings_round_trip_through_json() {
    let mut s = guide_storage_example();
    let screenshot = guide_screenshot();
    s.features = screenshot.features;
    s.tickets = Tickets {
        reopen_window_days: 3,
        auto_close: true,
        auto_close_status: Some(5),
        source: Some(8),
        ..screenshot.tickets
    };
    s.provisioning = Provisioning {
        create_accounts_based_on: AccountBasis::CompanyName,
        activation_email: Some("ops@msp.example".into()),
        provision_as: PricingMode::Trial,
        default_storage: Some("019097a6-114f-4418-bd54-e01ef049f209".into()),
        ..screenshot.provisioning
    };
    s.usage_reporting.rounding = UnitRounding::Nearest;
    s.schedules.quota_push_sweep_minutes = 30;
    s.alert_mappings.push(crate::mapping::AlertMapping {
        alert_type: "BackupFailed".into(),
        priority: Some(1),
        status: Some(1),
        queue: Some(29683354),
        issue_type: Some(7),
        sub_issue_type: Some(211),
        ticket_type: Some(1),
        ..Default::default()
    });
    assert_eq!(s.validate(), Ok(()));
    let text = serde_json::to_string_pretty(&s).expect("serializes");
    assert_eq!(Settings::parse(&text), Ok(s.clone()));
    // Every struct denies unknown fields for plain serde readers too (e.g. the store).
    let strict: Result<Settings, _> =
        serde_json::from_str(&text.replacen("\"billing\"", "\"billling\"", 1));
    assert!(strict.is_err());
    assert_eq!(
        serde_json::from_str::<Settings>(&text).expect("plain serde reads it"),
        s
    );
}

#[test]
fn services_lead_back_to_what_they_map() {
    let s = guide_storage_example();
    let cases = [
        (
            101,
            Some(MappedTarget::Item {
                offering_item: "pw_base_workstations",
                infra_id: None,
                included_features: false,
            }),
        ),
        (
            102,
            Some(MappedTarget::Item {
                offering_item: "pw_base_workstations",
                infra_id: None,
                included_features: true,
            }),
        ),
        (
            104,
            Some(MappedTarget::Item {
                offering_item: "pw_base_adv_dr_storage",
                infra_id: Some("dr-1"),
                included_features: false,
            }),
        ),
        (
            203,
            Some(MappedTarget::Storage {
                offering_item: "pw_base_storage",
                infra_id: "019097a6-114f-4418-bd54-e01ef049f209",
                row: StorageRow::Class2Billed,
            }),
        ),
        (
            302,
            Some(MappedTarget::PublicCloud(PublicCloudVendor::AmazonS3)),
        ),
        (999, None),
    ];
    for (service, expected) in cases {
        assert_eq!(s.target_of_service(service), expected, "service {service}");
    }
}

#[test]
fn mapping_lookup_honours_aliases_and_storages() {
    let s = Settings::parse(
        &json!({"service_mappings": [
            {"offering_item": "pw_base_m365_seats", "service": {"id": 1}},
            {"offering_item": "pw_base_adv_dr_storage", "service": {"id": 2}},
            {"offering_item": "pw_base_adv_dr_storage", "infra_id": "dr-2", "service": {"id": 3}}],
            "storage_mappings": [{"infra_id": "s1", "quota_and_total": {"id": 4}}]})
        .to_string(),
    )
    .expect("valid");
    let service = |item: &str, infra: Option<&str>| {
        s.service_mapping(item, infra)
            .and_then(|row| row.service.as_ref())
            .and_then(ServiceRef::id)
    };
    assert_eq!(service("pw_base_o365_seats", None), Some(1));
    assert_eq!(service("pw_base_adv_dr_storage", Some("dr-1")), Some(2));
    assert_eq!(service("pw_base_adv_dr_storage", Some("dr-2")), Some(3));
    assert_eq!(service("pw_base_servers", None), None);
    assert!(s.storage_mapping("pw_base_storage", "s1").is_some());
    assert!(s.storage_mapping("pw_base_storage", "s2").is_none());
    assert!(s.storage_mapping("pw_base_nope", "s1").is_none());
}

#[test]
fn reopening_follows_the_window() {
    // (window on, days, closed for hours, re-opens)
    let cases = [
        (true, 1, 1, true),
        (true, 1, 24, true),
        (true, 1, 25, false),
        (true, 0, 0, true),
        (true, 0, 1, false),
        (true, 7, 24 * 7 + 1, false),
        (false, 1, 24 * 400, true),
    ];
    for (enabled, days, hours, reopens) in cases {
        let tickets = Tickets {
            reopen_window_enabled: enabled,
            reopen_window_days: days,
            ..Tickets::default()
        };
        assert_eq!(
            tickets.reopens_ticket_closed_for(TimeDelta::hours(hours)),
            reopens,
            "{enabled} {days} {hours}"
        );
    }
}
