//! The "Acronis PAYG" contract UDF: created when missing, as the vendor's integration
//! does. Runs in sweeps until it is known to exist, then never costs a request again.

use super::JOB;
use crate::audit::Audit;
use crate::{Context, JobError, JobSummary};
use autotask::AutotaskClient;
use autotask::models::UserDefinedFieldDefinition;
use bridge_core::contracts::PAYG_UDF;
use serde_json::json;

const DEFINITIONS: &str = "UserDefinedFieldDefinitions";

/// Whether the UDF exists now (`false` in a dry run that would create it).
pub async fn ensure_payg_udf(
    ctx: &Context,
    autotask: &AutotaskClient,
    dry_run: bool,
    summary: &mut JobSummary,
) -> Result<bool, JobError> {
    let defined = autotask.udf_fields("Contracts").await?;
    if defined
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(PAYG_UDF))
    {
        return Ok(true);
    }
    // The picklist codes differ between databases (only Ticket = 7 is documented), so
    // they are read, never assumed.
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
    let definition = UserDefinedFieldDefinition {
        name: Some(PAYG_UDF.to_owned()),
        description: Some(
            "Yes: the contract is billed pay-as-you-go from Acronis usage; No or empty: prepaid"
                .to_owned(),
        ),
        udf_type: Some(code("udfType", "Contract")?),
        // Text rather than a list: list UDFs take list-item ids, and "Yes"/"No" read the
        // same in any case as text.
        data_type: Some(code("dataType", "Text")?),
        is_active: Some(true),
        ..UserDefinedFieldDefinition::default()
    };
    summary.planned += 1;
    summary.plan_line(format!("create the contract UDF {PAYG_UDF:?} (Text)"));
    if dry_run {
        return Ok(false);
    }
    let id = autotask.create(DEFINITIONS, &definition).await?;
    summary.applied += 1;
    tracing::info!(udf_id = id, "created the {PAYG_UDF:?} contract UDF");
    Audit {
        actor: JOB,
        kind: "udf.created",
        subject: format!("udf:{id}"),
        before: None,
        after: Some(json!({"name": PAYG_UDF, "entity": "Contracts", "id": id})),
        reason: Some("the integration needs the UDF to tell PAYG from prepaid contracts".into()),
    }
    .write(ctx)
    .await?;
    Ok(true)
}
