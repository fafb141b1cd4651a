//! STS behind a trait: the engine calls this, tests fake it, and `AwsSts` is the real
//! aws-sdk-sts client (aws-config cannot prompt for MFA, so STS is called directly).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use jiff::Timestamp;

use super::aws::{ErrorAnswer, unread_error_answer};
use super::clock::AwsClock;
use super::credentials::Credentials;
use super::inventory::SessionAttributes;
use super::mfa::MfaCode;

#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Duration,
    pub external_id: Option<String>,
    pub mfa: Option<(String, MfaCode)>,
    /// Session tags, transitive tag keys and source identity.
    pub attributes: SessionAttributes,
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
    #[error("access denied: {message} (check the role's trust policy and what the source may assume)")]
    AccessDenied { message: String },
    #[error("the credentials used to call STS have expired: {message}")]
    ExpiredToken { message: String },
    #[error(
        "the requested duration is longer than the role allows: {message} (lower `duration` in the inventory or raise the role's MaxSessionDuration in IAM)"
    )]
    DurationTooLong { message: String },
    #[error("STS did not answer within {0:?}; check the network (VPN, proxy), then retry")]
    Timeout(Duration),
    #[error("cannot reach STS: {0}; check the network and endpoint_url, then retry")]
    Unreachable(String),
    #[error("STS said {code}: {message}{}", service_hint(.code))]
    Service { code: String, message: String },
    /// An answer that parses as no STS answer: something else (a captive portal, a proxy)
    /// answered, or it was cut short.
    #[error(
        "STS gave an unreadable answer ({0}); check that the endpoint is STS (no captive portal or proxy in between), then retry"
    )]
    Unreadable(String),
    /// Without an expiry a session would be served as if it never ended.
    #[error("STS answered without an Expiration; the session was not cached or used")]
    NoExpiration,
    /// A call carrying an MFA code failed in transit or at STS (5xx, throttling, timeout): it
    /// is never resent (AWS may have used the code), so the operator types a fresh one.
    #[error("{0}; the MFA code was sent once and is not sent again: retry with the next code")]
    CodeNotResent(Box<StsError>),
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
/// kept while the session lasts, so its connections are reused. Calls without an MFA code
/// are retried (standard mode: backoff with jitter on throttling, 5xx and dropped
/// connections); calls with one are sent exactly once. Every answer's `Date` header tells
/// `clock` how far the local clock is off AWS's.
#[derive(Debug, Clone)]
pub struct AwsSts {
    endpoint_url: Option<String>,
    operation_timeout: Duration,
    clients: Arc<Mutex<HashMap<(String, String), KeptClient>>>,
    clock: AwsClock,
}

/// Attempts of a call without an MFA code (the first one included).
const MAX_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);

/// Reads the `Date` header of every STS answer (errors too) into the clock.
#[derive(Debug)]
struct DateHeaderClock(AwsClock);

impl Intercept for DateHeaderClock {
    fn name(&self) -> &'static str {
        "DateHeaderClock"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date") {
            self.0.record_http_date(date);
        }
        Ok(())
    }
}

/// What an MFA-bearing call gets instead of the client's retries: one attempt.
fn sent_once() -> aws_sdk_sts::config::Builder {
    aws_sdk_sts::Config::builder().retry_config(RetryConfig::disabled())
}

