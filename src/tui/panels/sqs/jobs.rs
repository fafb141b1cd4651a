//! The SQS panel's background work and the results it sends back.

use std::sync::Arc;

use futures::StreamExt;

use crate::domain::sqs::{
    self, PeekedMessage, QueueAttributes, QueueSummary, RedriveProgress, RedriveReport, SendRequest, SqsError,
};
use crate::tui::panels::{Job, job};

/// Attribute requests in flight at once from one listing, under the shared slots too.
const ATTRIBUTE_CONCURRENCY: usize = 8;
/// Queues whose counts come back in one result, so a huge account fills in gradually.
const ATTRIBUTE_BATCH: usize = 50;

pub struct Listed {
    pub generation: u64,
    pub result: Result<Vec<QueueSummary>, SqsError>,
}

pub struct Counted {
    pub generation: u64,
    pub counts: Vec<(String, Result<QueueAttributes, SqsError>)>,
}

pub struct Sources {
    pub url: String,
    pub result: Result<Vec<String>, SqsError>,
}

pub struct Peeked {
    pub url: String,
    pub result: Result<Vec<PeekedMessage>, SqsError>,
}

pub struct Done {
    pub what: String,
    pub url: String,
    pub result: Result<(), SqsError>,
}

pub struct RedriveStep(pub RedriveProgress);

pub struct Redriven(pub Result<RedriveReport, SqsError>);

pub fn list(generation: u64) -> Job {
    job(move |services| async move { Listed { generation, result: sqs::list_all_queues(services.sqs.as_ref()).await } })
}

/// Counts for `urls`, a batch per result, fetched a few at a time.
pub fn count(generation: u64, urls: Vec<String>) -> Vec<Job> {
    urls.chunks(ATTRIBUTE_BATCH)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            job(move |services| async move {
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
                Counted { generation, counts }
            })
        })
        .collect()
}

pub fn sources(url: String) -> Job {
    job(move |services| async move {
        let result = services.sqs.dead_letter_sources(&url).await;
        Sources { url, result }
    })
}

/// Up to 10 messages with visibility timeout 0: they stay available to consumers.
pub fn peek(url: String) -> Job {
    job(move |services| async move {
        let result = services.sqs.receive(&url, 10, 0).await;
        Peeked { url, result }
    })
}

/// Changes to queues go to the log too (what and where, never a message's content).
fn logged(services: &crate::tui::panels::Services, done: Done) -> Done {
    match &done.result {
        Ok(()) => tracing::info!(role = %services.role, "{} {}", done.what, done.url),
        Err(error) => tracing::warn!(role = %services.role, "{}: {error}", done.url),
    }
    done
}

pub fn send(url: String, request: SendRequest) -> Job {
    job(move |services| async move {
        let result = services.sqs.send(&url, &request).await.map(|_| ());
        logged(&services, Done { what: "sent a message to".into(), url, result })
    })
}

pub fn delete(url: String, receipt_handle: String) -> Job {
    job(move |services| async move {
        let result = services.sqs.delete(&url, &receipt_handle).await;
        logged(&services, Done { what: "deleted a message from".into(), url, result })
    })
}

pub fn purge(url: String) -> Job {
    job(move |services| async move {
        let result = services.sqs.purge(&url).await;
        logged(&services, Done { what: "purged".into(), url, result })
    })
}

pub struct RedriveTarget {
    pub url: String,
    pub arn: String,
    pub fifo: bool,
}

pub fn redrive(source: RedriveTarget, destination: RedriveTarget, total: u64) -> Job {
    job(move |services| async move {
        let progress = |step: RedriveProgress| (services.progress)(Box::new(RedriveStep(step)));
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
        Redriven(result)
    })
}
