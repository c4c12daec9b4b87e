//! Typed records of the entities the bridge reads and writes.
//!
//! Every field but `id` is optional (restricted security levels and `IncludeFields`
//! return partial records), unknown fields are ignored (the API adds fields between
//! releases), JSON names are the API's exact camelCase (`companyID`, not `companyId`),
//! and datetimes are read with or without `Z`. The same structs serve as PATCH bodies:
//! `None` fields and a zero `id` are left out when serialising.

mod catalog;
mod companies;
mod contracts;
mod metadata;
mod tickets;
mod udf;

pub use catalog::{BillingCode, Service, ServiceBundle, ServiceBundleService};
pub use companies::{Company, Contact};
pub use contracts::{
    Contract, ContractService, ContractServiceAdjustment, ContractServiceBundle,
    ContractServiceBundleAdjustment, ContractServiceBundleUnit, ContractServiceUnit,
};
pub use metadata::{FieldInfo, PicklistValue, ThresholdInfo, ZoneInfo};
pub use tickets::{
    AssignedResource, Ticket, TicketCreate, TicketNote, TicketNoteCreate, bounded_text,
    external_id_for, limits, utf16_len,
};
pub use udf::{UserDefinedField, UserDefinedFieldDefinition, UserDefinedFieldListItem};

use serde::de::DeserializeOwned;

/// A model with its REST entity name, so `client.query::<Company>(q)` knows the path.
pub trait Entity: DeserializeOwned + Send + 'static {
    /// The collection name in URLs (`Companies`, `ContractServiceUnits`, …).
    const NAME: &'static str;
}

pub(crate) fn is_zero(id: &i64) -> bool {
    *id == 0
}

/// Declares a model: `id` plus optional fields with their exact JSON names, and, with
/// `udfs`, the `userDefinedFields` array and a `udf(name)` accessor.
macro_rules! model {
    (
        $(#[$meta:meta])*
        $name:ident = $entity:literal $(+ $udfs:ident)? {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $json:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            #[serde(skip_serializing_if = "crate::models::is_zero")]
            pub id: i64,
            $(
                $(#[$fmeta])*
                #[serde(rename = $json, default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            $(
                /// Every defined UDF of the entity (unset ones with a null value); may be
                /// absent when no returned record has one.
                #[serde(
                    rename = "userDefinedFields",
                    default,
                    skip_serializing_if = "Vec::is_empty"
                )]
                pub $udfs: Vec<crate::models::UserDefinedField>,
            )?
        }

        impl crate::models::Entity for $name {
            const NAME: &'static str = $entity;
        }

        $(
            impl $name {
                /// The value of the UDF with this display name (case-insensitive, as the
                /// API treats field names); `None` when absent or unset.
                pub fn udf(&self, name: &str) -> Option<&str> {
                    crate::models::udf::find(&self.$udfs, name)
                }
            }
        )?
    };
}
pub(crate) use model;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_decode_leniently_and_encode_as_patch_bodies() {
        let c: Contract = serde_json::from_value(json!({
            "id": 7,
            "companyID": 3,
            "contractName": "Acronis",
            "startDate": "2024-01-01T00:00:00Z",
            "endDate": "2025-12-31T00:00:00",
            "lastModifiedDateTime": "2024-03-17T10:32:29.52Z",
            "someFieldFromANewerRelease": {"x": 1},
            "userDefinedFields": [{"name": "Acronis PAYG", "value": "Yes"}, {"name": "Other", "value": null}]
        }))
        .expect("contract");
        assert_eq!(c.company_id, Some(3));
        assert_eq!(
            c.end_date.map(|d| d.to_rfc3339()),
            Some("2025-12-31T00:00:00+00:00".into())
        );
        assert_eq!(c.udf("Acronis PAYG"), Some("Yes"));
        assert_eq!(c.udf("Other"), None);

        let bare: Company = serde_json::from_value(json!({"id": 1})).expect("only id");
        assert_eq!(bare.company_name, None);
        assert!(bare.user_defined_fields.is_empty());
        assert!(
            serde_json::from_value::<Company>(json!({"companyName": "x"})).is_err(),
            "id is required"
        );

        let contact: Contact =
            serde_json::from_value(json!({"id": 2, "isActive": 0})).expect("contact");
        assert_eq!(contact.active(), Some(false));

        let patch = Ticket {
            id: 9,
            status: Some(5),
            ..Ticket::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).expect("json"),
            json!({"id": 9, "status": 5})
        );
        let create = ContractServiceAdjustment {
            contract_id: Some(1),
            unit_change: Some(-2),
            effective_date: crate::datetime::parse("2024-05-01"),
            ..ContractServiceAdjustment::default()
        };
        assert_eq!(
            serde_json::to_value(&create).expect("json"),
            json!({"contractID": 1, "unitChange": -2, "effectiveDate": "2024-05-01T00:00:00Z"})
        );
    }

    #[test]
    fn entity_names_are_the_collection_paths() {
        assert_eq!(Company::NAME, "Companies");
        assert_eq!(
            ContractServiceBundleAdjustment::NAME,
            "ContractServiceBundleAdjustments"
        );
        assert_eq!(
            UserDefinedFieldDefinition::NAME,
            "UserDefinedFieldDefinitions"
        );
        assert_eq!(TicketNote::NAME, "TicketNotes");
        assert_eq!(
            UserDefinedFieldListItem::NAME,
            crate::child_entity("UserDefinedFields", "ListItems")
        );
    }
}
