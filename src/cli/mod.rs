//! The command-line front end: one module per subcommand, all sharing `Context`.

mod access_keys;
/// `switchboard agent` (dispatched by `main` beside the other commands).
#[cfg(unix)]
pub mod agent;
mod check;
mod child_env;
pub mod completions;
mod console;
mod context;
mod credential_process;
mod doctor;
mod ecs_server;
mod env;
mod exec;
pub mod import;
mod list;
#[cfg(unix)]
mod list_agent;
pub mod logging;
#[cfg(unix)]
mod mfa;
pub mod output;
mod prompt;
mod refresh;
mod run;
mod sign_in;
mod sqs_dump;
mod sqs_list;
mod sqs_redrive;
mod sqs_send;
mod whoami;

use std::process::ExitCode;

use clap::{Args, Subcommand};
use clap_complete::ArgValueCompleter;

pub use crate::app::{AppError, GlobalOptions};
use crate::domain::exports::ExportFormat;
use crate::domain::selection::Selector;

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
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
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
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
        /// Run even inside another `switchboard exec`
        #[arg(long, short)]
        force: bool,
        /// Serve the session from a local ECS credentials endpoint (127.0.0.1, random port and
        /// token) that renews it, instead of static keys: commands that run past the hour keep working
        #[arg(long)]
        ecs_server: bool,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// The JSON of the AWS `credential_process` protocol, for ~/.aws/config profiles
    CredentialProcess {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
    },
    /// Renew sessions now, asking once per MFA device
    Refresh {
        /// ACCOUNT/ROLE, one or more
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
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
    /// Sign in to an IAM Identity Center source (PKCE in the browser; the device code over SSH)
    Login {
        /// The source (`[sources.NAME]` with `sso_start_url`)
        source: String,
        /// Show an address and a code to confirm on any device, instead of opening a browser here
        #[arg(long)]
        device_code: bool,
        /// Sign in again even when the kept token is valid
        #[arg(long)]
        force: bool,
    },
    /// Sign out of an Identity Center source: revoke its token and forget the sessions it gave
    Logout {
        /// The source
        source: String,
    },
    /// Show where a role's session lands (STS GetCallerIdentity)
    Whoami {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
    },
    /// Run a command once per selected role (at most --parallel at a time), each with the
    /// role's session as `exec` gives it; one MFA prompt per device before anything runs
    Run {
        #[command(flatten)]
        select: SelectArgs,
        /// How many commands run at once
        #[arg(long, default_value_t = 8, value_name = "N")]
        parallel: usize,
        /// Print each role's output as one block when it finishes, instead of prefixed lines
        #[arg(long, conflicts_with = "json")]
        group: bool,
        /// One JSON object per role (role, account, exit_code, duration_ms, stdout, stderr), a line each
        #[arg(long)]
        json: bool,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// SQS across the fleet
    Sqs {
        #[command(subcommand)]
        action: SqsAction,
    },
    /// Answer the MFA requests the agent holds for callers without a terminal (the code is
    /// read without echo, or from stdin)
    #[cfg(unix)]
    Mfa,
    /// Long-term keys of `keyring = true` sources, kept in the OS keyring
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Sign in to the AWS console with the role's session (a federation sign-in URL), in
    /// the browser ($BROWSER, else xdg-open/open/start)
    Console {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
        /// Open this service's page (e.g. sqs, cloudwatch) instead of the console's home
        #[arg(long, value_name = "SERVICE")]
        service: Option<String>,
        /// Print the URL instead of opening it (it signs in for 15 minutes: keep it to yourself)
        #[arg(long)]
        print: bool,
    },
    /// Print the script that loads switchboard's completion into SHELL (role addresses are
    /// completed from the inventory); see the README for where to put it
    Completions {
        #[arg(value_enum)]
        shell: completions::Shell,
    },
    /// Print the man page (roff): `switchboard man > ~/.local/share/man/man1/switchboard.1`
    Man,
    /// Check the setup: inventory, keyring, session store, agent, clock, clipboard, the
    /// credential_process profiles of ~/.aws/config, completions. One line per check (ok,
    /// warning or problem, and what to do); exit 1 when something is a problem
    Doctor {
        /// Also measure the clock against AWS and reach the STS endpoint (one GetCallerIdentity with a placeholder key, none of yours)
        #[arg(long)]
        online: bool,
        /// One JSON object (ok, problems, warnings, checks) instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Make an inventory from what you already have
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportAction {
    /// The role profiles of an AWS config file (source_profile chains, MFA, external ids) and its
    /// Identity Center sessions and profiles; credential_process profiles are listed as skipped,
    /// with their lines
    AwsConfig {
        /// The AWS config file [default: $AWS_CONFIG_FILE, else ~/.aws/config]
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Where to write the inventory (`-`: standard output) [default: the inventory's location]
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Replace the file if it exists
        #[arg(long)]
        force: bool,
    },
    /// One account per member of an AWS Organization (ListAccounts), each with the role
    /// --role-name, added to the inventory; what is there is left as written
    Organizations {
        /// A role (ACCOUNT/ROLE) or source allowed to call ListAccounts (the management account's)
        #[arg(long, value_name = "ROLE_OR_SOURCE", add = ArgValueCompleter::new(completions::complete_role))]
        via: String,
        /// The role to add in each member account, e.g. OrganizationAccountAccessRole
        #[arg(long, value_name = "NAME")]
        role_name: String,
        /// Print the diff of the inventory instead of writing it
        #[arg(long)]
        dry_run: bool,
        /// Tag each account with the names of the OUs it sits in
        #[arg(long)]
        tags_from_ou: bool,
    },
    /// Every account and role an Identity Center source grants you, merged into the inventory
    Sso {
        /// The Identity Center source (signs in first when needed)
        source: String,
        /// Print the diff of the inventory instead of writing it
        #[arg(long)]
        dry_run: bool,
        /// Remove the source's roles the portal no longer lists (without it they are only named)
        #[arg(long)]
        prune: bool,
        /// Only permission sets matching this glob, e.g. '*ReadOnly*'
        #[arg(long, value_name = "GLOB")]
        role_filter: Option<String>,
    },
}

/// Which roles a fleet command acts on. Patterns are OR-ed, `--tag`s AND-ed (the account
/// must carry every one), `--env`s OR-ed, and the three AND-ed together.
#[derive(Debug, Clone, Args)]
pub struct SelectArgs {
    /// ACCOUNT/ROLE globs, e.g. '*/readonly' or 'prod-*/admin'; a plain address selects that role
    #[arg(value_name = "PATTERN", add = ArgValueCompleter::new(completions::complete_role))]
    pub patterns: Vec<String>,
    /// Only accounts with this tag (repeat: every tag must be there)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only accounts in this environment (repeat: any of them)
    #[arg(long = "env", value_name = "ENV")]
    pub environments: Vec<String>,
}

impl SelectArgs {
    fn selector(self) -> Selector {
        Selector { patterns: self.patterns, tags: self.tags, environments: self.environments }
    }
}

#[derive(Debug, Subcommand)]
pub enum SqsAction {
    /// Every queue of every selected account and region (all accounts when nothing is
    /// selected): visible / in-flight / delayed counts and dead-letter links. Each account is
    /// listed once, through its read-only (else MFA-free) selected role when it has one
    List {
        #[command(flatten)]
        select: SelectArgs,
        /// One JSON array (an object per account, its queues inside) instead of a table
        #[arg(long)]
        json: bool,
        /// Names and URLs only: one ListQueues per account, no GetQueueAttributes per queue
        /// (no counts, no dead-letter links); the quickest census of a large fleet
        #[arg(long)]
        no_counts: bool,
    },
    /// Save up to N messages of a queue as JSON Lines (body, attributes with binary as
    /// base64, system attributes, ids). Each dumped message is received once: its receive
    /// count rises and it stays hidden for 30 s
    Dump {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
        /// The queue's name or URL
        queue: String,
        #[arg(long, default_value_t = 10, value_name = "N")]
        max: usize,
        /// Write here instead of standard output: a new file, mode 0600 (checked before any
        /// message is received)
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Replace FILE when it exists (written anew beside it, mode 0600, then renamed over it)
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Send the messages of a JSON Lines file (as `sqs dump` writes them) with their
    /// attributes and FIFO fields. A dry run in production accounts unless --confirm names the queue
    Send {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
        /// The queue's name or URL
        queue: String,
        #[arg(long, value_name = "FILE")]
        from_file: std::path::PathBuf,
        /// Only say what would be sent
        #[arg(long)]
        dry_run: bool,
        /// The queue's name: sends in a production account
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
    /// Move a dead-letter queue's messages back (a move task; a copy where the endpoint has
    /// none), reporting progress on stderr and in the audit trail
    Redrive {
        /// ACCOUNT/ROLE
        #[arg(add = ArgValueCompleter::new(completions::complete_role))]
        role: String,
        /// The dead-letter queue's name or URL
        dlq: String,
        /// Where the messages go [default: the one queue whose failures go to the DLQ]
        #[arg(long, value_name = "QUEUE")]
        to: Option<String>,
        /// The dead-letter queue's name, typed again
        #[arg(long, value_name = "NAME")]
        confirm: String,
        /// The move task's MaxNumberOfMessagesPerSecond
        #[arg(long, value_name = "N")]
        rate: Option<u32>,
        /// Copy message by message instead of asking for a move task (an endpoint without them)
        #[arg(long)]
        copy: bool,
        /// The copy: how long a message being copied stays hidden [default: 120]. A copy
        /// restarted after a crash waits this long for the messages the crashed one held
        #[arg(long, value_name = "SECONDS")]
        visibility: Option<u32>,
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

/// Runs one subcommand. The screen is not here: `main` dispatches to each front end itself.
/// `program` builds the whole command line (`main`'s), for the completion script and the man page.
pub async fn run(
    options: &GlobalOptions,
    command: Command,
    program: fn() -> clap::Command,
) -> Result<ExitCode, AppError> {
    logging::init(options.verbose);
    crate::app::progress::set_quiet(options.quiet);
    match command {
        Command::Check => check::run(options),
        Command::Login { source, device_code, force } => sign_in::login(options, &source, device_code, force).await,
        Command::Logout { source } => sign_in::logout(options, &source).await,
        Command::List { json } => list::run(options, json).await,
        Command::Env { role, format, unset } => env::run(options, &role, format, unset).await,
        Command::Exec { role, force, ecs_server, command } => {
            let handover = if ecs_server { exec::Handover::EcsServer } else { exec::Handover::Keys };
            exec::run(options, &role, force, handover, command).await
        }
        Command::CredentialProcess { role } => credential_process::run(options, &role).await,
        Command::Refresh { roles, all, expiring } => refresh::run(options, roles, all, expiring).await,
        Command::Whoami { role } => whoami::run(options, &role).await,
        Command::Keys { action } => access_keys::run(options, action).await,
        #[cfg(unix)]
        Command::Mfa => mfa::run(options).await,
        Command::Run { select, parallel, group, json, command } => {
            let args = run::RunArgs { selector: select.selector(), parallel, group, json, command };
            run::run(options, args).await
        }
        Command::Console { role, service, print } => console::run(options, &role, service, print).await,
        Command::Completions { shell } => completions::print_registration(shell, &program()),
        Command::Man => completions::print_man(program()),
        Command::Doctor { online, json } => doctor::run(options, online, json).await,
        Command::Import { action: ImportAction::AwsConfig { config, out, force } } => {
            import::aws_config(options, import::AwsConfigArgs { config, out, force })
        }
        Command::Import { action: ImportAction::Organizations { via, role_name, dry_run, tags_from_ou } } => {
            import::organizations(options, import::OrganizationsArgs { via, role_name, dry_run, tags_from_ou }).await
        }
        Command::Import { action: ImportAction::Sso { source, dry_run, prune, role_filter } } => {
            import::sso::run(options, import::sso::SsoArgs { source, dry_run, prune, role_filter }).await
        }
        Command::Sqs { action: SqsAction::List { select, json, no_counts } } => {
            let counts = if no_counts { sqs_list::Counts::Skip } else { sqs_list::Counts::Read };
            sqs_list::run(options, select.selector(), json, counts).await
        }
        Command::Sqs { action: SqsAction::Dump { role, queue, max, out, force } } => {
            sqs_dump::run(options, &role, &queue, max, out.map(|path| (path, force))).await
        }
        Command::Sqs { action: SqsAction::Send { role, queue, from_file, dry_run, confirm } } => {
            let args = sqs_send::SendArgs {
                role: &role,
                queue: &queue,
                file: &from_file,
                dry_run,
                confirm: confirm.as_deref(),
            };
            sqs_send::run(options, args).await
        }
        Command::Sqs { action: SqsAction::Redrive { role, dlq, to, confirm, rate, copy, visibility } } => {
            let args = sqs_redrive::RedriveArgs {
                role: &role,
                dead_letter: &dlq,
                to: to.as_deref(),
                confirm: &confirm,
                rate,
                copy,
                visibility_seconds: visibility,
            };
            sqs_redrive::run(options, args).await
        }
    }
}
