//! Quota sync: one versioned item per company beside its contract snapshot
//! (`COMPANY#<id>` / `QUOTA_SYNC`); a batch read is one `BatchGetItem`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use bridge_core::records::{QuotaSync, Versioned};

use super::DynamoStore;
use super::item::{Item, attr, backend, body, get_n, get_s, key, key_of, s};
use crate::store::{
    QuotaSyncStore, StoreError, StoreResult, quota_sync_body, quota_sync_ids, quota_sync_what,
    validate,
};

/// How many `BatchGetItem` calls one batch read makes at most: the first, then retries of
/// the keys DynamoDB left unprocessed (throttling, or a response over 16 MB).
const BATCH_GET_ATTEMPTS: u32 = 5;

/// What one `BatchGetItem` call gives back: the items found, the keys left unprocessed.
type BatchAnswer = (Vec<Item>, Vec<Item>);

impl DynamoStore {
    /// One `BatchGetItem` call (consistent reads): the items found and the keys left
    /// unprocessed.
    async fn batch_get_once(&self, keys: Vec<Item>) -> StoreResult<BatchAnswer> {
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::backend("batch_get_item", e))?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.table, request)
            .send()
            .await
            .map_err(|e| backend("batch_get_item", e))?;
        let found = out
            .responses
            .and_then(|mut responses| responses.remove(&self.table))
            .unwrap_or_default();
        let unprocessed = out
            .unprocessed_keys
            .and_then(|mut unprocessed| unprocessed.remove(&self.table))
            .map(|keys| keys.keys)
            .unwrap_or_default();
        Ok((found, unprocessed))
    }
}

/// Sends `keys` and then whatever comes back unprocessed, up to [`BATCH_GET_ATTEMPTS`]
/// calls with a short, growing, jittered pause between them; keys still unprocessed after
/// that are a `Backend` error (the run is retried), never silently dropped.
async fn batch_get_retrying<F, Fut>(mut keys: Vec<Item>, mut send: F) -> StoreResult<Vec<Item>>
where
    F: FnMut(Vec<Item>) -> Fut,
    Fut: Future<Output = StoreResult<BatchAnswer>>,
{
    let mut found = Vec::new();
    for attempt in 0..BATCH_GET_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(batch_backoff(attempt)).await;
        }
        let (items, unprocessed) = send(keys).await?;
        found.extend(items);
        if unprocessed.is_empty() {
            return Ok(found);
        }
        tracing::debug!(
            unprocessed = unprocessed.len(),
            attempt = attempt + 1,
            "BatchGetItem left keys unprocessed"
        );
        keys = unprocessed;
    }
    Err(StoreError::backend(
        "batch_get_item",
        format!(
            "{} keys still unprocessed after {BATCH_GET_ATTEMPTS} attempts",
            keys.len()
        ),
    ))
}

/// 25 ms doubling per retry, plus up to as much again at random (so parallel sweeps do
/// not retry in step): at most about 0.75 s in all.
fn batch_backoff(attempt: u32) -> Duration {
    let base = 25u64 << attempt.saturating_sub(1).min(8);
    Duration::from_millis(base + fastrand::u64(0..=base))
}

#[async_trait]
impl QuotaSyncStore for DynamoStore {
    async fn get_quota_sync(&self, company_id: i64) -> StoreResult<Option<Versioned<QuotaSync>>> {
        validate::id("company_id", company_id)?;
        let what = quota_sync_what(company_id);
        self.get_doc(key::company(company_id), key::QUOTA_SYNC_SK, &what)
            .await
    }

    async fn get_quota_syncs(
        &self,
        company_ids: &[i64],
    ) -> StoreResult<BTreeMap<i64, Versioned<QuotaSync>>> {
        // Distinct ids: BatchGetItem refuses a request that names a key twice.
        let ids = quota_sync_ids(company_ids)?;
        let mut out = BTreeMap::new();
        if ids.is_empty() {
            // BatchGetItem refuses an empty request too.
            return Ok(out);
        }
        let keys = ids
            .iter()
            .map(|&id| key_of(key::company(id), key::QUOTA_SYNC_SK))
            .collect();
        let items = batch_get_retrying(keys, |keys| self.batch_get_once(keys)).await?;
        for item in &items {
            let pk = get_s(item, attr::PK, "quota sync")?;
            let what = format!("quota sync {pk}");
            let value: QuotaSync = body(item, &what)?;
            if key::company(value.company_id) != pk {
                return Err(StoreError::corrupt(
                    what,
                    format!("body is of company {}", value.company_id),
                ));
            }
            let version = get_n(item, attr::VERSION, &what)?;
            out.insert(value.company_id, Versioned { value, version });
        }
        Ok(out)
    }

