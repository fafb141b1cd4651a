//! Changes to SQS queues, with their rails and their audit lines: the one way the front ends
//! send, delete, purge, redrive and cancel move tasks. Each operation first asks the rails
//! (`rails.rs`: a read_only role changes nothing; some changes need the queue's name typed),
//! then makes the call and writes the audit trail's line for it, failed or not. A refused
//! change reaches neither SQS nor the trail. How the operator is asked (a typed name on the
//! screen, `--confirm` on the command line) and how the outcome is shown stay in the front end.

mod rails;
mod redrive;
#[cfg(test)]
mod tests;

use std::path::Path;

use crate::domain::audit::{AuditEntry, AuditLog};

use super::copy::{batches, copy_request};
use super::{BatchEntry, PeekedMessage, QueueSummary, SendRequest, Sqs, SqsError};

pub use rails::{ActingRole, Change, Confirmation, Refused};
pub use redrive::{RedriveEvent, RedrivePlan, Redriven};

/// Why a change did not happen: the rails refused it, or SQS did.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Sqs(#[from] SqsError),
}

/// How a replay of saved messages went. A batch SQS refused as a whole stops the replay:
/// `failure` says why, and `sent` holds what went before it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendReport {
    /// The original ids of the messages SQS accepted.
    pub sent: Vec<String>,
    /// (original id, why) of the messages SQS refused one by one.
    pub refused: Vec<(String, String)>,
    pub failure: Option<SqsError>,
}

/// The audited changes a role makes to queues of its account and region.
pub struct SqsChanges<'a> {
    role: &'a ActingRole,
    /// The region of the role's session (the audit trail says where).
    region: &'a str,
    sqs: &'a dyn Sqs,
    audit: &'a AuditLog,
}

/// The queue's name, as the operator types it to confirm.
fn queue_name(url: &str) -> String {
    QueueSummary::from_url(url).name
}

impl<'a> SqsChanges<'a> {
    pub fn new(role: &'a ActingRole, region: &'a str, sqs: &'a dyn Sqs, audit: &'a AuditLog) -> Self {
        Self { role, region, sqs, audit }
    }

    fn entry(&self, url: &str, action: &str) -> AuditEntry {
        AuditEntry::new(&self.role.key, self.region, url, action)
    }

    /// SendMessage of one message; its id.
    pub async fn send(&self, url: &str, request: &SendRequest) -> Result<String, ChangeError> {
        self.role.allows(Change::SendMessage, &queue_name(url), None)?;
        let sent = self.sqs.send(url, request).await;
        let ids = sent.as_ref().map(|id| vec![id.clone()]).unwrap_or_default();
        self.audit.record(&self.entry(url, "send").ids(ids).count(u64::from(sent.is_ok())).outcome(&sent));
        Ok(sent?)
    }

    /// Saved messages (as `sqs dump` writes them) sent again with SendMessageBatch, their
    /// attributes kept and, to a FIFO queue, their group and a deduplication id from their
    /// original id. One audit line per batch, naming the file they came from.
    pub async fn send_saved(
        &self,
        queue: &QueueSummary,
        messages: Vec<PeekedMessage>,
        from: &Path,
        typed_name: Option<&str>,
    ) -> Result<SendReport, Refused> {
        self.role.allows(Change::SendSaved, &queue.name, typed_name)?;
        let from = format!("from {}", from.display());
        let mut report = SendReport::default();
        for batch in batches(messages) {
            let entries: Vec<BatchEntry> = batch
                .iter()
                .enumerate()
                .map(|(index, message)| BatchEntry {
                    id: format!("m{index}"),
                    request: copy_request(message, queue.fifo),
                })
                .collect();
            let entry = self.entry(&queue.url, "send");
            let outcome = match self.sqs.send_batch(&queue.url, &entries).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    self.audit.record(&entry.detail(from).outcome(&Err::<(), _>(&error)));
                    report.failure = Some(error);
                    return Ok(report);
                }
            };
            let mut batch_sent = Vec::new();
            for (index, message) in batch.iter().enumerate() {
                let id = format!("m{index}");
                match outcome.failed.iter().find(|(failed, _)| *failed == id) {
                    Some((_, why)) => report.refused.push((message.id.clone(), why.clone())),
                    None => batch_sent.push(message.id.clone()),
                }
            }
            let count = batch_sent.len() as u64;
            self.audit.record(&entry.ids(batch_sent.clone()).count(count).detail(from.clone()));
            report.sent.extend(batch_sent);
        }
        Ok(report)
    }

    /// DeleteMessage of the message `id`, received with `receipt_handle`.
    pub async fn delete(
        &self,
        url: &str,
        id: &str,
        receipt_handle: &str,
        typed_name: Option<&str>,
    ) -> Result<(), ChangeError> {
        self.role.allows(Change::Delete, &queue_name(url), typed_name)?;
        let result = self.sqs.delete(url, receipt_handle).await;
        let line = self.entry(url, "delete").ids(vec![id.to_owned()]).count(u64::from(result.is_ok()));
        self.audit.record(&line.outcome(&result));
        Ok(result?)
    }

    /// PurgeQueue: every message of the queue, gone.
    pub async fn purge(&self, url: &str, typed_name: Option<&str>) -> Result<(), ChangeError> {
        self.role.allows(Change::Purge, &queue_name(url), typed_name)?;
        let result = self.sqs.purge(url).await;
        self.audit.record(&self.entry(url, "purge").outcome(&result));
        Ok(result?)
    }

    /// CancelMessageMoveTask of the task `handle` moving the messages of `source_url`; the
    /// messages it moved before it stopped.
    pub async fn cancel_move(&self, source_url: &str, handle: &str) -> Result<u64, ChangeError> {
        self.role.allows(Change::CancelMove, &queue_name(source_url), None)?;
        let result = self.sqs.cancel_move(handle).await;
        let moved = result.as_ref().copied().unwrap_or(0);
        self.audit.record(&self.entry(source_url, "move-cancel").count(moved).detail(handle).outcome(&result));
        Ok(result?)
    }
}
