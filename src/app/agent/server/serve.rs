//! Answering the agent's clients: one task per connection, one JSON reply per request line.
//! A malformed request gets an error reply; nothing a client sends can stop the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::AgentServer;
use super::asks::{AgentAsk, on_behalf_of};
use super::socket::{AgentSocket, peer_allowed};
use crate::app::agent::protocol::{
    AgentErrorKind, AgentReply, AgentRequest, BUILD, Greeting, MAX_REQUEST_BYTES, PROTOCOL, Unreadable, WireRenewal,
    WireSession, encode, parse_request,
};
use crate::domain::engine::{Engine, EngineError};
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCaller, MfaCode, MfaError};
use crate::domain::sso::SsoError;

/// A client that connects and says nothing is dropped after this.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller without a terminal waits for its code when it does not say.
const DEFAULT_MFA_WAIT: Duration = Duration::from_secs(120);
/// Nobody waits longer than this, whatever a client asks.
const LONGEST_MFA_WAIT: Duration = Duration::from_secs(15 * 60);
/// Beyond the wait for a code: the STS calls and locks of one renewal (the client allows more).
const STS_GRACE: Duration = Duration::from_secs(60);

/// Serves until the task is dropped (the screen closing); the socket goes with it.
pub async fn serve(socket: AgentSocket, server: Arc<AgentServer>) {
    accept_forever(&socket, server).await;
}

