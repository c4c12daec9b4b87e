//! `infra/template.yaml` against the code: every function crate is deployed with a
//! trigger, intervals start at the settings' defaults, every reference resolves, IAM
//! stays scoped, and every function is watched. cfn-lint and checkov check the template
//! on its own; these check what only the code knows.
#![allow(clippy::unwrap_used)]

use bridge_cli::topology::{ScheduleExpr, Topology};
use bridge_core::settings::{Job, Settings};
use bridge_jobs::JOBS;
use bridge_jobs::job::{CONFIG_API, Timing};
use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn section<'a>(root: &'a Value, name: &str) -> &'a Mapping {
    root.get(name).and_then(Value::as_mapping).unwrap()
}

/// The crates under `functions/`, by folder name (= crate and binary name).
fn function_crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("functions"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// (logical id, resource) of every SAM function.
fn functions(root: &Value) -> Vec<(String, &Value)> {
    section(root, "Resources")
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), r))
        .collect()
}

fn binary(resource: &Value) -> &str {
    resource["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap()
}

fn tag_name(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) => Some(t.tag.to_string()),
        _ => None,
    }
}

#[test]
fn every_function_crate_is_deployed_with_a_trigger() {
    let topology = Topology::embedded().unwrap();
    let root = template();
    let crates = function_crates();
    assert!(!crates.is_empty());
    for name in &crates {
        let function = topology
            .function(name)
            .unwrap_or_else(|| panic!("functions/{name} has no AWS::Serverless::Function"));
        let (_, resource) = functions(&root)
            .into_iter()
            .find(|(_, r)| binary(r) == name)
            .unwrap();
        let properties = &resource["Properties"];
        let has_url = properties.get("FunctionUrlConfig").is_some();
        assert!(
            !function.schedules.is_empty() || function.consumes_change_events || has_url,
            "{name}: no schedule, change-event target or Function URL: nothing would run it"
        );
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{name}"
        );
        assert_eq!(
            properties["CodeUri"].as_str(),
            Some(format!("../functions/{name}").as_str()),
            "{name}"
        );
    }
    for function in &topology.functions {
        assert!(
            crates.contains(&function.name),
            "the template deploys {} but there is no crate functions/{}",
            function.name,
            function.name
        );
    }
}

#[test]
fn the_contract_poller_polls_every_minute_and_sweeps_nightly() {
    let topology = Topology::embedded().unwrap();
    let poller = topology.function("contract-poller").unwrap();
    let schedule = |name: &str| {
        poller
            .schedules
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.expression.clone())
    };
    assert_eq!(
        schedule("poll"),
        Some(ScheduleExpr::Rate(Duration::from_secs(60)))
    );
    assert_eq!(
        schedule("sweep"),
        Some(ScheduleExpr::Daily { hour: 3, minute: 0 })
    );
    let config_api = topology.function("config-api").unwrap();
    assert!(config_api.schedules.is_empty());
}

/// `schedules.contract_polling_minutes` -> `ContractPollingMinutes`.
fn parameter_of(job: Job) -> String {
    job.field()
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Every rate schedule is an interval of the settings: driven by the parameter named
/// after the settings field, defaulting to the settings' default, and re-timeable by
/// the config API (its policy names the rule).
#[test]
fn intervals_start_at_the_settings_defaults_and_the_config_api_can_retime_them() {
    let root = template();
    let parameters = section(&root, "Parameters");
    for job in Job::ALL {
        if let Some(parameter) = parameters.get(parameter_of(job)) {
            assert_eq!(
                parameter["Default"].as_u64(),
                Some(u64::from(job.default_minutes())),
                "{}",
                parameter_of(job)
            );
            let bounds = job.bounds();
            assert_eq!(
                parameter["MinValue"].as_u64(),
                Some(u64::from(*bounds.start()))
            );
            assert_eq!(
                parameter["MaxValue"].as_u64(),
                Some(u64::from(*bounds.end()))
            );
        }
    }
    let retimable = config_api_rule_resources(&root);
    let topology = Topology::embedded().unwrap();
    for (id, resource) in functions(&root) {
        let name = binary(resource);
        let spec = topology.function(name).unwrap();
        for schedule in &spec.schedules {
            let ScheduleExpr::Rate(every) = &schedule.expression else {
                continue;
            };
            let event = resource["Properties"]["Events"]
                .as_mapping()
                .unwrap()
                .values()
                .find(|e| {
                    e["Properties"]["Input"]
                        .as_str()
                        .is_some_and(|i| i.contains(&format!("\"{}\"", schedule.name)))
                })
                .unwrap();
            let source = format!("{:?}", event["Properties"]["Schedule"]);
            let job = Job::ALL
                .into_iter()
                .find(|job| source.contains(&format!("${{{}}}", parameter_of(*job))))
                .unwrap_or_else(|| {
                    panic!(
                        "{id}/{}: a rate must come from a settings parameter ({})",
                        schedule.name,
                        Job::ALL.map(parameter_of).join(", ")
                    )
                });
            assert_eq!(
                every.as_secs(),
                u64::from(job.default_minutes()) * 60,
                "{name}/{}",
                schedule.name
            );
            let rule = format!("rule/${{AWS::StackName}}-{name}-{}", schedule.name);
            assert!(
                retimable.iter().any(|r| r.ends_with(&rule)),
                "the config API cannot re-time {rule}: add it to its RetimeSchedules statement"
            );
        }
    }
}

/// The `Resource`s of config-api's `events:PutRule` statement, as written.
fn config_api_rule_resources(root: &Value) -> Vec<String> {
    let (_, config_api) = functions(root)
        .into_iter()
        .find(|(_, r)| binary(r) == "config-api")
        .unwrap();
    statements(config_api)
        .into_iter()
        .filter(|s| strings(&s["Action"]).iter().any(|a| a == "events:PutRule"))
        .flat_map(|s| strings(&s["Resource"]))
        .collect()
}

fn statements(function: &Value) -> Vec<&Value> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("Statement").and_then(Value::as_sequence))
        .flatten()
        .collect()
}

