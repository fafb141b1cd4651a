//! Console sign-in: a role's session turned into a sign-in URL for the AWS console through
//! the federation endpoint (GetSigninToken, then a login URL). The endpoint is configurable
//! (`defaults.federation_url`, `SWITCHBOARD_FEDERATION_URL`) so tests run it against a fake.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::aws::{ErrorAnswer, read_error_answer};
use super::credentials::Credentials;
use super::inventory::Inventory;

pub const DEFAULT_FEDERATION_URL: &str = "https://signin.aws.amazon.com/federation";
const CONSOLE_URL: &str = "https://console.aws.amazon.com/";
const TIMEOUT: Duration = Duration::from_secs(15);
/// AWS's range for a console session's SessionDuration.
const MIN_SESSION: Duration = Duration::from_secs(900);
const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("the session has no session token: the console needs temporary credentials")]
    NotTemporary,
    #[error("the federation endpoint {url} did not answer within {seconds}s", seconds = TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("cannot reach the federation endpoint {url}: {message}")]
    Unreachable { url: String, message: String },
    /// What it answered as one line: its status, content type and an AWS error's code, never
    /// any text of its body (an endpoint that echoes the request would show the session's
    /// secret key), nor a code or type that is part of what was sent.
    #[error(
        "the federation endpoint {url} answered {answer}; check federation_url and that the role's session is an assumed role's, then retry"
    )]
    Refused { url: String, answer: String },
    #[error("the federation endpoint {url} answered without a SigninToken")]
    NoToken { url: String },
}

/// Where the console opens: its home, a service's page, or an SQS queue's page.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Home,
    Service(String),
    Queue { url: String },
}

impl Destination {
    pub fn url(&self, region: &str) -> String {
        let region_query = encode(region);
        match self {
            Destination::Home => format!("{CONSOLE_URL}console/home?region={region_query}"),
            Destination::Service(service) => format!("{CONSOLE_URL}{}/home?region={region_query}", encode(service)),
            Destination::Queue { url } => {
                format!("{CONSOLE_URL}sqs/v3/home?region={region_query}#/queues/{}", encode(url))
            }
        }
    }
}

/// `defaults.federation_url`, else `SWITCHBOARD_FEDERATION_URL`, else AWS's endpoint.
pub fn federation_url(inventory: &Inventory) -> String {
    inventory
        .defaults
        .federation_url
        .clone()
        .or_else(|| std::env::var("SWITCHBOARD_FEDERATION_URL").ok().filter(|url| !url.is_empty()))
        .unwrap_or_else(|| DEFAULT_FEDERATION_URL.to_owned())
}

/// `$BROWSER` when set, else the platform's opener (`open`, `start`, `xdg-open`). Not waited
/// for: a browser may stay in the foreground.
pub fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut command = match std::env::var("BROWSER").ok().filter(|browser| !browser.is_empty()) {
        Some(browser) => std::process::Command::new(browser),
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None if cfg!(windows) => {
            let mut command = std::process::Command::new("cmd");
            command.args(["/C", "start", ""]);
            command
        }
        None => std::process::Command::new("xdg-open"),
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}

/// The console session's length: what the role's session has left, within AWS's range.
pub fn session_duration(left: Option<Duration>) -> Duration {
    left.unwrap_or(MAX_SESSION).clamp(MIN_SESSION, MAX_SESSION)
}

/// Asks the federation endpoint for a sign-in token and builds the login URL. The URL holds
/// a token that signs in for 15 minutes: it is the operator's to open, never to log.
pub async fn signin_url(
    credentials: &Credentials,
    federation_url: &str,
    destination: &str,
    duration: Duration,
) -> Result<String, ConsoleError> {
    let token = credentials.session_token().ok_or(ConsoleError::NotTemporary)?;
    let session = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key(),
        "sessionToken": token,
    })
    .to_string();
    let base = federation_url.trim_end_matches('?');
    let request_url =
        format!("{base}?Action=getSigninToken&SessionDuration={}&Session={}", duration.as_secs(), encode(&session));
    let body = get(&request_url, base, &session).await?;
    let signin_token = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value.get("SigninToken").and_then(|token| token.as_str()).map(str::to_owned))
        .ok_or_else(|| ConsoleError::NoToken { url: base.to_owned() })?;
    Ok(format!(
        "{base}?Action=login&Issuer=switchboard&Destination={}&SigninToken={}",
        encode(destination),
        encode(&signin_token)
    ))
}

