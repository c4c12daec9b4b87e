//! The operator commands: each one or two HTTP calls to the config endpoint, printed as
//! a table (or JSON with `--json`).

use crate::args::{ClientArgs, ExpectedMapping, MapTarget, Request};
use crate::client::{ApiClient, ClientAuth, is_loopback};
use crate::state::StateDir;
use crate::table::{cell, render};
use anyhow::{Context as _, bail};
use aws_credential_types::provider::ProvideCredentials;
use bridge_core::secret::Secret;
use bridge_jobs::sigv4::region_from_url;
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;

/// The client for `args`: the local runner (URL and token from the state folder) unless
/// `--url` says otherwise; any URL that is not loopback is signed with SigV4.
pub async fn connect(args: &ClientArgs) -> anyhow::Result<ApiClient> {
    let state = StateDir::new(&args.state);
    let url = match &args.url {
        Some(url) => url.clone(),
        None => state.read_url()?.with_context(|| {
            format!(
                "no local runner recorded in {} (start one with `bridge run`, or pass --url)",
                state.root().display()
            )
        })?,
    };
    let auth = if let Some(token) = &args.token {
        ClientAuth::Bearer(Secret::new(token.clone()))
    } else if is_loopback(&url) {
        let token = state.read_token()?.with_context(|| {
            format!(
                "no token in {} (the runner writes it on its first start; or pass --token)",
                state.token_path().display()
            )
        })?;
        ClientAuth::Bearer(token)
    } else {
        let region = match &args.region {
            Some(region) => region.clone(),
            None => region_from_url(&url)
                .ok_or_else(|| bridge_jobs::sigv4::SignError::NoRegion { url: url.clone() })?,
        };
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let provider = aws
            .credentials_provider()
            .context("no AWS credentials configured (the default chain found no provider)")?;
        let credentials = provider
            .provide_credentials()
            .await
            .context("cannot load AWS credentials to sign the request")?;
        ClientAuth::SigV4 {
            region,
            credentials,
        }
    };
    Ok(ApiClient::new(&url, auth)?)
}

