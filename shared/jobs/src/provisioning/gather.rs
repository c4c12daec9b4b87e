//! Gathering what the planner needs of each company: the mapped tenants' state (Acronis,
//! batches of 100), and names or primary contacts (Autotask, batched) only for the
//! companies about to get a tenant. Acronis is asked nothing unless a plan may need it.

use super::tenants;
use crate::{JobError, JobSummary};
use acronis::AcronisClient;
use autotask::models::{Company as AtCompany, Contact};
use autotask::{AutotaskClient, Filter, Query};
use bridge_core::contracts::CompanySnapshot;
use bridge_core::mapping::CustomerMapping;
use bridge_core::policy::Policy;
use bridge_core::provisioning::{
    ObservedTenant, PendingProvisioning, PrimaryContact, TenantNaming,
};
use bridge_core::records::Versioned;
use std::collections::{BTreeMap, BTreeSet};

/// What the caller already knows of the companies to plan.
pub struct Companies<'a> {
    pub contracts: BTreeMap<i64, CompanyContracts<'a>>,
    /// The mappings of these companies (others are ignored).
    pub mappings: BTreeMap<i64, CustomerMapping>,
    /// Provisionings a killed run left unfinished (others are ignored).
    pub pending: BTreeMap<i64, Versioned<PendingProvisioning>>,
}

/// A company's contract snapshot in this run.
#[derive(Clone, Copy)]
pub struct CompanyContracts<'a> {
    pub snapshot: &'a CompanySnapshot,
    /// The snapshot changed in this run: a skip is audited only then, not every minute.
    pub changed: bool,
}

/// Everything the planner needs of the companies of one run.
pub struct Gathered<'a> {
    /// The partner tenant the bridge's API client belongs to; new customers go under
    /// it. Empty when no plan can need Acronis.
    pub partner: String,
    pub companies: BTreeMap<i64, Company<'a>>,
}

/// One company as provisioning sees it.
pub struct Company<'a> {
    pub contracts: CompanyContracts<'a>,
    pub mapping: Option<CustomerMapping>,
    pub pending: Option<Versioned<PendingProvisioning>>,
    /// The mapped tenant; `None` when unmapped, or when it could not be read this run.
    pub tenant: Option<ObservedTenant>,
    /// Read only for a company about to get a tenant named after it.
    pub name: String,
    /// Read only for a company about to get a tenant named after its primary contact.
    pub primary_contact: Option<PrimaryContact>,
}

/// Reads what the planner needs of `companies` beyond what the caller knows.
pub async fn gather<'a>(
    autotask: &AutotaskClient,
    acronis: &AcronisClient,
    companies: Companies<'a>,
    policy: &Policy,
    summary: &mut JobSummary,
) -> Result<Gathered<'a>, JobError> {
    let Companies {
        contracts,
        mut mappings,
        mut pending,
    } = companies;
    mappings.retain(|company, _| contracts.contains_key(company));
    pending.retain(|company, _| contracts.contains_key(company));
    let needs_identity: BTreeSet<i64> = contracts
        .iter()
        .filter(|(company, c)| {
            policy.provisioning.auto_create
                && c.snapshot.has_active_acronis_services()
                && !mappings.contains_key(company)
                && !pending.contains_key(company)
        })
        .map(|(company, _)| *company)
        .collect();
    let wants_acronis = mappings.values().any(|m| !m.is_sub_partner())
        || !pending.is_empty()
        || !needs_identity.is_empty();
    let partner = if wants_acronis {
        acronis.tenant_id().await?
    } else {
        String::new()
    };
    // A sub-partner mapping is planned as a skip whatever its tenant's state: not read.
    let tenant_ids: Vec<String> = mappings
        .values()
        .filter(|m| !m.is_sub_partner())
        .map(|m| m.tenant_id.clone())
        .collect();
    let mut observed = tenants::observe(acronis, &partner, &tenant_ids, summary).await;
    let (mut names, mut contacts) = match policy.provisioning.naming {
        TenantNaming::CompanyName { .. } => (
            company_names(autotask, &needs_identity, summary).await?,
            BTreeMap::new(),
        ),
        TenantNaming::PrimaryContact => (
            BTreeMap::new(),
            primary_contacts(autotask, &needs_identity, summary).await?,
        ),
    };
    let companies = contracts
        .into_iter()
        .map(|(company, contracts)| {
            let mapping = mappings.remove(&company);
            let tenant = mapping
                .as_ref()
                .and_then(|m| observed.remove(&m.tenant_id).flatten());
            let gathered = Company {
                contracts,
                mapping,
                pending: pending.remove(&company),
                tenant,
                name: names.remove(&company).unwrap_or_default(),
                primary_contact: contacts.remove(&company),
            };
            (company, gathered)
        })
        .collect();
    Ok(Gathered { partner, companies })
}

/// Company names, for tenants named after the company.
pub async fn company_names(
    autotask: &AutotaskClient,
    companies: &BTreeSet<i64>,
    summary: &mut JobSummary,
) -> Result<BTreeMap<i64, String>, JobError> {
    if companies.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids: Vec<i64> = companies.iter().copied().collect();
    let rows: Vec<AtCompany> = autotask
        .query_in_chunks(
            "id",
            &ids,
            &Query::all().include_fields(["id", "companyName"]),
        )
        .await?;
    summary.read("companies", rows.len() as u64);
    Ok(rows
        .into_iter()
        .map(|c| (c.id, c.company_name.unwrap_or_default()))
        .collect())
}

/// Each company's primary contact (an active one first, when a company has several).
pub async fn primary_contacts(
    autotask: &AutotaskClient,
    companies: &BTreeSet<i64>,
    summary: &mut JobSummary,
) -> Result<BTreeMap<i64, PrimaryContact>, JobError> {
    if companies.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ids: Vec<i64> = companies.iter().copied().collect();
    let base = Query::new(Filter::eq("primaryContact", true)).include_fields([
        "id",
        "companyID",
        "firstName",
        "lastName",
        "emailAddress",
        "isActive",
    ]);
    let mut rows: Vec<Contact> = autotask.query_in_chunks("companyID", &ids, &base).await?;
    summary.read("contacts", rows.len() as u64);
    rows.sort_by_key(|c| (c.active() != Some(true), c.id));
    let mut out = BTreeMap::new();
    for c in rows {
        let Some(company) = c.company_id else {
            continue;
        };
        out.entry(company).or_insert_with(|| PrimaryContact {
            first_name: c.first_name.clone().unwrap_or_default(),
            last_name: c.last_name.clone().unwrap_or_default(),
            email: c.email_address.clone().filter(|e| !e.trim().is_empty()),
        });
    }
    Ok(out)
}
