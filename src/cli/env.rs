//! `switchboard env ROLE`: the role's exports for a shell, renewing the session first if needed.

use std::process::ExitCode;

use crate::domain::engine::Renewal;
use crate::domain::exports::{self, ALL_VARIABLES, ExportFormat};

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
        let mut names: Vec<&str> = ALL_VARIABLES.to_vec();
        if inventory.defaults.endpoint_url.is_none() {
            names.retain(|name| *name != "AWS_ENDPOINT_URL");
        }
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
