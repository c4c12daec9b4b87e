//! `bridge`: the local runner and the operator client (`bridge --help`).

use bridge_cli::args::{self, Command, RunArgs};
use bridge_cli::terminal::printable_lines;
use bridge_cli::{RunOptions, operator, runner};
use std::io::IsTerminal as _;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("bridge: {}", printable_lines(&problem.to_string()));
            return ExitCode::from(2);
        }
    };
    let outcome = match command {
        Command::Help => {
            print!("{}", args::HELP);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(run) if run.once => once(run).await,
        Command::Run(run) => serve(run).await,
        Command::Console(client) => console(&client).await,
        Command::Client(client, request) => match operator::connect(&client).await {
            Ok(api) => operator::execute(&api, &request, client.json)
                .await
                .map(|text| {
                    say(&text);
                    ExitCode::SUCCESS
                }),
            Err(e) => Err(e),
        },
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("bridge: {}", printable_lines(&format!("{e:#}")));
        ExitCode::FAILURE
    })
}

/// Prints to stdout what may hold text from the config endpoint, Autotask or Acronis,
/// with its control characters escaped.
fn say(text: &str) {
    println!("{}", printable_lines(text));
}

/// `bridge console`: serve the page and relay its calls until Ctrl-C.
async fn console(client: &args::ClientArgs) -> anyhow::Result<ExitCode> {
    let api = operator::connect(client).await?;
    let target = api.base().to_owned();
    let console = bridge_cli::console::start(api).await?;
    println!("Operator console for {target}");
    println!("  open {}", console.url);
    println!("  (the address carries a token for this run only; Ctrl-C stops the console)");
    tokio::select! {
        served = console.server => served??,
        signal = tokio::signal::ctrl_c() => signal?,
    }
    Ok(ExitCode::SUCCESS)
}

fn options(run: &RunArgs) -> RunOptions {
    let mut opts = RunOptions::new(&run.state);
    opts.demo = run.demo;
    opts.port = run.port;
    opts.autotask_port = run.autotask_port;
    opts.acronis_port = run.acronis_port;
    opts.zone_lookup_url = run.zone_lookup_url.clone();
    opts
}

/// `bridge run`: start everything, print each run as it finishes, stop on Ctrl-C.
async fn serve(run: RunArgs) -> anyhow::Result<ExitCode> {
    let mut running = runner::start(options(&run)).await?;
    say(&running.banner(std::io::stdout().is_terminal()));
    let mut reports = running.reports();
    loop {
        tokio::select! {
            report = reports.recv() => match report {
                Ok(event) => {
                    for line in event.lines() {
                        say(&line);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    println!("({n} run reports skipped: output too slow)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            signal = tokio::signal::ctrl_c() => {
                signal?;
                println!("stopping");
                break;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `bridge run --once`: each job once, its summary and plan, exit 1 if one could not run.
async fn once(run: RunArgs) -> anyhow::Result<ExitCode> {
    let local = runner::prepare(&options(&run)).await?;
    let reports = runner::run_once(&local.ctx, run.job.as_deref(), run.dry_run).await?;
    if reports.is_empty() {
        println!("this build has no jobs yet");
    }
    for report in &reports {
        for line in report.lines_with_plan() {
            say(&line);
        }
    }
    Ok(if reports.iter().all(|r| r.outcome.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
