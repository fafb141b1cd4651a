//! switchboard: one terminal screen (and a scripting CLI) for the sessions of many AWS
//! accounts and roles. Parses the arguments and hands them to a front end: the screen when
//! no subcommand is given, the agent for `agent`, the command line otherwise.

use std::process::ExitCode;

use clap::Parser;
use switchboard::app::GlobalOptions;
use switchboard::{cli, tui};

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Sessions of many AWS accounts and roles, one MFA code a morning")]
struct Arguments {
    #[command(flatten)]
    options: GlobalOptions,
    #[command(subcommand)]
    command: Option<FrontEnd>,
}

/// The command line's subcommands, and the agent (a front end of its own).
#[derive(Debug, clap::Subcommand)]
enum FrontEnd {
    #[command(flatten)]
    Cli(cli::Command),
    /// Serve sessions to every switchboard command of this user from one process (in the
    /// foreground: a systemd user unit, launchd or a tmux pane)
    #[cfg(unix)]
    Agent(switchboard::agent::AgentArgs),
}

fn main() -> ExitCode {
    let Arguments { options, command } = Arguments::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            cli::output::warn(&format!("cannot start: {error}"));
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        match command {
            None => tui::run(&options).await,
            Some(FrontEnd::Cli(command)) => cli::run(&options, command).await,
            #[cfg(unix)]
            Some(FrontEnd::Agent(args)) => switchboard::agent::run(&options, args).await,
        }
    });
    match outcome {
        Ok(code) => code,
        // Nobody reads a closed stdout's explanation: quiet, like `ls | head`.
        Err(error @ switchboard::app::AppError::OutputClosed) => error.exit_code(),
        Err(error) => {
            cli::output::warn(&error.to_string());
            error.exit_code()
        }
    }
}
