//! What the agent and its clients say to each other over the agent's Unix socket: one JSON
//! request per line, one JSON reply per line. Both ends live behind `app`, so the front ends
//! never name each other.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::credentials::Credentials;
use crate::domain::engine::{Renewal, Session};
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaCaller;

/// The protocol this build speaks. The greeting, every request and every reply carry it, so
/// a client and an agent of builds that do not speak the same one say so instead of
/// misreading each other. 2: every request and reply names its protocol.
pub const PROTOCOL: u32 = 2;

/// This build, as the greeting and `agent --status` name it: `0.1.0 (1a2b3c4d5e6f)`.
pub const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SWITCHBOARD_COMMIT"), ")");

/// The first line the agent writes on every connection, before any request. The kernel
/// accepts connections for a stopped agent (Ctrl-Z, SIGSTOP) too; only a running one greets,
/// so a client that gets no greeting at once falls back instead of waiting its whole reply
/// timeout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    pub protocol: u32,
    pub pid: u32,
    /// The agent's build (`BUILD`).
    pub version: String,
}

impl Greeting {
    pub fn of_this_process() -> Greeting {
        Greeting { protocol: PROTOCOL, pid: std::process::id(), version: BUILD.to_owned() }
    }
}

/// Longest request line the agent reads; anything longer is malformed.
pub const MAX_REQUEST_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AgentRequest {
    /// A role's session. `inventory` is the caller's: an agent serving another inventory
    /// must not answer for it. `caller` is set by a client that cannot ask for an MFA code
    /// itself (no terminal): the agent then asks on its behalf, waiting up to
    /// `mfa_wait_seconds`. `served_pid` is the process that holds the session (who is served).
    Session {
        inventory: PathBuf,
        role: String,
        renewal: WireRenewal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caller: Option<MfaCaller>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mfa_wait_seconds: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        served_pid: Option<u32>,
    },
    /// Who serves, since when, and whom.
    Status,
    /// Every role of the inventory and its session state, from the agent's memory and store,
    /// as `list` prints it (the table, or `--json`): the client only writes it out.
    List {
        inventory: PathBuf,
        #[serde(default)]
        json: bool,
    },
    /// Where a role's session lands (GetCallerIdentity with the agent's session).
    Whoami { inventory: PathBuf, role: String },
    /// The MFA requests waiting for a code (callers without a terminal, headless agent).
    PendingMfa,
    /// A code for one pending request.
    AnswerMfa { id: u64, code: WireCode },
}

/// Why a line is not read as a request (or a reply).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unreadable {
    /// Not UTF-8, not JSON, not a request: the message says why.
    #[error("not a request: {0}")]
    Malformed(String),
    /// A message of another protocol; `None`: of a build from before messages named theirs.
    #[error("a message of protocol {}; this build speaks protocol {PROTOCOL}", .0.map_or("1".to_owned(), |spoken| spoken.to_string()))]
    OtherProtocol(Option<u64>),
}

/// A request or a reply as one line of JSON (without its `\n`), naming this protocol.
pub fn encode(message: &impl Serialize) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(message)?;
    if let Some(fields) = value.as_object_mut() {
        fields.insert("protocol".to_owned(), PROTOCOL.into());
    }
    serde_json::to_string(&value)
}

/// A line as JSON whose `protocol` is this build's; the protocol is checked before the
/// message is read, so a message of another protocol is never misread as one of ours.
fn of_this_protocol(line: &[u8]) -> Result<serde_json::Value, Unreadable> {
    let text = std::str::from_utf8(line).map_err(|problem| Unreadable::Malformed(format!("not UTF-8 ({problem})")))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|problem| Unreadable::Malformed(problem.to_string()))?;
    let Some(fields) = value.as_object() else {
        return Err(Unreadable::Malformed("not a JSON object".to_owned()));
    };
    match fields.get("protocol").map(serde_json::Value::as_u64) {
        Some(Some(spoken)) if spoken == u64::from(PROTOCOL) => Ok(value),
        Some(Some(spoken)) => Err(Unreadable::OtherProtocol(Some(spoken))),
        Some(None) => Err(Unreadable::Malformed("`protocol` is not a number".to_owned())),
        None => Err(Unreadable::OtherProtocol(None)),
    }
}

/// One request line as the agent reads it (its `\n` included or not): the request, or why it
/// is none (the message of the error reply). Bytes that are not UTF-8 are not a request
/// either: they get a reply like any other malformed line.
pub fn parse_request(line: &[u8]) -> Result<AgentRequest, Unreadable> {
    let value = of_this_protocol(line)?;
    serde_json::from_value::<AgentRequest>(value).map_err(|problem| Unreadable::Malformed(problem.to_string()))
}

