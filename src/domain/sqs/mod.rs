//! SQS through an assumed session: a trait the panels call (faked in unit tests) and the
//! real aws-sdk-sqs client. Queue attributes, redrive policies, peeking, sending, deleting,
//! purging and moving messages out of a dead-letter queue.

mod aws;
pub mod changes;
pub mod copy;
mod message;
pub mod message_file;
pub mod message_view;
pub mod move_task;
mod redrive;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Deserialize;

use crate::domain::aws::ForeignAnswer;

pub use aws::{AwsSqs, SqsService};
pub use copy::{CopyEnd, CopyLimits, CopyReport};
pub use message::{AttributeValue, BatchEntry, BatchOutcome, MessageAttribute, PeekedMessage, SendRequest};
pub use move_task::{MoveStatus, MoveTask};
pub use redrive::{MoveMethod, Queue, RedriveOptions, RedriveProgress, RedriveReport, Started, redrive, start};

#[derive(Debug, Clone, PartialEq)]
pub struct QueueSummary {
    pub url: String,
    pub name: String,
    pub fifo: bool,
}

impl QueueSummary {
    pub fn from_url(url: &str) -> Self {
        let name = url.rsplit('/').next().unwrap_or(url).to_owned();
        Self { url: url.to_owned(), fifo: name.ends_with(".fifo"), name }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    #[serde(deserialize_with = "number_or_text")]
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveAllowPolicy {
    pub redrive_permission: String,
    #[serde(default)]
    pub source_queue_arns: Vec<String>,
}

fn number_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u32),
        Text(String),
    }
    match Either::deserialize(deserializer)? {
        Either::Number(number) => Ok(number),
        Either::Text(text) => text.parse().map_err(serde::de::Error::custom),
    }
}

/// GetQueueAttributes(All), with the fields the panels show taken out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueAttributes {
    pub all: BTreeMap<String, String>,
}

impl QueueAttributes {
    fn count(&self, name: &str) -> Option<u64> {
        self.all.get(name).and_then(|value| value.parse().ok())
    }

    pub fn arn(&self) -> Option<&str> {
        self.all.get("QueueArn").map(String::as_str)
    }

    pub fn visible(&self) -> Option<u64> {
        self.count("ApproximateNumberOfMessages")
    }

    pub fn in_flight(&self) -> Option<u64> {
        self.count("ApproximateNumberOfMessagesNotVisible")
    }

    pub fn delayed(&self) -> Option<u64> {
        self.count("ApproximateNumberOfMessagesDelayed")
    }

    pub fn redrive_policy(&self) -> Option<RedrivePolicy> {
        serde_json::from_str(self.all.get("RedrivePolicy")?).ok()
    }

