//! The agent: whether one runs, its build, and whether it serves this inventory. An agent of
//! another build or inventory is a warning (commands work alone meanwhile), never a problem.

use std::path::PathBuf;

use super::{CHECK_TIMEOUT, Finding, timed_out};
use crate::app::agent::client::{AgentUnavailable, inventory_identity, status, switched_off};

const CHECK: &str = "agent";
const RESTART: &str =
    "restart it: `systemctl --user restart switchboard-agent` (or stop it and run `switchboard agent`)";

/// `inventory`: the path this inventory is found at (the agent compares the same way).
pub async fn check(inventory: Option<PathBuf>) -> Vec<Finding> {
    if switched_off() {
        return vec![Finding::ok(CHECK, "SWITCHBOARD_AGENT=off: commands never ask an agent")];
    }
    let Ok(answer) = tokio::time::timeout(CHECK_TIMEOUT, status()).await else {
        return vec![Finding::warning(CHECK, timed_out(CHECK_TIMEOUT), RESTART)];
    };
    let finding = match answer {
        Err(AgentUnavailable::NotListening(socket)) => Finding::ok(
            CHECK,
            format!(
                "not running (optional: `switchboard agent` shares one engine among your commands; socket {})",
                socket.display()
            ),
        ),
        Err(AgentUnavailable::SwitchedOff) => Finding::ok(CHECK, "SWITCHBOARD_AGENT=off: commands never ask an agent"),
        Err(error @ AgentUnavailable::NoSocketPath) => {
            Finding::warning(CHECK, error.to_string(), "set XDG_RUNTIME_DIR (or SWITCHBOARD_AGENT_SOCKET)")
        }
        Err(error @ AgentUnavailable::OtherProtocol { .. }) => {
            Finding::warning(CHECK, error.to_string(), "restart it as said; commands work alone until then")
        }
        Err(AgentUnavailable::Broken { path, reason }) => {
            // The client's reason already says what to do when the builds differ.
            let fix =
                if reason.contains("restart") { "restart it as said; commands work alone until then" } else { RESTART };
            Finding::warning(CHECK, format!("the agent at {} is not used: {reason}", path.display()), fix)
        }
        Ok((socket, status)) => {
            let this = crate::app::agent::protocol::BUILD;
            let host = if status.host == "screen" { "the switchboard screen" } else { "switchboard agent" };
            let serves = status.inventory.display();
            if status.version != this {
                Finding::warning(
                    CHECK,
                    format!("{host} pid {} runs switchboard {}, this is {this}", status.pid, status.version),
                    RESTART,
                )
            } else if let Some(ours) = inventory.filter(|ours| inventory_identity(ours) != status.inventory) {
                Finding::warning(
                    CHECK,
                    format!(
                        "{host} pid {} serves {serves}, not {}: commands with this inventory work alone",
                        status.pid,
                        ours.display()
                    ),
                    format!(
                        "point both at one file, or start an agent for this one: `switchboard agent --inventory {}` \
                         (SWITCHBOARD_AGENT_SOCKET gives it a socket of its own)",
                        ours.display()
                    ),
                )
            } else {
                Finding::ok(
                    CHECK,
                    format!(
                        "{host} pid {}, switchboard {}, serves {serves}, since {}, socket {}",
                        status.pid,
                        status.version,
                        status.since.strftime("%Y-%m-%d %H:%M UTC"),
                        socket.display()
                    ),
                )
            }
        }
    };
    vec![finding]
}
