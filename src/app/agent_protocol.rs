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

/// Longest request line the agent reads; anything longer is malformed.
pub const MAX_REQUEST_BYTES: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AgentRequest {
    /// A role's session. `inventory` is the caller's: an agent serving another inventory
    /// must not answer for it.
    Session { inventory: PathBuf, role: String, renewal: WireRenewal },
    /// Who serves, and since when.
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireRenewal {
    IfNeeded,
    WithinSeconds(u64),
    Force,
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
        }
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum AgentReply {
    Session(WireSession),
    Status(AgentStatus),
    Error { kind: AgentErrorKind, message: String },
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub pid: u32,
    pub since: Timestamp,
    pub inventory: PathBuf,
    pub version: String,
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
        };
        let line = serde_json::to_string(&request).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<AgentRequest>(&line).unwrap(), request);
        assert_eq!(Renewal::from(WireRenewal::WithinSeconds(900)), Renewal::Within(Duration::from_secs(900)));
        let status = serde_json::to_string(&AgentRequest::Status).unwrap();
        assert_eq!(status, r#"{"op":"status"}"#);
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
