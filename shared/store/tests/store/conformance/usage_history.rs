//! Usage history: usage days per tenant and day (latest within a range), usage reports
//! per company; written in batches of any size, read 100 at a time, bounded.

use super::*;

use std::collections::BTreeMap;

use bridge_core::contracts::OfferingItemRef;
use bridge_core::records::{JobErrorRecord, UsageDay, UsageReport};
use bridge_core::usage::{Overuse, SkippedUsage, UsageFigure};
use bridge_store::store::{
    MAX_USAGE_FIGURES, MAX_USAGE_HISTORY_KEYS, MAX_USAGE_NAME_CHARS, MAX_USAGE_REASON_CHARS,
    MAX_USAGE_RECORD_BYTES, MAX_USAGE_REPORT_ENTRIES, MAX_USAGE_WHAT_CHARS,
};
use chrono::{Days, NaiveDate};

const INFRA: &str = "d6b1d9e2-0000-4000-8000-00000000aaaa";

/// `n` days after the day of [`t0`].
fn day(n: u64) -> NaiveDate {
    t0().date_naive()
        .checked_add_days(Days::new(n))
        .expect("date in range")
}

fn tenant(i: usize) -> String {
    format!("c1000000-0000-4000-8000-{i:012}")
}

fn figure(name: &str, infra_id: Option<&str>, value: u64) -> UsageFigure {
    UsageFigure {
        item: OfferingItemRef {
            name: name.to_owned(),
            infra_id: infra_id.map(str::to_owned),
        },
        value,
        measured_at: t0(),
    }
}

/// What was read of `tenant` on day `n`, at noon; `value` tells records apart.
pub(super) fn usage_day(tenant: &str, n: u64, value: u64) -> UsageDay {
    let day = day(n);
    UsageDay {
        tenant_id: tenant.to_owned(),
        day,
        figures: vec![
            figure("workstations", None, value),
            figure("pw_base_storage", Some(INFRA), value << 30),
        ],
        seen_at: day.and_hms_opt(12, 0, 0).expect("noon").and_utc(),
    }
}

pub(super) fn report(company_id: i64, written: u32) -> UsageReport {
    UsageReport {
        company_id,
        tenant_id: tenant(company_id as usize),
        period: Some("2026-10".to_owned()),
        reported_at: t0() + secs(60),
        written,
        skipped: vec![SkippedUsage {
            what: format!("pw_base_storage@{INFRA} class 2 (billed)"),
            reason: "no usage figure for pw_base_storage_class2".to_owned(),
        }],
        overuse: vec![Overuse {
            what: "servers".to_owned(),
            quota: 2,
            used: 3,
        }],
        last_error: Some(JobErrorRecord {
            at: t0() + secs(61),
            message: "Autotask refused contract service 9001: period is posted".to_owned(),
        }),
    }
}

fn assert_invalid(err: StoreError, expected_field: &str) {
    match err {
        StoreError::Invalid { field, .. } => assert_eq!(field, expected_field),
        other => panic!("expected Invalid {expected_field}, got {other:?}"),
    }
}

/// The value of the `workstations` figure of each record: which record was returned.
fn values(days: &BTreeMap<String, UsageDay>) -> BTreeMap<String, (NaiveDate, u64)> {
    days.iter()
        .map(|(tenant, record)| (tenant.clone(), (record.day, record.figures[0].value)))
        .collect()
}

