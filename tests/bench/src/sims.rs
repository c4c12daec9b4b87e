//! Both simulators in a child process (this binary started again with `simulators`),
//! so their memory and CPU never count towards a job's; and what the harness asks of
//! them over their control routes: latency, budget, request counts.

use anyhow::Context as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// The simulators' process; stopped when dropped.
pub struct Simulators {
    child: Child,
    pub zone_lookup: String,
    pub autotask: String,
    pub acronis: String,
    http: reqwest::Client,
}

impl Drop for Simulators {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The requests one simulator served since the last [`Simulators::take_requests`]:
/// `"<entity or route> <verb>"` → count.
pub type Counts = BTreeMap<String, u64>;

impl Simulators {
    /// Starts the child with the MSP scenario of `companies`.
    pub fn start(companies: usize) -> anyhow::Result<Simulators> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["simulators", "--companies", &companies.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the simulators' process")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the simulators' process has no stdout"))?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        let ["ready", zone_lookup, autotask, acronis] = parts.as_slice() else {
            anyhow::bail!("the simulators did not start: {line:?}");
        };
        Ok(Simulators {
            zone_lookup: (*zone_lookup).to_owned(),
            autotask: (*autotask).to_owned(),
            acronis: (*acronis).to_owned(),
            child,
            http: reqwest::Client::new(),
        })
    }

    /// Every request waits this long before it is served (0: none).
    pub async fn set_latency(&self, autotask_ms: u64, acronis_ms: u64) -> anyhow::Result<()> {
        for (base, ms) in [(&self.autotask, autotask_ms), (&self.acronis, acronis_ms)] {
            self.http
                .delete(format!("{base}/_sim/faults"))
                .send()
                .await?
                .error_for_status()?;
            if ms > 0 {
                self.http
                    .post(format!("{base}/_sim/faults"))
                    .json(&json!({"route": "*", "kind": "latency", "ms": ms}))
                    .send()
                    .await?
                    .error_for_status()?;
            }
        }
        Ok(())
    }

    /// Lifts Autotask's hourly request budget, so a large first sync is measured rather
    /// than throttled (the table shows what it spends against the real 10,000).
    pub async fn lift_budget(&self) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/_sim/autotask/threshold", self.autotask))
            .json(&json!({"limit": 10_000_000, "used": 0}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Both simulators' request counts since the last call; clears them.
    pub async fn take_requests(&self) -> anyhow::Result<(Counts, Counts)> {
        Ok((
            self.take(&self.autotask).await?,
            self.take(&self.acronis).await?,
        ))
    }

    async fn take(&self, base: &str) -> anyhow::Result<Counts> {
        let view: Value = self
            .http
            .get(format!("{base}/_sim/requests"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        self.http
            .delete(format!("{base}/_sim/requests"))
            .send()
            .await?
            .error_for_status()?;
        Ok(view["counts"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every record of an Autotask entity, through the control route (not counted).
    pub async fn autotask_records(&self, entity: &str) -> anyhow::Result<Vec<Value>> {
        let view: Value = self
            .http
            .get(format!("{}/_sim/autotask/records/{entity}", self.autotask))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(view
            .as_array()
            .cloned()
            .or_else(|| view["records"].as_array().cloned())
            .unwrap_or_default())
    }

    /// Fires one alert in Acronis, as a protection agent would.
    pub async fn fire_alert(&self, alert: &Value) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/_sim/acronis/alerts", self.acronis))
            .json(alert)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// The Autotask API as the bridge's API user calls it: `(zone URL, client)`; for
    /// changes the harness makes between runs (their requests are cleared before a run).
    pub async fn autotask_api(&self) -> anyhow::Result<AutotaskApi> {
        let zone: Value = self
            .http
            .get(format!(
                "{}v1.0/zoneInformation?user={}",
                self.zone_lookup,
                simulators::autotask::DEMO_USER
            ))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let url = zone["url"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no zone url in {zone}"))?
            .to_owned();
        Ok(AutotaskApi {
            zone: url,
            http: self.http.clone(),
        })
    }
}

pub struct AutotaskApi {
    zone: String,
    http: reqwest::Client,
}

impl AutotaskApi {
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}V1.0/{path}", self.zone))
            .header(
                "ApiIntegrationCode",
                simulators::autotask::DEMO_INTEGRATION_CODE,
            )
            .header("UserName", simulators::autotask::DEMO_USER)
            .header("Secret", simulators::autotask::DEMO_SECRET)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }
}

/// The child's side: both simulators with the MSP scenario, their URLs on stdout, until
/// the parent closes stdin.
pub async fn serve(companies: usize) -> anyhow::Result<()> {
    use std::io::Read;
    let scenario = simulators::scenario::generate_msp(companies);
    let autotask = simulators::autotask::start(scenario.autotask).await?;
    let acronis = simulators::acronis::start(scenario.acronis).await?;
    println!(
        "ready {} {} {}",
        autotask.zone_lookup_url(),
        autotask.base_url(),
        acronis.base_url()
    );
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    Ok(())
}
