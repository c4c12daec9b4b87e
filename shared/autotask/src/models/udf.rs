//! User-defined fields: values on records, their definitions and the items of list UDFs.

use super::model;
use serde::{Deserialize, Deserializer, Serialize};

/// One UDF value as read and written: `{"name": "<display name>", "value": "<string or null>"}`.
/// Values are strings even for numbers and dates; a number or bool sent by a
/// non-conforming server is kept as its text rather than failing the whole page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDefinedField {
    pub name: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub value: Option<String>,
}

impl UserDefinedField {
    /// A value to write (PATCH only the UDFs you change).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// Clears the UDF.
    pub fn cleared(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }
}

pub(crate) fn find<'a>(udfs: &'a [UserDefinedField], name: &str) -> Option<&'a str> {
    udfs.iter()
        .find(|u| u.name.eq_ignore_ascii_case(name))
        .and_then(|u| u.value.as_deref())
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

model! {
    /// A UDF definition (`/UserDefinedFieldDefinitions`): created once, never deleted.
    UserDefinedFieldDefinition = "UserDefinedFieldDefinitions" {
        name: String = "name",
        description: String = "description",
        /// Which entity the UDF belongs to (picklist; read the code at runtime).
        udf_type: i64 = "udfType",
        /// Text, number, date, list… (picklist).
        data_type: i64 = "dataType",
        default_value: String = "defaultValue",
        display_format: i64 = "displayFormat",
        is_active: bool = "isActive",
        is_encrypted: bool = "isEncrypted",
        is_field_mapping: bool = "isFieldMapping",
        is_private: bool = "isPrivate",
        is_protected: bool = "isProtected",
        is_required: bool = "isRequired",
        is_visible_to_client_portal: bool = "isVisibleToClientPortal",
        merge_variable_name: String = "mergeVariableName",
        number_of_decimal_places: i64 = "numberOfDecimalPlaces",
        sort_order: i64 = "sortOrder",
        crm_to_project_udf_id: i64 = "crmToProjectUdfId",
        #[serde(with = "crate::datetime::opt")]
        create_date: chrono::DateTime<chrono::Utc> = "createDate",
    }
}

model! {
    /// One item of a list UDF (`/UserDefinedFieldListItems`, written through
    /// `/UserDefinedFields/{udfId}/ListItems`). A record holding the UDF stores the
    /// item's `valueForExport`; `valueForDisplay` is what users see, and what
    /// `entityInformation/userDefinedFields` reports as the picklist label.
    UserDefinedFieldListItem = "UserDefinedFieldListItems" {
        /// The list UDF's definition id.
        udf_field_id: i64 = "udfFieldId",
        /// At most 128 characters, unique within the UDF.
        value_for_display: String = "valueForDisplay",
        /// At most 128 characters, unique within the UDF.
        value_for_export: String = "valueForExport",
        is_active: bool = "isActive",
        #[serde(with = "crate::datetime::opt")]
        create_date: chrono::DateTime<chrono::Utc> = "createDate",
    }
}

impl UserDefinedFieldListItem {
    /// A new active item of the list UDF `udf_id`.
    pub fn new(udf_id: i64, display: impl Into<String>, export: impl Into<String>) -> Self {
        Self {
            udf_field_id: Some(udf_id),
            value_for_display: Some(display.into()),
            value_for_export: Some(export.into()),
            is_active: Some(true),
            ..Self::default()
        }
    }
}