/// Carries out one request and returns what to print.
pub async fn execute(
    client: &ApiClient,
    request: &Request,
    as_json: bool,
) -> anyhow::Result<String> {
    let answer = match request {
        Request::ConfigGet => return Ok(pretty(&client.get("/settings").await?)),
        Request::ConfigSet(file) => set_settings(client, read_json(file.as_deref())?).await?,
        Request::CredentialsGet => client.get("/credentials").await?,
        Request::CredentialsSet { api, file } => {
            client.put(api.path(), &read_json(file.as_deref())?).await?
        }
        Request::MappingsList => {
            let accounts = all_pages(client, "/accounts?mapped=mapped&limit=500").await?;
            if as_json {
                return Ok(pretty(&Value::Array(accounts)));
            }
            return Ok(mappings_table(&accounts));
        }
        Request::Map {
            company_id,
            target,
            read,
        } => {
            let body = match target {
                MapTarget::Tenant(id) => json!({ "tenant_id": id }),
                MapTarget::NewTenant => json!({ "new_tenant": true }),
            };
            let answer = client
                .put_with(
                    &format!("/customer-mappings/{company_id}"),
                    &body,
                    precondition(read).as_slice(),
                )
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            let mapping = answer.get("mapping");
            let tenant = cell(mapping.and_then(|m| m.get("tenant_id")));
            let sub_partner = mapping
                .and_then(|m| m.get("tenant_kind"))
                .is_some_and(|k| k == "sub_partner");
            return Ok(if sub_partner {
                format!(
                    "company {company_id} is mapped to sub-partner tenant {tenant} (usage aggregated; provisioning, deprovisioning and quota push leave it alone)"
                )
            } else {
                format!("company {company_id} is mapped to tenant {tenant}")
            });
        }
        Request::Unmap { company_id, read } => {
            let answer = client
                .delete_with(
                    &format!("/customer-mappings/{company_id}"),
                    precondition(read).as_slice(),
                )
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            let tenant = cell(answer.get("removed").and_then(|m| m.get("tenant_id")));
            return Ok(format!(
                "company {company_id} is no longer mapped (it was mapped to tenant {tenant})"
            ));
        }
        Request::Audit {
            since,
            until,
            kind,
            limit,
        } => {
            let query = query_string(&[
                ("since", since.clone()),
                ("until", until.clone()),
                ("kind", kind.clone()),
                ("limit", limit.map(|l| l.to_string())),
            ]);
            let answer = client.get(&format!("/audit{query}")).await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(audit_table(&answer));
        }
        Request::Forecast { days } => {
            let query = query_string(&[("days", days.map(|d| d.to_string()))]);
            let answer = client
                .get(&format!("/deprovisioning/forecast{query}"))
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(forecast_table(&answer));
        }
        Request::Release { company } => {
            let body = match company {
                Some(id) => json!({"companies": [id]}),
                None => json!({"all": true}),
            };
            let answer = client.post_json("/deprovisioning/release", &body).await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(release_text(&answer));
        }
        Request::Plan { company } => {
            let items = match company {
                Some(id) => list_of(&client.get(&format!("/plan?company={id}")).await?).to_vec(),
                None => all_pages(client, "/plan?limit=100").await?,
            };
            if as_json {
                return Ok(pretty(&Value::Array(items)));
            }
            // Held deprovisioning, from the forecast (which lists it without planning
            // every customer again).
            let forecast = client.get("/deprovisioning/forecast?days=0").await?;
            let held: Vec<Value> = list_of(forecast.get("held").unwrap_or(&Value::Null))
                .iter()
                .filter(|h| company.is_none_or(|id| h.get("company_id") == Some(&json!(id))))
                .cloned()
                .collect();
            let held = held_text(Some(&Value::Array(held)))
                .map(|h| {
                    format!(
                        "\n\ndeprovisioning held by the blast-radius guard (bridge release):\n{h}"
                    )
                })
                .unwrap_or_default();
            return Ok(format!("{}{held}", plan_text(&items)));
        }
        Request::Tickets { company } => {
            let path = match company {
                Some(id) => format!("/tickets?company={id}&limit=1000"),
                None => "/tickets?limit=1000".to_owned(),
            };
            let first = client.get(&path).await?;
            let skipped = list_of(first.get("skipped").unwrap_or(&Value::Null)).to_vec();
            let mut items = list_of(&first).to_vec();
            if let Some(token) = first.get("next_page_token").and_then(Value::as_str) {
                let rest = format!("{path}&page_token={}", urlencoding::encode(token));
                items.extend(all_pages(client, &rest).await?);
            }
            if as_json {
                return Ok(pretty(&json!({"items": items, "skipped": skipped})));
            }
            return Ok(tickets_text(&items, &skipped));
        }
        Request::DatabaseAdopt { ci } => {
            let answer = client
                .post_json("/database/adopt", &json!({ "ci": ci }))
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(adopted_text(&answer));
        }
        Request::Jobs => {
            let answer = client.get("/jobs").await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(jobs_table(&answer));
        }
        Request::RunJob { job, dry_run } => {
            let query = if *dry_run { "?dry_run=true" } else { "" };
            let answer = client
                .post(&format!("/jobs/{}/run{query}", urlencoding::encode(job)))
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(run_answer(&answer));
        }
        Request::Pause { reason } => {
            let answer = client
                .post_json("/pause", &json!({ "reason": reason }))
                .await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(pause_line(answer.get("pause")));
        }
        Request::Resume { reason } => {
            let body = match reason {
                Some(reason) => json!({ "reason": reason }),
                None => json!({}),
            };
            let answer = client.post_json("/resume", &body).await?;
            if as_json {
                return Ok(pretty(&answer));
            }
            return Ok(pause_line(answer.get("pause")));
        }
    };
    Ok(pretty(&answer))
}

/// PUTs a settings document (the sections with `version` beside them, as `config get`
/// prints). A document that carries its version (saved from `bridge config get`) keeps
/// it, so a change someone made since is refused (409) rather than overwritten; one
/// without is saved over the current version, read first.
async fn set_settings(client: &ApiClient, document: Value) -> anyhow::Result<Value> {
    let Value::Object(mut document) = document else {
        bail!("the settings document must be a JSON object");
    };
    if !document.contains_key("version") {
        let current = client.get("/settings").await?;
        let version = current.get("version").cloned().unwrap_or(Value::from(0));
        document.insert("version".into(), version);
    }
    Ok(client.put("/settings", &Value::Object(document)).await?)
}

