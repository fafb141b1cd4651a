//! One role's child: started in a process group of its own with the role's session, its
//! output read line by line, and every running child stopped together on Ctrl-C.

use std::collections::HashSet;
use std::ffi::OsString;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{Semaphore, mpsc};

use super::report::{Event, OutputMode, RoleReport, Stream};
use crate::cli::child_env::apply_session;
use crate::domain::engine::Session;

pub struct ChildSpec {
    pub command: Vec<OsString>,
    pub endpoint_url: Option<String>,
    pub mode: OutputMode,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
    },
    NoSession(String),
    SpawnFailed(String),
    /// Still waiting for a slot when Ctrl-C came.
    NotStarted,
}

/// The process groups of the running children, and how many Ctrl-Cs came: the first is
/// forwarded to each group as SIGINT, the next ones kill them.
#[derive(Clone, Default)]
pub struct Children(Arc<Mutex<ChildrenState>>);

#[derive(Default)]
struct ChildrenState {
    interrupts: u32,
    groups: HashSet<u32>,
}

impl Children {
    fn state(&self) -> std::sync::MutexGuard<'_, ChildrenState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn interrupt(&self) {
        let mut state = self.state();
        state.interrupts += 1;
        let (count, first) = (state.groups.len(), state.interrupts == 1);
        if first {
            crate::cli::output::warn(&format!(
                "interrupted: stopping {count} running commands (Ctrl-C again to kill them)"
            ));
        } else {
            crate::cli::output::warn(&format!("killing {count} running commands"));
        }
        tracing::info!(running = count, "run: interrupt {}", state.interrupts);
        for group in &state.groups {
            signal_group(*group, state.interrupts);
        }
    }

    pub fn interrupted(&self) -> bool {
        self.state().interrupts > 0
    }

    /// Registers a started child; one that starts after a Ctrl-C is stopped at once (the
    /// check and the registration happen under one lock, so none slips through).
    fn started(&self, group: u32) {
        let mut state = self.state();
        state.groups.insert(group);
        if state.interrupts > 0 {
            signal_group(group, state.interrupts);
        }
    }

    fn ended(&self, group: u32) {
        self.state().groups.remove(&group);
    }
}

#[cfg(unix)]
fn signal_group(group: u32, interrupts: u32) {
    let signal = if interrupts > 1 { libc::SIGKILL } else { libc::SIGINT };
    let Ok(group) = libc::pid_t::try_from(group) else { return };
    // SAFETY: killpg only sends a signal; `group` is the process group of a child we started
    // (process_group(0) makes its pid its group id) and have not reaped yet.
    let sent = unsafe { libc::killpg(group, signal) };
    if sent != 0 {
        tracing::debug!("run: cannot signal process group {group}: {}", std::io::Error::last_os_error());
    }
}

#[cfg(not(unix))]
fn signal_group(_group: u32, _interrupts: u32) {}

/// Ctrl-C as a stream of events; the default "terminate now" is off from this call on. A
/// SIGTERM or SIGHUP counts as a Ctrl-C too: dying at once would leave the children, in
/// their own process groups, running on their own.
#[cfg(unix)]
pub fn interrupts() -> mpsc::UnboundedReceiver<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (sender, receiver) = mpsc::unbounded_channel();
    // Registered here, before any child starts, not in the task below.
    let mut streams = Vec::new();
    for kind in [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()] {
        match signal(kind) {
            Ok(stream) => streams.push(stream),
            Err(error) => tracing::warn!("run: cannot catch signal {}: {error}", kind.as_raw_value()),
        }
    }
    for mut stream in streams {
        let sender = sender.clone();
        tokio::spawn(async move { while stream.recv().await.is_some() && sender.send(()).is_ok() {} });
    }
    receiver
}

#[cfg(not(unix))]
pub fn interrupts() -> mpsc::UnboundedReceiver<()> {
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move { while tokio::signal::ctrl_c().await.is_ok() && sender.send(()).is_ok() {} });
    receiver
}

