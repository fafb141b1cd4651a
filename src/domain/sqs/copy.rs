//! Moving messages by copying them, for endpoints without move tasks: receive a batch, send
//! it to the destination with SendMessageBatch (every attribute as received, FIFO group kept,
//! a deduplication id from the original message id), then delete with DeleteMessageBatch only
//! the messages whose copy was accepted. An interrupted copy can duplicate, never lose.
//!
//! An empty receive does not mean an empty queue (SQS samples its servers): the copy ends
//! after several quiet receives in a row *and* a queue count of zero, visible and in flight
//! (beyond the messages that failed), or when nothing was moved for `idle_deadline`, or when
//! a stop is asked. Counting the messages in flight is what makes a redrive restarted after
//! a crash wait for the messages the crashed one had hidden, and move them too.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::{BatchEntry, PeekedMessage, Queue, RedriveProgress, SendRequest, Sqs, SqsError};

/// SendMessageBatch's limit on the sum of its messages' sizes.
const BATCH_BYTES: usize = 256 * 1024;
/// A FIFO destination needs a group; a message from a standard queue has none.
const DEFAULT_GROUP: &str = "switchboard-redrive";

#[derive(Debug, Clone, Copy)]
pub struct CopyLimits {
    /// Receives in a row that bring nothing new before the queue's count is asked.
    pub quiet_receives: u32,
    /// Long-poll wait of each receive.
    pub wait_seconds: u32,
    /// How long a message being copied stays hidden from other consumers.
    pub visibility_seconds: u32,
    /// Ends the copy when nothing was moved for this long though the count is not zero.
    pub idle_deadline: Duration,
}

impl Default for CopyLimits {
    fn default() -> Self {
        Self { quiet_receives: 3, wait_seconds: 2, visibility_seconds: 120, idle_deadline: Duration::from_secs(120) }
    }
}

/// Why a copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyEnd {
    /// The queue's count reached zero (or only messages that failed remain).
    Drained,
    Stopped,
    /// Nothing could be moved for the idle deadline while the queue still counted messages.
    Idle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CopyReport {
    pub moved: u64,
    pub failed: u64,
    /// Copies accepted whose original could not be deleted yet (they may arrive twice).
    pub not_deleted: u64,
    pub first_error: Option<String>,
    pub end: CopyEnd,
}

/// The copy of `message` for `destination`: body and attributes untouched.
pub fn copy_request(message: &PeekedMessage, destination_fifo: bool) -> SendRequest {
    SendRequest {
        body: message.body.clone(),
        attributes: message.attributes.clone(),
        delay_seconds: None,
        group_id: destination_fifo.then(|| message.group_id().unwrap_or(DEFAULT_GROUP).to_owned()),
        // The same original always gets the same id: a copy sent again after an interruption
        // is dropped by a FIFO queue within its five-minute deduplication window.
        deduplication_id: destination_fifo.then(|| message.id.clone()),
    }
}

/// Splits messages into SendMessageBatch calls of at most 10 entries and `BATCH_BYTES`.
pub fn batches(messages: Vec<PeekedMessage>) -> Vec<Vec<PeekedMessage>> {
    let mut batches: Vec<Vec<PeekedMessage>> = Vec::new();
    let mut bytes = 0;
    for message in messages {
        let size = message.size();
        match batches.last_mut() {
            Some(batch) if batch.len() < 10 && bytes + size <= BATCH_BYTES => {
                bytes += size;
                batch.push(message);
            }
            _ => {
                bytes = size;
                batches.push(vec![message]);
            }
        }
    }
    batches
}

struct Copier<'a> {
    sqs: &'a dyn Sqs,
    source: &'a Queue<'a>,
    destination: &'a Queue<'a>,
    progress: RedriveProgress,
    not_deleted: HashSet<String>,
    failed: HashSet<String>,
    first_error: Option<String>,
}

