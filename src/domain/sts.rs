//! STS behind a trait: the engine calls this, tests fake it, and `AwsSts` is the real
//! aws-sdk-sts client (aws-config cannot prompt for MFA, so STS is called directly).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sts::config::{BehaviorVersion, Region, timeout::TimeoutConfig};
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use jiff::Timestamp;

use super::credentials::Credentials;
use super::mfa::MfaCode;

#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Duration,
    pub external_id: Option<String>,
    pub mfa: Option<(String, MfaCode)>,
}

#[derive(Debug, Clone)]
pub struct SessionTokenRequest {
    pub duration: Duration,
    pub mfa: Option<(String, MfaCode)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StsError {
    #[error("AWS rejected the MFA code: {message}")]
    InvalidMfaCode { message: String },
    #[error("access denied: {message}")]
    AccessDenied { message: String },
    #[error("the credentials used to call STS have expired: {message}")]
    ExpiredToken { message: String },
    #[error(
        "the requested duration is longer than the role allows: {message} (lower `duration` in the inventory or raise the role's MaxSessionDuration in IAM)"
    )]
    DurationTooLong { message: String },
    #[error("STS did not answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach STS: {0}")]
    Unreachable(String),
    #[error("STS said {code}: {message}")]
    Service { code: String, message: String },
    /// Without an expiry a session would be served as if it never ended.
    #[error("STS answered without an Expiration; the session was not cached or used")]
    NoExpiration,
}

#[async_trait]
pub trait Sts: Send + Sync {
    async fn get_session_token(
        &self,
        base: &Credentials,
        region: &str,
        request: SessionTokenRequest,
    ) -> Result<Credentials, StsError>;
    async fn assume_role(
        &self,
        base: &Credentials,
        region: &str,
        request: AssumeRoleRequest,
    ) -> Result<Credentials, StsError>;
    async fn caller_identity(&self, credentials: &Credentials, region: &str) -> Result<CallerIdentity, StsError>;
}

/// The real STS, optionally at an emulator's endpoint. One SDK client per session and region,
/// kept while the session lasts, so its connections are reused.
#[derive(Debug, Clone)]
pub struct AwsSts {
    endpoint_url: Option<String>,
    operation_timeout: Duration,
    clients: Arc<Mutex<HashMap<(String, String), KeptClient>>>,
}

#[derive(Debug, Clone)]
struct KeptClient {
    client: aws_sdk_sts::Client,
    until: Option<Timestamp>,
}

/// More sessions than any inventory holds at once; past it, the oldest go first.
const MAX_KEPT_CLIENTS: usize = 512;

impl AwsSts {
    pub fn new(endpoint_url: Option<String>) -> Self {
        Self { endpoint_url, operation_timeout: Duration::from_secs(30), clients: Arc::default() }
    }

    fn client(&self, credentials: &Credentials, region: &str) -> aws_sdk_sts::Client {
        let key = (credentials.access_key_id.clone(), region.to_owned());
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(kept) = clients.get(&key) {
            return kept.client.clone();
        }
        let now = Timestamp::now();
        clients.retain(|_, kept| kept.until.is_none_or(|until| until > now));
        if clients.len() >= MAX_KEPT_CLIENTS {
            clients.clear();
        }
        let client = self.new_client(credentials, region);
        clients.insert(key, KeptClient { client: client.clone(), until: credentials.expiration });
        client
    }

    /// How many SDK clients are kept (for tests of the reuse).
    pub fn kept_clients(&self) -> usize {
        self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    fn new_client(&self, credentials: &Credentials, region: &str) -> aws_sdk_sts::Client {
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(sdk_credentials(credentials))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(self.operation_timeout)
                    .build(),
            );
        config.set_endpoint_url(self.endpoint_url.clone());
        aws_sdk_sts::Client::from_conf(config.build())
    }

    pub fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(&self, error: SdkError<E>) -> StsError {
        match &error {
            SdkError::TimeoutError(_) => StsError::Timeout(self.operation_timeout),
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
                let endpoint = self.endpoint_url.as_deref().unwrap_or("AWS");
                StsError::Unreachable(format!("{endpoint}: {}", DisplayErrorContext(&error)))
            }
            _ => classify_service_error(error.code().unwrap_or("Unknown"), error.message().unwrap_or("no message")),
        }
    }
}

pub fn classify_service_error(code: &str, message: &str) -> StsError {
    let message = message.to_owned();
    match code {
        "AccessDenied" | "AccessDeniedException"
            if message.contains("MultiFactorAuthentication") || message.contains("MFA") =>
        {
            StsError::InvalidMfaCode { message }
        }
        "AccessDenied" | "AccessDeniedException" => StsError::AccessDenied { message },
        "ExpiredToken" | "ExpiredTokenException" => StsError::ExpiredToken { message },
        "ValidationError" if message.contains("DurationSeconds") => StsError::DurationTooLong { message },
        _ => StsError::Service { code: code.to_owned(), message },
    }
}

