//! The local ECS container-credentials endpoint of `exec --ecs-server`: an HTTP server on
//! 127.0.0.1 (a random port) that hands the role's current session to any SDK which presents
//! the per-exec token. SDKs re-fetch from it on their own before the keys expire, so a
//! long-running command outlives the hour; a background task renews the session ahead of
//! them, because SDKs give this endpoint about a second and must never wait on STS. When an
//! agent listens, renewals come from it (one STS call for every caller of the role).

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::domain::engine::{Engine, Renewal, Session};
use crate::domain::exports::rfc3339;
use crate::domain::inventory::RoleKey;
use crate::domain::plan::LayerKind;

use super::AppError;

/// botocore renews container credentials from 15 minutes left and insists on 10: sessions
/// long enough to allow it are served with at least this much left.
const CLIENT_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);
/// A session must be this much longer than the client window for the window to apply;
/// shorter ones (a 15-minute `duration`) are renewed at `refresh_before`, as written.
const WINDOW_HEADROOM: Duration = Duration::from_secs(5 * 60);
/// Never check again sooner than this, whatever the clock says.
const MIN_RENEWAL_WAIT: Duration = Duration::from_secs(1);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);
/// Sessions without an expiry (none today) are looked at again this often.
const IDLE_CHECK: Duration = Duration::from_secs(300);
/// A client that connects and sends nothing is dropped after this.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
const CREDENTIALS_PATH: &str = "/credentials";

/// What the command is given to reach the endpoint: `AWS_CONTAINER_CREDENTIALS_FULL_URI`
/// and `AWS_CONTAINER_AUTHORIZATION_TOKEN`. No `Debug`: the token is a secret.
pub struct EndpointAccess {
    pub uri: String,
    pub token: String,
    pub address: SocketAddr,
}

/// How early the endpoint renews a role's session: the client window when the session is
/// long enough for it, else the inventory's `refresh_before`.
pub fn renewal_window(engine: &Engine, role: &RoleKey) -> Duration {
    let refresh_before = engine.inventory().defaults.refresh_before;
    let length = engine.plan(role).and_then(|plan| match &plan.target().kind {
        LayerKind::AssumeRole { duration, .. } => Some(*duration),
        _ => None,
    });
    window_for(refresh_before, length)
}

fn window_for(refresh_before: Duration, session_length: Option<Duration>) -> Duration {
    match session_length {
        Some(length) if length >= CLIENT_REFRESH_WINDOW + WINDOW_HEADROOM => refresh_before.max(CLIENT_REFRESH_WINDOW),
        _ => refresh_before,
    }
}

/// Starts renewing `first` (the session the caller just obtained) in the background and
/// serving it; both run until the process ends.
pub async fn start(engine: Arc<Engine>, first: Session) -> Result<EndpointAccess, AppError> {
    let window = renewal_window(&engine, &first.role);
    let (sender, current) = watch::channel(Arc::new(first));
    tokio::spawn(keep_fresh(engine.clone(), window, sender));

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|error| AppError::Failed(format!("cannot open the local credentials endpoint: {error}")))?;
    let address =
        listener.local_addr().map_err(|error| AppError::Failed(format!("local credentials endpoint: {error}")))?;
    let token = random_token();
    let shared = Arc::new(Served { engine, current, token: token.clone().into_bytes() });
    tokio::spawn(serve(listener, shared));
    Ok(EndpointAccess { uri: format!("http://{address}{CREDENTIALS_PATH}"), token, address })
}

/// 256 random bits from the OS, in URL-safe base64 (a header value as it is).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Renews the session once it is inside `window`, so what the endpoint serves is always
/// fresh before a client asks. A failure keeps the current session served until it expires.
async fn keep_fresh(engine: Arc<Engine>, window: Duration, sender: watch::Sender<Arc<Session>>) {
    let role = sender.borrow().role.clone();
    let mut wait = until_renewal(&sender.borrow(), engine.now(), window);
    loop {
        tokio::time::sleep(wait).await;
        if sender.is_closed() {
            return;
        }
        wait = match session_agent_first(&engine, &role, Renewal::Within(window)).await {
            Ok(session) => {
                let next = until_renewal(&session, engine.now(), window);
                let changed = sender.borrow().credentials.access_key_id != session.credentials.access_key_id;
                if changed {
                    // Said once it is so: a client asking after this line gets the new session.
                    sender.send_replace(Arc::new(session));
                    tracing::info!("credentials endpoint: serving a renewed session of {role}");
                }
                next
            }
            Err(error) => {
                tracing::warn!("credentials endpoint: cannot renew {role}: {error}; retrying");
                RETRY_AFTER_FAILURE
            }
        };
    }
}

