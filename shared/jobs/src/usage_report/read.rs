//! What the usage job reads from Acronis: the usage of many tenants per request, the
//! customers under a sub-partner, and the storages of customers billed for public
//! cloud storage.

use acronis::{AcronisClient, TenantKind, Usage};
use bridge_core::contracts::OfferingItemRef;
use bridge_core::text::bounded;
use bridge_core::usage::{TenantStorages, UsageFigure};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

/// Tenants per batched usage request (the client's chunk size; the server limit is
/// undocumented).
const BATCH: usize = 100;

/// Batched usage requests in flight at once.
const READ_CONCURRENCY: usize = 4;

/// More figures than this for one tenant is not a real tenant's usage list.
pub const MAX_FIGURES: usize = 2_000;

/// Longest item name kept; a longer one can match no mapping.
const MAX_ITEM_NAME: usize = 128;

/// A sub-partner's tree is walked this deep (sub-partner → folders/partners → customers).
const MAX_DEPTH: usize = 4;

/// Most customers aggregated under one sub-partner.
const MAX_UNDER_SUB_PARTNER: usize = 10_000;

/// One tenant's figures, or why they could not be read.
pub type TenantRead = Result<Vec<UsageFigure>, String>;

/// How many usage requests a read took, for the summary.
#[derive(Debug, Default)]
pub struct UsageReads {
    pub tenants: BTreeMap<String, TenantRead>,
    pub requests: u64,
}

/// The usage of every tenant in `ids`, [`BATCH`] tenants per request, [`READ_CONCURRENCY`]
/// requests at a time. A refused batch is
/// split in halves until the tenant that makes it fail stands alone (Acronis refuses a
/// whole batch for one tenant it will not show, e.g. one moved out of the MSP's tree),
/// so one bad tenant costs only its own report. An outage (a transient error) is not
/// split: every tenant of that batch fails this run.
pub async fn usages(acronis: &AcronisClient, ids: &[String], read_at: DateTime<Utc>) -> UsageReads {
    // Owned chunks: a borrowed one makes the future's lifetime too general for `Send`.
    let owned: Vec<Vec<String>> = ids.chunks(BATCH).map(<[String]>::to_vec).collect();
    let chunks: Vec<UsageReads> = futures_util::stream::iter(owned)
        .map(|chunk| async move { read_chunk(acronis, &chunk, read_at).await })
        .buffer_unordered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut out = UsageReads::default();
    for chunk in chunks {
        out.tenants.extend(chunk.tenants);
        out.requests += chunk.requests;
    }
    out
}

/// One batch of tenants, split in halves while Acronis refuses it.
async fn read_chunk(
    acronis: &AcronisClient,
    chunk: &[String],
    read_at: DateTime<Utc>,
) -> UsageReads {
    let mut out = UsageReads::default();
    let mut pending: Vec<&[String]> = vec![chunk];
    while let Some(batch) = pending.pop() {
        out.requests += 1;
        match acronis.usages_batch(batch).await {
            Ok(answer) => {
                let mut answered: BTreeMap<String, Vec<Usage>> =
                    answer.into_iter().map(|t| (t.tenant, t.usages)).collect();
                for id in batch {
                    let read = match answered.remove(id) {
                        Some(usages) => figures(&usages, read_at),
                        None => Err("Acronis returned no usage for this tenant (deleted?)".into()),
                    };
                    out.tenants.insert(id.clone(), read);
                }
            }
            Err(e) if batch.len() == 1 || e.is_transient() => {
                let why = format!("usage could not be read: {}", bounded(&e.to_string(), 300));
                for id in batch {
                    out.tenants.insert(id.clone(), Err(why.clone()));
                }
            }
            Err(_) => {
                let (left, right) = batch.split_at(batch.len() / 2);
                pending.push(right);
                pending.push(left);
            }
        }
    }
    out
}