/// One reply line as a client reads it, checked like a request.
pub fn parse_reply(line: &[u8]) -> Result<AgentReply, Unreadable> {
    let value = of_this_protocol(line)?;
    serde_json::from_value::<AgentReply>(value).map_err(|problem| Unreadable::Malformed(problem.to_string()))
}

impl AgentRequest {
    /// The request's kind as the wire names it (`session`, `answer_mfa`): what a log may say
    /// of a request, whose fields can hold a code.
    pub fn op(&self) -> &'static str {
        match self {
            AgentRequest::Session { .. } => "session",
            AgentRequest::Status => "status",
            AgentRequest::List { .. } => "list",
            AgentRequest::Whoami { .. } => "whoami",
            AgentRequest::PendingMfa => "pending_mfa",
            AgentRequest::AnswerMfa { .. } => "answer_mfa",
        }
    }
}

/// An MFA code on the wire; `Debug` never shows it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WireCode(pub String);

impl fmt::Debug for WireCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireCode(******)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireRenewal {
    IfNeeded,
    WithinSeconds(u64),
    Force,
    /// `Within` the larger of these seconds and the inventory's `refresh_before`: lets a
    /// client that never parsed the inventory (credential-process) ask for its window.
    AtLeastSeconds(u64),
}

impl WireRenewal {
    /// The engine's renewal, given the inventory's `refresh_before`.
    pub fn with_inventory_window(self, refresh_before: Duration) -> Renewal {
        match self {
            WireRenewal::AtLeastSeconds(seconds) => Renewal::Within(Duration::from_secs(seconds).max(refresh_before)),
            other => other.into(),
        }
    }
}

impl From<Renewal> for WireRenewal {
    fn from(renewal: Renewal) -> Self {
        match renewal {
            Renewal::IfNeeded => WireRenewal::IfNeeded,
            Renewal::Within(window) => WireRenewal::WithinSeconds(window.as_secs()),
            Renewal::Force => WireRenewal::Force,
        }
    }
}

