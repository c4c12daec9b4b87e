//! The runner's timers: each schedule of each job on its own task, plus a task per job
//! that consumes change events, all in this process.
//!
//! Runs of one job never overlap: every task of a job takes the job's gate first (and
//! the job takes its lease in the store as well). A rate changed through the config
//! API reaches the `InProcessBus`, whose watch wakes the schedule's task to re-time it.

use crate::report::{RunReport, RunnerEvent};
use crate::schedule::{PlannedJob, PlannedSchedule, first_run};
use bridge_jobs::{Context, Trigger};
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

/// What every run needs: the context, one gate per job, and where reports go.
#[derive(Clone)]
struct Runs {
    ctx: Arc<Context>,
    reports: broadcast::Sender<RunnerEvent>,
}

impl Runs {
    async fn run(&self, job: &str, gate: &Mutex<()>, trigger: Trigger) {
        let _running = gate.lock().await;
        let started = Utc::now();
        let outcome = bridge_jobs::run_job(job, &self.ctx, &trigger, false)
            .await
            .map_err(|e| e.to_string());
        // Nobody listening (e.g. while shutting down) is fine.
        let report = RunReport::new(job, &trigger, started, outcome);
        let _ = self.reports.send(RunnerEvent::Run(report));
    }
}

/// Starts every job's timers; each job's first schedule runs right away.
pub fn spawn(
    ctx: Arc<Context>,
    bus: &InProcessBus,
    jobs: &[PlannedJob],
    reports: broadcast::Sender<RunnerEvent>,
) -> Scheduler {
    let runs = Runs { ctx, reports };
    let mut tasks = Vec::new();
    for job in jobs {
        let gate = Arc::new(Mutex::new(()));
        let first = first_run(job).map(|s| s.name.clone());
        for schedule in &job.schedules {
            let task = schedule_loop(
                runs.clone(),
                job.name.clone(),
                schedule.clone(),
                Arc::clone(&gate),
                first.as_deref() == Some(schedule.name.as_str()),
                bus.watch_rates(),
            );
            tasks.push(tokio::spawn(task));
        }
        if job.consumes_change_events {
            // Subscribed here, before any job runs, so no event is missed.
            let events = bus.subscribe();
            let task = change_event_loop(runs.clone(), job.name.clone(), gate, events);
            tasks.push(tokio::spawn(task));
        }
    }
    Scheduler { tasks }
}

async fn schedule_loop(
    runs: Runs,
    job: String,
    schedule: PlannedSchedule,
    gate: Arc<Mutex<()>>,
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
                runs.run(&job, &gate, trigger).await;
            }
            changed = rates.changed(), if watching => {
                // The bus lives as long as the runner; if it is gone, keep the timing.
                watching = changed.is_ok();
                let now_every = schedule.interval(&rates.borrow());
                if watching && now_every != every {
                    every = now_every;
                    let _ = runs.reports.send(RunnerEvent::Retimed {
                        job: job.clone(),
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
    runs: Runs,
    job: String,
    gate: Arc<Mutex<()>>,
    mut events: broadcast::Receiver<bridge_core::events::CompanyContractsChanged>,
) {
    loop {
        match events.recv().await {
            Ok(event) => runs.run(&job, &gate, Trigger::ChangeEvent(event)).await,
            // Events were dropped while the job was busy; the nightly sweep catches up.
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                let _ = runs.reports.send(RunnerEvent::MissedEvents {
                    job: job.clone(),
                    missed,
                    at: Utc::now(),
                });
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
