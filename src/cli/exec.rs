//! `switchboard exec ROLE -- CMD`: runs CMD with the role's session and nothing else from
//! the AWS environment that could take precedence or confuse it.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::domain::engine::Renewal;
use crate::domain::exports::{self, ALL_VARIABLES};

use super::AppError;
use super::GlobalOptions;
use super::context::Context;

/// Variables of other credential sources the SDKs would consult.
const OTHER_CREDENTIAL_SOURCES: [&str; 6] = [
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

pub async fn run(
    options: &GlobalOptions,
    address: &str,
    force: bool,
    command: Vec<OsString>,
) -> Result<ExitCode, AppError> {
    if let (Ok(outer), false) = (std::env::var("SWITCHBOARD_ROLE"), force) {
        return Err(AppError::Usage(format!(
            "already inside `switchboard exec` for {outer}; nested sessions are easy to mistake for each other: exit that shell, or pass --force"
        )));
    }
    let context = Context::open(options, true, false).await?;
    let role = context.role(address)?;
    let session = context.engine.session(&role, Renewal::IfNeeded).await?;
    let vars = exports::variables(&session.credentials, &session.region, context.endpoint_url().as_deref());

    let (program, args) =
        command.split_first().ok_or_else(|| AppError::Usage("exec needs a command after --".into()))?;
    let mut child = Command::new(program);
    child.args(args);
    for name in ALL_VARIABLES.iter().chain(&OTHER_CREDENTIAL_SOURCES) {
        if *name != "AWS_ENDPOINT_URL" || context.endpoint_url().is_some() {
            child.env_remove(name);
        }
    }
    child.envs(vars.iter().map(|(name, value)| (*name, value.as_str())));
    child.env("SWITCHBOARD_ROLE", role.to_string());
    run_child(child, program)
}

/// On Unix the command replaces switchboard, so signals, the terminal and the exit status
/// are the command's own.
#[cfg(unix)]
fn run_child(mut child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    use std::os::unix::process::CommandExt;
    let error = child.exec();
    eprintln!("switchboard: cannot run {}: {error}", program.to_string_lossy());
    Ok(ExitCode::from(if error.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 }))
}

#[cfg(not(unix))]
fn run_child(mut child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    match child.status() {
        Ok(status) => Ok(ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8)),
        Err(error) => {
            eprintln!("switchboard: cannot run {}: {error}", program.to_string_lossy());
            Ok(ExitCode::from(127))
        }
    }
}