    async fn put_quota_sync(
        &self,
        record: &QuotaSync,
        expected_version: Option<u64>,
    ) -> StoreResult<u64> {
        let body = quota_sync_body(record)?;
        self.put_versioned(
            key::company(record.company_id),
            key::QUOTA_SYNC_SK,
            quota_sync_what(record.company_id),
            s(body),
            expected_version,
        )
        .await
    }

    async fn delete_quota_sync(&self, company_id: i64) -> StoreResult<()> {
        validate::id("company_id", company_id)?;
        // Unconditional: deleting an absent record is no error.
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(key::company(company_id), key::QUOTA_SYNC_SK)))
            .send()
            .await
            .map_err(|e| backend("delete_quota_sync", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    fn keys(ids: &[i64]) -> Vec<Item> {
        ids.iter()
            .map(|&id| key_of(key::company(id), key::QUOTA_SYNC_SK))
            .collect()
    }

    /// A stand-in for `BatchGetItem` answering from a script, recording what was asked.
    struct Script {
        answers: Mutex<VecDeque<StoreResult<BatchAnswer>>>,
        asked: Mutex<Vec<usize>>,
    }

    impl Script {
        fn new(answers: Vec<StoreResult<BatchAnswer>>) -> Script {
            Script {
                answers: Mutex::new(answers.into()),
                asked: Mutex::new(Vec::new()),
            }
        }

        async fn send(&self, keys: Vec<Item>) -> StoreResult<BatchAnswer> {
            self.asked.lock().expect("asked").push(keys.len());
            self.answers
                .lock()
                .expect("answers")
                .pop_front()
                .expect("an answer left")
        }

        fn asked(&self) -> Vec<usize> {
            self.asked.lock().expect("asked").clone()
        }
    }

    #[tokio::test]
    async fn unprocessed_keys_are_sent_again_until_done() {
        let script = Script::new(vec![
            Ok((keys(&[1, 2]), keys(&[3, 4, 5]))),
            Ok((keys(&[3]), keys(&[4]))),
            Ok((keys(&[4]), Vec::new())),
        ]);
        let found = batch_get_retrying(keys(&[1, 2, 3, 4, 5]), |k| script.send(k))
            .await
            .expect("all read");
        assert_eq!(found, keys(&[1, 2, 3, 4]));
        assert_eq!(script.asked(), [5, 3, 1]);
    }

    #[tokio::test]
    async fn keys_still_unprocessed_after_the_last_attempt_are_an_error() {
        let answers = (0..BATCH_GET_ATTEMPTS)
            .map(|_| Ok((Vec::new(), keys(&[7, 8]))))
            .collect();
        let script = Script::new(answers);
        let err = batch_get_retrying(keys(&[7, 8]), |k| script.send(k))
            .await
            .expect_err("never processed");
        assert!(
            matches!(&err, StoreError::Backend { operation: "batch_get_item", detail }
                if detail.contains("2 keys still unprocessed")),
            "{err:?}"
        );
        assert_eq!(script.asked().len(), BATCH_GET_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn a_failed_call_is_not_retried_here() {
        let script = Script::new(vec![Err(StoreError::backend("batch_get_item", "boom"))]);
        let err = batch_get_retrying(keys(&[1]), |k| script.send(k))
            .await
            .expect_err("failed");
        assert!(err.to_string().contains("boom"), "{err}");
        assert_eq!(script.asked(), [1]);
    }

    #[test]
    fn backoff_is_short_and_grows() {
        for attempt in 1..BATCH_GET_ATTEMPTS {
            let base = 25u64 << (attempt - 1);
            let pause = batch_backoff(attempt).as_millis() as u64;
            assert!((base..=2 * base).contains(&pause), "{attempt}: {pause}");
        }
        let total: u128 = (1..BATCH_GET_ATTEMPTS)
            .map(|a| batch_backoff(a).as_millis())
            .sum();
        assert!(total <= 750, "{total} ms");
    }
}
