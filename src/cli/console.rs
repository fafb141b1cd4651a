//! `switchboard console ROLE [--service S] [--print]`: a console sign-in URL from the role's
//! session, opened in the system browser or printed.

use std::process::ExitCode;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use crate::domain::console::{self, DEFAULT_FEDERATION_URL, Destination};
use crate::domain::engine::Renewal;
use crate::domain::inventory::Inventory;

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
        println!("{url}");
        return Ok(ExitCode::SUCCESS);
    }
    open_in_browser(&url)
        .map_err(|error| AppError::Failed(format!("cannot open the browser ({error}); use --print")))?;
    eprintln!("opened the console of {role} in the browser");
    Ok(ExitCode::SUCCESS)
}

/// `defaults.federation_url`, else `SWITCHBOARD_FEDERATION_URL`, else AWS's endpoint.
pub fn federation_url(inventory: &Inventory) -> String {
    inventory
        .defaults
        .federation_url
        .clone()
        .or_else(|| std::env::var("SWITCHBOARD_FEDERATION_URL").ok().filter(|url| !url.is_empty()))
        .unwrap_or_else(|| DEFAULT_FEDERATION_URL.to_owned())
}

/// `$BROWSER` when set, else the platform's opener (`open`, `start`, `xdg-open`). Not waited
/// for: a browser may stay in the foreground.
pub fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut command = match std::env::var("BROWSER").ok().filter(|browser| !browser.is_empty()) {
        Some(browser) => std::process::Command::new(browser),
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None if cfg!(windows) => {
            let mut command = std::process::Command::new("cmd");
            command.args(["/C", "start", ""]);
            command
        }
        None => std::process::Command::new("xdg-open"),
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
}
