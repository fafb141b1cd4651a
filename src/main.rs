//! switchboard: one terminal screen (and a scripting CLI) for the sessions of many AWS
//! accounts and roles.

use std::process::ExitCode;

use clap::Parser;
use switchboard::cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("switchboard: cannot start: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("switchboard: {error}");
            error.exit_code()
        }
    }
}