pub async fn usage_days_replace_the_same_day(store: SharedStore) {
    let a = tenant(1);
    store
        .put_usage_days(&[usage_day(&a, 3, 10)])
        .await
        .expect("put");
    let read = store
        .latest_usage_days(std::slice::from_ref(&a), day(0), day(5))
        .await
        .expect("read");
    assert_eq!(read.get(&a), Some(&usage_day(&a, 3, 10)));

    // A later read of the same day replaces it.
    store
        .put_usage_days(&[usage_day(&a, 3, 11)])
        .await
        .expect("replace");
    let read = store
        .latest_usage_days(std::slice::from_ref(&a), day(0), day(5))
        .await
        .expect("read");
    assert_eq!(read.get(&a), Some(&usage_day(&a, 3, 11)));

    // Of two records of one tenant and day in one call, the later stays.
    store
        .put_usage_days(&[
            usage_day(&a, 3, 12),
            usage_day(&a, 2, 1),
            usage_day(&a, 3, 13),
        ])
        .await
        .expect("put twice in one call");
    let read = store
        .latest_usage_days(std::slice::from_ref(&a), day(3), day(3))
        .await
        .expect("read");
    assert_eq!(read.get(&a), Some(&usage_day(&a, 3, 13)));
    let read = store
        .latest_usage_days(std::slice::from_ref(&a), day(0), day(2))
        .await
        .expect("read");
    assert_eq!(read.get(&a), Some(&usage_day(&a, 2, 1)));

    store.put_usage_days(&[]).await.expect("nothing to write");
}

pub async fn usage_days_latest_within_the_range(store: SharedStore) {
    let (a, b, c, d, e) = (tenant(1), tenant(2), tenant(3), tenant(4), tenant(5));
    store
        .put_usage_days(&[
            // a: days 1, 4, 9 and 20.
            usage_day(&a, 1, 1),
            usage_day(&a, 4, 4),
            usage_day(&a, 9, 9),
            usage_day(&a, 20, 20),
            // b: the last day of the range exactly.
            usage_day(&b, 10, 100),
            usage_day(&b, 2, 102),
            // c: only after the range; d: only before it.
            usage_day(&c, 11, 300),
            usage_day(&d, 2, 400),
            // e: only on the first day of the range.
            usage_day(&e, 3, 500),
        ])
        .await
        .expect("put");
    let nobody = tenant(6);
    let all = [&a, &b, &c, &d, &e, &nobody, &a].map(|t| t.clone());

    let read = store
        .latest_usage_days(&all, day(3), day(10))
        .await
        .expect("read");
    assert_eq!(
        values(&read),
        BTreeMap::from([
            (a.clone(), (day(9), 9)),
            (b.clone(), (day(10), 100)),
            (e.clone(), (day(3), 500)),
        ]),
        "the last day within the range; tenants without one are absent"
    );
    assert_eq!(read[&a], usage_day(&a, 9, 9), "the whole record");

    // One day: only records of that day.
    let read = store
        .latest_usage_days(&all, day(4), day(4))
        .await
        .expect("read");
    assert_eq!(values(&read), BTreeMap::from([(a.clone(), (day(4), 4))]));

    // A range after every record of a tenant still finds its last one.
    let read = store
        .latest_usage_days(&all, day(2), day(60))
        .await
        .expect("read");
    assert_eq!(
        values(&read),
        BTreeMap::from([
            (a.clone(), (day(20), 20)),
            (b.clone(), (day(10), 100)),
            (c.clone(), (day(11), 300)),
            (d.clone(), (day(2), 400)),
            (e.clone(), (day(3), 500)),
        ])
    );

    // Before any record.
    assert!(
        store
            .latest_usage_days(&all, day(0), day(0))
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        store
            .latest_usage_days(&[], day(0), day(9))
            .await
            .expect("nothing asked")
            .is_empty()
    );
}

pub async fn usage_days_read_refuses_bad_arguments(store: SharedStore) {
    let over: Vec<String> = (0..=MAX_USAGE_HISTORY_KEYS).map(tenant).collect();
    let err = store
        .latest_usage_days(&over, day(0), day(1))
        .await
        .expect_err("101 tenants");
    assert!(err.to_string().contains("101"), "{err}");
    assert_invalid(err, "tenant_ids");
    assert_invalid(
        store
            .latest_usage_days(&[tenant(1), " ".to_owned()], day(0), day(1))
            .await
            .expect_err("blank tenant"),
        "tenant_ids",
    );
    assert_invalid(
        store
            .latest_usage_days(&[tenant(1)], day(2), day(1))
            .await
            .expect_err("from after to"),
        "from",
    );
    let ancient = NaiveDate::from_ymd_opt(1969, 12, 31).expect("date");
    assert_invalid(
        store
            .latest_usage_days(&[tenant(1)], ancient, day(1))
            .await
            .expect_err("before 1970"),
        "from",
    );
    let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("date");
    assert_invalid(
        store
            .latest_usage_days(&[tenant(1)], day(1), far)
            .await
            .expect_err("five-digit year"),
        "to",
    );
}

