//! IAM Identity Center (SSO): what a sign-in gives (a client registration, a token with its
//! refresh token), the two services behind a trait (`IdentityCenter`: OIDC for sign-in and
//! refresh, the portal for role credentials), and how a token is kept sealed in the session
//! store (`kept`). The flows a person takes part in are in `signin`; the real services in
//! `aws`. The engine makes these layers of a plan (`engine::sso`).

pub mod aws;
pub mod cli_cache;
pub mod kept;
pub mod limiter;
pub mod portal;
pub mod signin;

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::credentials::Credentials;
use super::inventory::SsoSettings;

/// The scope that makes Identity Center hand out refresh tokens (the default).
pub const ACCOUNT_ACCESS_SCOPE: &str = "sso:account:access";
/// The redirect registered for the PKCE flow; the port is added when signing in.
pub const REGISTERED_REDIRECT: &str = "http://127.0.0.1/oauth/callback";
/// A registration this close to its end is replaced rather than used for a sign-in.
pub const REGISTRATION_MARGIN: Duration = Duration::from_secs(15 * 60);

/// An OIDC client registration, reused per start URL until it expires: a new one each sign-in
/// makes the browser ask for consent each time.
#[derive(Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: SecretString,
    pub expires_at: Timestamp,
    /// Registered for the PKCE flow (with the redirect) rather than the device flow only.
    pub pkce: bool,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("pkce", &self.pkce)
            .finish_non_exhaustive()
    }
}

impl Registration {
    pub fn usable(&self, now: Timestamp) -> bool {
        now.checked_add(REGISTRATION_MARGIN).is_ok_and(|soon| soon < self.expires_at)
    }
}

/// What CreateToken gives.
#[derive(Clone)]
pub struct TokenGrant {
    pub access_token: SecretString,
    pub expires_in: Duration,
    pub refresh_token: Option<SecretString>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// A signed-in session of a start URL: the access token the portal takes, until when, and
/// how to get another without a person (the refresh token and the registration it belongs to).
#[derive(Clone)]
pub struct SsoToken {
    pub access_token: SecretString,
    pub expires_at: Timestamp,
    pub refresh_token: Option<SecretString>,
    pub registration: Registration,
}

impl std::fmt::Debug for SsoToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoToken")
            .field("expires_at", &self.expires_at)
            .field("refreshable", &self.refresh_token.is_some())
            .field("registration", &self.registration)
            .finish_non_exhaustive()
    }
}

impl SsoToken {
    pub fn from_grant(grant: TokenGrant, registration: Registration, now: Timestamp, kept: Option<&SsoToken>) -> Self {
        let lasts = jiff::SignedDuration::try_from(grant.expires_in).unwrap_or(jiff::SignedDuration::ZERO);
        Self {
            access_token: grant.access_token,
            expires_at: now.checked_add(lasts).unwrap_or(now),
            // A refresh that returns no new refresh token keeps the old one (as aws-config does).
            refresh_token: grant.refresh_token.or_else(|| kept.and_then(|token| token.refresh_token.clone())),
            registration,
        }
    }

    /// Whether it can be renewed without a person: a refresh token and a live registration.
    pub fn refreshable(&self, now: Timestamp) -> bool {
        self.refresh_token.is_some() && now < self.registration.expires_at
    }

    pub fn bearer(&self) -> &str {
        self.access_token.expose_secret()
    }
}

/// A device authorization: the code a person confirms, where, and until when.
#[derive(Clone)]
pub struct DeviceAuthorization {
    pub device_code: SecretString,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_at: Timestamp,
    pub interval: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SsoError {
    #[error("the sign-in is not approved yet")]
    AuthorizationPending,
    #[error("Identity Center asked to poll more slowly")]
    SlowDown,
    #[error("the sign-in code expired before it was approved: sign in again for a new code")]
    CodeExpired,
    #[error("the sign-in was denied in the browser")]
    AccessDenied,
    #[error("the refresh token was refused (used up or revoked): sign in again")]
    InvalidGrant,
    #[error("Identity Center no longer knows this client registration: a new one is made at the next sign-in")]
    InvalidClient,
    #[error("the Identity Center session ended (token not found or invalid): sign in again")]
    Unauthorized,
    #[error("Identity Center throttled the request (429) {attempts} times: retry in a minute")]
    Throttled { attempts: u32 },
    #[error(
        "the role is no longer assigned to you in Identity Center ({message}): ask your administrator, or remove it"
    )]
    Forbidden { message: String },
    #[error("{service} did not answer within {seconds}s; check the network (VPN, proxy), then retry")]
    Timeout { service: &'static str, seconds: u64 },
    #[error("cannot reach {service}: {message}; check the network and the endpoint, then retry")]
    Unreachable { service: &'static str, message: String },
    #[error("{service} said {code}: {message}")]
    Service { service: &'static str, code: String, message: String },
    #[error("{0}")]
    Unreadable(String),
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("no browser came back within {}: the sign-in was given up (sign in again when you are at the browser)", crate::domain::duration::format_duration(*.waited))]
    BrowserTimedOut { waited: Duration },
    #[error("the browser's answer carried the wrong state and was refused (not this sign-in's)")]
    StateMismatch,
    #[error("{0}")]
    Browser(String),
}

impl SsoError {
    /// Whether the token itself is dead: it is dropped and the next attempt signs in again.
    pub fn ends_the_token(&self) -> bool {
        matches!(self, SsoError::Unauthorized)
    }
}

/// An account the portal grants the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccount {
    pub id: String,
    pub name: String,
}

/// One page of a portal listing and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// The two Identity Center services, as the engine calls them; tests swap in a fake.
#[async_trait]
pub trait IdentityCenter: Send + Sync {
    /// RegisterClient; `pkce` registers the redirect and the authorization-code grant.
    async fn register(&self, sso: &SsoSettings, pkce: bool) -> Result<Registration, SsoError>;
    async fn start_device_authorization(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
    ) -> Result<DeviceAuthorization, SsoError>;
    async fn token_for_device(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
        device_code: &SecretString,
    ) -> Result<TokenGrant, SsoError>;
    async fn token_for_code(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
        code: &SecretString,
        redirect_uri: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, SsoError>;
    async fn refresh(&self, sso: &SsoSettings, token: &SsoToken) -> Result<TokenGrant, SsoError>;
    /// GetRoleCredentials (retried on 429 inside, see `aws`).
    async fn role_credentials(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, SsoError>;
    async fn logout(&self, sso: &SsoSettings, token: &SsoToken) -> Result<(), SsoError>;
    /// One page of ListAccounts (at most 100, as the portal allows since May 2026).
    async fn list_accounts_page(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        next_token: Option<String>,
    ) -> Result<Page<PortalAccount>, SsoError>;
    /// One page of ListAccountRoles: the role (permission set) names.
    async fn list_roles_page(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        account_id: &str,
        next_token: Option<String>,
    ) -> Result<Page<String>, SsoError>;
    /// `https://oidc.{region}.amazonaws.com/authorize` or the emulator's.
    fn authorize_endpoint(&self, sso: &SsoSettings) -> String;
}
