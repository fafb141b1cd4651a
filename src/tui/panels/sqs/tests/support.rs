//! What the SQS panel's tests share: a sample inventory, an in-memory SQS that records every
//! call, and a harness that drives the panel directly (keys, ticks and results in, views and
//! jobs out) and runs its jobs as the executor would.

pub(super) use std::collections::BTreeMap;
pub(super) use std::path::Path;
pub(super) use std::sync::{Arc, Mutex};
pub(super) use std::time::Duration;

pub(super) use async_trait::async_trait;
pub(super) use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub(super) use jiff::{SignedDuration, Timestamp};
pub(super) use ratatui::Terminal;
pub(super) use ratatui::backend::TestBackend;
pub(super) use tokio::sync::Semaphore;

pub(super) use crate::domain::credentials::Credentials;
pub(super) use crate::domain::inventory::Inventory;
pub(super) use crate::domain::sqs::{
    MoveMethod, PeekedMessage, QueueAttributes, QueueSummary, SendRequest, Sqs, SqsError,
};
pub(super) use crate::domain::sts::{AssumeRoleRequest, CallerIdentity, SessionTokenRequest, Sts, StsError};
pub(super) use crate::tui::panels::{Job, KeyOutcome, Panel, PanelContext, PanelUpdate, Progress, Reply, Services};
pub(super) use crate::tui::state::RoleRow;
pub(super) use crate::tui::ui::theme::Theme;

pub(super) use super::super::forms::Field;
pub(super) use super::super::state::Pending;
pub(super) use super::super::{Column, Message, QueueRow, SqsPanel, View};

pub(super) const INVENTORY: &str = r#"
[defaults]
region = "eu-west-1"

[sources.hub]
profile = "hub"

[[accounts]]
name = "prod"
id = "111111111111"
environment = "production"

  [[accounts.roles]]
  name = "admin"
  role_name = "Admin"
  source = "hub"

  [[accounts.roles]]
  name = "viewer"
  role_name = "ReadOnly"
  source = "hub"
  read_only = true

[[accounts]]
name = "sandbox"
id = "333333333333"
environment = "development"

  [[accounts.roles]]
  name = "dev"
  role_name = "Developer"
  source = "hub"
"#;

pub(super) const ENDPOINT: &str = "https://sqs.eu-west-1.amazonaws.com/333333333333";

pub(super) fn url(name: &str) -> String {
    format!("{ENDPOINT}/{name}")
}

pub(super) fn arn(name: &str) -> String {
    format!("arn:aws:sqs:eu-west-1:333333333333:{name}")
}

pub(super) fn name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

pub(super) fn now() -> Timestamp {
    "2026-11-21T09:00:00Z".parse().unwrap()
}

pub(super) fn message(id: &str, body: &str, receives: u32) -> PeekedMessage {
    PeekedMessage {
        id: id.to_owned(),
        receipt_handle: format!("rh-{id}"),
        body: body.to_owned(),
        system: [
            ("ApproximateReceiveCount".to_owned(), receives.to_string()),
            ("SentTimestamp".to_owned(), "1795251600000".to_owned()),
        ]
        .into(),
        attributes: BTreeMap::new(),
    }
}

// --- an in-memory SQS ---------------------------------------------------------------------

