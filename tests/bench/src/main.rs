//! The bridge's benchmarks at MSP scale.
//!
//! ```text
//! bench [--sizes 100,1000,10000] [--autotask-latency-ms 50] [--acronis-latency-ms 30]
//!       [--burst 1000] [--changed-percent 1] [--dynamo] [--first-syncs] [--out DIR] [--plot] [--python PATH]
//! ```
//!
//! For each size it starts both simulators in a child process with the generated MSP
//! scenario, sets up an embedded store (`--dynamo`: a DynamoDB table on moto's server)
//! with every company mapped, and runs each case
//! (see `cases`) in a job process of its own, so the wall time, CPU time and peak
//! memory it reports are the job's. It prints a Markdown table and writes
//! `results.{md,json,csv}` (and `benchmarks.png` with `--plot`) to `--out`.
//!
//! `bench lambda (--bin-dir DIR | --packages DIR) [--out DIR]` runs each function's
//! binary (or the bootstrap of its `cargo lambda` zip) under a loopback Lambda Runtime
//! API on its first real event, and reports the cold start and the sizes.
//!
//! The same binary is the child processes: `bench simulators --companies N` and
//! `bench job --dir D --zone-lookup URL --acronis URL --step job:schedule…`.

mod bridge;
mod cases;
mod lambda;
mod report;
mod runner;
mod sims;
mod stats;

use anyhow::Context as _;
use std::path::PathBuf;

/// Upper bounds of the numeric options: beyond them a run would not end today.
const MAX_COMPANIES: usize = 100_000;
const MAX_LATENCY_MS: u64 = 10_000;
const MAX_BURST: usize = 100_000;
/// The longest a path or URL argument may be.
const MAX_TEXT: usize = 4_096;

const USAGE: &str = "usage: bench [--sizes 100,1000,10000] [--autotask-latency-ms 50] \
[--acronis-latency-ms 30] [--burst 1000] [--changed-percent 1] [--dynamo] [--first-syncs] [--out DIR] [--plot] [--python PATH]";

/// The plot: wall time and requests against scenario size, per job.
const PLOT: &str = include_str!("../plot.py");

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("simulators") => {
            let companies = number(
                &flag(&args, "--companies")?.context("--companies is required")?,
                "--companies",
                MAX_COMPANIES,
            )?;
            runtime.block_on(sims::serve(companies))
        }
        Some("job") => runtime.block_on(job(&args[1..])),
        Some("lambda") => runtime.block_on(lambda_functions(&args[1..])),
        _ => runtime.block_on(bench(&args)),
    }
}

/// The value after `name`, if given; bounded in length.
fn flag(args: &[String], name: &str) -> anyhow::Result<Option<String>> {
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    let value = args
        .get(at + 1)
        .with_context(|| format!("{name} needs a value"))?;
    anyhow::ensure!(
        value.len() <= MAX_TEXT,
        "{name} is longer than {MAX_TEXT} characters"
    );
    Ok(Some(value.clone()))
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    text: &str,
    name: &str,
    max: T,
) -> anyhow::Result<T> {
    let value: T = text
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{name} takes a whole number, got {text:?}"))?;
    anyhow::ensure!(value <= max, "{name} is at most {max}, got {text}");
    Ok(value)
}

