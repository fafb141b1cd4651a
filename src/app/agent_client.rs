//! Asking the agent, when one listens: the session client every command goes through. With
//! no agent (no socket, a stale one, one serving another inventory, one that cannot ask for
//! an MFA code) the caller is told so and uses its own engine, as before the agent existed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::agent_protocol::{AgentErrorKind, AgentReply, AgentRequest, AgentStatus};
use crate::domain::engine::{Renewal, Session};
use crate::domain::inventory::{Inventory, RoleKey};

/// A stale socket file (the agent died) must not delay a command noticeably.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(100);
/// Long enough for the agent's STS calls (the engine waits up to a minute for a layer lock).
const SESSION_REPLY_TIMEOUT: Duration = Duration::from_secs(90);
const STATUS_REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// Overrides where the agent's socket is (tests, several agents side by side).
pub const SOCKET_VARIABLE: &str = "SWITCHBOARD_AGENT_SOCKET";
/// `SWITCHBOARD_AGENT=off`: never ask an agent.
pub const SWITCH_VARIABLE: &str = "SWITCHBOARD_AGENT";

#[derive(Debug, thiserror::Error)]
pub enum AgentUnavailable {
    #[error("no place for the agent's socket: set XDG_RUNTIME_DIR or HOME")]
    NoSocketPath,
    #[error("no agent listens at {}", .0.display())]
    NotListening(PathBuf),
    #[error("the agent at {} did not answer: {reason}", path.display())]
    Broken { path: PathBuf, reason: String },
}

/// `$SWITCHBOARD_AGENT_SOCKET`, else `$XDG_RUNTIME_DIR/switchboard/agent.sock`, else
/// `agent.sock` in the state directory.
pub fn socket_path() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    if let Some(path) = set(SOCKET_VARIABLE) {
        return Some(path);
    }
    if let Some(runtime) = set("XDG_RUNTIME_DIR") {
        return Some(runtime.join("switchboard").join("agent.sock"));
    }
    crate::domain::store::state_dir().map(|dir| dir.join("agent.sock"))
}

fn own_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn agent_switched_off() -> bool {
    std::env::var(SWITCH_VARIABLE).is_ok_and(|value| value.eq_ignore_ascii_case("off"))
}

/// One request, one reply.
pub async fn ask(path: &Path, request: &AgentRequest, reply_timeout: Duration) -> Result<AgentReply, AgentUnavailable> {
    let broken = |reason: String| AgentUnavailable::Broken { path: path.to_path_buf(), reason };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(path)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(_)) | Err(_) => return Err(AgentUnavailable::NotListening(path.to_path_buf())),
    };
    // Sessions from an agent of another user would put our commands in their accounts.
    let peer = stream.peer_cred().map(|credentials| credentials.uid());
    if !peer.as_ref().is_ok_and(|uid| *uid == own_uid()) {
        return Err(broken(format!("it runs as another user ({peer:?}); not asking it")));
    }
    let exchange = async {
        let (reader, mut writer) = stream.into_split();
        let mut line = serde_json::to_string(request).map_err(|error| broken(error.to_string()))?;
        line.push('\n');
        writer.write_all(line.as_bytes()).await.map_err(|error| broken(error.to_string()))?;
        let mut reply = String::new();
        let read = BufReader::new(reader).read_line(&mut reply).await.map_err(|error| broken(error.to_string()))?;
        if read == 0 {
            return Err(broken("it closed the connection".into()));
        }
        serde_json::from_str(&reply).map_err(|error| broken(format!("unreadable reply: {error}")))
    };
    tokio::time::timeout(reply_timeout, exchange).await.unwrap_or_else(|_| Err(broken("timed out".into())))
}

/// Which agent serves, if any.
pub async fn status() -> Result<(PathBuf, AgentStatus), AgentUnavailable> {
    let path = socket_path().ok_or(AgentUnavailable::NoSocketPath)?;
    match ask(&path, &AgentRequest::Status, STATUS_REPLY_TIMEOUT).await? {
        AgentReply::Status(status) => Ok((path, status)),
        other => Err(AgentUnavailable::Broken { path, reason: format!("unexpected reply {other:?}") }),
    }
}

/// The inventory as the agent and its clients compare it: the same file, however named.
pub fn inventory_identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The role's session from the agent when one listens and can give it; `None` means: use
/// your own engine (the reason is logged at debug level).
pub async fn session_from_agent(inventory: &Inventory, role: &RoleKey, renewal: Renewal) -> Option<Session> {
    if agent_switched_off() {
        return None;
    }
    let path = socket_path()?;
    let request = AgentRequest::Session {
        inventory: inventory_identity(&inventory.path),
        role: role.to_string(),
        renewal: renewal.into(),
    };
    match ask(&path, &request, SESSION_REPLY_TIMEOUT).await {
        Ok(AgentReply::Session(session)) => {
            tracing::debug!("agent: {role} served by the agent at {}", path.display());
            Some(session.into_session(role.clone()))
        }
        Ok(AgentReply::Error { kind: AgentErrorKind::Failed, message }) => {
            // The agent's engine failed (STS, sources): ours would most likely fail the same
            // way, but it says so in its own words, and may ask for a code the agent could not.
            tracing::info!("agent: {message}; trying without the agent");
            None
        }
        Ok(AgentReply::Error { kind, message }) => {
            tracing::debug!("agent: {kind:?}: {message}; using this process's engine");
            None
        }
        Ok(other) => {
            tracing::debug!("agent: unexpected reply {other:?}; using this process's engine");
            None
        }
        Err(unavailable) => {
            tracing::debug!("agent: {unavailable}; using this process's engine");
            None
        }
    }
}
