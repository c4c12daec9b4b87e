//! The "Acronis PAYG" contract UDF: a Yes/No list, created when missing as the vendor's
//! integration does, and what the values contracts hold for it mean.
//!
//! Sweeps check the UDF until it is known to be complete, then never spend a request on
//! it again, unless the database's list stores values other than "Yes"/"No" (see
//! [`resolve_payg_values`]).

use super::JOB;
use super::cursor::PollCursor;
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use autotask::models::{UserDefinedFieldDefinition, UserDefinedFieldListItem};
use autotask::{AutotaskClient, FieldInfo, Filter, Query};
use bridge_core::contracts::{Contract, PAYG_UDF, parse_payg};
use serde_json::json;
use std::collections::BTreeMap;

const DEFINITIONS: &str = "UserDefinedFieldDefinitions";
/// The entity whose UDF it is, as `entityInformation` names it.
const CONTRACTS: &str = "Contracts";
/// The items of the list, display and export value alike.
const ITEMS: [&str; 2] = ["Yes", "No"];

/// What a check of the UDF found.
#[derive(Debug, Default)]
pub struct PaygUdf {
    /// The UDF exists and, as a list, holds a Yes and a No item (`false` in a dry run
    /// that would create or complete it).
    pub ready: bool,
    /// List values that are not "Yes"/"No" themselves, mapped to their Yes/No label.
    pub labels: BTreeMap<String, String>,
}

