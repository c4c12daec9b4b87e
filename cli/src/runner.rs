//! The local runner: the config routes on localhost and every job on its schedule, in
//! one process, with the embedded store and the secrets file of the state folder.

use crate::demo::{self, Simulators};
use crate::report::{RunReport, RunnerEvent};
use crate::schedule::{self, LOCAL_STACK_NAME, PlannedJob};
use crate::scheduler::{self, LocalRuns, Scheduler};
use crate::state::{StateDir, Token};
use crate::topology::Topology;
use anyhow::Context as _;
use bridge_config_api::{ApiState, Auth, router};
use bridge_jobs::{Context, Invocation, SystemClock, Trigger};
use bridge_store::events::{InProcessBus, ScheduleControl};
use bridge_store::secrets::FileSecretSource;
use bridge_store::store::SqliteStore;
use chrono::Utc;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Reports a slow printer may fall behind by before it misses some.
const REPORT_BACKLOG: usize = 256;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub state_dir: PathBuf,
    /// Start both simulators with the demo scenario and point the bridge at them.
    pub demo: bool,
    /// Port of the config routes on 127.0.0.1 (0 = any free port).
    pub port: u16,
    pub autotask_port: u16,
    pub acronis_port: u16,
    /// Where Autotask zone lookups go outside the demo (default: Autotask's host).
    pub zone_lookup_url: Option<String>,
    /// Run the jobs on their schedules (off: only serve the routes).
    pub schedule_jobs: bool,
}

impl RunOptions {
    /// The defaults of `bridge run`: ports 8080 (routes), 8081 and 8082 (demo simulators).
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            demo: false,
            port: 8080,
            autotask_port: 8081,
            acronis_port: 8082,
            zone_lookup_url: None,
            schedule_jobs: true,
        }
    }

    /// Every port chosen by the system: for tests, and for two runners on one machine.
    pub fn any_free_ports(mut self) -> Self {
        self.port = 0;
        self.autotask_port = 0;
        self.acronis_port = 0;
        self
    }
}

/// The context of local mode, prepared from the state folder (and the simulators).
pub struct Local {
    pub state: StateDir,
    pub ctx: Arc<Context>,
    pub bus: InProcessBus,
    pub sims: Option<Simulators>,
    /// Whether the demo settings were saved on this start (the store had none).
    pub settings_seeded: bool,
}

/// Opens the state folder, starts the simulators for the demo, saves the demo
/// credentials and (first time) settings, and builds the jobs' context.
pub async fn prepare(opts: &RunOptions) -> anyhow::Result<Local> {
    let state = StateDir::create(&opts.state_dir)?;
    let sims = if opts.demo {
        Some(demo::start_simulators(opts.autotask_port, opts.acronis_port).await?)
    } else {
        None
    };
    let store_path = state.store_path();
    let store = SqliteStore::open(&store_path)
        .await
        .with_context(|| format!("cannot open the embedded store {}", store_path.display()))?;
    let secrets = FileSecretSource::new(state.secrets_path());
    let bus = InProcessBus::new();
    // The demo's simulator or the flag, remembered in the state folder for later runs
    // (each job run looks the zone up to check the database); else Autotask's own.
    let zone_lookup = match (&sims, &opts.zone_lookup_url) {
        (Some(sims), _) => Some(sims.zone_lookup_url()),
        (None, Some(url)) => Some(url.clone()),
        (None, None) => None,
    };
    let zone_lookup = match zone_lookup {
        Some(url) => {
            state.write_zone_lookup(&url)?;
            url
        }
        None => state
            .read_zone_lookup()?
            .unwrap_or_else(|| autotask::DEFAULT_ZONE_LOOKUP_URL.to_owned()),
    };
    let ctx = Context::new(
        Arc::new(store),
        Arc::new(secrets),
        Arc::new(bus.clone()),
        Arc::new(SystemClock),
        zone_lookup,
    );
    let mut settings_seeded = false;
    if let Some(sims) = &sims {
        demo::save_credentials(&ctx, sims).await?;
        settings_seeded = demo::seed_settings(&ctx).await?;
    }
    // The saved intervals, as if the config API had just set them: a restart keeps them.
    if let Some(saved) = ctx.store.get_settings().await? {
        for (rule, minutes) in schedule::settings_rates(&saved.value.schedules, LOCAL_STACK_NAME) {
            bus.set_schedule_rate(&rule, minutes).await?;
        }
    }
    Ok(Local {
        state,
        ctx: Arc::new(ctx),
        bus,
        sims,
        settings_seeded,
    })
}

