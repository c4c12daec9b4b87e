//! Autotask datetimes: UTC, ISO-8601, usually with `Z` and trimmed fractions
//! (`2023-03-17T10:32:29.52Z`), but older captures carry no zone (`2018-11-13T17:32:34`)
//! and some date fields come as plain dates. All are read as UTC; all are written with `Z`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Parses any of the forms Autotask returns; zone-less values are UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// The form Autotask documents for writes.
pub fn format(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `#[serde(with = "crate::datetime::opt")]` for `Option<DateTime<Utc>>` fields.
pub mod opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(dt) => serializer.serialize_str(&super::format(dt)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => super::parse(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("not an Autotask datetime: {s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_zone() {
        let z = parse("2019-11-25T15:47:59.167Z").expect("with Z");
        let bare = parse("2019-11-25T15:47:59.167").expect("without Z");
        assert_eq!(z, bare);
        assert_eq!(
            parse("2023-03-17T10:32:29.52Z").map(|d| d.timestamp_subsec_millis()),
            Some(520)
        );
        assert_eq!(
            parse("2023-05-04T08:53:10+02:00"),
            parse("2023-05-04T06:53:10Z")
        );
        assert_eq!(parse("2024-01-31"), parse("2024-01-31T00:00:00Z"));
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn writes_with_z() {
        let dt = parse("2018-11-13T17:32:34").expect("dt");
        assert_eq!(format(&dt), "2018-11-13T17:32:34Z");
    }
}