/// Every item of a paged listing (`items` + `next_page_token`).
async fn all_pages(client: &ApiClient, path: &str) -> anyhow::Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page_path = match &token {
            Some(t) => format!("{path}&page_token={}", urlencoding::encode(t)),
            None => path.to_owned(),
        };
        let page = client.get(&page_path).await?;
        items.extend(list_of(&page).iter().cloned());
        token = page
            .get("next_page_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// The list in an answer: the answer itself, or its `items`.
fn list_of(answer: &Value) -> &[Value] {
    answer
        .as_array()
        .or_else(|| answer.get("items").and_then(Value::as_array))
        .map_or(&[], Vec::as_slice)
}

/// `bridge plan`: per customer, what the next quota push and usage report would change,
/// and why.
fn plan_text(items: &[Value]) -> String {
    if items.is_empty() {
        return "no company is mapped yet: nothing to push or report".into();
    }
    let mut out = Vec::new();
    for item in items {
        let head = format!(
            "company {} → tenant {}",
            cell(item.get("company_id")),
            cell(item.get("tenant_id"))
        );
        let field = |v: &Value, name: &str| list_of(v.get(name).unwrap_or(&Value::Null)).to_vec();
        if let Some(error) = item.get("error").and_then(Value::as_str) {
            out.push(format!("{head}: quotas: could not plan: {error}"));
        } else if let Some(skip) = item.get("skipped").and_then(Value::as_str) {
            out.push(format!("{head}: quotas: skipped: {skip}"));
        } else {
            let (lines, units, skipped) = (
                field(item, "lines"),
                field(item, "unit_lines"),
                field(item, "skipped_lines"),
            );
            if lines.is_empty() && units.is_empty() {
                out.push(format!("{head}: quotas up to date"));
            } else {
                out.push(format!("{head}:"));
            }
            for line in &lines {
                out.push(format!("  - {}", cell(Some(line))));
            }
            for line in &units {
                out.push(format!("  - Autotask {}", cell(Some(line))));
            }
            for line in &skipped {
                out.push(format!("  · left alone: {}", cell(Some(line))));
            }
        }
        let usage = item.get("usage").unwrap_or(&Value::Null);
        if usage.is_null() {
            continue;
        }
        let period = usage
            .pointer("/period/key")
            .and_then(Value::as_str)
            .unwrap_or("-");
        if let Some(error) = usage.get("error").and_then(Value::as_str) {
            out.push(format!("  usage: could not plan: {error}"));
            continue;
        }
        if let Some(skip) = usage.get("skipped").and_then(Value::as_str) {
            out.push(format!("  usage: skipped: {skip}"));
            continue;
        }
        let (lines, overuse, skipped) = (
            field(usage, "lines"),
            field(usage, "overuse_lines"),
            field(usage, "skipped_lines"),
        );
        if lines.is_empty() {
            out.push(format!("  usage {period}: up to date"));
        } else {
            out.push(format!("  usage {period}:"));
        }
        for line in &lines {
            out.push(format!("  - Autotask {}", cell(Some(line))));
        }
        for line in &overuse {
            out.push(format!("  ! overuse: {}", cell(Some(line))));
        }
        for line in &skipped {
            out.push(format!("  · left alone: {}", cell(Some(line))));
        }
    }
    out.join("\n")
}

/// `bridge tickets`: one row per alert, then the skipped alerts with why.
fn tickets_text(items: &[Value], skipped: &[Value]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|t| {
            vec![
                cell(t.get("company_id")),
                cell(t.get("alert_type")),
                cell(t.get("alert_id")),
                cell(
                    t.get("ticket_number")
                        .filter(|v| !v.is_null())
                        .or(t.get("ticket_id")),
                ),
                cell(t.get("state")),
                cell(t.get("last_action")),
                cell(t.get("last_seen_at")),
            ]
        })
        .collect();
    let mut out = if rows.is_empty() {
        "no alert has become a ticket yet".to_owned()
    } else {
        render(
            &[
                "company",
                "alert type",
                "alert",
                "ticket",
                "state",
                "last action",
                "last seen",
            ],
            &rows,
        )
    };
    for s in skipped {
        out.push_str(&format!(
            "\nskipped alert {} ({}): {}",
            cell(s.get("alert_id")),
            cell(s.get("tenant_id")),
            cell(s.get("reason"))
        ));
    }
    out
}

