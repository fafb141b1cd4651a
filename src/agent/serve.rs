//! Answering the agent's clients: one task per connection, one JSON reply per request line.
//! A malformed request gets an error reply; nothing a client sends can stop the agent.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::app::agent_protocol::{
    AgentErrorKind, AgentReply, AgentRequest, AgentStatus, MAX_REQUEST_BYTES, WireSession,
};
use crate::domain::engine::Engine;
use crate::domain::mfa::{MfaCode, MfaError, MfaPrompt, MfaRequest};

use super::socket::{AgentSocket, peer_allowed};

/// A client that connects and says nothing is dropped after this.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The headless agent has nobody to ask for a code: it says so, and a caller with a
/// terminal asks there itself (asking in the screen or via `switchboard mfa` is not built yet).
pub struct NoPrompt;

#[async_trait]
impl MfaPrompt for NoPrompt {
    async fn ask(&self, request: &MfaRequest) -> Result<MfaCode, MfaError> {
        Err(MfaError::NoTerminal { device: request.device.clone() })
    }
}

pub struct Agent {
    pub engine: Arc<Engine>,
    pub status: AgentStatus,
}

pub async fn accept_forever(socket: &AgentSocket, agent: Arc<Agent>) {
    loop {
        match socket.listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, agent.clone()));
            }
            Err(error) => {
                tracing::debug!("agent: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, agent: Arc<Agent>) {
    let uid = stream.peer_cred().map(|cred| cred.uid());
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
            Ok(request) => answer(&agent, request).await,
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

async fn answer(agent: &Agent, request: AgentRequest) -> AgentReply {
    match request {
        AgentRequest::Status => AgentReply::Status(agent.status.clone()),
        AgentRequest::Session { inventory, role, renewal } => {
            if !same_inventory(&inventory, &agent.status.inventory) {
                return error(
                    AgentErrorKind::OtherInventory,
                    format!("this agent serves {}, not {}", agent.status.inventory.display(), inventory.display()),
                );
            }
            let key = match agent.engine.inventory().find_role(&role) {
                Ok(found) => found.key.clone(),
                Err(problem) => return error(AgentErrorKind::BadRequest, problem.to_string()),
            };
            match agent.engine.session(&key, renewal.into()).await {
                Ok(session) => AgentReply::Session(WireSession::from(&session)),
                Err(problem) if problem.mfa_device().is_some() => error(AgentErrorKind::MfaNeeded, problem.to_string()),
                Err(problem) => error(AgentErrorKind::Failed, problem.to_string()),
            }
        }
    }
}

fn same_inventory(asked: &Path, served: &Path) -> bool {
    crate::app::agent_client::inventory_identity(asked) == served
}
