//! The MFA modal: the engine's requests for a code, merged per device, and what the operator
//! has typed. `update` reads keys into it; `render` draws it over everything; `prompt` is
//! the engine's side (it sends the requests and awaits the reply).

pub mod prompt;
pub mod render;
pub mod update;

use crate::domain::inventory::RoleKey;
use crate::domain::mfa::MfaCaller;

use super::base::mfa_reply::MfaReply;

/// One MFA request from the engine, waiting for the operator.
#[derive(Debug)]
pub struct MfaAsk {
    pub device: String,
    pub roles: Vec<RoleKey>,
    pub problem: Option<String>,
    pub reused: bool,
    /// Asked by the agent on behalf of a process without a terminal.
    pub caller: Option<MfaCaller>,
    pub reply: MfaReply,
}

/// The MFA modal: requests for one device merged, and what has been typed.
#[derive(Debug, Default)]
pub struct MfaModal {
    pub asks: Vec<MfaAsk>,
    pub input: String,
    /// The input came from the device's `mfa_command` (typing replaces it).
    pub filled: bool,
    /// Roles whose entered code was not needed (another process renewed meanwhile): their
    /// renewal's status line says so.
    pub not_needed: Vec<RoleKey>,
}

impl MfaModal {
    pub fn device(&self) -> Option<&str> {
        self.asks.first().map(|ask| ask.device.as_str())
    }

    /// Every role the code unlocks, across the merged requests for the shown device.
    pub fn roles(&self) -> Vec<&RoleKey> {
        let Some(device) = self.device() else { return Vec::new() };
        let mut roles: Vec<&RoleKey> =
            self.asks.iter().filter(|ask| ask.device == device).flat_map(|ask| &ask.roles).collect();
        roles.sort();
        roles.dedup();
        roles
    }

    /// The processes without a terminal waiting for the shown device's code.
    pub fn callers(&self) -> Vec<&MfaCaller> {
        let Some(device) = self.device() else { return Vec::new() };
        self.asks.iter().filter(|ask| ask.device == device).filter_map(|ask| ask.caller.as_ref()).collect()
    }

    pub fn problem(&self) -> Option<&str> {
        self.asks.first().and_then(|ask| ask.problem.as_deref())
    }
}
