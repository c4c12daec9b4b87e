//! Planning: each gathered company becomes the core's `CompanySituation`, and the pure
//! planner (`bridge_core::provisioning::plan_company`) decides.

use super::gather::{Company, Gathered};
use bridge_core::policy::Policy;
use bridge_core::provisioning::{CompanySituation, CurrentMapping, Plan, plan_company};
use chrono::{DateTime, Utc};

/// One plan per gathered company, in company order.
pub fn plan(gathered: &Gathered<'_>, policy: &Policy, now: DateTime<Utc>) -> Vec<Plan> {
    gathered
        .companies
        .iter()
        .map(|(&company_id, company)| {
            plan_company(
                &situation(company_id, company),
                &policy.provisioning,
                &policy.deprovisioning,
                now,
            )
        })
        .collect()
}

fn situation<'a>(company_id: i64, company: &Company<'a>) -> CompanySituation<'a> {
    CompanySituation {
        company_id,
        company_name: company.name.clone(),
        primary_contact: company.primary_contact.clone(),
        snapshot: company.contracts.snapshot,
        mapping: company.mapping.as_ref().map(|m| CurrentMapping {
            tenant_id: m.tenant_id.clone(),
            mapped_at: m.created_at,
            no_services_since: m.no_services_since,
            tenant_kind: m.tenant_kind,
            deletion: m.deletion.clone(),
        }),
        tenant: company.tenant.clone(),
        pending: company.pending.as_ref().map(|p| p.value.clone()),
    }
}
