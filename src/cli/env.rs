//! `switchboard env ROLE`: the role's exports for a shell, renewing the session first if needed.

use std::process::ExitCode;

use crate::domain::engine::Renewal;
use crate::domain::exports::{self, ALL_VARIABLES, ExportFormat};

use super::CliError;
use super::context::{Context, Globals};

pub fn shell_format() -> ExportFormat {
    std::env::var("SHELL").map(|shell| ExportFormat::from_shell_path(&shell)).unwrap_or(ExportFormat::Bash)
}

pub async fn run(
    globals: &Globals,
    address: &str,
    format: Option<ExportFormat>,
    unset: bool,
) -> Result<ExitCode, CliError> {
    let format = format.unwrap_or_else(shell_format);
    if unset {
        let inventory = super::context::load_inventory(globals)?;
        inventory.find_role(address)?;
        let mut names: Vec<&str> = ALL_VARIABLES.to_vec();
        if inventory.defaults.endpoint_url.is_none() {
            names.retain(|name| *name != "AWS_ENDPOINT_URL");
        }
        print!("{}", exports::unset(format, &names)?);
        return Ok(ExitCode::SUCCESS);
    }
    let context = Context::open(globals, true, false).await?;
    let role = context.role(address)?;
    let session = context.engine.session(&role, Renewal::IfNeeded).await?;
    let vars = exports::variables(&session.credentials, &session.region, context.endpoint_url().as_deref());
    print!("{}", exports::render(format, &vars)?);
    Ok(ExitCode::SUCCESS)
}