async fn job(args: &[String]) -> anyhow::Result<()> {
    let dir = PathBuf::from(flag(args, "--dir")?.context("--dir is required")?);
    let endpoints = bridge::Endpoints {
        zone_lookup: flag(args, "--zone-lookup")?.context("--zone-lookup is required")?,
        acronis: flag(args, "--acronis")?.context("--acronis is required")?,
        dynamo: match (
            flag(args, "--dynamo-endpoint")?,
            flag(args, "--dynamo-table")?,
        ) {
            (Some(endpoint), Some(table)) => Some(bridge::Dynamo { endpoint, table }),
            (None, None) => None,
            _ => anyhow::bail!("give --dynamo-endpoint and --dynamo-table together"),
        },
    };
    let steps = args
        .windows(2)
        .filter(|w| w[0] == "--step")
        .map(|w| runner::Step::parse(&w[1]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!steps.is_empty(), "give at least one --step");
    let outcome = runner::run(&dir, &endpoints, &steps).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

async fn lambda_functions(args: &[String]) -> anyhow::Result<()> {
    let binaries = match (flag(args, "--bin-dir")?, flag(args, "--packages")?) {
        (Some(dir), None) => lambda::Binaries::Dir(dir.into()),
        (None, Some(dir)) => lambda::Binaries::Packages(dir.into()),
        _ => anyhow::bail!("bench lambda: give either --bin-dir DIR or --packages DIR"),
    };
    let out = PathBuf::from(flag(args, "--out")?.unwrap_or_else(|| "target/bench".into()));
    let work = out.join(format!("lambda-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).with_context(|| format!("--out {}", out.display()))?;
    let rows = lambda::measure_all(&binaries, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    let rows = rows?;
    let table = lambda::markdown(&rows);
    println!("{table}");
    std::fs::write(out.join("lambda.md"), &table)?;
    std::fs::write(
        out.join("lambda.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.outcome != "response")
        .map(|r| r.function.as_str())
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "these functions answered with an error: {failed:?}"
    );
    Ok(())
}

async fn bench(args: &[String]) -> anyhow::Result<()> {
    const KNOWN: &[&str] = &[
        "--sizes",
        "--autotask-latency-ms",
        "--acronis-latency-ms",
        "--burst",
        "--changed-percent",
        "--out",
        "--python",
    ];
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--plot" | "--dynamo" | "--first-syncs" => i += 1,
            a if KNOWN.contains(&a) => i += 2,
            other => anyhow::bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let sizes = flag(args, "--sizes")?
        .unwrap_or_else(|| "100,1000,10000".into())
        .split(',')
        .map(|s| {
            let n = number(s, "--sizes", MAX_COMPANIES)?;
            anyhow::ensure!(n > 0, "--sizes: a scenario has at least one company");
            Ok(n)
        })
        .collect::<anyhow::Result<Vec<usize>>>()?;
    let opt = |name: &str, default: u64, max: u64| -> anyhow::Result<u64> {
        flag(args, name)?.map_or(Ok(default), |v| number(&v, name, max))
    };
    let out = PathBuf::from(flag(args, "--out")?.unwrap_or_else(|| "target/bench".into()));
    std::fs::create_dir_all(&out).with_context(|| format!("--out {}", out.display()))?;
    let options = cases::Options {
        autotask_latency_ms: opt("--autotask-latency-ms", 50, MAX_LATENCY_MS)?,
        acronis_latency_ms: opt("--acronis-latency-ms", 30, MAX_LATENCY_MS)?,
        burst: number(
            &flag(args, "--burst")?.unwrap_or_else(|| "1000".into()),
            "--burst",
            MAX_BURST,
        )?,
        changed_percent: number(
            &flag(args, "--changed-percent")?.unwrap_or_else(|| "1".into()),
            "--changed-percent",
            100,
        )?,
        work_dir: out.clone(),
        dynamo: args.iter().any(|a| a == "--dynamo"),
        first_syncs: args.iter().any(|a| a == "--first-syncs"),
    };
    eprintln!(
        "bench: sizes {sizes:?}, latency {} ms Autotask / {} ms Acronis",
        options.autotask_latency_ms, options.acronis_latency_ms
    );
    let mut rows = Vec::new();
    for size in sizes {
        rows.extend(cases::run_size(size, &options).await?);
    }
    let table = report::markdown(&rows);
    println!("{table}");
    std::fs::write(out.join("results.md"), &table)?;
    std::fs::write(out.join("results.csv"), report::csv(&rows))?;
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    if args.iter().any(|a| a == "--plot") {
        let python = flag(args, "--python")?.unwrap_or_else(|| ".venv/bin/python".into());
        let status = std::process::Command::new(&python)
            .args(["-c", PLOT])
            .arg(out.join("results.csv"))
            .arg(out.join("benchmarks.png"))
            .status()
            .with_context(|| format!("running {python} for the plot"))?;
        anyhow::ensure!(
            status.success(),
            "the plot failed ({status}); is matplotlib installed (scripts/venv)?"
        );
    }
    eprintln!("bench: results in {}", out.display());
    Ok(())
}
