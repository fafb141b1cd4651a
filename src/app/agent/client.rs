//! Asking the agent, when one listens: the session client every command goes through. With
//! no agent (no socket, a stale one, one serving another inventory, one that cannot ask for
//! an MFA code) the caller is told so and uses its own engine, as before the agent existed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::protocol::{
    AgentErrorKind, AgentReply, AgentRequest, AgentStatus, BUILD, Greeting, PROTOCOL, Unreadable, WireRenewal, encode,
    parse_reply,
};
use crate::domain::engine::{Renewal, Session};
use crate::domain::inventory::{Inventory, RoleKey};
use crate::domain::mfa::MfaCaller;

/// A stale socket file (the agent died) must not delay a command noticeably.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(100);
/// A running agent greets as soon as it accepts (see `Greeting`); a busy one within this.
pub const GREETING_TIMEOUT: Duration = Duration::from_millis(500);
/// Long enough for the agent's STS calls (the engine waits up to a minute for a layer lock).
const SESSION_REPLY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a caller without a terminal waits for someone to give its MFA code.
pub const DEFAULT_MFA_WAIT: Duration = Duration::from_secs(120);
/// `SWITCHBOARD_MFA_WAIT=SECONDS`: how long a caller without a terminal waits for its code.
pub const MFA_WAIT_VARIABLE: &str = "SWITCHBOARD_MFA_WAIT";
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
    #[error("{SWITCH_VARIABLE}=off")]
    SwitchedOff,
    /// An agent of another build: said once per process (see `tell_once`), then this process
    /// works without it.
    #[error(
        "agent pid {pid} runs switchboard {version} (protocol {protocol}), this is switchboard {BUILD} (protocol {PROTOCOL}): restart it (e.g. `systemctl --user restart switchboard-agent`); working without it meanwhile"
    )]
    OtherProtocol { pid: u32, version: String, protocol: String },
}