/// One GET with a timeout; `shown` names the endpoint in errors (never the query: it holds the
/// keys, as `sent` does, the session as sent).
async fn get(url: &str, shown: &str, sent: &str) -> Result<String, ConsoleError> {
    let unreachable = |message: String| ConsoleError::Unreachable { url: shown.to_owned(), message };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|error| unreachable(format!("no TLS root certificates: {error}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let uri: hyper::Uri = url.parse().map_err(|_| unreachable("not a URL".to_owned()))?;
    let exchange = async {
        let response = client.get(uri).await.map_err(|error| unreachable(error.to_string()))?;
        let status = response.status().as_u16();
        let content_type = response.headers().get(hyper::header::CONTENT_TYPE).cloned();
        let body = response.into_body().collect().await.map_err(|error| unreachable(error.to_string()))?;
        Ok::<_, ConsoleError>((status, content_type, body.to_bytes()))
    };
    let (status, content_type, body) = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| ConsoleError::Timeout { url: shown.to_owned() })??;
    if status != 200 {
        let content_type = content_type.as_ref().and_then(|value| value.to_str().ok());
        return Err(ConsoleError::Refused {
            url: shown.to_owned(),
            answer: refusal(status, content_type, &body, sent),
        });
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The federation endpoint's refusal in a few words of our own: the status, the content type
/// and an AWS error's code when it is a plain identifier that is not part of what was sent.
/// Never its message or any other text of the body: that is where an endpoint echoing the
/// request would put the session's secret key.
fn refusal(status: u16, content_type: Option<&str>, body: &[u8], sent: &str) -> String {
    // Compared without case: the content type comes lowercased.
    let sent = sent.to_ascii_lowercase();
    let echoed = |text: &str| text.len() >= 4 && sent.contains(&text.to_ascii_lowercase());
    match read_error_answer(status, content_type, body) {
        ErrorAnswer::Aws { code, .. } => {
            let plain = code.len() <= 64
                && code.starts_with(|c: char| c.is_ascii_alphabetic())
                && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            if plain && !echoed(&code) {
                format!("HTTP {status} with the error {code}")
            } else {
                format!("HTTP {status} with an error")
            }
        }
        ErrorAnswer::Foreign(mut answer) => {
            answer.content_type = answer.content_type.filter(|kind| !echoed(kind));
            answer.to_string()
        }
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_point_at_the_region() {
        assert_eq!(Destination::Home.url("eu-west-1"), "https://console.aws.amazon.com/console/home?region=eu-west-1");
        assert_eq!(
            Destination::Service("sqs".into()).url("eu-west-1"),
            "https://console.aws.amazon.com/sqs/home?region=eu-west-1"
        );
        let queue = Destination::Queue { url: "https://sqs.eu-west-1.amazonaws.com/111111111111/orders".into() };
        assert!(
            queue
                .url("eu-west-1")
                .ends_with("#/queues/https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F111111111111%2Forders")
        );
    }

    #[test]
    fn a_refusal_shows_no_text_of_the_body_and_nothing_that_was_sent() {
        let sent =
            r#"{"sessionId":"ASIAX","sessionKey":"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY","sessionToken":"FwoG"}"#;
        let xml = format!("<Error><Code>InvalidSession</Code><Message>you sent {sent}</Message></Error>");
        assert_eq!(refusal(400, Some("text/xml"), xml.as_bytes(), sent), "HTTP 400 with the error InvalidSession");
        let json = r#"{"code":"wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY","message":"x"}"#;
        assert_eq!(refusal(403, Some("application/json"), json.as_bytes(), sent), "HTTP 403 with an error");
        let text = refusal(400, Some("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"), sent.as_bytes(), sent);
        assert!(!text.to_ascii_lowercase().contains("examplekey"), "{text}");
        let page = refusal(500, Some("text/html"), b"<html>oops\nsecond line</html>", sent);
        assert_eq!(page, "HTTP 500 with an HTML page, text/html");
    }

    #[test]
    fn the_console_session_lasts_what_the_role_session_has_left_within_aws_range() {
        assert_eq!(session_duration(Some(Duration::from_secs(100))), MIN_SESSION);
        assert_eq!(session_duration(Some(Duration::from_secs(3000))), Duration::from_secs(3000));
        assert_eq!(session_duration(None), MAX_SESSION);
    }
}
