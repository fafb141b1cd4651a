//! An in-memory SQS: queues with messages and counts, every call recorded as
//! "Action queue details", AccessDenied for the actions a test denies, move tasks that
//! answer a scripted sequence of statuses, and batch entries that fail on request.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use async_trait::async_trait;

use crate::domain::sqs::{
    BatchEntry, BatchOutcome, MoveStatus, MoveTask, PeekedMessage, QueueAttributes, QueueSummary, SendRequest, Sqs,
    SqsError,
};

/// How StartMessageMoveTask answers.
#[derive(Debug, Clone)]
enum MoveMode {
    /// As an endpoint without the API: an unknown-operation error.
    Unknown,
    /// A task handle; ListMessageMoveTasks then plays the script.
    Offered,
    /// This error (throttling, a service error, ...).
    Failing(SqsError),
}

#[derive(Debug, Clone, Default)]
pub struct FakeQueue {
    pub name: String,
    pub messages: Vec<PeekedMessage>,
    /// Messages counted as visible but never handed out (a big backlog without the bodies).
    pub backlog: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Attributes beyond the counts and the ARN (RedrivePolicy, FifoQueue, ...).
    pub attributes: Vec<(String, String)>,
}

impl FakeQueue {
    pub fn named(name: &str) -> Self {
        Self { name: name.to_owned(), ..Self::default() }
    }
}

pub struct FakeSqs {
    pub account: String,
    pub region: String,
    queues: Mutex<Vec<FakeQueue>>,
    calls: Mutex<Vec<String>>,
    denied: Mutex<Vec<&'static str>>,
    move_mode: Mutex<MoveMode>,
    /// What ListMessageMoveTasks answers, one step per call; the last one stays.
    move_script: Mutex<VecDeque<MoveTask>>,
    /// SendMessageBatch entries whose body contains one of these fail.
    refused_bodies: Mutex<Vec<String>>,
    /// This many DeleteMessageBatch calls fail entry by entry (the copies were accepted).
    refused_delete_batches: AtomicU32,
    /// ListQueues hands out the same NextToken for ever.
    repeat_token: AtomicBool,
    /// Messages sent so far, for unique ids.
    sent: AtomicU64,
}

/// Attributes every queue has, as a real one shows them.
const COMMON_ATTRIBUTES: [(&str, &str); 8] = [
    ("CreatedTimestamp", "1789203600"),
    ("LastModifiedTimestamp", "1793437200"),
    ("DelaySeconds", "0"),
    ("MaximumMessageSize", "262144"),
    ("MessageRetentionPeriod", "345600"),
    ("ReceiveMessageWaitTimeSeconds", "0"),
    ("SqsManagedSseEnabled", "true"),
    ("VisibilityTimeout", "30"),
];

fn name_of(url_or_arn: &str) -> &str {
    url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn)
}

