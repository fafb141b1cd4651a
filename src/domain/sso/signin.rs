//! The sign-in a person takes part in, and how it is shown to them (`SignInPrompt`, which
//! the CLI, the screen and the agent implement). Two flows:
//!
//! - **authorization code with PKCE** (the default on a desktop): a listener on 127.0.0.1
//!   (bound before the browser opens), the browser sent to `/authorize`, the callback's
//!   `state` checked, then CreateToken with the code and the verifier;
//! - **device code** (over SSH, under WSL, without a browser, or when asked): the address
//!   and the user code shown, CreateToken polled every `interval` (slower when told).
//!
//! Nothing here takes a lock: the engine records the sign-in as pending for other processes
//! (`kept::PendingSignIn`) and stores the token under a lock taken only for that.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{DeviceAuthorization, IdentityCenter, Registration, SsoError, TokenGrant};
use crate::domain::inventory::{RoleKey, SsoSettings};

/// A browser that has not come back by then will not: the listener closes.
pub const BROWSER_WAIT: Duration = Duration::from_secs(10 * 60);

/// `BROWSER_WAIT`, or `SWITCHBOARD_BROWSER_WAIT` seconds (1 to 3600) for a shorter or longer one.
pub fn browser_wait() -> Duration {
    std::env::var("SWITCHBOARD_BROWSER_WAIT")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|seconds| (1..=3600).contains(seconds))
        .map_or(BROWSER_WAIT, Duration::from_secs)
}
/// One request to the listener (a browser, or anything else that connects) gets this long.
const REQUEST_WAIT: Duration = Duration::from_secs(10);

/// What a person is shown: where to sign in, the code to confirm, and what it unlocks.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInShown {
    pub start_url: String,
    /// Every role the sign-in unlocks (the roles of every source naming this start URL).
    pub roles: Vec<RoleKey>,
    pub url: String,
    /// The device flow's code, to check against the page; `None` for PKCE.
    pub user_code: Option<String>,
    pub expires_at: Timestamp,
    /// Started by another process (its pid): this one waits for its token.
    pub started_by: Option<u32>,
}

/// How a front end shows a sign-in.
#[async_trait]
pub trait SignInPrompt: Send + Sync {
    /// Whether a person can sign in from here: a terminal, the screen, a browser to open. A
    /// prompt that cannot makes the engine refuse with what to run instead.
    fn can_ask(&self) -> bool;
    /// Whether to use the device code flow rather than PKCE.
    fn device_code(&self) -> bool {
        device_code_suits_here()
    }
    /// Whether this prompt opens the browser itself when a sign-in starts here.
    fn opens_browser(&self) -> bool {
        true
    }
    /// Shows where to sign in; returns when the person cancels (never, for a prompt that
    /// cannot be cancelled: then the process's end cancels it).
    async fn show(&self, shown: &SignInShown);
    /// The sign-in ended: a token came (`Ok`) or it failed, in one line. The prompt closes.
    fn ended(&self, start_url: &str, outcome: Result<(), String>);
}

/// A prompt that cannot ask: background work, or a caller with no terminal and no browser.
pub struct NoSignIn;

#[async_trait]
impl SignInPrompt for NoSignIn {
    fn can_ask(&self) -> bool {
        false
    }

    async fn show(&self, _shown: &SignInShown) {
        std::future::pending::<()>().await;
    }

    fn ended(&self, _start_url: &str, _outcome: Result<(), String>) {}
}

/// Over SSH, under WSL, or without a graphical session the browser is not on this machine:
/// the device flow lets the person sign in on any device.
pub fn device_code_suits_here() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if set("SSH_CONNECTION") || set("SSH_TTY") || set("SSH_CLIENT") || set("WSL_DISTRO_NAME") {
        return true;
    }
    if set("BROWSER") || cfg!(target_os = "macos") || cfg!(windows) {
        return false;
    }
    !(set("DISPLAY") || set("WAYLAND_DISPLAY"))
}

/// Where a sign-in stands once it was started: what to show, and how to wait for the token.
pub enum Started {
    Device { authorization: DeviceAuthorization },
    Pkce { listener: TcpListener, redirect_uri: String, state: String, verifier: SecretString, url: String },
}

impl Started {
    /// The address the person opens.
    pub fn url(&self) -> &str {
        match self {
            Started::Device { authorization } => {
                authorization.verification_uri_complete.as_deref().unwrap_or(&authorization.verification_uri)
            }
            Started::Pkce { url, .. } => url,
        }
    }

    pub fn user_code(&self) -> Option<&str> {
        match self {
            Started::Device { authorization } => Some(&authorization.user_code),
            Started::Pkce { .. } => None,
        }
    }

    pub fn expires_at(&self, now: Timestamp) -> Timestamp {
        match self {
            Started::Device { authorization } => authorization.expires_at,
            Started::Pkce { .. } => now.checked_add(browser_wait()).unwrap_or(now),
        }
    }
}

