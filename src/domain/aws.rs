//! How every AWS service client is made: one SDK configuration (the session's credentials,
//! its region, the shared HTTPS client, timeouts, an emulator's endpoint) that each service
//! crate's client is built from, and the `Service` trait that names a service's client for
//! the screen's per-session client cache. A new service is a `Service` impl beside its
//! client, not another copy of the builder. Also how every service's error answer that is no
//! AWS error (an HTML page, an empty body) becomes one line: `read_error_answer`.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

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

/// An error answer as read from its status, content type and body: AWS's (an error code, also
/// in a protocol the SDK did not expect, such as XML from an emulator where SQS speaks JSON),
/// or anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorAnswer {
    Aws { code: String, message: String },
    Foreign(ForeignAnswer),
}

/// An answer that is no AWS error: an HTML page, an empty body, a proxy's JSON. Only its
/// status, content type and kind are kept: the body is for a browser, never for the
/// operator's one line (it can be a whole page, or hold what an attacker put there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignAnswer {
    pub status: u16,
    /// The header's type without its parameters (`text/html`), printable ASCII only.
    pub content_type: Option<String>,
    pub body: BodyKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Empty,
    Html,
    Xml,
    Json,
    Text,
    Binary,
}

impl std::fmt::Display for ForeignAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = match self.body {
            BodyKind::Empty => "an empty body",
            BodyKind::Html => "an HTML page",
            BodyKind::Xml => "XML that is no AWS error",
            BodyKind::Json => "JSON that is no AWS error",
            BodyKind::Text => "a text",
            BodyKind::Binary => "a body that is not text",
        };
        let content_type = self.content_type.as_deref().unwrap_or("no content type");
        write!(f, "HTTP {} with {body}, {content_type}", self.status)
    }
}

impl ForeignAnswer {
    /// The operator's line about it: what came back, and what to do.
    pub fn line(&self, service: &str) -> String {
        format!(
            "{self}, not {service}'s answer: something else answered (a proxy, a captive portal, an emulator without this call); check the endpoint and the network, then retry"
        )
    }
}

/// Reads an error answer: an AWS error when the body carries an error code (XML `<Code>`,
/// JSON `__type` or `code`), anything else as a `ForeignAnswer`.
pub fn read_error_answer(status: u16, content_type: Option<&str>, body: &[u8]) -> ErrorAnswer {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let content_type = content_type.map(clean_content_type).filter(|kind| !kind.is_empty());
    let html = content_type.as_deref().is_some_and(|kind| kind.contains("html"))
        || trimmed.get(..14).is_some_and(|start| start.eq_ignore_ascii_case("<!doctype html"))
        || trimmed.get(..5).is_some_and(|start| start.eq_ignore_ascii_case("<html"));
    // An AWS error in XML (`<Error><Code>`), whatever the content type says: moto sends its
    // XML errors as text/html.
    if trimmed.starts_with('<')
        && trimmed.contains("<Error>")
        && let Some(code) = between(trimmed, "<Code>", "</Code>")
    {
        let message = between(trimmed, "<Message>", "</Message>").unwrap_or_default();
        return ErrorAnswer::Aws { code, message };
    }
    let kind = if trimmed.is_empty() {
        BodyKind::Empty
    } else if html {
        BodyKind::Html
    } else if trimmed.starts_with('<') {
        BodyKind::Xml
    } else if let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let field = |names: &[&str]| names.iter().find_map(|name| object.get(*name)?.as_str().map(str::to_owned));
        if let Some(code) = field(&["__type", "code", "Code"]) {
            // `com.amazonaws.sqs#QueueDoesNotExist`, `QueueDoesNotExist:http://…`
            let code = code.rsplit('#').next().unwrap_or(&code).split(':').next().unwrap_or_default().to_owned();
            let message = field(&["message", "Message"]).unwrap_or_default();
            return ErrorAnswer::Aws { code, message };
        }
        BodyKind::Json
    } else if trimmed.starts_with(['{', '[']) {
        BodyKind::Json
    } else if std::str::from_utf8(body).is_ok_and(|text| !text.chars().any(|c| c.is_control() && !c.is_whitespace())) {
        BodyKind::Text
    } else {
        BodyKind::Binary
    };
    ErrorAnswer::Foreign(ForeignAnswer { status, content_type, body: kind })
}

/// What an SDK error's answer was when the SDK found no error code in it; `None` when it did
/// (the SDK's reading stands) or when there was no answer (a timeout, a refused connection).
pub fn unread_error_answer<E: ProvideErrorMetadata>(error: &SdkError<E>) -> Option<ErrorAnswer> {
    if error.code().is_some() {
        return None;
    }
    let response = error.raw_response()?;
    let body = response.body().bytes().unwrap_or_default();
    Some(read_error_answer(response.status().as_u16(), response.headers().get("content-type"), body))
}