/// Waits for a slot, runs the command with the role's session, and reports how it ended.
pub async fn run_one(
    session: Session,
    account_id: String,
    spec: &ChildSpec,
    slots: Arc<Semaphore>,
    children: &Children,
    lines: &mpsc::UnboundedSender<Event>,
) -> RoleReport {
    let role = session.role.clone();
    let finish = |outcome, duration, output| {
        let mut report = RoleReport::new(role.clone(), account_id.clone(), outcome, duration);
        report.output = output;
        if !matches!(spec.mode, OutputMode::Prefixed) {
            let _ = lines.send(Event::Finished(report.clone()));
        }
        report
    };
    let Ok(_slot) = slots.acquire_owned().await else {
        return finish(Outcome::NotStarted, Duration::ZERO, Vec::new());
    };
    if children.interrupted() {
        return finish(Outcome::NotStarted, Duration::ZERO, Vec::new());
    }
    let Some((program, args)) = spec.command.split_first() else {
        return finish(Outcome::SpawnFailed("no command".into()), Duration::ZERO, Vec::new());
    };
    let mut command = std::process::Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    apply_session(&mut command, &session, spec.endpoint_url.as_deref());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);

    let started = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let message = format!("cannot run {}: {error}", program.to_string_lossy());
            tracing::info!(role = %role, "run: {message}");
            return finish(Outcome::SpawnFailed(message), started.elapsed(), Vec::new());
        }
    };
    let group = child.id();
    tracing::info!(role = %role, pid = group, "run: started {}", program.to_string_lossy());
    if let Some(group) = group {
        children.started(group);
    }
    let prefix: Arc<str> = role.to_string().into();
    let collected = Mutex::new(Vec::new());
    let sink = Sink { prefix, mode: spec.mode, lines, collected: &collected };
    tokio::join!(sink.pump(Stream::Out, child.stdout.take()), sink.pump(Stream::Err, child.stderr.take()));
    let status = child.wait().await;
    if let Some(group) = group {
        children.ended(group);
    }
    let duration = started.elapsed();
    let outcome = match status {
        Ok(status) => Outcome::Exited { code: status.code(), signal: exit_signal(&status) },
        Err(error) => Outcome::SpawnFailed(format!("cannot wait for {}: {error}", program.to_string_lossy())),
    };
    tracing::info!(role = %role, ?outcome, duration_ms = duration.as_millis() as u64, "run: finished");
    finish(outcome, duration, collected.into_inner().unwrap_or_else(PoisonError::into_inner))
}

#[cfg(unix)]
fn exit_signal(status: &std::process::ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

#[cfg(not(unix))]
fn exit_signal(_status: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// Where a child's lines go: straight to the writer (prefixed), or kept for its block.
struct Sink<'a> {
    prefix: Arc<str>,
    mode: OutputMode,
    lines: &'a mpsc::UnboundedSender<Event>,
    collected: &'a Mutex<Vec<(Stream, Vec<u8>)>>,
}

impl Sink<'_> {
    /// Reads whole lines (bytes, so output that is not UTF-8 passes through untouched).
    async fn pump(&self, stream: Stream, pipe: Option<impl AsyncRead + Unpin>) {
        let Some(pipe) = pipe else { return };
        let mut reader = BufReader::new(pipe);
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    match self.mode {
                        OutputMode::Prefixed => {
                            let _ =
                                self.lines.send(Event::Line { role: Arc::clone(&self.prefix), stream, bytes: line });
                        }
                        OutputMode::Grouped | OutputMode::Json => {
                            self.collected.lock().unwrap_or_else(PoisonError::into_inner).push((stream, line))
                        }
                    }
                }
                Err(error) => {
                    tracing::debug!("run: {}: reading output: {error}", self.prefix);
                    break;
                }
            }
        }
    }
}