/// `bridge database adopt`: the database now recorded and what was forgotten.
fn adopted_text(answer: &Value) -> String {
    let mut out = format!(
        "started over with Autotask database {} ({})\n",
        cell(answer.pointer("/database/ci")),
        cell(answer.pointer("/database/zone_url"))
    );
    let forgotten: Vec<String> = answer
        .get("forgotten")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    out.push_str(&format!(
        "forgotten: {}\n",
        if forgotten.is_empty() {
            "nothing".to_owned()
        } else {
            forgotten.join(", ")
        }
    ));
    let cleared: Vec<String> = list_of(answer.get("settings_cleared").unwrap_or(&Value::Null))
        .iter()
        .map(|v| cell(Some(v)))
        .collect();
    if !cleared.is_empty() {
        out.push_str(&format!(
            "settings emptied (they named the old database's ids): {}\n",
            cleared.join(", ")
        ));
    }
    out
}

/// The pause switch in one line: who paused or resumed last, when and why.
fn pause_line(pause: Option<&Value>) -> String {
    let Some(pause) = pause.filter(|p| !p.is_null()) else {
        return String::new();
    };
    let reason = pause
        .get("reason")
        .and_then(Value::as_str)
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match (
        pause.get("paused").and_then(Value::as_bool),
        pause.get("by").and_then(Value::as_str),
    ) {
        (Some(true), _) => format!(
            "PAUSED by {} at {}{reason}; every run is a dry run until `bridge resume`\n",
            cell(pause.get("by")),
            cell(pause.get("at"))
        ),
        (_, Some(by)) => format!(
            "running (resumed by {by} at {}{reason})\n",
            cell(pause.get("at"))
        ),
        _ => "running (never paused)\n".to_owned(),
    }
}

/// `bridge jobs`: the pause switch, then one row per job.
fn jobs_table(answer: &Value) -> String {
    let rows: Vec<Vec<String>> = list_of(answer.get("jobs").unwrap_or(&Value::Null))
        .iter()
        .map(|job| {
            let schedules: Vec<String> = list_of(job.get("schedules").unwrap_or(&Value::Null))
                .iter()
                .map(|s| format!("{} {}", cell(s.get("name")), cell(s.get("expression"))))
                .collect();
            let on = match job.get("on").and_then(Value::as_bool) {
                Some(true) => "on".to_owned(),
                _ => format!("off ({})", cell(job.get("switch"))),
            };
            let last = job.get("last_run").filter(|r| !r.is_null());
            let last_run = match last {
                Some(run) => format!(
                    "{} {}{}",
                    cell(run.get("finished_at")),
                    if run.get("ok").and_then(Value::as_bool) == Some(true) {
                        "ok"
                    } else {
                        "failed"
                    },
                    if run.get("dry_run").and_then(Value::as_bool) == Some(true) {
                        " (dry run)"
                    } else {
                        ""
                    }
                ),
                None => "never".to_owned(),
            };
            let last_error = job
                .get("last_error")
                .filter(|e| !e.is_null())
                .map(|e| format!("{}: {}", cell(e.get("at")), cell(e.get("message"))))
                .unwrap_or_default();
            vec![
                cell(job.get("name")),
                on,
                schedules.join(", "),
                last_run,
                last_error,
            ]
        })
        .collect();
    let table = render(
        &["job", "state", "schedules", "last run", "last error"],
        &rows,
    );
    format!(
        "{}{}{table}",
        database_line(answer.get("database")),
        pause_line(answer.get("pause"))
    )
}

