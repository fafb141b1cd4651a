//! Moving messages out of a dead-letter queue. StartMessageMoveTask where the endpoint has
//! it; otherwise receive -> send -> delete, where a message is deleted only after its copy
//! was accepted, so an interrupted redrive can duplicate but never lose a message.

use std::collections::HashSet;

use super::{SendRequest, Sqs, SqsError};

/// How long a message being copied stays hidden from other consumers.
const COPY_VISIBILITY_SECONDS: u32 = 60;

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
}

pub struct Queue<'a> {
    pub url: &'a str,
    pub arn: &'a str,
    pub fifo: bool,
}

/// Moves every message of `source` to `destination`.
pub async fn redrive(
    sqs: &dyn Sqs,
    source: Queue<'_>,
    destination: Queue<'_>,
    total: u64,
    mut progress: impl FnMut(RedriveProgress) + Send,
) -> Result<RedriveReport, SqsError> {
    match sqs.start_move(source.arn, Some(destination.arn)).await {
        Ok(handle) => {
            return Ok(RedriveReport {
                method: MoveMethod::MoveTask,
                moved: 0,
                failed: 0,
                first_error: None,
                task_handle: Some(handle),
            });
        }
        Err(SqsError::Unsupported { .. } | SqsError::Service { .. }) => {
            tracing::info!("StartMessageMoveTask is not available here; copying message by message");
        }
        Err(other) => return Err(other),
    }
    let mut state = RedriveProgress { moved: 0, failed: 0, total };
    let mut failed_ids: HashSet<String> = HashSet::new();
    let mut first_error = None;
    loop {
        let batch = sqs.receive(source.url, 10, COPY_VISIBILITY_SECONDS).await?;
        // Only messages that already failed came back (or none at all): nothing left to try.
        if batch.iter().all(|message| failed_ids.contains(&message.id)) {
            break;
        }
        for message in batch {
            if failed_ids.contains(&message.id) {
                continue;
            }
            let copy = SendRequest {
                body: message.body.clone(),
                attributes: message.attributes.clone(),
                delay_seconds: None,
                group_id: destination.fifo.then(|| message.group_id().unwrap_or("redrive").to_owned()),
                // The original id keeps a retried copy from being delivered twice to a FIFO queue.
                deduplication_id: destination.fifo.then(|| message.id.clone()),
            };
            let outcome = match sqs.send(destination.url, &copy).await {
                Ok(_) => sqs.delete(source.url, &message.receipt_handle).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => state.moved += 1,
                Err(error) => {
                    state.failed += 1;
                    first_error.get_or_insert_with(|| error.to_string());
                    failed_ids.insert(message.id.clone());
                }
            }
            progress(state.clone());
        }
    }
    Ok(RedriveReport {
        method: MoveMethod::Copy,
        moved: state.moved,
        failed: state.failed,
        first_error,
        task_handle: None,
    })
}
