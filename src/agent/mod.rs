//! `switchboard agent`: one agent per user, in the foreground (a systemd user unit, launchd
//! or a tmux pane). It holds one engine for every caller, so sessions come from its memory
//! (and the store) and concurrent callers share one STS call. Clients reach it through
//! `app::agent_client`; with no agent they use their own engine as before.
//!
//! Not built yet (issue 9, items 3 and 5): asking for MFA codes on behalf of callers without a
//! terminal (the screen's modal, `switchboard mfa`), the screen hosting the agent, and the
//! screen showing who is served. Until then a renewal that needs a code is answered "MFA
//! needed" and a caller with a terminal asks there itself.

mod serve;
mod socket;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::app::agent_client::{self, AgentUnavailable};
use crate::app::agent_protocol::AgentStatus;
use crate::app::{AppError, GlobalOptions, build_engine, load_inventory, open_secret_store};

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
    let inventory = load_inventory(options)?.inventory;
    let path =
        agent_client::socket_path().ok_or_else(|| AppError::Failed(AgentUnavailable::NoSocketPath.to_string()))?;
    let socket = socket::bind(&path)?;
    let status = AgentStatus {
        pid: std::process::id(),
        since: jiff::Timestamp::now(),
        inventory: agent_client::inventory_identity(&inventory.path),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let store = open_secret_store(true).await;
    let engine = Arc::new(build_engine(Arc::new(inventory), store, Arc::new(serve::NoPrompt)));
    eprintln!(
        "switchboard agent: pid {} serving {} on {}",
        status.pid,
        status.inventory.display(),
        socket.path.display()
    );
    let agent = Arc::new(serve::Agent { engine, status });
    tokio::select! {
        () = serve::accept_forever(&socket, agent) => {}
        stop = stop_signal() => stop?,
    }
    eprintln!("switchboard agent: stopped");
    Ok(ExitCode::SUCCESS)
}

async fn print_status() -> Result<ExitCode, AppError> {
    match agent_client::status().await {
        Ok((path, status)) => {
            println!(
                "agent pid {} serving {} on {} since {} (switchboard {})",
                status.pid,
                status.inventory.display(),
                path.display(),
                status.since.round(jiff::Unit::Second).unwrap_or(status.since),
                status.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(unavailable) => {
            println!("{unavailable}: commands use their own engine");
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
