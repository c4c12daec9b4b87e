use crate::{client, count, customer, sim};
use serde_json::json;
use simulators::acronis::GENERATED_STORAGE_ID;

#[tokio::test]
async fn storages_and_locations_of_a_customer() {
    let sim = sim(1).await;
    let azure = sim.add_storage(
        &customer(1),
        json!({"name": "Azure Backup", "backend_type": "azure"}),
    );
    let acronis = client(&sim);
    let infra = acronis.tenant_infra(&customer(1)).await.expect("infra ids");
    assert_eq!(infra, vec![GENERATED_STORAGE_ID.to_string(), azure.clone()]);
    let storages = acronis.infra(&infra).await.expect("storages");
    assert_eq!(storages.len(), 2);
    let az = storages
        .iter()
        .find(|s| s.id == azure)
        .expect("azure storage");
    assert_eq!(az.backend_type.as_deref(), Some("azure"));
    assert_eq!(az.name, "Azure Backup");
    let via_helper = acronis.tenant_storages(&customer(1)).await.expect("helper");
    assert_eq!(via_helper, storages);

    let locations = acronis
        .tenant_locations(&customer(1))
        .await
        .expect("location ids");
    assert_eq!(locations.len(), 1);
    let details = acronis.locations(&locations).await.expect("locations");
    assert_eq!(details[0].name, "Default location");
}

#[tokio::test]
async fn usages_of_one_tenant() {
    let sim = sim(3).await;
    sim.set_usage(
        &customer(3),
        json!({"name": "pw_base_workstations", "value": 42}),
    );
    let usages = client(&sim).usages(&customer(3)).await.expect("usages");
    let ws = usages
        .iter()
        .find(|u| u.name == "pw_base_workstations")
        .expect("workstations");
    assert_eq!(ws.absolute_value, 42);
    assert_eq!(ws.usage_name.as_deref(), Some("workstations"));
    let storage = usages
        .iter()
        .find(|u| u.name == "pw_base_storage")
        .expect("storage");
    assert_eq!(storage.absolute_value, 3 * 1_610_612_736);
    assert_eq!(storage.infra_id.as_deref(), Some(GENERATED_STORAGE_ID));
    assert_eq!(storage.offering_item.as_ref().map(|o| o.status), Some(1));
}

#[tokio::test]
async fn usage_batch_is_chunked_by_one_hundred() {
    let sim = sim(230).await;
    let acronis = client(&sim);
    let ids: Vec<String> = (1..=230).map(customer).collect();
    let batch = acronis.usages_batch(&ids).await.expect("batch");
    assert_eq!(batch.len(), 230);
    assert_eq!(count(&sim, "usages", "get"), 3, "100 + 100 + 30");
    let seventh = batch
        .iter()
        .find(|t| t.tenant == customer(7))
        .expect("customer 7");
    let ws = seventh
        .usages
        .iter()
        .find(|u| u.name == "pw_base_workstations")
        .expect("workstations");
    assert_eq!(ws.absolute_value, 0, "7 % 7");
    assert!(acronis.usages_batch(&[]).await.expect("none").is_empty());
    assert_eq!(count(&sim, "usages", "get"), 3);
}
