//! The command-line face of the engine: one module per subcommand, all sharing `Context`.

mod check;
pub mod context;
mod credential_process;
mod env;
mod exec;
mod keys;
mod list;
pub mod logging;
mod prompt;
mod refresh;
mod whoami;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::domain::engine::EngineError;
use crate::domain::exports::{ExportError, ExportFormat};
use crate::domain::inventory::InventoryError;
use crate::domain::sources::SourceError;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Sessions of many AWS accounts and roles, one MFA code a morning")]
pub struct Cli {
    /// The inventory TOML [default: $SWITCHBOARD_INVENTORY, else ~/.config/switchboard/accounts.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// The MFA code to use if one is needed (6 digits), or `-` to read codes from stdin, one per line
    #[arg(long, global = true, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// More diagnostics on stderr (-v: what is renewed and why; -vv: debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every role with its account, session state and time left (no network)
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Print the exports of a role's session, renewing it first if needed
    Env {
        /// ACCOUNT/ROLE
        role: String,
        /// Output format [default: from $SHELL]
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// Print the lines that clear every variable switchboard sets (and AWS_PROFILE)
        #[arg(long)]
        unset: bool,
    },
    /// Run a command with the role's session in a clean AWS environment
    Exec {
        /// ACCOUNT/ROLE
        role: String,
        /// Run even inside another `switchboard exec`
        #[arg(long, short)]
        force: bool,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// The JSON of the AWS `credential_process` protocol, for ~/.aws/config profiles
    CredentialProcess {
        /// ACCOUNT/ROLE
        role: String,
    },
    /// Renew sessions now, asking once per MFA device
    Refresh {
        /// ACCOUNT/ROLE, one or more
        roles: Vec<String>,
        /// Every role of the inventory
        #[arg(long, conflicts_with_all = ["roles", "expiring"])]
        all: bool,
        /// Every role whose session is expiring or expired
        #[arg(long, conflicts_with = "roles")]
        expiring: bool,
    },
    /// Validate the inventory and print each role's plan: its layers and why
    Check,
    /// Show where a role's session lands (STS GetCallerIdentity)
    Whoami {
        /// ACCOUNT/ROLE
        role: String,
    },
    /// Long-term keys of `keyring = true` sources, kept in the OS keyring
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Store a source's access key (the secret is read without echo, or from stdin)
    Add { source: String },
    /// Delete a source's stored keys
    Remove { source: String },
    /// Which sources have keys stored (the access key id masked, never the secret)
    List { source: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Inventory(#[from] InventoryError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Export(#[from] ExportError),
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// 2 for what the operator wrote wrong (arguments, inventory), 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) | CliError::Inventory(_) | CliError::Export(_) => ExitCode::from(2),
            _ => ExitCode::from(1),
        }
    }
}

pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let globals = context::Globals { inventory: cli.inventory, mfa_code: cli.mfa_code };
    let Some(command) = cli.command else {
        return crate::tui::run(&globals, cli.verbose).await;
    };
    logging::init(cli.verbose);
    match command {
        Command::Check => check::run(&globals),
        Command::List { json } => list::run(&globals, json).await,
        Command::Env { role, format, unset } => env::run(&globals, &role, format, unset).await,
        Command::Exec { role, force, command } => exec::run(&globals, &role, force, command).await,
        Command::CredentialProcess { role } => credential_process::run(&globals, &role).await,
        Command::Refresh { roles, all, expiring } => refresh::run(&globals, roles, all, expiring).await,
        Command::Whoami { role } => whoami::run(&globals, &role).await,
        Command::Keys { action } => keys::run(&globals, action).await,
    }
}
