//! The client handle and its request executor: zone, auth headers, concurrency cap,
//! budget gate, retries. The public operations are in `ops`.

use crate::budget::Budget;
use crate::classify::{Verdict, classify};
use crate::config::AutotaskConfig;
use crate::error::{AutotaskError, Result};
use crate::limiter::EntityLimiter;
use crate::models::{ThresholdInfo, ZoneInfo};
use crate::zone::{self, ZoneCache};
use bridge_core::backoff::parse_retry_after;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A client of one Autotask database, as one API user. Cheap to clone; clones share the
/// zone cache, the concurrency caps, the budget reading and the request counter.
#[derive(Clone)]
pub struct AutotaskClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    config: AutotaskConfig,
    auth: HeaderMap,
    zone: ZoneCache,
    limiter: EntityLimiter,
    pub(crate) budget: Budget,
    requests: AtomicU64,
}

impl std::fmt::Debug for AutotaskClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutotaskClient")
            .field("username", &self.inner.config.credentials.username)
            .field("zone_lookup_url", &self.inner.config.zone_lookup_url)
            .field("zone_url", &self.inner.config.zone_url)
            .finish_non_exhaustive()
    }
}

/// Where a request goes: a path under the zone's `V1.0/` root (re-resolved after a
/// zone move), or an absolute URL already checked against the zone's origin.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Path(String),
    Absolute(Url),
}

/// One logical request; the executor may send it several times.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub target: Target,
    /// Concurrency key and the name errors carry.
    pub entity: &'a str,
    pub body: Option<Vec<u8>>,
    /// Safe to resend after it may have reached the server (reads, PATCH, DELETE) —
    /// false for creates.
    pub idempotent: bool,
    /// Counts toward the budget cadence (false only for the threshold reading itself).
    pub budgeted: bool,
}

/// What one send produced.
enum Attempt {
    Answer {
        status: u16,
        retry_after: Option<Duration>,
        body: Vec<u8>,
    },
    /// Never reached the server (connect failure): safe to resend anything.
    NotSent(String),
    /// Timed out or the connection dropped mid-exchange: the server may have acted.
    Broken(String),
    /// The request could not even be built (a value no header or URL can carry): the
    /// same request fails the same way every time, so it is never retried.
    Unbuildable(String),
    /// The answer was larger than [`MAX_RESPONSE_BYTES`]; asking again would not
    /// shrink it.
    Oversized(String),
}

/// The largest answer read, in bytes. A 500-record page of the widest entity
/// (tickets with long descriptions) is a few MB; anything far beyond that is not an
/// answer the client can use, and reading it whole could exhaust a Lambda's memory.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// What went wrong reading an answer's body.
enum BodyError {
    Oversized(String),
    Broken(String),
}

/// Reads an answer's body, refusing more than [`MAX_RESPONSE_BYTES`] (checked against
/// the announced length first, then as the chunks arrive).
async fn read_body(mut resp: reqwest::Response) -> std::result::Result<Vec<u8>, BodyError> {
    let over = || BodyError::Oversized(format!("the answer is over {MAX_RESPONSE_BYTES} bytes"));
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(over());
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(over());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(BodyError::Broken(e.to_string())),
        }
    }
}

/// The executor's next move.
enum Step {
    /// Forget the zone, look it up again and resend once; if that already happened,
    /// retry with backoff (`then_retry`) or fail.
    Rediscover {
        err: AutotaskError,
        then_retry: bool,
    },
    Retry {
        err: AutotaskError,
        retry_after: Option<Duration>,
        throttled: bool,
    },
    Fail(AutotaskError),
}

