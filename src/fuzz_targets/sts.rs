//! STS answers, as the real SDK client reads them: the fuzz input is the HTTP status and body
//! a (hostile or broken) endpoint returns to GetSessionToken or AssumeRole, served by a canned
//! HTTP client; the SDK parses the XML, and switchboard classifies the error or reads the
//! credentials out (`AwsSts::classify`, `from_sts`). The XML parsing is the SDK's, the
//! classification ours; both run here.

use std::sync::{Arc, Mutex};

use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;

use crate::domain::credentials::Credentials;
use crate::domain::sts::{AwsSts, StsError, from_sts, sdk_credentials};

/// The statuses an endpoint answers with; the input's first byte picks one.
const STATUSES: [u16; 6] = [200, 400, 403, 500, 503, 302];

#[derive(Debug, Clone, Default)]
struct CannedAnswer(Arc<Mutex<(u16, Vec<u8>)>>);

impl HttpConnector for CannedAnswer {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let (status, body) = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let status = StatusCode::try_from(status).expect("a listed status");
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(body))))
    }
}

struct Harness {
    answer: CannedAnswer,
    client: aws_sdk_sts::Client,
    runtime: tokio::runtime::Runtime,
    classifier: AwsSts,
}

fn harness() -> Harness {
    let answer = CannedAnswer::default();
    let connector = answer.clone();
    let http: SharedHttpClient = http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone()));
    let base = Credentials::new("AKIAFUZZFUZZFUZZFUZZ", "fuzz-secret", None, None);
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(sdk_credentials(&base))
        .retry_config(RetryConfig::disabled())
        .http_client(http)
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    Harness { answer, client: aws_sdk_sts::Client::from_conf(config), runtime, classifier: AwsSts::new(None) }
}

thread_local! {
    static HARNESS: Harness = harness();
}

/// First byte: the status (and, by its top bit, AssumeRole instead of GetSessionToken); the
/// rest: the body. Whatever comes back is a `Credentials` or an `StsError` with a message.
pub fn sts_answer(data: &[u8]) {
    match sts_outcome(data) {
        Some(Ok(credentials)) => assert!(credentials.expiration.is_some(), "a session without an expiry was accepted"),
        Some(Err(error)) => assert!(!error.to_string().is_empty()),
        None => {}
    }
}

/// What switchboard makes of the answer `data` describes (`None` for an empty input).
pub fn sts_outcome(data: &[u8]) -> Option<Result<Credentials, StsError>> {
    let (&first, body) = data.split_first()?;
    HARNESS.with(|harness| {
        *harness.answer.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            (STATUSES[usize::from(first & 0x7f) % STATUSES.len()], body.to_vec());
        let result = if first & 0x80 == 0 {
            let call = harness.client.get_session_token().serial_number("arn:aws:iam::123456789012:mfa/fuzz");
            harness
                .runtime
                .block_on(call.token_code("123456").send())
                .map(|output| output.credentials)
                .map_err(|error| harness.classifier.classify(error))
        } else {
            let call = harness.client.assume_role().role_arn("arn:aws:iam::123456789012:role/Fuzz");
            harness
                .runtime
                .block_on(call.role_session_name("fuzz").send())
                .map(|output| output.credentials)
                .map_err(|error| harness.classifier.classify(error))
        };
        Some(result.and_then(|credentials| from_sts(credentials.as_ref())))
    })
}
