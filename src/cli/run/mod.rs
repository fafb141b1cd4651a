//! `switchboard run PATTERN... -- CMD ARGS...`: CMD once per selected role, a bounded number
//! at a time, each with the same clean environment as `exec`.
//!
//! Every session is obtained first, concurrently, so the engine asks once per MFA device
//! before anything runs; a role whose session cannot be had becomes a row of the summary.
//! Children run in process groups of their own: a Ctrl-C at the terminal reaches switchboard
//! only, which forwards it to every child (and kills them on a second Ctrl-C), then still
//! prints the summary.

mod child;
mod report;

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::app::progress::Progress;
use crate::domain::engine::{Engine, Renewal, Session};
use crate::domain::inventory::RoleKey;
use crate::domain::selection::Selector;

use super::AppError;
use super::GlobalOptions;
use super::context::Context;
use child::{ChildSpec, Children, Outcome};
use report::{OutputMode, RoleReport};

/// Sessions asked of the engine at once: enough to overlap STS round trips, few enough not to
/// trip STS's rate limits on a large fleet.
const SESSIONS_AT_ONCE: usize = 16;

pub struct RunArgs {
    pub selector: Selector,
    pub parallel: usize,
    pub group: bool,
    pub json: bool,
    pub command: Vec<OsString>,
}

pub async fn run(options: &GlobalOptions, args: RunArgs) -> Result<ExitCode, AppError> {
    if args.command.is_empty() {
        return Err(AppError::Usage("run needs a command after --".into()));
    }
    if args.selector.is_empty() {
        return Err(AppError::Usage(
            "name the roles to run in: PATTERN... (ACCOUNT/ROLE globs, e.g. '*/readonly'), --tag or --env".into(),
        ));
    }
    if args.parallel == 0 {
        return Err(AppError::Usage("--parallel must be at least 1".into()));
    }
    let context = Context::open(options, true, false).await?;
    let engine = Arc::clone(&context.engine);
    let roles = args.selector.select(engine.inventory()).map_err(|error| AppError::Usage(error.to_string()))?;
    tracing::info!(roles = roles.len(), parallel = args.parallel, "run: selected {} roles", roles.len());

    let sessions = obtain_sessions(&engine, &roles).await;
    let mode = if args.json {
        OutputMode::Json
    } else if args.group {
        OutputMode::Grouped
    } else {
        OutputMode::Prefixed
    };
    let width = roles.iter().map(|role| role.to_string().len()).max().unwrap_or(0);
    let (lines, receiver) = mpsc::unbounded_channel();
    // Writes block; they get a thread of their own so a slow reader never stalls the runtime.
    let writer = tokio::task::spawn_blocking(move || report::write_output(receiver, mode, width));
    let children = Children::default();
    let spec = Arc::new(ChildSpec { command: args.command, endpoint_url: context.endpoint_url(), mode });
    let reports = execute(&engine, sessions, spec, args.parallel, &children, lines).await;
    // The writer ends once every sender is gone: every line is out before the summary.
    let _ = writer.await;
    report::print_summary(&reports);
    let interrupted = children.interrupted();
    let failed = reports.iter().filter(|report| !report.succeeded()).count();
    tracing::info!(failed, interrupted, "run: finished, {failed} of {} failed", reports.len());
    Ok(match (interrupted, failed) {
        (true, _) => ExitCode::from(130),
        (false, 0) => ExitCode::SUCCESS,
        (false, _) => ExitCode::from(1),
    })
}

/// Every role's session, asked for together so roles behind one MFA device share one prompt.
async fn obtain_sessions(engine: &Arc<Engine>, roles: &[RoleKey]) -> Vec<(RoleKey, Result<Session, String>)> {
    let progress = Progress::bar("sessions", roles.len() as u64);
    futures::stream::iter(roles.iter().cloned())
        .map(|role| {
            let engine = Arc::clone(engine);
            async move {
                let session = engine.session(&role, Renewal::IfNeeded).await.map_err(|error| error.to_string());
                if let Err(error) = &session {
                    tracing::info!(role = %role, "run: no session: {error}");
                }
                (role, session)
            }
        })
        .buffered(SESSIONS_AT_ONCE)
        .inspect(|_| progress.advance(1))
        .collect()
        .await
}

/// What `run`'s bar says beside the finished count.
#[derive(Default)]
struct Counts {
    parallel: usize,
    /// Roles whose command has not finished (running, or waiting for a slot).
    waiting: usize,
    failed: usize,
}

impl Counts {
    fn said(&self) -> String {
        format!("{} running, {} failed", self.waiting.min(self.parallel), self.failed)
    }
}

/// Runs the children at most `parallel` at a time; returns one report per role, in order.
async fn execute(
    engine: &Engine,
    sessions: Vec<(RoleKey, Result<Session, String>)>,
    spec: Arc<ChildSpec>,
    parallel: usize,
    children: &Children,
    lines: mpsc::UnboundedSender<report::Event>,
) -> Vec<RoleReport> {
    let mut interrupts = child::interrupts();
    let slots = Arc::new(Semaphore::new(parallel));
    let progress = Progress::bar("running", sessions.len() as u64);
    let mut counts = Counts { parallel, ..Counts::default() };
    let mut tasks = JoinSet::new();
    let mut reports: Vec<Option<RoleReport>> = Vec::new();
    for (index, (role, session)) in sessions.into_iter().enumerate() {
        let account_id =
            engine.inventory().account(&role.account).map(|account| account.id.to_string()).unwrap_or_default();
        reports.push(None);
        match session {
            Err(error) => {
                counts.failed += 1;
                progress.advance(1);
                let report = RoleReport::new(role, account_id, Outcome::NoSession(error), Duration::ZERO);
                let _ = lines.send(report::Event::Finished(report.clone()));
                reports[index] = Some(report);
            }
            Ok(session) => {
                counts.waiting += 1;
                let (spec, slots, children, lines) =
                    (Arc::clone(&spec), Arc::clone(&slots), children.clone(), lines.clone());
                tasks.spawn(async move {
                    let report = child::run_one(session, account_id, &spec, slots, &children, &lines).await;
                    (index, report)
                });
            }
        }
    }
    drop(lines);
    progress.say(counts.said());
    loop {
        tokio::select! {
            finished = tasks.join_next() => match finished {
                Some(Ok((index, report))) => {
                    counts.waiting -= 1;
                    counts.failed += usize::from(!report.succeeded());
                    progress.advance(1);
                    progress.say(counts.said());
                    reports[index] = Some(report);
                }
                Some(Err(error)) => tracing::error!("run: a child's task failed: {error}"),
                None => break,
            },
            Some(()) = interrupts.recv() => children.interrupt(),
        }
    }
    reports.into_iter().flatten().collect()
}
