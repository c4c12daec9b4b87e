//! Batch reads and writes (`BatchGetItem`, `BatchWriteItem`): requests DynamoDB leaves
//! unprocessed (throttling, a read answer over 16 MB) are sent again with a short,
//! growing pause, and never silently dropped.

use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};

use super::DynamoStore;
use super::item::{Item, backend};
use crate::store::{StoreError, StoreResult};

/// Most keys of one `BatchGetItem` call.
const BATCH_GET_KEYS: usize = 100;
/// Most puts of one `BatchWriteItem` call.
pub(super) const BATCH_WRITE_ITEMS: usize = 25;
/// How many `BatchGetItem` calls one batch read makes at most: the first, then retries of
/// the keys DynamoDB left unprocessed.
const BATCH_GET_ATTEMPTS: u32 = 5;
/// How many `BatchWriteItem` calls one chunk of puts makes at most. More than reads: a
/// write left unprocessed fails the whole job run, and the pauses stay within seconds.
const BATCH_WRITE_ATTEMPTS: u32 = 8;

/// What one batch call gives back: the items found (reads only), the requests left
/// unprocessed.
type BatchAnswer<R> = (Vec<Item>, Vec<R>);

impl DynamoStore {
    /// Reads `keys` (distinct: DynamoDB refuses a request that names a key twice) with
    /// consistent reads, [`BATCH_GET_KEYS`] per call; absent keys are simply not found.
    pub(super) async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut keys = keys.into_iter().peekable();
        while keys.peek().is_some() {
            let chunk: Vec<Item> = keys.by_ref().take(BATCH_GET_KEYS).collect();
            let items = send_until_processed(
                "batch_get_item",
                "keys",
                BATCH_GET_ATTEMPTS,
                chunk,
                |keys| self.batch_get_once(keys),
            )
            .await?;
            found.extend(items);
        }
        Ok(found)
    }

    /// Puts `items` (distinct keys: DynamoDB refuses a request that names a key twice),
    /// unconditionally, [`BATCH_WRITE_ITEMS`] per call, one call after the other.
    pub(super) async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        let requests = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| StoreError::backend("batch_write_item", e))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// Deletes the items of `keys` (distinct), unconditionally, [`BATCH_WRITE_ITEMS`] per
    /// call, one call after the other; absent keys are no error.
    pub(super) async fn batch_delete(&self, keys: Vec<Item>) -> StoreResult<()> {
        let requests = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(|e| StoreError::backend("batch_write_item", e))?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch_write(requests).await
    }

    /// Sends `requests` in `BatchWriteItem` calls of [`BATCH_WRITE_ITEMS`], one after
    /// the other, each until DynamoDB has processed all of it.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        let mut requests = requests.into_iter().peekable();
        while requests.peek().is_some() {
            let chunk: Vec<WriteRequest> = requests.by_ref().take(BATCH_WRITE_ITEMS).collect();
            send_until_processed(
                "batch_write_item",
                "items",
                BATCH_WRITE_ATTEMPTS,
                chunk,
                |requests| self.batch_write_once(requests),
            )
            .await?;
        }
        Ok(())
    }

    /// One `BatchGetItem` call (consistent reads): the items found and the keys left
    /// unprocessed.
    async fn batch_get_once(&self, keys: Vec<Item>) -> StoreResult<BatchAnswer<Item>> {
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

    /// One `BatchWriteItem` call: the requests left unprocessed.
    async fn batch_write_once(
        &self,
        requests: Vec<WriteRequest>,
    ) -> StoreResult<BatchAnswer<WriteRequest>> {
        let out = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests)
            .send()
            .await
            .map_err(|e| backend("batch_write_item", e))?;
        let unprocessed = out
            .unprocessed_items
            .and_then(|mut unprocessed| unprocessed.remove(&self.table))
            .unwrap_or_default();
        Ok((Vec::new(), unprocessed))
    }
}

