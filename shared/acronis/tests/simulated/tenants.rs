use crate::{PARTNER, client, count, customer, sim};
use acronis::{Contact, Error, PricingMode, TenantCreate, TenantKind, TenantUpdate};
use serde_json::json;

#[tokio::test]
async fn reads_a_tenant_and_its_children() {
    let sim = sim(3).await;
    let acronis = client(&sim);
    let partner = acronis.get_tenant(PARTNER).await.expect("partner");
    assert_eq!(partner.kind, TenantKind::Partner);
    assert_eq!(partner.name, "MSP Partner");
    let kids = acronis.children(PARTNER).await.expect("children");
    assert_eq!(kids, (1..=3).map(customer).collect::<Vec<_>>());
    let detailed = acronis.children_details(PARTNER).await.expect("details");
    assert_eq!(detailed.len(), 3);
    assert!(
        detailed
            .iter()
            .all(|t| t.kind == TenantKind::Customer && t.enabled)
    );
    assert_eq!(detailed[1].customer_id.as_deref(), Some("2"));
}

#[tokio::test]
async fn missing_tenant_is_not_found() {
    let sim = sim(1).await;
    let err = client(&sim)
        .get_tenant("00000000-0000-4000-8000-00000000dead")
        .await
        .expect_err("unknown");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn batch_read_chunks_by_one_hundred() {
    let sim = sim(150).await;
    let acronis = client(&sim);
    let mut ids: Vec<String> = (1..=150).map(customer).collect();
    ids.push("00000000-0000-4000-8000-00000000dead".into());
    let tenants = acronis.get_tenants(&ids).await.expect("batch");
    assert_eq!(tenants.len(), 150, "unknown ids are skipped");
    assert_eq!(count(&sim, "tenants", "list"), 2);
    assert!(acronis.get_tenants(&[]).await.expect("empty").is_empty());
    assert_eq!(count(&sim, "tenants", "list"), 2, "no request for no ids");
}

#[tokio::test]
async fn creates_and_updates_a_customer() {
    let sim = sim(0).await;
    let acronis = client(&sim);
    let mut create = TenantCreate::new("Contoso Ltd", TenantKind::Customer, PARTNER);
    create.customer_id = Some("29683".into());
    create.contact = Some(Contact {
        email: Some("it@contoso.example".into()),
        firstname: Some("Ann".into()),
        ..Contact::default()
    });
    let created = acronis.create_tenant(&create).await.expect("create");
    assert_eq!(created.version, 1);
    assert_eq!(created.pricing_mode, Some(PricingMode::Trial));
    assert_eq!(
        created.contact.as_ref().and_then(|c| c.email.as_deref()),
        Some("it@contoso.example")
    );

    let renamed = acronis
        .update_tenant(
            &created.id,
            &TenantUpdate {
                version: created.version,
                name: Some("Contoso Limited".into()),
                internal_tag: Some("autotask:29683".into()),
                ..TenantUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(renamed.version, 2);
    assert_eq!(
        sim.tenant(&created.id).expect("in sim")["name"],
        "Contoso Limited"
    );

    let stale = acronis
        .update_tenant(
            &created.id,
            &TenantUpdate {
                version: 1,
                language: Some("de".into()),
                ..TenantUpdate::default()
            },
        )
        .await
        .expect_err("stale version");
    assert!(matches!(stale, Error::VersionConflict { .. }), "{stale}");
}

#[tokio::test]
async fn duplicate_name_is_an_api_error_with_its_code() {
    let sim = sim(1).await;
    let err = client(&sim)
        .create_tenant(&TenantCreate::new(
            "Company 00001",
            TenantKind::Customer,
            PARTNER,
        ))
        .await
        .expect_err("taken name");
    match err {
        Error::Api { status, code, .. } => {
            assert_eq!(status, 409);
            assert_eq!(code.as_deref(), Some("1004"));
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn update_with_retry_rereads_after_a_change_behind_our_back() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let id = customer(1);
    let mut asked = 0;
    let updated = acronis
        .update_tenant_with_retry(&id, |tenant| {
            asked += 1;
            if asked == 1 {
                // An admin edits the tenant in the console between our read and write.
                sim.set_tenant_fields(&id, json!({"internal_tag": "console edit"}));
            }
            Some(TenantUpdate {
                customer_id: Some(format!(
                    "{}-x",
                    tenant.customer_id.clone().unwrap_or_default()
                )),
                ..TenantUpdate::default()
            })
        })
        .await
        .expect("update after conflict");
    assert_eq!(asked, 2);
    assert_eq!(updated.customer_id.as_deref(), Some("1-x"));
    assert_eq!(updated.internal_tag.as_deref(), Some("console edit"));
    assert_eq!(count(&sim, "tenants", "update"), 2);
}

#[tokio::test]
async fn enabling_an_enabled_tenant_writes_nothing() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let t = acronis
        .set_tenant_enabled(&customer(1), true)
        .await
        .expect("noop");
    assert!(t.enabled);
    assert_eq!(count(&sim, "tenants", "update"), 0);
    let t = acronis
        .set_tenant_enabled(&customer(1), false)
        .await
        .expect("disable");
    assert!(!t.enabled);
    assert_eq!(sim.tenant(&customer(1)).expect("tenant")["enabled"], false);
}

#[tokio::test]
async fn enabled_tenant_cannot_be_deleted_directly() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let t = acronis.get_tenant(&customer(1)).await.expect("tenant");
    let err = acronis
        .delete_tenant(&t.id, t.version)
        .await
        .expect_err("enabled");
    assert!(
        matches!(&err, Error::Api { status: 400, code: Some(c), .. } if c == "1006"),
        "{err}"
    );
    assert!(sim.tenant(&t.id).is_some());
}

#[tokio::test]
async fn disable_and_delete_removes_the_tenant_and_converges() {
    let sim = sim(2).await;
    let acronis = client(&sim);
    acronis
        .disable_and_delete(&customer(2))
        .await
        .expect("delete");
    assert!(sim.tenant(&customer(2)).is_none());
    assert_eq!(count(&sim, "tenants", "update"), 1);
    assert_eq!(count(&sim, "tenants", "delete"), 1);
    acronis
        .disable_and_delete(&customer(2))
        .await
        .expect("rerun is fine");
    assert_eq!(count(&sim, "tenants", "delete"), 1);
    assert_eq!(
        acronis.children(PARTNER).await.expect("kids"),
        vec![customer(1)]
    );
}

#[tokio::test]
async fn self_service_tenant_is_forbidden_to_change() {
    let sim = sim(1).await;
    sim.set_tenant_fields(&customer(1), json!({"ancestral_access": false}));
    let acronis = client(&sim);
    let tenant = acronis
        .get_tenant(&customer(1))
        .await
        .expect("read is fine");
    assert!(tenant.is_self_service());
    let err = acronis
        .set_tenant_enabled(&customer(1), false)
        .await
        .expect_err("locked out");
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn search_finds_tenants_by_name_prefix() {
    let sim = sim(12).await;
    let acronis = client(&sim);
    let hits = acronis
        .search(PARTNER, "company 0001")
        .await
        .expect("search");
    let mut names: Vec<_> = hits.iter().filter_map(|h| h.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Company 00010", "Company 00011", "Company 00012"]);
    assert!(hits.iter().all(|h| h.obj_type == "tenant"));
    let err = acronis.search(PARTNER, "co").await.expect_err("too short");
    assert!(matches!(err, Error::InvalidArgument { field: "text", .. }));
    assert_eq!(count(&sim, "search", "get"), 1);
}

#[tokio::test]
async fn trial_switches_to_production_once() {
    let sim = sim(0).await;
    let acronis = client(&sim);
    let t = acronis
        .create_tenant(&TenantCreate::new(
            "Trial Co",
            TenantKind::Customer,
            PARTNER,
        ))
        .await
        .expect("create");
    let pricing = acronis.pricing(&t.id).await.expect("pricing");
    assert_eq!(pricing.mode, PricingMode::Trial);
    let switched = acronis.switch_to_production(&t.id).await.expect("switch");
    assert_eq!(switched.mode, PricingMode::Production);
    assert!(switched.production_start_date.is_some());
    acronis.switch_to_production(&t.id).await.expect("again");
    assert_eq!(
        count(&sim, "pricing", "update"),
        1,
        "second switch is a read only"
    );
}

#[tokio::test]
async fn two_factor_authentication_is_switched_on() {
    let sim = sim(1).await;
    let acronis = client(&sim);
    let before = acronis.mfa_status(&customer(1)).await.expect("status");
    assert!(!before.is_enabled());
    acronis.set_mfa(&customer(1), true).await.expect("enable");
    assert!(
        acronis
            .mfa_status(&customer(1))
            .await
            .expect("status")
            .is_enabled()
    );
}
