//! The screen and the agent: while the screen runs it hosts the agent when no other agent
//! listens (so commands without a terminal get their codes asked in the modal), or names the
//! one that serves; either way it shows who is served.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::agent::client as agent_client;
use crate::app::agent::protocol::ServedRole;
use crate::app::agent::server::ScreenAgent;
use crate::domain::inventory::RoleKey;

use super::action::Action;

/// How often the count of who is served is read (and abandoned MFA asks are dropped).
const SERVED_EVERY: Duration = Duration::from_secs(2);

/// The header's words for the agent, and a log line.
pub fn describe(agent: &ScreenAgent) -> String {
    match agent {
        ScreenAgent::Hosting(_) => format!("this screen (pid {})", std::process::id()),
        ScreenAgent::Elsewhere { pid, host } if host == "screen" => format!("another screen, pid {pid}"),
        ScreenAgent::Elsewhere { pid, .. } => format!("pid {pid}"),
        ScreenAgent::Unavailable(_) => "none".to_owned(),
    }
}

pub fn log(agent: &ScreenAgent) {
    match agent {
        ScreenAgent::Hosting(host) => tracing::info!(
            "agent: this screen serves switchboard commands on {} (codes for callers without a terminal are asked here)",
            host.socket.display()
        ),
        ScreenAgent::Elsewhere { pid, host } => tracing::info!("agent: pid {pid} ({host}) serves switchboard commands"),
        ScreenAgent::Unavailable(reason) => tracing::info!("agent: not hosted: {reason}"),
    }
}

/// Sends the count of who is served every few seconds, read from the hosted server or
/// asked of the agent that serves.
pub fn watch_served(agent: &ScreenAgent, actions: mpsc::UnboundedSender<Action>) {
    let hosted = match agent {
        ScreenAgent::Hosting(host) => Some(host.server.clone()),
        ScreenAgent::Elsewhere { .. } => None,
        ScreenAgent::Unavailable(_) => return,
    };
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SERVED_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let served = match &hosted {
                Some(server) => server.served(),
                None => agent_client::status().await.map(|(_, status)| status.served).unwrap_or_default(),
            };
            if actions.send(Action::AgentServed(by_role(served))).is_err() {
                break;
            }
        }
    });
}

fn by_role(served: Vec<ServedRole>) -> Vec<(RoleKey, usize)> {
    served.into_iter().filter_map(|served| Some((served.role.parse().ok()?, served.processes))).collect()
}
