//! `switchboard exec ROLE -- CMD`: runs CMD with the role's session and nothing else from
//! the AWS environment that could take precedence or confuse it.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::domain::engine::Renewal;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use super::ecs_server;

/// How `exec` hands the session to the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Static keys in the environment; the command replaces switchboard.
    Keys,
    /// A local ECS credentials endpoint that renews; switchboard waits for the command.
    EcsServer,
}

pub async fn run(
    options: &GlobalOptions,
    address: &str,
    force: bool,
    handover: Handover,
    command: Vec<OsString>,
) -> Result<ExitCode, AppError> {
    if let (Ok(outer), false) = (std::env::var("SWITCHBOARD_ROLE"), force) {
        return Err(AppError::Usage(format!(
            "already inside `switchboard exec` for {outer}; nested sessions are easy to mistake for each other: exit that shell, or pass --force"
        )));
    }
    if matches!(handover, Handover::EcsServer) {
        // It serves sessions for as long as the command runs; the command itself is dumpable.
        crate::app::hardening::keep_out_of_core_dumps();
    }
    let context = Context::open(options, true, false).await?;
    let role = context.role(address)?;
    let renewal = match handover {
        Handover::Keys => Renewal::IfNeeded,
        Handover::EcsServer => Renewal::Within(ecs_server::renewal_window(&context.engine, &role)),
    };
    let session = context.session(&role, renewal).await?;

    let (program, args) =
        command.split_first().ok_or_else(|| AppError::Usage("exec needs a command after --".into()))?;
    let mut child = Command::new(program);
    child.args(args);
    super::child_env::apply_session(&mut child, &session, context.endpoint_url().as_deref());
    match handover {
        Handover::Keys => run_child(child, program),
        Handover::EcsServer => {
            let access = ecs_server::start(context.engine.clone(), session).await?;
            tracing::info!("credentials endpoint for {role} on {}", access.address);
            // The same clean environment, with the endpoint in place of the keys.
            super::child_env::apply_endpoint(&mut child, &access.uri, &access.token);
            run_and_wait(child, program).await
        }
    }
}

/// On Unix the command replaces switchboard, so signals, the terminal and the exit status
/// are the command's own.
#[cfg(unix)]
fn run_child(mut child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    use std::os::unix::process::CommandExt;
    let error = child.exec();
    super::output::warn(&format!("cannot run {}: {error}", program.to_string_lossy()));
    Ok(ExitCode::from(if error.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 }))
}

#[cfg(not(unix))]
fn run_child(mut child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    match child.status() {
        Ok(status) => Ok(ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8)),
        Err(error) => {
            super::output::warn(&format!("cannot run {}: {error}", program.to_string_lossy()));
            Ok(ExitCode::from(127))
        }
    }
}

/// Runs the command as a child (the endpoint lives in this process), passes on the signals
/// meant for it, and returns its exit code (128 + the signal when a signal ended it).
#[cfg(unix)]
async fn run_and_wait(child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    use std::os::unix::process::ExitStatusExt;
    use tokio::signal::unix::{SignalKind, signal};

    let listen = |kind: SignalKind| {
        signal(kind).map_err(|error| AppError::Failed(format!("cannot listen for signals: {error}")))
    };
    // Listening before the command starts: from here on these signals no longer end switchboard.
    let (mut interrupt, mut terminate, mut hangup) =
        (listen(SignalKind::interrupt())?, listen(SignalKind::terminate())?, listen(SignalKind::hangup())?);
    let mut child = match tokio::process::Command::from(child).spawn() {
        Ok(child) => child,
        Err(error) => {
            super::output::warn(&format!("cannot run {}: {error}", program.to_string_lossy()));
            return Ok(ExitCode::from(if error.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 }));
        }
    };
    let pid = child.id();
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = interrupt.recv() => {
                // Ctrl-C at the terminal reaches the command by itself (same foreground group);
                // sending it again would be a second Ctrl-C (Terraform then stops at once).
                if !in_terminal_foreground() {
                    forward(pid, libc::SIGINT);
                }
            }
            _ = terminate.recv() => forward(pid, libc::SIGTERM),
            _ = hangup.recv() => forward(pid, libc::SIGHUP),
        }
    };
    let status =
        status.map_err(|error| AppError::Failed(format!("waiting for {}: {error}", program.to_string_lossy())))?;
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    Ok(ExitCode::from(u8::try_from(code.clamp(0, 255)).unwrap_or(1)))
}

#[cfg(unix)]
fn forward(pid: Option<u32>, signal: libc::c_int) {
    let Some(pid) = pid.and_then(|pid| libc::pid_t::try_from(pid).ok()) else { return };
    // SAFETY: kill only sends a signal; `pid` is our child, not yet reaped (we are still
    // waiting for it), so the id cannot belong to another process.
    let sent = unsafe { libc::kill(pid, signal) };
    if sent != 0 {
        tracing::debug!("exec: cannot pass signal {signal} on: {}", std::io::Error::last_os_error());
    }
}

/// Whether switchboard (and so the command) is the terminal's foreground process group.
#[cfg(unix)]
fn in_terminal_foreground() -> bool {
    // SAFETY: getpgrp and tcgetpgrp only read process state; a descriptor that is not a
    // terminal makes tcgetpgrp return -1, which is handled.
    let own = unsafe { libc::getpgrp() };
    [libc::STDIN_FILENO, libc::STDOUT_FILENO, libc::STDERR_FILENO]
        .into_iter()
        .map(|fd| unsafe { libc::tcgetpgrp(fd) })
        .find(|group| *group > 0)
        .is_some_and(|foreground| foreground == own)
}

#[cfg(not(unix))]
async fn run_and_wait(child: Command, program: &std::ffi::OsStr) -> Result<ExitCode, AppError> {
    run_child(child, program)
}
