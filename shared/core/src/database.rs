//! Which Autotask database the bridge works on, judged from a zone lookup.
//!
//! Company ids, contract service ids and ticket ids are numbered per database, so the
//! same id in another database is another customer. Credentials that reach another
//! database (a sandbox, another entity, a typo in the user name) would make every
//! mapped company look contract-less; the identity recorded at the first credential
//! save (`ci`, the database's number in the zone lookup) tells them apart. A new zone
//! with the same `ci` is the same database, moved to another server.

use crate::records::{DatabaseIdentity, DatabaseMismatch};
use chrono::{DateTime, Utc};

/// What a zone lookup answered, and who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<'a> {
    pub ci: Option<i64>,
    pub zone_url: &'a str,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// What the lookup says of the recorded identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing was recorded yet: this database is recorded now.
    Recorded,
    /// The recorded database, where it was.
    Same,
    /// The recorded database on another server: followed.
    Moved,
    /// The recorded database again, after credentials of another one: writes resume.
    Back,
    /// Another database: every job that writes stops until the operator decides.
    /// `first` when this mismatch is new (to audit and record it once).
    Different { first: bool },
    /// The lookup named no database: nothing can be judged, nothing is stopped.
    Unknown,
}

impl Verdict {
    /// Whether the jobs may write.
    pub fn allows_writes(&self) -> bool {
        !matches!(self, Verdict::Different { .. })
    }

    /// The audit kind of a verdict that changes the record.
    pub fn audit_kind(&self) -> Option<&'static str> {
        match self {
            Verdict::Recorded => Some("autotask.database.recorded"),
            Verdict::Moved => Some("autotask.database.moved"),
            Verdict::Back => Some("autotask.database.confirmed"),
            Verdict::Different { first: true } => Some("autotask.database.changed"),
            _ => None,
        }
    }
}

/// The verdict, and the identity to store when it changes.
pub fn judge(
    recorded: Option<&DatabaseIdentity>,
    lookup: &Lookup<'_>,
) -> (Verdict, Option<DatabaseIdentity>) {
    let Some(ci) = lookup.ci else {
        return (Verdict::Unknown, None);
    };
    let Some(recorded) = recorded else {
        let identity = DatabaseIdentity {
            ci,
            zone_url: lookup.zone_url.to_owned(),
            recorded_at: lookup.at,
            recorded_by: lookup.by.to_owned(),
            mismatch: None,
        };
        return (Verdict::Recorded, Some(identity));
    };
    if ci == recorded.ci {
        let moved = recorded.zone_url != lookup.zone_url;
        let verdict = match (&recorded.mismatch, moved) {
            (Some(_), _) => Verdict::Back,
            (None, true) => Verdict::Moved,
            (None, false) => return (Verdict::Same, None),
        };
        let identity = DatabaseIdentity {
            zone_url: lookup.zone_url.to_owned(),
            mismatch: None,
            ..recorded.clone()
        };
        return (verdict, Some(identity));
    }
    if let Some(seen) = &recorded.mismatch
        && seen.ci == ci
    {
        return (Verdict::Different { first: false }, None);
    }
    let identity = DatabaseIdentity {
        mismatch: Some(DatabaseMismatch {
            ci,
            zone_url: lookup.zone_url.to_owned(),
            seen_at: lookup.at,
            seen_by: lookup.by.to_owned(),
        }),
        ..recorded.clone()
    };
    (Verdict::Different { first: true }, Some(identity))
}

