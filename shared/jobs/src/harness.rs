//! The one place that does what every job run needs: the lease, loading and checking
//! the settings, the job's switch, counting API requests, the summary, and the record
//! of the run that `GET /jobs` shows. A job only does its own work ([`Job::run`]).

use crate::deadline::Deadline;
use crate::job::{self, Job, JobSpec};
use crate::{Context, JobError, JobSummary, Trigger, lease};
use acronis::AcronisClient;
use autotask::AutotaskClient;
use bridge_core::records::{JobErrorRecord, JobRunRecord, JobStatus};
use bridge_core::settings::Settings;
use bridge_core::text::bounded;
use tracing::Instrument;

/// Plan lines, skips and failures kept in a run's stored record; the counts say how
/// many there were in all.
const RECORDED_NOTES: usize = 50;
/// Longest error message kept in a run's record.
const RECORDED_ERROR_CHARS: usize = 2_000;

/// How a run was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub trigger: Trigger,
    /// Plan without applying: no lease, no writes.
    pub dry_run: bool,
    /// Who asked for a run now (an operator's identity), for the logs and the record.
    pub requested_by: Option<String>,
    /// When the run must stop taking on new work (Lambda's deadline less a margin).
    pub deadline: Deadline,
}

impl Invocation {
    pub fn new(trigger: Trigger, dry_run: bool) -> Self {
        Self {
            trigger,
            dry_run,
            requested_by: None,
            deadline: Deadline::none(),
        }
    }

    /// The same run, stopping at `deadline`.
    pub fn with_deadline(self, deadline: Deadline) -> Self {
        Self { deadline, ..self }
    }

    /// A run an operator asked for now.
    pub fn run_now(dry_run: bool, requested_by: impl Into<String>) -> Self {
        Self {
            trigger: Trigger::Manual,
            dry_run,
            requested_by: Some(requested_by.into()),
            deadline: Deadline::none(),
        }
    }

    /// Reads a job function's Lambda payload: a schedule's constant input
    /// `{"schedule": "<name>"}`, an EventBridge change event, or a run now
    /// `{"run_now": {"dry_run": bool, "requested_by": "..."}}` sent by the config
    /// function. Anything else is refused with what was wrong.
    pub fn from_lambda_payload(payload: &serde_json::Value) -> Result<Invocation, String> {
        let Some(run_now) = payload.get("run_now") else {
            return Trigger::from_lambda_payload(payload).map(|t| Invocation::new(t, false));
        };
        let dry_run = match run_now.get("dry_run") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => return Err("`run_now.dry_run` must be true or false".into()),
        };
        let requested_by = match run_now.get("requested_by") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(bounded(s, 200)),
            Some(_) => return Err("`run_now.requested_by` must be a string".into()),
        };
        Ok(Invocation {
            trigger: Trigger::Manual,
            dry_run,
            requested_by,
            deadline: Deadline::none(),
        })
    }

    /// How the record and the logs name what started the run.
    pub fn describe(&self) -> String {
        match (&self.trigger, &self.requested_by) {
            (Trigger::Schedule { name }, _) => format!("schedule {name}"),
            (Trigger::ChangeEvent(e), _) => format!("change event for company {}", e.company_id),
            (Trigger::Manual, Some(by)) => format!("run now by {}", bounded(by, 200)),
            (Trigger::Manual, None) => "manual".to_owned(),
        }
    }
}

/// One run of one job, as the job sees it: the context, the checked settings, what
/// started it, and the summary it fills in.
pub struct JobRun<'a> {
    pub ctx: &'a Context,
    pub spec: &'static JobSpec,
    pub settings: Settings,
    pub trigger: Trigger,
    pub dry_run: bool,
    /// Checked between units of work by the jobs that loop over many.
    pub deadline: Deadline,
    pub summary: JobSummary,
    autotask: Option<(AutotaskClient, u64)>,
    acronis: Option<(AcronisClient, u64)>,
}

