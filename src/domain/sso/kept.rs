//! How Identity Center's secrets are kept: in the session store, sealed like every session
//! (never a plain-text file). The store holds `Credentials`, so a token, a registration and
//! a pending sign-in are written into that shape here and read back here, nowhere else:
//!
//! - a token: the access token as the secret, its refresh token and registration sealed
//!   beside it, the access token's expiry as the session's (what the countdown shows);
//! - a registration: the client id and secret, until the secret expires;
//! - a pending sign-in: the code and address a person confirms and the process waiting for
//!   the token, until the code expires. Other processes show the same code and wait for the
//!   token instead of starting their own sign-in. The device code and PKCE verifier stay in
//!   the process that started it: they are never written anywhere.

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Registration, SsoToken};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::SsoSettings;

/// The store's layer ids, per start URL and region (one sign-in serves every source naming them).
pub fn token_layer_id(sso: &SsoSettings) -> String {
    format!("sso-token|{}|{}", sso.start_url, sso.region)
}

pub fn registration_id(sso: &SsoSettings) -> String {
    format!("sso-client|{}|{}|{}", sso.start_url, sso.region, sso.scopes.join(","))
}

pub fn pending_id(sso: &SsoSettings) -> String {
    format!("sso-pending|{}|{}", sso.start_url, sso.region)
}

#[derive(Serialize, Deserialize)]
struct TokenExtras {
    refresh_token: Option<String>,
    client_id: String,
    client_secret: String,
    client_expires_at: Timestamp,
    pkce: bool,
}

/// A short digest naming one access token: tells a renewed token from the one seen before
/// without keeping the token itself in the clear.
fn token_name(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    let hex: String = digest.iter().take(6).map(|byte| format!("{byte:02x}")).collect();
    format!("sso-token-{hex}")
}

impl SsoToken {
    pub fn to_kept(&self) -> Credentials {
        let extras = TokenExtras {
            refresh_token: self.refresh_token.as_ref().map(|token| token.expose_secret().to_owned()),
            client_id: self.registration.client_id.clone(),
            client_secret: self.registration.client_secret.expose_secret().to_owned(),
            client_expires_at: self.registration.expires_at,
            pkce: self.registration.pkce,
        };
        let extras = secrecy::zeroize::Zeroizing::new(serde_json::to_string(&extras).unwrap_or_default());
        Credentials::new(
            token_name(self.bearer()),
            self.bearer().to_owned(),
            Some(extras.as_str().to_owned()),
            Some(self.expires_at),
        )
    }

    /// `None` when what is stored is no token (an older or damaged entry): it counts as absent.
    pub fn from_kept(kept: &Credentials) -> Option<SsoToken> {
        let extras: TokenExtras = serde_json::from_str(kept.session_token()?).ok()?;
        Some(SsoToken {
            access_token: SecretString::from(kept.secret_access_key().to_owned()),
            expires_at: kept.expiration?,
            refresh_token: extras.refresh_token.map(SecretString::from),
            registration: Registration {
                client_id: extras.client_id,
                client_secret: SecretString::from(extras.client_secret),
                expires_at: extras.client_expires_at,
                pkce: extras.pkce,
            },
        })
    }
}

impl Registration {
    pub fn to_kept(&self) -> Credentials {
        let kind = if self.pkce { "pkce" } else { "device" };
        Credentials::new(
            self.client_id.clone(),
            self.client_secret.expose_secret().to_owned(),
            Some(kind.to_owned()),
            Some(self.expires_at),
        )
    }

    pub fn from_kept(kept: &Credentials) -> Option<Registration> {
        Some(Registration {
            client_id: kept.access_key_id.clone(),
            client_secret: SecretString::from(kept.secret_access_key().to_owned()),
            expires_at: kept.expiration?,
            pkce: kept.session_token() == Some("pkce"),
        })
    }
}

/// A sign-in under way in some process: what a person confirms, where, and who waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The address to open (device flow: the verification URL with the code; PKCE: the
    /// authorize URL, whose redirect reaches the owner's listener).
    pub url: String,
    /// The code to confirm (device flow); `None` for PKCE.
    pub user_code: Option<String>,
    pub expires_at: Timestamp,
    pub owner_pid: u32,
    pub started_at: Timestamp,
}

impl PendingSignIn {
    pub fn to_kept(&self) -> Credentials {
        let text = serde_json::to_string(self).unwrap_or_default();
        Credentials::new(format!("pending-{}", self.owner_pid), text, None, Some(self.expires_at))
    }

    pub fn from_kept(kept: &Credentials) -> Option<PendingSignIn> {
        serde_json::from_str(kept.secret_access_key()).ok()
    }

    /// Whether it still stands: its code is not expired and its owner is alive. A pending
    /// sign-in whose owner died or whose code expired is replaced by the next one to need it.
    pub fn stands(&self, now: Timestamp) -> bool {
        now < self.expires_at && (self.owner_pid == std::process::id() || process_alive(self.owner_pid))
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // Signal 0 checks for existence only; EPERM means it exists under another user.
    // SAFETY: kill with signal 0 sends nothing.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> Registration {
        Registration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("client-secret-value".to_owned()),
            expires_at: "2027-03-01T00:00:00Z".parse().unwrap(),
            pkce: true,
        }
    }

    #[test]
    fn a_token_goes_into_the_store_and_back_whole_and_its_debug_shows_no_secret() {
        let token = SsoToken {
            access_token: SecretString::from("access-token-value".to_owned()),
            expires_at: "2026-12-02T10:00:00Z".parse().unwrap(),
            refresh_token: Some(SecretString::from("refresh-token-value".to_owned())),
            registration: registration(),
        };
        let kept = token.to_kept();
        assert!(!kept.access_key_id.contains("access-token-value"));
        let back = SsoToken::from_kept(&kept).unwrap();
        assert_eq!(back.bearer(), "access-token-value");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "refresh-token-value");
        assert_eq!(back.registration.client_secret.expose_secret(), "client-secret-value");
        assert!(back.registration.pkce);
        let shown = format!("{token:?} {kept:?}");
        for secret in ["access-token-value", "refresh-token-value", "client-secret-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_pending_sign_in_of_a_dead_process_or_an_expired_code_does_not_stand() {
        let now: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let mine = PendingSignIn {
            url: "http://127.0.0.1/device?user_code=ABCD-EFGH".into(),
            user_code: Some("ABCD-EFGH".into()),
            expires_at: "2026-12-02T10:10:00Z".parse().unwrap(),
            owner_pid: std::process::id(),
            started_at: now,
        };
        assert!(mine.stands(now));
        assert!(!mine.stands("2026-12-02T10:10:00Z".parse().unwrap()), "the code expired");
        let dead = PendingSignIn { owner_pid: u32::MAX / 2, ..mine.clone() };
        assert!(!dead.stands(now), "no such process");
        assert_eq!(PendingSignIn::from_kept(&mine.to_kept()), Some(mine));
    }
}
