//! Opaque page tokens: base64 (URL-safe) of a small JSON object of strings — the key to
//! resume after. Decoding validates the shape and the scope, so a token from another
//! listing or a hand-edited one is refused instead of silently skipping data.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::StoreError;

/// Longest token accepted; keys are small, anything bigger is not ours.
const MAX_TOKEN_LEN: usize = 4096;

pub(crate) type TokenKey = BTreeMap<String, String>;

pub(crate) fn encode(key: &TokenKey) -> String {
    // A map of strings always serializes.
    let json = serde_json::to_vec(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a token and checks it carries exactly `fields` and that `scope_field` equals
/// `scope` (the listing it was issued for).
pub(crate) fn decode(
    token: &str,
    fields: &[&str],
    scope_field: &str,
    scope: &str,
) -> Result<TokenKey, StoreError> {
    let bad = |detail: &str| StoreError::invalid("page_token", detail.to_owned());
    if token.len() > MAX_TOKEN_LEN {
        return Err(bad("too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad("not base64url"))?;
    let key: TokenKey = serde_json::from_slice(&bytes).map_err(|_| bad("not a page token"))?;
    let same_fields =
        key.len() == fields.len() && fields.iter().all(|field| key.contains_key(*field));
    if !same_fields {
        return Err(bad("not a page token of this listing"));
    }
    if key.get(scope_field).map(String::as_str) != Some(scope) {
        return Err(bad("issued for a different listing"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> TokenKey {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn round_trips_and_checks_scope() {
        let token = encode(&key(&[("PK", "AUDIT"), ("SK", "2026#1")]));
        let back = decode(&token, &["PK", "SK"], "PK", "AUDIT").expect("valid token");
        assert_eq!(back["SK"], "2026#1");
        let err = decode(&token, &["PK", "SK"], "PK", "MAPPINGS").expect_err("other scope");
        assert!(err.to_string().contains("page_token"), "{err}");
    }

    #[test]
    fn refuses_garbage_and_foreign_shapes() {
        assert!(decode("***", &["PK"], "PK", "x").is_err());
        let not_json = URL_SAFE_NO_PAD.encode("hello");
        assert!(decode(&not_json, &["PK"], "PK", "x").is_err());
        let extra = encode(&key(&[("PK", "x"), ("evil", "1")]));
        assert!(decode(&extra, &["PK"], "PK", "x").is_err());
    }
}
