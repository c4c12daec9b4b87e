//! The functions, their schedules and the change-event routing, read from
//! `infra/template.yaml`, so the local runner and the deployment share one definition.
//!
//! The template is AWS SAM: each `AWS::Serverless::Function` is a job (named by its
//! `Metadata.BuildProperties.Binary`, else its `CodeUri` folder), its `Schedule` /
//! `ScheduleV2` events are its schedules (named by their constant `Input`
//! `{"schedule": "<name>"}`), and an `AWS::Events::Rule` matching
//! "Company contracts changed" names the functions that consume change events. Only the
//! little of CloudFormation the template uses for these is understood: `Ref`, `Fn::Sub`,
//! `Fn::If` and condition functions, evaluated with the parameters' defaults (what a
//! deployment without overrides gets). Anything else there is an error naming where it
//! is, which is how the template test catches mistakes cfn-lint lets through (a
//! malformed rate, a target that is not a function).

use bridge_core::events::{DETAIL_TYPE, SOURCE};
use serde_yaml_ng::{Mapping, Value};
use std::fmt;
use std::time::Duration;

/// The template this build was compiled with.
const TEMPLATE: &str = include_str!("../../infra/template.yaml");

/// Every function of the template with its triggers.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    pub functions: Vec<FunctionSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// The function crate's name (`contract-poller`).
    pub name: String,
    pub schedules: Vec<ScheduleSpec>,
    /// Whether the bus rule routes "Company contracts changed" events to it.
    pub consumes_change_events: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSpec {
    /// The schedule's name, sent to the function as `{"schedule": "<name>"}`.
    pub name: String,
    pub expression: ScheduleExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleExpr {
    /// `rate(N minutes)`.
    Rate(Duration),
    /// `cron(M H * * ? *)`: every day at this UTC time.
    Daily { hour: u32, minute: u32 },
}

#[derive(Debug, thiserror::Error)]
#[error("infra/template.yaml: {0}")]
pub struct TopologyError(pub String);

fn error(message: impl Into<String>) -> TopologyError {
    TopologyError(message.into())
}

impl Topology {
    /// The template compiled into this binary.
    pub fn embedded() -> Result<Topology, TopologyError> {
        Self::from_template(TEMPLATE)
    }

    /// Reads a SAM template (YAML, short tags allowed).
    pub fn from_template(yaml: &str) -> Result<Topology, TopologyError> {
        let root: Value =
            serde_yaml_ng::from_str(yaml).map_err(|e| error(format!("not YAML: {e}")))?;
        Template::new(&root)?.topology()
    }

    /// The function of this name, if the template has it.
    pub fn function(&self, name: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.name == name)
    }
}

impl ScheduleExpr {
    /// Reads an EventBridge expression: `rate(N unit)` (unit singular exactly when N is 1,
    /// as EventBridge insists) or a daily `cron(M H * * ? *)`.
    pub fn parse(expression: &str) -> Result<ScheduleExpr, String> {
        let bad = |why: &str| format!("schedule {expression:?}: {why}");
        if let Some(inner) = strip(expression, "rate(") {
            let (count, unit) = inner
                .split_once(' ')
                .ok_or_else(|| bad("expected `rate(N unit)`"))?;
            let n: u64 = count
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("the count must be a positive whole number"))?;
            let seconds = match (unit, n == 1) {
                ("minute", true) | ("minutes", false) => 60,
                ("hour", true) | ("hours", false) => 3_600,
                ("day", true) | ("days", false) => 86_400,
                ("minute" | "hour" | "day", false) => {
                    return Err(bad("a count above 1 takes a plural unit"));
                }
                ("minutes" | "hours" | "days", true) => {
                    return Err(bad("a count of 1 takes a singular unit"));
                }
                _ => return Err(bad("the unit must be minute(s), hour(s) or day(s)")),
            };
            return Ok(ScheduleExpr::Rate(Duration::from_secs(n * seconds)));
        }
        if let Some(inner) = strip(expression, "cron(") {
            let fields: Vec<&str> = inner.split(' ').collect();
            let [minute, hour, "*", "*", "?", "*"] = fields.as_slice() else {
                return Err(bad("only a daily `cron(M H * * ? *)` is supported"));
            };
            let minute = minute.parse().ok().filter(|m| *m < 60);
            let hour = hour.parse().ok().filter(|h| *h < 24);
            return match (hour, minute) {
                (Some(hour), Some(minute)) => Ok(ScheduleExpr::Daily { hour, minute }),
                _ => Err(bad("hour and minute must be single numbers (0-23, 0-59)")),
            };
        }
        Err(bad("expected `rate(…)` or `cron(…)`"))
    }
}