/// What the operator reads wherever the jobs are stopped by a mismatch.
pub fn stopped_message(identity: &DatabaseIdentity) -> Option<String> {
    let mismatch = identity.mismatch.as_ref()?;
    Some(format!(
        "the saved Autotask credentials reach database {} ({}), not database {} ({}) that \
         the bridge's mappings belong to; every job that writes is stopped. Either save the \
         credentials of database {} again (PUT /credentials/autotask), or start over with \
         database {} (POST /database/adopt {{\"ci\": {}}}, bridge database adopt {}), which \
         forgets the mappings, snapshots, cursors and clocks",
        mismatch.ci,
        mismatch.zone_url,
        identity.ci,
        identity.zone_url,
        identity.ci,
        mismatch.ci,
        mismatch.ci,
        mismatch.ci,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = "https://webservices15.autotask.net/ATServicesRest/";
    const OTHER_ZONE: &str = "https://webservices2.autotask.net/ATServicesRest/";

    fn at() -> DateTime<Utc> {
        "2026-12-01T03:00:00Z".parse().expect("time")
    }

    fn lookup(ci: Option<i64>, zone_url: &str) -> Lookup<'_> {
        Lookup {
            ci,
            zone_url,
            at: at(),
            by: "contract-poller",
        }
    }

    fn recorded(ci: i64) -> DatabaseIdentity {
        DatabaseIdentity {
            ci,
            zone_url: ZONE.to_owned(),
            recorded_at: at(),
            recorded_by: "ops".to_owned(),
            mismatch: None,
        }
    }

    #[test]
    fn the_first_lookup_is_recorded() {
        let (verdict, stored) = judge(None, &lookup(Some(7), ZONE));
        assert_eq!(verdict, Verdict::Recorded);
        assert_eq!(stored.expect("stored").ci, 7);
        assert_eq!(judge(None, &lookup(None, ZONE)), (Verdict::Unknown, None));
    }

    #[test]
    fn the_same_database_is_followed_to_a_new_zone() {
        assert_eq!(
            judge(Some(&recorded(7)), &lookup(Some(7), ZONE)),
            (Verdict::Same, None)
        );
        let (verdict, stored) = judge(Some(&recorded(7)), &lookup(Some(7), OTHER_ZONE));
        assert_eq!(verdict, Verdict::Moved);
        assert!(verdict.allows_writes());
        let stored = stored.expect("stored");
        assert_eq!((stored.ci, stored.zone_url.as_str()), (7, OTHER_ZONE));
        assert_eq!(stored.recorded_by, "ops");
    }

    #[test]
    fn another_database_stops_writes_until_the_old_one_is_back() {
        let (verdict, stored) = judge(Some(&recorded(7)), &lookup(Some(9), OTHER_ZONE));
        assert_eq!(verdict, Verdict::Different { first: true });
        assert!(!verdict.allows_writes());
        let stored = stored.expect("stored");
        assert_eq!(stored.ci, 7, "the recorded database stays");
        let mismatch = stored.mismatch.clone().expect("mismatch");
        assert_eq!(
            (mismatch.ci, mismatch.seen_by.as_str()),
            (9, "contract-poller")
        );
        let message = stopped_message(&stored).expect("message");
        assert!(message.contains("database 9") && message.contains("database 7"));
        assert!(message.contains("POST /database/adopt {\"ci\": 9}"));

        // Seen again: nothing new to record.
        assert_eq!(
            judge(Some(&stored), &lookup(Some(9), OTHER_ZONE)),
            (Verdict::Different { first: false }, None)
        );
        // A third database is a new mismatch.
        let (third, _) = judge(Some(&stored), &lookup(Some(11), OTHER_ZONE));
        assert_eq!(third, Verdict::Different { first: true });
        // The old credentials again: the mismatch goes.
        let (back, cleared) = judge(Some(&stored), &lookup(Some(7), ZONE));
        assert_eq!(back, Verdict::Back);
        assert_eq!(cleared, Some(recorded(7)));
        assert_eq!(stopped_message(&recorded(7)), None);
    }

    #[test]
    fn a_lookup_without_a_database_number_judges_nothing() {
        assert_eq!(
            judge(Some(&recorded(7)), &lookup(None, OTHER_ZONE)),
            (Verdict::Unknown, None)
        );
    }
}
