//! The operations: queries with automatic paging, CRUD on root and child collections,
//! metadata, threshold.

use crate::classify::{MAX_MESSAGE_CHARS, bounded_middle};
use crate::client::{AutotaskClient, Call, Target};
use crate::error::{AutotaskError, Result};
use crate::models::{Entity, FieldInfo, ThresholdInfo, ZoneInfo};
use crate::query::{Filter, MAX_OR_CONDITIONS, Query};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
    #[serde(rename = "pageDetails", default)]
    page_details: Option<PageDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageDetails {
    #[serde(default)]
    next_page_url: Option<String>,
}

#[derive(Deserialize)]
struct ItemBody<T> {
    #[serde(default = "none")]
    item: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemId {
    item_id: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryCount {
    query_count: u64,
}

#[derive(Deserialize)]
struct Fields {
    fields: Vec<FieldInfo>,
}

/// Decodes a success body; on failure the error names the entity and the JSON path of
/// the offending field (e.g. `items[3].isActive`), each part cut to a bounded length.
pub(crate) fn decode<T: DeserializeOwned>(entity: &str, body: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| AutotaskError::Decode {
        entity: entity.to_string(),
        detail: format!(
            "at `{}`: {}",
            bounded_middle(&e.path().to_string(), MAX_MESSAGE_CHARS),
            bounded_middle(&e.inner().to_string(), MAX_MESSAGE_CHARS)
        ),
    })
}

fn to_body(what: &str, body: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(body)
        .map_err(|e| AutotaskError::InvalidBody(format!("{what}: cannot serialise: {e}")))
}

/// The `id` of a write body, which must be a JSON object.
fn body_id(what: &str, body: &serde_json::Value) -> Result<Option<i64>> {
    let obj = body.as_object().ok_or_else(|| {
        AutotaskError::InvalidBody(format!("{what}: the body must be a JSON object"))
    })?;
    match obj.get("id") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            AutotaskError::InvalidBody(format!("{what}: field `id` must be an integer"))
        }),
    }
}

fn bytes(what: &str, body: &serde_json::Value) -> Result<Vec<u8>> {
    serde_json::to_vec(body)
        .map_err(|e| AutotaskError::InvalidBody(format!("{what}: cannot serialise: {e}")))
}

/// Whether `candidate` may receive our credentials: same scheme, host and port as the
/// zone. Anything else (another host, http instead of https) is refused.
pub fn same_origin(zone: &ZoneInfo, candidate: &Url) -> bool {
    Url::parse(&zone.url).is_ok_and(|z| z.origin() == candidate.origin())
}

/// The flat entity behind a child route (`/Contracts/{id}/ServiceAdjustments` →
/// `ContractServiceAdjustments`). The thread limit is per endpoint; which entity a
/// child route counts toward is undocumented — this assumes the flat child entity
/// (unconfirmed), which is also the entity errors should name.
pub fn child_entity(parent: &str, child: &str) -> String {
    const ROUTES: &[(&str, &str, &str)] = &[
        ("Companies", "Contacts", "Contacts"),
        ("Companies", "Locations", "CompanyLocations"),
        ("Companies", "Notes", "CompanyNotes"),
        ("Contracts", "Services", "ContractServices"),
        ("Contracts", "ServiceUnits", "ContractServiceUnits"),
        (
            "Contracts",
            "ServiceAdjustments",
            "ContractServiceAdjustments",
        ),
        ("Contracts", "ServiceBundles", "ContractServiceBundles"),
        (
            "Contracts",
            "ServiceBundleUnits",
            "ContractServiceBundleUnits",
        ),
        (
            "Contracts",
            "ServiceBundleAdjustments",
            "ContractServiceBundleAdjustments",
        ),
        ("Contracts", "Charges", "ContractCharges"),
        ("Contracts", "BillingRules", "ContractBillingRules"),
        ("ServiceBundles", "Services", "ServiceBundleServices"),
        ("Tickets", "Notes", "TicketNotes"),
        ("Tickets", "Charges", "TicketCharges"),
        (
            "UserDefinedFields",
            "ListItems",
            "UserDefinedFieldListItems",
        ),
    ];
    ROUTES
        .iter()
        .find(|(p, c, _)| p.eq_ignore_ascii_case(parent) && c.eq_ignore_ascii_case(child))
        .map_or_else(|| child.to_string(), |(_, _, flat)| flat.to_string())
}

