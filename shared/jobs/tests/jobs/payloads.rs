//! Hostile Lambda payloads: schedules' constant input, EventBridge change events and
//! run-now requests, mutated or random, must be read or refused with a short message
//! naming what was wrong — never a panic, never a message carrying the whole payload.

use bridge_core::events::{CompanyContractsChanged, DETAIL_TYPE};
use bridge_jobs::harness::Invocation;
use bridge_jobs::trigger::Trigger;
use proptest::prelude::*;
use serde_json::{Value, json};
use simulators::hostile;

/// The longest refusal a payload may produce.
const MAX_ERROR_CHARS: usize = 600;

fn change_event() -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": DETAIL_TYPE, "source": "acronis-autotask-bridge",
        "account": "123456789012", "time": "2026-03-01T10:00:00Z", "region": "eu-west-1",
        "resources": [],
        "detail": {"version": 1, "company_id": 29684512, "snapshot_version": 7,
                   "changed_at": "2026-03-01T10:00:00Z", "reason": "services_changed"}
    })
}

fn valid_payloads() -> Vec<Value> {
    vec![
        json!({"schedule": "poll"}),
        change_event(),
        json!({"run_now": {"dry_run": true, "requested_by": "arn:aws:iam::123456789012:user/op"}}),
    ]
}

/// An object nested `depth` objects deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!({}), |inner, _| json!({"a": inner}))
}

fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile::value(100_000),
        Just(json!(DETAIL_TYPE)),
        (1usize..60).prop_map(nested),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "schedule",
                    "detail-type",
                    "detail",
                    "version",
                    "company_id",
                    "run_now",
                    "dry_run",
                    "requested_by",
                    "reason",
                ]),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.into(), v)).collect())),
        ]
    })
}

/// A valid payload with one member (top level or inside `detail` / `run_now`) set to a
/// hostile value or removed, or an entirely random one.
fn payload() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "schedule",
        "detail-type",
        "detail",
        "version",
        "company_id",
        "snapshot_version",
        "changed_at",
        "reason",
        "run_now",
        "dry_run",
        "requested_by",
    ]);
    let edited = (
        0..valid_payloads().len(),
        keys,
        prop::option::of(hostile_value()),
    )
        .prop_map(|(i, key, value)| {
            let mut payload = valid_payloads().swap_remove(i);
            for slot in [None, Some("detail"), Some("run_now")] {
                let target = match slot {
                    None => Some(&mut payload),
                    Some(s) => payload.get_mut(s),
                };
                if let Some(Value::Object(map)) = target
                    && map.contains_key(key)
                {
                    match &value {
                        Some(v) => map.insert(key.to_owned(), v.clone()),
                        None => map.remove(key),
                    };
                    break;
                }
            }
            payload
        });
    prop_oneof![3 => edited, 1 => hostile_value()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_payloads_are_read_or_refused_briefly(payload in payload()) {
        match Invocation::from_lambda_payload(&payload) {
            Ok(invocation) => {
                prop_assert!(invocation.describe().chars().count() <= MAX_ERROR_CHARS);
                if let Trigger::Schedule { name } = &invocation.trigger {
                    prop_assert!(name.chars().count() <= 64, "{name}");
                    prop_assert!(!name.chars().any(char::is_control), "{name:?}");
                }
            }
            Err(e) => {
                prop_assert!(e.chars().count() <= MAX_ERROR_CHARS, "{} chars: {}", e.len(), e.chars().take(200).collect::<String>());
                prop_assert!(!e.is_empty());
            }
        }
        if let Some(detail) = payload.get("detail")
            && let Err(e) = CompanyContractsChanged::from_detail(detail)
        {
            let text = e.to_string();
            prop_assert!(text.chars().count() <= MAX_ERROR_CHARS, "{}", text.chars().take(200).collect::<String>());
        }
    }
}

#[test]
fn a_wrong_detail_field_is_named() {
    let mut event = change_event();
    event["detail"]["company_id"] = json!("twelve");
    let err = Trigger::from_lambda_payload(&event).expect_err("refused");
    assert!(err.contains("event detail"), "{err}");
    assert!(err.contains("at `company_id`"), "{err}");
    event["detail"]["company_id"] = json!("x".repeat(100_000));
    let err = Trigger::from_lambda_payload(&event).expect_err("refused");
    assert!(err.len() <= MAX_ERROR_CHARS, "{} chars", err.len());
}

#[test]
fn a_schedule_name_is_short_and_printable() {
    for bad in ["x".repeat(65), "poll\u{1b}[31m".to_owned(), "  ".to_owned()] {
        let err = Trigger::from_lambda_payload(&json!({ "schedule": bad })).expect_err("refused");
        assert!(err.contains("`schedule`"), "{err}");
        assert!(err.len() <= MAX_ERROR_CHARS);
    }
    assert_eq!(
        Trigger::from_lambda_payload(&json!({"schedule": "sweep"})),
        Ok(Trigger::Schedule {
            name: "sweep".into()
        })
    );
}

#[test]
fn a_payload_nested_a_hundred_thousand_deep_is_refused_by_the_parser() {
    // Lambda hands the function the payload as text; the runtime parses it with
    // serde_json, which stops at 128 levels rather than exhausting the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = serde_json::from_str::<Value>(&deep).expect_err("too deep");
    assert!(err.to_string().contains("recursion limit"), "{err}");
}
