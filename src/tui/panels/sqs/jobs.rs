//! The SQS panel's background work and the results it sends back.

use crate::domain::sqs::SqsService;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures::StreamExt;

use crate::domain::audit::{AuditEntry, AuditLog};
use crate::domain::sqs::copy::{CopyLimits, copy_messages};
use crate::domain::sqs::{self, MoveMethod, RedriveProgress, RedriveReport, SendRequest, SqsError, Started, move_task};
use crate::tui::panels::panel::{Job, Progress, job};
use crate::tui::panels::services::Services;

use super::messages::{Done, Message, RedriveTarget, name_of_arn};

/// Attribute requests in flight at once from one listing, under the shared slots too.
const ATTRIBUTE_CONCURRENCY: usize = 8;
/// Queues whose counts come back in one result, so a huge account fills in gradually.
const ATTRIBUTE_BATCH: usize = 50;

pub fn list(generation: u64) -> Job<Message> {
    job(move |services, _| async move {
        Message::Listed { generation, result: sqs::list_all_queues(services.client::<SqsService>().as_ref()).await }
    })
}

/// Counts for `urls`, a batch per result, fetched a few at a time.
pub fn count(generation: u64, urls: Vec<String>) -> Vec<Job<Message>> {
    urls.chunks(ATTRIBUTE_BATCH)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            job(move |services, _| async move {
                let counts = futures::stream::iter(chunk)
                    .map(|url| {
                        let services = Arc::clone(&services);
                        async move {
                            let _slot = services.slots.acquire().await;
                            let result = services.client::<SqsService>().attributes(&url).await;
                            (url, result)
                        }
                    })
                    .buffer_unordered(ATTRIBUTE_CONCURRENCY)
                    .collect()
                    .await;
                Message::Counted { generation, counts }
            })
        })
        .collect()
}

pub fn sources(url: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.client::<SqsService>().dead_letter_sources(&url).await;
        Message::Sources { url, result }
    })
}

/// Signs in with the role's session and starts the browser on the queue's console page.
pub fn open_console(url: String) -> Job<Message> {
    use crate::domain::console;
    job(move |services, _| async move {
        let destination = console::Destination::Queue { url }.url(&services.region);
        let left = services.credentials.time_left(jiff::Timestamp::now());
        let duration = console::session_duration(left);
        let result =
            match console::signin_url(&services.credentials, &services.federation_url, &destination, duration).await {
                Ok(signin) => {
                    console::open_in_browser(&signin).map_err(|error| format!("cannot start the browser: {error}"))
                }
                Err(error) => Err(error.to_string()),
            };
        Message::ConsoleOpened(result)
    })
}

/// Up to 10 messages with visibility timeout 0: they stay available to consumers.
pub fn peek(url: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.client::<SqsService>().receive(&url, 10, 0).await;
        Message::Peeked { url, result }
    })
}

/// Changes to queues go to the log and the audit trail (what and where, never a message's content).
fn logged(services: &Services, audit: &AuditLog, entry: AuditEntry, done: Done) -> Message {
    match &done.result {
        Ok(()) => tracing::info!(role = %services.role, "{} {}", done.what, done.url),
        Err(error) => tracing::warn!(role = %services.role, "{}: {error}", done.url),
    }
    audit.record(&entry.outcome(&done.result));
    Message::Done(done)
}

fn entry(services: &Services, url: &str, action: &str) -> AuditEntry {
    AuditEntry::new(&services.role, &services.region, url, action)
}

pub fn send(audit: AuditLog, url: String, request: SendRequest) -> Job<Message> {
    job(move |services, _| async move {
        let sent = services.client::<SqsService>().send(&url, &request).await;
        let ids = sent.as_ref().map(|id| vec![id.clone()]).unwrap_or_default();
        let record = entry(&services, &url, "send").ids(ids).count(u64::from(sent.is_ok()));
        logged(&services, &audit, record, Done { what: "sent a message to".into(), url, result: sent.map(|_| ()) })
    })
}

pub fn delete(audit: AuditLog, url: String, id: String, receipt_handle: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.client::<SqsService>().delete(&url, &receipt_handle).await;
        let record = entry(&services, &url, "delete").ids(vec![id]).count(u64::from(result.is_ok()));
        logged(&services, &audit, record, Done { what: "deleted a message from".into(), url, result })
    })
}

pub fn purge(audit: AuditLog, url: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.client::<SqsService>().purge(&url).await;
        let record = entry(&services, &url, "purge");
        logged(&services, &audit, record, Done { what: "purged".into(), url, result })
    })
}