/// The agent's session when one listens (its renewals are shared by every caller), else ours.
async fn session_agent_first(
    engine: &Engine,
    role: &RoleKey,
    renewal: Renewal,
) -> Result<Session, crate::domain::engine::EngineError> {
    #[cfg(unix)]
    if let Some(session) = crate::app::agent::client::session_from_agent(engine.inventory(), role, renewal).await {
        return Ok(session);
    }
    engine.session(role, renewal).await
}

fn until_renewal(session: &Session, now: jiff::Timestamp, window: Duration) -> Duration {
    match session.credentials.time_left(now) {
        Some(left) => left.saturating_sub(window).max(MIN_RENEWAL_WAIT),
        None => IDLE_CHECK,
    }
}

struct Served {
    engine: Arc<Engine>,
    current: watch::Receiver<Arc<Session>>,
    token: Vec<u8>,
}

impl Served {
    /// The whole header value must be the token; compared in constant time.
    fn authorized(&self, presented: Option<&HeaderValue>) -> bool {
        presented.is_some_and(|value| bool::from(value.as_bytes().ct_eq(&self.token)))
    }
}

async fn serve(listener: TcpListener, served: Arc<Served>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::debug!("credentials endpoint: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let served = served.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| answer(request, served.clone()));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!("credentials endpoint: connection ended: {error}");
            }
        });
    }
}

/// The JSON of the ECS container-credentials protocol.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<&'a str>,
}

async fn answer(request: Request<Incoming>, served: Arc<Served>) -> Result<Response<Full<Bytes>>, Infallible> {
    // The token is checked before anything else, so a caller without it learns nothing.
    if !served.authorized(request.headers().get(AUTHORIZATION)) {
        tracing::warn!("credentials endpoint: refused a request without the right token");
        return Ok(reply(StatusCode::FORBIDDEN, error_body("AccessDenied", "missing or wrong authorization token")));
    }
    if request.method() != Method::GET || request.uri().path() != CREDENTIALS_PATH {
        return Ok(reply(StatusCode::NOT_FOUND, error_body("NotFound", "the credentials are at /credentials")));
    }
    let session = served.current.borrow().clone();
    let now = served.engine.now();
    if session.credentials.time_left(now).is_some_and(|left| left.is_zero()) {
        let message = format!("the session of {} expired and could not be renewed (see the terminal)", session.role);
        return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, error_body("ExpiredSession", &message)));
    }
    tracing::trace!("credentials endpoint: serving {} to a caller with the token", session.role);
    let credentials = &session.credentials;
    let role_arn = served.engine.inventory().role(&session.role).map(|role| role.arn.as_str());
    let body = ContainerCredentials {
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key(),
        token: credentials.session_token(),
        expiration: credentials.expiration.map(rfc3339),
        role_arn,
    };
    match serde_json::to_vec(&body) {
        Ok(json) => Ok(reply(StatusCode::OK, json)),
        Err(_) => Ok(reply(StatusCode::INTERNAL_SERVER_ERROR, error_body("InternalError", "cannot encode"))),
    }
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::json!({ "code": code, "message": message }).to_string().into_bytes()
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_long_enough_are_served_with_at_least_15_minutes_left() {
        let minutes = |count: u64| Duration::from_secs(count * 60);
        assert_eq!(window_for(minutes(5), Some(minutes(60))), minutes(15), "botocore's window, not 5m");
        assert_eq!(window_for(minutes(20), Some(minutes(60))), minutes(20), "a longer refresh_before wins");
        assert_eq!(window_for(minutes(14), Some(minutes(15))), minutes(14), "a 15m session: refresh_before as written");
        assert_eq!(window_for(minutes(5), None), minutes(5));
    }

    #[test]
    fn tokens_are_256_bits_and_differ_each_time() {
        let first = random_token();
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&first).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_ne!(first, random_token());
    }
}