pub async fn accept_forever(socket: &AgentSocket, server: Arc<AgentServer>) {
    loop {
        match socket.listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, server.clone()));
            }
            Err(error) => {
                tracing::debug!("agent: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, server: Arc<AgentServer>) {
    let credentials = stream.peer_cred();
    let peer_pid = credentials.as_ref().ok().and_then(|cred| cred.pid()).and_then(|pid| u32::try_from(pid).ok());
    let uid = credentials.map(|cred| cred.uid());
    let (reader, mut writer) = stream.into_split();
    if !uid.as_ref().is_ok_and(|uid| peer_allowed(*uid)) {
        tracing::warn!("agent: refused a client of another user ({uid:?})");
        let refusal = error(AgentErrorKind::BadRequest, "this agent serves only its own user".into());
        let _ = write_reply(&mut writer, &refusal).await;
        return;
    }
    if write_line(&mut writer, &Greeting::of_this_process()).await.is_err() {
        return;
    }
    let mut reader = BufReader::new(reader);
    loop {
        let mut line = Vec::new();
        let mut limited = (&mut reader).take(MAX_REQUEST_BYTES);
        let read = match tokio::time::timeout(REQUEST_READ_TIMEOUT, limited.read_until(b'\n', &mut line)).await {
            Ok(Ok(read)) => read,
            Ok(Err(_)) | Err(_) => return,
        };
        if read == 0 {
            return;
        }
        if !line.ends_with(b"\n") && read as u64 >= MAX_REQUEST_BYTES {
            let _ = write_reply(&mut writer, &error(AgentErrorKind::BadRequest, "request too long".into())).await;
            return;
        }
        let reply = match parse_request(&line) {
            Ok(request) => answer(&server, request, peer_pid).await,
            Err(problem @ Unreadable::Malformed(_)) => error(AgentErrorKind::BadRequest, problem.to_string()),
            Err(Unreadable::OtherProtocol(spoken)) => {
                let spoken = spoken.map_or("1".to_owned(), |spoken| spoken.to_string());
                tracing::warn!("agent: a client speaking protocol {spoken} (another switchboard build) was refused");
                let message = format!(
                    "agent pid {} runs switchboard {BUILD} (protocol {PROTOCOL}); the request speaks protocol {spoken}",
                    std::process::id()
                );
                error(AgentErrorKind::OtherProtocol, message)
            }
        };
        if write_reply(&mut writer, &reply).await.is_err() {
            return;
        }
    }
}

async fn write_reply(writer: &mut tokio::net::unix::OwnedWriteHalf, reply: &AgentReply) -> std::io::Result<()> {
    write_line(writer, reply).await
}

async fn write_line(
    writer: &mut tokio::net::unix::OwnedWriteHalf,
    what: &impl serde::Serialize,
) -> std::io::Result<()> {
    let mut line = encode(what).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

fn error(kind: AgentErrorKind, message: String) -> AgentReply {
    AgentReply::Error { kind, message }
}

async fn answer(server: &AgentServer, request: AgentRequest, peer_pid: Option<u32>) -> AgentReply {
    tracing::trace!("agent: {} request from pid {}", request.op(), peer_pid.map_or("?".into(), |pid| pid.to_string()));
    let outcome = match request {
        AgentRequest::Status => Ok(AgentReply::Status(server.status())),
        AgentRequest::Session { inventory, role, renewal, caller, mfa_wait_seconds, served_pid } => {
            let asked = SessionAsked { inventory, role, renewal, caller, mfa_wait_seconds, served_pid, peer_pid };
            session(server, asked).await
        }
        AgentRequest::List { inventory, json } => engine_for(server, &inventory).and_then(|engine| {
            crate::app::listing::render(&engine, json)
                .map(|text| AgentReply::Listed { text })
                .map_err(|problem| (AgentErrorKind::Failed, problem))
        }),
        AgentRequest::Whoami { inventory, role } => whoami(server, &inventory, &role).await,
        AgentRequest::PendingMfa => match &server.pending {
            Some(pending) => Ok(AgentReply::Pending { requests: pending.list() }),
            None => Err((
                AgentErrorKind::BadRequest,
                format!("the agent is the switchboard screen (pid {}): answer in its MFA modal", server.status.pid),
            )),
        },
        AgentRequest::AnswerMfa { id, code } => answer_mfa(server, id, &code.0),
    };
    outcome.unwrap_or_else(|(kind, message)| error(kind, message))
}

/// A session request's fields, and the client's pid from the socket's peer credentials.
struct SessionAsked {
    inventory: PathBuf,
    role: String,
    renewal: WireRenewal,
    caller: Option<MfaCaller>,
    mfa_wait_seconds: Option<u64>,
    served_pid: Option<u32>,
    peer_pid: Option<u32>,
}

async fn session(server: &AgentServer, asked: SessionAsked) -> Result<AgentReply, Refusal> {
    let engine = engine_for(server, &asked.inventory)?;
    let key = find(&engine, &asked.role)?;
    let wait = asked.mfa_wait_seconds.map(Duration::from_secs).unwrap_or(DEFAULT_MFA_WAIT).min(LONGEST_MFA_WAIT);
    let peer_pid = asked.peer_pid;
    let caller = asked.caller.map(|caller| MfaCaller { client_pid: peer_pid.or(caller.client_pid), ..caller });
    let headless = caller.is_some();
    let renewal = asked.renewal.with_inventory_window(engine.inventory().defaults.refresh_before);
    let asking = on_behalf_of(AgentAsk { caller, wait }, engine.session(&key, renewal));
    // A caller without a terminal may also queue behind another caller's prompt for the
    // same device: its whole wait is bounded, so it gets its one line in time.
    let Ok(outcome) = tokio::time::timeout(wait + STS_GRACE, asking).await else {
        return Err((
            AgentErrorKind::MfaNotGiven,
            format!(
                "{key}: no session within {} s (waiting for an MFA code or a sign-in): run `switchboard mfa` or `switchboard login` in a terminal (or answer in the switchboard screen), then retry",
                (wait + STS_GRACE).as_secs()
            ),
        ));
    };
    let session = outcome.map_err(|problem| engine_error(&problem, headless))?;
    if let Some(pid) = asked.served_pid.or(peer_pid) {
        let left = session.credentials.expiration.map(|until| crate::domain::duration::time_left(engine.now(), until));
        server.served.record(&key.to_string(), pid, left.unwrap_or_default());
    }
    Ok(AgentReply::Session(WireSession::from(&session)))
}

async fn whoami(server: &AgentServer, inventory: &Path, role: &str) -> Result<AgentReply, Refusal> {
    let engine = engine_for(server, inventory)?;
    let key = find(&engine, role)?;
    // The client asks for a code itself when one is needed.
    let ask = AgentAsk { caller: None, wait: DEFAULT_MFA_WAIT };
    let identity = on_behalf_of(ask, engine.identity(&key)).await.map_err(|problem| engine_error(&problem, false))?;
    Ok(AgentReply::Identity { account: identity.account, arn: identity.arn, user_id: identity.user_id })
}

fn answer_mfa(server: &AgentServer, id: u64, code: &str) -> Result<AgentReply, Refusal> {
    let Some(pending) = &server.pending else {
        return Err((AgentErrorKind::BadRequest, "this agent asks in the screen's modal".into()));
    };
    let code = MfaCode::parse(code).map_err(|problem| (AgentErrorKind::BadRequest, problem.to_string()))?;
    pending.answer(id, code).map_err(|problem| (AgentErrorKind::BadRequest, problem))?;
    Ok(AgentReply::Answered)
}

/// Why a request cannot be answered: the error reply's kind and message.
type Refusal = (AgentErrorKind, String);

fn engine_for(server: &AgentServer, asked: &Path) -> Result<Arc<Engine>, Refusal> {
    let served = &server.status.inventory;
    if crate::app::agent::client::inventory_identity(asked) != *served {
        let message = format!("this agent serves {}, not {}", served.display(), asked.display());
        return Err((AgentErrorKind::OtherInventory, message));
    }
    server.current_engine().map_err(|problem| (AgentErrorKind::OtherInventory, problem))
}

fn find(engine: &Engine, role: &str) -> Result<RoleKey, Refusal> {
    match engine.inventory().find_role(role) {
        Ok(found) => Ok(found.key.clone()),
        Err(problem) => Err((AgentErrorKind::BadRequest, problem.to_string())),
    }
}

/// A caller without a terminal gets one line that says what to do; a caller with one is
/// told a code is needed and asks itself.
fn engine_error(problem: &EngineError, headless: bool) -> Refusal {
    match (problem, problem.mfa_device()) {
        // Only a caller's wait running out cancels the headless agent's sign-in.
        (EngineError::SignIn { role, start_url, error }, _) if headless && **error == SsoError::Cancelled => (
            AgentErrorKind::MfaNotGiven,
            format!(
                "{role} needs a sign-in to {start_url} and nobody signed in in time: run `switchboard login` in a terminal (or sign in in the switchboard screen), then retry"
            ),
        ),
        (EngineError::Mfa { role, device, error: mfa }, Some(_)) if headless => {
            let what = match mfa {
                MfaError::TimedOut { seconds } => format!("nobody gave it within {seconds} s"),
                other => other.to_string(),
            };
            (
                AgentErrorKind::MfaNotGiven,
                format!(
                    "{role} needs an MFA code for {device} and {what}: run `switchboard mfa` in a terminal (or answer in the switchboard screen), then retry"
                ),
            )
        }
        (_, Some(_)) if !headless => (AgentErrorKind::MfaNeeded, problem.to_string()),
        _ => (AgentErrorKind::Failed, problem.to_string()),
    }
}
