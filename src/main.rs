//! switchboard: one terminal screen (and a scripting CLI) for the sessions of many AWS
//! accounts and roles. Parses the arguments and hands them to a front end: the screen when
//! no subcommand is given, the agent for `agent`, the command line otherwise.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use switchboard::app::GlobalOptions;
use switchboard::{cli, tui};

/// `0.1.0 (1a2b3c4d5e6f)`: the release and the git commit it was built from (`build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SWITCHBOARD_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "switchboard", version = VERSION, about = "Sessions of many AWS accounts and roles, one MFA code a morning")]
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
    Agent(cli::agent::AgentArgs),
}

fn main() -> ExitCode {
    // A completion request from a shell (`_SWITCHBOARD_COMPLETE=bash switchboard -- WORDS`): answered, then exit.
    clap_complete::CompleteEnv::with_factory(Arguments::command).var(cli::completions::COMPLETE_VARIABLE).complete();
    let Arguments { mut options, command } = Arguments::parse();
    // Every front end checks the panels' `[ui.keys.PANEL]` sections as the screen would.
    options.panel_keys = tui::panels::key_sections();
    set_purge_delay(if stays_running(command.as_ref()) { RETURN_AT_ONCE } else { NEVER_RETURN });
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
            Some(FrontEnd::Agent(args)) => cli::agent::run(&options, args).await,
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

/// The screen, the agent and `exec` (its child, and a credentials endpoint, may run for hours);
/// every other command exits in milliseconds.
fn stays_running(command: Option<&FrontEnd>) -> bool {
    match command {
        None | Some(FrontEnd::Cli(cli::Command::Exec { .. })) => true,
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

/// `mi_option_purge_delay`: 0 returns freed memory at once, -1 never.
const RETURN_AT_ONCE: std::os::raw::c_long = 0;
const NEVER_RETURN: std::os::raw::c_long = -1;

/// mimalloc returns freed memory to the system only when it is next called after a delay;
/// an idle screen calls it rarely, so what startup freed would stay resident for hours: the
/// screen and the agent return it at once. A command that exits in milliseconds never does
/// (the system takes everything back at exit); handing pages back one `madvise` at a time,
/// during the run and again at exit, was a tenth of `list`'s time.
fn set_purge_delay(milliseconds: std::os::raw::c_long) {
    // SAFETY: setting a documented runtime option; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, milliseconds) }
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

    #[test]
    fn the_screen_the_agent_and_exec_return_memory_and_short_commands_do_not() {
        use clap::Parser;
        let stays = |args: &[&str]| {
            let parsed = super::Arguments::try_parse_from(args).unwrap();
            super::stays_running(parsed.command.as_ref())
        };
        assert!(stays(&["switchboard"]));
        assert!(stays(&["switchboard", "agent"]));
        assert!(stays(&["switchboard", "exec", "prod/admin", "--", "true"]));
        assert!(!stays(&["switchboard", "list"]));
        assert!(!stays(&["switchboard", "credential-process", "prod/admin"]));
    }
}
