//! A wrapper that keeps credentials out of logs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A secret string (API secret, client secret, bearer token).
///
/// `Debug` and `Display` print `***`, so a secret that ends up in a struct that is
/// logged or formatted into an error never leaks. Read it with [`Secret::expose`] only
/// where it is put on the wire.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Secrets are stored (Secrets Manager, local file) as their plain value; serializing is
/// how they get there. Formatting, not serializing, is what must never show them.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn serde_round_trips_the_plain_value() {
        let s = Secret::new("abc");
        let json = serde_json::to_string(&s).expect("serialize");
        assert_eq!(json, "\"abc\"");
        let back: Secret = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, s);
    }
}