/// A transient failure of a call that carried a code says the code is spent.
fn code_spent(error: StsError) -> StsError {
    match error {
        StsError::Timeout(_) | StsError::Unreachable(_) | StsError::Service { .. } => {
            StsError::CodeNotResent(Box::new(error))
        }
        other => other,
    }
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
        Self {
            endpoint_url,
            operation_timeout: Duration::from_secs(30),
            clients: Arc::default(),
            clock: AwsClock::new(),
        }
    }

    /// Records the offset of the local clock from STS's into `clock` (the engine's).
    pub fn with_clock(self, clock: AwsClock) -> Self {
        Self { clock, ..self }
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
        let shared = super::aws::sdk_config(credentials, region, self.endpoint_url.clone(), self.operation_timeout);
        let config = aws_sdk_sts::config::Builder::from(&shared)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS).with_initial_backoff(INITIAL_BACKOFF))
            .interceptor(DateHeaderClock(self.clock.clone()));
        aws_sdk_sts::Client::from_conf(config.build())
    }

    pub fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(&self, error: SdkError<E>) -> StsError {
        match &error {
            SdkError::TimeoutError(_) => StsError::Timeout(self.operation_timeout),
            SdkError::DispatchFailure(_) => {
                let endpoint = self.endpoint_url.as_deref().unwrap_or("AWS");
                StsError::Unreachable(format!("{endpoint}: {}", innermost_cause(&error)))
            }
            SdkError::ResponseError(_) => StsError::Unreadable(innermost_cause(&error)),
            SdkError::ServiceError(_) if error.code().is_none() => match unread_error_answer(&error) {
                Some(ErrorAnswer::Aws { code, message }) => classify_service_error(&code, &message),
                // A proxy's page, an empty body: its status and type, never its text.
                Some(ErrorAnswer::Foreign(answer)) => StsError::Unreadable(answer.to_string()),
                None => classify_service_error("Unknown", error.message().unwrap_or("no message")),
            },
            _ => classify_service_error(error.code().unwrap_or("Unknown"), error.message().unwrap_or("no message")),
        }
    }
}

/// The last error of the chain ("Connection refused (os error 111)"): the SDK's layers above
/// it repeat themselves and would make the operator's one line a paragraph.
fn innermost_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    if text.is_empty() { DisplayErrorContext(error).to_string() } else { text }
}

/// What to do about a service error, from its code.
fn service_hint(code: &str) -> &'static str {
    match code {
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
            "; STS is throttling this account: retry in a minute"
        }
        "InternalFailure" | "InternalError" | "ServiceUnavailable" | "ServiceUnavailableException" => {
            "; a failure on AWS's side: retry in a minute"
        }
        _ => "",
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
        let carries_code = code.is_some();
        let call = self
            .client(base, region)
            .get_session_token()
            .duration_seconds(seconds(request.duration))
            .set_serial_number(serial)
            .set_token_code(code);
        let sent =
            if carries_code { call.customize().config_override(sent_once()).send().await } else { call.send().await };
        let output = sent
            .map_err(|error| self.classify(error))
            .map_err(|error| if carries_code { code_spent(error) } else { error })?;
        from_sts(output.credentials())
    }

    async fn assume_role(
        &self,
        base: &Credentials,
        region: &str,
        request: AssumeRoleRequest,
    ) -> Result<Credentials, StsError> {
        let (serial, code) = request.mfa.map(|(serial, code)| (serial, code.as_str().to_owned())).unzip();
        let attributes = request.attributes;
        let carries_code = code.is_some();
        let call = self
            .client(base, region)
            .assume_role()
            .role_arn(request.role_arn)
            .role_session_name(request.session_name)
            .duration_seconds(seconds(request.duration))
            .set_external_id(request.external_id)
            .set_serial_number(serial)
            .set_token_code(code)
            .set_tags(session_tags(&attributes.tags)?)
            .set_transitive_tag_keys(
                (!attributes.transitive_tag_keys.is_empty()).then_some(attributes.transitive_tag_keys),
            )
            .set_source_identity(attributes.source_identity);
        let sent =
            if carries_code { call.customize().config_override(sent_once()).send().await } else { call.send().await };
        let output = sent
            .map_err(|error| self.classify(error))
            .map_err(|error| if carries_code { code_spent(error) } else { error })?;
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

/// The inventory's tags as the SDK's; `None` when there are none (no empty `Tags` is sent).
fn session_tags(tags: &[(String, String)]) -> Result<Option<Vec<aws_sdk_sts::types::Tag>>, StsError> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_sts::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| StsError::Service { code: "InvalidTag".to_owned(), message: error.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// STS as the screen's panels use it (see `super::aws::Service`).
pub struct StsService;

impl super::aws::Service for StsService {
    type Client = dyn Sts;
    const ENDPOINT_VARIABLE: &'static str = "AWS_ENDPOINT_URL_STS";

    fn connect(connection: &super::aws::Connection) -> Arc<dyn Sts> {
        Arc::new(AwsSts::new(connection.endpoints.of(Self::ENDPOINT_VARIABLE)))
    }

    #[cfg(any(test, feature = "test-support"))]
    fn offline(_: &super::aws::Connection) -> Arc<dyn Sts> {
        Arc::new(crate::test_support::FakeSts::refusing())
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
