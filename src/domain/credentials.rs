//! AWS credentials held by the engine. Secrets live in `SecretString`, so `Debug`,
//! logs and panics print a mask, and the memory is zeroed when dropped.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::duration::time_left;

#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    secret_access_key: SecretString,
    session_token: Option<SecretString>,
    /// `None` for long-term keys, which do not expire.
    pub expiration: Option<Timestamp>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiration: Option<Timestamp>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
            session_token: session_token.map(SecretString::from),
            expiration,
        }
    }

    /// The secret, for the few places that must hand it on (exports, SDK clients, cache).
    pub fn secret_access_key(&self) -> &str {
        self.secret_access_key.expose_secret()
    }

    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|token| token.expose_secret())
    }

    pub fn time_left(&self, now: Timestamp) -> Option<Duration> {
        self.expiration.map(|until| time_left(now, until))
    }

    pub fn freshness(&self, now: Timestamp, refresh_before: Duration) -> Freshness {
        self.expiration.map_or(Freshness::Valid, |until| Freshness::of(until, now, refresh_before))
    }

    /// The access key id with its middle masked, enough to tell keys apart on screen.
    pub fn masked_access_key_id(&self) -> String {
        mask(&self.access_key_id)
    }
}

/// Where a session stands relative to `refresh_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Valid,
    Expiring,
    Expired,
}

impl Freshness {
    /// The one rule for every front end: expired at its expiry, expiring within
    /// `refresh_before` of it, valid before.
    pub fn of(expires_at: Timestamp, now: Timestamp, refresh_before: Duration) -> Freshness {
        let left = time_left(now, expires_at);
        if left.is_zero() {
            Freshness::Expired
        } else if left <= refresh_before {
            Freshness::Expiring
        } else {
            Freshness::Valid
        }
    }
}

/// Keeps the first 4 and last 4 characters of an identifier: "AKIA…WXYZ".
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.masked_access_key_id())
            .field("secret_access_key", &"***")
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// The form a session takes inside the OS keyring (never a file).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<Timestamp>,
}

impl From<&Credentials> for StoredCredentials {
    fn from(credentials: &Credentials) -> Self {
        Self {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key().to_owned(),
            session_token: credentials.session_token().map(str::to_owned),
            expiration: credentials.expiration,
        }
    }
}

impl From<StoredCredentials> for Credentials {
    fn from(stored: StoredCredentials) -> Self {
        Credentials::new(stored.access_key_id, stored.secret_access_key, stored.session_token, stored.expiration)
    }
}

impl fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredCredentials(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires: &str) -> Credentials {
        Credentials::new(
            "ASIAEXAMPLEKEY123456",
            "very-secret-value",
            Some("token-secret".into()),
            Some(expires.parse().unwrap()),
        )
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let shown = format!("{:?}", session("2026-01-01T01:00:00Z"));
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(!shown.contains("token-secret"), "{shown}");
        assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
        assert!(shown.contains("ASIA…3456"), "{shown}");
    }

    #[test]
    fn freshness_follows_refresh_before() {
        let creds = session("2026-01-01T01:00:00Z");
        let window = Duration::from_secs(300);
        let at = |t: &str| creds.freshness(t.parse().unwrap(), window);
        assert_eq!(at("2026-01-01T00:54:59Z"), Freshness::Valid);
        assert_eq!(at("2026-01-01T00:55:00Z"), Freshness::Expiring);
        assert_eq!(at("2026-01-01T01:00:00Z"), Freshness::Expired);
        let long_term = Credentials::new("AKIA", "s", None, None);
        assert_eq!(long_term.freshness("2030-01-01T00:00:00Z".parse().unwrap(), window), Freshness::Valid);
    }

    #[test]
    fn stored_form_round_trips() {
        let creds = session("2026-01-01T01:00:00Z");
        let json = serde_json::to_string(&StoredCredentials::from(&creds)).unwrap();
        let back: Credentials = serde_json::from_str::<StoredCredentials>(&json).unwrap().into();
        assert_eq!(back.secret_access_key(), "very-secret-value");
        assert_eq!(back.session_token(), Some("token-secret"));
        assert_eq!(back.expiration, creds.expiration);
    }
}
