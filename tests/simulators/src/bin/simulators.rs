//! Runs both simulators standalone, so anyone can point curl or the bridge at them.
//!
//! ```text
//! simulators [--scenario DIR | --generate N] [--autotask-port P] [--acronis-port P]
//! ```

use anyhow::{Context, bail};
use simulators::scenario::{Scenario, generate};
use std::path::PathBuf;

struct Args {
    scenario: Option<PathBuf>,
    generate: Option<usize>,
    autotask_port: u16,
    acronis_port: u16,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        scenario: None,
        generate: None,
        autotask_port: 8081,
        acronis_port: 8082,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--scenario" => args.scenario = Some(PathBuf::from(value("--scenario")?)),
            "--generate" => {
                let v = value("--generate")?;
                args.generate = Some(v.parse().with_context(|| {
                    format!("--generate takes a number of companies, got {v:?}")
                })?);
            }
            "--autotask-port" => {
                let v = value("--autotask-port")?;
                args.autotask_port = v.parse().with_context(|| format!("bad port {v:?}"))?;
            }
            "--acronis-port" => {
                let v = value("--acronis-port")?;
                args.acronis_port = v.parse().with_context(|| format!("bad port {v:?}"))?;
            }
            "-h" | "--help" => {
                println!(
                    "usage: simulators [--scenario DIR | --generate N] [--autotask-port P] [--acronis-port P]\n\
                     Default: the demo scenario (tests/scenarios/demo) on ports 8081 and 8082 (0 = any free port)."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    if args.scenario.is_some() && args.generate.is_some() {
        bail!("give either --scenario or --generate, not both");
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = parse_args()?;
    let (scenario, label) = match (&args.scenario, args.generate) {
        (_, Some(n)) => (generate(n), format!("generated, {n} companies")),
        (Some(dir), None) => (Scenario::load(dir)?, dir.display().to_string()),
        (None, None) => (Scenario::demo()?, "demo".to_string()),
    };
    let autotask = simulators::autotask::start_on(scenario.autotask, args.autotask_port)
        .await
        .with_context(|| format!("cannot listen on port {}", args.autotask_port))?;
    let acronis = simulators::acronis::start_on(scenario.acronis, args.acronis_port)
        .await
        .with_context(|| format!("cannot listen on port {}", args.acronis_port))?;
    println!("Simulators running (scenario: {label}). Ctrl-C stops them.");
    println!();
    println!("Autotask PSA REST API");
    println!(
        "  zone lookup:  {}v1.0/zoneInformation?user=bridge-api@example.com",
        autotask.zone_lookup_url()
    );
    println!(
        "  control:      {}/_sim/requests   {}/_sim/faults",
        autotask.base_url(),
        autotask.base_url()
    );
    println!("Acronis Cyber Cloud (data-center URL)");
    println!("  base:         {}", acronis.base_url());
    println!("  token:        {}/api/2/idp/token", acronis.base_url());
    println!(
        "  control:      {}/_sim/requests   {}/_sim/faults",
        acronis.base_url(),
        acronis.base_url()
    );
    println!();
    println!("Try:");
    println!(
        "  curl -s '{}v1.0/zoneInformation?user=bridge-api@example.com'",
        autotask.zone_lookup_url()
    );
    println!(
        "  curl -s -u demo-client:demo-client-secret -d grant_type=client_credentials {}/api/2/idp/token",
        acronis.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