    pub fn redrive_allow_policy(&self) -> Option<RedriveAllowPolicy> {
        serde_json::from_str(self.all.get("RedriveAllowPolicy")?).ok()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqsError {
    #[error("{action}: access denied: {message}; use a role that is allowed to, or ask for the permission")]
    AccessDenied { action: &'static str, message: String },
    #[error("{action}: AWS allows one purge per queue every 60 seconds; this queue was purged less than a minute ago")]
    PurgeInProgress { action: &'static str },
    #[error("{action}: the queue does not exist (any more); list the queues again")]
    NoSuchQueue { action: &'static str },
    #[error("{action}: the endpoint does not support this: {message}")]
    Unsupported { action: &'static str, message: String },
    #[error("{action}: cannot reach SQS: {message}; check the network or the endpoint, then try again")]
    Unreachable { action: &'static str, message: String },
    #[error("{action}: {code}: {message}; try again in a moment")]
    Service { action: &'static str, code: String, message: String },
    /// An answer that is no AWS error (an HTML page, an empty body): what came back, never
    /// its text, and what to do.
    #[error("{action}: {}", .answer.line("SQS"))]
    Foreign { action: &'static str, answer: ForeignAnswer },
    /// A move task refused with no AWS error by an endpoint that is not AWS's: an emulator
    /// or a proxy without move tasks, where a retry never helps but the copy does.
    #[error(
        "{action}: {answer}, not an AWS error: this endpoint has no message move tasks; redrive by copy instead (`sqs redrive --copy`)"
    )]
    NoMoveTasks { action: &'static str, answer: ForeignAnswer },
}

pub fn classify(action: &'static str, code: &str, message: &str) -> SqsError {
    let message = message.to_owned();
    match code {
        "AccessDenied" | "AccessDeniedException" | "AuthorizationError" => SqsError::AccessDenied { action, message },
        "AWS.SimpleQueueService.PurgeQueueInProgress" | "PurgeQueueInProgress" => SqsError::PurgeInProgress { action },
        "AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist" => SqsError::NoSuchQueue { action },
        "UnsupportedOperation" | "InvalidAction" | "NotImplemented" | "UnknownOperationException" => {
            SqsError::Unsupported { action, message }
        }
        _ => SqsError::Service { action, code: code.to_owned(), message },
    }
}

#[async_trait]
pub trait Sqs: Send + Sync {
    /// One page of ListQueues (up to 1000) and the token of the next.
    async fn list_queues_page(&self, next: Option<String>) -> Result<(Vec<QueueSummary>, Option<String>), SqsError>;
    async fn attributes(&self, url: &str) -> Result<QueueAttributes, SqsError>;
    async fn dead_letter_sources(&self, url: &str) -> Result<Vec<String>, SqsError>;
    /// ReceiveMessage with every attribute; `visibility` 0 for a peek.
    async fn receive(&self, url: &str, max: u8, visibility_seconds: u32) -> Result<Vec<PeekedMessage>, SqsError>;
    /// ReceiveMessage that waits up to `wait_seconds` for messages (long polling).
    async fn receive_waiting(
        &self,
        url: &str,
        max: u8,
        visibility_seconds: u32,
        wait_seconds: u32,
    ) -> Result<Vec<PeekedMessage>, SqsError>;
    async fn send(&self, url: &str, request: &SendRequest) -> Result<String, SqsError>;
    /// SendMessageBatch (up to 10 entries): which entries were accepted, which failed and why.
    async fn send_batch(&self, url: &str, entries: &[BatchEntry]) -> Result<BatchOutcome, SqsError>;
    async fn delete(&self, url: &str, receipt_handle: &str) -> Result<(), SqsError>;
    /// DeleteMessageBatch of (entry id, receipt handle) pairs (up to 10).
    async fn delete_batch(&self, url: &str, entries: &[(String, String)]) -> Result<BatchOutcome, SqsError>;
    async fn purge(&self, url: &str) -> Result<(), SqsError>;
    /// StartMessageMoveTask; `None` destination means "back to the sources"; `rate` is
    /// MaxNumberOfMessagesPerSecond.
    async fn start_move(
        &self,
        source_arn: &str,
        destination_arn: Option<&str>,
        rate: Option<u32>,
    ) -> Result<String, SqsError>;
    /// ListMessageMoveTasks: the source's recent tasks (up to 10), newest first.
    async fn list_moves(&self, source_arn: &str) -> Result<Vec<MoveTask>, SqsError>;
    /// CancelMessageMoveTask: the messages moved before it stopped.
    async fn cancel_move(&self, task_handle: &str) -> Result<u64, SqsError>;
}

/// Every queue of the account and region, following ListQueues' pages.
pub async fn list_all_queues(sqs: &dyn Sqs) -> Result<Vec<QueueSummary>, SqsError> {
    let mut queues = Vec::new();
    let mut next = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let (page, token) = sqs.list_queues_page(next).await?;
        queues.extend(page);
        match token {
            // A server that hands out a token twice would have the listing go round forever.
            Some(token) if !seen.insert(token.clone()) => {
                return Err(SqsError::Service {
                    action: "ListQueues",
                    code: "RepeatedNextToken".into(),
                    message: "the server returned the same NextToken twice; the listing was stopped".into(),
                });
            }
            Some(token) if !token.is_empty() => next = Some(token),
            _ => break,
        }
    }
    queues.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(queues)
}

/// The queue named `name_or_url`: a URL as it is, a name found among the account's queues.
pub async fn find_queue(sqs: &dyn Sqs, name_or_url: &str) -> Result<QueueSummary, SqsError> {
    if name_or_url.starts_with("https://") || name_or_url.starts_with("http://") {
        return Ok(QueueSummary::from_url(name_or_url));
    }
    list_all_queues(sqs)
        .await?
        .into_iter()
        .find(|queue| queue.name == name_or_url)
        .ok_or(SqsError::NoSuchQueue { action: "ListQueues" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_policies_are_parsed_from_their_json() {
        let mut attributes = QueueAttributes::default();
        attributes.all.insert(
            "RedrivePolicy".into(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:111111111111:orders-dlq","maxReceiveCount":"3"}"#.into(),
        );
        attributes.all.insert("RedriveAllowPolicy".into(), r#"{"redrivePermission":"allowAll"}"#.into());
        attributes.all.insert("ApproximateNumberOfMessages".into(), "12".into());
        let policy = attributes.redrive_policy().unwrap();
        assert_eq!(policy.max_receive_count, 3);
        assert!(policy.dead_letter_target_arn.ends_with(":orders-dlq"));
        assert_eq!(attributes.redrive_allow_policy().unwrap().redrive_permission, "allowAll");
        assert_eq!(attributes.visible(), Some(12));
        assert_eq!(attributes.in_flight(), None);
    }

    #[test]
    fn message_details_come_from_system_attributes() {
        let message = PeekedMessage {
            id: "m".into(),
            receipt_handle: "r".into(),
            body: r#"{"order":1}"#.into(),
            system: [
                ("ApproximateReceiveCount".to_owned(), "2".to_owned()),
                ("SentTimestamp".to_owned(), "1763715600000".to_owned()),
            ]
            .into(),
            attributes: BTreeMap::new(),
        };
        assert_eq!(message.receive_count(), Some(2));
        assert_eq!(message.sent_at().unwrap().to_string(), "2025-11-21T09:00:00Z");
        assert_eq!(message.pretty_body(), "{\n  \"order\": 1\n}");
    }

    #[test]
    fn queue_names_and_kinds_come_from_urls() {
        let queue = QueueSummary::from_url("http://127.0.0.1:5000/111111111111/events.fifo");
        assert_eq!((queue.name.as_str(), queue.fifo), ("events.fifo", true));
    }

    #[test]
    fn purge_refusals_say_when_to_retry() {
        let error = classify("PurgeQueue", "AWS.SimpleQueueService.PurgeQueueInProgress", "x");
        assert!(error.to_string().contains("one purge per queue every 60 seconds"));
    }
}