/// A string or list of strings, with `!Sub` text taken as written.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        Value::Tagged(t) if t.tag == "Sub" => strings(&t.value),
        other => vec![format!("{other:?}")],
    }
}

/// Least privilege: no action or resource wildcard in any function's policy.
#[test]
fn policies_name_their_actions_and_resources() {
    let root = template();
    for (id, function) in functions(&root) {
        let statements = statements(function);
        assert!(!statements.is_empty(), "{id}: no policy");
        for statement in statements {
            for action in strings(&statement["Action"]) {
                assert!(!action.contains('*'), "{id}: action {action}");
            }
            for resource in strings(&statement["Resource"]) {
                assert!(!resource.contains('*'), "{id}: resource {resource}");
            }
        }
    }
}

/// The config endpoint is reachable only with SigV4: its Function URL uses `AWS_IAM`,
/// and no other function has a URL.
#[test]
fn only_the_config_api_has_a_url_and_it_requires_iam() {
    let root = template();
    let with_url: Vec<(String, String)> = functions(&root)
        .into_iter()
        .filter_map(|(id, f)| {
            let auth = f["Properties"]["FunctionUrlConfig"]["AuthType"].as_str()?;
            Some((id, auth.to_owned()))
        })
        .collect();
    assert_eq!(with_url.len(), 1, "{with_url:?}");
    assert!(with_url[0].0.starts_with("ConfigApi"), "{with_url:?}");
    assert_eq!(with_url[0].1, "AWS_IAM");
}

/// Every function has error and throttle alarms and a log group with a retention;
/// every scheduled or event-driven one (invoked asynchronously) sends failed runs to a
/// queue that has a depth alarm.
#[test]
fn every_function_is_watched() {
    let root = template();
    let resources = section(&root, "Resources");
    let by_type = |kind: &str| -> Vec<&Value> {
        resources
            .values()
            .filter(|r| r["Type"].as_str() == Some(kind))
            .collect()
    };
    let alarms = by_type("AWS::CloudWatch::Alarm");
    let alarm_on = |metric: &str, dimension: &str, target: &str| {
        alarms.iter().any(|a| {
            let p = &a["Properties"];
            p["MetricName"].as_str() == Some(metric)
                && p["AlarmActions"]
                    .as_sequence()
                    .is_some_and(|s| !s.is_empty())
                && p["Dimensions"].as_sequence().is_some_and(|d| {
                    d.iter().any(|d| {
                        d["Name"].as_str() == Some(dimension)
                            && format!("{:?}", d["Value"]).contains(&format!("\"{target}\""))
                    })
                })
        })
    };
    let topology = Topology::embedded().unwrap();
    for (id, function) in functions(&root) {
        for metric in ["Errors", "Throttles"] {
            assert!(
                alarm_on(metric, "FunctionName", &id),
                "{id}: no {metric} alarm"
            );
        }
        let properties = &function["Properties"];
        let log_group = format!("{:?}", properties["LoggingConfig"]["LogGroup"]);
        let log_group_id = resources
            .keys()
            .filter_map(Value::as_str)
            .find(|k| log_group.contains(&format!("\"{k}\"")))
            .unwrap_or_else(|| panic!("{id}: LoggingConfig.LogGroup names no resource"));
        assert!(
            resources[log_group_id]["Properties"]
                .get("RetentionInDays")
                .is_some(),
            "{id}: log group without retention"
        );
        let spec = topology.function(binary(function)).unwrap();
        if spec.schedules.is_empty() && !spec.consumes_change_events {
            continue;
        }
        let destination = format!(
            "{:?}",
            properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        );
        let queue = resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::SQS::Queue"))
            .filter_map(|(k, _)| k.as_str())
            .find(|k| destination.contains(&format!("\"{k}.Arn\"")))
            .unwrap_or_else(|| panic!("{id}: no on-failure queue (EventInvokeConfig)"));
        assert!(
            alarm_on(
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                &format!("{queue}.QueueName")
            ),
            "{id}: no depth alarm on {queue}"
        );
    }
}