/// Creates the UDF as a list with the items Yes and No when it is missing, and adds the
/// items a list lacks (a run killed between the calls). A text UDF of that name (made
/// by hand, say) is left as it is: its "Yes"/"No" text reads the same.
pub async fn ensure_payg_udf(
    ctx: &Context,
    autotask: &AutotaskClient,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<PaygUdf, JobError> {
    let defined = autotask.udf_fields(CONTRACTS).await?;
    let Some(field) = payg_field(&defined) else {
        return create(ctx, autotask, dry_run, summary).await;
    };
    let labels = labels(field);
    if !field.is_list() {
        return Ok(PaygUdf {
            ready: true,
            labels,
        });
    }
    let missing: Vec<&str> = ITEMS
        .into_iter()
        .filter(|word| !has_item(field, word))
        .collect();
    if missing.is_empty() {
        return Ok(PaygUdf {
            ready: true,
            labels,
        });
    }
    let codes = Codes::read(autotask).await?;
    let id = definition_id(autotask, codes.contract).await?;
    summary.planned += missing.len() as u64;
    summary.plan_line(format!(
        "add the item(s) {} to the contract UDF {PAYG_UDF:?} (udf:{id})",
        quoted(&missing)
    ));
    if dry_run {
        return Ok(PaygUdf {
            ready: false,
            labels,
        });
    }
    let items = add_items(autotask, id, &missing, summary).await?;
    tracing::info!(udf_id = id, "completed the {PAYG_UDF:?} contract UDF");
    Audit {
        actor: JOB,
        kind: "udf.completed",
        subject: format!("udf:{id}"),
        before: Some(
            json!({"name": PAYG_UDF, "entity": CONTRACTS, "id": id, "dataType": "List",
            "items": field.picklist_values.iter().flatten()
                .map(|v| json!({"valueForDisplay": v.label, "valueForExport": v.value}))
                .collect::<Vec<_>>()}),
        ),
        after: Some(
            json!({"name": PAYG_UDF, "entity": CONTRACTS, "id": id, "dataType": "List",
            "itemsAdded": items}),
        ),
        reason: Some("the list UDF lacked the Yes/No items that tell PAYG from prepaid".into()),
    }
    .write(ctx)
    .await?;
    Ok(PaygUdf {
        ready: true,
        labels,
    })
}

/// A new UDF: the definition, then its items, then one audit entry for all of it.
async fn create(
    ctx: &Context,
    autotask: &AutotaskClient,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<PaygUdf, JobError> {
    let codes = Codes::read(autotask).await?;
    let definition = UserDefinedFieldDefinition {
        name: Some(PAYG_UDF.to_owned()),
        description: Some(
            "Yes: the contract is billed pay-as-you-go from Acronis usage; No or empty: prepaid"
                .to_owned(),
        ),
        udf_type: Some(codes.contract),
        data_type: Some(codes.list),
        is_active: Some(true),
        ..UserDefinedFieldDefinition::default()
    };
    summary.planned += 1 + ITEMS.len() as u64;
    summary.plan_line(format!(
        "create the contract UDF {PAYG_UDF:?} (List) with the items {}",
        quoted(&ITEMS)
    ));
    if dry_run {
        return Ok(PaygUdf::default());
    }
    let id = autotask.create(DEFINITIONS, &definition).await?;
    summary.applied += 1;
    let items = add_items(autotask, id, &ITEMS, summary).await?;
    tracing::info!(udf_id = id, "created the {PAYG_UDF:?} contract UDF");
    Audit {
        actor: JOB,
        kind: "udf.created",
        subject: format!("udf:{id}"),
        before: None,
        after: Some(
            json!({"name": PAYG_UDF, "entity": CONTRACTS, "id": id, "dataType": "List",
            "items": items}),
        ),
        reason: Some("the integration needs the UDF to tell PAYG from prepaid contracts".into()),
    }
    .write(ctx)
    .await?;
    Ok(PaygUdf {
        ready: true,
        labels: BTreeMap::new(),
    })
}

/// Creates one item per word (display and export value alike); what was created, for
/// the audit.
async fn add_items(
    autotask: &AutotaskClient,
    udf_id: i64,
    words: &[&str],
    summary: &mut JobSummary,
) -> Result<Vec<serde_json::Value>, JobError> {
    let mut created = Vec::new();
    for word in words {
        let item = UserDefinedFieldListItem::new(udf_id, *word, *word);
        let id = autotask
            .create_child("UserDefinedFields", udf_id, "ListItems", &item)
            .await?;
        summary.applied += 1;
        created.push(json!({"id": id, "valueForDisplay": word, "valueForExport": word}));
    }
    Ok(created)
}

/// The picklist codes a definition needs. They differ between databases (only Ticket = 7
/// is documented), so they are read, never assumed.
struct Codes {
    /// `udfType` "Contract".
    contract: i64,
    /// `dataType` "List".
    list: i64,
}

impl Codes {
    async fn read(autotask: &AutotaskClient) -> Result<Codes, JobError> {
        let fields = autotask.entity_fields(DEFINITIONS).await?;
        let code = |field: &str, label: &str| {
            fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(field))
                .and_then(|f| f.picklist_code(label))
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    JobError::Invalid(format!(
                        "{DEFINITIONS}.{field} has no active picklist value {label:?}; cannot create the {PAYG_UDF:?} UDF"
                    ))
                })
        };
        Ok(Codes {
            contract: code("udfType", "Contract")?,
            list: code("dataType", "List")?,
        })
    }
}

/// The id of the contract UDF's definition (the field info does not carry it).
async fn definition_id(autotask: &AutotaskClient, contract: i64) -> Result<i64, JobError> {
    let query = Query::new(Filter::eq("name", PAYG_UDF))
        .and(Filter::eq("udfType", contract))
        .include_fields(["id", "name", "udfType"]);
    let found: Vec<UserDefinedFieldDefinition> = autotask.query(&query).await?;
    found.first().map(|d| d.id).ok_or_else(|| {
        JobError::Invalid(format!(
            "Contracts/entityInformation/userDefinedFields lists {PAYG_UDF:?} but {DEFINITIONS} has no such contract UDF"
        ))
    })
}

fn payg_field(fields: &[FieldInfo]) -> Option<&FieldInfo> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(PAYG_UDF))
}

