//! The agent's request line: whatever a client of the same user sends on the socket, read as
//! the agent reads it (`protocol::parse_request`, one line at a time).

use std::time::Duration;

use crate::app::agent::protocol::{
    AgentErrorKind, AgentReply, AgentRequest, Unreadable, encode, parse_reply, parse_request,
};
use crate::domain::engine::Renewal;
use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaCode;

/// Each line of `data` (up to and with its `\n`, as the agent reads a connection) is a request
/// or an error reply, never a panic. A request written back is one line that reads as the same
/// request; its renewal converts for any window; a role address that parses prints back as
/// itself; an MFA code never shows in `Debug`. An error reply is one line that reads back.
pub fn agent_request(data: &[u8]) {
    for line in data.split_inclusive(|&byte| byte == b'\n') {
        match parse_request(line) {
            Ok(request) => check_request(&request),
            Err(problem) => {
                let kind = match &problem {
                    Unreadable::Malformed(_) => AgentErrorKind::BadRequest,
                    Unreadable::OtherProtocol(_) => AgentErrorKind::OtherProtocol,
                };
                let message = problem.to_string();
                assert!(
                    message.starts_with("not a request: ") || message.starts_with("a message of protocol"),
                    "{message}"
                );
                let reply = AgentReply::Error { kind, message };
                let text = encode(&reply).unwrap();
                assert!(!text.contains('\n'), "an error reply of two lines: {text}");
                assert_eq!(parse_reply(text.as_bytes()).unwrap(), reply);
            }
        }
    }
}

fn check_request(request: &AgentRequest) {
    let text = encode(request).unwrap();
    assert!(!text.contains('\n'), "a request of two lines: {text}");
    let again = parse_request(format!("{text}\n").as_bytes());
    assert_eq!(again.as_ref(), Ok(request), "{text}");
    match request {
        AgentRequest::Session { role, renewal, .. } => {
            for window in [Duration::ZERO, Duration::from_secs(300), Duration::MAX] {
                let _ = renewal.with_inventory_window(window);
            }
            let _ = Renewal::from(*renewal);
            role_reads_back(role);
        }
        AgentRequest::Whoami { role, .. } => role_reads_back(role),
        AgentRequest::AnswerMfa { id, code } => {
            assert_eq!(format!("{request:?}"), format!("AnswerMfa {{ id: {id}, code: WireCode(******) }}"));
            let _ = MfaCode::parse(&code.0);
        }
        AgentRequest::Status | AgentRequest::List { .. } | AgentRequest::PendingMfa => {}
    }
}

fn role_reads_back(role: &str) {
    if let Ok(key) = role.parse::<RoleKey>() {
        assert_eq!(key.to_string().parse::<RoleKey>().as_ref(), Ok(&key), "{role}");
    }
}