/// The Autotask database the jobs work on: one line, or the reason they are stopped.
fn database_line(database: Option<&Value>) -> String {
    let Some(database) = database.filter(|d| !d.is_null()) else {
        return String::new();
    };
    match database.get("message").and_then(Value::as_str) {
        Some(message) => format!("STOPPED: {message}\n"),
        None => format!(
            "Autotask database {} ({})\n",
            cell(database.get("ci")),
            cell(database.get("zone_url"))
        ),
    }
}

/// `bridge jobs run`: the run's line, or where its result will show.
fn run_answer(answer: &Value) -> String {
    match answer.get("status").and_then(Value::as_str) {
        Some("finished") => {
            let mut out = cell(answer.get("text"));
            let summary = answer.get("summary");
            let list = |name: &str| {
                summary
                    .and_then(|s| s.get(name))
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice)
            };
            // What the summary's counts stand for: who was skipped or failed, and why.
            for (label, name) in [("skipped", "skipped"), ("failed", "failed")] {
                for note in list(name) {
                    out.push_str(&format!(
                        "\n  {label} {}: {}",
                        cell(note.get("subject")),
                        cell(note.get("reason"))
                    ));
                }
                let total = summary
                    .and_then(|s| s.get(format!("{name}_total")))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let shown = list(name).len() as u64;
                if total > shown {
                    out.push_str(&format!("\n  … and {} more {label}", total - shown));
                }
            }
            for line in list("plan") {
                out.push_str(&format!("\n  - {}", cell(Some(line))));
            }
            out
        }
        _ => format!(
            "{} started in {}; {} (logs: {})",
            cell(answer.get("job")),
            cell(answer.get("function")),
            cell(answer.get("result")),
            cell(answer.get("logs"))
        ),
    }
}

fn mappings_table(accounts: &[Value]) -> String {
    if accounts.is_empty() {
        return "no company is mapped yet (bridge mappings map COMPANY --tenant ID | --new)".into();
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            let mapping = a.get("mapping");
            let field = |name: &str| mapping.and_then(|m| m.get(name));
            vec![
                cell(a.get("company_id")),
                cell(a.get("company_name")),
                cell(field("tenant_id")),
                cell(field("tenant").and_then(|t| t.get("name"))),
                cell(field("tenant_kind")),
                cell(field("origin")),
            ]
        })
        .collect();
    render(
        &["company", "name", "tenant", "tenant name", "kind", "origin"],
        &rows,
    )
}

fn audit_table(answer: &Value) -> String {
    let entries = list_of(answer);
    if entries.is_empty() {
        return "no audit entries".into();
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                cell(e.get("at")),
                cell(e.get("actor")),
                cell(e.get("kind")),
                cell(e.get("subject")),
                cell(e.get("reason")),
            ]
        })
        .collect();
    let mut out = render(&["at", "actor", "kind", "subject", "reason"], &rows);
    if answer.get("next_page_token").is_some_and(|t| !t.is_null()) {
        out.push_str("\n(more entries: narrow with --since/--until or raise --limit)");
    }
    out
}

/// The held deprovisioning, one line per held action, or `None` when nothing is held.
fn held_text(held: Option<&Value>) -> Option<String> {
    let held = held.and_then(Value::as_array).filter(|h| !h.is_empty())?;
    let mut out = String::new();
    for h in held {
        let state = if h.get("released") == Some(&Value::Bool(true)) {
            "released, applied by the next contract poller run"
        } else {
            "held"
        };
        out.push_str(&format!(
            "company {} (tenant {}), {state} since {}:\n",
            cell(h.get("company_id")),
            cell(h.get("tenant_id")),
            cell(h.get("held_at"))
        ));
        for line in h
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push_str(&format!("  {}\n", line.as_str().unwrap_or_default()));
        }
    }
    Some(out)
}

fn release_text(answer: &Value) -> String {
    let released: Vec<String> = list_of(answer.get("released").unwrap_or(&Value::Null))
        .iter()
        .map(|c| cell(Some(c)))
        .collect();
    let mut out = if released.is_empty() {
        "nothing released: no held company matched\n".to_owned()
    } else {
        format!(
            "released companies {}: the next contract poller run applies their deprovisioning\n",
            released.join(", ")
        )
    };
    match held_text(answer.get("held")) {
        Some(held) => {
            out.push_str("still held:\n");
            out.push_str(&held);
        }
        None => out.push_str("nothing else is held\n"),
    }
    out
}

