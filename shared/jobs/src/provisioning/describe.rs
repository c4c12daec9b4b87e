//! The plan in words: the summary's plan lines (what a dry run shows).

use bridge_core::provisioning::{Action, PricingMode};

/// One action in words, for plan lines.
pub fn describe(action: &Action) -> String {
    match action {
        Action::CreateTenant(t) => format!(
            "create customer tenant {:?} (admin {}, activation email to {}, {}{}{}), or map again the one made for the company earlier",
            t.name,
            t.admin_login,
            t.activation_email,
            match t.pricing {
                PricingMode::Production => "production",
                PricingMode::Trial => "trial",
            },
            if t.mfa { ", 2FA" } else { "" },
            if t.default_storage_needed {
                ", default storage"
            } else {
                ""
            }
        ),
        Action::ResumePendingProvisioning { pending } => format!(
            "finish the interrupted provisioning of {:?}{}",
            pending.tenant.name,
            pending
                .tenant_id
                .as_deref()
                .map(|id| format!(" (tenant {id})"))
                .unwrap_or_default()
        ),
        Action::SwitchToProduction { tenant_id } => {
            format!("switch tenant {tenant_id} from trial to production")
        }
        Action::ZeroQuotas { tenant_id } => format!("set the quotas of tenant {tenant_id} to zero"),
        Action::StartDeprovisioningClock { tenant_id, since } => {
            format!("start the deprovisioning clock of tenant {tenant_id} at {since}")
        }
        Action::StopDeprovisioningClock { tenant_id } => {
            format!("stop the deprovisioning clock of tenant {tenant_id}")
        }
        Action::DisableTenant { tenant_id } => format!("disable tenant {tenant_id}"),
        Action::EnableTenant { tenant_id } => format!("enable tenant {tenant_id}"),
        Action::DeleteTenant { tenant_id } => {
            format!("delete tenant {tenant_id} (destroys its backups)")
        }
        Action::ForgetMapping { tenant_id } => {
            format!("forget the mapping to deleted tenant {tenant_id}")
        }
        Action::WatchDeletion {
            tenant_id,
            watch: Some(w),
        } => match w.disabled_since {
            Some(at) => format!(
                "list the deletion of tenant {tenant_id} for {} (listed since {}, disabled since {})",
                w.listed_for,
                w.listed_since.date_naive(),
                at.date_naive()
            ),
            None => format!(
                "list the deletion of tenant {tenant_id} for {} (listed since {})",
                w.listed_for,
                w.listed_since.date_naive()
            ),
        },
        Action::WatchDeletion {
            tenant_id,
            watch: None,
        } => format!("stop watching the deletion of tenant {tenant_id} (deleting is off)"),
        Action::Skip { reason } => format!("skip: {reason}"),
    }
}