impl JobRun<'_> {
    /// Who the audit log names for what this run changes: the job.
    pub fn actor(&self) -> &'static str {
        self.spec.name
    }

    /// The Autotask client, once it is known to reach the recorded database; the
    /// requests it makes from here on count in the summary.
    pub async fn autotask(&mut self) -> Result<AutotaskClient, JobError> {
        if let Some((client, _)) = &self.autotask {
            return Ok(client.clone());
        }
        let client = self.ctx.autotask().await?;
        let before = client.requests_made();
        crate::database::ensure(self.ctx, &client, self.spec.name, self.dry_run).await?;
        self.autotask = Some((client.clone(), before));
        Ok(client)
    }

    /// The Acronis client; counted like [`JobRun::autotask`].
    pub async fn acronis(&mut self) -> Result<AcronisClient, JobError> {
        if let Some((client, _)) = &self.acronis {
            return Ok(client.clone());
        }
        let client = self.ctx.acronis().await?;
        self.acronis = Some((client.clone(), client.requests_made()));
        Ok(client)
    }

    fn count_requests(&mut self) {
        if let Some((client, before)) = &self.autotask {
            let spent = client.requests_made().saturating_sub(*before);
            self.summary.requests.insert("autotask".into(), spent);
        }
        if let Some((client, before)) = &self.acronis {
            let spent = client.requests_made().saturating_sub(*before);
            self.summary.requests.insert("acronis".into(), spent);
        }
    }
}

/// Runs the job of this name once: how the Lambda entry point, the local runner and
/// "run now" dispatch.
pub async fn run_job(
    name: &str,
    ctx: &Context,
    trigger: &Trigger,
    dry_run: bool,
) -> Result<JobSummary, JobError> {
    run(
        job::find(name)?,
        ctx,
        &Invocation::new(trigger.clone(), dry_run),
    )
    .await
}

/// Runs `job` once. A run that finds no settings, finds the job switched off, or finds
/// another run holding the lease does nothing and says why in its summary. While the
/// bridge is paused every run is a dry run, its summary saying who paused it. Every run
/// that did work is recorded for `GET /jobs`, failed ones with their error.
pub async fn run(
    job: &dyn Job,
    ctx: &Context,
    invocation: &Invocation,
) -> Result<JobSummary, JobError> {
    let spec = job.spec();
    // The pause switch is read before anything else: a store that cannot answer
    // fails the run rather than let it write unchecked.
    let pause = ctx
        .store
        .get_pause()
        .await?
        .map(|p| p.value)
        .filter(|p| p.paused);
    let paused_invocation;
    let invocation = match &pause {
        Some(_) if !invocation.dry_run => {
            paused_invocation = Invocation {
                dry_run: true,
                ..invocation.clone()
            };
            &paused_invocation
        }
        _ => invocation,
    };
    let mut summary = JobSummary::start(spec.name, invocation.dry_run, ctx.clock.now());
    if let Some(pause) = &pause {
        summary.skip("pause", pause.note());
    }
    let settings = match ready(spec, ctx, &mut summary).await {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            summary.finish(ctx.clock.now());
            return Ok(summary);
        }
        Err(e) => {
            summary.finish(ctx.clock.now());
            record(ctx, invocation, &summary, Some(&e)).await;
            return Err(e);
        }
    };
    let lease = if invocation.dry_run {
        None
    } else {
        match lease::acquire(ctx, &job.lease(&invocation.trigger), spec.lease_ttl).await? {
            Some(lease) => Some(lease),
            None => {
                summary.skip(
                    spec.name,
                    "another run holds the lease; this run did nothing",
                );
                summary.finish(ctx.clock.now());
                return Ok(summary);
            }
        }
    };
    let span = tracing::info_span!(
        "job",
        job = spec.name,
        trigger = %invocation.describe(),
        dry_run = invocation.dry_run
    );
    let mut run = JobRun {
        ctx,
        spec,
        settings,
        trigger: invocation.trigger.clone(),
        dry_run: invocation.dry_run,
        deadline: invocation.deadline.clone(),
        summary,
        autotask: None,
        acronis: None,
    };
    let outcome = job.run(&mut run).instrument(span).await;
    run.count_requests();
    let mut summary = run.summary;
    if let Some(lease) = lease
        && let Err(e) = lease.release(ctx).await
    {
        tracing::warn!(error = %e, "could not release the {} lease; it expires by itself", spec.name);
    }
    summary.finish(ctx.clock.now());
    record(ctx, invocation, &summary, outcome.as_ref().err()).await;
    outcome.map(|()| summary)
}

