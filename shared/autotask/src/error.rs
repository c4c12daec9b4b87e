//! What can go wrong talking to Autotask, in terms an operator can act on.

use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AutotaskError {
    /// HTTP 401 for a known user: the secret is wrong (or was regenerated).
    #[error(
        "Autotask rejected the credentials (HTTP 401): the API user's secret is wrong; \
         re-enter the username and secret of the API user"
    )]
    BadCredentials,

    /// HTTP 401 whose text says REST is only for API-only users.
    #[error(
        "the Autotask user is not an API user, and the REST API is only accessible to API Only \
         users. Please create an API user in Autotask (Admin > Resources/Users > New API User) \
         with the security level \"API User (system)\" and, under Tracking Identifier, \
         \"Custom (Internal Integration)\"; then save that user's username, secret and \
         integration code here"
    )]
    NotApiUser,

    /// HTTP 500 on authentication: unknown username or unknown/disabled integration code.
    #[error(
        "Autotask does not recognise the API username or the integration code (tracking \
         identifier): {message}"
    )]
    UnknownUserOrIntegrationCode { message: String },

    /// zoneInformation could not place the user in a zone.
    #[error("could not determine the Autotask zone of user {user}: {detail}")]
    ZoneNotFound { user: String, detail: String },

    /// HTTP 404 with an Autotask body: the record does not exist. `message` is what
    /// Autotask said (bounded; empty when it said nothing), since a 404 from the API's
    /// web framework names the route it could not serve.
    #[error("not found: {what}{}", colon_then(message))]
    NotFound { what: String, message: String },

    /// 429 or a thread-limit rejection, still there after every retry.
    #[error(
        "Autotask is throttling this integration (request threshold or thread limit); retry after {retry_after:?}"
    )]
    Throttled { retry_after: Option<Duration> },

    /// Any other non-success answer, with Autotask's error strings.
    #[error("Autotask answered HTTP {status}: {}", errors.join("; "))]
    Api { status: u16, errors: Vec<String> },

    /// A success body that does not match the model; `detail` names the field path.
    #[error("cannot decode the Autotask {entity} response: {detail}")]
    Decode { entity: String, detail: String },

    /// No usable HTTP exchange (connect failure, timeout, connection dropped mid-body).
    #[error("cannot reach Autotask: {detail}")]
    Transport { detail: String },

    /// A query the API would reject anyway; caught before spending a request.
    #[error("invalid Autotask query: {0}")]
    InvalidQuery(String),

    /// A write body that cannot be sent (not an object, missing or stray `id`).
    #[error("invalid Autotask request body: {0}")]
    InvalidBody(String),

    /// A `nextPageUrl` pointing away from the zone; following it would send the
    /// credentials to another host.
    #[error("refusing to follow nextPageUrl {url}: its origin differs from the zone {zone}")]
    UntrustedPageUrl { url: String, zone: String },

    /// The configuration cannot work (bad URL, header-unsafe credential characters).
    #[error("invalid Autotask configuration: {0}")]
    Config(String),
}

impl AutotaskError {
    /// Whether the error says the credentials themselves need fixing.
    pub fn is_credentials_problem(&self) -> bool {
        matches!(
            self,
            Self::BadCredentials | Self::NotApiUser | Self::UnknownUserOrIntegrationCode { .. }
        )
    }
}

/// `": text"`, or nothing for an empty text, so a message-less error reads cleanly.
fn colon_then(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

pub type Result<T, E = AutotaskError> = std::result::Result<T, E>;
