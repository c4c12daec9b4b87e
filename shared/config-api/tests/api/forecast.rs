//! The deprovisioning forecast through HTTP: the disables with their dates beside the
//! deletions, as the docs promise.

use crate::common;

use axum::http::StatusCode;
use bridge_core::mapping::{CustomerMapping, DeletionWatch, MappedTenantKind, MappingOrigin};
use bridge_core::settings::Settings;
use chrono::{DateTime, Duration, Utc};
use common::Env;
use serde_json::json;

const CONTOSO: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e10";
const FABRIKAM: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e11";
const TAILSPIN: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e13";
const WINGTIP_RESELLER: &str = "3f2a7c10-5b1e-4d2a-9c4e-1a0b2c3d4e30";

async fn clocked(env: &Env, company_id: i64, tenant_id: &str, since: DateTime<Utc>) {
    let kind = if tenant_id == WINGTIP_RESELLER {
        MappedTenantKind::SubPartner
    } else {
        MappedTenantKind::Customer
    };
    env.store
        .put_mapping(&CustomerMapping {
            held: None,
            // The deletion notices served on time: listed from the clock's start,
            // disabled on day 10 (`docs/safety.md`).
            deletion: Some(DeletionWatch {
                listed_for: since.date_naive() + Duration::days(30),
                listed_since: since,
                disabled_since: Some(since + Duration::days(10)),
            }),
            company_id,
            tenant_id: tenant_id.into(),
            origin: MappingOrigin::Manual,
            created_at: since,
            no_services_since: Some(since),
            tenant_kind: kind,
        })
        .await
        .expect("mapping");
}

async fn deprovisioning(env: &Env, disable: bool, delete: bool) {
    let current = env.store.get_settings().await.expect("read");
    let mut settings = current
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_else(Settings::default);
    settings.deprovisioning.disable_customer = disable;
    settings.deprovisioning.disable_after_days = 10;
    settings.deprovisioning.delete_customer = delete;
    settings.deprovisioning.delete_after_days = 30;
    env.store
        .put_settings(&settings, current.map(|s| s.version))
        .await
        .expect("settings");
}

fn day(at: DateTime<Utc>, days: i64) -> String {
    (at.date_naive() + Duration::days(days)).to_string()
}

#[tokio::test]
async fn the_forecast_shows_the_disables_with_their_dates_beside_the_deletions() {
    let env = Env::sqlite().await;
    let now = Utc::now();
    // Clocks started 3 and 25 days ago, and 25 days ago for a sub-partner (never touched).
    let (recent, older) = (now - Duration::days(3), now - Duration::days(25));
    clocked(&env, 175, CONTOSO, recent).await;
    clocked(&env, 177, TAILSPIN, older).await;
    clocked(&env, 176, WINGTIP_RESELLER, older).await;
    clocked(&env, 178, FABRIKAM, now - Duration::days(1)).await;

    // As in the demo: disabling on after 10 days, deleting off.
    deprovisioning(&env, true, false).await;
    let (status, body) = env.get("/deprovisioning/forecast?days=8").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"], json!([]), "{body}");
    assert_eq!(body["disable_customer"], true);
    assert_eq!(body["delete_customer"], false);
    assert_eq!(
        body["disables"],
        json!([
            {"company_id": 177, "tenant_id": TAILSPIN, "disable_on": day(older, 10), "delete_on": null},
            {"company_id": 175, "tenant_id": CONTOSO, "disable_on": day(recent, 10), "delete_on": null},
        ]),
        "overdue first (disabled already or at the next sweep), then soonest; {body}"
    );

    // Deleting on as well: the deletion is listed with both dates, the disables still.
    deprovisioning(&env, true, true).await;
    let (_, body) = env.get("/deprovisioning/forecast?days=8").await;
    assert_eq!(
        body["items"],
        json!([{"company_id": 177, "tenant_id": TAILSPIN, "disable_on": day(older, 10), "delete_on": day(older, 30)}]),
        "{body}"
    );
    assert_eq!(body["disables"][1]["delete_on"], day(recent, 30), "{body}");
    let (_, body) = env.get("/deprovisioning/forecast?days=0").await;
    assert_eq!(
        body["disables"].as_array().map(Vec::len),
        Some(1),
        "only the overdue one: {body}"
    );

    // Disabling off: nothing is disabled ahead of a deletion.
    deprovisioning(&env, false, true).await;
    let (_, body) = env.get("/deprovisioning/forecast?days=8").await;
    assert_eq!(body["disables"], json!([]), "{body}");
    assert_eq!(body["items"][0]["company_id"], 177, "{body}");
}
