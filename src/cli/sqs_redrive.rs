//! `switchboard sqs redrive ROLE DLQ [--to QUEUE] --confirm NAME [--rate N] [--copy]`: a
//! dead-letter queue's messages moved back, for scripts. A move task is started and followed
//! until it ends; the copy is used when the endpoint does not know move tasks (or `--copy`).
//! Each step is a line on stderr and an entry of the audit trail.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use crate::domain::audit::AuditEntry;
use crate::domain::sqs::copy::{CopyLimits, copy_messages};
use crate::domain::sqs::{self, MoveStatus, Queue, QueueSummary, Sqs, Started, move_task};

use super::sqs_dump::{OpenedQueue, failed, open_queue};
use super::{AppError, GlobalOptions};

pub struct RedriveArgs<'a> {
    pub role: &'a str,
    pub dead_letter: &'a str,
    pub to: Option<&'a str>,
    pub confirm: &'a str,
    pub rate: Option<u32>,
    pub copy: bool,
    /// How long a message being copied stays hidden (the copy's receive visibility).
    pub visibility_seconds: Option<u32>,
}

/// The queue's ARN from its attributes.
async fn arn_of(sqs: &dyn Sqs, queue: &QueueSummary) -> Result<String, AppError> {
    let attributes = sqs.attributes(&queue.url).await.map_err(failed)?;
    attributes.arn().map(str::to_owned).ok_or_else(|| failed(format!("{}: no QueueArn attribute", queue.name)))
}

/// `--to`, else the one queue that sends its failures to the DLQ.
async fn destination(opened: &OpenedQueue, to: Option<&str>) -> Result<QueueSummary, AppError> {
    if let Some(to) = to {
        return sqs::find_queue(&opened.sqs, to).await.map_err(|error| failed(format!("--to {to}: {error}")));
    }
    let sources = opened.sqs.dead_letter_sources(&opened.queue.url).await.map_err(failed)?;
    match sources.as_slice() {
        [only] => Ok(QueueSummary::from_url(only)),
        [] => {
            Err(AppError::Usage(format!("{} is no queue's dead-letter queue: name one with --to", opened.queue.name)))
        }
        _ => Err(AppError::Usage(format!(
            "{} is the dead-letter queue of {} queues: name one with --to",
            opened.queue.name,
            sources.len()
        ))),
    }
}

pub async fn run(options: &GlobalOptions, args: RedriveArgs<'_>) -> Result<ExitCode, AppError> {
    let opened = open_queue(options, args.role, args.dead_letter).await?;
    let name = opened.queue.name.clone();
    if args.confirm != name {
        return Err(AppError::Usage(format!(
            "--confirm {} does not match the dead-letter queue's name {name}",
            args.confirm
        )));
    }
    if opened.read_only {
        return Err(AppError::Usage(format!("{} is read_only: switchboard will not redrive through it", opened.role)));
    }
    let target = destination(&opened, args.to).await?;
    let (source_arn, target_arn) = (arn_of(&opened.sqs, &opened.queue).await?, arn_of(&opened.sqs, &target).await?);
    let total = opened.sqs.attributes(&opened.queue.url).await.map_err(failed)?.visible().unwrap_or(0);
    let source = Queue { url: &opened.queue.url, arn: &source_arn, fifo: opened.queue.fifo };
    let into = Queue { url: &target.url, arn: &target_arn, fifo: target.fifo };
    let entry = |action: &str| AuditEntry::new(&opened.role, &opened.region, &opened.queue.url, action);
    let to = format!("to {}", target.name);
    opened.audit.record(&entry("redrive-start").count(total).detail(to.clone()));
    eprintln!("switchboard: redrive {name} -> {}: about {total} messages", target.name);

    let started = if args.copy {
        Started::CopyInstead { why: "copying as asked (--copy)".into() }
    } else {
        sqs::start(&opened.sqs, &source, &into, args.rate).await.map_err(|error| {
            opened.audit.record(&entry("redrive-end").detail(to.clone()).outcome(&Err::<(), _>(&error)));
            failed(format!("{}: {error}", opened.role))
        })?
    };
    match started {
        Started::MoveTask { handle } => {
            eprintln!("switchboard: move task {handle} started");
            let mut last = None;
            let task = move_task::watch(
                &opened.sqs,
                &source_arn,
                &handle,
                |task| {
                    if last != Some(task.status) && !task.status.finished() {
                        last = Some(task.status);
                        let line = entry("redrive-progress").count(task.moved);
                        opened.audit.record(&line.detail(format!("{to}; move task {}", task.status.as_str())));
                    }
                    let total = task.to_move.map_or_else(|| "?".into(), |total: u64| total.to_string());
                    eprintln!("switchboard: progress: {} {} of {total} moved", task.status.as_str(), task.moved);
                },
                || tokio::time::sleep(move_task::POLL_EVERY),
            )
            .await;
            let result = task.as_ref().map(|_| ());
            let mut end = entry("redrive-end").detail(format!("{to}; move task")).outcome(&result);
            if let Ok(task) = &task {
                end = end.count(task.moved).detail(format!(
                    "{to}; move task ended {}{}",
                    task.status.as_str(),
                    task.failure.as_deref().map(|why| format!(": {why}")).unwrap_or_default()
                ));
                end.ok = task.status == MoveStatus::Completed;
            }
            opened.audit.record(&end);
            let task = task.map_err(failed)?;
            match task.status {
                MoveStatus::Completed => {
                    eprintln!("switchboard: done: {} moved", task.moved);
                    Ok(ExitCode::SUCCESS)
                }
                status => {
                    let why = task.failure.unwrap_or_default();
                    eprintln!("switchboard: the move task ended {}: {why}", status.as_str());
                    Ok(ExitCode::from(1))
                }
            }
        }
        Started::CopyInstead { why } => {
            eprintln!("switchboard: {why}");
            let stop = AtomicBool::new(false);
            let step = |progress: sqs::RedriveProgress| {
                let line = entry("redrive-progress").count(progress.moved);
                opened.audit.record(&line.detail(format!("{to}; {} failed", progress.failed)));
                eprintln!("switchboard: progress: {} moved, {} failed", progress.moved, progress.failed);
            };
            let mut limits = CopyLimits::default();
            if let Some(seconds) = args.visibility_seconds {
                limits.visibility_seconds = seconds;
            }
            let copied = copy_messages(&opened.sqs, &source, &into, total, limits, &stop, step).await;
            let mut end = entry("redrive-end").detail(format!("{to}; copy")).outcome(&copied);
            if let Ok(report) = &copied {
                end = end.count(report.moved).detail(format!("{to}; copy; {} failed; {:?}", report.failed, report.end));
            }
            opened.audit.record(&end);
            let report = copied.map_err(failed)?;
            let error = report.first_error.map(|error| format!("; first failure: {error}")).unwrap_or_default();
            eprintln!("switchboard: done ({:?}): {} moved, {} failed{error}", report.end, report.moved, report.failed);
            Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}
