//! Change events: one per company whose snapshot changed; the nightly sweep announces
//! every mapped company as well, so quota push re-checks each one.

use crate::support::*;
use bridge_core::events::ChangeReason;

#[tokio::test]
async fn the_sweep_announces_every_mapped_company_and_polls_only_changes() {
    let mut world = World::start(settings()).await;
    world.add_company(187, "Steady Co", ("Stu", "Steady", "stu@steady.example"));
    world.add_contract(8701, 187, None);
    world.add_service(8701, WORKSTATIONS, 3);
    world.add_company(188, "Moving Co", ("Mo", "Ving", "mo@moving.example"));
    world.add_contract(8801, 188, None);
    world.add_service(8801, SERVERS, 1);
    // Stays unmapped: its primary contact has no email address.
    world.add_company(189, "Unmapped Co", ("Una", "Mapped", ""));
    world.add_contract(8901, 189, None);
    world.add_service(8901, WORKSTATIONS, 1);
    let first = world.sweep().await;
    assert!(first.failed.is_empty(), "{}", notes(&first));
    world.poll().await;
    assert!(
        world
            .store
            .get_mapping_by_company(189)
            .await
            .expect("read")
            .is_none()
    );
    let added = world.drain_events();
    assert_eq!(added.len(), 3, "{added:?}");
    assert!(
        added
            .iter()
            .all(|e| e.reason == ChangeReason::ContractAdded)
    );

    // An idle poll announces nothing.
    world.poll().await;
    assert!(world.drain_events().is_empty());

    // A change before the nightly sweep keeps its own reason.
    world.add_service(8801, M365_SEATS, 2);
    let sweep = world.sweep().await;
    assert!(sweep.failed.is_empty(), "{}", notes(&sweep));
    let mut events = world.drain_events();
    events.sort_by_key(|e| e.company_id);
    let seen: Vec<(i64, ChangeReason)> = events.iter().map(|e| (e.company_id, e.reason)).collect();
    assert_eq!(
        seen,
        vec![
            (187, ChangeReason::Sweep),
            (188, ChangeReason::ServicesChanged)
        ],
        "every mapped company, none unmapped"
    );
    for event in &events {
        let stored = world
            .store
            .get_contract_snapshot(event.company_id)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(event.snapshot_version, stored.version, "{event:?}");
    }

    // Polls go on announcing changes only.
    world.poll().await;
    assert!(world.drain_events().is_empty());
    // And the next night again every mapped company.
    world.advance_days(1);
    world.sweep().await;
    let nightly: Vec<(i64, ChangeReason)> = world
        .drain_events()
        .iter()
        .map(|e| (e.company_id, e.reason))
        .collect();
    assert_eq!(nightly.len(), 2, "{nightly:?}");
    assert!(
        nightly.iter().all(|(_, r)| *r == ChangeReason::Sweep),
        "{nightly:?}"
    );
}
