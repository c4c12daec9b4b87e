//! Users: login check, creation, activation email, roles (access policies).

use crate::client::{AcronisClient, api2, seg, to_body};
use crate::error::Error;
use crate::tenants::Contact;
use crate::transport::Call;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A user as the account server returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub version: u64,
    pub tenant_id: String,
    pub login: String,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub activated: bool,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub language: Option<String>,
    /// The `unit` tenant created for the user.
    #[serde(default)]
    pub personal_tenant_id: Option<String>,
    #[serde(default)]
    pub mfa_status: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `POST /users`. `contact.email` is needed for the activation email.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserCreate {
    pub tenant_id: String,
    pub login: String,
    pub contact: Contact,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// One role of a user on a tenant. `PUT /users/{id}/access_policies` replaces the set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessPolicy {
    pub id: String,
    pub issuer_id: String,
    /// e.g. `company_admin`, `partner_admin`, `backup_user`.
    pub role_id: String,
    pub tenant_id: String,
    pub trustee_id: String,
    /// `user`, `user_group` or `client`.
    pub trustee_type: String,
    #[serde(default)]
    pub version: u64,
}

/// New policies carry the nil uuid as id and issuer; the server assigns them.
const NIL: &str = "00000000-0000-0000-0000-000000000000";

impl AccessPolicy {
    /// `role_id` for `user_id` on `tenant_id`.
    pub fn user_role(role_id: &str, tenant_id: &str, user_id: &str) -> Self {
        Self {
            id: NIL.into(),
            issuer_id: NIL.into(),
            role_id: role_id.into(),
            tenant_id: tenant_id.into(),
            trustee_id: user_id.into(),
            trustee_type: "user".into(),
            version: 0,
        }
    }
}

impl AcronisClient {
    /// Whether `login` is still free (`204`); a taken login answers `409`.
    pub async fn check_login(&self, login: &str) -> Result<bool, Error> {
        let call = Call::get(api2("/users/check_login")).query("username", login);
        match self.send(call).await {
            Ok(_) => Ok(true),
            Err(Error::Api { status: 409, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn get_user(&self, id: &str) -> Result<User, Error> {
        self.fetch(Call::get(api2(format!("/users/{}", seg(id)))), "user")
            .await
    }

    /// `POST /users`; not repeated after a 5xx (check the login before trying again).
    pub async fn create_user(&self, user: &UserCreate) -> Result<User, Error> {
        if user.login.trim().is_empty() {
            return Err(Error::InvalidArgument {
                field: "login",
                reason: "a user needs a login".into(),
            });
        }
        let call = Call::new(Method::POST, api2("/users")).json(to_body("user", user)?);
        self.fetch(call, "created user").await
    }

    /// `POST /users/{id}/send-activation-email` with the empty JSON body Acronis
    /// requires. Not repeated after a 5xx, so the customer gets at most one email.
    pub async fn send_activation_email(&self, user_id: &str) -> Result<(), Error> {
        let call = Call::new(
            Method::POST,
            api2(format!("/users/{}/send-activation-email", seg(user_id))),
        )
        .json(json!({}));
        self.send(call).await.map(drop)
    }

    /// Replaces the user's roles; an empty list makes a plain user.
    pub async fn set_access_policies(
        &self,
        user_id: &str,
        policies: &[AccessPolicy],
    ) -> Result<(), Error> {
        let call = Call::new(
            Method::PUT,
            api2(format!("/users/{}/access_policies", seg(user_id))),
        )
        .json(json!({ "items": to_body("access policies", &policies)? }));
        self.send(call).await.map(drop)
    }

    /// `GET /users/{id}/access_policies`.
    pub async fn access_policies(&self, user_id: &str) -> Result<Vec<AccessPolicy>, Error> {
        let call = Call::get(api2(format!("/users/{}/access_policies", seg(user_id))));
        self.all_pages(call, "access policies").await
    }
}