pub fn sdk_credentials(credentials: &Credentials) -> aws_sdk_sts::config::Credentials {
    aws_sdk_sts::config::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key().to_owned(),
        credentials.session_token().map(str::to_owned),
        credentials.expiration.map(std::time::SystemTime::from),
        "switchboard",
    )
}

pub fn from_sts(credentials: Option<&aws_sdk_sts::types::Credentials>) -> Result<Credentials, StsError> {
    let credentials = credentials.ok_or_else(|| StsError::Service {
        code: "EmptyResponse".into(),
        message: "STS returned no credentials".into(),
    })?;
    // The SDK fills a missing (required) Expiration with the Unix epoch.
    if credentials.expiration().secs() <= 0 {
        return Err(StsError::NoExpiration);
    }
    let expiration = Timestamp::from_second(credentials.expiration().secs()).map_err(|_| StsError::Service {
        code: "BadExpiration".into(),
        message: "STS returned an unreadable expiration".into(),
    })?;
    Ok(Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_owned()),
        Some(expiration),
    ))
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

#[async_trait]
impl Sts for AwsSts {
    async fn get_session_token(
        &self,
        base: &Credentials,
        region: &str,
        request: SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        let (serial, code) = request.mfa.map(|(serial, code)| (serial, code.as_str().to_owned())).unzip();
        let output = self
            .client(base, region)
            .get_session_token()
            .duration_seconds(seconds(request.duration))
            .set_serial_number(serial)
            .set_token_code(code)
            .send()
            .await
            .map_err(|error| self.classify(error))?;
        from_sts(output.credentials())
    }

    async fn assume_role(
        &self,
        base: &Credentials,
        region: &str,
        request: AssumeRoleRequest,
    ) -> Result<Credentials, StsError> {
        let (serial, code) = request.mfa.map(|(serial, code)| (serial, code.as_str().to_owned())).unzip();
        let output = self
            .client(base, region)
            .assume_role()
            .role_arn(request.role_arn)
            .role_session_name(request.session_name)
            .duration_seconds(seconds(request.duration))
            .set_external_id(request.external_id)
            .set_serial_number(serial)
            .set_token_code(code)
            .send()
            .await
            .map_err(|error| self.classify(error))?;
        from_sts(output.credentials())
    }

    async fn caller_identity(&self, credentials: &Credentials, region: &str) -> Result<CallerIdentity, StsError> {
        let output = self
            .client(credentials, region)
            .get_caller_identity()
            .send()
            .await
            .map_err(|error| self.classify(error))?;
        Ok(CallerIdentity {
            account: output.account().unwrap_or_default().to_owned(),
            arn: output.arn().unwrap_or_default().to_owned(),
            user_id: output.user_id().unwrap_or_default().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sdk_client_per_session_and_region_while_the_session_lasts() {
        let sts = AwsSts::new(Some("http://127.0.0.1:1".into()));
        let later = Timestamp::now().checked_add(jiff::SignedDuration::from_hours(1)).unwrap();
        let session = Credentials::new("ASIAONE", "secret", Some("token".into()), Some(later));
        let other = Credentials::new("ASIATWO", "secret", Some("token".into()), Some(later));
        sts.client(&session, "eu-west-1");
        sts.client(&session, "eu-west-1");
        assert_eq!(sts.kept_clients(), 1, "the same session and region reuse their client");
        sts.client(&session, "us-east-1");
        sts.client(&other, "eu-west-1");
        assert_eq!(sts.kept_clients(), 3);
        let expired = Credentials::new("ASIAOLD", "secret", Some("token".into()), Some(Timestamp::UNIX_EPOCH));
        sts.clients.lock().unwrap().insert(
            ("ASIAOLD".into(), "eu-west-1".into()),
            KeptClient { client: sts.new_client(&expired, "eu-west-1"), until: expired.expiration },
        );
        sts.client(&Credentials::new("ASIANEW", "secret", None, None), "eu-west-1");
        assert_eq!(sts.kept_clients(), 4, "an expired session's client is dropped when another is made");
    }

    #[test]
    fn sorts_sts_errors_into_what_the_operator_can_act_on() {
        let invalid = classify_service_error(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        );
        assert!(matches!(invalid, StsError::InvalidMfaCode { .. }));
        assert!(matches!(classify_service_error("AccessDenied", "not authorized"), StsError::AccessDenied { .. }));
        assert!(matches!(classify_service_error("ExpiredToken", "expired"), StsError::ExpiredToken { .. }));
        let too_long = classify_service_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        );
        assert!(too_long.to_string().contains("MaxSessionDuration in IAM"), "{too_long}");
        assert!(matches!(classify_service_error("Throttling", "slow down"), StsError::Service { .. }));
    }
}
