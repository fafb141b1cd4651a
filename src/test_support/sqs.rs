//! An in-memory SQS: queues with messages and counts, every call recorded as
//! "Action queue details", AccessDenied for the actions a test denies.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use crate::domain::sqs::{PeekedMessage, QueueAttributes, QueueSummary, SendRequest, Sqs, SqsError};

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
    /// StartMessageMoveTask answers Unsupported unless set (then with a task handle).
    move_task: AtomicBool,
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
            move_task: AtomicBool::new(false),
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

    pub fn offer_move_tasks(&self) {
        self.move_task.store(true, Ordering::SeqCst);
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
        Ok((queues.iter().map(|queue| QueueSummary::from_url(&self.url(&queue.name))).collect(), None))
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
        self.with_queue("SendMessage", queue_url, |queue| {
            let id = format!("{}-sent-{}", queue.name, queue.messages.len() + 1);
            let mut system: BTreeMap<String, String> = [
                ("ApproximateReceiveCount".to_owned(), "0".to_owned()),
                ("SentTimestamp".to_owned(), "1795251600000".to_owned()),
            ]
            .into();
            if let Some(group) = &request.group_id {
                system.insert("MessageGroupId".to_owned(), group.clone());
            }
            let receipt_handle = format!("rh-{id}");
            let body = request.body.clone();
            queue.messages.push(PeekedMessage {
                id: id.clone(),
                receipt_handle,
                body,
                system,
                attributes: request.attributes.clone(),
            });
            id
        })
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

    async fn start_move(&self, source_arn: &str, destination_arn: Option<&str>) -> Result<String, SqsError> {
        let destination = destination_arn.map(name_of).unwrap_or_default();
        self.call("StartMessageMoveTask", format!("{} -> {destination}", name_of(source_arn)))?;
        if self.move_task.load(Ordering::SeqCst) {
            Ok("task-1".to_owned())
        } else {
            Err(SqsError::Unsupported { action: "StartMessageMoveTask", message: "not in this fake".into() })
        }
    }
}