/// The settings, checked, when the job is to work; `None` (with the reason in the
/// summary) when there are none yet or the job is switched off.
async fn ready(
    spec: &JobSpec,
    ctx: &Context,
    summary: &mut JobSummary,
) -> Result<Option<Settings>, JobError> {
    let Some(saved) = ctx.store.get_settings().await? else {
        summary.skip(
            "settings",
            format!(
                "no settings saved yet (PUT /settings); {} did nothing",
                spec.name
            ),
        );
        return Ok(None);
    };
    let settings = saved.value;
    if let Err(problems) = settings.validate() {
        return Err(JobError::Invalid(format!(
            "the saved settings (version {}) are not valid; save them again with PUT /settings: {}",
            saved.version,
            bounded(&problems.to_string(), 1_000)
        )));
    }
    if !(spec.switch.is_on)(&settings) {
        summary.skip(
            "settings",
            format!("{} is off ({})", spec.name, spec.switch.setting),
        );
        return Ok(None);
    }
    Ok(Some(settings))
}

/// Keeps this run as the job's last run (and its error as the last error). A store
/// that cannot take it costs the record, never the run.
async fn record(
    ctx: &Context,
    invocation: &Invocation,
    summary: &JobSummary,
    error: Option<&JobError>,
) {
    let finished_at = summary.finished_at.unwrap_or_else(|| ctx.clock.now());
    let error = error.map(|e| bounded(&e.to_string(), RECORDED_ERROR_CHARS));
    let previous = match ctx.store.get_job_status(&summary.job).await {
        Ok(status) => status,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the job's status; this run is not recorded");
            return;
        }
    };
    let last_error = match &error {
        Some(message) => Some(JobErrorRecord {
            at: finished_at,
            message: message.clone(),
        }),
        None => previous.and_then(|s| s.last_error),
    };
    let status = JobStatus {
        job: summary.job.clone(),
        last_run: Some(JobRunRecord {
            trigger: invocation.describe(),
            dry_run: invocation.dry_run,
            started_at: summary.started_at,
            finished_at,
            ok: error.is_none(),
            summary: summary.bounded(RECORDED_NOTES),
            error,
        }),
        last_error,
    };
    if let Err(e) = ctx.store.put_job_status(&status).await {
        tracing::warn!(error = %e, "could not record the run in the job's status");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_run_now_payload_round_trips_and_bad_ones_are_refused() {
        let asked = Invocation::run_now(true, "arn:aws:iam::1:user/ops");
        let payload = crate::launch::run_now_payload(&asked);
        assert_eq!(Invocation::from_lambda_payload(&payload), Ok(asked));
        assert_eq!(
            Invocation::from_lambda_payload(&json!({"schedule": "poll"})),
            Ok(Invocation::new(
                Trigger::Schedule {
                    name: "poll".into()
                },
                false
            ))
        );
        for bad in [
            json!({"run_now": {"dry_run": "yes"}}),
            json!({"run_now": {"requested_by": 7}}),
            json!({"nothing": 1}),
        ] {
            assert!(Invocation::from_lambda_payload(&bad).is_err(), "{bad}");
        }
        let long = Invocation::from_lambda_payload(
            &json!({"run_now": {"requested_by": "x".repeat(5000)}}),
        )
        .expect("accepted");
        assert!(long.describe().len() < 300);
    }
}