impl AutotaskClient {
    pub fn new(config: AutotaskConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(15)))
            .build()
            .map_err(|e| AutotaskError::Config(format!("HTTP client: {e}")))?;
        zone::lookup_url(&config.zone_lookup_url, &config.credentials.username)?;
        let known_zone = zone::known(config.zone_url.as_deref())?;
        let auth = auth_headers(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                auth,
                zone: ZoneCache::new(known_zone),
                limiter: EntityLimiter::new(config.max_concurrent_per_entity),
                budget: Budget::new(config.budget.clone()),
                requests: AtomicU64::new(0),
                config,
            }),
        })
    }

    /// The user's zone, looked up now if not cached yet. A zone the client started in
    /// ([`AutotaskConfig::zone_url`]) carries only its URL (`zone_name`, `web_url` and
    /// `ci` are `None`) until a re-discovery replaces it.
    pub async fn zone(&self) -> Result<ZoneInfo> {
        self.inner
            .zone
            .get_or_discover(|| self.discover_zone())
            .await
    }

    /// Looks the zone up now, whatever is cached, and keeps the answer: the one way to
    /// learn the database's `ci` when the client started in a saved zone. The lookup
    /// needs no credentials and is not a call of the database's API.
    pub async fn lookup_zone(&self) -> Result<ZoneInfo> {
        let zone = self.discover_zone().await?;
        self.inner.zone.replace(zone.clone()).await;
        Ok(zone)
    }

    /// The cached zone, without a lookup.
    pub async fn cached_zone(&self) -> Option<ZoneInfo> {
        self.inner.zone.cached().await
    }

    /// Every HTTP request this client (and its clones) sent: zone lookups, threshold
    /// readings and retries included.
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The last ThresholdInformation reading, if any was taken.
    pub fn budget(&self) -> Option<ThresholdInfo> {
        self.inner.budget.last()
    }

    pub fn config(&self) -> &AutotaskConfig {
        &self.inner.config
    }

    async fn discover_zone(&self) -> Result<ZoneInfo> {
        let creds = &self.inner.config.credentials;
        let url = zone::lookup_url(&self.inner.config.zone_lookup_url, &creds.username)?;
        let backoff = self.inner.config.backoff;
        let mut retries = 0;
        loop {
            self.inner.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .inner
                .http
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .send()
                .await;
            let failure = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match read_body(resp).await {
                        Ok(body) if status == 429 || status >= 502 => {
                            let said = crate::classify::ErrorBody::parse(&body).joined();
                            format!("HTTP {status}: {said}")
                        }
                        Ok(body) => {
                            let zone = zone::parse_answer(&creds.username, status, &body)?;
                            tracing::info!(zone = ?zone.zone_name, url = %zone.url, "Autotask zone found");
                            return Ok(zone);
                        }
                        Err(BodyError::Oversized(detail)) => {
                            return Err(AutotaskError::ZoneNotFound {
                                user: creds.username.clone(),
                                detail,
                            });
                        }
                        Err(BodyError::Broken(detail)) => detail,
                    }
                }
                // The same request would fail the same way: no retry.
                Err(e) if e.is_builder() => return Err(AutotaskError::Config(e.to_string())),
                Err(e) => e.to_string(),
            };
            if !backoff.should_retry(retries) {
                return Err(AutotaskError::ZoneNotFound {
                    user: creds.username.clone(),
                    detail: failure,
                });
            }
            tracing::warn!(detail = %failure, "zone lookup failed; retrying");
            tokio::time::sleep(backoff.delay(retries, fastrand::f64(), None)).await;
            retries += 1;
        }
    }

    /// Sends `call` until it succeeds or fails for good; returns the success body.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Vec<u8>> {
        let backoff = self.inner.config.backoff;
        let mut rediscovered = false;
        let mut retries = 0u32;
        loop {
            let zone = self.zone().await?;
            if call.budgeted {
                self.budget_gate().await;
            }
            let url = resolve(&call.target, &zone)?;
            let attempt = {
                let _slot = self.inner.limiter.acquire(call.entity).await;
                if call.budgeted {
                    self.inner.budget.note_request();
                }
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                self.send(&call, url).await
            };
            let step = match attempt {
                Attempt::Answer {
                    status,
                    retry_after,
                    body,
                } => {
                    tracing::debug!(method = %call.method, entity = call.entity, status, "Autotask answered");
                    match classify(status, retry_after, &body, &describe(&call)) {
                        Verdict::Success => return Ok(body),
                        Verdict::ZoneSuspect(err) => Step::Rediscover {
                            err,
                            then_retry: false,
                        },
                        Verdict::Throttled { retry_after } => Step::Retry {
                            err: AutotaskError::Throttled { retry_after },
                            retry_after,
                            throttled: true,
                        },
                        Verdict::Transient(err) if call.idempotent => Step::Retry {
                            err,
                            retry_after,
                            throttled: false,
                        },
                        Verdict::Transient(err) | Verdict::Fail(err) => Step::Fail(err),
                    }
                }
                Attempt::NotSent(detail) => Step::Rediscover {
                    err: AutotaskError::Transport { detail },
                    then_retry: true,
                },
                Attempt::Broken(detail) if call.idempotent => Step::Retry {
                    err: AutotaskError::Transport { detail },
                    retry_after: None,
                    throttled: false,
                },
                Attempt::Broken(detail) => Step::Fail(AutotaskError::Transport { detail }),
                Attempt::Unbuildable(detail) => Step::Fail(AutotaskError::Config(detail)),
                Attempt::Oversized(detail) => Step::Fail(AutotaskError::Decode {
                    entity: call.entity.to_string(),
                    detail,
                }),
            };
            let step = match step {
                Step::Rediscover { err, .. } if !rediscovered => {
                    tracing::warn!(error = %err, "re-discovering the Autotask zone");
                    rediscovered = true;
                    self.inner.zone.invalidate(&zone).await;
                    continue;
                }
                Step::Rediscover {
                    err,
                    then_retry: true,
                } => Step::Retry {
                    err,
                    retry_after: None,
                    throttled: false,
                },
                Step::Rediscover { err, .. } => Step::Fail(err),
                other => other,
            };
            match step {
                Step::Retry {
                    err,
                    retry_after,
                    throttled,
                } => {
                    if throttled {
                        self.inner.budget.note_throttled();
                    }
                    if !backoff.should_retry(retries) {
                        return Err(err);
                    }
                    let wait = backoff.delay(retries, fastrand::f64(), retry_after);
                    tracing::warn!(error = %err, retry = retries + 1, wait_ms = wait.as_millis() as u64, "retrying Autotask request");
                    tokio::time::sleep(wait).await;
                    retries += 1;
                }
                Step::Fail(err) | Step::Rediscover { err, .. } => return Err(err),
            }
        }
    }

    async fn send(&self, call: &Call<'_>, url: Url) -> Attempt {
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url)
            .headers(self.inner.auth.clone());
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) if e.is_builder() => return Attempt::Unbuildable(e.to_string()),
            Err(e) if e.is_connect() => return Attempt::NotSent(e.to_string()),
            Err(e) => return Attempt::Broken(e.to_string()),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        match read_body(resp).await {
            Ok(body) => Attempt::Answer {
                status,
                retry_after,
                body,
            },
            Err(BodyError::Oversized(detail)) => Attempt::Oversized(detail),
            Err(BodyError::Broken(e)) => {
                Attempt::Broken(format!("connection dropped while reading the body: {e}"))
            }
        }
    }

    /// Reads the threshold when due and pauses as the budget fills.
    async fn budget_gate(&self) {
        let budget = &self.inner.budget;
        if budget.claim_reading() {
            match Box::pin(self.read_threshold()).await {
                Ok(reading) => {
                    tracing::debug!(?reading, "Autotask threshold reading");
                    budget.record(Some(reading));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the Autotask threshold");
                    budget.record(None);
                }
            }
        }
        let pause = budget.delay();
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }

    pub(crate) async fn read_threshold(&self) -> Result<ThresholdInfo> {
        const ENTITY: &str = "ThresholdInformation";
        let body = self
            .execute(Call {
                method: Method::GET,
                target: Target::Path(ENTITY.to_string()),
                entity: ENTITY,
                body: None,
                idempotent: true,
                budgeted: false,
            })
            .await?;
        crate::ops::decode(ENTITY, &body)
    }
}