impl FakeSqs {
    pub fn new(account: &str, region: &str, queues: Vec<FakeQueue>) -> Self {
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            queues: Mutex::new(queues),
            calls: Mutex::default(),
            denied: Mutex::default(),
            move_mode: Mutex::new(MoveMode::Unknown),
            move_script: Mutex::default(),
            refused_bodies: Mutex::default(),
            refused_delete_batches: AtomicU32::new(0),
            repeat_token: AtomicBool::new(false),
            sent: AtomicU64::new(0),
        }
    }

    pub fn url(&self, name: &str) -> String {
        format!("https://sqs.{}.amazonaws.com/{}/{name}", self.region, self.account)
    }

    pub fn arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account)
    }

    /// The RedrivePolicy attribute that sends failures to `target` after `max` receives.
    pub fn redrive_to(&self, target: &str, max: u32) -> (String, String) {
        let policy = format!(r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":{max}}}"#, self.arn(target));
        ("RedrivePolicy".to_owned(), policy)
    }

    pub fn deny(&self, action: &'static str) {
        self.denied.lock().unwrap().push(action);
    }

    /// StartMessageMoveTask answers with the handle "task-1"; its status follows `script`
    /// (one step per ListMessageMoveTasks, the last repeated), RUNNING at 0 of 0 without one.
    pub fn offer_move_tasks(&self) {
        *self.move_mode.lock().unwrap() = MoveMode::Offered;
    }

    pub fn script_move_task(&self, script: Vec<MoveTask>) {
        *self.move_script.lock().unwrap() = script.into();
    }

    /// StartMessageMoveTask fails with `error` (throttling, ...).
    pub fn fail_move_start(&self, error: SqsError) {
        *self.move_mode.lock().unwrap() = MoveMode::Failing(error);
    }

    /// A step of a move task script.
    pub fn move_step(status: MoveStatus, moved: u64, to_move: u64, failure: Option<&str>) -> MoveTask {
        MoveTask {
            handle: (status == MoveStatus::Running).then(|| "task-1".to_owned()),
            status,
            destination_arn: None,
            rate: None,
            moved,
            to_move: Some(to_move),
            failure: failure.map(str::to_owned),
            started_millis: 1_795_251_600_000,
        }
    }

    /// The queue's count of messages in flight (a number only: no message is hidden).
    pub fn set_in_flight(&self, name: &str, in_flight: u64) {
        let mut queues = self.queues.lock().unwrap();
        if let Some(queue) = queues.iter_mut().find(|queue| queue.name == name) {
            queue.in_flight = in_flight;
        }
    }

    pub fn refuse_sends_containing(&self, text: &str) {
        self.refused_bodies.lock().unwrap().push(text.to_owned());
    }

    /// The next `batches` DeleteMessageBatch calls fail for every entry.
    pub fn refuse_delete_batches(&self, batches: u32) {
        self.refused_delete_batches.store(batches, Ordering::SeqCst);
    }

    pub fn repeat_next_token(&self) {
        self.repeat_token.store(true, Ordering::SeqCst);
    }

    /// The calls since the last look, in order.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    /// The messages a queue holds now (not counting its backlog).
    pub fn visible(&self, name: &str) -> usize {
        self.queues.lock().unwrap().iter().find(|queue| queue.name == name).map_or(0, |queue| queue.messages.len())
    }

    fn call(&self, action: &'static str, detail: String) -> Result<(), SqsError> {
        self.calls.lock().unwrap().push(format!("{action} {detail}").trim_end().to_owned());
        if self.denied.lock().unwrap().contains(&action) {
            return Err(SqsError::AccessDenied {
                action,
                message: format!(
                    "User: arn:aws:sts::{account}:assumed-role/Developer/switchboard-alice is not authorized to perform: sqs:{action} on resource: arn:aws:sqs:{region}:{account}:*",
                    account = self.account,
                    region = self.region
                ),
            });
        }
        Ok(())
    }

    fn with_queue<T>(
        &self,
        action: &'static str,
        url: &str,
        work: impl FnOnce(&mut FakeQueue) -> T,
    ) -> Result<T, SqsError> {
        let mut queues = self.queues.lock().unwrap();
        let queue =
            queues.iter_mut().find(|queue| queue.name == name_of(url)).ok_or(SqsError::NoSuchQueue { action })?;
        Ok(work(queue))
    }

    /// A sent message as the queue keeps it.
    fn store(&self, queue_url: &str, request: &SendRequest) -> Result<String, SqsError> {
        self.with_queue("SendMessage", queue_url, |queue| {
            let id = format!("{}-sent-{}", queue.name, self.sent.fetch_add(1, Ordering::SeqCst) + 1);
            let mut system: BTreeMap<String, String> = [
                ("ApproximateReceiveCount".to_owned(), "0".to_owned()),
                ("SentTimestamp".to_owned(), "1795251600000".to_owned()),
            ]
            .into();
            if let Some(group) = &request.group_id {
                system.insert("MessageGroupId".to_owned(), group.clone());
            }
            let receipt_handle = format!("rh-{id}");
            queue.messages.push(PeekedMessage {
                id: id.clone(),
                receipt_handle,
                body: request.body.clone(),
                system,
                attributes: request.attributes.clone(),
            });
            id
        })
    }

    fn attributes_of(&self, queue: &FakeQueue) -> QueueAttributes {
        let counts = [
            ("QueueArn", self.arn(&queue.name)),
            ("ApproximateNumberOfMessages", (queue.messages.len() as u64 + queue.backlog).to_string()),
            ("ApproximateNumberOfMessagesNotVisible", queue.in_flight.to_string()),
            ("ApproximateNumberOfMessagesDelayed", queue.delayed.to_string()),
        ];
        let mut all: BTreeMap<String, String> =
            counts.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
        for (name, value) in COMMON_ATTRIBUTES {
            all.insert(name.to_owned(), value.to_owned());
        }
        for (name, value) in &queue.attributes {
            all.insert(name.clone(), value.clone());
        }
        QueueAttributes { all }
    }
}