impl AutotaskClient {
    /// Every record of `T` matching `query`, following `nextPageUrl` until it is null.
    pub async fn query<T: Entity>(&self, query: &Query) -> Result<Vec<T>> {
        self.query_as(T::NAME, query).await
    }

    /// Like [`query`](Self::query) for an entity without a model (e.g. into
    /// `serde_json::Value`).
    pub async fn query_as<T: DeserializeOwned>(
        &self,
        entity: &str,
        query: &Query,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.query_pages(entity, query, |page: Vec<T>| all.extend(page))
            .await?;
        Ok(all)
    }

    /// Streams the pages of a query to `on_page` (bounded memory for big sweeps).
    /// After a POST query each next page is POSTed with the same body, as the API
    /// requires.
    pub async fn query_pages<T: DeserializeOwned>(
        &self,
        entity: &str,
        query: &Query,
        on_page: impl FnMut(Vec<T>),
    ) -> Result<()> {
        query.validate().map_err(AutotaskError::InvalidQuery)?;
        let body = serde_json::to_vec(query)
            .map_err(|e| AutotaskError::InvalidQuery(format!("cannot serialise: {e}")))?;
        let first = Target::Path(format!("{entity}/query"));
        self.follow_pages(entity, Method::POST, first, Some(body), on_page)
            .await
    }

