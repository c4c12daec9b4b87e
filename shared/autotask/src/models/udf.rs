//! User-defined fields: values on records and their definitions.

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