impl From<WireRenewal> for Renewal {
    fn from(renewal: WireRenewal) -> Self {
        match renewal {
            WireRenewal::IfNeeded => Renewal::IfNeeded,
            WireRenewal::WithinSeconds(seconds) => Renewal::Within(Duration::from_secs(seconds)),
            WireRenewal::Force => Renewal::Force,
            WireRenewal::AtLeastSeconds(seconds) => Renewal::Within(Duration::from_secs(seconds)),
        }
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum AgentReply {
    Session(WireSession),
    Status(AgentStatus),
    /// `list`'s output, ready to print.
    Listed {
        text: String,
    },
    Identity {
        account: String,
        arn: String,
        user_id: String,
    },
    Pending {
        requests: Vec<PendingMfa>,
    },
    Answered,
    Error {
        kind: AgentErrorKind,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentErrorKind {
    /// The renewal needs an MFA code and the agent has nobody to ask: a caller with a
    /// terminal asks itself.
    MfaNeeded,
    /// The agent serves another inventory file.
    OtherInventory,
    /// Not a request this agent understands.
    BadRequest,
    /// The engine failed (STS, sources, store); the message says how.
    Failed,
    /// A code was asked for on behalf of a caller without a terminal and nobody gave one in
    /// time: the message is the one line the caller prints.
    MfaNotGiven,
    /// The request spoke another protocol; the message names the agent's pid and build.
    OtherProtocol,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub pid: u32,
    pub since: Timestamp,
    pub inventory: PathBuf,
    pub version: String,
    /// `agent` (`switchboard agent`) or `screen` (the screen hosts it).
    #[serde(default)]
    pub host: String,
    /// Per role, the processes served over the last minutes that are still alive.
    #[serde(default)]
    pub served: Vec<ServedRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedRole {
    pub role: String,
    pub processes: usize,
}

/// An MFA request waiting for `switchboard mfa`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingMfa {
    pub id: u64,
    pub device: String,
    pub roles: Vec<String>,
    pub problem: Option<String>,
    pub caller: Option<MfaCaller>,
    pub waiting_seconds: u64,
}

/// A session on the wire. No `Debug` with secrets: see the impl below.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WireSession {
    pub role: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expiration: Option<Timestamp>,
}

impl From<&Session> for WireSession {
    fn from(session: &Session) -> Self {
        let credentials = &session.credentials;
        Self {
            role: session.role.to_string(),
            region: session.region.clone(),
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret_access_key().to_owned(),
            session_token: credentials.session_token().map(str::to_owned),
            expiration: credentials.expiration,
        }
    }
}

impl WireSession {
    pub fn into_session(self, role: RoleKey) -> Session {
        let credentials =
            Credentials::new(self.access_key_id, self.secret_access_key, self.session_token, self.expiration);
        Session { role, credentials, region: self.region }
    }
}

impl fmt::Debug for WireSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WireSession({}, ***)", self.role)
    }
}

impl fmt::Debug for AgentReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentReply::Session(session) => write!(f, "Session({session:?})"),
            AgentReply::Status(status) => write!(f, "Status({status:?})"),
            AgentReply::Listed { text } => write!(f, "Listed({} bytes)", text.len()),
            AgentReply::Identity { account, arn, .. } => write!(f, "Identity({account}, {arn})"),
            AgentReply::Pending { requests } => write!(f, "Pending({requests:?})"),
            AgentReply::Answered => f.write_str("Answered"),
            AgentReply::Error { kind, message } => write!(f, "Error({kind:?}: {message})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_are_one_json_line_each_way() {
        let request = AgentRequest::Session {
            inventory: "/tmp/accounts.toml".into(),
            role: "prod/admin".into(),
            renewal: WireRenewal::WithinSeconds(900),
            caller: None,
            mfa_wait_seconds: None,
            served_pid: Some(42),
        };
        let line = encode(&request).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(parse_request(line.as_bytes()).unwrap(), request);
        assert_eq!(Renewal::from(WireRenewal::WithinSeconds(900)), Renewal::Within(Duration::from_secs(900)));
        let status = encode(&AgentRequest::Status).unwrap();
        assert_eq!(status, format!(r#"{{"op":"status","protocol":{PROTOCOL}}}"#));
    }

    #[test]
    fn a_line_that_is_not_a_request_says_why() {
        let said = |line: &str| parse_request(line.as_bytes()).map_err(|problem| problem.to_string());
        assert_eq!(said(&format!("{{\"op\":\"status\",\"protocol\":{PROTOCOL}}}\n")), Ok(AgentRequest::Status));
        assert!(
            parse_request(b"{\"op\":\"st\xffatus\"}\n")
                .unwrap_err()
                .to_string()
                .starts_with("not a request: not UTF-8")
        );
        let reboot = format!("{{\"op\":\"reboot\",\"protocol\":{PROTOCOL}}}");
        assert!(said(&reboot).unwrap_err().contains("unknown variant `reboot`"));
        assert!(said("").unwrap_err().starts_with("not a request: "));
        assert!(said("[1]").unwrap_err().starts_with("not a request: "));
    }

    #[test]
    fn a_message_of_another_protocol_is_never_read_as_one_of_ours() {
        // A build from before requests named their protocol, and one from after ours.
        assert_eq!(parse_request(br#"{"op":"status"}"#), Err(Unreadable::OtherProtocol(None)));
        let later = format!(r#"{{"op":"status","protocol":{}}}"#, PROTOCOL + 1);
        assert_eq!(parse_request(later.as_bytes()), Err(Unreadable::OtherProtocol(Some(u64::from(PROTOCOL) + 1))));
        assert!(matches!(parse_request(br#"{"op":"status","protocol":"2"}"#), Err(Unreadable::Malformed(_))));
        let reply = encode(&AgentReply::Answered).unwrap();
        assert_eq!(parse_reply(reply.as_bytes()), Ok(AgentReply::Answered));
        let old_reply = br#"{"reply":"answered","protocol":1}"#;
        assert_eq!(parse_reply(old_reply), Err(Unreadable::OtherProtocol(Some(1))));
    }

    #[test]
    fn every_reply_serializes_as_one_tagged_object() {
        let replies = [
            AgentReply::Listed { text: "ACCOUNT  ID\nprod  111111111111\n".into() },
            AgentReply::Pending { requests: Vec::new() },
            AgentReply::Answered,
            AgentReply::Identity { account: "1".into(), arn: "arn".into(), user_id: "u".into() },
        ];
        for reply in replies {
            let line = encode(&reply).unwrap();
            assert_eq!(parse_reply(line.as_bytes()).unwrap(), reply, "{line}");
        }
        let answer = AgentRequest::AnswerMfa { id: 1, code: WireCode("123456".into()) };
        assert!(!format!("{answer:?}").contains("123456"));
    }

    #[test]
    fn a_wire_session_never_shows_its_secrets_in_debug() {
        let session = WireSession {
            role: "prod/admin".into(),
            region: "eu-west-1".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("token-secret".into()),
            expiration: None,
        };
        let shown = format!("{:?}", AgentReply::Session(session));
        assert!(!shown.contains("very-secret") && !shown.contains("token-secret"), "{shown}");
    }
}
