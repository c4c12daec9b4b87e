//! The command line, parsed by hand: a dozen flags do not justify a parser dependency
//! (and its build time on a 2-core machine); the help text below is the reference.

use crate::state::DEFAULT_DIR;
pub use bridge_store::store::ExpectedMapping;
use std::path::PathBuf;

pub const HELP: &str = "\
bridge: the Acronis <-> Autotask bridge on your machine, and a client of its config endpoint.

Local runner
  bridge run [--demo] [--state DIR] [--port P]
      Serves the config routes on 127.0.0.1:P (default 8080, 0 = any free port) with a
      bearer token (generated on first start, kept in DIR/token) and runs every job on
      its schedule, with the embedded store and secrets file in DIR (default .local).
      --demo                 first start both API simulators with the demo scenario and
                             point the bridge at them (demo credentials and settings)
      --autotask-port P      demo Autotask simulator port (default 8081, 0 = any)
      --acronis-port P       demo Acronis simulator port (default 8082, 0 = any)
      --zone-lookup-url URL  Autotask zone lookup (default: Autotask's own host)
  bridge run --once [--dry-run] [--job NAME] [--demo] [--state DIR]
      Runs each job (or one) once, prints its summary and plan lines, and exits
      (exit code 1 when a job could not run). --dry-run plans without applying.

Operator client (thin HTTP calls to the config endpoint)
  bridge config get
  bridge config set FILE|-            PUT the settings in FILE (- = stdin) at the current version
  bridge credentials get
  bridge credentials set autotask|acronis FILE|-
  bridge mappings list
  bridge mappings map COMPANY (--tenant ID | --new) [--if-mapped-to ID | --if-unmapped]
  bridge mappings unmap COMPANY [--if-mapped-to ID]
                                     --if-…: change it only if the mapping is still as you
                                     read it (refused with 412 otherwise)
  bridge audit [--since TIME] [--until TIME] [--kind KIND] [--limit N]
  bridge forecast [--days N]
  bridge release (--company ID | --all)  let deprovisioning the blast-radius guard held go
                                     ahead (the next contract poller run applies it)
  bridge plan [--company ID]         what the next quota push would change, per customer
  bridge tickets [--company ID]      alerts and their tickets (state, last action), and skipped alerts
  bridge jobs                        every job: on or off, schedules, last run, last error
  bridge jobs run JOB [--dry-run]    run a job now (deployed: started, result in `bridge jobs`)
  bridge database adopt CI           start over with the Autotask database CI that the saved
                                     credentials reach (forgets the mappings, snapshots,
                                     cursors and clocks of the old one; docs/safety.md)
  bridge pause --reason TEXT         stop every write of every job (runs become dry runs)
  bridge resume [--reason TEXT]      let the jobs write again
  bridge console                     the operator page in your browser: serves it on
                                     127.0.0.1 (free port) and relays its calls to the
                                     endpoint, signed; open the URL it prints (docs/console.md)
      --url URL       the endpoint (default: the local runner recorded in DIR/url)
      --token TOKEN   bearer token (default for a loopback URL: DIR/token)
      --region R      AWS region for SigV4 (default: from the Function URL); any URL
                      that is not loopback is signed with the default AWS credentials
      --state DIR     the local state folder (default .local)
      --json          print the answer as JSON instead of a table
";

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Client(ClientArgs, Request),
    /// `bridge console`: the operator page on loopback, relaying to the endpoint.
    Console(ClientArgs),
    Help,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub state: PathBuf,
    pub demo: bool,
    pub once: bool,
    pub dry_run: bool,
    pub job: Option<String>,
    pub port: u16,
    pub autotask_port: u16,
    pub acronis_port: u16,
    pub zone_lookup_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientArgs {
    pub state: PathBuf,
    pub url: Option<String>,
    pub token: Option<String>,
    pub region: Option<String>,
    pub json: bool,
}

/// One operator request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    ConfigGet,
    /// `None` = stdin.
    ConfigSet(Option<PathBuf>),
    CredentialsGet,
    CredentialsSet {
        api: Api,
        file: Option<PathBuf>,
    },
    MappingsList,
    Map {
        company_id: i64,
        target: MapTarget,
        /// What the operator read: the change is refused (412) if the mapping changed.
        read: ExpectedMapping,
    },
    Unmap {
        company_id: i64,
        read: ExpectedMapping,
    },
    Audit {
        since: Option<String>,
        until: Option<String>,
        kind: Option<String>,
        limit: Option<u32>,
    },
    Forecast {
        days: Option<u32>,
    },
    /// Held deprovisioning to release: one company, or `None` for every held one.
    Release {
        company: Option<i64>,
    },
    Plan {
        company: Option<i64>,
    },
    Tickets {
        company: Option<i64>,
    },
    Jobs,
    RunJob {
        job: String,
        dry_run: bool,
    },
    Pause {
        reason: String,
    },
    /// Start over with the Autotask database the saved credentials now reach.
    DatabaseAdopt {
        ci: i64,
    },
    Resume {
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Autotask,
    Acronis,
}

impl Api {
    pub fn path(self) -> &'static str {
        match self {
            Api::Autotask => "/credentials/autotask",
            Api::Acronis => "/credentials/acronis",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapTarget {
    Tenant(String),
    NewTenant,
}

const VALUE_FLAGS: &[&str] = &[
    "--state",
    "--port",
    "--autotask-port",
    "--acronis-port",
    "--zone-lookup-url",
    "--job",
    "--url",
    "--token",
    "--region",
    "--since",
    "--until",
    "--kind",
    "--limit",
    "--days",
    "--tenant",
    "--if-mapped-to",
    "--company",
    "--reason",
];
const SWITCHES: &[&str] = &[
    "--demo",
    "--once",
    "--dry-run",
    "--new",
    "--json",
    "--all",
    "--if-unmapped",
];
const CLIENT_FLAGS: &[&str] = &["--state", "--url", "--token", "--region", "--json"];

/// The words and flags of one command line, before they are given meaning.
struct Parsed {
    words: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

impl Parsed {
    fn split(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
        let mut parsed = Parsed {
            words: Vec::new(),
            flags: Vec::new(),
        };
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "-" || !arg.starts_with('-') {
                parsed.words.push(arg);
                continue;
            }
            if arg == "-h" || arg == "--help" {
                parsed.flags.push(("--help".into(), None));
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            if VALUE_FLAGS.contains(&name.as_str()) {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
                };
                parsed.flags.push((name, Some(value)));
            } else if SWITCHES.contains(&name.as_str()) && inline.is_none() {
                parsed.flags.push((name, None));
            } else {
                return Err(format!("unknown option {arg:?} (try bridge --help)"));
            }
        }
        Ok(parsed)
    }

    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }

    /// The last value given for `name`.
    fn value(&self, name: &str) -> Option<String> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.value(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name} takes a number, got {v:?}"))
            })
            .transpose()
    }

    /// Refuses flags the command does not take, so a typo never passes silently.
    fn only(&self, command: &str, allowed: &[&str]) -> Result<(), String> {
        match self
            .flags
            .iter()
            .find(|(n, _)| !allowed.contains(&n.as_str()))
        {
            Some((name, _)) => Err(format!("{command} does not take {name}")),
            None => Ok(()),
        }
    }

    fn state(&self) -> PathBuf {
        PathBuf::from(self.value("--state").unwrap_or_else(|| DEFAULT_DIR.into()))
    }
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let p = Parsed::split(args)?;
    if p.has("--help") || p.words.is_empty() {
        return Ok(Command::Help);
    }
    let words: Vec<&str> = p.words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["run"] => run(&p),
        ["help"] => Ok(Command::Help),
        ["console"] => {
            p.only("console", &["--state", "--url", "--token", "--region"])?;
            Ok(Command::Console(ClientArgs {
                state: p.state(),
                url: p.value("--url"),
                token: p.value("--token"),
                region: p.value("--region"),
                json: false,
            }))
        }
        _ => client(&p, &words),
    }
}