impl Copier<'_> {
    fn failure(&mut self, id: &str, why: String) {
        if self.failed.insert(id.to_owned()) {
            self.progress.failed += 1;
        }
        self.first_error.get_or_insert(why);
    }

    /// Deletes the originals whose copy was accepted; those it cannot delete are remembered
    /// and deleted (not copied again) when they come back.
    async fn delete(&mut self, messages: &[PeekedMessage]) {
        if messages.is_empty() {
            return;
        }
        let entries: Vec<(String, String)> = messages
            .iter()
            .enumerate()
            .map(|(index, message)| (format!("m{index}"), message.receipt_handle.clone()))
            .collect();
        let outcome = match self.sqs.delete_batch(self.source.url, &entries).await {
            Ok(outcome) => outcome,
            Err(error) => {
                self.first_error.get_or_insert(error.to_string());
                self.not_deleted.extend(messages.iter().map(|message| message.id.clone()));
                return;
            }
        };
        for (index, message) in messages.iter().enumerate() {
            let entry = format!("m{index}");
            if outcome.accepted.contains(&entry) {
                self.not_deleted.remove(&message.id);
                self.progress.moved += 1;
            } else {
                let why = outcome.failed.iter().find(|(id, _)| *id == entry).map(|(_, why)| why.clone());
                self.first_error.get_or_insert(format!("DeleteMessageBatch: {}", why.unwrap_or_default()));
                self.not_deleted.insert(message.id.clone());
            }
        }
    }

    async fn copy(&mut self, batch: Vec<PeekedMessage>) -> Result<(), SqsError> {
        let entries: Vec<BatchEntry> = batch
            .iter()
            .enumerate()
            .map(|(index, message)| BatchEntry {
                id: format!("m{index}"),
                request: copy_request(message, self.destination.fifo),
            })
            .collect();
        let outcome = self.sqs.send_batch(self.destination.url, &entries).await?;
        let mut accepted = Vec::new();
        for (index, message) in batch.into_iter().enumerate() {
            let entry = format!("m{index}");
            if outcome.accepted.contains(&entry) {
                accepted.push(message);
            } else {
                let why = outcome.failed.iter().find(|(id, _)| *id == entry).map(|(_, why)| why.clone());
                self.failure(&message.id, format!("SendMessageBatch: {}", why.unwrap_or_else(|| "no answer".into())));
            }
        }
        self.delete(&accepted).await;
        Ok(())
    }
}

/// Copies every message of `source` to `destination`, then deletes it (see the module).
pub async fn copy_messages(
    sqs: &dyn Sqs,
    source: &Queue<'_>,
    destination: &Queue<'_>,
    total: u64,
    limits: CopyLimits,
    stop: &AtomicBool,
    mut progress: impl FnMut(RedriveProgress) + Send,
) -> Result<CopyReport, SqsError> {
    let mut copier = Copier {
        sqs,
        source,
        destination,
        progress: RedriveProgress { moved: 0, failed: 0, total },
        not_deleted: HashSet::new(),
        failed: HashSet::new(),
        first_error: None,
    };
    let mut quiet = 0;
    let mut last_moved = Instant::now();
    let end = loop {
        if stop.load(Ordering::SeqCst) {
            break CopyEnd::Stopped;
        }
        if last_moved.elapsed() >= limits.idle_deadline {
            break CopyEnd::Idle;
        }
        let received = sqs.receive_waiting(source.url, 10, limits.visibility_seconds, limits.wait_seconds).await?;
        let (copied_before, fresh): (Vec<_>, Vec<_>) = received
            .into_iter()
            .filter(|message| !copier.failed.contains(&message.id))
            .partition(|message| copier.not_deleted.contains(&message.id));
        if copied_before.is_empty() && fresh.is_empty() {
            quiet += 1;
            if quiet >= limits.quiet_receives {
                let counts = sqs.attributes(source.url).await?;
                let left = counts.visible().unwrap_or(0) + counts.in_flight().unwrap_or(0);
                if left <= copier.failed.len() as u64 {
                    break CopyEnd::Drained;
                }
                quiet = 0;
            }
            continue;
        }
        quiet = 0;
        let before = copier.progress.moved;
        copier.delete(&copied_before).await;
        for batch in batches(fresh) {
            copier.copy(batch).await?;
        }
        if copier.progress.moved > before {
            last_moved = Instant::now();
        }
        progress(copier.progress.clone());
    };
    Ok(CopyReport {
        moved: copier.progress.moved,
        failed: copier.progress.failed,
        not_deleted: copier.not_deleted.len() as u64,
        first_error: copier.first_error,
        end,
    })
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod copy_tests;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::sqs::MessageAttribute;

    fn message(id: &str, body_bytes: usize) -> PeekedMessage {
        PeekedMessage {
            id: id.into(),
            receipt_handle: format!("rh-{id}"),
            body: "x".repeat(body_bytes),
            system: [("MessageGroupId".to_owned(), "g7".to_owned())].into(),
            attributes: BTreeMap::from([("blob".to_owned(), MessageAttribute::binary("Binary.png", vec![0, 255]))]),
        }
    }

    #[test]
    fn batches_hold_ten_messages_and_stay_under_the_size_limit() {
        let small: Vec<_> = (0..23).map(|index| message(&index.to_string(), 10)).collect();
        assert_eq!(batches(small).iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
        let big: Vec<_> = (0..3).map(|index| message(&index.to_string(), 100 * 1024)).collect();
        assert_eq!(batches(big).iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    }

    #[test]
    fn a_copy_keeps_body_attributes_and_group_and_dedups_by_the_original_id() {
        let original = message("id-1", 3);
        let copy = copy_request(&original, true);
        assert_eq!((copy.body.as_str(), &copy.attributes), (original.body.as_str(), &original.attributes));
        assert_eq!((copy.group_id.as_deref(), copy.deduplication_id.as_deref()), (Some("g7"), Some("id-1")));
        let standard = copy_request(&original, false);
        assert_eq!((standard.group_id, standard.deduplication_id), (None, None));
    }
}