#[async_trait]
impl Sqs for FakeSqs {
    async fn list_queues_page(&self, next: Option<String>) -> Result<(Vec<QueueSummary>, Option<String>), SqsError> {
        self.call("ListQueues", next.unwrap_or_default())?;
        let queues = self.queues.lock().unwrap();
        let next = self.repeat_token.load(Ordering::SeqCst).then(|| "same-token".to_owned());
        Ok((queues.iter().map(|queue| QueueSummary::from_url(&self.url(&queue.name))).collect(), next))
    }

    async fn attributes(&self, queue_url: &str) -> Result<QueueAttributes, SqsError> {
        self.call("GetQueueAttributes", name_of(queue_url).to_owned())?;
        self.with_queue("GetQueueAttributes", queue_url, |queue| queue.clone()).map(|queue| self.attributes_of(&queue))
    }

    async fn dead_letter_sources(&self, queue_url: &str) -> Result<Vec<String>, SqsError> {
        self.call("ListDeadLetterSourceQueues", name_of(queue_url).to_owned())?;
        let target = format!("\"{}\"", self.arn(name_of(queue_url)));
        let queues = self.queues.lock().unwrap();
        Ok(queues
            .iter()
            .filter(|queue| {
                queue.attributes.iter().any(|(name, value)| name == "RedrivePolicy" && value.contains(&target))
            })
            .map(|queue| self.url(&queue.name))
            .collect())
    }

    async fn receive(&self, queue_url: &str, max: u8, visibility_seconds: u32) -> Result<Vec<PeekedMessage>, SqsError> {
        self.call("ReceiveMessage", format!("{} max={max} visibility={visibility_seconds}", name_of(queue_url)))?;
        self.with_queue("ReceiveMessage", queue_url, |queue| {
            queue
                .messages
                .iter_mut()
                .take(usize::from(max))
                .map(|message| {
                    let count = message.receive_count().unwrap_or(0) + 1;
                    message.system.insert("ApproximateReceiveCount".to_owned(), count.to_string());
                    message.clone()
                })
                .collect()
        })
    }

    async fn send(&self, queue_url: &str, request: &SendRequest) -> Result<String, SqsError> {
        let group = request.group_id.as_ref().map(|group| format!(" group={group}")).unwrap_or_default();
        self.call("SendMessage", format!("{} {}{group}", name_of(queue_url), request.body))?;
        self.store(queue_url, request)
    }

    async fn receive_waiting(
        &self,
        queue_url: &str,
        max: u8,
        visibility_seconds: u32,
        _wait_seconds: u32,
    ) -> Result<Vec<PeekedMessage>, SqsError> {
        self.receive(queue_url, max, visibility_seconds).await
    }

    async fn send_batch(&self, queue_url: &str, entries: &[BatchEntry]) -> Result<BatchOutcome, SqsError> {
        self.call("SendMessageBatch", format!("{} {}", name_of(queue_url), entries.len()))?;
        let refused = self.refused_bodies.lock().unwrap().clone();
        let mut outcome = BatchOutcome::default();
        for entry in entries {
            if refused.iter().any(|text| entry.request.body.contains(text.as_str())) {
                outcome.failed.push((entry.id.clone(), "InvalidMessageContents: refused by the fake".into()));
                continue;
            }
            self.store(queue_url, &entry.request)?;
            outcome.accepted.push(entry.id.clone());
        }
        Ok(outcome)
    }