fn strip<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix)?.strip_suffix(')')
}

/// The expression as EventBridge writes it.
impl fmt::Display for ScheduleExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleExpr::Daily { hour, minute } => write!(f, "cron({minute} {hour} * * ? *)"),
            ScheduleExpr::Rate(every) => {
                let secs = every.as_secs();
                let (n, unit) = if secs % 86_400 == 0 {
                    (secs / 86_400, "day")
                } else if secs % 3_600 == 0 {
                    (secs / 3_600, "hour")
                } else {
                    (secs / 60, "minute")
                };
                let plural = if n == 1 { "" } else { "s" };
                write!(f, "rate({n} {unit}{plural})")
            }
        }
    }
}

/// The parts of the template the topology needs, with a small evaluator of the
/// intrinsic functions it uses.
struct Template<'a> {
    parameters: Option<&'a Mapping>,
    conditions: Option<&'a Mapping>,
    resources: &'a Mapping,
}

const FUNCTION: &str = "AWS::Serverless::Function";

impl<'a> Template<'a> {
    fn new(root: &'a Value) -> Result<Self, TopologyError> {
        let section = |name: &str| root.get(name).and_then(Value::as_mapping);
        Ok(Template {
            parameters: section("Parameters"),
            conditions: section("Conditions"),
            resources: section("Resources").ok_or_else(|| error("no `Resources` section"))?,
        })
    }

