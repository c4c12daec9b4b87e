//! `entityInformation`, `entityInformation/fields` (with picklists) and
//! `entityInformation/userDefinedFields` (reference 3.5).

use super::picklists::{self, PicklistValue};
use super::schema::{Entity, Kind, udf_data_type};
use super::state::State;
use serde_json::{Value, json};

/// `{"info": {...}}`: what the entity supports, counting writes through parent URLs.
pub fn info(entity: &Entity) -> Value {
    let via_parent = |f: fn(&super::schema::ChildRoute) -> bool| entity.write_routes().any(f);
    let can_create = entity.ops.create || via_parent(|r| r.create);
    let can_update = entity.ops.update || via_parent(|r| r.update);
    let can_delete = entity.ops.delete || via_parent(|r| r.delete);
    let access = |ok: bool| if ok { "All" } else { "None" };
    json!({"info": {
        "name": entity.name,
        "canCreate": can_create,
        "canDelete": can_delete,
        "canQuery": entity.ops.query,
        "canUpdate": can_update,
        "userAccessForCreate": access(can_create),
        "userAccessForDelete": access(can_delete),
        "userAccessForQuery": access(entity.ops.query),
        "userAccessForUpdate": access(can_update),
        "hasUserDefinedFields": entity.has_udfs(),
        "supportsWebhookCallouts": entity.webhooks,
    }})
}

/// `{"fields": [...]}` with every field's metadata and picklist values (strings).
pub fn fields(state: &State, entity: &Entity) -> Value {
    let lists = state.picklists.get(entity.name);
    let fields: Vec<Value> = entity
        .fields
        .iter()
        .map(|f| {
            let list = lists.and_then(|l| l.get(f.name));
            json!({
                "name": f.name,
                "dataType": if f.name == "id" { "long" } else { f.kind.data_type() },
                // Strings without a known length (most: unconfirmed) report 255.
                "length": match (f.kind, f.max_len) {
                    (Kind::Str, Some(max)) => max,
                    (Kind::Str, None) => 255,
                    _ => 0,
                },
                "isRequired": f.required,
                "isReadOnly": f.read_only,
                "isQueryable": f.queryable,
                "isReference": f.reference.is_some(),
                "referenceEntityType": f.reference.unwrap_or(""),
                "isPickList": list.is_some(),
                "picklistValues": list,
                "picklistParentValueField": picklists::parent_field(entity.name, f.name).unwrap_or(""),
                "isSupportedWebhookField": entity.webhooks,
            })
        })
        .collect();
    json!({ "fields": fields })
}

/// `{"fields": [...]}` describing the entity's active UDFs. A list UDF is a picklist
/// whose values are its items: `value` = `valueForExport` (what an entity stores),
/// `label` = `valueForDisplay`, inactive items included with `isActive: false`.
pub fn udf_fields(state: &State, entity: &Entity) -> Value {
    let defs: Vec<Value> = state
        .store
        .rows("UserDefinedFieldDefinitions")
        .filter(|(_, d)| {
            entity.udf_type.is_some() && d.get("udfType").and_then(Value::as_i64) == entity.udf_type
        })
        .filter(|(_, d)| d.get("isActive") != Some(&Value::Bool(false)))
        .map(|(id, d)| {
            let data_type = d
                .get("dataType")
                .and_then(Value::as_i64)
                .unwrap_or(udf_data_type::TEXT);
            let type_name = match data_type {
                udf_data_type::NUMBER => "decimal",
                udf_data_type::DATE => "datetime",
                _ => "string",
            };
            let picklist = (data_type == udf_data_type::LIST)
                .then(|| list_values(state, *id, d.get("defaultValue")));
            json!({
                "name": d.get("name"),
                "label": d.get("name"),
                "type": type_name,
                "dataType": type_name,
                "length": 1024,
                "description": d.get("description").cloned().unwrap_or(Value::Null),
                "defaultValue": d.get("defaultValue").cloned().unwrap_or(Value::Null),
                "isRequired": d.get("isRequired").cloned().unwrap_or(json!(false)),
                "isReadOnly": false,
                "isQueryable": true,
                "isReference": false,
                "referenceEntityType": "",
                "isPickList": picklist.is_some(),
                "picklistValues": picklist,
                "picklistParentValueField": "",
                "isSupportedWebhookField": entity.webhooks,
            })
        })
        .collect();
    json!({ "fields": defs })
}

/// A list UDF's items as picklist values, in id order.
fn list_values(state: &State, udf_id: i64, default: Option<&Value>) -> Vec<PicklistValue> {
    let default = default.and_then(Value::as_str);
    state
        .store
        .list_items(udf_id)
        .into_iter()
        .enumerate()
        .map(|(i, item)| PicklistValue {
            is_default_value: default == Some(item.value.as_str()),
            sort_order: i64::try_from(i).unwrap_or_default(),
            parent_value: String::new(),
            is_active: item.active,
            is_system: false,
            value: item.value,
            label: item.label,
        })
        .collect()
}