pub async fn usage_days_of_60_tenants_across_batch_write_chunks(store: SharedStore) {
    let tenants: Vec<String> = (0..60).map(tenant).collect();
    // 120 records: several BatchWriteItem requests of 25.
    let days: Vec<UsageDay> = tenants
        .iter()
        .enumerate()
        .flat_map(|(i, t)| [usage_day(t, 5, i as u64), usage_day(t, 6, 1_000 + i as u64)])
        .collect();
    store.put_usage_days(&days).await.expect("put 120");

    let read = store
        .latest_usage_days(&tenants, day(0), day(6))
        .await
        .expect("read 60");
    assert_eq!(read.len(), 60);
    for (i, t) in tenants.iter().enumerate() {
        assert_eq!(read[t], usage_day(t, 6, 1_000 + i as u64));
    }
    // Most are not found on the last day of the range: each is looked up on its own.
    let read = store
        .latest_usage_days(&tenants, day(0), day(7))
        .await
        .expect("read 60");
    assert_eq!(read.len(), 60);
    let read = store
        .latest_usage_days(&tenants, day(0), day(5))
        .await
        .expect("read 60");
    for (i, t) in tenants.iter().enumerate() {
        assert_eq!(read[t], usage_day(t, 5, i as u64));
    }

    // 100 tenants, 40 of them without records.
    let hundred: Vec<String> = (0..MAX_USAGE_HISTORY_KEYS).map(tenant).collect();
    let read = store
        .latest_usage_days(&hundred, day(0), day(6))
        .await
        .expect("read 100");
    assert_eq!(
        read.keys().collect::<Vec<_>>(),
        tenants.iter().collect::<Vec<_>>()
    );
}

