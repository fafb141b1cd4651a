//! The real Identity Center: SSO OIDC and the portal through aws-sdk-ssooidc and aws-sdk-sso
//! (both unsigned), at AWS or at the endpoints of `AWS_ENDPOINT_URL_SSO_OIDC` and
//! `AWS_ENDPOINT_URL_SSO` (then the inventory's `endpoint_url`, then `AWS_ENDPOINT_URL`), as
//! the SDKs read them. Every call has a timeout; the portal's 429s and 5xx are retried here
//! with jittered back-off (ten attempts), never turned into a new sign-in.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::limiter::{self, Limiter};
use super::{
    ACCOUNT_ACCESS_SCOPE, DeviceAuthorization, IdentityCenter, Page, PortalAccount, REGISTERED_REDIRECT, Registration,
    SsoError, SsoToken, TokenGrant,
};
use crate::domain::aws::{CONNECT_TIMEOUT, ErrorAnswer, unread_error_answer};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::{Inventory, SsoSettings};

/// One call to either service, its retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts of a portal call answered 429 or 5xx (the first included).
pub const PORTAL_ATTEMPTS: u32 = 10;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const LONGEST_BACKOFF: Duration = Duration::from_secs(5);

/// The most the portal gives (and accepts: more is a 400 since May 2026).
const PAGE_SIZE: i32 = 100;

const OIDC: &str = "Identity Center sign-in (SSO OIDC)";
const PORTAL: &str = "the Identity Center portal";

/// Where each service is reached: an emulator's URL, or AWS (`None`).
#[derive(Debug, Clone, Default)]
pub struct SsoEndpoints {
    pub oidc: Option<String>,
    pub portal: Option<String>,
}

impl SsoEndpoints {
    /// The service's own variable first (as the SDKs read them), then the inventory's
    /// `endpoint_url`, then `AWS_ENDPOINT_URL`: a sandbox whose STS is an emulator can still
    /// point Identity Center at another one.
    pub fn of(inventory: &Inventory) -> Self {
        let read = |variable: &str| {
            std::env::var(variable)
                .ok()
                .filter(|url| !url.is_empty())
                .or_else(|| inventory.defaults.endpoint_url.clone())
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|url| !url.is_empty()))
        };
        Self { oidc: read("AWS_ENDPOINT_URL_SSO_OIDC"), portal: read("AWS_ENDPOINT_URL_SSO") }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AwsIdentityCenter {
    endpoints: SsoEndpoints,
    client_name: String,
}

impl AwsIdentityCenter {
    pub fn new(endpoints: SsoEndpoints) -> Self {
        Self { endpoints, client_name: client_name() }
    }

    fn timeouts() -> TimeoutConfig {
        TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).operation_timeout(OPERATION_TIMEOUT).build()
    }

    fn oidc(&self, sso: &SsoSettings) -> aws_sdk_ssooidc::Client {
        let mut config = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(sso.region.clone()))
            .http_client(crate::domain::http::shared_client())
            .timeout_config(Self::timeouts())
            .retry_config(aws_sdk_ssooidc::config::retry::RetryConfig::standard().with_max_attempts(3));
        config.set_endpoint_url(self.endpoints.oidc.clone());
        aws_sdk_ssooidc::Client::from_conf(config.build())
    }

    fn portal(&self, sso: &SsoSettings) -> aws_sdk_sso::Client {
        // Retries are ours (`with_retries`): ten jittered attempts on 429 and 5xx.
        let mut config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(sso.region.clone()))
            .http_client(crate::domain::http::shared_client())
            .timeout_config(Self::timeouts())
            .retry_config(aws_sdk_sso::config::retry::RetryConfig::disabled());
        config.set_endpoint_url(self.endpoints.portal.clone());
        aws_sdk_sso::Client::from_conf(config.build())
    }
}

/// `switchboard-<host>`: ASCII, at most 128 characters, as RegisterClient requires.
fn client_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host: String = host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(60).collect();
    if host.is_empty() { "switchboard".to_owned() } else { format!("switchboard-{host}") }
}

