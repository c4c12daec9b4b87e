//! PLACEHOLDER owned by the infra engineer (issue 6): the functions, schedules and event
//! routing read from `infra/template.yaml`, so the local runner and the deployment share
//! one definition. The types below are the agreed interface.

use std::time::Duration;

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

impl Topology {
    /// The template compiled into this binary.
    pub fn embedded() -> Result<Topology, TopologyError> {
        Err(TopologyError("not implemented yet".into()))
    }
}