/// What a redrive job needs beyond the two queues.
pub struct RedriveRun {
    pub audit: AuditLog,
    pub total: u64,
    pub stop: Arc<AtomicBool>,
    /// Between two ListMessageMoveTasks calls.
    pub poll_every: Duration,
}

/// A move task followed to its end, or the copy when the endpoint has no move tasks.
pub fn redrive(source: RedriveTarget, destination: RedriveTarget, run: RedriveRun) -> Job<Message> {
    job(move |services, progress| async move {
        let to = format!("to {}", name_of_arn(&destination.arn));
        run.audit.record(&entry(&services, &source.url, "redrive-start").count(run.total).detail(to.clone()));
        let from = sqs::Queue { url: &source.url, arn: &source.arn, fifo: source.fifo };
        let into = sqs::Queue { url: &destination.url, arn: &destination.arn, fifo: destination.fifo };
        let result = match sqs::start(services.client::<SqsService>().as_ref(), &from, &into, None).await {
            Ok(Started::MoveTask { handle }) => {
                progress(Message::MoveStarted { handle: handle.clone() });
                follow(&services, &source, handle, &run, &progress).await
            }
            Ok(Started::CopyInstead { why }) => {
                progress(Message::CopyNote(why.clone()));
                let audit = run.audit.clone();
                let step = |step: RedriveProgress| {
                    let line = entry(&services, &source.url, "redrive-progress").count(step.moved);
                    audit.record(&line.detail(format!("{to}; {} failed", step.failed)));
                    progress(Message::RedriveStep(step));
                };
                let copied = copy_messages(
                    services.client::<SqsService>().as_ref(),
                    &from,
                    &into,
                    run.total,
                    CopyLimits::default(),
                    &run.stop,
                    step,
                )
                .await;
                copied.map(|report| RedriveReport {
                    method: MoveMethod::Copy,
                    moved: report.moved,
                    failed: report.failed,
                    first_error: report.first_error,
                    task_handle: None,
                    note: Some(why),
                    end: Some(report.end),
                })
            }
            Err(error) => Err(error),
        };
        let mut end = entry(&services, &source.url, "redrive-end").outcome(&result);
        match &result {
            Ok(report) => {
                let how = report.note.as_deref().filter(|_| report.method == MoveMethod::MoveTask);
                let how = how.map_or_else(|| format!("{:?}", report.method), str::to_owned);
                end = end.count(report.moved).detail(format!("{to}; {how}; {} failed", report.failed));
                // A move task that ended FAILED or CANCELLED says so, with its reason.
                if report.method == MoveMethod::MoveTask
                    && let Some(failure) = &report.first_error
                {
                    end.ok = false;
                    end = end.detail(format!("{to}; move task: {failure}"));
                }
                tracing::info!(role = %services.role, "redrive {} -> {}: {:?}, {} moved, {} failed",
                    source.url, destination.url, report.method, report.moved, report.failed);
            }
            Err(error) => tracing::warn!(role = %services.role, "redrive {}: {error}", source.url),
        }
        run.audit.record(&end);
        Message::Redriven(result)
    })
}

/// Polls the move task until it ends; its last status is the report.
/// Each change of status is a line of the audit trail.
async fn follow(
    services: &Services,
    source: &RedriveTarget,
    handle: String,
    run: &RedriveRun,
    progress: &Progress<Message>,
) -> Result<RedriveReport, SqsError> {
    let mut last = None;
    let task = move_task::watch(
        services.client::<SqsService>().as_ref(),
        &source.arn,
        &handle,
        |task| {
            if last != Some(task.status) && !task.status.finished() {
                last = Some(task.status);
                let line = entry(services, &source.url, "redrive-progress").count(task.moved);
                run.audit.record(&line.detail(format!("move task {handle}: {}", task.status.as_str())));
            }
            progress(Message::MoveStatus(task.clone()));
        },
        || tokio::time::sleep(run.poll_every),
    )
    .await?;
    Ok(RedriveReport {
        method: MoveMethod::MoveTask,
        moved: task.moved,
        failed: 0,
        first_error: task.failure.clone(),
        note: Some(format!("the move task {handle} ended {}", task.status.as_str())),
        task_handle: Some(handle),
        end: None,
    })
}

/// CancelMessageMoveTask; the watch of the task sees it end.
pub fn cancel_move(audit: AuditLog, source_url: String, handle: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.client::<SqsService>().cancel_move(&handle).await;
        let moved = result.as_ref().copied().unwrap_or(0);
        audit.record(&entry(&services, &source_url, "move-cancel").count(moved).detail(handle).outcome(&result));
        Message::CancelAnswered(result)
    })
}