pub(super) struct FakeQueue {
    name: &'static str,
    messages: Vec<PeekedMessage>,
    in_flight: u64,
    delayed: u64,
    /// The dead-letter queue's name and maxReceiveCount.
    dead_letter: Option<(&'static str, u32)>,
}

/// Queues with messages; every call is recorded as "Action queue details", and the actions in
/// `denied` answer AccessDenied.
#[derive(Default)]
pub(super) struct FakeSqs {
    queues: Mutex<Vec<FakeQueue>>,
    calls: Mutex<Vec<String>>,
    denied: Mutex<Vec<&'static str>>,
    /// StartMessageMoveTask answers Unsupported unless set (then it answers with a task handle).
    pub(super) move_task: bool,
}

impl FakeSqs {
    /// audit (12 messages), events.fifo (empty), orders (3, failures to orders-dlq after 3
    /// receives) and orders-dlq (2).
    pub(super) fn standard() -> Self {
        let numbered = |prefix: &str, count: usize| -> Vec<PeekedMessage> {
            (1..=count).map(|n| message(&format!("{prefix}-{n}"), &format!(r#"{{"n":{n}}}"#), 0)).collect()
        };
        let queues = vec![
            FakeQueue {
                name: "orders",
                messages: numbered("o", 3),
                in_flight: 1,
                delayed: 5,
                dead_letter: Some(("orders-dlq", 3)),
            },
            FakeQueue { name: "audit", messages: numbered("a", 12), in_flight: 0, delayed: 2, dead_letter: None },
            FakeQueue { name: "orders-dlq", messages: numbered("d", 2), in_flight: 3, delayed: 1, dead_letter: None },
            FakeQueue { name: "events.fifo", messages: Vec::new(), in_flight: 4, delayed: 0, dead_letter: None },
        ];
        Self { queues: Mutex::new(queues), ..Self::default() }
    }

    pub(super) fn deny(&self, action: &'static str) {
        self.denied.lock().unwrap().push(action);
    }

    pub(super) fn call(&self, action: &'static str, detail: String) -> Result<(), SqsError> {
        self.calls.lock().unwrap().push(format!("{action} {detail}").trim_end().to_owned());
        if self.denied.lock().unwrap().contains(&action) {
            return Err(SqsError::AccessDenied { action, message: format!("not authorized to perform sqs:{action}") });
        }
        Ok(())
    }

    pub(super) fn with_queue<T>(
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

    /// The calls since the last look, in order.
    pub(super) fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    pub(super) fn visible(&self, name: &str) -> usize {
        self.queues.lock().unwrap().iter().find(|queue| queue.name == name).map_or(0, |queue| queue.messages.len())
    }
}

#[async_trait]
impl Sqs for FakeSqs {
    async fn list_queues_page(&self, next: Option<String>) -> Result<(Vec<QueueSummary>, Option<String>), SqsError> {
        self.call("ListQueues", next.unwrap_or_default())?;
        let queues = self.queues.lock().unwrap();
        Ok((queues.iter().map(|queue| QueueSummary::from_url(&url(queue.name))).collect(), None))
    }

    async fn attributes(&self, queue_url: &str) -> Result<QueueAttributes, SqsError> {
        self.call("GetQueueAttributes", name_of(queue_url).to_owned())?;
        self.with_queue("GetQueueAttributes", queue_url, |queue| {
            let mut all = BTreeMap::new();
            all.insert("QueueArn".to_owned(), arn(queue.name));
            all.insert("ApproximateNumberOfMessages".to_owned(), queue.messages.len().to_string());
            all.insert("ApproximateNumberOfMessagesNotVisible".to_owned(), queue.in_flight.to_string());
            all.insert("ApproximateNumberOfMessagesDelayed".to_owned(), queue.delayed.to_string());
            if let Some((dead_letter, max)) = queue.dead_letter {
                all.insert(
                    "RedrivePolicy".to_owned(),
                    format!(r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":{max}}}"#, arn(dead_letter)),
                );
            }
            QueueAttributes { all }
        })
    }

    async fn dead_letter_sources(&self, queue_url: &str) -> Result<Vec<String>, SqsError> {
        self.call("ListDeadLetterSourceQueues", name_of(queue_url).to_owned())?;
        let queues = self.queues.lock().unwrap();
        Ok(queues
            .iter()
            .filter(|queue| queue.dead_letter.is_some_and(|(target, _)| target == name_of(queue_url)))
            .map(|queue| url(queue.name))
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
            let mut sent = message(&id, &request.body, 0);
            sent.attributes = request.attributes.clone();
            if let Some(group) = &request.group_id {
                sent.system.insert("MessageGroupId".to_owned(), group.clone());
            }
            queue.messages.push(sent);
            id
        })
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), SqsError> {
        self.call("DeleteMessage", format!("{} {receipt_handle}", name_of(queue_url)))?;
        self.with_queue("DeleteMessage", queue_url, |queue| {
            let before = queue.messages.len();
            queue.messages.retain(|message| message.receipt_handle != receipt_handle);
            before != queue.messages.len()
        })?
        .then_some(())
        .ok_or_else(|| SqsError::Service {
            action: "DeleteMessage",
            code: "ReceiptHandleIsInvalid".into(),
            message: receipt_handle.into(),
        })
    }

    async fn purge(&self, queue_url: &str) -> Result<(), SqsError> {
        self.call("PurgeQueue", name_of(queue_url).to_owned())?;
        self.with_queue("PurgeQueue", queue_url, |queue| queue.messages.clear())
    }

    async fn start_move(&self, source_arn: &str, destination_arn: Option<&str>) -> Result<String, SqsError> {
        let name = |arn: &str| arn.rsplit(':').next().unwrap_or_default().to_owned();
        self.call(
            "StartMessageMoveTask",
            format!("{} -> {}", name(source_arn), destination_arn.map_or_else(String::new, name)),
        )?;
        if self.move_task {
            Ok("task-1".to_owned())
        } else {
            Err(SqsError::Unsupported { action: "StartMessageMoveTask", message: "not in this fake".into() })
        }
    }
}

/// The panels under test only need SQS; identity is not asked here.
pub(super) struct NoSts;

#[async_trait]
impl Sts for NoSts {
    async fn get_session_token(
        &self,
        _: &Credentials,
        _: &str,
        _: SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }

    async fn assume_role(&self, _: &Credentials, _: &str, _: AssumeRoleRequest) -> Result<Credentials, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }

    async fn caller_identity(&self, _: &Credentials, _: &str) -> Result<CallerIdentity, StsError> {
        Err(StsError::Unreachable("no STS in these tests".into()))
    }
}

// --- the harness --------------------------------------------------------------------------

pub(super) struct Harness {
    pub(super) panel: SqsPanel,
    pub(super) row: RoleRow,
    pub(super) now: Timestamp,
    pub(super) refresh_every: Duration,
    pub(super) sqs: Arc<FakeSqs>,
    pub(super) services: Arc<Services>,
    /// What jobs reported as progress (redrive steps), in order.
    pub(super) progress: Arc<Mutex<Vec<Message>>>,
}

macro_rules! context {
    ($harness:expr) => {
        PanelContext {
            row: &$harness.row,
            read_only: $harness.row.read_only,
            now: $harness.now,
            refresh_every: $harness.refresh_every,
        }
    };
}

pub(super) fn harness_with(address: &str, sqs: FakeSqs) -> Harness {
    let inventory = Inventory::parse(Path::new("accounts.toml"), INVENTORY).unwrap();
    let row = crate::tui::rows(&inventory).into_iter().find(|row| row.key.to_string() == address).unwrap();
    let sqs = Arc::new(sqs);
    let progress: Arc<Mutex<Vec<Message>>> = Arc::default();
    let services = Services {
        role: row.key.clone(),
        credentials: Credentials::new("ASIATEST", "secret", Some("token".to_owned()), None),
        region: row.region.clone(),
        sqs: Arc::clone(&sqs) as Arc<dyn Sqs>,
        sts: Arc::new(NoSts),
        slots: Arc::new(Semaphore::new(4)),
    };
    Harness {
        panel: SqsPanel::default(),
        row,
        now: now(),
        refresh_every: Duration::from_secs(5),
        sqs,
        services: Arc::new(services),
        progress,
    }
}

pub(super) fn harness(address: &str) -> Harness {
    harness_with(address, FakeSqs::standard())
}

/// The panel opened and every job run: the list with its counts.
pub(super) async fn loaded(address: &str) -> Harness {
    let mut harness = harness(address);
    let jobs = harness.open();
    harness.settle(jobs).await;
    harness.sqs.take_calls();
    harness
}

impl Harness {
    pub(super) fn open(&mut self) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.open(&context)
    }

    pub(super) fn press(&mut self, key: KeyEvent) -> KeyOutcome<Message> {
        let context = context!(self);
        self.panel.on_key(key, &context)
    }

    pub(super) fn key(&mut self, code: KeyCode) -> Vec<Job<Message>> {
        match self.press(KeyEvent::new(code, KeyModifiers::NONE)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("{code:?} was ignored in {:?}", self.panel.view),
        }
    }

    pub(super) fn char(&mut self, c: char) -> Vec<Job<Message>> {
        self.key(KeyCode::Char(c))
    }

    pub(super) fn ctrl(&mut self, c: char) -> Vec<Job<Message>> {
        match self.press(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)) {
            KeyOutcome::Handled(jobs) => jobs,
            KeyOutcome::Ignored => panic!("Ctrl-{c} was ignored"),
        }
    }

    pub(super) fn typed(&mut self, text: &str) -> Vec<Job<Message>> {
        text.chars().flat_map(|c| self.char(c)).collect()
    }

    pub(super) fn result(&mut self, result: Reply<Message>) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.on_result(result, &context)
    }