fn run(p: &Parsed) -> Result<Command, String> {
    let once = p.has("--once");
    let mut allowed = vec!["--state", "--demo", "--once", "--zone-lookup-url"];
    allowed.extend(if once {
        ["--dry-run", "--job", "--autotask-port", "--acronis-port"].as_slice()
    } else {
        ["--port", "--autotask-port", "--acronis-port"].as_slice()
    });
    p.only(if once { "run --once" } else { "run" }, &allowed)?;
    Ok(Command::Run(RunArgs {
        state: p.state(),
        demo: p.has("--demo"),
        once,
        dry_run: p.has("--dry-run"),
        job: p.value("--job"),
        port: p.number("--port")?.unwrap_or(8080),
        autotask_port: p.number("--autotask-port")?.unwrap_or(8081),
        acronis_port: p.number("--acronis-port")?.unwrap_or(8082),
        zone_lookup_url: p.value("--zone-lookup-url"),
    }))
}

fn client(p: &Parsed, words: &[&str]) -> Result<Command, String> {
    let file = |w: &str| (w != "-").then(|| PathBuf::from(w));
    let company = |w: &str| {
        w.parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .ok_or_else(|| format!("COMPANY must be an Autotask company id, got {w:?}"))
    };
    let (request, extra): (Request, &[&str]) = match words {
        ["config", "get"] => (Request::ConfigGet, &[]),
        ["config", "set", f] => (Request::ConfigSet(file(f)), &[]),
        ["credentials", "get"] => (Request::CredentialsGet, &[]),
        ["credentials", "set", api, f] => {
            let api = match *api {
                "autotask" => Api::Autotask,
                "acronis" => Api::Acronis,
                other => {
                    return Err(format!(
                        "credentials set takes autotask or acronis, got {other:?}"
                    ));
                }
            };
            (Request::CredentialsSet { api, file: file(f) }, &[])
        }
        ["mappings", "list"] => (Request::MappingsList, &[]),
        ["mappings", "map", c] => {
            let target = match (p.value("--tenant"), p.has("--new")) {
                (Some(t), false) => MapTarget::Tenant(t),
                (None, true) => MapTarget::NewTenant,
                _ => return Err("mappings map takes either --tenant ID or --new".into()),
            };
            let read = match (p.value("--if-mapped-to"), p.has("--if-unmapped")) {
                (Some(t), false) => ExpectedMapping::MappedTo(t),
                (None, true) => ExpectedMapping::Unmapped,
                (None, false) => ExpectedMapping::Any,
                (Some(_), true) => {
                    return Err(
                        "mappings map takes --if-mapped-to or --if-unmapped, not both".into(),
                    );
                }
            };
            let request = Request::Map {
                company_id: company(c)?,
                target,
                read,
            };
            (
                request,
                &["--tenant", "--new", "--if-mapped-to", "--if-unmapped"],
            )
        }
        ["mappings", "unmap", c] => (
            Request::Unmap {
                company_id: company(c)?,
                read: p
                    .value("--if-mapped-to")
                    .map_or(ExpectedMapping::Any, ExpectedMapping::MappedTo),
            },
            &["--if-mapped-to"],
        ),
        ["audit"] => (
            Request::Audit {
                since: p.value("--since"),
                until: p.value("--until"),
                kind: p.value("--kind"),
                limit: p.number("--limit")?,
            },
            &["--since", "--until", "--kind", "--limit"],
        ),
        ["forecast"] => (
            Request::Forecast {
                days: p.number("--days")?,
            },
            &["--days"],
        ),
        ["release"] => {
            let company = match (p.value("--company"), p.has("--all")) {
                (Some(c), false) => Some(company(&c)?),
                (None, true) => None,
                _ => return Err("release takes either --company ID or --all".into()),
            };
            (Request::Release { company }, &["--company", "--all"])
        }
        ["plan"] => {
            let company = match p.value("--company") {
                Some(c) => Some(company(&c)?),
                None => None,
            };
            (Request::Plan { company }, &["--company"])
        }
        ["tickets"] => {
            let company = match p.value("--company") {
                Some(c) => Some(company(&c)?),
                None => None,
            };
            (Request::Tickets { company }, &["--company"])
        }
        ["jobs"] | ["jobs", "list"] => (Request::Jobs, &[]),
        ["jobs", "run", job] => (
            Request::RunJob {
                job: (*job).to_owned(),
                dry_run: p.has("--dry-run"),
            },
            &["--dry-run"],
        ),
        ["pause"] => {
            let reason = p
                .value("--reason")
                .ok_or("pause needs --reason TEXT: say why, for the audit log and `bridge jobs`")?;
            (Request::Pause { reason }, &["--reason"])
        }
        ["database", "adopt", ci] => {
            let ci = ci
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0 && ci.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    format!("database adopt takes the database number (ci), got {ci:?}")
                })?;
            (Request::DatabaseAdopt { ci }, &[])
        }
        ["resume"] => (
            Request::Resume {
                reason: p.value("--reason"),
            },
            &["--reason"],
        ),
        _ => {
            return Err(format!(
                "unknown command {:?} (try bridge --help)",
                words.join(" ")
            ));
        }
    };
    let mut allowed = CLIENT_FLAGS.to_vec();
    allowed.extend_from_slice(extra);
    p.only(&words.join(" "), &allowed)?;
    Ok(Command::Client(
        ClientArgs {
            state: p.state(),
            url: p.value("--url"),
            token: p.value("--token"),
            region: p.value("--region"),
            json: p.has("--json"),
        },
        request,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    /// Every `bridge …` line of the pages' `sh` blocks parses: the docs cannot show a
    /// command or flag the CLI does not take. Comments, redirections and quotes are the
    /// shell's, not the CLI's, and are taken off first.
    #[test]
    fn the_docs_command_lines_parse() {
        let mut checked = 0;
        for page in [
            "README.md",
            "docs/local-mode.md",
            "docs/deploy.md",
            "docs/safety.md",
        ] {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(page);
            let text = std::fs::read_to_string(&path).expect("page");
            let mut in_sh = false;
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with("```") {
                    in_sh = !in_sh && line == "```sh";
                    continue;
                }
                // A synopsis (`[--flag]`) is not a command line.
                let Some(command) = line
                    .strip_prefix("bridge ")
                    .filter(|c| in_sh && !c.contains('['))
                else {
                    continue;
                };
                let command = command
                    .split(" #")
                    .next()
                    .and_then(|c| c.split(" >").next())
                    .and_then(|c| c.split(" <").next())
                    .unwrap_or_default();
                if let Err(e) = parse(shell_words(command)) {
                    panic!("{page}: `bridge {command}`: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} command lines found");
    }

    /// Words as the shell splits them, double quotes keeping spaces.
    fn shell_words(line: &str) -> Vec<String> {
        let (mut words, mut word, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    #[test]
    fn run_takes_its_flags_in_any_form() {
        let Ok(Command::Run(run)) = parse_line("run --demo --port=0 --state /tmp/x") else {
            panic!("not a run");
        };
        assert!(run.demo && !run.once);
        assert_eq!(run.port, 0);
        assert_eq!(run.state, PathBuf::from("/tmp/x"));
        assert_eq!(run.autotask_port, 8081);
        let Ok(Command::Run(once)) = parse_line("run --once --dry-run --job contract-poller")
        else {
            panic!("not a run");
        };
        assert!(once.once && once.dry_run);
        assert_eq!(once.job.as_deref(), Some("contract-poller"));
        assert_eq!(once.state, PathBuf::from(DEFAULT_DIR));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |line| parse_line(line).expect_err(line);
        assert_eq!(err("run --port"), "--port needs a value");
        assert_eq!(err("run --port x"), "--port takes a number, got \"x\"");
        assert_eq!(err("run --dry-run"), "run does not take --dry-run");
        assert!(err("run --bogus").contains("unknown option \"--bogus\""));
        assert!(err("mappings map 174").contains("--tenant ID or --new"));
        assert!(err("mappings map 174 --new --tenant t").contains("either"));
        assert!(err("mappings unmap abc").contains("COMPANY must be"));
        assert!(err("config get --days 3").contains("config get does not take --days"));
        assert!(err("frobnicate").contains("unknown command"));
        assert!(err("release").contains("--company ID or --all"));
        assert!(err("release --all --company 3").contains("either"));
        assert!(err("release --company x").contains("COMPANY must be"));
        assert_eq!(
            parse_line("release --company 174").map(|c| match c {
                Command::Client(_, r) => r,
                _ => Request::Jobs,
            }),
            Ok(Request::Release { company: Some(174) })
        );
        assert_eq!(
            parse_line("release --all").map(|c| match c {
                Command::Client(_, r) => r,
                _ => Request::Jobs,
            }),
            Ok(Request::Release { company: None })
        );
        assert!(err("credentials set github f.json").contains("autotask or acronis"));
        for bad in ["database adopt x", "database adopt 0", "database adopt +7"] {
            assert!(err(bad).contains("database number (ci)"), "{bad}");
        }
        assert!(parse_line("database adopt -7").is_err());
        assert_eq!(
            parse_line("database adopt 777").map(|c| match c {
                Command::Client(_, r) => r,
                _ => Request::Jobs,
            }),
            Ok(Request::DatabaseAdopt { ci: 777 })
        );
    }

    #[test]
    fn client_commands() {
        let Ok(Command::Client(
            args,
            Request::Map {
                company_id,
                target,
                read,
            },
        )) = parse_line(
            "mappings map 174 --tenant abc --url https://x.lambda-url.eu-west-1.on.aws/",
        )
        else {
            panic!("not a map");
        };
        assert_eq!(company_id, 174);
        assert_eq!(target, MapTarget::Tenant("abc".into()));
        assert_eq!(read, ExpectedMapping::Any);
        assert!(matches!(
            parse_line("mappings map 174 --tenant abc --if-mapped-to def"),
            Ok(Command::Client(_, Request::Map { read: ExpectedMapping::MappedTo(t), .. })) if t == "def"
        ));
        assert!(matches!(
            parse_line("mappings map 174 --new --if-unmapped"),
            Ok(Command::Client(
                _,
                Request::Map {
                    read: ExpectedMapping::Unmapped,
                    ..
                }
            ))
        ));
        assert!(matches!(
            parse_line("mappings unmap 174 --if-mapped-to def"),
            Ok(Command::Client(_, Request::Unmap { read: ExpectedMapping::MappedTo(t), .. })) if t == "def"
        ));
        assert!(
            parse_line("mappings map 174 --tenant abc --if-mapped-to d --if-unmapped").is_err()
        );
        assert_eq!(
            args.url.as_deref(),
            Some("https://x.lambda-url.eu-west-1.on.aws/")
        );
        assert_eq!(
            parse_line("config set -").map(|c| match c {
                Command::Client(_, r) => r,
                _ => Request::ConfigGet,
            }),
            Ok(Request::ConfigSet(None))
        );
        assert_eq!(
            parse_line("audit --kind mapping.created --limit 5").map(|c| match c {
                Command::Client(_, r) => r,
                _ => Request::ConfigGet,
            }),
            Ok(Request::Audit {
                since: None,
                until: None,
                kind: Some("mapping.created".into()),
                limit: Some(5)
            })
        );
        assert_eq!(parse_line("--help"), Ok(Command::Help));
        assert_eq!(parse_line(""), Ok(Command::Help));
    }

    #[test]
    fn jobs_commands() {
        let request = |line| match parse_line(line) {
            Ok(Command::Client(_, r)) => Ok(r),
            Ok(other) => panic!("{line}: {other:?}"),
            Err(e) => Err(e),
        };
        assert_eq!(request("jobs"), Ok(Request::Jobs));
        assert_eq!(request("jobs list --json"), Ok(Request::Jobs));
        assert_eq!(
            request("jobs run contract-poller --dry-run"),
            Ok(Request::RunJob {
                job: "contract-poller".into(),
                dry_run: true
            })
        );
        assert_eq!(
            request("jobs run contract-poller"),
            Ok(Request::RunJob {
                job: "contract-poller".into(),
                dry_run: false
            })
        );
        assert!(request("jobs --dry-run").is_err_and(|e| e.contains("does not take --dry-run")));
        assert!(request("jobs run").is_err_and(|e| e.contains("unknown command")));
        assert_eq!(request("plan"), Ok(Request::Plan { company: None }));
        assert_eq!(
            request("plan --company 176"),
            Ok(Request::Plan { company: Some(176) })
        );
        assert!(request("plan --company x").is_err_and(|e| e.contains("COMPANY must be")));
        assert_eq!(
            parse(
                ["pause", "--reason", "Autotask clean-up tonight"]
                    .map(str::to_owned)
                    .to_vec()
            )
            .map(|c| match c {
                Command::Client(_, r) => r,
                other => panic!("{other:?}"),
            }),
            Ok(Request::Pause {
                reason: "Autotask clean-up tonight".into()
            })
        );
        assert!(request("pause").is_err_and(|e| e.contains("needs --reason")));
        assert_eq!(request("resume"), Ok(Request::Resume { reason: None }));
        assert_eq!(
            request("resume --reason=done"),
            Ok(Request::Resume {
                reason: Some("done".into())
            })
        );
        assert!(request("resume --dry-run").is_err_and(|e| e.contains("does not take")));
        assert_eq!(
            request("tickets --company 175"),
            Ok(Request::Tickets { company: Some(175) })
        );
    }
}
