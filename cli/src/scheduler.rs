//! The runner's timers: each schedule of each job on its own task, plus a task per job
//! that consumes change events, all in this process.
//!
//! Runs of one job never overlap: every task of a job, and every run now, takes the
//! job's gate first (and the job takes its lease in the store as well). A rate changed through the config
//! API reaches the `InProcessBus`, whose watch wakes the schedule's task to re-time it.

use crate::report::{RunReport, RunnerEvent};
use crate::schedule::{PlannedJob, PlannedSchedule, first_run};
use async_trait::async_trait;
use bridge_jobs::launch::{Launched, Launcher};
use bridge_jobs::{
    Context, Invocation, JOBS, Job, JobError, JobSpec, JobSummary, Trigger, harness,
};
use bridge_store::events::InProcessBus;
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{Mutex, broadcast, watch};
use tokio::task::JoinHandle;

/// The running timers; dropping this stops them.
pub struct Scheduler {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Every run of local mode goes through here: the timers, change events and "run now"
/// (the config routes' [`Launcher`]). One gate per job keeps its runs from overlapping,
/// so a run now waits for a scheduled run instead of finding the lease taken, and every
/// run's report reaches the terminal.
#[derive(Clone)]
pub struct LocalRuns {
    ctx: Arc<Context>,
    gates: Arc<BTreeMap<&'static str, Arc<Mutex<()>>>>,
    reports: broadcast::Sender<RunnerEvent>,
}

impl LocalRuns {
    pub fn new(ctx: Arc<Context>, reports: broadcast::Sender<RunnerEvent>) -> Self {
        let gates = JOBS
            .iter()
            .map(|job| (job.spec().name, Arc::new(Mutex::new(()))))
            .collect();
        Self {
            ctx,
            gates: Arc::new(gates),
            reports,
        }
    }

    /// Runs `job` once (after any run of it in progress) and reports the run.
    pub async fn run(
        &self,
        job: &'static dyn Job,
        invocation: Invocation,
    ) -> Result<JobSummary, JobError> {
        let name = job.spec().name;
        let _running = match self.gates.get(name) {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        let started = Utc::now();
        let outcome = harness::run(job, &self.ctx, &invocation).await;
        let shown = outcome
            .as_ref()
            .map(Clone::clone)
            .map_err(|e| e.to_string());
        let report = RunReport::new(name, &invocation.trigger, started, shown);
        // Nobody listening (e.g. while shutting down) is fine.
        let _ = self.reports.send(RunnerEvent::Run(report));
        outcome
    }

    async fn scheduled(&self, job: &'static dyn Job, trigger: Trigger) {
        // The outcome is in the report.
        let _ = self.run(job, Invocation::new(trigger, false)).await;
    }
}

#[async_trait]
impl Launcher for LocalRuns {
    async fn launch(
        &self,
        job: &'static JobSpec,
        invocation: Invocation,
    ) -> Result<Launched, JobError> {
        let job = bridge_jobs::job::find(job.name)?;
        self.run(job, invocation).await.map(Launched::Finished)
    }
}

/// Starts every job's timers; each job's first schedule runs right away.
pub fn spawn(runs: &LocalRuns, bus: &InProcessBus, jobs: &[PlannedJob]) -> Scheduler {
    let mut tasks = Vec::new();
    for planned in jobs {
        let Ok(job) = bridge_jobs::job::find(&planned.name) else {
            continue;
        };
        let first = first_run(planned).map(|s| s.name.clone());
        for schedule in &planned.schedules {
            let task = schedule_loop(
                runs.clone(),
                job,
                schedule.clone(),
                first.as_deref() == Some(schedule.name.as_str()),
                bus.watch_rates(),
            );
            tasks.push(tokio::spawn(task));
        }
        if planned.consumes_change_events {
            // Subscribed here, before any job runs, so no event is missed.
            let events = bus.subscribe();
            let task = change_event_loop(runs.clone(), job, events);
            tasks.push(tokio::spawn(task));
        }
    }
    Scheduler { tasks }
}

async fn schedule_loop(
    runs: LocalRuns,
    job: &'static dyn Job,
    schedule: PlannedSchedule,
    run_now: bool,
    mut rates: watch::Receiver<BTreeMap<String, u32>>,
) {
    let mut last_start = None;
    let mut next = if run_now {
        Utc::now()
    } else {
        schedule.next_run(None, Utc::now(), &rates.borrow())
    };
    let mut watching = true;
    let mut every = schedule.interval(&rates.borrow());
    loop {
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {
                last_start = Some(Utc::now());
                let trigger = Trigger::Schedule { name: schedule.name.clone() };
                runs.scheduled(job, trigger).await;
            }
            changed = rates.changed(), if watching => {
                // The bus lives as long as the runner; if it is gone, keep the timing.
                watching = changed.is_ok();
                let now_every = schedule.interval(&rates.borrow());
                if watching && now_every != every {
                    every = now_every;
                    let _ = runs.reports.send(RunnerEvent::Retimed {
                        job: job.spec().name.to_owned(),
                        schedule: schedule.describe(&rates.borrow()),
                        at: Utc::now(),
                    });
                }
            }
        }
        next = schedule.next_run(last_start, Utc::now(), &rates.borrow_and_update());
    }
}

async fn change_event_loop(
    runs: LocalRuns,
    job: &'static dyn Job,
    mut events: broadcast::Receiver<bridge_core::events::CompanyContractsChanged>,
) {
    loop {
        match events.recv().await {
            Ok(event) => runs.scheduled(job, Trigger::ChangeEvent(event)).await,
            // Events were dropped while the job was busy; the nightly sweep catches up.
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                let _ = runs.reports.send(RunnerEvent::MissedEvents {
                    job: job.spec().name.to_owned(),
                    missed,
                    at: Utc::now(),
                });
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
