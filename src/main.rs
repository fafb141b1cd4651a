//! switchboard: one terminal screen (and a scripting CLI) for the sessions of many AWS
//! accounts and roles. Parses the arguments and hands them to a front end: the screen when
//! no subcommand is given, the agent for `agent`, the command line otherwise.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
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
    // A completion request from a shell (`_SWITCHBOARD_COMPLETE=bash switchboard -- WORDS`): answered, then exit.
    clap_complete::CompleteEnv::with_factory(Arguments::command).var(cli::completions::COMPLETE_VARIABLE).complete();
    let Arguments { options, command } = Arguments::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("switchboard: cannot start: {error}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        match command {
            None => tui::run(&options).await,
            Some(FrontEnd::Cli(command)) => cli::run(&options, command, Arguments::command).await,
            #[cfg(unix)]
            Some(FrontEnd::Agent(args)) => switchboard::agent::run(&options, args).await,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("switchboard: {error}");
            error.exit_code()
        }
    }
}
