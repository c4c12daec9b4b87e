use crate::client;
use acronis::{AlertQuery, TenantKind};
use simulators::scenario::Scenario;

/// Everything the demo scenario holds decodes into the client's types.
#[tokio::test]
async fn reads_the_whole_demo_scenario() {
    let scenario = Scenario::demo().expect("demo scenario");
    let sim = simulators::acronis::start(scenario.acronis)
        .await
        .expect("simulator");
    let acronis = client(&sim);
    let partner = acronis.tenant_id().await.expect("own tenant");
    assert_eq!(
        acronis.get_tenant(&partner).await.expect("partner").kind,
        TenantKind::Partner
    );
    let customers = acronis.children_details(&partner).await.expect("customers");
    let contoso = customers
        .iter()
        .find(|t| t.name == "Contoso Ltd")
        .expect("Contoso");
    let ids: Vec<String> = customers.iter().map(|t| t.id.clone()).collect();
    let usages = acronis.usages_batch(&ids).await.expect("usages");
    assert_eq!(usages.len(), ids.len());
    let contoso_usage = usages
        .iter()
        .find(|u| u.tenant == contoso.id)
        .expect("Contoso usage");
    let ws = contoso_usage
        .usages
        .iter()
        .find(|u| u.name == "pw_base_workstations")
        .expect("workstations");
    assert_eq!(ws.absolute_value, 8);
    for id in &ids {
        let items = acronis.offering_items(id, None).await.expect("items");
        assert!(!items.is_empty());
        let storages = acronis.tenant_storages(id).await.expect("storages");
        assert!(!storages.is_empty());
    }
    let items = acronis
        .offering_items(&contoso.id, None)
        .await
        .expect("items");
    let quota = items
        .iter()
        .find(|i| i.name == "pw_base_workstations")
        .and_then(|i| i.quota)
        .expect("quota");
    assert_eq!((quota.value, quota.overage), (Some(10), Some(0)));
    acronis
        .alerts(&AlertQuery {
            show_deleted: true,
            ..AlertQuery::default()
        })
        .await
        .expect("alerts");
}
