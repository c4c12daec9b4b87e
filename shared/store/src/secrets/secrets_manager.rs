//! The deployed secret source: one Secrets Manager secret per API.

use super::{Kind, SecretError, SecretSource, Stored, decode, encode};
use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use bridge_core::credentials::{
    AcronisCredentials, AutotaskCredentials, CredentialsError, parse_stored,
};

/// Reads and writes the secrets' `SecretString` (the JSON of one credentials type).
///
/// The infrastructure creates both secrets with `{}`, and the bridge's role may only
/// read and put values, so by default a missing secret is an error rather than created;
/// [`SecretsManagerSource::create_if_missing`] is for setups without that step.
#[derive(Debug, Clone)]
pub struct SecretsManagerSource {
    client: Client,
    autotask_secret_id: String,
    acronis_secret_id: String,
    create_if_missing: bool,
}

impl SecretsManagerSource {
    /// `*_secret_id` is a secret name or ARN.
    pub fn new(
        client: Client,
        autotask_secret_id: impl Into<String>,
        acronis_secret_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            autotask_secret_id: autotask_secret_id.into(),
            acronis_secret_id: acronis_secret_id.into(),
            create_if_missing: false,
        }
    }

    /// Create a secret on first save when it does not exist (needs
    /// `secretsmanager:CreateSecret`).
    pub fn create_if_missing(mut self, create: bool) -> Self {
        self.create_if_missing = create;
        self
    }

    fn secret_id(&self, kind: Kind) -> &str {
        match kind {
            Kind::Autotask => &self.autotask_secret_id,
            Kind::Acronis => &self.acronis_secret_id,
        }
    }

    async fn get<T: Stored>(&self, kind: Kind) -> Result<Option<T>, SecretError> {
        let id = self.secret_id(kind);
        let output = match self.client.get_secret_value().secret_id(id).send().await {
            Ok(output) => output,
            // No secret, or a secret that never got a value: both mean "not set".
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                tracing::debug!(secret = id, "secret does not exist yet");
                return Ok(None);
            }
            Err(err) => return Err(aws_error("GetSecretValue", id, &err)),
        };
        let Some(text) = output.secret_string() else {
            if output.secret_binary().is_some() {
                return Err(SecretError::Corrupt {
                    secret: id.to_owned(),
                    problem: CredentialsError::NotAnObject,
                });
            }
            return Ok(None);
        };
        let stored = parse_stored(text).map_err(|problem| SecretError::Corrupt {
            secret: id.to_owned(),
            problem,
        })?;
        stored.map(|value| decode(id, value)).transpose()
    }

    async fn put<T: Stored>(&self, kind: Kind, credentials: &T) -> Result<(), SecretError> {
        let id = self.secret_id(kind);
        let text = encode(id, credentials)?.to_string();
        let put = self
            .client
            .put_secret_value()
            .secret_id(id)
            .secret_string(&text)
            .send()
            .await;
        match put {
            Ok(_) => {}
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                if !self.create_if_missing {
                    return Err(SecretError::Missing {
                        secret: id.to_owned(),
                    });
                }
                self.create(id, text).await?;
            }
            Err(err) => return Err(aws_error("PutSecretValue", id, &err)),
        }
        tracing::info!(secret = id, kind = kind.key(), "credentials saved");
        Ok(())
    }

    async fn create(&self, id: &str, text: String) -> Result<(), SecretError> {
        let created = self
            .client
            .create_secret()
            .name(id)
            .secret_string(&text)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            // Another save created it a moment ago: put our value on top, as a save would.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(CreateSecretError::ResourceExistsException(_))
                ) =>
            {
                self.client
                    .put_secret_value()
                    .secret_id(id)
                    .secret_string(text)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|err| aws_error("PutSecretValue", id, &err))
            }
            Err(err) => Err(aws_error("CreateSecret", id, &err)),
        }
    }
}

/// The SDK's error context names the service error; request inputs (the secret string
/// is marked sensitive in the SDK model) are not part of it.
fn aws_error(
    operation: &'static str,
    secret: &str,
    err: &(impl std::error::Error + 'static),
) -> SecretError {
    SecretError::Aws {
        operation,
        secret: secret.to_owned(),
        detail: DisplayErrorContext(err).to_string(),
    }
}

#[async_trait]
impl SecretSource for SecretsManagerSource {
    async fn get_autotask(&self) -> Result<Option<AutotaskCredentials>, SecretError> {
        self.get(Kind::Autotask).await
    }

    async fn put_autotask(&self, credentials: &AutotaskCredentials) -> Result<(), SecretError> {
        self.put(Kind::Autotask, credentials).await
    }

    async fn get_acronis(&self) -> Result<Option<AcronisCredentials>, SecretError> {
        self.get(Kind::Acronis).await
    }

    async fn put_acronis(&self, credentials: &AcronisCredentials) -> Result<(), SecretError> {
        self.put(Kind::Acronis, credentials).await
    }
}
