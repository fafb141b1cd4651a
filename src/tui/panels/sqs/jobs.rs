//! The SQS panel's background work and the results it sends back.

use std::sync::Arc;

use futures::StreamExt;

use crate::domain::sqs::{self, RedriveProgress, SendRequest};
use crate::tui::panels::{Job, Services, job};

use super::results::{Done, Message};

/// Attribute requests in flight at once from one listing, under the shared slots too.
const ATTRIBUTE_CONCURRENCY: usize = 8;
/// Queues whose counts come back in one result, so a huge account fills in gradually.
const ATTRIBUTE_BATCH: usize = 50;

pub fn list(generation: u64) -> Job<Message> {
    job(move |services, _| async move {
        Message::Listed { generation, result: sqs::list_all_queues(services.sqs.as_ref()).await }
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
                            let result = services.sqs.attributes(&url).await;
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
        let result = services.sqs.dead_letter_sources(&url).await;
        Message::Sources { url, result }
    })
}

/// Up to 10 messages with visibility timeout 0: they stay available to consumers.
pub fn peek(url: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.sqs.receive(&url, 10, 0).await;
        Message::Peeked { url, result }
    })
}

/// Changes to queues go to the log too (what and where, never a message's content).
fn logged(services: &Services, done: Done) -> Message {
    match &done.result {
        Ok(()) => tracing::info!(role = %services.role, "{} {}", done.what, done.url),
        Err(error) => tracing::warn!(role = %services.role, "{}: {error}", done.url),
    }
    Message::Done(done)
}

pub fn send(url: String, request: SendRequest) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.sqs.send(&url, &request).await.map(|_| ());
        logged(&services, Done { what: "sent a message to".into(), url, result })
    })
}

pub fn delete(url: String, receipt_handle: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.sqs.delete(&url, &receipt_handle).await;
        logged(&services, Done { what: "deleted a message from".into(), url, result })
    })
}

pub fn purge(url: String) -> Job<Message> {
    job(move |services, _| async move {
        let result = services.sqs.purge(&url).await;
        logged(&services, Done { what: "purged".into(), url, result })
    })
}

pub struct RedriveTarget {
    pub url: String,
    pub arn: String,
    pub fifo: bool,
}

impl std::fmt::Debug for RedriveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

pub fn redrive(source: RedriveTarget, destination: RedriveTarget, total: u64) -> Job<Message> {
    job(move |services, progress| async move {
        let progress = |step: RedriveProgress| progress(Message::RedriveStep(step));
        let result = sqs::redrive(
            services.sqs.as_ref(),
            sqs::Queue { url: &source.url, arn: &source.arn, fifo: source.fifo },
            sqs::Queue { url: &destination.url, arn: &destination.arn, fifo: destination.fifo },
            total,
            progress,
        )
        .await;
        match &result {
            Ok(report) => tracing::info!(
                role = %services.role,
                "redrive {} -> {}: {:?}, {} moved, {} failed",
                source.url,
                destination.url,
                report.method,
                report.moved,
                report.failed
            ),
            Err(error) => tracing::warn!(role = %services.role, "redrive {}: {error}", source.url),
        }
        Message::Redriven(result)
    })
}