/// Starts a sign-in: the device authorization, or the listener and the authorize URL.
pub async fn start(
    center: &dyn IdentityCenter,
    sso: &SsoSettings,
    registration: &Registration,
) -> Result<Started, SsoError> {
    if !registration.pkce {
        let authorization = center.start_device_authorization(sso, registration).await?;
        return Ok(Started::Device { authorization });
    }
    // Bound before the browser opens: a browser already signed in comes straight back.
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|error| SsoError::Browser(format!("cannot listen on 127.0.0.1 for the browser: {error}")))?;
    let port = listener.local_addr().map_err(|error| SsoError::Browser(error.to_string()))?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/oauth/callback");
    let verifier = SecretString::from(random_text(64));
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose_secret().as_bytes()));
    let state = random_text(32);
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &registration.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &sso.scopes.join(" "))
        .append_pair("code_challenge", &challenge)
        .finish();
    let url = format!("{}?{query}", center.authorize_endpoint(sso));
    Ok(Started::Pkce { listener, redirect_uri, state, verifier, url })
}

/// Waits for the token of a started sign-in (the person's part), then exchanges for it.
pub async fn finish(
    center: &dyn IdentityCenter,
    sso: &SsoSettings,
    registration: &Registration,
    started: Started,
) -> Result<TokenGrant, SsoError> {
    match started {
        Started::Device { authorization } => poll_device(center, sso, registration, &authorization).await,
        Started::Pkce { listener, redirect_uri, state, verifier, .. } => {
            let waited = browser_wait();
            let code = tokio::time::timeout(waited, callback(&listener, &state))
                .await
                .map_err(|_| SsoError::BrowserTimedOut { waited })??;
            drop(listener);
            center.token_for_code(sso, registration, &code, &redirect_uri, &verifier).await
        }
    }
}

async fn poll_device(
    center: &dyn IdentityCenter,
    sso: &SsoSettings,
    registration: &Registration,
    authorization: &DeviceAuthorization,
) -> Result<TokenGrant, SsoError> {
    let mut interval = authorization.interval;
    loop {
        tokio::time::sleep(interval).await;
        if Timestamp::now() >= authorization.expires_at {
            return Err(SsoError::CodeExpired);
        }
        match center.token_for_device(sso, registration, &authorization.device_code).await {
            Err(SsoError::AuthorizationPending) => {}
            Err(SsoError::SlowDown) => interval += Duration::from_secs(5),
            other => return other,
        }
    }
}

/// Serves the listener until the browser's callback comes: its code when `state` is ours.
async fn callback(listener: &TcpListener, state: &str) -> Result<SecretString, SsoError> {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let mut head = Vec::with_capacity(2048);
        let read = tokio::time::timeout(REQUEST_WAIT, async {
            let mut buffer = [0u8; 1024];
            while head.len() < 8192 && !head.windows(4).any(|window| window == b"\r\n\r\n") {
                let count = stream.read(&mut buffer).await?;
                if count == 0 {
                    break;
                }
                head.extend_from_slice(&buffer[..count]);
            }
            Ok::<_, std::io::Error>(())
        })
        .await;
        if !matches!(read, Ok(Ok(()))) {
            continue;
        }
        let request = String::from_utf8_lossy(&head);
        let target = request.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or_default();
        let Some(query) = target.strip_prefix("/oauth/callback?") else {
            let _ = respond(&mut stream, "404 Not Found", "Not the sign-in's address.").await;
            continue;
        };
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let find = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        if find("state").as_deref() != Some(state) {
            let _ = respond(&mut stream, "400 Bad Request", "This answer is not for the sign-in under way.").await;
            return Err(SsoError::StateMismatch);
        }
        if find("error").is_some() {
            let _ = respond(&mut stream, "200 OK", "The sign-in was denied. You can close this tab.").await;
            return Err(SsoError::AccessDenied);
        }
        let Some(code) = find("code") else {
            let _ = respond(&mut stream, "400 Bad Request", "The answer carried no code.").await;
            return Err(SsoError::AccessDenied);
        };
        let _ = respond(&mut stream, "200 OK", "Signed in: switchboard has the token. You can close this tab.").await;
        return Ok(SecretString::from(code));
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, text: &str) -> std::io::Result<()> {
    let body = format!("<!doctype html><title>switchboard</title><p>{text}</p>");
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}

/// Characters of `A-Za-z0-9-._~` (what a PKCE verifier allows) from the OS's randomness.
fn random_text(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut bytes = vec![0u8; length];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_callback_takes_the_code_of_its_own_state_only() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let browser = tokio::spawn(async move {
            let get = |path: String| async move {
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await.unwrap();
                answer
            };
            let stray = get("/favicon.ico".into()).await;
            let ours = get("/oauth/callback?code=the-code&state=s1".into()).await;
            (stray, ours)
        });
        let code = callback(&listener, "s1").await.unwrap();
        assert_eq!(code.expose_secret(), "the-code");
        let (stray, ours) = browser.await.unwrap();
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        assert!(ours.contains("Signed in"), "{ours}");

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            stream.write_all(b"GET /oauth/callback?code=c&state=forged HTTP/1.1\r\n\r\n").await.unwrap();
        });
        assert_eq!(callback(&listener, "s1").await.unwrap_err(), SsoError::StateMismatch);
    }

    #[test]
    fn a_verifier_is_long_and_of_the_allowed_characters() {
        let verifier = random_text(64);
        assert_eq!(verifier.len(), 64);
        assert!(verifier.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        assert_ne!(verifier, random_text(64));
    }
}
