//! `switchboard env ROLE`: the role's exports for a shell, renewing the session first if needed.

use std::process::ExitCode;

use crate::domain::engine::Renewal;
use crate::domain::exports::{self, ExportFormat};

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

pub async fn run(
    options: &GlobalOptions,
    address: &str,
    format: Option<ExportFormat>,
    unset: bool,
) -> Result<ExitCode, AppError> {
    let format = format.unwrap_or_else(|| crate::app::shell_export_format(None));
    if unset {
        let inventory = crate::app::load_inventory(options)?.inventory;
        inventory.find_role(address)?;
        // What `exec` clears, so a shell is as clean as a command it starts.
        let names = super::child_env::unset_in_shell(inventory.defaults.endpoint_url.is_some());
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        output::print_raw(&exports::unset(format, &names)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let context = Context::open(options, true, false).await?;
    let role = context.role(address)?;
    let session = context.session(&role, Renewal::IfNeeded).await?;
    let vars = exports::variables(&session.credentials, &session.region, context.endpoint_url().as_deref());
    // Quoted for its shell by `exports`; escaping here would change the values.
    output::print_raw(&exports::render(format, &vars)?)?;
    Ok(ExitCode::SUCCESS)
}
