//! `switchboard sqs redrive ROLE DLQ [--to QUEUE] --confirm NAME [--rate N] [--copy]`: a
//! dead-letter queue's messages moved back, for scripts. A move task is started and followed
//! until it ends; the copy is used when the endpoint does not know move tasks (or `--copy`).
//! Each step is a line on stderr and an entry of the audit trail.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use crate::domain::sqs::changes::{Change, RedriveEvent, RedrivePlan, Redriven, Refused};
use crate::domain::sqs::copy::CopyLimits;
use crate::domain::sqs::{self, MoveStatus, Queue, QueueSummary, Sqs, move_task};

use super::sqs_dump::{OpenedQueue, failed, open_queue};
use super::{AppError, GlobalOptions, output};
use crate::app::progress::{self, Progress};

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
    match opened.role.allows(Change::Redrive, &name, Some(args.confirm)) {
        Ok(()) => {}
        Err(Refused::NameMismatch { typed, queue }) => {
            return Err(AppError::Usage(format!(
                "--confirm {typed} does not match the dead-letter queue's name {queue}"
            )));
        }
        Err(refused) => return Err(AppError::Usage(refused.to_string())),
    }
    let target = destination(&opened, args.to).await?;
    let (source_arn, target_arn) = (arn_of(&opened.sqs, &opened.queue).await?, arn_of(&opened.sqs, &target).await?);
    let total = opened.sqs.attributes(&opened.queue.url).await.map_err(failed)?.visible().unwrap_or(0);
    eprintln!("switchboard: redrive {name} -> {}: about {total} messages", target.name);

    let mut limits = CopyLimits::default();
    if let Some(seconds) = args.visibility_seconds {
        limits.visibility_seconds = seconds;
    }
    // Nothing stops the command's copy but a signal: what was copied stays copied.
    let stop = AtomicBool::new(false);
    let plan = RedrivePlan {
        source: Queue { url: &opened.queue.url, arn: &source_arn, fifo: opened.queue.fifo },
        destination: Queue { url: &target.url, arn: &target_arn, fifo: target.fifo },
        total,
        rate: args.rate,
        copy_instead: args.copy.then(|| "copying as asked (--copy)".to_owned()),
        limits,
        poll_every: move_task::POLL_EVERY,
        stop: &stop,
    };
    // On a terminal the moved count is a bar; else (a log, a pipe) a line per step, as before.
    let bar = progress::is_drawn().then(|| Progress::bar("moved", total));
    let said = |event: RedriveEvent| match (event, &bar) {
        (RedriveEvent::MoveStarted { handle }, _) => output::warn(&format!("move task {handle} started")),
        (RedriveEvent::Copying { why }, _) => output::warn(&why),
        (RedriveEvent::MoveStatus(task), Some(bar)) => {
            if let Some(total) = task.to_move {
                bar.set_total(total);
            }
            bar.set_position(task.moved);
            bar.say(task.status.as_str().to_owned());
        }
        (RedriveEvent::MoveStatus(task), None) => {
            let total = task.to_move.map_or_else(|| "?".into(), |total: u64| total.to_string());
            output::warn(&format!("progress: {} {} of {total} moved", task.status.as_str(), task.moved));
        }
        (RedriveEvent::Copied(copied), Some(bar)) => {
            bar.set_position(copied.moved);
            bar.say(format!("{} failed", copied.failed));
        }
        (RedriveEvent::Copied(copied), None) => {
            output::warn(&format!("progress: {} moved, {} failed", copied.moved, copied.failed));
        }
    };
    let redriven = opened
        .changes()
        .redrive(plan, Some(args.confirm), said)
        .await
        .map_err(|error| failed(format!("{}: {error}", opened.role.key)))?;
    drop(bar);
    match redriven {
        Redriven::MoveTask { task, .. } => match task.status {
            MoveStatus::Completed => {
                eprintln!("switchboard: done: {} moved", task.moved);
                Ok(ExitCode::SUCCESS)
            }
            status => {
                let why = task.failure.unwrap_or_default();
                eprintln!("switchboard: the move task ended {}: {why}", status.as_str());
                Ok(ExitCode::from(1))
            }
        },
        Redriven::Copy { report, .. } => {
            let error = report.first_error.map(|error| format!("; first failure: {error}")).unwrap_or_default();
            eprintln!("switchboard: done ({:?}): {} moved, {} failed{error}", report.end, report.moved, report.failed);
            Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}