    pub(super) fn feed(&mut self, message: Message) -> Vec<Job<Message>> {
        self.result(Ok(message))
    }

    pub(super) fn tick(&mut self) -> Vec<Job<Message>> {
        let context = context!(self);
        self.panel.on_tick(&context)
    }

    pub(super) fn later(&mut self, seconds: i64) {
        self.now = self.now.checked_add(SignedDuration::from_secs(seconds)).unwrap();
    }

    /// Runs the job as the executor would, without feeding its result back.
    pub(super) async fn run(&self, job: Job<Message>) -> Message {
        let sink = Arc::clone(&self.progress);
        let progress: Progress<Message> = Arc::new(move |message| sink.lock().unwrap().push(message));
        job.run(Arc::clone(&self.services), progress).await
    }

    /// Runs the jobs and feeds their results back; the jobs those start are returned.
    pub(super) async fn run_all(&mut self, jobs: Vec<Job<Message>>) -> Vec<Job<Message>> {
        let mut next = Vec::new();
        for job in jobs {
            let payload = self.run(job).await;
            next.extend(self.result(Ok(payload)));
        }
        next
    }

    /// Runs jobs, and the jobs they start, until none is left.
    pub(super) async fn settle(&mut self, mut jobs: Vec<Job<Message>>) {
        while !jobs.is_empty() {
            jobs = self.run_all(jobs).await;
        }
    }

