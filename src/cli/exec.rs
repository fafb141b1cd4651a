//! `switchboard exec ROLE -- CMD`: runs CMD with the role's session and nothing else from
//! the AWS environment that could take precedence or confuse it.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::domain::engine::Renewal;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;

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

    let (program, args) =
        command.split_first().ok_or_else(|| AppError::Usage("exec needs a command after --".into()))?;
    let mut child = Command::new(program);
    child.args(args);
    super::child_env::apply_session(&mut child, &session, context.endpoint_url().as_deref());
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
