//! switchboard: one terminal screen (and a scripting CLI) for the sessions of many AWS
//! accounts and roles. Parses the arguments and hands them to a front end: the screen when
//! no subcommand is given, the command line otherwise.

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
    command: Option<cli::Command>,
}

fn main() -> ExitCode {
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
            Some(command) => cli::run(&options, command).await,
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
