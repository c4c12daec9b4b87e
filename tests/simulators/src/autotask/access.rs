//! Who may call and how much: the three auth headers (reference 2.4), the hourly request
//! threshold per database (4.1) and the concurrent-thread limit per integration code and
//! endpoint (4.3).

use super::error::ApiError;
use super::seed::ApiUser;
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The caller, once authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub integration_code: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Checks `ApiIntegrationCode`, `UserName` and `Secret` (header names are
/// case-insensitive in HTTP already). Statuses follow the reported behaviour: wrong
/// secret 401, unknown user 500, unknown integration code 500.
pub fn authenticate(users: &[ApiUser], headers: &HeaderMap) -> Result<Caller, ApiError> {
    let username = header(headers, "UserName").unwrap_or_default();
    let Some(user) = users
        .iter()
        .find(|u| u.username.eq_ignore_ascii_case(username))
    else {
        return Err(ApiError::server(format!(
            "Unable to authenticate the user '{username}': the user name was not found or is not active."
        )));
    };
    if header(headers, "Secret") != Some(user.secret.as_str()) {
        return Err(ApiError::new(
            401,
            "Authentication failed: the secret is not valid for this user.",
        ));
    }
    if !user.api_only {
        // SOAP answered "Version 1.6 of the API is only accessible to API Only users.";
        // the REST wording and the 401 status are unconfirmed — clients should look for
        // "API Only users" in the text.
        return Err(ApiError::new(
            401,
            "Version 1.0 of the REST API is only accessible to API Only users. Ask your Autotask administrator to assign an API User (API-only) security level to this resource.",
        ));
    }
    let code = header(headers, "ApiIntegrationCode").unwrap_or_default();
    // Any tracking identifier known to the database is accepted (vendor codes are shared
    // by many users); an unknown one answers 500.
    if code.is_empty() || !users.iter().any(|u| u.integration_code == code) {
        return Err(ApiError::server(
            "The tracking identifier sent in ApiIntegrationCode is not valid or has been deactivated.",
        ));
    }
    Ok(Caller {
        integration_code: code.to_string(),
    })
}

/// Authenticated requests of the rolling last 60 minutes, bucketed by arrival time.
#[derive(Debug, Default)]
pub struct Budget {
    window: VecDeque<(DateTime<Utc>, u32)>,
}

impl Budget {
    fn prune(&mut self, now: DateTime<Utc>) {
        let horizon = now - Duration::minutes(60);
        while self.window.front().is_some_and(|(at, _)| *at <= horizon) {
            self.window.pop_front();
        }
    }

    /// Requests counted in the window ending now.
    pub fn used(&mut self, now: DateTime<Utc>) -> u32 {
        self.prune(now);
        self.window.iter().map(|(_, n)| n).sum()
    }

    pub fn record(&mut self, now: DateTime<Utc>) {
        match self.window.back_mut() {
            Some((at, n)) if *at == now => *n += 1,
            _ => self.window.push_back((now, 1)),
        }
    }

    /// Replaces the window with `used` requests made just now.
    pub fn set(&mut self, now: DateTime<Utc>, used: u32) {
        self.window.clear();
        if used > 0 {
            self.window.push_back((now, used));
        }
    }
}

/// In-flight requests per (integration code, endpoint).
#[derive(Debug, Default, Clone)]
pub struct Threads {
    inflight: Arc<Mutex<HashMap<(String, String), u32>>>,
}

/// Holds one thread slot; releases it when the response is done.
#[derive(Debug)]
pub struct ThreadSlot {
    threads: Threads,
    key: (String, String),
}

impl Threads {
    /// Takes a slot, or `None` when `limit` requests are already in flight.
    pub fn acquire(&self, code: &str, endpoint: &str, limit: u32) -> Option<ThreadSlot> {
        let key = (code.to_string(), endpoint.to_ascii_lowercase());
        let mut map = crate::common::lock(&self.inflight);
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(ThreadSlot {
            threads: self.clone(),
            key,
        })
    }

    #[cfg(test)]
    pub fn in_flight(&self, code: &str, endpoint: &str) -> u32 {
        let key = (code.to_string(), endpoint.to_ascii_lowercase());
        crate::common::lock(&self.inflight)
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        let mut map = crate::common::lock(&self.threads.inflight);
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Vec<ApiUser> {
        vec![
            ApiUser {
                username: "api@x.example".into(),
                secret: "s3".into(),
                integration_code: "CODE".into(),
                api_only: true,
            },
            ApiUser {
                username: "human@x.example".into(),
                secret: "pw".into(),
                integration_code: "CODE".into(),
                api_only: false,
            },
        ]
    }

    fn headers(user: &str, secret: &str, code: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("username", user.parse().unwrap());
        h.insert("SECRET", secret.parse().unwrap());
        h.insert("ApiIntegrationcode", code.parse().unwrap());
        h
    }

    #[test]
    fn auth_statuses_follow_the_reference() {
        assert!(authenticate(&users(), &headers("API@x.example", "s3", "CODE")).is_ok());
        assert_eq!(
            authenticate(&users(), &headers("api@x.example", "bad", "CODE"))
                .unwrap_err()
                .status,
            401
        );
        assert_eq!(
            authenticate(&users(), &headers("who@x.example", "s3", "CODE"))
                .unwrap_err()
                .status,
            500
        );
        assert_eq!(
            authenticate(&users(), &headers("api@x.example", "s3", "OTHER"))
                .unwrap_err()
                .status,
            500
        );
        let human = authenticate(&users(), &headers("human@x.example", "pw", "CODE")).unwrap_err();
        assert_eq!(human.status, 401);
        assert!(human.errors[0].contains("API Only users"));
        assert_eq!(
            authenticate(&users(), &HeaderMap::new())
                .unwrap_err()
                .status,
            500
        );
    }

    #[test]
    fn budget_window_rolls_over_an_hour() {
        let t0 = Utc::now();
        let mut b = Budget::default();
        b.record(t0);
        b.record(t0);
        b.record(t0 + Duration::minutes(30));
        assert_eq!(b.used(t0 + Duration::minutes(59)), 3);
        assert_eq!(b.used(t0 + Duration::minutes(61)), 1);
        b.set(t0, 9_999);
        assert_eq!(b.used(t0), 9_999);
    }

    #[test]
    fn thread_slots_are_per_code_and_endpoint() {
        let t = Threads::default();
        let a: Vec<_> = (0..3)
            .map(|_| t.acquire("C", "Tickets", 3).unwrap())
            .collect();
        assert!(t.acquire("C", "tickets", 3).is_none());
        assert!(t.acquire("C", "Companies", 3).is_some());
        assert!(t.acquire("D", "Tickets", 3).is_some());
        drop(a);
        assert_eq!(t.in_flight("C", "Tickets"), 0);
        assert!(t.acquire("C", "Tickets", 3).is_some());
    }
}