/// Sends `requests` and then whatever comes back unprocessed, up to `attempts` calls
/// with a short, growing, jittered pause between them; requests still unprocessed after
/// that are a `Backend` error (the run is retried). A failed call is not retried here.
async fn send_until_processed<R, F, Fut>(
    operation: &'static str,
    unit: &str,
    attempts: u32,
    mut requests: Vec<R>,
    mut send: F,
) -> StoreResult<Vec<Item>>
where
    F: FnMut(Vec<R>) -> Fut,
    Fut: Future<Output = StoreResult<BatchAnswer<R>>>,
{
    let mut found = Vec::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(batch_backoff(attempt)).await;
        }
        let (items, unprocessed) = send(requests).await?;
        found.extend(items);
        if unprocessed.is_empty() {
            return Ok(found);
        }
        tracing::debug!(
            operation,
            unprocessed = unprocessed.len(),
            attempt = attempt + 1,
            "batch call left {unit} unprocessed"
        );
        requests = unprocessed;
    }
    Err(StoreError::backend(
        operation,
        format!(
            "{} {unit} still unprocessed after {attempts} attempts",
            requests.len()
        ),
    ))
}

/// 25 ms doubling per retry, plus up to as much again at random (so parallel runs do
/// not retry in step): at most about 0.75 s over a read's attempts, 6.4 s over a write's.
fn batch_backoff(attempt: u32) -> Duration {
    let base = 25u64 << attempt.saturating_sub(1).min(8);
    Duration::from_millis(base + fastrand::u64(0..=base))
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::super::item::{key, key_of};
    use super::*;

    fn keys(ids: &[i64]) -> Vec<Item> {
        ids.iter()
            .map(|&id| key_of(key::company(id), key::QUOTA_SYNC_SK))
            .collect()
    }

    /// A stand-in for a batch call answering from a script, recording what was asked.
    struct Script {
        answers: Mutex<VecDeque<StoreResult<BatchAnswer<Item>>>>,
        asked: Mutex<Vec<usize>>,
    }

    impl Script {
        fn new(answers: Vec<StoreResult<BatchAnswer<Item>>>) -> Script {
            Script {
                answers: Mutex::new(answers.into()),
                asked: Mutex::new(Vec::new()),
            }
        }

        async fn send(&self, keys: Vec<Item>) -> StoreResult<BatchAnswer<Item>> {
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
        let found = send_until_processed(
            "batch_get_item",
            "keys",
            BATCH_GET_ATTEMPTS,
            keys(&[1, 2, 3, 4, 5]),
            |k| script.send(k),
        )
        .await
        .expect("all read");
        assert_eq!(found, keys(&[1, 2, 3, 4]));
        assert_eq!(script.asked(), [5, 3, 1]);
    }

    #[tokio::test]
    async fn requests_still_unprocessed_after_the_last_attempt_are_an_error() {
        let answers = (0..BATCH_WRITE_ATTEMPTS)
            .map(|_| Ok((Vec::new(), keys(&[7, 8]))))
            .collect();
        let script = Script::new(answers);
        let err = send_until_processed(
            "batch_write_item",
            "items",
            BATCH_WRITE_ATTEMPTS,
            keys(&[7, 8]),
            |k| script.send(k),
        )
        .await
        .expect_err("never processed");
        assert!(
            matches!(&err, StoreError::Backend { operation: "batch_write_item", detail }
                if detail.contains("2 items still unprocessed after 8 attempts")),
            "{err:?}"
        );
        assert_eq!(script.asked().len(), BATCH_WRITE_ATTEMPTS as usize);
    }

    #[tokio::test]
    async fn a_failed_call_is_not_retried_here() {
        let script = Script::new(vec![Err(StoreError::backend("batch_get_item", "boom"))]);
        let err = send_until_processed(
            "batch_get_item",
            "keys",
            BATCH_GET_ATTEMPTS,
            keys(&[1]),
            |k| script.send(k),
        )
        .await
        .expect_err("failed");
        assert!(err.to_string().contains("boom"), "{err}");
        assert_eq!(script.asked(), [1]);
    }

    #[test]
    fn backoff_is_short_and_grows() {
        let total = |attempts: u32| -> u128 {
            (1..attempts)
                .map(|attempt| {
                    let base = 25u64 << (attempt - 1);
                    let pause = batch_backoff(attempt).as_millis() as u64;
                    assert!((base..=2 * base).contains(&pause), "{attempt}: {pause}");
                    u128::from(pause)
                })
                .sum()
        };
        let read = total(BATCH_GET_ATTEMPTS);
        assert!(read <= 750, "{read} ms");
        let write = total(BATCH_WRITE_ATTEMPTS);
        assert!(write <= 6_350, "{write} ms");
    }
}