fn grant(
    access_token: Option<&str>,
    expires_in: i32,
    refresh_token: Option<&str>,
    service: &'static str,
) -> Result<TokenGrant, SsoError> {
    let access_token = access_token.filter(|token| !token.is_empty()).ok_or_else(|| SsoError::Service {
        service,
        code: "EmptyResponse".into(),
        message: "CreateToken answered without an access token".into(),
    })?;
    Ok(TokenGrant {
        access_token: SecretString::from(access_token.to_owned()),
        expires_in: Duration::from_secs(u64::try_from(expires_in).unwrap_or(0)),
        refresh_token: refresh_token
            .filter(|token| !token.is_empty())
            .map(|token| SecretString::from(token.to_owned())),
    })
}

/// An SDK error as one of ours, by its code (the OIDC service's message is its
/// `error_description`, which the SDK reads as no message).
fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    error: SdkError<E>,
    service: &'static str,
) -> SsoError {
    match &error {
        SdkError::TimeoutError(_) => SsoError::Timeout { service, seconds: OPERATION_TIMEOUT.as_secs() },
        SdkError::DispatchFailure(_) => SsoError::Unreachable { service, message: innermost_cause(&error) },
        SdkError::ResponseError(_) => SsoError::Unreadable(format!(
            "{service} gave an unreadable answer ({}); check the endpoint, then retry",
            innermost_cause(&error)
        )),
        _ => {
            let (code, message) = match unread_error_answer(&error) {
                Some(ErrorAnswer::Aws { code, message }) => (code, message),
                Some(ErrorAnswer::Foreign(answer)) => return SsoError::Unreadable(answer.line(service)),
                None => (error.code().unwrap_or("Unknown").to_owned(), error.message().unwrap_or_default().to_owned()),
            };
            by_code(&code, message, service)
        }
    }
}

fn by_code(code: &str, message: String, service: &'static str) -> SsoError {
    match code.trim_end_matches("Exception") {
        "AuthorizationPending" => SsoError::AuthorizationPending,
        "SlowDown" => SsoError::SlowDown,
        "ExpiredToken" => SsoError::CodeExpired,
        "AccessDenied" => SsoError::AccessDenied,
        "InvalidGrant" => SsoError::InvalidGrant,
        "InvalidClient" | "UnauthorizedClient" => SsoError::InvalidClient,
        "Unauthorized" => SsoError::Unauthorized,
        "TooManyRequests" => SsoError::Throttled { attempts: 1 },
        "Forbidden" => SsoError::Forbidden { message: if message.is_empty() { "No access".into() } else { message } },
        _ => SsoError::Service { service, code: code.to_owned(), message },
    }
}

fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Whether a portal failure is worth another attempt: throttling and AWS's own failures.
fn retryable(error: &SsoError) -> bool {
    match error {
        SsoError::Throttled { .. } => true,
        SsoError::Service { code, .. } => code.contains("Internal") || code.contains("ServiceUnavailable"),
        _ => false,
    }
}

/// Runs a portal call up to `PORTAL_ATTEMPTS` times, backing off with full jitter.
/// Each attempt waits for its turn at the start URL's `limiter`, and tells it how it went.
pub async fn with_retries<T, F, Fut>(limiter: &Limiter, call: F) -> Result<T, SsoError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SsoError>>,
{
    retrying(FIRST_BACKOFF, limiter, call).await
}

async fn retrying<T, F, Fut>(first_backoff: Duration, limiter: &Limiter, mut call: F) -> Result<T, SsoError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SsoError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        limiter.acquire().await;
        let outcome = call().await;
        match &outcome {
            Err(SsoError::Throttled { .. }) => limiter.throttled(),
            Ok(_) => limiter.succeeded(),
            Err(_) => {}
        }
        match outcome {
            Err(error) if retryable(&error) && attempt < PORTAL_ATTEMPTS => {
                let ceiling = first_backoff.saturating_mul(1 << attempt.min(8)).min(LONGEST_BACKOFF);
                let wait = ceiling.mul_f64(jitter());
                tracing::debug!(attempt, ?wait, "Identity Center portal: {error}; retrying");
                tokio::time::sleep(wait).await;
            }
            Err(SsoError::Throttled { .. }) => return Err(SsoError::Throttled { attempts: attempt }),
            other => return other,
        }
    }
}

/// A fraction in [0.5, 1): enough spread that parallel callers do not retry in step.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    0.5 + f64::from(nanos % 1000) / 2000.0
}

