//! `switchboard whoami ROLE`: where the role's session lands, as STS sees it.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::output;

pub async fn run(options: &GlobalOptions, address: &str) -> Result<ExitCode, AppError> {
    let context = Context::open(options, true, true).await?;
    let role = context.role(address)?;
    let identity = context.engine.identity(&role).await?;
    // All three come from the server: `output` escapes what could drive the terminal.
    output::print(&format!(
        "account  {}\narn      {}\nuser id  {}\n",
        identity.account, identity.arn, identity.user_id
    ))?;
    Ok(ExitCode::SUCCESS)
}