/// Every `Ref`, `GetAtt`, `${…}` and condition names something that exists (cfn-lint
/// does not look inside everything SAM expands, such as policy statements).
#[test]
fn every_reference_resolves() {
    let root = template();
    let resources = section(&root, "Resources");
    let mut known: BTreeSet<String> = section(&root, "Parameters")
        .keys()
        .chain(resources.keys())
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    // What SAM generates from a function: its role, its URL, one resource per event.
    for (id, function) in functions(&root) {
        known.insert(format!("{id}Role"));
        known.insert(format!("{id}Url"));
        if let Some(events) = function["Properties"]["Events"].as_mapping() {
            for key in events.keys().filter_map(Value::as_str) {
                known.insert(format!("{id}{key}"));
            }
        }
    }
    let conditions: BTreeSet<String> = section(&root, "Conditions")
        .keys()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let mut names = Vec::new();
    let mut condition_names = Vec::new();
    collect_references(&root, &mut names, &mut condition_names);
    assert!(names.len() > 20, "the walk found only {names:?}");
    for name in names {
        assert!(
            name.starts_with("AWS::") || known.contains(&name),
            "{name} is referenced but is no parameter or resource"
        );
    }
    for name in condition_names {
        assert!(
            conditions.contains(&name),
            "condition {name} does not exist"
        );
    }
}

fn collect_references(value: &Value, names: &mut Vec<String>, conditions: &mut Vec<String>) {
    let target = |text: &str| text.split('.').next().unwrap_or(text).to_owned();
    match value {
        Value::Tagged(t) => {
            let tag = tag_name(value).unwrap_or_default();
            match (tag.as_str(), &t.value) {
                ("!Ref" | "!GetAtt", Value::String(s)) => names.push(target(s)),
                ("!GetAtt", Value::Sequence(items)) => {
                    names.extend(items.first().and_then(Value::as_str).map(target));
                }
                ("!Sub", _) => sub_references(&t.value, names),
                ("!Condition", Value::String(s)) => conditions.push(s.clone()),
                ("!If", Value::Sequence(items)) => {
                    conditions.extend(items.first().and_then(Value::as_str).map(str::to_owned));
                }
                _ => {}
            }
            collect_references(&t.value, names, conditions);
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    (Some("Ref"), Value::String(s)) => names.push(target(s)),
                    (Some("Fn::Sub"), _) => sub_references(item, names),
                    (Some("Condition"), Value::String(s)) => conditions.push(s.clone()),
                    _ => {}
                }
                collect_references(item, names, conditions);
            }
        }
        Value::Sequence(items) => {
            for item in items {
                collect_references(item, names, conditions);
            }
        }
        _ => {}
    }
}

/// `${Name}` and `${Name.Attr}` in a `!Sub` string (not `${!Literal}`, not variables
/// given in the `!Sub [text, {vars}]` form).
fn sub_references(argument: &Value, names: &mut Vec<String>) {
    let (text, variables) = match argument {
        Value::Sequence(items) => (
            items.first().and_then(Value::as_str).unwrap_or_default(),
            items.get(1).and_then(Value::as_mapping),
        ),
        other => (other.as_str().unwrap_or_default(), None),
    };
    for piece in text.split("${").skip(1) {
        let Some((name, _)) = piece.split_once('}') else {
            continue;
        };
        let base = name.split('.').next().unwrap_or(name);
        if !name.starts_with('!') && !variables.is_some_and(|v| v.contains_key(base)) {
            names.push(base.to_owned());
        }
    }
}