/// Whether `endpoint_url` (the SDK's default when `None`) is AWS's own.
pub fn is_aws_endpoint(endpoint_url: Option<&str>) -> bool {
    let Some(url) = endpoint_url else { return true };
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
    [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"].iter().any(|suffix| host.ends_with(suffix))
}

/// `text/html; charset=utf-8` → `text/html`, with anything but printable ASCII left out and
/// at most 60 characters: it goes into a line for the terminal.
fn clean_content_type(value: &str) -> String {
    let kind = value.split(';').next().unwrap_or_default().trim();
    kind.chars().filter(|c| c.is_ascii_graphic()).take(60).collect::<String>().to_ascii_lowercase()
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = from + text[from..].find(end)?;
    Some(text[from..to].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign(status: u16, content_type: Option<&str>, body: &str) -> ForeignAnswer {
        match read_error_answer(status, content_type, body.as_bytes()) {
            ErrorAnswer::Foreign(answer) => answer,
            aws => panic!("read as AWS's: {aws:?}"),
        }
    }

    #[test]
    fn an_html_page_is_one_line_with_its_status_and_type_and_never_its_text() {
        let page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server \
                    Error</h1>\n<p>The server encountered an internal error</p>\n";
        let answer = foreign(500, Some("text/html; charset=utf-8"), page);
        assert_eq!(answer.to_string(), "HTTP 500 with an HTML page, text/html");
        let line = answer.line("SQS");
        assert!(!line.contains('<') && !line.contains('\n') && !line.contains("Internal"), "{line}");
        assert!(line.contains("check the endpoint"), "{line}");
        // Without a content type, the page is still known by its start.
        assert_eq!(foreign(502, None, "<HTML><BODY>bad gateway</BODY></HTML>").body, BodyKind::Html);
    }

    #[test]
    fn an_empty_body_a_text_and_json_that_is_no_aws_error_are_foreign() {
        assert_eq!(foreign(502, None, "").to_string(), "HTTP 502 with an empty body, no content type");
        assert_eq!(foreign(503, Some("text/plain"), "  \n").body, BodyKind::Empty);
        let json = foreign(404, Some("application/json"), r#"{"detail":"Not Found"}"#);
        assert_eq!(json.to_string(), "HTTP 404 with JSON that is no AWS error, application/json");
        assert_eq!(foreign(500, Some("text/plain"), "upstream connect error").body, BodyKind::Text);
        assert_eq!(foreign(200, None, "\u{0}\u{1b}junk").body, BodyKind::Binary);
        let hostile = foreign(500, Some("text/html\u{1b}]0;pwned\u{7}; x=1"), "");
        assert_eq!(hostile.content_type.as_deref(), Some("text/html]0"), "no control character survives");
    }

    #[test]
    fn a_real_aws_error_is_still_read_as_one_whatever_its_protocol() {
        let json =
            r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;
        assert_eq!(
            read_error_answer(400, Some("application/x-amz-json-1.0"), json.as_bytes()),
            ErrorAnswer::Aws {
                code: "QueueDoesNotExist".into(),
                message: "The specified queue does not exist.".into()
            }
        );
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message>\
                   </Error><RequestId>1</RequestId></ErrorResponse>";
        assert_eq!(
            read_error_answer(403, Some("text/xml"), xml.as_bytes()),
            ErrorAnswer::Aws { code: "AccessDenied".into(), message: "not allowed".into() }
        );
        // moto's XML errors come as text/html: still AWS errors. A page's `<code>` is not.
        assert!(matches!(read_error_answer(403, Some("text/html"), xml.as_bytes()), ErrorAnswer::Aws { .. }));
        let page = "<html><body><Error>oops</Error><code>x</code></body></html>";
        assert!(matches!(read_error_answer(500, Some("text/html"), page.as_bytes()), ErrorAnswer::Foreign(_)));
        let rest_json = r#"{"code":"ThrottlingException:http://internal.amazon.com/","Message":"slow down"}"#;
        assert_eq!(
            read_error_answer(400, None, rest_json.as_bytes()),
            ErrorAnswer::Aws { code: "ThrottlingException".into(), message: "slow down".into() }
        );
    }

    #[test]
    fn aws_endpoints_are_told_from_others() {
        for aws in [
            None,
            Some("https://sqs.eu-west-1.amazonaws.com"),
            Some("https://vpce-1a2b.sqs.us-east-1.vpce.amazonaws.com/"),
            Some("https://sqs.cn-north-1.amazonaws.com.cn"),
            Some("https://sqs.eu-west-1.api.aws"),
        ] {
            assert!(is_aws_endpoint(aws), "{aws:?}");
        }
        for other in ["http://127.0.0.1:5000", "http://localhost:4566", "https://amazonaws.com.evil.test", "http://sqs"]
        {
            assert!(!is_aws_endpoint(Some(other)), "{other}");
        }
    }
}
