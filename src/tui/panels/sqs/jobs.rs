//! The SQS panel's background work and the results it sends back.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures::StreamExt;

use crate::domain::audit::AuditLog;
use crate::domain::sqs::changes::{ActingRole, RedriveEvent, RedrivePlan, SqsChanges};
use crate::domain::sqs::copy::CopyLimits;
use crate::domain::sqs::{self, Queue, SendRequest, Sqs, SqsService};
use crate::tui::panels::panel::{Job, job};
use crate::tui::panels::services::Services;

use super::messages::{Done, Message, RedriveTarget};

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

/// Who makes a change and where it is recorded: the role as the rails see it (taken when the
/// operator asked) and the audit trail.
#[derive(Debug, Clone)]
pub struct ChangeBy {
    pub role: ActingRole,
    pub audit: AuditLog,
}

impl ChangeBy {
    /// The role's changes through the job's session: its SQS client and region.
    fn changes<'a>(&'a self, services: &'a Services, sqs: &'a dyn Sqs) -> SqsChanges<'a> {
        SqsChanges::new(&self.role, &services.region, sqs, &self.audit)
    }
}

/// Changes to queues go to the log too (what and where, never a message's content).
fn logged(services: &Services, done: Done) -> Message {
    match &done.result {
        Ok(()) => tracing::info!(role = %services.role, "{} {}", done.what, done.url),
        Err(error) => tracing::warn!(role = %services.role, "{}: {error}", done.url),
    }
    Message::Done(done)
}

pub fn send(by: ChangeBy, url: String, request: SendRequest) -> Job<Message> {
    job(move |services, _| async move {
        let sqs = services.client::<SqsService>();
        let result = by.changes(&services, sqs.as_ref()).send(&url, &request).await.map(|_| ());
        logged(&services, Done { what: "sent a message to".into(), url, result })
    })
}

/// Deletes the message `id`; `typed_name` is the queue's name when the operator was asked it.
pub fn delete(
    by: ChangeBy,
    url: String,
    (id, receipt_handle): (String, String),
    typed_name: Option<String>,
) -> Job<Message> {
    job(move |services, _| async move {
        let sqs = services.client::<SqsService>();
        let changes = by.changes(&services, sqs.as_ref());
        let result = changes.delete(&url, &id, &receipt_handle, typed_name.as_deref()).await;
        logged(&services, Done { what: "deleted a message from".into(), url, result })
    })
}

pub fn purge(by: ChangeBy, url: String, typed_name: Option<String>) -> Job<Message> {
    job(move |services, _| async move {
        let sqs = services.client::<SqsService>();
        let result = by.changes(&services, sqs.as_ref()).purge(&url, typed_name.as_deref()).await;
        logged(&services, Done { what: "purged".into(), url, result })
    })
}

/// What a redrive job needs beyond the two queues.
pub struct RedriveRun {
    pub by: ChangeBy,
    /// The dead-letter queue's name as the operator typed it.
    pub typed_name: String,
    pub total: u64,
    pub stop: Arc<AtomicBool>,
    /// Between two ListMessageMoveTasks calls.
    pub poll_every: Duration,
}

/// A move task followed to its end, or the copy when the endpoint has no move tasks; each
/// step is sent to the panel as progress.
pub fn redrive(source: RedriveTarget, destination: RedriveTarget, run: RedriveRun) -> Job<Message> {
    job(move |services, progress| async move {
        let sqs = services.client::<SqsService>();
        let plan = RedrivePlan {
            source: Queue { url: &source.url, arn: &source.arn, fifo: source.fifo },
            destination: Queue { url: &destination.url, arn: &destination.arn, fifo: destination.fifo },
            total: run.total,
            rate: None,
            copy_instead: None,
            limits: CopyLimits::default(),
            poll_every: run.poll_every,
            stop: &run.stop,
        };
        let shown = |event: RedriveEvent| {
            progress(match event {
                RedriveEvent::MoveStarted { handle } => Message::MoveStarted { handle },
                RedriveEvent::Copying { why } => Message::CopyNote(why),
                RedriveEvent::MoveStatus(task) => Message::MoveStatus(task),
                RedriveEvent::Copied(step) => Message::RedriveStep(step),
            });
        };
        let changes = run.by.changes(&services, sqs.as_ref());
        let result = changes.redrive(plan, Some(&run.typed_name), shown).await.map(|redriven| redriven.report());
        match &result {
            Ok(report) => tracing::info!(role = %services.role, "redrive {} -> {}: {:?}, {} moved, {} failed",
                source.url, destination.url, report.method, report.moved, report.failed),
            Err(error) => tracing::warn!(role = %services.role, "redrive {}: {error}", source.url),
        }
        Message::Redriven(result)
    })
}

/// CancelMessageMoveTask; the watch of the task sees it end.
pub fn cancel_move(by: ChangeBy, source_url: String, handle: String) -> Job<Message> {
    job(move |services, _| async move {
        let sqs = services.client::<SqsService>();
        Message::CancelAnswered(by.changes(&services, sqs.as_ref()).cancel_move(&source_url, &handle).await)
    })
}