/// The URL of `target` in `zone`.
fn resolve(target: &Target, zone: &ZoneInfo) -> Result<Url> {
    match target {
        Target::Absolute(url) => Ok(url.clone()),
        Target::Path(path) => {
            let url = format!("{}{}", zone.api_base(), path.trim_start_matches('/'));
            Url::parse(&url).map_err(|e| AutotaskError::Config(format!("request URL {url:?}: {e}")))
        }
    }
}

fn describe(call: &Call<'_>) -> String {
    match &call.target {
        Target::Path(p) => format!("{} {}", call.method, p.split('?').next().unwrap_or(p)),
        Target::Absolute(u) => format!("{} {}", call.method, u.path()),
    }
}

fn auth_headers(config: &AutotaskConfig) -> Result<HeaderMap> {
    let creds = &config.credentials;
    let value = |field: &str, text: &str, sensitive: bool| {
        if text.trim().is_empty() {
            return Err(AutotaskError::Config(format!(
                "credentials.{field} is empty"
            )));
        }
        let mut v = HeaderValue::from_str(text.trim()).map_err(|_| {
            AutotaskError::Config(format!(
                "credentials.{field} contains characters not allowed in an HTTP header"
            ))
        })?;
        v.set_sensitive(sensitive);
        Ok(v)
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("apiintegrationcode"),
        value("integration_code", &creds.integration_code, false)?,
    );
    headers.insert(
        HeaderName::from_static("username"),
        value("username", &creds.username, false)?,
    );
    headers.insert(
        HeaderName::from_static("secret"),
        value("secret", creds.secret.expose(), true)?,
    );
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    Ok(headers)
}