    /// Queries `field in ids` in chunks that respect the API's cap of 500 OR conditions
    /// (minus any the base query already holds); ids are de-duplicated first.
    pub async fn query_in_chunks<T: Entity>(
        &self,
        field: &str,
        ids: &[i64],
        base: &Query,
    ) -> Result<Vec<T>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let room = MAX_OR_CONDITIONS.saturating_sub(base.or_conditions());
        if room == 0 {
            return Err(AutotaskError::InvalidQuery(format!(
                "Filter: the base query already holds {MAX_OR_CONDITIONS} OR conditions"
            )));
        }
        let mut all = Vec::new();
        for chunk in ids.chunks(room) {
            let q = base
                .clone()
                .and(Filter::in_list(field, chunk.iter().copied()));
            all.extend(self.query::<T>(&q).await?);
        }
        Ok(all)
    }

    /// How many records match `query` (`/query/count`), one request.
    pub async fn count(&self, entity: &str, query: &Query) -> Result<u64> {
        query.validate().map_err(AutotaskError::InvalidQuery)?;
        let body = serde_json::to_vec(query)
            .map_err(|e| AutotaskError::InvalidQuery(format!("cannot serialise: {e}")))?;
        let answer = self
            .execute(Call {
                method: Method::POST,
                target: Target::Path(format!("{entity}/query/count")),
                entity,
                body: Some(body),
                idempotent: true,
                budgeted: true,
            })
            .await?;
        Ok(decode::<QueryCount>(entity, &answer)?.query_count)
    }

    /// One record by id; `None` when Autotask has no such record (404).
    pub async fn get<T: DeserializeOwned>(&self, entity: &str, id: i64) -> Result<Option<T>> {
        let answer = self
            .execute(Call {
                method: Method::GET,
                target: Target::Path(format!("{entity}/{id}")),
                entity,
                body: None,
                idempotent: true,
                budgeted: true,
            })
            .await;
        match answer {
            Ok(body) => Ok(decode::<ItemBody<T>>(entity, &body)?.item),
            Err(AutotaskError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a root record; returns its id. Never resent once it may have reached
    /// the server (no idempotency keys; most entities accept duplicates).
    pub async fn create(&self, entity: &str, body: &impl Serialize) -> Result<i64> {
        self.create_at(entity, entity.to_string(), body).await
    }

    /// PATCHes a root record: the collection URL with `id` in the body; only the
    /// fields present change.
    pub async fn update(&self, entity: &str, body: &impl Serialize) -> Result<i64> {
        self.update_at(entity, entity.to_string(), body).await
    }

    /// Creates a record through its parent, e.g. `("Contracts", 7, "ServiceAdjustments")`.
    pub async fn create_child(
        &self,
        parent: &str,
        parent_id: i64,
        child: &str,
        body: &impl Serialize,
    ) -> Result<i64> {
        let entity = child_entity(parent, child);
        self.create_at(&entity, format!("{parent}/{parent_id}/{child}"), body)
            .await
    }

    /// PATCHes a child record through its parent (`id` in the body).
    pub async fn update_child(
        &self,
        parent: &str,
        parent_id: i64,
        child: &str,
        body: &impl Serialize,
    ) -> Result<i64> {
        let entity = child_entity(parent, child);
        self.update_at(&entity, format!("{parent}/{parent_id}/{child}"), body)
            .await
    }

    /// Deletes a child record through its parent.
    pub async fn delete_child(
        &self,
        parent: &str,
        parent_id: i64,
        child: &str,
        id: i64,
    ) -> Result<()> {
        let entity = child_entity(parent, child);
        self.execute(Call {
            method: Method::DELETE,
            target: Target::Path(format!("{parent}/{parent_id}/{child}/{id}")),
            entity: &entity,
            body: None,
            idempotent: true,
            budgeted: true,
        })
        .await
        .map(drop)
    }

    /// Every child of one parent (`GET /{Parent}/{id}/{Child}`), following pages.
    pub async fn list_child<T: DeserializeOwned>(
        &self,
        parent: &str,
        parent_id: i64,
        child: &str,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let first = Target::Path(format!("{parent}/{parent_id}/{child}"));
        let entity = child_entity(parent, child);
        self.follow_pages(&entity, Method::GET, first, None, |page: Vec<T>| {
            all.extend(page)
        })
        .await?;
        Ok(all)
    }

    /// Field metadata of an entity, picklists included.
    pub async fn entity_fields(&self, entity: &str) -> Result<Vec<FieldInfo>> {
        self.fields_at(entity, "fields").await
    }

    /// The user-defined fields defined for an entity.
    pub async fn udf_fields(&self, entity: &str) -> Result<Vec<FieldInfo>> {
        self.fields_at(entity, "userDefinedFields").await
    }

    /// Reads ThresholdInformation now (one request) and keeps it as the
    /// [`budget`](Self::budget) reading.
    pub async fn threshold(&self) -> Result<ThresholdInfo> {
        let reading = self.read_threshold().await?;
        self.inner.budget.record(Some(reading));
        Ok(reading)
    }

    async fn fields_at(&self, entity: &str, kind: &str) -> Result<Vec<FieldInfo>> {
        let answer = self
            .execute(Call {
                method: Method::GET,
                target: Target::Path(format!("{entity}/entityInformation/{kind}")),
                entity,
                body: None,
                idempotent: true,
                budgeted: true,
            })
            .await?;
        Ok(decode::<Fields>(entity, &answer)?.fields)
    }

    async fn create_at(&self, entity: &str, path: String, body: &impl Serialize) -> Result<i64> {
        let value = to_body(&path, body)?;
        if body_id(&path, &value)?.is_some_and(|id| id != 0) {
            return Err(AutotaskError::InvalidBody(format!(
                "{path}: a create must not carry a non-zero `id`"
            )));
        }
        let answer = self
            .execute(Call {
                method: Method::POST,
                target: Target::Path(path.clone()),
                entity,
                body: Some(bytes(&path, &value)?),
                idempotent: false,
                budgeted: true,
            })
            .await?;
        Ok(decode::<ItemId>(entity, &answer)?.item_id)
    }

    async fn update_at(&self, entity: &str, path: String, body: &impl Serialize) -> Result<i64> {
        let value = to_body(&path, body)?;
        if body_id(&path, &value)?.is_none_or(|id| id == 0) {
            return Err(AutotaskError::InvalidBody(format!(
                "{path}: an update needs the record's `id` in the body"
            )));
        }
        let answer = self
            .execute(Call {
                method: Method::PATCH,
                target: Target::Path(path.clone()),
                entity,
                body: Some(bytes(&path, &value)?),
                idempotent: true,
                budgeted: true,
            })
            .await?;
        Ok(decode::<ItemId>(entity, &answer)?.item_id)
    }

    /// Requests `first`, then each `nextPageUrl` (same method and body) until null.
    async fn follow_pages<T: DeserializeOwned>(
        &self,
        entity: &str,
        method: Method,
        first: Target,
        body: Option<Vec<u8>>,
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<()> {
        let mut target = first;
        let mut previous: Option<String> = None;
        loop {
            let answer = self
                .execute(Call {
                    method: method.clone(),
                    target,
                    entity,
                    body: body.clone(),
                    idempotent: true,
                    budgeted: true,
                })
                .await?;
            let page: Page<T> = decode(entity, &answer)?;
            on_page(page.items);
            let next = page
                .page_details
                .and_then(|d| d.next_page_url)
                .filter(|u| !u.trim().is_empty());
            let Some(next) = next else {
                return Ok(());
            };
            if previous.as_deref() == Some(next.as_str()) {
                return Err(AutotaskError::Decode {
                    entity: entity.to_string(),
                    detail: "at `pageDetails.nextPageUrl`: repeats the previous page".into(),
                });
            }
            target = self.next_target(entity, &next).await?;
            previous = Some(next);
        }
    }

    /// Checks a `nextPageUrl` against the zone's origin; a URL under the zone's API
    /// root becomes a relative path so it survives a zone re-discovery.
    async fn next_target(&self, entity: &str, next: &str) -> Result<Target> {
        let zone = self.zone().await?;
        let zone_url = Url::parse(&zone.url).map_err(|e| AutotaskError::ZoneNotFound {
            user: self.config().credentials.username.clone(),
            detail: format!("zone url {:?}: {e}", zone.url),
        })?;
        let url = zone_url.join(next).map_err(|e| AutotaskError::Decode {
            entity: entity.to_string(),
            detail: format!("at `pageDetails.nextPageUrl`: not a URL ({e})"),
        })?;
        if !same_origin(&zone, &url) {
            return Err(AutotaskError::UntrustedPageUrl {
                url: url.to_string(),
                zone: zone.url.clone(),
            });
        }
        let base = zone.api_base();
        let text = url.as_str();
        match text.get(..base.len()) {
            Some(head) if head.eq_ignore_ascii_case(&base) => {
                Ok(Target::Path(text[base.len()..].to_string()))
            }
            _ => Ok(Target::Absolute(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(url: &str) -> ZoneInfo {
        ZoneInfo {
            zone_name: None,
            url: url.to_string(),
            web_url: None,
            ci: None,
        }
    }

    #[test]
    fn origin_check_compares_scheme_host_and_port() {
        let z = zone("https://webservices15.autotask.net/ATServicesRest/");
        let ok = Url::parse(
            "https://webservices15.autotask.net/ATServicesRest/V1.0/Companies/query/next?paging=x",
        )
        .expect("url");
        assert!(same_origin(&z, &ok));
        for bad in [
            "https://evil.example/ATServicesRest/V1.0/Companies/query/next",
            "http://webservices15.autotask.net/ATServicesRest/V1.0/x",
            "https://webservices15.autotask.net:8443/ATServicesRest/V1.0/x",
            "https://webservices15.autotask.net.evil.example/x",
        ] {
            assert!(!same_origin(&z, &Url::parse(bad).expect("url")), "{bad}");
        }
    }

    #[test]
    fn decode_errors_name_the_entity_and_field_path() {
        let err = decode::<Page<crate::models::Contact>>(
            "Contacts",
            br#"{"items":[{"id":1,"isActive":1},{"id":2,"isActive":true}]}"#,
        )
        .err()
        .expect("bool in an int field");
        let text = err.to_string();
        assert!(text.contains("Contacts"), "{text}");
        assert!(text.contains("items[1].isActive"), "{text}");
        let err =
            decode::<Page<crate::models::Company>>("Companies", br#"{"items": [{"id": 1, "na"#)
                .err()
                .expect("truncated");
        assert!(matches!(err, AutotaskError::Decode { ref entity, .. } if entity == "Companies"));
    }

    #[test]
    fn child_routes_map_to_their_flat_entities() {
        assert_eq!(
            child_entity("Contracts", "ServiceAdjustments"),
            "ContractServiceAdjustments"
        );
        assert_eq!(child_entity("tickets", "notes"), "TicketNotes");
        assert_eq!(child_entity("Companies", "Contacts"), "Contacts");
        assert_eq!(child_entity("Projects", "Tasks"), "Tasks");
    }

    #[test]
    fn write_bodies_must_be_objects_with_integer_ids() {
        let v = serde_json::json!({"id": 5, "x": 1});
        assert_eq!(body_id("X", &v).expect("id"), Some(5));
        assert!(body_id("X", &serde_json::json!([1])).is_err());
        assert!(body_id("X", &serde_json::json!({"id": "5"})).is_err());
        assert_eq!(body_id("X", &serde_json::json!({})).expect("none"), None);
    }
}