/// A started runner; dropping it stops the routes, the timers and the simulators.
pub struct Running {
    pub local: Local,
    /// `http://127.0.0.1:PORT`
    pub api_url: String,
    pub token: Token,
    /// The scheduled jobs (empty when scheduling is off or the template cannot be read).
    pub jobs: Vec<PlannedJob>,
    /// Why some or all jobs are not scheduled, for the operator.
    pub warnings: Vec<String>,
    reports: broadcast::Sender<RunnerEvent>,
    first_reports: Option<broadcast::Receiver<RunnerEvent>>,
    server: JoinHandle<()>,
    _scheduler: Option<Scheduler>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the runner: state, (demo), the config routes, then the job timers.
pub async fn start(opts: RunOptions) -> anyhow::Result<Running> {
    let local = prepare(&opts).await?;
    let token = local.state.load_or_create_token()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .with_context(|| {
            format!(
                "config routes cannot listen on 127.0.0.1:{} (another runner? --port 0 picks a free port)",
                opts.port
            )
        })?;
    let api_url = format!("http://{}", listener.local_addr()?);
    local.state.write_url(&api_url)?;
    let (reports, first_reports) = broadcast::channel(REPORT_BACKLOG);
    let runs = LocalRuns::new(Arc::clone(&local.ctx), reports.clone());
    let api = ApiState::new(
        Arc::clone(&local.ctx),
        Auth::Bearer(token.value.clone()),
        LOCAL_STACK_NAME,
    )
    .with_launcher(Arc::new(runs.clone()));
    let app = router(api);
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "config routes stopped");
        }
    });

    let mut warnings = Vec::new();
    let mut jobs = Vec::new();
    let mut timers = None;
    if opts.schedule_jobs {
        match Topology::embedded() {
            Ok(topology) => {
                let names = bridge_jobs::job::names();
                let (planned, unplanned) = schedule::plan(&topology, &names, LOCAL_STACK_NAME);
                for job in unplanned {
                    warnings.push(format!(
                        "{job} has no schedule in infra/template.yaml: run it with `bridge run --once --job {job}`"
                    ));
                }
                timers = Some(scheduler::spawn(&runs, &local.bus, &planned));
                jobs = planned;
            }
            Err(e) => warnings.push(format!("no job is scheduled: {e}")),
        }
    }
    Ok(Running {
        local,
        api_url,
        token,
        jobs,
        warnings,
        reports,
        first_reports: Some(first_reports),
        server,
        _scheduler: timers,
    })
}

impl Running {
    /// Every run's report (and re-timing) from now on; the first call also gets what
    /// happened since start.
    pub fn reports(&mut self) -> broadcast::Receiver<RunnerEvent> {
        self.first_reports
            .take()
            .unwrap_or_else(|| self.reports.subscribe())
    }

    /// What the runner prints when it starts: where everything listens, where the token
    /// is kept, the jobs, and a few commands to try. The token itself is printed only on
    /// the first start and only with `show_token` (stdout is a terminal): output sent to
    /// a file or a log collector must not carry it.
    pub fn banner(&self, show_token: bool) -> String {
        let mut out = String::new();
        let state = self.local.state.root().display();
        let token_path = self.local.state.token_path();
        let token_path = token_path.display();
        let url = &self.api_url;
        let _ = writeln!(
            out,
            "Acronis <-> Autotask bridge, local mode (state: {state})"
        );
        let _ = writeln!(
            out,
            "  config routes  {url}   (API description: {url}/openapi.json)"
        );
        if self.token.created && show_token {
            let _ = writeln!(
                out,
                "  token          {}   (shown once; kept in {token_path})",
                self.token.value.expose()
            );
        } else if self.token.created {
            let _ = writeln!(
                out,
                "  token          new, kept in {token_path}   (not printed: the output is not a terminal)"
            );
        } else {
            let _ = writeln!(out, "  token          kept in {token_path}");
        }
        if let Some(sims) = &self.local.sims {
            let _ = writeln!(out, "Demo: simulators with tests/scenarios/demo");
            let _ = writeln!(
                out,
                "  Autotask       {}   (zone lookup {})",
                sims.autotask_url(),
                sims.zone_lookup_url()
            );
            let _ = writeln!(out, "  Acronis        {}", sims.acronis_url());
            let settings = if self.local.settings_seeded {
                "demo settings saved (cli/demo-settings.json)"
            } else {
                "settings kept from an earlier run"
            };
            let _ = writeln!(out, "  demo credentials saved; {settings}");
        }
        let rates = self.local.bus.rates();
        for job in &self.jobs {
            let schedules: Vec<String> = job.schedules.iter().map(|s| s.describe(&rates)).collect();
            let events = if job.consumes_change_events {
                ", on change events"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "Job {}: {}{events}; first run now",
                job.name,
                schedules.join(", ")
            );
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "Note: {warning}");
        }
        let _ = writeln!(out, "Try:");
        let _ = writeln!(out, "  TOKEN=$(cat {token_path})");
        let _ = writeln!(
            out,
            "  curl -s -H \"Authorization: Bearer $TOKEN\" {url}/settings"
        );
        let _ = writeln!(
            out,
            "  curl -s -H \"Authorization: Bearer $TOKEN\" '{url}/accounts?mapped=all'"
        );
        let _ = writeln!(out, "  cargo run -q -p bridge-cli -- audit --state {state}");
        if let Some(job) = self.jobs.first() {
            let _ = writeln!(
                out,
                "  cargo run -q -p bridge-cli -- jobs run {} --state {state}   (run now)",
                job.name
            );
        }
        let _ = writeln!(out, "Console: {url}/console   (paste the token once)");
        let _ = write!(out, "Ctrl-C stops everything.");
        out
    }
}

/// `run --once`: each job (or one) once, in order, with a manual trigger.
pub async fn run_once(
    ctx: &Context,
    job: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<Vec<RunReport>> {
    let jobs: Vec<&'static dyn bridge_jobs::Job> = match job {
        Some(name) => vec![bridge_jobs::job::find(name)?],
        None => bridge_jobs::JOBS.to_vec(),
    };
    let mut reports = Vec::new();
    for job in jobs {
        let started = Utc::now();
        let invocation = Invocation::new(Trigger::Manual, dry_run);
        let outcome = bridge_jobs::harness::run(job, ctx, &invocation)
            .await
            .map_err(|e| e.to_string());
        reports.push(RunReport::new(
            job.spec().name,
            &Trigger::Manual,
            started,
            outcome,
        ));
    }
    Ok(reports)
}