    pub(super) fn calls(&self) -> Vec<String> {
        self.sqs.take_calls()
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.panel.visible().iter().map(|row| row.summary.name.clone()).collect()
    }

    pub(super) fn select(&mut self, name: &str) {
        self.panel.selected = self.names().iter().position(|shown| shown == name).unwrap();
    }

    pub(super) fn notice(&self) -> (String, bool) {
        self.panel.notice.clone().unwrap_or_else(|| panic!("no notice; view {:?}", self.panel.view))
    }

    pub(super) fn row(&self, name: &str) -> &QueueRow {
        self.panel.queue(&url(name)).unwrap()
    }

    pub(super) fn visible_count(&self, name: &str) -> Option<u64> {
        self.row(name).attributes.as_ref().and_then(QueueAttributes::visible)
    }

    /// The panel drawn at 120x30, as text.
    pub(super) fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
        let context = context!(self);
        terminal.draw(|frame| self.panel.render(frame, frame.area(), &context, Theme { color: false })).unwrap();
        let buffer = terminal.backend().buffer();
        buffer
            .content()
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>().trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Opens the queue's detail from the list and loads its DLQ sources.
    pub(super) async fn detail_of(&mut self, name: &str) {
        self.panel.view = View::List;
        self.panel.filter.clear();
        self.select(name);
        let jobs = self.key(KeyCode::Enter);
        self.settle(jobs).await;
        self.calls();
    }

    /// Peeks the queue (from its detail, accepting the warning if one comes), messages loaded.
    pub(super) async fn peeked(&mut self, name: &str) {
        self.detail_of(name).await;
        let mut jobs = self.char('p');
        if matches!(self.panel.view, View::PeekWarning { .. }) {
            jobs = self.char('y');
        }
        self.settle(jobs).await;
        self.calls();
    }
}

pub(super) fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

pub(super) fn attributes(visible: u64) -> QueueAttributes {
    QueueAttributes { all: [("ApproximateNumberOfMessages".to_owned(), visible.to_string())].into() }
}