pub async fn usage_day_invalid_records_write_nothing(store: SharedStore) {
    let long = |n: usize| "n".repeat(n);
    let with = |change: &dyn Fn(&mut UsageDay)| {
        let mut record = usage_day(&tenant(99), 1, 7);
        change(&mut record);
        record
    };
    let cases: Vec<(&str, UsageDay)> = vec![
        ("tenant_id", with(&|r| r.tenant_id = "  ".to_owned())),
        ("tenant_id", with(&|r| r.tenant_id = long(513))),
        (
            "day",
            with(&|r| r.day = NaiveDate::from_ymd_opt(1969, 12, 31).expect("date")),
        ),
        (
            "figures",
            with(&|r| {
                r.figures = (0..=MAX_USAGE_FIGURES)
                    .map(|i| figure(&format!("i{i}"), None, 1))
                    .collect()
            }),
        ),
        (
            "figures.item.name",
            with(&|r| r.figures[1].item.name = " ".to_owned()),
        ),
        (
            "figures.item.name",
            with(&|r| r.figures[1].item.name = long(MAX_USAGE_NAME_CHARS + 1)),
        ),
        (
            "figures.item.infra_id",
            with(&|r| r.figures[1].item.infra_id = Some(String::new())),
        ),
        (
            "figures.item.infra_id",
            with(&|r| r.figures[1].item.infra_id = Some(long(MAX_USAGE_NAME_CHARS + 1))),
        ),
        (
            "usage_day",
            with(&|r| {
                r.figures = (0..MAX_USAGE_FIGURES)
                    .map(|i| figure(&format!("{i:04}{}", long(150)), Some(INFRA), 1))
                    .collect()
            }),
        ),
    ];

    // Valid records of other tenants in the same call are not written either: the bad
    // record comes after a whole BatchWriteItem request of good ones.
    let good: Vec<UsageDay> = (0..30).map(|i| usage_day(&tenant(i), 1, 1)).collect();
    let good_tenants: Vec<String> = (0..30).map(tenant).chain([tenant(99)]).collect();
    for (field, record) in &cases {
        let mut call = good.clone();
        call.push(record.clone());
        let err = store
            .put_usage_days(&call)
            .await
            .expect_err("invalid record");
        assert_invalid(err, field);
        assert!(
            store
                .latest_usage_days(&good_tenants, day(0), day(9))
                .await
                .expect("read")
                .is_empty(),
            "{field}: nothing written"
        );
    }

    // At the bounds: 2,000 figures of usual names, names of 200 characters (not bytes).
    let full = with(&|r| {
        r.figures = (0..MAX_USAGE_FIGURES)
            .map(|i| figure(&format!("pw_base_storage_{i:04}"), Some(INFRA), u64::MAX))
            .collect()
    });
    let wide = with(&|r| {
        r.tenant_id = tenant(98);
        r.figures[1].item.name = "é".repeat(MAX_USAGE_NAME_CHARS);
        r.figures[1].item.infra_id = Some("ü".repeat(MAX_USAGE_NAME_CHARS));
    });
    store
        .put_usage_days(&[full.clone(), wide.clone()])
        .await
        .expect("at the bounds");
    let read = store
        .latest_usage_days(&[tenant(99), tenant(98)], day(0), day(9))
        .await
        .expect("read");
    assert_eq!(read.get(&tenant(99)), Some(&full));
    assert_eq!(read.get(&tenant(98)), Some(&wide));
    assert!(serde_json::to_string(&full).expect("json").len() <= MAX_USAGE_RECORD_BYTES);
}

pub async fn usage_reports_round_trip_batch_and_replace(store: SharedStore) {
    assert!(
        store
            .get_usage_reports(&[])
            .await
            .expect("nothing asked")
            .is_empty()
    );
    assert!(
        store
            .get_usage_reports(&[1, 2])
            .await
            .expect("none there")
            .is_empty()
    );
    let idle = UsageReport {
        period: None,
        written: 0,
        skipped: Vec::new(),
        overuse: Vec::new(),
        last_error: None,
        ..report(9, 0)
    };
    store
        .put_usage_reports(&[report(174, 3), idle.clone(), report(10, 1)])
        .await
        .expect("put");
    let read = store
        .get_usage_reports(&[174, 4, 10, 9, 174])
        .await
        .expect("batch");
    assert_eq!(
        read,
        BTreeMap::from([
            (9, idle.clone()),
            (10, report(10, 1)),
            (174, report(174, 3))
        ]),
        "missing companies are absent; a repeated id is read once"
    );

    // A later report replaces the record; of two in one call, the later stays.
    let mut clean = report(174, 5);
    clean.last_error = None;
    store
        .put_usage_reports(&[report(174, 4), clean.clone()])
        .await
        .expect("replace");
    let read = store.get_usage_reports(&[174, 9]).await.expect("batch");
    assert_eq!(read, BTreeMap::from([(9, idle), (174, clean)]));

    // Any number per call, read 100 at a time.
    let many: Vec<UsageReport> = (1_000..1_060).map(|id| report(id, id as u32)).collect();
    store.put_usage_reports(&many).await.expect("put 60");
    let ids: Vec<i64> = (1_000..1_000 + MAX_USAGE_HISTORY_KEYS as i64).collect();
    let read = store.get_usage_reports(&ids).await.expect("read 100");
    assert_eq!(
        read.into_values().collect::<Vec<_>>(),
        many,
        "the 60 written, in company order"
    );

    let over: Vec<i64> = (1..=MAX_USAGE_HISTORY_KEYS as i64 + 1).collect();
    let err = store.get_usage_reports(&over).await.expect_err("101 ids");
    assert!(err.to_string().contains("101"), "{err}");
    assert_invalid(err, "company_ids");
    assert_invalid(
        store
            .get_usage_reports(&[1, -1])
            .await
            .expect_err("negative"),
        "company_ids",
    );
}