    fn resource_type(&self, id: &str) -> Option<&'a str> {
        self.resources.get(id)?.get("Type")?.as_str()
    }

    fn topology(&self) -> Result<Topology, TopologyError> {
        let consumers = self.change_event_consumers()?;
        let mut functions: Vec<FunctionSpec> = Vec::new();
        for (id, resource) in self.resources {
            let id = id.as_str().unwrap_or_default();
            if resource.get("Type").and_then(Value::as_str) == Some("AWS::Events::Rule")
                && resource
                    .get("Properties")
                    .and_then(|p| p.get("ScheduleExpression"))
                    .is_some()
            {
                return Err(error(format!(
                    "{id}: declare a schedule as a `Schedule` event of its function, \
                     not as a rule of its own"
                )));
            }
            if resource.get("Type").and_then(Value::as_str) != Some(FUNCTION) {
                continue;
            }
            let name = function_name(id, resource)?;
            if functions.iter().any(|f| f.name == name) {
                return Err(error(format!("{id}: a second function named {name:?}")));
            }
            let (schedules, consumes_by_event) = self.events(id, &name, resource)?;
            functions.push(FunctionSpec {
                consumes_change_events: consumes_by_event || consumers.iter().any(|c| c == id),
                name,
                schedules,
            });
        }
        Ok(Topology { functions })
    }

    /// A function's schedules, and whether one of its own events subscribes to change
    /// events (the SAM `EventBridgeRule` style).
    fn events(
        &self,
        id: &str,
        function: &str,
        resource: &Value,
    ) -> Result<(Vec<ScheduleSpec>, bool), TopologyError> {
        let mut schedules: Vec<ScheduleSpec> = Vec::new();
        let mut consumes = false;
        let Some(events) = resource.get("Properties").and_then(|p| p.get("Events")) else {
            return Ok((schedules, false));
        };
        let events = events
            .as_mapping()
            .ok_or_else(|| error(format!("{id}.Events must be a mapping")))?;
        for (key, event) in events {
            let at = format!("{id}.Events.{}", key.as_str().unwrap_or("?"));
            let props = event.get("Properties").unwrap_or(&Value::Null);
            let expression_key = match event.get("Type").and_then(Value::as_str) {
                Some("Schedule") => "Schedule",
                Some("ScheduleV2") => "ScheduleExpression",
                Some("EventBridgeRule") => {
                    consumes |= self.is_change_event_pattern(&at, props.get("Pattern"))?;
                    continue;
                }
                _ => continue,
            };
            if !self.enabled(&at, props)? {
                continue;
            }
            let schedule = self.schedule(&at, function, props, expression_key)?;
            if schedules.iter().any(|s| s.name == schedule.name) {
                return Err(error(format!(
                    "{at}: a second schedule named {:?}",
                    schedule.name
                )));
            }
            schedules.push(schedule);
        }
        Ok((schedules, consumes))
    }

    fn schedule(
        &self,
        at: &str,
        function: &str,
        props: &Value,
        expression_key: &str,
    ) -> Result<ScheduleSpec, TopologyError> {
        let input = props.get("Input").ok_or_else(|| {
            error(format!(
                "{at}: no Input (expected {{\"schedule\": \"<name>\"}})"
            ))
        })?;
        let input = self.string(at, input)?;
        let name = serde_json::from_str::<serde_json::Value>(&input)
            .ok()
            .and_then(|v| v.get("schedule")?.as_str().map(str::to_owned))
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                error(format!(
                    "{at}: Input must be {{\"schedule\": \"<name>\"}}, not {input}"
                ))
            })?;
        let rule = props.get("Name").ok_or_else(|| {
            error(format!(
                "{at}: no Name (the config API finds rules by name)"
            ))
        })?;
        let rule = self.string(at, rule)?;
        let expected = format!("${{AWS::StackName}}-{function}-{name}");
        if rule != expected {
            return Err(error(format!(
                "{at}: Name is {rule:?}, expected {expected:?}"
            )));
        }
        let expression = props
            .get(expression_key)
            .ok_or_else(|| error(format!("{at}: no {expression_key}")))?;
        let expression = ScheduleExpr::parse(&self.string(at, expression)?)
            .map_err(|e| error(format!("{at}: {e}")))?;
        Ok(ScheduleSpec { name, expression })
    }

    /// `Enabled: false` or `State: DISABLED` turns a schedule off, deployed and locally.
    fn enabled(&self, at: &str, props: &Value) -> Result<bool, TopologyError> {
        if let Some(enabled) = props.get("Enabled") {
            return Ok(self.string(at, enabled)? != "false");
        }
        match props.get("State") {
            Some(state) => Ok(self.string(at, state)? == "ENABLED"),
            None => Ok(true),
        }
    }

    /// The logical ids of the functions the change-event rules target.
    fn change_event_consumers(&self) -> Result<Vec<String>, TopologyError> {
        let mut consumers = Vec::new();
        for (id, resource) in self.resources {
            let id = id.as_str().unwrap_or_default();
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::Events::Rule") {
                continue;
            }
            let props = resource.get("Properties").unwrap_or(&Value::Null);
            if !self.is_change_event_pattern(id, props.get("EventPattern"))? {
                continue;
            }
            if props.get("EventBusName").is_none() {
                return Err(error(format!(
                    "{id}: change events travel on the bridge's own bus: set EventBusName"
                )));
            }
            let targets = props.get("Targets").and_then(Value::as_sequence);
            for (n, target) in targets.into_iter().flatten().enumerate() {
                let at = format!("{id}.Targets[{n}]");
                let arn = target
                    .get("Arn")
                    .ok_or_else(|| error(format!("{at}: no Arn")))?;
                let function = get_att_arn(arn)
                    .ok_or_else(|| error(format!("{at}: Arn must be !GetAtt <Function>.Arn")))?;
                if self.resource_type(function) != Some(FUNCTION) {
                    return Err(error(format!(
                        "{at}: {function} is not a function of the template"
                    )));
                }
                consumers.push(function.to_owned());
            }
        }
        Ok(consumers)
    }

    /// Whether an event pattern selects "Company contracts changed"; such a pattern must
    /// also name the bridge's source, or it would never match what the poller sends.
    fn is_change_event_pattern(
        &self,
        at: &str,
        pattern: Option<&Value>,
    ) -> Result<bool, TopologyError> {
        let Some(pattern) = pattern else {
            return Ok(false);
        };
        let listed = |key: &str, wanted: &str| -> Result<bool, TopologyError> {
            let Some(values) = pattern.get(key).and_then(Value::as_sequence) else {
                return Ok(false);
            };
            for value in values {
                if self.string(at, value)? == wanted {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        if !listed("detail-type", DETAIL_TYPE)? {
            return Ok(false);
        }
        if !listed("source", SOURCE)? {
            return Err(error(format!(
                "{at}: the pattern must match source {SOURCE:?}"
            )));
        }
        Ok(true)
    }

    /// A value as a string, with `Ref`, `Fn::Sub` and `Fn::If` evaluated. Pseudo
    /// parameters (`AWS::StackName`) stay as `${AWS::StackName}`.
    fn string(&self, at: &str, value: &Value) -> Result<String, TopologyError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => {
                let (function, argument) = intrinsic(value)
                    .ok_or_else(|| error(format!("{at}: expected a string, found {value:?}")))?;
                match function {
                    "Ref" => self.reference(at, argument),
                    "Fn::Sub" => self.sub(at, argument),
                    "Fn::If" => {
                        let [condition, then, otherwise] = if_arguments(at, argument)?;
                        let name = self.string(at, condition)?;
                        let chosen = if self.condition(at, &name)? {
                            then
                        } else {
                            otherwise
                        };
                        self.string(at, chosen)
                    }
                    other => Err(error(format!("{at}: {other} is not supported here"))),
                }
            }
        }
    }

    fn reference(&self, at: &str, name: &Value) -> Result<String, TopologyError> {
        let name = name
            .as_str()
            .ok_or_else(|| error(format!("{at}: Ref takes a name")))?;
        if name.starts_with("AWS::") {
            return Ok(format!("${{{name}}}"));
        }
        let parameter = self
            .parameters
            .and_then(|p| p.get(name))
            .ok_or_else(|| error(format!("{at}: {name} is not a parameter")))?;
        let default = parameter
            .get("Default")
            .ok_or_else(|| error(format!("{at}: parameter {name} has no Default")))?;
        self.string(at, default)
    }

    fn sub(&self, at: &str, argument: &Value) -> Result<String, TopologyError> {
        let (text, variables) = match argument {
            Value::Sequence(items) if items.len() == 2 => (&items[0], items[1].as_mapping()),
            other => (other, None),
        };
        let text = text
            .as_str()
            .ok_or_else(|| error(format!("{at}: Fn::Sub takes a string")))?;
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| error(format!("{at}: unclosed ${{ in {text:?}")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.and_then(|v| v.get(name)) {
                out.push_str(&self.string(at, value)?);
            } else if name.contains('.') {
                return Err(error(format!(
                    "{at}: ${{{name}}} (an attribute) cannot be resolved here"
                )));
            } else {
                out.push_str(&self.reference(at, &Value::String(name.to_owned()))?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn condition(&self, at: &str, name: &str) -> Result<bool, TopologyError> {
        let body = self
            .conditions
            .and_then(|c| c.get(name))
            .ok_or_else(|| error(format!("{at}: {name} is not a condition")))?;
        self.evaluate(&format!("{at} (condition {name})"), body)
    }

    fn evaluate(&self, at: &str, value: &Value) -> Result<bool, TopologyError> {
        let (function, argument) = intrinsic(value)
            .ok_or_else(|| error(format!("{at}: expected a condition function")))?;
        let items = || {
            argument
                .as_sequence()
                .ok_or_else(|| error(format!("{at}: {function} takes a list")))
        };
        match function {
            "Fn::Equals" => match items()?.as_slice() {
                [a, b] => Ok(self.string(at, a)? == self.string(at, b)?),
                _ => Err(error(format!("{at}: Fn::Equals takes two values"))),
            },
            "Fn::Not" => match items()?.as_slice() {
                [c] => Ok(!self.evaluate(at, c)?),
                _ => Err(error(format!("{at}: Fn::Not takes one condition"))),
            },
            "Fn::And" | "Fn::Or" => {
                let results = items()?
                    .iter()
                    .map(|c| self.evaluate(at, c))
                    .collect::<Result<Vec<bool>, _>>()?;
                Ok(if function == "Fn::And" {
                    results.iter().all(|r| *r)
                } else {
                    results.iter().any(|r| *r)
                })
            }
            "Condition" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| error(format!("{at}: Condition takes a name")))?;
                self.condition(at, name)
            }
            other => Err(error(format!("{at}: {other} is not a condition function"))),
        }
    }
}

/// The crate a function is built from: `Metadata.BuildProperties.Binary`, else the last
/// folder of `CodeUri`.
fn function_name(id: &str, resource: &Value) -> Result<String, TopologyError> {
    let binary = resource
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(Value::as_str);
    let from_code_uri = || {
        resource
            .get("Properties")?
            .get("CodeUri")?
            .as_str()?
            .trim_end_matches('/')
            .rsplit('/')
            .next()
    };
    binary
        .or_else(from_code_uri)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            error(format!(
                "{id}: no Metadata.BuildProperties.Binary or CodeUri"
            ))
        })
}

