//! Provisioning and deprovisioning of customer tenants, in three steps: [`gather`] what
//! the pure planner needs of each company (mapped tenants' state, names or primary
//! contacts), [`plan`] each company with `bridge_core::provisioning::plan_company`, and
//! apply the plans ([`Applier`]). The contract poller runs them for the companies it
//! read; the mapping API provisions one company on request ([`provision_company`]).
//! Both create tenants the same way: a tenant made for the company earlier (same
//! `customer_id`) is mapped again before a new one is created.

mod actions;
mod apply;
mod describe;
mod gather;
mod guard;
mod manual;
mod plan;
mod provisioner;
mod tenants;

pub use actions::TenantActions;
pub use apply::Applier;
pub use describe::describe;
pub use gather::{
    Companies, Company, CompanyContracts, Gathered, company_names, gather, primary_contacts,
};
pub use guard::{Release, clear as clear_holds, held_json, hold, release};
pub use manual::{ProvisionError, provision_company};
pub use plan::plan;
pub use provisioner::Provisioner;
pub use tenants::{observe, observed};
