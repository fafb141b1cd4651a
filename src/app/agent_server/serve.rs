//! Answering the agent's clients: one task per connection, one JSON reply per request line.
//! A malformed request gets an error reply; nothing a client sends can stop the agent.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::AgentServer;
use super::asks::{AgentAsk, on_behalf_of};
use super::socket::{AgentSocket, peer_allowed};
use crate::app::agent_protocol::{AgentErrorKind, AgentReply, AgentRequest, MAX_REQUEST_BYTES, WireSession};
use crate::domain::engine::{Engine, EngineError};
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::{MfaCaller, MfaCode, MfaError};

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
    let mut reader = BufReader::new(reader);
    loop {
        let mut line = String::new();
        let mut limited = (&mut reader).take(MAX_REQUEST_BYTES);
        let read = match tokio::time::timeout(REQUEST_READ_TIMEOUT, limited.read_line(&mut line)).await {
            Ok(Ok(read)) => read,
            Ok(Err(_)) | Err(_) => return,
        };
        if read == 0 {
            return;
        }
        if !line.ends_with('\n') && read as u64 >= MAX_REQUEST_BYTES {
            let _ = write_reply(&mut writer, &error(AgentErrorKind::BadRequest, "request too long".into())).await;
            return;
        }
        let reply = match serde_json::from_str::<AgentRequest>(&line) {
            Ok(request) => answer(&server, request, peer_pid).await,
            Err(problem) => error(AgentErrorKind::BadRequest, format!("not a request: {problem}")),
        };
        if write_reply(&mut writer, &reply).await.is_err() {
            return;
        }
    }
}

async fn write_reply(writer: &mut tokio::net::unix::OwnedWriteHalf, reply: &AgentReply) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

fn error(kind: AgentErrorKind, message: String) -> AgentReply {
    AgentReply::Error { kind, message }
}

async fn answer(server: &AgentServer, request: AgentRequest, peer_pid: Option<u32>) -> AgentReply {
    match request {
        AgentRequest::Status => AgentReply::Status(server.status()),
        AgentRequest::Session { inventory, role, renewal, caller, mfa_wait_seconds, served_pid } => {
            let engine = match engine_for(server, &inventory) {
                Ok(engine) => engine,
                Err(reply) => return reply,
            };
            let key = match find(&engine, &role) {
                Ok(key) => key,
                Err(reply) => return reply,
            };
            let wait = mfa_wait_seconds.map(Duration::from_secs).unwrap_or(DEFAULT_MFA_WAIT).min(LONGEST_MFA_WAIT);
            let caller = caller.map(|caller| MfaCaller { client_pid: peer_pid.or(caller.client_pid), ..caller });
            let headless = caller.is_some();
            let renewal = renewal.with_inventory_window(engine.inventory().defaults.refresh_before);
            let asking = on_behalf_of(AgentAsk { caller, wait }, engine.session(&key, renewal));
            // A caller without a terminal may also queue behind another caller's prompt for the
            // same device: its whole wait is bounded, so it gets its one line in time.
            let asked = match tokio::time::timeout(wait + STS_GRACE, asking).await {
                Ok(asked) => asked,
                Err(_) => {
                    return error(
                        AgentErrorKind::MfaNotGiven,
                        format!(
                            "{key}: no session within {} s (waiting for an MFA code): run `switchboard mfa` in a terminal (or answer in the switchboard screen), then retry",
                            (wait + STS_GRACE).as_secs()
                        ),
                    );
                }
            };
            match asked {
                Ok(session) => {
                    if let Some(pid) = served_pid.or(peer_pid) {
                        server.served.record(&key.to_string(), pid);
                    }
                    AgentReply::Session(WireSession::from(&session))
                }
                Err(problem) => engine_error(&problem, headless),
            }
        }
        AgentRequest::List { inventory } => match engine_for(server, &inventory) {
            Ok(engine) => match super::list::rows(&engine) {
                Ok(rows) => AgentReply::List { rows },
                Err(problem) => error(AgentErrorKind::Failed, problem.to_string()),
            },
            Err(reply) => reply,
        },
        AgentRequest::Whoami { inventory, role } => {
            let engine = match engine_for(server, &inventory) {
                Ok(engine) => engine,
                Err(reply) => return reply,
            };
            let key = match find(&engine, &role) {
                Ok(key) => key,
                Err(reply) => return reply,
            };
            let ask = AgentAsk { caller: None, wait: DEFAULT_MFA_WAIT };
            match on_behalf_of(ask, engine.identity(&key)).await {
                Ok(identity) => {
                    AgentReply::Identity { account: identity.account, arn: identity.arn, user_id: identity.user_id }
                }
                Err(problem) => engine_error(&problem, false),
            }
        }
        AgentRequest::PendingMfa => match &server.pending {
            Some(pending) => AgentReply::Pending { requests: pending.list() },
            None => error(
                AgentErrorKind::BadRequest,
                format!("the agent is the switchboard screen (pid {}): answer in its MFA modal", server.status.pid),
            ),
        },
        AgentRequest::AnswerMfa { id, code } => {
            let Some(pending) = &server.pending else {
                return error(AgentErrorKind::BadRequest, "this agent asks in the screen's modal".into());
            };
            let code = match MfaCode::parse(&code.0) {
                Ok(code) => code,
                Err(problem) => return error(AgentErrorKind::BadRequest, problem.to_string()),
            };
            match pending.answer(id, code) {
                Ok(()) => AgentReply::Answered,
                Err(problem) => error(AgentErrorKind::BadRequest, problem),
            }
        }
    }
}

fn engine_for(server: &AgentServer, asked: &Path) -> Result<Arc<Engine>, AgentReply> {
    let served = &server.status.inventory;
    if crate::app::agent_client::inventory_identity(asked) != *served {
        return Err(error(
            AgentErrorKind::OtherInventory,
            format!("this agent serves {}, not {}", served.display(), asked.display()),
        ));
    }
    server.current_engine().map_err(|problem| error(AgentErrorKind::OtherInventory, problem))
}

fn find(engine: &Engine, role: &str) -> Result<RoleKey, AgentReply> {
    match engine.inventory().find_role(role) {
        Ok(found) => Ok(found.key.clone()),
        Err(problem) => Err(error(AgentErrorKind::BadRequest, problem.to_string())),
    }
}

/// A caller without a terminal gets one line that says what to do; a caller with one is
/// told a code is needed and asks itself.
fn engine_error(problem: &EngineError, headless: bool) -> AgentReply {
    match (problem, problem.mfa_device()) {
        (EngineError::Mfa { role, device, error: mfa }, Some(_)) if headless => {
            let what = match mfa {
                MfaError::TimedOut { seconds } => format!("nobody gave it within {seconds} s"),
                other => other.to_string(),
            };
            error(
                AgentErrorKind::MfaNotGiven,
                format!(
                    "{role} needs an MFA code for {device} and {what}: run `switchboard mfa` in a terminal (or answer in the switchboard screen), then retry"
                ),
            )
        }
        (_, Some(_)) if !headless => error(AgentErrorKind::MfaNeeded, problem.to_string()),
        _ => error(AgentErrorKind::Failed, problem.to_string()),
    }
}