fn forecast_table(answer: &Value) -> String {
    let held = held_text(answer.get("held"))
        .map(|h| {
            format!("\n\ndeprovisioning held by the blast-radius guard (bridge release):\n{h}")
        })
        .unwrap_or_default();
    format!("{}{held}", forecast_due(answer))
}

/// The deletions, then the disables, each with its dates (or why there are none).
fn forecast_due(answer: &Value) -> String {
    let days = cell(answer.get("days"));
    let deletions = list_of(answer);
    let mut out = if deletions.is_empty() {
        if answer.get("delete_customer") == Some(&Value::Bool(false)) {
            "deleting customers is off (deprovisioning.delete_customer): no tenant will be deleted"
                .to_owned()
        } else {
            format!("no tenant is due for deletion within {days} days")
        }
    } else {
        format!(
            "tenants due for deletion within {days} days (deleting destroys their backups):\n{}",
            dates_table(deletions)
        )
    };
    // An endpoint from before the disables were listed answers without them.
    let Some(disables) = answer.get("disables").and_then(Value::as_array) else {
        return out;
    };
    out.push_str("\n\n");
    if !disables.is_empty() {
        out.push_str(&format!(
            "tenants due to be disabled within {days} days (their backups stop; a past date: disabled already, or at the next sweep):\n{}",
            dates_table(disables)
        ));
    } else if answer.get("disable_customer") == Some(&Value::Bool(false)) {
        out.push_str(
            "disabling customers is off (deprovisioning.disable_customer): no tenant will be disabled before its deletion",
        );
    } else {
        out.push_str(&format!(
            "no tenant is due to be disabled within {days} days"
        ));
    }
    out
}

fn dates_table(rows: &[Value]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|d| {
            vec![
                cell(d.get("company_id")),
                cell(d.get("tenant_id")),
                cell(d.get("disable_on")),
                match d.get("delete_on") {
                    Some(Value::Null) => "never (deleting is off)".to_owned(),
                    on => cell(on),
                },
            ]
        })
        .collect();
    render(&["company", "tenant", "disable on", "delete on"], &rows)
}

fn query_string(params: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .map(|v| format!("{k}={}", urlencoding::encode(v)))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A JSON document from a file, or stdin for `None` (`-`).
fn read_json(file: Option<&Path>) -> anyhow::Result<Value> {
    let (text, name) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            path.display().to_string(),
        ),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read stdin")?;
            (text, "stdin".to_owned())
        }
    };
    // Only the position is reported: the document may hold a secret (credentials).
    serde_json::from_str(&text).or_else(|e| {
        bail!(
            "{name} is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The header that makes a mapping change conditional on what the operator read.
fn precondition(read: &ExpectedMapping) -> Option<(&'static str, String)> {
    match read {
        ExpectedMapping::Any => None,
        ExpectedMapping::Unmapped => Some(("if-none-match", "*".to_owned())),
        ExpectedMapping::MappedTo(tenant) => Some(("if-match", format!("\"{tenant}\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_encode_and_skip_missing() {
        assert_eq!(query_string(&[("days", None)]), "");
        assert_eq!(
            query_string(&[
                ("since", Some("2026-11-25T00:00:00+01:00".into())),
                ("kind", None),
                ("limit", Some("5".into()))
            ]),
            "?since=2026-11-25T00%3A00%3A00%2B01%3A00&limit=5"
        );
    }

    #[test]
    fn tables_read_items_and_say_when_empty() {
        let audit = json!({"items": [{"at": "2026-11-25T12:00:00Z", "actor": "local", "kind": "settings.updated", "subject": "settings", "reason": null}], "next_page_token": null});
        let table = audit_table(&audit);
        assert!(table.starts_with("at"), "{table}");
        assert!(table.contains("settings.updated  settings  -"), "{table}");
        assert_eq!(audit_table(&json!({"items": []})), "no audit entries");
        assert!(mappings_table(&[]).starts_with("no company is mapped"));
    }
}