/// Whether the list has an item meaning `word`, by label or value, active or not (an
/// item deactivated by hand is not created again: its value stays taken).
fn has_item(field: &FieldInfo, word: &str) -> bool {
    field.picklist_values.iter().flatten().any(|v| {
        v.value.trim().eq_ignore_ascii_case(word)
            || v.label
                .as_deref()
                .is_some_and(|l| l.trim().eq_ignore_ascii_case(word))
    })
}

/// The list values that need translating: not Yes/No (or blank) themselves, with a Yes
/// or No label. Empty for a text UDF or a list whose values are Yes/No.
fn labels(field: &FieldInfo) -> BTreeMap<String, String> {
    if !field.is_list() {
        return BTreeMap::new();
    }
    field
        .picklist_values
        .iter()
        .flatten()
        .filter(|v| parse_payg(Some(&v.value)).is_err())
        .filter_map(|v| {
            let label = v.label.as_deref()?.trim();
            ITEMS
                .iter()
                .any(|w| label.eq_ignore_ascii_case(w))
                .then(|| (v.value.trim().to_owned(), label.to_owned()))
        })
        .collect()
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("{w:?}"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Turns the contracts' "Acronis PAYG" values into Yes/No where the UDF is a list whose
/// stored (export) values are something else, e.g. "1"/"0" labelled Yes/No.
///
/// Reading the field info costs a request, so it is not read per poll: a value that
/// already reads as Yes, No or blank (a text UDF, or a list exported as Yes/No: the
/// common case) is taken as it is and costs nothing. Other values are looked up in the
/// translations the cursor remembers ([`PollCursor::payg_labels`]); only a value not
/// found there makes the run read `Contracts/entityInformation/userDefinedFields`, at
/// most once (`fresh`: this run has read it already), and remember what it says. Sweeps
/// refresh a non-empty memory, so a relabelled item is picked up overnight. A value that
/// still reads as neither Yes nor No is left as it is and reported as invalid.
pub async fn resolve_payg_values(
    autotask: &AutotaskClient,
    cursor: &mut PollCursor,
    fresh: bool,
    contracts: &mut [Contract],
) -> Result<(), JobError> {
    let untranslated = |value: &str, labels: &BTreeMap<String, String>| {
        parse_payg(Some(value)).is_err() && !labels.contains_key(value.trim())
    };
    let unknown = contracts
        .iter()
        .filter_map(|c| c.acronis_payg.as_deref())
        .any(|v| untranslated(v, &cursor.payg_labels));
    if unknown && !fresh {
        let defined = autotask.udf_fields(CONTRACTS).await?;
        cursor.payg_labels = payg_field(&defined).map(labels).unwrap_or_default();
    }
    for contract in contracts {
        let label = contract
            .acronis_payg
            .as_deref()
            .filter(|v| parse_payg(Some(v)).is_err())
            .and_then(|v| cursor.payg_labels.get(v.trim()));
        if let Some(label) = label {
            contract.acronis_payg = Some(label.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: serde_json::Value) -> FieldInfo {
        serde_json::from_value(json!({
            "name": PAYG_UDF, "isPickList": true, "picklistValues": values
        }))
        .expect("field")
    }

    #[test]
    fn labels_translate_only_values_that_are_not_yes_or_no() {
        let exported = list(json!([
            {"value": "1", "label": "Yes"}, {"value": "0", "label": " no ", "isActive": false},
            {"value": "2", "label": "Maybe"}
        ]));
        assert_eq!(
            labels(&exported),
            BTreeMap::from([("0".into(), "no".into()), ("1".into(), "Yes".into())])
        );
        assert!(has_item(&exported, "Yes") && has_item(&exported, "No"));
        let plain = list(json!([{"value": "Yes", "label": "Yes"}, {"value": "No", "label": "No"}]));
        assert!(labels(&plain).is_empty());
        let half = list(json!([{"value": "Yes", "label": "Yes"}]));
        assert!(has_item(&half, "yes") && !has_item(&half, "No"));
        let text: FieldInfo =
            serde_json::from_value(json!({"name": PAYG_UDF, "isPickList": false})).expect("text");
        assert!(labels(&text).is_empty());
    }
}
