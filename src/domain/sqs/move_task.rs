//! SQS message move tasks (StartMessageMoveTask): SQS moves a dead-letter queue's messages
//! itself; switchboard starts the task with an optional rate, follows it through
//! ListMessageMoveTasks until it ends, and cancels it when asked.

use std::time::Duration;

use super::{Sqs, SqsError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveStatus {
    Running,
    Completed,
    Cancelling,
    Cancelled,
    Failed,
}

impl MoveStatus {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "RUNNING" => MoveStatus::Running,
            "COMPLETED" => MoveStatus::Completed,
            "CANCELLING" => MoveStatus::Cancelling,
            "CANCELLED" => MoveStatus::Cancelled,
            "FAILED" => MoveStatus::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Running => "RUNNING",
            MoveStatus::Completed => "COMPLETED",
            MoveStatus::Cancelling => "CANCELLING",
            MoveStatus::Cancelled => "CANCELLED",
            MoveStatus::Failed => "FAILED",
        }
    }

    /// The task will not change any more.
    pub fn finished(self) -> bool {
        matches!(self, MoveStatus::Completed | MoveStatus::Cancelled | MoveStatus::Failed)
    }
}

/// One task as ListMessageMoveTasks reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveTask {
    /// Only a running task has one (it is what CancelMessageMoveTask takes).
    pub handle: Option<String>,
    pub status: MoveStatus,
    pub destination_arn: Option<String>,
    pub rate: Option<u32>,
    pub moved: u64,
    /// How many messages the task set out to move, when SQS knows.
    pub to_move: Option<u64>,
    pub failure: Option<String>,
    pub started_millis: i64,
}

/// How often a running task's status is asked.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// ListMessageMoveTasks calls that may fail in a row before the watch gives up.
const POLL_FAILURES: u32 = 3;

/// The task started as `handle`, or the newest one of the source when SQS lists it without
/// its handle (finished tasks lose it).
fn pick(tasks: Vec<MoveTask>, handle: &str) -> Option<MoveTask> {
    let mut tasks = tasks;
    tasks.sort_by_key(|task| std::cmp::Reverse(task.started_millis));
    let at = tasks.iter().position(|task| task.handle.as_deref() == Some(handle)).unwrap_or(0);
    (!tasks.is_empty()).then(|| tasks.swap_remove(at))
}

/// Follows the task `handle` of `source_arn` until it ends, telling `progress` each status.
/// `pause` waits between polls (a timer in use, nothing in tests).
pub async fn watch<P, F>(
    sqs: &dyn Sqs,
    source_arn: &str,
    handle: &str,
    mut progress: impl FnMut(&MoveTask) + Send,
    mut pause: P,
) -> Result<MoveTask, SqsError>
where
    P: FnMut() -> F + Send,
    F: Future<Output = ()> + Send,
{
    let mut failures = 0;
    loop {
        match sqs.list_moves(source_arn).await {
            Ok(tasks) => {
                failures = 0;
                let task = pick(tasks, handle).ok_or_else(|| SqsError::Service {
                    action: "ListMessageMoveTasks",
                    code: "NoTask".into(),
                    message: "the started move task is not listed".into(),
                })?;
                progress(&task);
                if task.status.finished() {
                    return Ok(task);
                }
            }
            Err(error @ (SqsError::AccessDenied { .. } | SqsError::NoSuchQueue { .. })) => return Err(error),
            Err(error) => {
                failures += 1;
                if failures >= POLL_FAILURES {
                    return Err(error);
                }
            }
        }
        pause().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(handle: Option<&str>, status: MoveStatus, started_millis: i64) -> MoveTask {
        MoveTask {
            handle: handle.map(str::to_owned),
            status,
            destination_arn: None,
            rate: None,
            moved: 0,
            to_move: None,
            failure: None,
            started_millis,
        }
    }

    #[test]
    fn the_started_task_is_found_by_handle_else_the_newest() {
        let tasks = vec![task(None, MoveStatus::Completed, 5), task(Some("h"), MoveStatus::Running, 1)];
        assert_eq!(pick(tasks.clone(), "h").unwrap().status, MoveStatus::Running);
        assert_eq!(pick(tasks, "gone").unwrap().started_millis, 5);
        assert_eq!(pick(Vec::new(), "h"), None);
        assert_eq!(MoveStatus::parse("FAILED"), Some(MoveStatus::Failed));
        assert!(MoveStatus::Cancelled.finished() && !MoveStatus::Cancelling.finished());
    }
}
