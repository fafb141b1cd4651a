//! `switchboard console ROLE [--service S] [--print]`: a console sign-in URL from the role's
//! session, opened in the system browser or printed.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use crate::domain::console::{self, Destination, federation_url, open_in_browser};
use crate::domain::engine::Renewal;

pub async fn run(
    options: &GlobalOptions,
    address: &str,
    service: Option<String>,
    print: bool,
) -> Result<ExitCode, AppError> {
    let context = Context::open(options, true, true).await?;
    let role = context.role(address)?;
    let session = context.session(&role, Renewal::IfNeeded).await?;
    let destination = service.map_or(Destination::Home, Destination::Service).url(&session.region);
    let federation = federation_url(context.engine.inventory());
    let left = session.credentials.time_left(jiff::Timestamp::now());
    let url = console::signin_url(&session.credentials, &federation, &destination, console::session_duration(left))
        .await
        .map_err(|error| AppError::Failed(format!("console sign-in for {role}: {error}")))?;
    if print {
        super::output::println(&url)?;
        return Ok(ExitCode::SUCCESS);
    }
    open_in_browser(&url)
        .map_err(|error| AppError::Failed(format!("cannot open the browser ({error}); use --print")))?;
    super::output::warn(&format!("opened the console of {role} in the browser"));
    Ok(ExitCode::SUCCESS)
}