#[test]
fn secrets_are_created_empty() {
    let root = template();
    for (id, resource) in section(&root, "Resources") {
        if resource["Type"].as_str() == Some("AWS::SecretsManager::Secret") {
            assert_eq!(
                resource["Properties"]["SecretString"].as_str(),
                Some("{}"),
                "{id:?}: a secret is created holding {{}} and filled by the config API"
            );
            assert!(resource["Properties"].get("GenerateSecretString").is_none());
        }
    }
}

/// The registry, the template and `functions/` name the same jobs, with the same
/// schedules, the same change-event routing and the same fixed expressions; the config
/// function may re-time exactly the rules of the interval schedules and invoke exactly
/// the job functions. Adding a job to one place and not the others fails here.
#[test]
fn registry_template_and_function_crates_agree() {
    let root = template();
    let topology = Topology::embedded().unwrap();
    let mut registered: Vec<String> = bridge_jobs::job::names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    registered.push(CONFIG_API.to_owned());
    registered.sort();
    assert_eq!(
        registered,
        function_crates(),
        "the registry (bridge_jobs::job::JOBS + config-api) and functions/ disagree"
    );
    let mut deployed: Vec<String> = topology.functions.iter().map(|f| f.name.clone()).collect();
    deployed.sort();
    assert_eq!(
        registered, deployed,
        "the registry and infra/template.yaml disagree"
    );

    let mut retimed = Vec::new();
    let mut invoked = Vec::new();
    for job in JOBS {
        let spec = job.spec();
        let function = topology.function(spec.name).unwrap();
        let names: Vec<&str> = function.schedules.iter().map(|s| s.name.as_str()).collect();
        let declared: Vec<&str> = spec.schedules.iter().map(|s| s.name).collect();
        assert_eq!(names, declared, "{}: schedules", spec.name);
        for schedule in spec.schedules {
            let in_template = function
                .schedules
                .iter()
                .find(|s| s.name == schedule.name)
                .unwrap();
            // Under the settings' defaults, the registry's expression is the template's.
            let expected = schedule.expression(&Settings::default());
            assert_eq!(
                ScheduleExpr::parse(&expected).unwrap(),
                in_template.expression,
                "{} {}",
                spec.name,
                schedule.name
            );
            if let Timing::Every(_) = schedule.timing {
                retimed.push(format!(
                    "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/${{AWS::StackName}}-{}-{}",
                    spec.name, schedule.name
                ));
            }
        }
        assert_eq!(
            function.consumes_change_events, spec.consumes_change_events,
            "{}: change events",
            spec.name
        );
        invoked.push(logical_id_of(&root, spec.name));
    }
    let mut granted = config_api_rule_resources(&root);
    granted.sort();
    retimed.sort();
    assert_eq!(
        granted, retimed,
        "the config API may re-time exactly the interval rules"
    );
    let mut may_invoke = config_api_invoke_targets(&root);
    may_invoke.sort();
    invoked.sort();
    assert_eq!(
        may_invoke, invoked,
        "run now may invoke exactly the job functions"
    );
}

/// The logical id of the function whose binary is `name`.
fn logical_id_of(root: &Value, name: &str) -> String {
    functions(root)
        .into_iter()
        .find(|(_, r)| binary(r) == name)
        .map(|(id, _)| id)
        .unwrap()
}

/// The functions (logical ids) the config function may invoke: `!GetAtt X.Arn`.
fn config_api_invoke_targets(root: &Value) -> Vec<String> {
    let (_, config_api) = functions(root)
        .into_iter()
        .find(|(_, r)| binary(r) == CONFIG_API)
        .unwrap();
    statements(config_api)
        .into_iter()
        .filter(|s| {
            strings(&s["Action"])
                .iter()
                .any(|a| a == "lambda:InvokeFunction")
        })
        .flat_map(|s| s["Resource"].as_sequence().unwrap())
        .map(|r| match r {
            Value::Tagged(t) if t.tag == "GetAtt" => t
                .value
                .as_str()
                .and_then(|v| v.strip_suffix(".Arn"))
                .unwrap()
                .to_owned(),
            other => panic!("an invoke resource {other:?} is not !GetAtt <Function>.Arn"),
        })
        .collect()
}

/// A function must time out before its lease expires, or a second run could start
/// while the first still works.
#[test]
fn timeouts_stay_below_the_leases() {
    let root = template();
    for job in JOBS {
        let spec = job.spec();
        let (_, function) = functions(&root)
            .into_iter()
            .find(|(_, r)| binary(r) == spec.name)
            .unwrap();
        let timeout = function["Properties"]["Timeout"].as_u64().unwrap();
        assert!(
            Duration::from_secs(timeout) < spec.lease_ttl,
            "{}: Timeout {timeout} s is not below its lease of {:?}",
            spec.name,
            spec.lease_ttl
        );
    }
}
