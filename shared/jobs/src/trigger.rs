//! What started a run: a schedule, a change event, or an operator.

use bridge_core::events::{CompanyContractsChanged, DETAIL_TYPE};
use bridge_core::text::quoted;
use serde_json::Value;

/// The longest schedule name read; the template's are single words (`poll`, `sweep`).
pub const MAX_SCHEDULE_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A schedule of the job, by the name the template gives it (`poll`, `sweep`).
    Schedule { name: String },
    /// A "Company contracts changed" event from the contract poller.
    ChangeEvent(CompanyContractsChanged),
    /// Run by hand (local runner, CLI).
    Manual,
}

impl Trigger {
    /// Reads a Lambda payload: the constant input `{"schedule": "<name>"}` the template
    /// gives each schedule, or an EventBridge event whose `detail-type` is
    /// [`DETAIL_TYPE`]. Anything else is refused with what was wrong.
    pub fn from_lambda_payload(payload: &Value) -> Result<Trigger, String> {
        if let Some(name) = payload.get("schedule") {
            return match name.as_str() {
                Some(n)
                    if !n.trim().is_empty()
                        && n.chars().count() <= MAX_SCHEDULE_NAME
                        && !n.chars().any(char::is_control) =>
                {
                    Ok(Trigger::Schedule {
                        name: n.to_string(),
                    })
                }
                _ => Err(format!(
                    "`schedule` must be a non-empty name of at most {MAX_SCHEDULE_NAME} characters, without control characters"
                )),
            };
        }
        match payload.get("detail-type").and_then(Value::as_str) {
            Some(t) if t == DETAIL_TYPE => {
                let detail = payload.get("detail").ok_or("event has no `detail`")?;
                CompanyContractsChanged::from_detail(detail)
                    .map(Trigger::ChangeEvent)
                    .map_err(|e| format!("event detail: {e}"))
            }
            Some(other) => Err(format!("unexpected event detail-type {}", quoted(other))),
            None => Err("payload is neither {\"schedule\": …} nor an EventBridge event".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_schedules_and_refuses_garbage() {
        assert_eq!(
            Trigger::from_lambda_payload(&json!({"schedule": "poll"})),
            Ok(Trigger::Schedule {
                name: "poll".into()
            })
        );
        assert!(Trigger::from_lambda_payload(&json!({"schedule": 3})).is_err());
        assert!(Trigger::from_lambda_payload(&json!({"foo": 1})).is_err());
        assert!(
            Trigger::from_lambda_payload(&json!({"detail-type": "Other", "detail": {}})).is_err()
        );
    }
}