/// The figures of one tenant's usage list: the `absolute_value` of each item, measured
/// when Acronis last refreshed it (`updated_at`), or when it was read if Acronis does
/// not say.
pub fn figures(usages: &[Usage], read_at: DateTime<Utc>) -> TenantRead {
    if usages.len() > MAX_FIGURES {
        return Err(format!(
            "Acronis returned {} usage figures for the tenant; at most {MAX_FIGURES} are read",
            usages.len()
        ));
    }
    Ok(usages
        .iter()
        .filter(|u| !u.name.is_empty() && u.name.len() <= MAX_ITEM_NAME)
        .filter(|u| u.infra_id.as_ref().is_none_or(|i| i.len() <= MAX_ITEM_NAME))
        .map(|u| UsageFigure {
            item: OfferingItemRef {
                name: u.name.clone(),
                infra_id: u.infra_id.clone(),
            },
            value: u.absolute_value,
            measured_at: u
                .updated_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(read_at, |t| t.with_timezone(&Utc))
                .min(read_at),
        })
        .collect())
}

/// The customer tenants under a sub-partner (through its folders and partners), less
/// those mapped to a company of their own.
pub async fn customers_under(
    acronis: &AcronisClient,
    sub_partner: &str,
    mapped_on_their_own: &BTreeSet<String>,
) -> Result<Vec<String>, acronis::Error> {
    let mut customers = Vec::new();
    let mut level = vec![sub_partner.to_owned()];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for parent in &level {
            for child in acronis.children_details(parent).await? {
                match child.kind {
                    TenantKind::Customer if !mapped_on_their_own.contains(&child.id) => {
                        customers.push(child.id)
                    }
                    TenantKind::Partner | TenantKind::Folder => next.push(child.id),
                    _ => {}
                }
            }
        }
        if customers.len() > MAX_UNDER_SUB_PARTNER {
            customers.truncate(MAX_UNDER_SUB_PARTNER);
            break;
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    customers.sort();
    customers.dedup();
    Ok(customers)
}

/// The storages of a tenant, by backend type (two requests; only for customers whose
/// contracts bill public cloud storage).
pub async fn storages(
    acronis: &AcronisClient,
    tenant: &str,
) -> Result<TenantStorages, acronis::Error> {
    let storages = acronis.tenant_storages(tenant).await?;
    Ok(TenantStorages::from_backends(storages.iter().map(|s| {
        (
            s.id.as_str(),
            s.backend_type.as_deref().unwrap_or("acronis"),
        )
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn usage(name: &str, infra: Option<&str>, value: u64, updated_at: Option<&str>) -> Usage {
        serde_json::from_value(serde_json::json!({
            "name": name, "infra_id": infra, "absolute_value": value, "value": value,
            "updated_at": updated_at,
        }))
        .expect("usage")
    }

    #[test]
    fn figures_keep_the_refresh_time_and_refuse_what_no_tenant_reports() {
        let read_at = Utc
            .with_ymd_and_hms(2026, 11, 12, 9, 0, 0)
            .single()
            .expect("time");
        let long = "x".repeat(MAX_ITEM_NAME + 1);
        let usages = vec![
            usage(
                "pw_base_workstations",
                None,
                3,
                Some("2026-11-12T04:00:00Z"),
            ),
            usage("pw_base_storage", Some("infra-1"), 1 << 30, None),
            usage("pw_base_servers", None, 1, Some("2026-11-13T00:00:00Z")),
            usage("pw_base_vms", None, 2, Some("not a time")),
            usage(&long, None, 9, None),
            usage("", None, 9, None),
        ];
        let figures = figures(&usages, read_at).expect("figures");
        let got: Vec<(String, u64, String)> = figures
            .iter()
            .map(|f| (f.item.to_string(), f.value, f.measured_at.to_rfc3339()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "pw_base_workstations".into(),
                    3,
                    "2026-11-12T04:00:00+00:00".into()
                ),
                (
                    "pw_base_storage@infra-1".into(),
                    1 << 30,
                    read_at.to_rfc3339()
                ),
                // A refresh time in the future is not believed beyond the read.
                ("pw_base_servers".into(), 1, read_at.to_rfc3339()),
                ("pw_base_vms".into(), 2, read_at.to_rfc3339()),
            ]
        );
        let flood: Vec<Usage> = (0..=MAX_FIGURES)
            .map(|i| usage(&format!("item_{i}"), None, 1, None))
            .collect();
        let refused = super::figures(&flood, read_at).expect_err("too many");
        assert!(refused.contains("at most 2000"), "{refused}");
    }
}
