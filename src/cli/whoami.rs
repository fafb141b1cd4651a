//! `switchboard whoami ROLE`: where the role's session lands, as STS sees it.

use std::process::ExitCode;

use super::CliError;
use super::context::{Context, Globals};

pub async fn run(globals: &Globals, address: &str) -> Result<ExitCode, CliError> {
    let context = Context::open(globals, true, true).await?;
    let role = context.role(address)?;
    let identity = context.engine.identity(&role).await?;
    println!("account  {}", identity.account);
    println!("arn      {}", identity.arn);
    println!("user id  {}", identity.user_id);
    Ok(ExitCode::SUCCESS)
}