#[async_trait]
impl IdentityCenter for AwsIdentityCenter {
    async fn register(&self, sso: &SsoSettings, pkce: bool) -> Result<Registration, SsoError> {
        let mut call = self.oidc(sso).register_client().client_name(&self.client_name).client_type("public");
        for scope in &sso.scopes {
            call = call.scopes(scope);
        }
        if pkce {
            call = call
                .grant_types("authorization_code")
                .grant_types("refresh_token")
                .redirect_uris(REGISTERED_REDIRECT)
                .issuer_url(&sso.start_url);
        }
        let answer = call.send().await.map_err(|error| classify(error, OIDC))?;
        let expires_at = Timestamp::from_second(answer.client_secret_expires_at()).unwrap_or(Timestamp::UNIX_EPOCH);
        Ok(Registration {
            client_id: answer.client_id().unwrap_or_default().to_owned(),
            client_secret: SecretString::from(answer.client_secret().unwrap_or_default().to_owned()),
            expires_at,
            pkce,
        })
    }

    async fn start_device_authorization(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
    ) -> Result<DeviceAuthorization, SsoError> {
        let answer = self
            .oidc(sso)
            .start_device_authorization()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose_secret())
            .start_url(&sso.start_url)
            .send()
            .await
            .map_err(|error| classify(error, OIDC))?;
        let lasts = jiff::SignedDuration::from_secs(i64::from(answer.expires_in().max(60)));
        Ok(DeviceAuthorization {
            device_code: SecretString::from(answer.device_code().unwrap_or_default().to_owned()),
            user_code: answer.user_code().unwrap_or_default().to_owned(),
            verification_uri: answer.verification_uri().unwrap_or_default().to_owned(),
            verification_uri_complete: answer.verification_uri_complete().map(str::to_owned),
            expires_at: Timestamp::now().checked_add(lasts).unwrap_or_else(|_| Timestamp::now()),
            interval: Duration::from_secs(u64::try_from(answer.interval()).unwrap_or(0).max(1)),
        })
    }

    async fn token_for_device(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
        device_code: &SecretString,
    ) -> Result<TokenGrant, SsoError> {
        let answer = self
            .oidc(sso)
            .create_token()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose_secret())
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .device_code(device_code.expose_secret())
            .send()
            .await
            .map_err(|error| classify(error, OIDC))?;
        grant(answer.access_token(), answer.expires_in(), answer.refresh_token(), OIDC)
    }

    async fn token_for_code(
        &self,
        sso: &SsoSettings,
        registration: &Registration,
        code: &SecretString,
        redirect_uri: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, SsoError> {
        let answer = self
            .oidc(sso)
            .create_token()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose_secret())
            .grant_type("authorization_code")
            .code(code.expose_secret())
            .redirect_uri(redirect_uri)
            .code_verifier(verifier.expose_secret())
            .send()
            .await
            .map_err(|error| classify(error, OIDC))?;
        grant(answer.access_token(), answer.expires_in(), answer.refresh_token(), OIDC)
    }

    async fn refresh(&self, sso: &SsoSettings, token: &SsoToken) -> Result<TokenGrant, SsoError> {
        let refresh_token = token.refresh_token.as_ref().ok_or(SsoError::InvalidGrant)?;
        let answer = self
            .oidc(sso)
            .create_token()
            .client_id(&token.registration.client_id)
            .client_secret(token.registration.client_secret.expose_secret())
            .grant_type("refresh_token")
            .refresh_token(refresh_token.expose_secret())
            .send()
            .await
            .map_err(|error| classify(error, OIDC))?;
        grant(answer.access_token(), answer.expires_in(), answer.refresh_token(), OIDC)
    }

    async fn role_credentials(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, SsoError> {
        let client = self.portal(sso);
        let answer = with_retries(&limiter::for_start_url(&sso.start_url), || async {
            client
                .get_role_credentials()
                .access_token(token.bearer())
                .account_id(account_id)
                .role_name(role_name)
                .send()
                .await
                .map_err(|error| classify(error, PORTAL))
        })
        .await?;
        let unreadable = |what: &str| SsoError::Service {
            service: PORTAL,
            code: "EmptyResponse".into(),
            message: format!("GetRoleCredentials answered without {what}"),
        };
        let found = answer.role_credentials().ok_or_else(|| unreadable("credentials"))?;
        // Epoch milliseconds, unlike STS.
        let expiration = Timestamp::from_millisecond(found.expiration())
            .ok()
            .filter(|at| at.as_second() > 0)
            .ok_or_else(|| unreadable("an expiration"))?;
        Ok(Credentials::new(
            found.access_key_id().ok_or_else(|| unreadable("an access key"))?,
            found.secret_access_key().ok_or_else(|| unreadable("a secret key"))?,
            found.session_token().map(str::to_owned),
            Some(expiration),
        ))
    }

    async fn logout(&self, sso: &SsoSettings, token: &SsoToken) -> Result<(), SsoError> {
        let client = self.portal(sso);
        with_retries(&limiter::for_start_url(&sso.start_url), || async {
            client.logout().access_token(token.bearer()).send().await.map(drop).map_err(|error| classify(error, PORTAL))
        })
        .await
    }

    async fn list_accounts_page(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        next_token: Option<String>,
    ) -> Result<Page<PortalAccount>, SsoError> {
        let client = self.portal(sso);
        let answer = with_retries(&limiter::for_start_url(&sso.start_url), || async {
            client
                .list_accounts()
                .access_token(token.bearer())
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(|error| classify(error, PORTAL))
        })
        .await?;
        let items = answer
            .account_list()
            .iter()
            .map(|account| PortalAccount {
                id: account.account_id().unwrap_or_default().to_owned(),
                name: account.account_name().unwrap_or_default().to_owned(),
            })
            .collect();
        Ok(Page { items, next_token: answer.next_token().map(str::to_owned) })
    }

    async fn list_roles_page(
        &self,
        sso: &SsoSettings,
        token: &SsoToken,
        account_id: &str,
        next_token: Option<String>,
    ) -> Result<Page<String>, SsoError> {
        let client = self.portal(sso);
        let answer = with_retries(&limiter::for_start_url(&sso.start_url), || async {
            client
                .list_account_roles()
                .access_token(token.bearer())
                .account_id(account_id)
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.clone())
                .send()
                .await
                .map_err(|error| classify(error, PORTAL))
        })
        .await?;
        let items = answer.role_list().iter().filter_map(|role| role.role_name().map(str::to_owned)).collect();
        Ok(Page { items, next_token: answer.next_token().map(str::to_owned) })
    }

    fn authorize_endpoint(&self, sso: &SsoSettings) -> String {
        let base = self.endpoints.oidc.clone().unwrap_or_else(|| format!("https://oidc.{}.amazonaws.com", sso.region));
        format!("{}/authorize", base.trim_end_matches('/'))
    }
}

