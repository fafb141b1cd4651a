//! A dead-letter queue's messages moved back, audited: a move task followed to its end, or
//! the copy where the endpoint has no move tasks (or one is asked for). The trail gets a
//! `redrive-start` line, a `redrive-progress` line per change of the task's status or per
//! batch copied, and a `redrive-end` line saying how it ended, whatever happened.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::domain::sqs::copy::{CopyLimits, CopyReport, copy_messages};
use crate::domain::sqs::{
    MoveMethod, MoveStatus, MoveTask, Queue, RedriveProgress, RedriveReport, Started, move_task, start,
};

use super::{Change, ChangeError, SqsChanges, queue_name};

/// What a redrive moves, where to, and how.
pub struct RedrivePlan<'a> {
    /// The dead-letter queue.
    pub source: Queue<'a>,
    pub destination: Queue<'a>,
    /// The source's approximate count as the redrive starts.
    pub total: u64,
    /// The move task's MaxNumberOfMessagesPerSecond (SQS's own rate otherwise).
    pub rate: Option<u32>,
    /// Copy without asking for a move task, for this reason (said to the operator).
    pub copy_instead: Option<String>,
    pub limits: CopyLimits,
    /// Between two ListMessageMoveTasks calls.
    pub poll_every: Duration,
    /// Asks the copy to stop after its current batch (a move task is cancelled instead).
    pub stop: &'a AtomicBool,
}

/// How far a redrive is, as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum RedriveEvent {
    /// SQS took the move task.
    MoveStarted { handle: String },
    /// switchboard copies the messages itself, and why.
    Copying { why: String },
    /// The move task's status, as last listed (its final one too).
    MoveStatus(MoveTask),
    /// The copy's counts after a batch.
    Copied(RedriveProgress),
}

/// How a redrive ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Redriven {
    /// The move task `handle`, as it was last listed (COMPLETED, CANCELLED or FAILED).
    MoveTask { handle: String, task: MoveTask },
    /// The copy, why it was used, and its counts.
    Copy { why: String, report: CopyReport },
}

impl Redriven {
    /// The report as the screen shows it.
    pub fn report(&self) -> RedriveReport {
        match self {
            Redriven::MoveTask { handle, task } => RedriveReport {
                method: MoveMethod::MoveTask,
                moved: task.moved,
                failed: 0,
                first_error: task.failure.clone(),
                note: Some(format!("the move task {handle} ended {}", task.status.as_str())),
                task_handle: Some(handle.clone()),
                end: None,
            },
            Redriven::Copy { why, report } => RedriveReport {
                method: MoveMethod::Copy,
                moved: report.moved,
                failed: report.failed,
                first_error: report.first_error.clone(),
                task_handle: None,
                note: Some(why.clone()),
                end: Some(report.end),
            },
        }
    }
}

/// A queue's name from its ARN.
fn name_of_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

impl SqsChanges<'_> {
    /// Moves the messages of `plan.source` to `plan.destination`: a move task where the
    /// endpoint has them, else the copy (only an unknown-operation answer turns into it).
    /// `typed_name` is the dead-letter queue's name as the operator typed it.
    pub async fn redrive(
        &self,
        plan: RedrivePlan<'_>,
        typed_name: Option<&str>,
        mut progress: impl FnMut(RedriveEvent) + Send,
    ) -> Result<Redriven, ChangeError> {
        self.role.allows(Change::Redrive, &queue_name(plan.source.url), typed_name)?;
        let to = format!("to {}", name_of_arn(plan.destination.arn));
        self.audit.record(&self.entry(plan.source.url, "redrive-start").count(plan.total).detail(to.clone()));
        let started = match &plan.copy_instead {
            Some(why) => Started::CopyInstead { why: why.clone() },
            None => match start(self.sqs, &plan.source, &plan.destination, plan.rate).await {
                Ok(started) => started,
                Err(error) => {
                    let end = self.entry(plan.source.url, "redrive-end").detail(to);
                    self.audit.record(&end.outcome(&Err::<(), _>(&error)));
                    return Err(error.into());
                }
            },
        };
        match started {
            Started::MoveTask { handle } => {
                progress(RedriveEvent::MoveStarted { handle: handle.clone() });
                self.follow(&plan, &to, handle, progress).await
            }
            Started::CopyInstead { why } => {
                progress(RedriveEvent::Copying { why: why.clone() });
                self.copy(&plan, &to, why, progress).await
            }
        }
    }

    /// Polls the move task until it ends; each change of its status is a line of the trail.
    async fn follow(
        &self,
        plan: &RedrivePlan<'_>,
        to: &str,
        handle: String,
        mut progress: impl FnMut(RedriveEvent) + Send,
    ) -> Result<Redriven, ChangeError> {
        let url = plan.source.url;
        let mut last = None;
        let watched = move_task::watch(
            self.sqs,
            plan.source.arn,
            &handle,
            |task| {
                if last != Some(task.status) && !task.status.finished() {
                    last = Some(task.status);
                    let line = self.entry(url, "redrive-progress").count(task.moved);
                    self.audit.record(&line.detail(format!("{to}; move task {handle} {}", task.status.as_str())));
                }
                progress(RedriveEvent::MoveStatus(task.clone()));
            },
            || tokio::time::sleep(plan.poll_every),
        )
        .await;
        let end = self.entry(url, "redrive-end");
        let task = match watched {
            Ok(task) => task,
            Err(error) => {
                self.audit.record(&end.detail(format!("{to}; move task {handle}")).outcome(&Err::<(), _>(&error)));
                return Err(error.into());
            }
        };
        let failure = task.failure.as_deref().map(|why| format!(": {why}")).unwrap_or_default();
        let mut end = end
            .count(task.moved)
            .detail(format!("{to}; the move task {handle} ended {}{failure}", task.status.as_str()));
        // A task cancelled by the operator did what was asked; one that failed did not.
        end.ok = task.status != MoveStatus::Failed && task.failure.is_none();
        self.audit.record(&end);
        Ok(Redriven::MoveTask { handle, task })
    }

    /// Copies message by message; each batch is a line of the trail.
    async fn copy(
        &self,
        plan: &RedrivePlan<'_>,
        to: &str,
        why: String,
        mut progress: impl FnMut(RedriveEvent) + Send,
    ) -> Result<Redriven, ChangeError> {
        let url = plan.source.url;
        let step = |step: RedriveProgress| {
            let line = self.entry(url, "redrive-progress").count(step.moved);
            self.audit.record(&line.detail(format!("{to}; {} failed", step.failed)));
            progress(RedriveEvent::Copied(step));
        };
        let copied =
            copy_messages(self.sqs, &plan.source, &plan.destination, plan.total, plan.limits, plan.stop, step).await;
        let end = self.entry(url, "redrive-end");
        match copied {
            Ok(report) => {
                let detail = format!("{to}; copy; {} failed; {:?}", report.failed, report.end);
                self.audit.record(&end.count(report.moved).detail(detail));
                Ok(Redriven::Copy { why, report })
            }
            Err(error) => {
                self.audit.record(&end.detail(format!("{to}; copy")).outcome(&Err::<(), _>(&error)));
                Err(error.into())
            }
        }
    }
}
