//! How every AWS service client is made: one SDK configuration (the session's credentials,
//! its region, the shared HTTPS client, timeouts, an emulator's endpoint) that each service
//! crate's client is built from, and the `Service` trait that names a service's client for
//! the screen's per-session client cache. A new service is a `Service` impl beside its
//! client, not another copy of the builder.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;

use super::credentials::Credentials;

/// Connecting takes at most this long everywhere.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A call (its retries included) takes at most this long unless a service says otherwise.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom a client calls: enough to build any service's client.
#[derive(Debug, Clone)]
pub struct Connection {
    pub credentials: Credentials,
    pub region: String,
    /// `AWS_ENDPOINT_URL_<SERVICE>` (or the inventory's `endpoint_url`) for each service.
    pub endpoints: Endpoints,
}

/// Resolves a service's endpoint variable (`AWS_ENDPOINT_URL_SQS`) to an emulator's URL, or
/// to AWS (`None`).
#[derive(Clone)]
pub struct Endpoints(Arc<Resolve>);

type Resolve = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Endpoints {
    pub fn new(resolve: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(resolve))
    }

    /// Every service at AWS itself.
    pub fn aws() -> Self {
        Self::new(|_| None)
    }

    pub fn of(&self, service_variable: &str) -> Option<String> {
        (self.0)(service_variable)
    }
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Endpoints")
    }
}

/// The SDK configuration every service client starts from.
pub fn sdk_config(
    credentials: &Credentials,
    region: &str,
    endpoint_url: Option<String>,
    operation_timeout: Duration,
) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(super::sts::sdk_credentials(credentials)))
        .http_client(super::http::shared_client())
        .timeout_config(
            TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).operation_timeout(operation_timeout).build(),
        );
    builder.set_endpoint_url(endpoint_url);
    builder.build()
}

/// An AWS service as the screen's panels use it: the client they call (a trait, so tests
/// hand in a fake) and how to build the real one for a session.
pub trait Service: 'static {
    /// What jobs call: usually `dyn SomeTrait`.
    type Client: ?Sized + Send + Sync + 'static;
    /// The variable that points this service at an emulator, `AWS_ENDPOINT_URL_SQS`.
    const ENDPOINT_VARIABLE: &'static str;
    fn connect(connection: &Connection) -> Arc<Self::Client>;
    /// A stand-in that holds nothing and calls nothing, for tests that do not look at this
    /// service: a test's services never reach the network by accident.
    #[cfg(any(test, feature = "test-support"))]
    fn offline(connection: &Connection) -> Arc<Self::Client>;
}
