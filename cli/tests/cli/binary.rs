//! The real `bridge` binary, as the README runs it: `run --demo` on free ports prints
//! where everything listens and where the token is kept, then the first job summaries
//! within a minute; the routes answer curl-like calls with that token.

use crate::common;

use bridge_cli::demo::DEMO_MAPPINGS;
use bridge_cli::topology::Topology;
use common::{TempState, demo_runner};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BRIDGE: &str = env!("CARGO_BIN_EXE_bridge");

/// Kills the runner when the test ends, even on a failed assertion.
struct Runner(Child);

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every stdout line of the child, as it comes.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Lines until one satisfies `want` (returned), or the deadline passes (panics with all).
fn wait_for(
    rx: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    deadline: Instant,
    want: impl Fn(&str) -> bool,
) -> String {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return line;
                }
            }
            Err(_) => panic!("not printed in time; output so far:\n{}", seen.join("\n")),
        }
    }
}

/// The word after `label` on a banner line (`  config routes  http://…   (API …)`).
fn value_after(line: &str, label: &str) -> String {
    line.trim_start()
        .strip_prefix(label)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

/// The jobs the runner must report: those of this build that the template schedules.
fn scheduled_jobs() -> Vec<String> {
    let topology = Topology::embedded().expect("infra/template.yaml is readable");
    topology
        .functions
        .iter()
        .filter(|f| bridge_jobs::job::names().contains(&f.name.as_str()) && !f.schedules.is_empty())
        .map(|f| f.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_demo_starts_everything_and_prints_the_first_summaries_within_a_minute() {
    let state = TempState::new("bin-demo");
    let mut child = Command::new(BRIDGE)
        .args([
            "run",
            "--demo",
            "--port",
            "0",
            "--autotask-port",
            "0",
            "--acronis-port",
            "0",
        ])
        .arg("--state")
        .arg(state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("bridge starts");
    let rx = lines_of(&mut child);
    let _runner = Runner(child);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let mut seen = Vec::new();

    let url_line = wait_for(&rx, &mut seen, deadline, |l| {
        l.trim_start().starts_with("config routes")
    });
    let url = value_after(&url_line, "config routes");
    assert!(url.starts_with("http://127.0.0.1:"), "{url_line}");
    let token_line = wait_for(&rx, &mut seen, deadline, |l| {
        l.trim_start().starts_with("token")
    });
    // Piped, as into a log: the banner names the token file, never the token.
    let token_path = state.path().join("token");
    let token = std::fs::read_to_string(&token_path)
        .expect("the token is kept")
        .trim()
        .to_owned();
    assert_eq!(token.len(), 64);
    assert!(
        !token_line.contains(&token) && token_line.contains(&token_path.display().to_string()),
        "{token_line}"
    );
    wait_for(&rx, &mut seen, deadline, |l| {
        l.starts_with("Ctrl-C stops everything")
    });

    let jobs = scheduled_jobs();
    assert!(
        bridge_jobs::JOBS.is_empty() || !jobs.is_empty(),
        "the template schedules this build's jobs"
    );
    for job in jobs {
        // Jobs start at once and finish in any order: a line may have passed already.
        let prefix = format!("  {job}");
        let is_summary = |l: &str| l.get(8..).is_some_and(|rest| rest.starts_with(&prefix));
        let line = match seen.iter().find(|l| is_summary(l)) {
            Some(line) => line.clone(),
            None => wait_for(&rx, &mut seen, deadline, is_summary),
        };
        assert!(
            !line.contains("could not run"),
            "{line}\n{}",
            seen.join("\n")
        );
    }
    assert!(started.elapsed() < Duration::from_secs(60));

    // What the README's curl session does.
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let anonymous = http
        .get(format!("{url}/settings"))
        .send()
        .await
        .expect("answer");
    assert_eq!(anonymous.status(), 401);
    let settings = http
        .get(format!("{url}/settings"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(settings.status(), 200);
    let accounts = http
        .get(format!("{url}/accounts?mapped=all"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(accounts.status(), 200);
    let accounts: serde_json::Value = accounts.json().await.expect("json");
    assert!(
        accounts["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["company_name"] == "Contoso Ltd")),
        "the demo companies from the Autotask simulator: {accounts}"
    );

    // The operator client finds the runner through the state folder.
    let out = Command::new(BRIDGE)
        .args(["config", "get", "--state"])
        .arg(state.path())
        .output()
        .expect("bridge config get");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(printed["version"].as_u64().is_some_and(|v| v >= 1));

    // The README's run now: the run happens in the runner, its line shows on the runner's
    // terminal at once, and `bridge jobs` lists it as the last run.
    let out = Command::new(BRIDGE)
        .args(["jobs", "run", "contract-poller", "--state"])
        .arg(state.path())
        .output()
        .expect("bridge jobs run");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && printed.starts_with("contract-poller: read"),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = wait_for(&rx, &mut seen, deadline, |l| {
        l.contains("  contract-poller: ") && l.ends_with("[manual]")
    });
    assert!(!line.contains("could not run"), "{line}");
    let out = Command::new(BRIDGE)
        .args(["jobs", "--state"])
        .arg(state.path())
        .output()
        .expect("bridge jobs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("contract-poller") && table.contains(" ok"),
        "{table}"
    );
}

#[test]
fn run_once_prints_one_summary_line_per_job_and_exits() {
    let state = TempState::new("bin-once");
    let out = Command::new(BRIDGE)
        .args([
            "run",
            "--once",
            "--dry-run",
            "--demo",
            "--autotask-port",
            "0",
            "--acronis-port",
            "0",
        ])
        .arg("--state")
        .arg(state.path())
        .output()
        .expect("bridge run --once");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summaries: Vec<&str> = stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    if bridge_jobs::JOBS.is_empty() {
        assert_eq!(summaries, ["this build has no jobs yet"]);
    }
    for job in bridge_jobs::job::names() {
        let lines: Vec<&&str> = summaries
            .iter()
            .filter(|l| {
                l.get(8..)
                    .is_some_and(|r| r.starts_with(&format!("  {job} (dry run):")))
            })
            .collect();
        assert_eq!(lines.len(), 1, "one line for {job}:\n{stdout}");
    }
}

#[test]
fn bad_arguments_exit_2_with_the_problem() {
    let out = Command::new(BRIDGE)
        .args(["run", "--port"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port needs a value"));
    let help = Command::new(BRIDGE).arg("--help").output().expect("runs");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("bridge run [--demo]"));
}

/// `bridge ARGS --state STATE`, off the async runtime (the runner serves on it).
async fn bridge(args: &[&str], state: &TempState) -> std::process::Output {
    let mut command = Command::new(BRIDGE);
    command.args(args).arg("--state").arg(state.path());
    tokio::task::spawn_blocking(move || command.output().expect("bridge runs"))
        .await
        .expect("joined")
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_from_the_server_are_printed_escaped() {
    let state = TempState::new("bin-escape");
    let running = demo_runner(&state, false).await;
    let sims = running.local.sims.as_ref().expect("demo simulators");
    let (_, fabrikam, _) = DEMO_MAPPINGS[2];
    sims.acronis.set_tenant_fields(
        fabrikam,
        serde_json::json!({"name": "Fabrikam \u{1b}[31mRed\u{9b}2J\r"}),
    );
    let raw = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        assert!(
            !text.contains(['\u{1b}', '\u{9b}', '\r']),
            "a control character reached the terminal: {text:?}"
        );
        text
    };

    let out = bridge(&["mappings", "list"], &state).await;
    assert!(out.status.success(), "{}", raw(&out.stderr));
    let table = raw(&out.stdout);
    assert!(
        table.contains(r"Fabrikam \u{1b}[31mRed\u{9b}2J\u{d}"),
        "{table}"
    );
    let out = bridge(&["mappings", "list", "--json"], &state).await;
    assert!(raw(&out.stdout).contains(r"Fabrikam \u001b[31mRed\u{9b}2J\r"));

    // An answer quoting the operator's input goes to stderr, escaped as well.
    let out = bridge(
        &[
            "mappings",
            "map",
            "180",
            "--tenant",
            "\u{1b}[31mno-such-tenant",
        ],
        &state,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    raw(&out.stderr);
    raw(&out.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_once_after_the_demo_reaches_the_demo_simulators_without_a_flag() {
    let state = TempState::new("bin-once-after-demo");
    let _running = demo_runner(&state, false).await;
    // As the README has it: no --demo, no --zone-lookup-url.
    let started = Instant::now();
    let out = bridge(&["run", "--once", "--dry-run"], &state).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("could not run"), "{stdout}");
    let poller = stdout
        .lines()
        .find(|l| l.contains("  contract-poller (dry run): "))
        .unwrap_or_else(|| panic!("a contract-poller line:\n{stdout}"));
    assert!(poller.contains("; autotask "), "{poller}");
    assert!(started.elapsed() < Duration::from_secs(10), "{stdout}");
}
