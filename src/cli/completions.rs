//! `switchboard completions SHELL` and `switchboard man`. Completion is dynamic: the script a
//! shell loads calls switchboard back (`_SWITCHBOARD_COMPLETE=SHELL switchboard -- WORDS`, clap_complete's
//! CompleteEnv, run first thing in `main`), so role addresses come from the inventory as it
//! is now, the one `--inventory` on the line names when it does.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap_complete::CompletionCandidate;
use clap_complete::env::{Bash, EnvCompleter, Fish, Powershell, Zsh};

use super::AppError;
use crate::domain::inventory::{self, Inventory};

/// The variable that turns a run of switchboard into a completion request.
pub const COMPLETE_VARIABLE: &str = "_SWITCHBOARD_COMPLETE";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// Prints the script that registers switchboard's completion in `shell`.
pub fn print_registration(shell: Shell, program: &clap::Command) -> Result<ExitCode, AppError> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
    };
    // The script calls this very binary back, so completion works before it is on PATH.
    let binary =
        std::env::current_exe().map_or_else(|_| program.get_name().to_owned(), |path| path.display().to_string());
    let mut script = Vec::new();
    completer
        .write_registration(COMPLETE_VARIABLE, program.get_name(), program.get_name(), &binary, &mut script)
        .map_err(|error| AppError::Failed(format!("cannot write the completion script: {error}")))?;
    write_stdout(&script)
}

/// Prints the man page (roff) of switchboard and every subcommand.
pub fn print_man(program: clap::Command) -> Result<ExitCode, AppError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(program)
        .render(&mut page)
        .map_err(|error| AppError::Failed(format!("cannot write the man page: {error}")))?;
    write_stdout(&page)
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode, AppError> {
    super::output::print_raw(&String::from_utf8_lossy(bytes))?;
    Ok(ExitCode::SUCCESS)
}

/// Candidates for an `ACCOUNT/ROLE` argument: every role of the inventory that starts with
/// what is typed. An inventory that cannot be read completes nothing (never an error mid-line).
pub fn complete_role(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let Ok(path) = inventory::locate(inventory_on_the_line().as_deref()) else {
        return Vec::new();
    };
    let Ok(inventory) = Inventory::load(&path) else {
        return Vec::new();
    };
    inventory
        .roles()
        .map(|(account, role)| (role.key.to_string(), account))
        .filter(|(address, _)| address.starts_with(typed.as_ref()))
        .map(|(address, account)| {
            let help = match &account.environment {
                Some(environment) => format!("{} ({environment})", account.id),
                None => account.id.to_string(),
            };
            CompletionCandidate::new(address).help(Some(help.into()))
        })
        .collect()
}

/// `--inventory PATH` (or `--inventory=PATH`) among the words being completed.
fn inventory_on_the_line() -> Option<PathBuf> {
    let words: Vec<String> = std::env::args().skip_while(|word| word != "--").collect();
    words.iter().enumerate().find_map(|(index, word)| match word.strip_prefix("--inventory") {
        Some("") => words.get(index + 1).map(PathBuf::from),
        Some(rest) => rest.strip_prefix('=').map(PathBuf::from),
        None => None,
    })
}
