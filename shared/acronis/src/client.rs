//! The client handle and what every resource module shares.

use crate::config::AcronisConfig;
use crate::error::Error;
use crate::token::Token;
use crate::transport::Call;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Batch endpoints (`?uuids=`, `?tenants=`) are called with at most this many ids;
/// the server limit is undocumented and integrations use 100 (unconfirmed).
pub(crate) const BATCH: usize = 100;

/// How often the read-modify-write helpers re-read after a version conflict.
pub(crate) const CONFLICT_ATTEMPTS: u32 = 5;

/// Typed client of one Acronis data center. Cloning is cheap and clones share the
/// token, the connection pool and the request counter.
#[derive(Clone)]
pub struct AcronisClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    /// Validated data-center URL without trailing slash.
    pub base_url: String,
    pub config: AcronisConfig,
    pub token: tokio::sync::Mutex<Option<Token>>,
    pub requests: AtomicU64,
    pub tenant_id: tokio::sync::OnceCell<String>,
}

impl fmt::Debug for AcronisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcronisClient")
            .field("base_url", &self.inner.base_url)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

impl AcronisClient {
    /// Validates the settings and builds the HTTP client; makes no request yet.
    pub fn new(config: AcronisConfig) -> Result<Self, Error> {
        let base_url = config.validate()?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::InvalidConfig {
                field: "user_agent",
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                config,
                token: tokio::sync::Mutex::new(None),
                requests: AtomicU64::new(0),
                tenant_id: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The data-center URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// HTTP requests sent so far by this client and its clones, token requests and
    /// retries included.
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The tenant the API client belongs to (`GET /api/2/clients/{id}`), asked once.
    pub async fn tenant_id(&self) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct ApiClient {
            tenant_id: String,
        }
        self.inner
            .tenant_id
            .get_or_try_init(|| async {
                let path = api2(format!("/clients/{}", seg(&self.inner.config.client_id)));
                let client: ApiClient = self.fetch(Call::get(path), "API client").await?;
                Ok(client.tenant_id)
            })
            .await
            .cloned()
    }

    /// Every item of a cursor-paged list (`paging.cursors.after`), keeping the query
    /// and adding the cursor of the next page.
    pub(crate) async fn all_pages<T: DeserializeOwned>(
        &self,
        call: Call,
        resource: &str,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page_call = match &after {
                Some(cursor) => call.clone().query("after", cursor.clone()),
                None => call.clone(),
            };
            let page: Page<T> = self.fetch(page_call, resource).await?;
            let next = page.next_cursor();
            items.extend(page.items);
            match next {
                None => return Ok(items),
                Some(next) if after.as_ref() == Some(&next) => {
                    return Err(Error::Decode {
                        resource: resource.to_string(),
                        detail: "at `paging.cursors.after`: the server repeated the cursor".into(),
                    });
                }
                Some(next) => after = Some(next),
            }
        }
    }
}

/// `{"items": [...], "paging": {"cursors": {"after": "..."}}}`; both parts optional.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(default)]
    paging: Option<Paging>,
}

impl<T> Page<T> {
    /// The cursor of the next page; absent or empty means this was the last.
    pub(crate) fn next_cursor(&self) -> Option<String> {
        let after = self.paging.as_ref()?.cursors.as_ref()?.after.as_ref()?;
        (!after.is_empty()).then(|| after.clone())
    }
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

/// `/api/2` + `path`.
pub(crate) fn api2(path: impl fmt::Display) -> String {
    format!("/api/2{path}")
}

/// `/api/alert_manager/v1` + `path`.
pub(crate) fn alert_manager(path: impl fmt::Display) -> String {
    format!("/api/alert_manager/v1{path}")
}

/// An id as one path segment; ids come from data, so they are escaped.
pub(crate) fn seg(id: &str) -> String {
    urlencoding::encode(id).into_owned()
}

/// Comma-joined ids for `?uuids=` / `?tenants=`.
pub(crate) fn joined(ids: &[String]) -> String {
    ids.join(",")
}

/// Serializes a request body; our types always serialize, but say so if not.
pub(crate) fn to_body<T: Serialize>(
    field: &'static str,
    value: &T,
) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::InvalidArgument {
        field,
        reason: e.to_string(),
    })
}