pub async fn usage_report_invalid_records_write_nothing(store: SharedStore) {
    let long = |n: usize| "n".repeat(n);
    let with = |change: &dyn Fn(&mut UsageReport)| {
        let mut record = report(174, 2);
        change(&mut record);
        record
    };
    let skipped = |n: usize| SkippedUsage {
        what: format!("item {n}"),
        reason: "no usage figure".to_owned(),
    };
    let cases: Vec<(&str, UsageReport)> = vec![
        ("company_id", with(&|r| r.company_id = -1)),
        ("tenant_id", with(&|r| r.tenant_id = String::new())),
        ("tenant_id", with(&|r| r.tenant_id = long(513))),
        ("period", with(&|r| r.period = Some(" ".to_owned()))),
        (
            "skipped",
            with(&|r| r.skipped = (0..=MAX_USAGE_REPORT_ENTRIES).map(skipped).collect()),
        ),
        ("skipped.what", with(&|r| r.skipped[0].what = String::new())),
        (
            "skipped.what",
            with(&|r| r.skipped[0].what = long(MAX_USAGE_WHAT_CHARS + 1)),
        ),
        (
            "skipped.reason",
            with(&|r| r.skipped[0].reason = "\t".to_owned()),
        ),
        (
            "skipped.reason",
            with(&|r| r.skipped[0].reason = long(MAX_USAGE_REASON_CHARS + 1)),
        ),
        (
            "overuse",
            with(&|r| {
                r.overuse = (0..=MAX_USAGE_REPORT_ENTRIES)
                    .map(|i| Overuse {
                        what: format!("item {i}"),
                        quota: 1,
                        used: 2,
                    })
                    .collect()
            }),
        ),
        (
            "overuse.what",
            with(&|r| r.overuse[0].what = " ".to_owned()),
        ),
        (
            "overuse.what",
            with(&|r| r.overuse[0].what = long(MAX_USAGE_WHAT_CHARS + 1)),
        ),
        (
            "last_error.message",
            with(&|r| {
                if let Some(error) = r.last_error.as_mut() {
                    error.message = long(MAX_USAGE_REASON_CHARS + 1);
                }
            }),
        ),
        (
            "usage_report",
            with(&|r| {
                r.skipped = (0..MAX_USAGE_REPORT_ENTRIES)
                    .map(|i| SkippedUsage {
                        what: format!("item {i}"),
                        reason: "ü".repeat(MAX_USAGE_REASON_CHARS),
                    })
                    .collect()
            }),
        ),
    ];

    let good: Vec<UsageReport> = (0..30).map(|id| report(id, 1)).collect();
    let ids: Vec<i64> = (0..30).chain([174]).collect();
    for (field, record) in &cases {
        let mut call = good.clone();
        call.push(record.clone());
        let err = store
            .put_usage_reports(&call)
            .await
            .expect_err("invalid record");
        assert_invalid(err, field);
        assert!(
            store
                .get_usage_reports(&ids)
                .await
                .expect("read")
                .is_empty(),
            "{field}: nothing written"
        );
    }

    // At the bounds: lengths count characters, not bytes.
    let wide = with(&|r| {
        r.skipped = (0..MAX_USAGE_REPORT_ENTRIES).map(skipped).collect();
        r.skipped[0].what = "é".repeat(MAX_USAGE_WHAT_CHARS);
        r.skipped[0].reason = "ß".repeat(MAX_USAGE_REASON_CHARS);
        r.overuse[0].what = "ü".repeat(MAX_USAGE_WHAT_CHARS);
    });
    store
        .put_usage_reports(std::slice::from_ref(&wide))
        .await
        .expect("at the bounds");
    assert_eq!(
        store
            .get_usage_reports(&[174])
            .await
            .expect("read")
            .get(&174),
        Some(&wide)
    );
}
