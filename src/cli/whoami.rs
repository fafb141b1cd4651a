//! `switchboard whoami ROLE`: where the role's session lands, as STS sees it.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;

pub async fn run(options: &GlobalOptions, address: &str) -> Result<ExitCode, AppError> {
    let context = Context::open(options, true, true).await?;
    let role = context.role(address)?;
    let identity = context.engine.identity(&role).await?;
    println!("account  {}", identity.account);
    println!("arn      {}", identity.arn);
    println!("user id  {}", identity.user_id);
    Ok(ExitCode::SUCCESS)
}
