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
    if stays_running(command.as_ref()) {
        return_freed_memory_at_once();
    }
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
            Some(FrontEnd::Cli(command)) => cli::run(&options, command, Arguments::command).await,
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

/// The screen and the agent run for hours; every other command exits in milliseconds.
fn stays_running(command: Option<&FrontEnd>) -> bool {
    match command {
        None => true,
        #[cfg(unix)]
        Some(FrontEnd::Agent(_)) => true,
        Some(_) => false,
    }
}

/// Thousands of small strings are allocated and freed per run (the inventory, plans, rows):
/// mimalloc does that in about half the time of the system allocator. Built without
/// transparent huge pages, which would make every touched page 2 MiB of resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (v3, the one libmimalloc-sys
/// builds; a test checks its default, so a renumbering is caught).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc returns freed memory to the system only when it is next called after a delay;
/// an idle screen calls it rarely, so what startup freed would stay resident for hours. Only
/// for the processes that stay (the screen, the agent): a command that exits in milliseconds
/// would spend a tenth of its time handing pages back one `madvise` at a time.
fn return_freed_memory_at_once() {
    // SAFETY: setting a documented runtime option; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_documents() {
        // mimalloc v3's options.c: `purge_delay` defaults to 1000 ms; its neighbours do not.
        // SAFETY: reading a runtime option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000, "mi_option_e changed: find mi_option_purge_delay in mimalloc.h");
    }
}
