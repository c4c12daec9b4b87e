//! Job statuses: last write wins, listed by job name, bounded in size.

use super::*;

use bridge_core::records::{JobErrorRecord, JobRunRecord, JobStatus};
use bridge_store::store::MAX_JOB_STATUS_BYTES;

fn status(job: &str, ok: bool, summary: serde_json::Value) -> JobStatus {
    JobStatus {
        job: job.to_owned(),
        last_run: Some(JobRunRecord {
            trigger: "schedule".to_owned(),
            dry_run: false,
            started_at: t0(),
            finished_at: t0() + secs(3),
            ok,
            summary,
            error: (!ok).then(|| "Autotask answered 500".to_owned()),
        }),
        last_error: (!ok).then(|| JobErrorRecord {
            at: t0() + secs(3),
            message: "Autotask answered 500".to_owned(),
        }),
    }
}

fn assert_invalid(err: StoreError, expected_field: &str) {
    match err {
        StoreError::Invalid { field, .. } => assert_eq!(field, expected_field),
        other => panic!("expected Invalid {expected_field}, got {other:?}"),
    }
}

pub async fn job_status_round_trip_and_overwrite(store: SharedStore) {
    assert_eq!(store.get_job_status("quota-push").await.expect("get"), None);

    let first = status("quota-push", true, serde_json::json!({ "applied": 3 }));
    store.put_job_status(&first).await.expect("put");
    assert_eq!(
        store.get_job_status("quota-push").await.expect("get"),
        Some(first)
    );

    // A never-run job: neither a run nor an error.
    let idle = JobStatus {
        job: "usage-report".to_owned(),
        last_run: None,
        last_error: None,
    };
    store.put_job_status(&idle).await.expect("put");
    assert_eq!(
        store.get_job_status("usage-report").await.expect("get"),
        Some(idle)
    );

    let failed = status("quota-push", false, serde_json::json!({ "applied": 0 }));
    store.put_job_status(&failed).await.expect("overwrite");
    assert_eq!(
        store.get_job_status("quota-push").await.expect("get"),
        Some(failed)
    );
}

pub async fn job_statuses_list_in_name_order(store: SharedStore) {
    assert!(store.list_job_statuses().await.expect("list").is_empty());
    for job in [
        "usage-report",
        "alert-ingest",
        "quota-push",
        "contract-poller",
    ] {
        let summary = serde_json::json!({ "job": job });
        store
            .put_job_status(&status(job, true, summary))
            .await
            .expect("put");
    }
    // Overwriting does not add a second entry.
    store
        .put_job_status(&status("quota-push", false, serde_json::json!({})))
        .await
        .expect("overwrite");

    let listed = store.list_job_statuses().await.expect("list");
    let names: Vec<_> = listed.iter().map(|s| s.job.as_str()).collect();
    assert_eq!(
        names,
        [
            "alert-ingest",
            "contract-poller",
            "quota-push",
            "usage-report"
        ]
    );
    let quota_push = &listed[2];
    assert_eq!(quota_push.last_run.as_ref().map(|r| r.ok), Some(false));
}

pub async fn job_status_refuses_invalid_names(store: SharedStore) {
    let too_long = "j".repeat(513);
    for job in ["", "   ", too_long.as_str()] {
        assert_invalid(
            store.get_job_status(job).await.expect_err("bad name"),
            "job",
        );
        let bad = status(job, true, serde_json::json!({}));
        assert_invalid(
            store.put_job_status(&bad).await.expect_err("bad name"),
            "job",
        );
    }
    assert!(store.list_job_statuses().await.expect("list").is_empty());
}

pub async fn job_status_over_the_size_limit_is_refused(store: SharedStore) {
    // Pad the summary so the status's JSON is exactly the limit, then one byte over.
    let with_padding = |pad: usize| status("quota-push", true, serde_json::json!("x".repeat(pad)));
    let bare = serde_json::to_string(&with_padding(0))
        .expect("serializes")
        .len();
    let at_limit = with_padding(MAX_JOB_STATUS_BYTES - bare);
    let over = with_padding(MAX_JOB_STATUS_BYTES - bare + 1);
    assert_eq!(
        serde_json::to_string(&at_limit).expect("serializes").len(),
        MAX_JOB_STATUS_BYTES
    );

    store.put_job_status(&at_limit).await.expect("at the limit");
    assert_eq!(
        store.get_job_status("quota-push").await.expect("get"),
        Some(at_limit.clone())
    );

    let err = store
        .put_job_status(&over)
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("65536"), "{err}");
    assert_invalid(err, "status");
    // Refused means nothing written: the previous status stays.
    assert_eq!(
        store.get_job_status("quota-push").await.expect("get"),
        Some(at_limit)
    );
}