/// The scopes asked for when the inventory names none.
pub fn default_scopes() -> Vec<String> {
    vec![ACCOUNT_ACCESS_SCOPE.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_by_their_code_whatever_the_suffix() {
        assert_eq!(by_code("AuthorizationPendingException", String::new(), OIDC), SsoError::AuthorizationPending);
        assert_eq!(by_code("InvalidGrantException", String::new(), OIDC), SsoError::InvalidGrant);
        assert_eq!(by_code("UnauthorizedException", "x".into(), PORTAL), SsoError::Unauthorized);
        assert!(matches!(by_code("ForbiddenException", String::new(), PORTAL), SsoError::Forbidden { .. }));
        assert!(matches!(by_code("Weird", "m".into(), PORTAL), SsoError::Service { .. }));
    }

    #[tokio::test]
    async fn a_throttled_call_is_tried_ten_times_and_then_names_the_attempts() {
        let mut calls = 0;
        let limiter = Limiter::new(1000.0);
        let result: Result<(), SsoError> = retrying(Duration::from_millis(1), &limiter, || {
            calls += 1;
            async { Err(SsoError::Throttled { attempts: 1 }) }
        })
        .await;
        assert_eq!(calls, PORTAL_ATTEMPTS);
        assert_eq!(result, Err(SsoError::Throttled { attempts: PORTAL_ATTEMPTS }));
        assert_eq!(limiter.throttles(), u64::from(PORTAL_ATTEMPTS), "each 429 told the limiter");
        let mut calls = 0;
        let result: Result<(), SsoError> = retrying(Duration::from_millis(1), &limiter, || {
            calls += 1;
            async { Err(SsoError::Unauthorized) }
        })
        .await;
        assert_eq!((calls, result), (1, Err(SsoError::Unauthorized)), "a 401 is not retried");
    }
}