/// Short tags and the long names of the intrinsic functions they stand for.
const SHORT_TAGS: [(&str, &str); 17] = [
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("ImportValue", "Fn::ImportValue"),
    ("Base64", "Fn::Base64"),
    ("GetAZs", "Fn::GetAZs"),
    ("Cidr", "Fn::Cidr"),
];

/// An intrinsic function in either form: the short tag (`!Sub x`) or the long mapping
/// (`{"Fn::Sub": x}`), as (long name, argument).
fn intrinsic(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let long = SHORT_TAGS
                .iter()
                .find(|(short, _)| tagged.tag == short)
                .map_or("an unknown YAML tag", |(_, long)| long);
            Some((long, &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            let key = key.as_str()?;
            (key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
                .then_some((key, argument))
        }
        _ => None,
    }
}

fn if_arguments<'v>(at: &str, argument: &'v Value) -> Result<[&'v Value; 3], TopologyError> {
    match argument.as_sequence().map(Vec::as_slice) {
        Some([a, b, c]) => Ok([a, b, c]),
        _ => Err(error(format!("{at}: Fn::If takes [condition, then, else]"))),
    }
}

/// `X` of `!GetAtt X.Arn` / `{"Fn::GetAtt": [X, Arn]}`.
fn get_att_arn(value: &Value) -> Option<&str> {
    let (function, argument) = intrinsic(value)?;
    if function != "Fn::GetAtt" {
        return None;
    }
    match argument {
        Value::String(s) => s.strip_suffix(".Arn"),
        Value::Sequence(items) => match items.as_slice() {
            [id, attr] if attr.as_str() == Some("Arn") => id.as_str(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A template in the shape of ours: a rate from a parameter (through a condition for
    /// the singular), a nightly cron, a consumer targeted by the change-event rule.
    const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  PollMinutes: { Type: Number, Default: 5 }
Conditions:
  EveryMinute: !Equals [!Ref PollMinutes, "1"]
Resources:
  Poller:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties: { Binary: contract-poller }
    Properties:
      CodeUri: ../functions/contract-poller
      Events:
        Poll:
          Type: Schedule
          Properties:
            Name: !Sub "${AWS::StackName}-contract-poller-poll"
            Schedule: !If [EveryMinute, rate(1 minute), !Sub "rate(${PollMinutes} minutes)"]
            Input: '{"schedule": "poll"}'
        Sweep:
          Type: Schedule
          Properties:
            Name: { "Fn::Sub": "${AWS::StackName}-contract-poller-sweep" }
            Schedule: cron(0 3 * * ? *)
            Input: '{"schedule": "sweep"}'
  Pusher:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../functions/quota-push/
  Bus:
    Type: AWS::Events::EventBus
    Properties: { Name: !Sub "${AWS::StackName}-events" }
  Changes:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern:
        source: [acronis-autotask-bridge]
        detail-type: [Company contracts changed]
      Targets:
        - Id: quota-push
          Arn: !GetAtt Pusher.Arn
"#;

    fn minutes(n: u64) -> ScheduleExpr {
        ScheduleExpr::Rate(Duration::from_secs(n * 60))
    }

    #[test]
    fn reads_functions_schedules_and_consumers() {
        let topology = Topology::from_template(TEMPLATE).unwrap();
        let poller = topology.function("contract-poller").unwrap();
        assert_eq!(
            poller.schedules,
            vec![
                ScheduleSpec {
                    name: "poll".into(),
                    expression: minutes(5)
                },
                ScheduleSpec {
                    name: "sweep".into(),
                    expression: ScheduleExpr::Daily { hour: 3, minute: 0 }
                },
            ]
        );
        assert!(!poller.consumes_change_events);
        let pusher = topology.function("quota-push").unwrap();
        assert!(pusher.schedules.is_empty());
        assert!(pusher.consumes_change_events, "the rule targets it");
    }

    #[test]
    fn a_default_of_one_takes_the_singular_branch() {
        let template = TEMPLATE.replace("Default: 5", "Default: 1");
        let topology = Topology::from_template(&template).unwrap();
        assert_eq!(topology.functions[0].schedules[0].expression, minutes(1));
    }

    #[test]
    fn the_embedded_template_parses() {
        let topology = Topology::embedded().unwrap();
        assert!(topology.function("contract-poller").is_some());
    }

    #[test]
    fn parses_and_prints_eventbridge_expressions() {
        let good = [
            ("rate(1 minute)", minutes(1)),
            ("rate(15 minutes)", minutes(15)),
            ("rate(2 hours)", minutes(120)),
            ("rate(1 day)", minutes(1440)),
            (
                "cron(30 2 * * ? *)",
                ScheduleExpr::Daily {
                    hour: 2,
                    minute: 30,
                },
            ),
        ];
        for (text, expected) in good {
            assert_eq!(ScheduleExpr::parse(text), Ok(expected.clone()), "{text}");
            assert_eq!(expected.to_string(), text);
        }
        let bad = [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(-1 minutes)",
            "rate(5 weeks)",
            "rate(5minutes)",
            "cron(0 3 * * MON *)",
            "cron(0 25 * * ? *)",
            "every 5 minutes",
        ];
        for text in bad {
            assert!(ScheduleExpr::parse(text).is_err(), "{text} accepted");
        }
    }

    /// Each mistake, and a word its message must contain.
    #[test]
    fn template_mistakes_are_named() {
        let cases = [
            (
                "rate(${PollMinutes} minutes)",
                "rate(${PollMinutes} minute)",
                "plural",
            ),
            (
                "'{\"schedule\": \"poll\"}'",
                "'{\"job\": \"poll\"}'",
                "Input must be",
            ),
            ("contract-poller-poll", "poller-poll", "expected"),
            (
                "Arn: !GetAtt Pusher.Arn",
                "Arn: !GetAtt Pushr.Arn",
                "Pushr is not a function",
            ),
            ("Arn: !GetAtt Pusher.Arn", "Arn: !Ref Pusher", "!GetAtt"),
            (
                "${PollMinutes} minutes",
                "${PollMinute} minutes",
                "PollMinute is not a parameter",
            ),
            (
                "[EveryMinute,",
                "[EveryMinit,",
                "EveryMinit is not a condition",
            ),
            ("      EventBusName: !Ref Bus\n", "", "EventBusName"),
            (
                "source: [acronis-autotask-bridge]",
                "source: [other]",
                "source",
            ),
            ("cron(0 3 * * ? *)", "cron(0 3 ? * MON *)", "daily"),
            (
                "Schedule: cron(0 3 * * ? *)",
                "Schedule: !Join ['', [cron(0 3 * * ? *)]]",
                "Fn::Join is not supported",
            ),
        ];
        for (from, to, word) in cases {
            assert!(TEMPLATE.contains(from), "{from}");
            let err = Topology::from_template(&TEMPLATE.replacen(from, to, 1)).unwrap_err();
            assert!(err.to_string().contains(word), "{from} -> {to}: {err}");
        }
    }

    #[test]
    fn disabled_schedules_are_not_run() {
        let template = TEMPLATE.replace(
            "Input: '{\"schedule\": \"sweep\"}'",
            "Input: '{\"schedule\": \"sweep\"}'\n            State: DISABLED",
        );
        let topology = Topology::from_template(&template).unwrap();
        let names: Vec<&str> = topology.functions[0]
            .schedules
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["poll"]);
    }

    #[test]
    fn a_standalone_schedule_rule_is_refused() {
        let template = format!(
            "{TEMPLATE}  Timer:\n    Type: AWS::Events::Rule\n    Properties:\n      ScheduleExpression: rate(5 minutes)\n"
        );
        let err = Topology::from_template(&template).unwrap_err();
        assert!(err.to_string().contains("Schedule` event"), "{err}");
    }

    #[test]
    fn a_function_subscribing_with_its_own_event_consumes() {
        let template = TEMPLATE.replace(
            "      CodeUri: ../functions/quota-push/\n",
            "      CodeUri: ../functions/quota-push/\n      Events:\n        Changes:\n          Type: EventBridgeRule\n          Properties:\n            EventBusName: !Ref Bus\n            Pattern:\n              source: [acronis-autotask-bridge]\n              detail-type: [Company contracts changed]\n",
        ).replace("      Targets:\n        - Id: quota-push\n          Arn: !GetAtt Pusher.Arn\n", "");
        let topology = Topology::from_template(&template).unwrap();
        assert!(
            topology
                .function("quota-push")
                .unwrap()
                .consumes_change_events
        );
    }
}
