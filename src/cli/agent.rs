//! `switchboard agent`: one agent per user, in the foreground (a systemd user unit, launchd
//! or a tmux pane). It holds one engine for every caller, so sessions come from its memory
//! (and the store) and concurrent callers share one STS call. Clients reach it through
//! `app::agent::client`; with no agent they use their own engine as before.
//!
//! The server itself lives in `app::agent::server`, so the screen can host the same agent.
//! Headless, a code for a caller without a terminal is a pending request (and a desktop
//! notification) that `switchboard mfa` answers from any terminal.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::app::agent::client::{self as agent_client, AgentUnavailable};
use crate::app::agent::server::{self as agent_server, AgentServer};
use crate::app::{AppError, GlobalOptions, load_inventory, open_secret_store, output};

#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Say which agent serves and since when, then exit (1 when none listens)
    #[arg(long)]
    pub status: bool,
}

pub async fn run(options: &GlobalOptions, args: AgentArgs) -> Result<ExitCode, AppError> {
    init_logging(options.verbose);
    if args.status {
        return print_status().await;
    }
    crate::app::hardening::keep_out_of_core_dumps();
    let inventory = load_inventory(options)?.inventory;
    let path =
        agent_client::socket_path().ok_or_else(|| AppError::Failed(AgentUnavailable::NoSocketPath.to_string()))?;
    let socket = agent_server::bind(&path)?;
    let store = open_secret_store(true).await;
    let server = Arc::new(AgentServer::headless(inventory, store));
    let status = server.status();
    eprintln!(
        "switchboard agent: pid {} serving {} on {}",
        status.pid,
        status.inventory.display(),
        socket.path.display()
    );
    tokio::select! {
        () = agent_server::accept_forever(&socket, server) => {}
        stop = stop_signal() => stop?,
    }
    eprintln!("switchboard agent: stopped");
    Ok(ExitCode::SUCCESS)
}

async fn print_status() -> Result<ExitCode, AppError> {
    match agent_client::status().await {
        Ok((path, status)) => {
            let host = if status.host == "screen" { "the switchboard screen" } else { "agent" };
            output::println(&format!(
                "{host} pid {} serving {} on {} since {} (switchboard {})",
                status.pid,
                status.inventory.display(),
                path.display(),
                status.since.round(jiff::Unit::Second).unwrap_or(status.since),
                status.version
            ))?;
            if status.served.is_empty() {
                output::println("served: no process holds a session from this agent")?;
            }
            for served in &status.served {
                output::println(&format!("served  {}  {} process(es)", served.role, served.processes))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(unavailable) => {
            output::println(&format!("{unavailable}: commands use their own engine"))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Ctrl-C or SIGTERM: stop serving; dropping the socket removes its file.
async fn stop_signal() -> Result<(), AppError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind| signal(kind).map_err(|error| AppError::Failed(format!("cannot listen for signals: {error}")));
    let (mut interrupt, mut terminate) = (listen(SignalKind::interrupt())?, listen(SignalKind::terminate())?);
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

fn init_logging(verbose: u8) {
    crate::app::logging::init_stderr(verbose);
}
