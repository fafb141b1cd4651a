//! One HTTPS client for every AWS call of the process (STS, SQS, Organizations). Without it
//! each SDK client (one per set of credentials and region) builds its own: its own connection
//! pool and its own copy of the system's trusted certificates, read and parsed again. At a
//! hundred accounts that is a hundred pools and certificate stores; shared, there is one, and
//! connections to an endpoint are reused across accounts.

use std::sync::OnceLock;

use aws_sdk_sts::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};

/// The SDK's own default client (rustls with aws-lc, the proxy from `HTTPS_PROXY` and
/// friends), built once.
pub fn shared_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Builder::new().build_with_connector_fn(|settings, components| {
                let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            })
        })
        .clone()
}
