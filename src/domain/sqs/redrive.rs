//! Moving messages out of a dead-letter queue: a move task (StartMessageMoveTask) where the
//! endpoint has it; the copy of `copy.rs` only when the endpoint answers that it does not
//! know the operation. Throttling, AccessDenied and other errors are errors, not a reason
//! to copy.

use std::sync::atomic::AtomicBool;

use super::copy::{CopyEnd, CopyLimits, copy_messages};
use super::{Sqs, SqsError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveMethod {
    /// SQS moves the messages itself (asynchronously).
    MoveTask,
    /// switchboard copied each message, then deleted the original.
    Copy,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedriveProgress {
    pub moved: u64,
    pub failed: u64,
    /// The source's approximate count when the redrive started.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedriveReport {
    pub method: MoveMethod,
    pub moved: u64,
    pub failed: u64,
    /// The first failure, to show the operator why.
    pub first_error: Option<String>,
    pub task_handle: Option<String>,
    /// Why the copy was used instead of a move task.
    pub note: Option<String>,
    /// How the copy ended (None for a move task, which runs on).
    pub end: Option<CopyEnd>,
}

pub struct Queue<'a> {
    pub url: &'a str,
    pub arn: &'a str,
    pub fifo: bool,
}

/// How a redrive goes about it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedriveOptions {
    /// MaxNumberOfMessagesPerSecond of the move task (SQS's own rate otherwise).
    pub rate: Option<u32>,
    /// Copy without asking for a move task (an endpoint known to lack them).
    pub force_copy: bool,
    pub limits: CopyLimits,
}

/// What starting a redrive gave: a move task SQS runs, or the reason to copy.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    MoveTask { handle: String },
    CopyInstead { why: String },
}

/// Asks SQS for a move task; only an unknown-operation answer turns into the copy.
pub async fn start(
    sqs: &dyn Sqs,
    source: &Queue<'_>,
    destination: &Queue<'_>,
    rate: Option<u32>,
) -> Result<Started, SqsError> {
    match sqs.start_move(source.arn, Some(destination.arn), rate).await {
        Ok(handle) => Ok(Started::MoveTask { handle }),
        Err(SqsError::Unsupported { message, .. }) => Ok(Started::CopyInstead {
            why: format!("this endpoint has no message move tasks ({message}); switchboard copies the messages itself"),
        }),
        Err(other) => Err(other),
    }
}

/// Starts a move task, or copies every message of `source` to `destination` when the
/// endpoint lacks move tasks (or `force_copy`). A move task is only started here: its
/// status is followed with `move_task::watch`.
pub async fn redrive(
    sqs: &dyn Sqs,
    source: Queue<'_>,
    destination: Queue<'_>,
    total: u64,
    options: RedriveOptions,
    stop: &AtomicBool,
    progress: impl FnMut(RedriveProgress) + Send,
) -> Result<RedriveReport, SqsError> {
    let note = if options.force_copy {
        "copying as asked (no move task)".to_owned()
    } else {
        match start(sqs, &source, &destination, options.rate).await? {
            Started::MoveTask { handle } => {
                return Ok(RedriveReport {
                    method: MoveMethod::MoveTask,
                    moved: 0,
                    failed: 0,
                    first_error: None,
                    task_handle: Some(handle),
                    note: None,
                    end: None,
                });
            }
            Started::CopyInstead { why } => why,
        }
    };
    tracing::info!("redrive by copy: {note}");
    let report = copy_messages(sqs, &source, &destination, total, options.limits, stop, progress).await?;
    Ok(RedriveReport {
        method: MoveMethod::Copy,
        moved: report.moved,
        failed: report.failed,
        first_error: report.first_error,
        task_handle: None,
        note: Some(note),
        end: Some(report.end),
    })
}
