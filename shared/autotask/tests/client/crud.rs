//! Reads and writes on root and child collections, UDFs, adjustments, metadata.

use crate::support::*;
use autotask::models::*;
use autotask::{Entity, Filter, Query, UserDefinedField};
use chrono::{NaiveTime, Utc};
use simulators::autotask::PAYG_UDF;

#[tokio::test]
async fn get_returns_the_record_or_none() {
    let sim = sim(10).await;
    let client = client(&sim);
    let c: Company = client.get("Companies", 5).await.unwrap().unwrap();
    assert_eq!(c.id, 5);
    assert_eq!(c.company_name.as_deref(), Some("Company 00005"));
    assert_eq!(c.is_active, Some(true));
    assert!(c.last_tracked_modified_date_time.is_some());
    let missing: Option<Company> = client.get("Companies", 999_999).await.unwrap();
    assert!(missing.is_none());
    assert_eq!(logged(&sim, "Companies", "get"), 2);
    assert_eq!(
        logged(&sim, "zoneInformation", "get"),
        1,
        "a missing record is not a zone move"
    );
}

#[tokio::test]
async fn a_verb_the_route_does_not_serve_reports_autotasks_message() {
    let sim = sim(3).await;
    let client = client(&sim);
    // Contacts are written through their company; the flat route has no PATCH.
    let err = client
        .update("Contacts", &serde_json::json!({"id": 1, "title": "CTO"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, autotask::AutotaskError::Api { status: 405, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Autotask answered HTTP 405: The requested resource does not support http method 'PATCH'."
    );
    let err = client
        .create("BillingCodes", &serde_json::json!({"name": "x"}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not support http method 'POST'"),
        "{err}"
    );
    assert_eq!(logged_status(&sim, 405), 2, "neither is retried");
    assert_eq!(
        logged(&sim, "zoneInformation", "get"),
        1,
        "a 405 is not a zone move"
    );
}

#[tokio::test]
async fn every_model_decodes_what_the_api_returns() {
    let sim = sim(8).await;
    let client = client(&sim);
    async fn all<T: Entity>(client: &autotask::AutotaskClient) -> Vec<T> {
        client.query::<T>(&Query::all()).await.unwrap()
    }
    assert_eq!(all::<Company>(&client).await.len(), 9);
    assert_eq!(all::<Contact>(&client).await.len(), 8);
    let contracts = all::<Contract>(&client).await;
    assert_eq!(contracts.len(), 8);
    assert!(
        contracts
            .iter()
            .all(|c| c.start_date.is_some() && c.contract_type == Some(7))
    );
    assert_eq!(
        contracts[3].udf(PAYG_UDF),
        Some("Yes"),
        "contract 4 is PAYG"
    );
    assert_eq!(
        contracts[0].udf("acronis payg"),
        Some("No"),
        "names are case-insensitive"
    );
    assert!(!all::<ContractService>(&client).await.is_empty());
    assert!(!all::<ContractServiceUnit>(&client).await.is_empty());
    all::<ContractServiceBundle>(&client).await;
    all::<ContractServiceBundleUnit>(&client).await;
    assert_eq!(
        all::<Service>(&client).await.len(),
        simulators::autotask::CATALOGUE.len()
    );
    assert_eq!(all::<ServiceBundle>(&client).await.len(), 1);
    assert_eq!(all::<ServiceBundleService>(&client).await.len(), 2);
    let codes = all::<BillingCode>(&client).await;
    assert!(
        codes
            .iter()
            .any(|b| b.name.as_deref() == Some("Recurring Contract Service"))
    );
    let udfs = all::<UserDefinedFieldDefinition>(&client).await;
    assert!(udfs.iter().any(|u| u.name.as_deref() == Some(PAYG_UDF)));
    all::<Ticket>(&client).await;
    all::<TicketNote>(&client).await;
}

#[tokio::test]
async fn contract_udf_is_written_and_read_back() {
    let sim = sim(5).await;
    let client = client(&sim);
    let before: Contract = client.get("Contracts", 2).await.unwrap().unwrap();
    assert_eq!(before.udf(PAYG_UDF), Some("No"));
    let patch = Contract {
        id: 2,
        user_defined_fields: vec![UserDefinedField::new(PAYG_UDF, "Yes")],
        ..Contract::default()
    };
    assert_eq!(client.update("Contracts", &patch).await.unwrap(), 2);
    let after: Contract = client.get("Contracts", 2).await.unwrap().unwrap();
    assert_eq!(after.udf(PAYG_UDF), Some("Yes"));
    assert_eq!(
        after.contract_name, before.contract_name,
        "PATCH left other fields alone"
    );
    let payg: Vec<Contract> = client
        .query(&Query::new(Filter::eq(PAYG_UDF, "Yes").udf()))
        .await
        .unwrap();
    assert!(payg.iter().any(|c| c.id == 2));
    assert!(payg.iter().any(|c| c.id == 4));
}

#[tokio::test]
async fn contacts_are_written_through_their_company() {
    let sim = sim(5).await;
    let client = client(&sim);
    let new = Contact {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        email_address: Some("ada@company00003.example".into()),
        is_active: Some(1),
        ..Contact::default()
    };
    let id = client
        .create_child("Companies", 3, "Contacts", &new)
        .await
        .unwrap();
    let listed: Vec<Contact> = client.list_child("Companies", 3, "Contacts").await.unwrap();
    assert_eq!(listed.len(), 2);
    let ada = listed.iter().find(|c| c.id == id).unwrap();
    assert_eq!(ada.full_name(), "Ada Lovelace");
    assert_eq!(ada.company_id, Some(3));

    let change = Contact {
        id,
        title: Some("Countess".into()),
        ..Contact::default()
    };
    client
        .update_child("Companies", 3, "Contacts", &change)
        .await
        .unwrap();
    let read: Contact = client.get("Contacts", id).await.unwrap().unwrap();
    assert_eq!(read.title.as_deref(), Some("Countess"));
    assert_eq!(read.first_name.as_deref(), Some("Ada"));

    client
        .delete_child("Companies", 3, "Contacts", id)
        .await
        .unwrap();
    assert!(
        client
            .get::<Contact>("Contacts", id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(logged(&sim, "Contacts", "create"), 1);
    assert_eq!(logged(&sim, "Contacts", "update"), 1);
    assert_eq!(logged(&sim, "Contacts", "delete"), 1);
}

fn units_today(rows: &[ContractServiceUnit], service_id: i64) -> i64 {
    let now = Utc::now();
    rows.iter()
        .find(|r| r.service_id == Some(service_id) && r.covers(now))
        .and_then(|r| r.units)
        .expect("a unit row covers today")
}

#[tokio::test]
async fn an_adjustment_changes_the_units_covering_its_date() {
    let sim = sim(5).await;
    let client = client(&sim);
    let services: Vec<ContractService> =
        client.list_child("Contracts", 1, "Services").await.unwrap();
    let service_id = services[0].service_id.unwrap();
    let before: Vec<ContractServiceUnit> = client
        .list_child("Contracts", 1, "ServiceUnits")
        .await
        .unwrap();
    let current = units_today(&before, service_id);

    let today = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc();
    let adjustment = ContractServiceAdjustment {
        contract_id: Some(1),
        service_id: Some(service_id),
        unit_change: Some(3),
        effective_date: Some(today),
        ..ContractServiceAdjustment::default()
    };
    let id = client
        .create_child("Contracts", 1, "ServiceAdjustments", &adjustment)
        .await
        .unwrap();
    assert!(id > 0);
    let after: Vec<ContractServiceUnit> = client
        .query(&Query::new(Filter::eq("contractID", 1)).and(Filter::eq("serviceID", service_id)))
        .await
        .unwrap();
    assert_eq!(units_today(&after, service_id), current + 3);
    assert_eq!(logged(&sim, "ContractServiceAdjustments", "create"), 1);
}

#[tokio::test]
async fn tickets_and_notes() {
    let sim = sim(3).await;
    let client = client(&sim);
    let ticket = Ticket {
        company_id: Some(2),
        title: Some("Backup failed on SRV-01".into()),
        description: Some("Acronis alert 42".into()),
        status: Some(1),
        priority: Some(1),
        queue_id: Some(29682833),
        ..Ticket::default()
    };
    let ticket_id = client.create("Tickets", &ticket).await.unwrap();
    let read: Ticket = client.get("Tickets", ticket_id).await.unwrap().unwrap();
    assert_eq!(read.title, ticket.title);
    assert!(read.ticket_number.is_some());
    assert!(read.create_date.is_some());

    let note = TicketNote {
        title: Some("Alert cleared".into()),
        description: Some("The alert was dismissed in Acronis.".into()),
        note_type: Some(1),
        publish: Some(2),
        ..TicketNote::default()
    };
    client
        .create_child("Tickets", ticket_id, "Notes", &note)
        .await
        .unwrap();
    client
        .update(
            "Tickets",
            &Ticket {
                id: ticket_id,
                status: Some(5),
                ..Ticket::default()
            },
        )
        .await
        .unwrap();
    let notes: Vec<TicketNote> = client
        .query(&Query::new(Filter::eq("ticketID", ticket_id)))
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].ticket_id, Some(ticket_id));
    let closed: Ticket = client.get("Tickets", ticket_id).await.unwrap().unwrap();
    assert_eq!(closed.status, Some(5));
}

#[tokio::test]
async fn entity_fields_carry_picklists() {
    let sim = sim(1).await;
    let client = client(&sim);
    let fields = client.entity_fields("Tickets").await.unwrap();
    let priority = fields.iter().find(|f| f.name == "priority").unwrap();
    assert_eq!(priority.is_pick_list, Some(true));
    assert_eq!(priority.picklist_code("high"), Some("1"));
    let status = fields.iter().find(|f| f.name == "status").unwrap();
    let complete = status
        .active_picklist()
        .find(|v| v.label.as_deref() == Some("Complete"));
    assert_eq!(complete.and_then(|v| v.code()), Some(5));
    let title = fields.iter().find(|f| f.name == "title").unwrap();
    assert_eq!(title.is_required, Some(true));
    assert!(title.picklist_values.is_none());

    let udfs = client.udf_fields("Contracts").await.unwrap();
    assert!(udfs.iter().any(|f| f.name == PAYG_UDF), "{udfs:?}");
    assert_eq!(logged(&sim, "Tickets", "fields"), 1);
    assert_eq!(logged(&sim, "Contracts", "userDefinedFields"), 1);
}

#[tokio::test]
async fn list_udf_items_are_created_through_their_udf_and_read_as_a_picklist() {
    let sim = sim(1).await;
    let client = client(&sim);
    let definitions = client
        .entity_fields(UserDefinedFieldDefinition::NAME)
        .await
        .unwrap();
    let code = |field: &str, label: &str| -> i64 {
        definitions
            .iter()
            .find(|f| f.name == field)
            .and_then(|f| f.picklist_code(label))
            .and_then(|c| c.parse().ok())
            .unwrap()
    };
    let udf = client
        .create(
            UserDefinedFieldDefinition::NAME,
            &UserDefinedFieldDefinition {
                name: Some("Acronis Tier".into()),
                udf_type: Some(code("udfType", "Contract")),
                data_type: Some(code("dataType", "List")),
                ..UserDefinedFieldDefinition::default()
            },
        )
        .await
        .unwrap();
    for (display, export) in [("Gold", "1"), ("Silver", "2")] {
        client
            .create_child(
                "UserDefinedFields",
                udf,
                "ListItems",
                &UserDefinedFieldListItem::new(udf, display, export),
            )
            .await
            .unwrap();
    }
    assert_eq!(logged(&sim, "UserDefinedFieldListItems", "create"), 2);
    let items: Vec<UserDefinedFieldListItem> = client
        .list_child("UserDefinedFields", udf, "ListItems")
        .await
        .unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (
                i.value_for_display.as_deref(),
                i.value_for_export.as_deref()
            ))
            .collect::<Vec<_>>(),
        [(Some("Gold"), Some("1")), (Some("Silver"), Some("2"))]
    );
    assert!(items.iter().all(|i| i.udf_field_id == Some(udf)
        && i.is_active == Some(true)
        && i.create_date.is_some()));
    let queried: Vec<UserDefinedFieldListItem> = client
        .query(&Query::new(Filter::eq("udfFieldId", udf)))
        .await
        .unwrap();
    assert_eq!(queried, items);

    let udfs = client.udf_fields("Contracts").await.unwrap();
    let tier = udfs.iter().find(|f| f.name == "Acronis Tier").unwrap();
    assert!(tier.is_list());
    assert_eq!(tier.picklist_label("2"), Some("Silver"));
    let payg = udfs.iter().find(|f| f.name == PAYG_UDF).unwrap();
    assert!(!payg.is_list(), "the generated PAYG UDF is text");

    // A contract stores the export value.
    let patch = Contract {
        id: 1,
        user_defined_fields: vec![UserDefinedField::new("Acronis Tier", "2")],
        ..Contract::default()
    };
    client.update("Contracts", &patch).await.unwrap();
    let read: Contract = client.get("Contracts", 1).await.unwrap().unwrap();
    assert_eq!(read.udf("Acronis Tier"), Some("2"));
    let label = Contract {
        id: 1,
        user_defined_fields: vec![UserDefinedField::new("Acronis Tier", "Gold")],
        ..Contract::default()
    };
    let err = client.update("Contracts", &label).await.unwrap_err();
    assert!(err.to_string().contains("not an active item"), "{err}");
}

#[tokio::test]
async fn bad_write_bodies_are_refused_without_a_request() {
    let sim = sim(1).await;
    let client = client(&sim);
    let no_id = Contract {
        status: Some(0),
        ..Contract::default()
    };
    assert!(client.update("Contracts", &no_id).await.is_err());
    let with_id = Ticket {
        id: 9,
        ..Ticket::default()
    };
    assert!(client.create("Tickets", &with_id).await.is_err());
    assert_eq!(client.requests_made(), 0);
}