/// Says an agent of another build once per process, on stderr: the operator must learn that
/// it serves nobody until it is restarted. Other reasons stay at debug level.
fn tell_once(unavailable: &AgentUnavailable) {
    static TOLD: std::sync::Once = std::sync::Once::new();
    if matches!(unavailable, AgentUnavailable::OtherProtocol { .. }) {
        TOLD.call_once(|| crate::app::output::warn(&unavailable.to_string()));
    }
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

pub fn switched_off() -> bool {
    std::env::var(SWITCH_VARIABLE).is_ok_and(|value| value.eq_ignore_ascii_case("off"))
}

/// One request, one reply.
pub async fn ask(path: &Path, request: &AgentRequest, reply_timeout: Duration) -> Result<AgentReply, AgentUnavailable> {
    let answered = exchange(path, request, reply_timeout).await;
    if let Err(unavailable) = &answered {
        tell_once(unavailable);
    }
    answered
}

async fn exchange(
    path: &Path,
    request: &AgentRequest,
    reply_timeout: Duration,
) -> Result<AgentReply, AgentUnavailable> {
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
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    // A running agent greets at once; a stopped one (Ctrl-Z) never does, though the kernel
    // accepted the connection: fall back now rather than after the whole reply timeout.
    let mut greeting = String::new();
    match tokio::time::timeout(GREETING_TIMEOUT, reader.read_line(&mut greeting)).await {
        Ok(Ok(read)) if read > 0 => {}
        Ok(_) => return Err(broken("it closed the connection before greeting".into())),
        Err(_) => {
            let waited = GREETING_TIMEOUT.as_millis();
            return Err(broken(format!(
                "it did not greet within {waited} ms (stopped? `kill -CONT` it or restart it)"
            )));
        }
    }
    let greeting = match serde_json::from_str::<Greeting>(&greeting) {
        Ok(greeting) if greeting.protocol == PROTOCOL => greeting,
        Ok(greeting) => {
            return Err(AgentUnavailable::OtherProtocol {
                pid: greeting.pid,
                version: greeting.version,
                protocol: greeting.protocol.to_string(),
            });
        }
        Err(_) => return Err(broken(format!("its greeting is not switchboard's (this is switchboard {BUILD})"))),
    };
    let other_protocol = |spoken: Option<u64>| AgentUnavailable::OtherProtocol {
        pid: greeting.pid,
        version: greeting.version.clone(),
        protocol: spoken.map_or("1".to_owned(), |spoken| spoken.to_string()),
    };
    let exchange = async {
        let mut line = encode(request).map_err(|error| broken(error.to_string()))?;
        line.push('\n');
        writer.write_all(line.as_bytes()).await.map_err(|error| broken(error.to_string()))?;
        let mut reply = String::new();
        let read = reader.read_line(&mut reply).await.map_err(|error| broken(error.to_string()))?;
        if read == 0 {
            return Err(broken("it closed the connection".into()));
        }
        match parse_reply(reply.as_bytes()) {
            Ok(AgentReply::Error { kind: AgentErrorKind::OtherProtocol, .. }) => Err(other_protocol(None)),
            Ok(reply) => Ok(reply),
            Err(Unreadable::OtherProtocol(spoken)) => Err(other_protocol(spoken)),
            Err(problem @ Unreadable::Malformed(_)) => Err(broken(format!("unreadable reply: {problem}"))),
        }
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

/// What the agent made of a session request.
pub enum AgentSession {
    Served(Session),
    /// Use your own engine (the reason is logged at debug level).
    NotServed,
    /// A code was asked for on the caller's behalf and not given: the one line to print.
    Refused(String),
}

/// A session request as a client makes it.
pub struct SessionAsk<'a> {
    /// The inventory file as the client found it (it need not have parsed it).
    pub inventory: &'a Path,
    /// ACCOUNT/ROLE as the operator wrote it; the agent resolves it.
    pub role: &'a str,
    pub renewal: WireRenewal,
    /// Set when this process cannot ask for a code itself (see `headless_caller`).
    pub caller: Option<MfaCaller>,
    /// The process that holds the session afterwards (who is served).
    pub served_pid: Option<u32>,
}

/// The role's session from the agent when one listens and can give it; `None` means: use
/// your own engine (the reason is logged at debug level).
pub async fn session_from_agent(inventory: &Inventory, role: &RoleKey, renewal: Renewal) -> Option<Session> {
    let role_text = role.to_string();
    let ask = SessionAsk {
        inventory: &inventory.path,
        role: &role_text,
        renewal: renewal.into(),
        caller: None,
        served_pid: Some(std::process::id()),
    };
    match ask_session(ask).await {
        AgentSession::Served(session) => Some(session),
        AgentSession::NotServed | AgentSession::Refused(_) => None,
    }
}

/// Asks the agent for a session; see `AgentSession`.
pub async fn ask_session(ask: SessionAsk<'_>) -> AgentSession {
    if switched_off() {
        return AgentSession::NotServed;
    }
    let Some(path) = socket_path() else { return AgentSession::NotServed };
    let wait = ask.caller.as_ref().map(|_| mfa_wait());
    let request = AgentRequest::Session {
        inventory: inventory_identity(ask.inventory),
        role: ask.role.to_owned(),
        renewal: ask.renewal,
        caller: ask.caller,
        mfa_wait_seconds: wait.map(|wait| wait.as_secs()),
        served_pid: ask.served_pid,
    };
    let role = ask.role;
    match self::ask(&path, &request, SESSION_REPLY_TIMEOUT + wait.unwrap_or_default()).await {
        Ok(AgentReply::Session(session)) => {
            tracing::debug!("agent: {role} served by the agent at {}", path.display());
            match session.role.parse::<RoleKey>() {
                Ok(key) => AgentSession::Served(session.into_session(key)),
                Err(_) => AgentSession::NotServed,
            }
        }
        Ok(AgentReply::Error { kind: AgentErrorKind::MfaNotGiven, message }) => AgentSession::Refused(message),
        Ok(AgentReply::Error { kind: AgentErrorKind::Failed, message }) => {
            // The agent's engine failed (STS, sources): ours would most likely fail the same
            // way, but it says so in its own words, and may ask for a code the agent could not.
            tracing::info!("agent: {message}; trying without the agent");
            AgentSession::NotServed
        }
        Ok(AgentReply::Error { kind, message }) => {
            tracing::debug!("agent: {kind:?}: {message}; using this process's engine");
            AgentSession::NotServed
        }
        Ok(other) => {
            tracing::debug!("agent: unexpected reply {other:?}; using this process's engine");
            AgentSession::NotServed
        }
        Err(unavailable) => {
            tracing::debug!("agent: {unavailable}; using this process's engine");
            AgentSession::NotServed
        }
    }
}

/// `$SWITCHBOARD_MFA_WAIT` seconds (at most an hour), else two minutes.
pub fn mfa_wait() -> Duration {
    parse_mfa_wait(std::env::var(MFA_WAIT_VARIABLE).ok().as_deref())
}

/// Nobody types a code an hour late; a larger wait (`18446744073709551615`) would only
/// overflow the deadline it is added to.
const MAX_MFA_WAIT: Duration = Duration::from_secs(3600);

fn parse_mfa_wait(text: Option<&str>) -> Duration {
    match text.map(|text| text.trim().parse::<u64>()) {
        Some(Ok(seconds)) => Duration::from_secs(seconds).min(MAX_MFA_WAIT),
        Some(Err(_)) => {
            tracing::warn!("{MFA_WAIT_VARIABLE} is not a number of seconds; waiting {}s", DEFAULT_MFA_WAIT.as_secs());
            DEFAULT_MFA_WAIT
        }
        None => DEFAULT_MFA_WAIT,
    }
}

/// Whether this process can ask its operator for a code: stdin is a terminal, or the
/// controlling terminal opens.
pub fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() || std::fs::File::open("/dev/tty").is_ok()
}

/// This process's caller (its parent: the SDK, Terraform or IDE that ran it), to be named
/// where a code is asked on its behalf; `None` when this process can ask itself.
pub fn headless_caller(code_given: bool) -> Option<MfaCaller> {
    if code_given || has_terminal() {
        return None;
    }
    let pid = parent_pid();
    Some(MfaCaller { pid, command: command_line(pid), client_pid: Some(std::process::id()) })
}

pub fn parent_pid() -> u32 {
    std::os::unix::process::parent_id()
}

/// A process's command line from /proc, arguments joined by spaces, shortened for a modal.
fn command_line(pid: u32) -> String {
    const LONGEST: usize = 200;
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let text: String = raw
        .split(|byte| *byte == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.is_empty() {
        return "(command line unknown)".to_owned();
    }
    if text.chars().count() > LONGEST {
        return format!("{}…", text.chars().take(LONGEST).collect::<String>());
    }
    text
}

/// A request answered by the agent when one listens (`list`, `whoami`, `switchboard mfa`).
pub async fn ask_agent(request: &AgentRequest, reply_timeout: Duration) -> Result<AgentReply, AgentUnavailable> {
    if switched_off() {
        return Err(AgentUnavailable::SwitchedOff);
    }
    let path = socket_path().ok_or(AgentUnavailable::NoSocketPath)?;
    ask(&path, request, reply_timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mfa_wait_is_capped_and_a_bad_value_is_the_default() {
        assert_eq!(parse_mfa_wait(Some("18446744073709551615")), MAX_MFA_WAIT);
        assert_eq!(parse_mfa_wait(Some(" 30 ")), Duration::from_secs(30));
        assert_eq!(parse_mfa_wait(Some("soon")), DEFAULT_MFA_WAIT);
        assert_eq!(parse_mfa_wait(None), DEFAULT_MFA_WAIT);
        let deadline = std::time::Instant::now().checked_add(parse_mfa_wait(Some(&u64::MAX.to_string())));
        assert!(deadline.is_some(), "the capped wait can be added to now");
    }
}
