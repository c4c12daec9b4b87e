//! Non-entity answers: zone, threshold, field metadata with picklists.

use serde::{Deserialize, Deserializer, Serialize};

/// Where a user's database lives (`zoneInformation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneInfo {
    /// e.g. "America West 2".
    #[serde(default)]
    pub zone_name: Option<String>,
    /// REST base with a trailing slash, e.g. `https://webservices15.autotask.net/ATServicesRest/`.
    pub url: String,
    #[serde(default)]
    pub web_url: Option<String>,
    /// Database identifier.
    #[serde(default)]
    pub ci: Option<i64>,
}

impl ZoneInfo {
    /// The versioned API root every entity path is appended to.
    pub fn api_base(&self) -> String {
        let base = self.url.trim_end_matches('/');
        format!("{base}/V1.0/")
    }
}

/// The hourly request budget (`ThresholdInformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdInfo {
    /// Requests allowed per timeframe (10,000 per hour per database).
    pub external_request_threshold: i64,
    /// Timeframe in minutes.
    pub request_threshold_timeframe: i64,
    /// Requests counted so far in the current timeframe (all integrations).
    pub current_timeframe_request_count: i64,
}

impl ThresholdInfo {
    /// Used fraction of the budget, 0.0..; 0 when the threshold is unknown.
    pub fn used_fraction(&self) -> f64 {
        if self.external_request_threshold <= 0 {
            return 0.0;
        }
        self.current_timeframe_request_count as f64 / self.external_request_threshold as f64
    }
}

/// One field of an entity (`entityInformation/fields`), or a UDF
/// (`entityInformation/userDefinedFields`, which adds label/type/description/default).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldInfo {
    pub name: String,
    /// Lower-case type name: `integer`, `string`, `long`, `double`, `boolean`, `datetime`…
    pub data_type: Option<String>,
    pub length: Option<i64>,
    pub is_required: Option<bool>,
    pub is_read_only: Option<bool>,
    pub is_queryable: Option<bool>,
    pub is_reference: Option<bool>,
    pub reference_entity_type: Option<String>,
    pub is_pick_list: Option<bool>,
    /// `null` for non-picklists.
    pub picklist_values: Option<Vec<PicklistValue>>,
    /// Field whose value the picklist depends on (e.g. subIssueType → issueType).
    pub picklist_parent_value_field: Option<String>,
    pub is_supported_webhook_field: Option<bool>,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub udf_type: Option<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub default_value: Option<String>,
}

impl FieldInfo {
    /// Active picklist values (inactive ones stay in metadata but cannot be set).
    pub fn active_picklist(&self) -> impl Iterator<Item = &PicklistValue> {
        self.picklist_values
            .iter()
            .flatten()
            .filter(|v| v.is_active != Some(false))
    }

    /// Whether this is a picklist: an integer picklist field, or a list UDF whose values
    /// are its items' export values.
    pub fn is_list(&self) -> bool {
        self.is_pick_list == Some(true)
    }

    /// The label of a stored picklist value (exact match first, then without regard to
    /// case), inactive values included: a record may still hold a value deactivated
    /// since it was set.
    pub fn picklist_label(&self, value: &str) -> Option<&str> {
        let values = || self.picklist_values.iter().flatten();
        values()
            .find(|v| v.value == value)
            .or_else(|| values().find(|v| v.value.eq_ignore_ascii_case(value)))
            .and_then(|v| v.label.as_deref())
    }

    /// The picklist code for a label (case-insensitive), active values only.
    pub fn picklist_code(&self, label: &str) -> Option<&str> {
        self.active_picklist()
            .find(|v| {
                v.label
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(label))
            })
            .map(|v| v.value.as_str())
    }
}

/// One picklist entry. `value` is a string even though records carry integers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PicklistValue {
    #[serde(deserialize_with = "required_lenient_string")]
    pub value: String,
    pub label: Option<String>,
    pub is_default_value: Option<bool>,
    pub sort_order: Option<i64>,
    #[serde(deserialize_with = "lenient_string")]
    pub parent_value: Option<String>,
    pub is_active: Option<bool>,
    pub is_system: Option<bool>,
}

impl PicklistValue {
    /// The code as the integer entity fields carry.
    pub fn code(&self) -> Option<i64> {
        self.value.trim().parse().ok()
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

fn required_lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_string(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_udf_reads_as_a_picklist_of_its_items() {
        // The shape of a list UDF in `entityInformation/userDefinedFields`.
        let field: FieldInfo = serde_json::from_value(json!({
            "name": "Acronis PAYG", "label": "Acronis PAYG", "type": "string",
            "dataType": "string", "length": 1024, "isRequired": false, "isReadOnly": false,
            "isQueryable": true, "isReference": false, "referenceEntityType": "",
            "isPickList": true, "picklistParentValueField": "", "defaultValue": null,
            "picklistValues": [
                {"value": "1", "label": "Yes", "isDefaultValue": false, "sortOrder": 0,
                 "isActive": true, "isSystem": false},
                {"value": "0", "label": "No", "isDefaultValue": false, "sortOrder": 1,
                 "isActive": false, "isSystem": false}
            ]
        }))
        .expect("field info");
        assert!(field.is_list());
        assert_eq!(field.picklist_label("1"), Some("Yes"));
        assert_eq!(field.picklist_label("0"), Some("No"), "inactive values too");
        assert_eq!(field.picklist_label("2"), None);
        let text: FieldInfo = serde_json::from_value(
            json!({"name": "Notes", "isPickList": false, "picklistValues": null}),
        )
        .expect("text udf");
        assert!(!text.is_list());
        assert_eq!(text.picklist_label("1"), None);
    }
}
