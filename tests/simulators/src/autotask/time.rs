//! Datetimes the way Autotask REST writes and reads them: UTC, ISO-8601, `Z` suffix,
//! fractional seconds with trailing zeros trimmed (`2023-03-17T10:32:29.52Z`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Formats an instant as Autotask does: `2023-05-04T08:53:10Z`, `…:29.52Z`.
pub fn format(at: DateTime<Utc>) -> String {
    let base = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    let millis = at.timestamp_subsec_millis();
    if millis == 0 {
        return format!("{base}Z");
    }
    let frac = format!("{millis:03}");
    format!("{base}.{}Z", frac.trim_end_matches('0'))
}

/// Parses what clients send: RFC 3339 (`Z` or offset), a naive datetime (taken as UTC,
/// like older captures without `Z`), or a plain date (midnight UTC).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for pattern in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(midnight)
}

/// Midnight UTC of a calendar day: how contract and unit dates are stored.
pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
}

/// The calendar day (UTC) of a datetime string, for date-granular contract logic.
pub fn day_of(text: &str) -> Option<NaiveDate> {
    parse(text).map(|at| at.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_trimmed_fraction_and_z() {
        let at = parse("2023-03-17T10:32:29.520Z").unwrap();
        assert_eq!(format(at), "2023-03-17T10:32:29.52Z");
        let at = parse("2023-05-04T08:53:10Z").unwrap();
        assert_eq!(format(at), "2023-05-04T08:53:10Z");
    }

    #[test]
    fn parses_the_shapes_clients_send() {
        let z = parse("2018-11-13T17:32:34Z").unwrap();
        assert_eq!(parse("2018-11-13T17:32:34").unwrap(), z);
        assert_eq!(parse("2018-11-13T19:32:34+02:00").unwrap(), z);
        assert_eq!(format(parse("2024-02-29").unwrap()), "2024-02-29T00:00:00Z");
        assert!(parse("yesterday").is_none());
        assert!(parse("2024-02-30").is_none());
    }
}