    async fn delete_batch(&self, queue_url: &str, entries: &[(String, String)]) -> Result<BatchOutcome, SqsError> {
        self.call("DeleteMessageBatch", format!("{} {}", name_of(queue_url), entries.len()))?;
        let mut outcome = BatchOutcome::default();
        let refused = self
            .refused_delete_batches
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .is_ok();
        for (id, receipt_handle) in entries {
            if refused {
                outcome.failed.push((id.clone(), "InternalError: refused by the fake".into()));
                continue;
            }
            let deleted = self.with_queue("DeleteMessageBatch", queue_url, |queue| {
                let before = queue.messages.len();
                queue.messages.retain(|message| message.receipt_handle != *receipt_handle);
                before != queue.messages.len()
            })?;
            if deleted {
                outcome.accepted.push(id.clone());
            } else {
                outcome.failed.push((id.clone(), "ReceiptHandleIsInvalid: no such message".into()));
            }
        }
        Ok(outcome)
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), SqsError> {
        self.call("DeleteMessage", format!("{} {receipt_handle}", name_of(queue_url)))?;
        let deleted = self.with_queue("DeleteMessage", queue_url, |queue| {
            let before = queue.messages.len();
            queue.messages.retain(|message| message.receipt_handle != receipt_handle);
            before != queue.messages.len()
        })?;
        deleted.then_some(()).ok_or_else(|| SqsError::Service {
            action: "DeleteMessage",
            code: "ReceiptHandleIsInvalid".into(),
            message: receipt_handle.into(),
        })
    }

    async fn purge(&self, queue_url: &str) -> Result<(), SqsError> {
        self.call("PurgeQueue", name_of(queue_url).to_owned())?;
        self.with_queue("PurgeQueue", queue_url, |queue| {
            queue.messages.clear();
            queue.backlog = 0;
        })
    }

    async fn start_move(
        &self,
        source_arn: &str,
        destination_arn: Option<&str>,
        rate: Option<u32>,
    ) -> Result<String, SqsError> {
        let destination = destination_arn.map(name_of).unwrap_or_default();
        let rate = rate.map(|rate| format!(" rate={rate}")).unwrap_or_default();
        self.call("StartMessageMoveTask", format!("{} -> {destination}{rate}", name_of(source_arn)))?;
        match self.move_mode.lock().unwrap().clone() {
            MoveMode::Offered => Ok("task-1".to_owned()),
            MoveMode::Failing(error) => Err(error),
            MoveMode::Unknown => Err(SqsError::Unsupported {
                action: "StartMessageMoveTask",
                message: "UnknownOperationException: not in this fake".into(),
            }),
        }
    }

    async fn list_moves(&self, source_arn: &str) -> Result<Vec<MoveTask>, SqsError> {
        self.call("ListMessageMoveTasks", name_of(source_arn).to_owned())?;
        let mut script = self.move_script.lock().unwrap();
        let step = if script.len() > 1 { script.pop_front() } else { script.front().cloned() };
        Ok(vec![step.unwrap_or_else(|| Self::move_step(MoveStatus::Running, 0, 0, None))])
    }

    async fn cancel_move(&self, task_handle: &str) -> Result<u64, SqsError> {
        self.call("CancelMessageMoveTask", task_handle.to_owned())?;
        let mut script = self.move_script.lock().unwrap();
        let moved = script.front().map_or(0, |step| step.moved);
        let to_move = script.front().and_then(|step| step.to_move).unwrap_or(0);
        *script = [
            Self::move_step(MoveStatus::Cancelling, moved, to_move, None),
            Self::move_step(MoveStatus::Cancelled, moved, to_move, None),
        ]
        .into();
        Ok(moved)
    }
}
